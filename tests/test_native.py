"""``emit c --export`` (external functions for a shared library, the default header unchanged),
``Fit.compile()`` (the real emitted C from Python, cached, checked on every code) and
``approxgen.load_vectors`` (what ``emit vectors`` writes, read back)."""

import subprocess
import sys

import numpy as np
import pytest

import approxgen
from approxgen import native
from approxgen.emit import c
from conftest import require_tool


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("APPROXGEN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


FITS = {"pwl16": dict(function_or_spec="gelu", bits=16, segments=8),
        "table": dict(function_or_spec="sigmoid", bits=8, form="table"),
        "interp": dict(function_or_spec="silu", bits=12, form="interp"),
        "quadratic": dict(function_or_spec="tanh", bits=8, form="quadratic", segments=4)}


def make(name):
    keys = dict(FITS[name])
    return approxgen.fit(keys.pop("function_or_spec"), **keys)


@pytest.mark.parametrize("name", sorted(FITS))
def test_compile_matches_the_golden_model_on_every_code_and_is_cached(name, cache):
    require_tool("cc")
    fit = make(name)
    default = approxgen.emit(fit, "c")
    exported = approxgen.emit(fit, "c", export=True)
    assert default == c.render(fit) and "APPROXGEN_API" not in default
    assert exported.replace(c.EXPORT_MACRO.format(name=fit.spec.name), "").replace(
        "APPROXGEN_API ", "static inline ") == default
    run = fit.compile()  # checked on every code when loaded
    codes = fit.spec.input.codes()
    out = run(codes)
    assert out.dtype == native.numpy_dtype(fit.spec.output.bits, fit.spec.output.signed)
    assert np.array_equal(out.astype(np.int64), fit.evaluate(codes))
    assert np.array_equal(run(codes.reshape(-1, 2)[:, ::-1]), fit.evaluate(codes.reshape(-1, 2)[:, ::-1]))
    libraries = list((cache / "native").glob("*.so"))
    assert len(libraries) == 1
    mtime = libraries[0].stat().st_mtime_ns
    native._LOADED.clear()
    assert np.array_equal(fit.compile()(codes), out)  # reused, checked again, not rebuilt
    assert libraries[0].stat().st_mtime_ns == mtime
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(libraries[0])],
                             capture_output=True, text=True).stdout.split()
    assert {fit.spec.name, f"{fit.spec.name}_array"} <= set(symbols)


def test_a_library_that_disagrees_with_the_golden_model_is_refused(cache):
    require_tool("cc")
    fit = make("table")
    compiled = fit.compile()
    other = approxgen.fit("sigmoid", bits=8, form="table", output={"scale": "2^-6"})
    wrong = native.Compiled(other, compiled.path)  # the same library, another contract
    with pytest.raises(approxgen.ApproxgenError, match="differs from the golden model"):
        wrong.check()
    with pytest.raises(approxgen.ApproxgenError, match="outside"):
        compiled([1000])
    with pytest.raises(approxgen.ApproxgenError, match="no C compiler"):
        fit.compile(compiler="no-such-cc-xyz")


def test_emit_c_export_flag(tmp_path):
    result = subprocess.run([sys.executable, "-m", "approxgen", "emit", "c", "gelu", "--bits",
                             "8", "--export"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "APPROXGEN_API int8_t gelu_int8(int8_t x)" in result.stdout
    assert "APPROXGEN_API void gelu_int8_array(" in result.stdout


@pytest.mark.parametrize("name", ["pwl16", "quadratic", "table"])
def test_load_vectors_reads_what_emit_vectors_writes(name, tmp_path):
    from approxgen.emit import vectors

    fit = make(name)
    path = tmp_path / "v.hex"
    path.write_text(approxgen.emit(fit, "vectors"))
    golden = vectors.golden(fit)
    with_fit = approxgen.load_vectors(path, fit)
    assert set(with_fit) == set(golden)
    for key, values in golden.items():
        assert np.array_equal(with_fit[key], values), key
    plain = approxgen.load_vectors(path)
    assert np.array_equal(plain["x"], golden["x"]) and np.array_equal(plain["y"], golden["y"])
    path.write_text("// nothing\n00_01\n")
    with pytest.raises(approxgen.ApproxgenError, match="no layout line"):
        approxgen.load_vectors(path)


def block_of(raw, tmp_path):
    from approxgen.blocks import load

    return load(raw, str(tmp_path / "spec.yaml"))


def test_a_block_compiles_and_matches_the_golden_model_row_by_row(cache, tmp_path):
    require_tool("cc")
    softmax = block_of({"block": "softmax", "name": "sm16", "length": 40,
                        "input": {"bits": 16, "scale": "2^-11"},
                        "output": {"bits": 16, "scale": "2^-15"}}, tmp_path)
    norm = block_of({"block": "layernorm", "name": "ln8", "length": 24,
                     "input": {"bits": 8, "scale": "2^-2"}, "output": {"bits": 8}}, tmp_path)
    rng = np.random.default_rng(3)
    for block in (softmax, norm):
        run = block.compile()  # checked on seeded rows when loaded
        assert isinstance(run, native.CompiledBlock)
        for n in (1, 7, block.length):
            rows = rng.integers(block.input.min_code, block.input.max_code + 1, (9, n))
            out = run(rows)
            assert out.dtype == native.numpy_dtype(block.output.bits, block.output.signed)
            assert np.array_equal(out.astype(np.int64), block.model(rows))
        with pytest.raises(approxgen.ApproxgenError, match="2-D"):
            run(np.zeros((2, block.length + 1), dtype=np.int64))
    assert len(list((cache / "native").glob("*.so"))) == 2
    native._LOADED.clear()
    assert block_of({"block": "softmax", "name": "sm16", "length": 40,
                     "input": {"bits": 16, "scale": "2^-11"},
                     "output": {"bits": 16, "scale": "2^-15"}}, tmp_path).compile().path \
        == softmax.compile().path
    other = block_of({"block": "layernorm", "name": "ln8", "length": 24,  # another contract
                      "input": {"bits": 8, "scale": "2^-2"},
                      "output": {"bits": 8, "scale": "2^-3"}}, tmp_path)
    with pytest.raises(approxgen.ApproxgenError, match="differs from the golden model"):
        native.CompiledBlock(other, norm.compile().path).check()
