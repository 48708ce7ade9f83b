"""The LayerNorm and RMSNorm blocks (issue 23, second slice): spec errors, the golden model's
contract and accuracy, and the emitted C compiled with gcc, bit for bit with the golden model on
every mantissa code of the rsqrt stage, a sweep of V over its whole range, and the seeded and
adversarial rows at int8 and int16."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from approxgen.blocks import load
from approxgen.blocks.norm import metrics, sample_rows, v_sweep
from approxgen.emit.c import render_block
from approxgen.verify_block import model_rows
from conftest import require_tool, run_cli as cli

HARNESS = r"""
#include <stdio.h>
#include <string.h>
#include "block.h"
/* stdin: records of (uint32 n, n input codes); stdout: n output codes per record.
 * "m LO HI": rsqrt0 of every mantissa code LO..HI-1 (uint32); "v": uint64 values on stdin,
 * rsqrt30 (int64 r, int64 e) of each. "p": the rows in place. */
int main(int argc, char **argv)
{
    static IN x[1 << 13];
    static OUT y[1 << 13];
    uint32_t n;
    if (argc > 1 && argv[1][0] == 'm') {
        uint32_t c, lo = (uint32_t)atol(argv[2]), hi = (uint32_t)atol(argv[3]);
        for (c = lo; c < hi; c++) {
            uint32_t r = NAME_rsqrt0((uint16_t)c);
            fwrite(&r, sizeof r, 1, stdout);
        }
        return 0;
    }
    if (argc > 1 && argv[1][0] == 'v') {
        uint64_t v;
        while (fread(&v, sizeof v, 1, stdin) == 1) {
            int e;
            int64_t out[2];
            out[0] = NAME_rsqrt30(v, &e);
            out[1] = e;
            fwrite(out, sizeof out, 1, stdout);
        }
        return 0;
    }
    while (fread(&n, sizeof n, 1, stdin) == 1) {
        if (fread(x, sizeof x[0], n, stdin) != n)
            return 3;
        if (argc > 1 && argv[1][0] == 'p') {
            NAME(x, (OUT *)x, n);
            memcpy(y, x, n * sizeof y[0]);
        } else {
            NAME(x, y, n);
        }
        fwrite(y, sizeof y[0], n, stdout);
    }
    return 0;
}
"""


def spec(kind, bits, length, **extra):
    scales = {8: ("2^-2", "2^-4"), 16: ("2^-9", "2^-11")}[bits]
    return {"block": kind, "name": f"{kind[:2]}{bits}", "length": length,
            "input": {"bits": bits, "scale": scales[0]},
            "output": {"bits": bits, "scale": scales[1]}, **extra}


def compile_block(block, tmp_path: Path) -> Path:
    gcc = require_tool("gcc")
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "block.h").write_text(render_block(block))
    (tmp_path / "h.c").write_text("#include <stdlib.h>\n" + HARNESS.replace("NAME", block.name))
    exe = tmp_path / "h"
    t = f"int{block.input.bits}_t", f"int{block.output.bits}_t"
    subprocess.run([gcc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                    f"-DIN={t[0]}", f"-DOUT={t[1]}", "-o", str(exe), str(tmp_path / "h.c")],
                   check=True, capture_output=True, text=True)
    return exe


def run(exe, *args, data=b""):
    return subprocess.run([str(exe), *map(str, args)], input=data, capture_output=True,
                          check=True).stdout


def run_rows(exe, block, rows, in_place=False):
    in_t, out_t = np.dtype(f"int{block.input.bits}"), np.dtype(f"int{block.output.bits}")
    data = b"".join(np.uint32(r.size).tobytes() + r.astype(in_t).tobytes() for r in rows)
    out = np.frombuffer(run(exe, *(["p"] if in_place else []), data=data), dtype=out_t)
    assert out.size == sum(r.size for r in rows)
    return np.split(out.astype(np.int64), np.cumsum([r.size for r in rows])[:-1])


def stated_rows(block, seed=11):
    rows = []
    for n in sorted({1, 2, 64, 100, block.length}):
        if n <= block.length:
            for batch in sample_rows(block, n, 6, seed + n).values():
                rows.extend(batch)
    return rows


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    """gamma and beta .npy files of 2048 seeded values (sliced per spec)."""
    d = tmp_path_factory.mktemp("norm_vectors")
    rng = np.random.default_rng(2026)
    for length in (1, 768, 2048):
        np.save(d / f"g{length}.npy", 1.0 + 0.3 * rng.normal(size=length))
        np.save(d / f"b{length}.npy", 0.2 * rng.normal(size=length))
    return d


CASES = [("layernorm", 8, 768, None), ("layernorm", 16, 2048, None), ("rmsnorm", 8, 768, None),
         ("rmsnorm", 16, 768, None), ("layernorm", 8, 1, None), ("rmsnorm", 16, 1, None),
         ("layernorm", 16, 768, {"form": "table", "newton": 1, "mantissa_bits": 8}),
         ("rmsnorm", 8, 768, {"form": "quadratic", "segments": 4, "newton": 1})]


@pytest.mark.parametrize("kind,bits,length,rsqrt", CASES,
                         ids=[f"{k}{b}_{n}{'_' + r['form'] if r else ''}" for k, b, n, r in CASES])
def test_c_is_bit_exact_with_the_golden_model(kind, bits, length, rsqrt, vectors, tmp_path):
    """(a) rsqrt0 over every mantissa code, (b) rsqrt30 over the V sweep, (c) the seeded and
    adversarial rows (lengths 1, 2, 64, 100 and the maximum), apart and in place; with the
    default rsqrt fit and with other forms."""
    extra = {"gamma": str(vectors / f"g{length}.npy")}
    if rsqrt:
        extra["rsqrt"] = rsqrt
    if kind == "layernorm":
        extra["beta"] = str(vectors / f"b{length}.npy")
    block = load(spec(kind, bits, length, **extra), "<test>")
    exe = compile_block(block, tmp_path)
    lo, hi = 1 << block.mantissa_bits, 4 << block.mantissa_bits
    got = np.frombuffer(run(exe, "m", lo, hi), dtype=np.uint32).astype(np.int64)
    assert np.array_equal(got, block.rsqrt_fit.model.evaluate(np.arange(lo, hi)))
    v = v_sweep()
    got = np.frombuffer(run(exe, "v", data=v.astype(np.uint64).tobytes()),
                        dtype=np.int64).reshape(-1, 2)
    r, e = block.rsqrt(v)
    assert np.array_equal(got[:, 0], r) and np.array_equal(got[:, 1], e)
    real = np.ldexp(2.0 ** 30 / np.sqrt(v.astype(np.float64)), e)
    bound = 2 ** -27 if block.newton >= 2 else 2 ** -16  # two steps: ~2^-28; one: ~2^-18
    assert np.abs(r / real - 1).max() < bound
    rows = stated_rows(block)
    want = model_rows(block, rows)
    for in_place in (False, True):
        for g, w in zip(run_rows(exe, block, rows, in_place), want):
            assert np.array_equal(g, w)


@pytest.mark.parametrize("kind", ["layernorm", "rmsnorm"])
@pytest.mark.parametrize("bits", [8, 16])
def test_accuracy_targets(kind, bits, vectors):
    """Max <= 1 LSB (int8) / 2 LSB (int16) against the correctly rounded float64 block, >= 99%
    correctly rounded, on every stated row kind at N 64 and 768."""
    extra = {"gamma": str(vectors / "g768.npy")}
    if kind == "layernorm":
        extra["beta"] = str(vectors / "b768.npy")
    block = load(spec(kind, bits, 768, **extra), "<test>")
    for n in (64, 768):
        for name, rows in sample_rows(block, n, 20, 3).items():
            m = metrics(block, rows)
            assert m["max_error_lsb"] <= (1 if bits == 8 else 2), (n, name, m)
            assert m["correctly_rounded"] >= 0.99, (n, name, m)


def test_golden_model_contract():
    """A zero-variance row gives beta (0 without it); the mean is not rounded to a code; a
    row's output is the same for a shifted row (LayerNorm); epsilon enters as stated."""
    block = load(spec("layernorm", 8, 8), "<test>")
    assert not block.model(np.full((1, 8), 37)).any()
    x = np.array([[0, 0, 0, 1, 1, 1, 1, 1]])  # mean 5/8: rounding it to 1 would move every y
    assert np.array_equal(block.model(x), block.reference(x))
    assert np.array_equal(block.model(x), block.model(x - 7))
    assert block.eps_term(8) == (block.eps_code * 512 + (1 << (block.eps_shift - 1))) \
        >> block.eps_shift
    rms = load(spec("rmsnorm", 16, 16, epsilon=0.0), "<test>")
    y = rms.model(np.full((1, 16), 1000))
    assert np.all(y == 2048)  # x / rms(x) = 1 at 2^-11
    with pytest.raises(Exception, match="1..8"):
        block.model(np.zeros((1, 9), dtype=np.int64))


def test_emit_c_of_a_norm_spec(tmp_path):
    """``approxgen emit c`` of a spec with relative gamma/beta paths, byte-identical twice."""
    np.save(tmp_path / "g.npy", np.linspace(0.5, 1.5, 64))
    np.save(tmp_path / "b.npy", np.linspace(-1, 1, 64))
    path = tmp_path / "ln.yaml"
    path.write_text("block: layernorm\nname: ln8\nlength: 64\ngamma: g.npy\nbeta: b.npy\n"
                    "input: {bits: 8, scale: 2^-2}\noutput: {bits: 8, scale: 2^-4}\n")
    a, b = tmp_path / "a.h", tmp_path / "b.h"
    for out in (a, b):
        result = cli("emit", "c", str(path), "-o", str(out))
        assert result.returncode == 0, result.stderr
    assert a.read_bytes() == b.read_bytes()
    assert "void ln8(const int8_t *x, int8_t *y, size_t n)" in a.read_text()


def _bad_npy(tmp_path):
    np.save(tmp_path / "short.npy", np.ones(7))
    np.save(tmp_path / "nan.npy", np.array([1.0] * 7 + [np.nan]))
    np.save(tmp_path / "twod.npy", np.ones((2, 4)))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}] * 8, dtype=object), allow_pickle=True)
    np.save(tmp_path / "huge.npy", np.full(8, 1e30))
    np.save(tmp_path / "ints.npy", np.arange(8))
    (tmp_path / "junk.npy").write_bytes(b"not an npy file")
    (tmp_path / "big.npy").write_bytes(b"\0" * (2 << 20))


HEAD = "block: layernorm\nlength: 8\ninput: {scale: 2^-2}\n"
BAD = [
    (HEAD + "gamma: short.npy\n", "gamma", "holds 7 values"),
    (HEAD + "gamma: nan.npy\n", "gamma", "not finite"),
    (HEAD + "beta: twod.npy\n", "beta", "1-D"),
    (HEAD + "beta: ints.npy\n", "beta", "float array"),
    (HEAD + "gamma: obj.npy\n", "gamma", "not a .npy array"),
    (HEAD + "gamma: junk.npy\n", "gamma", "not a .npy array"),
    (HEAD + "gamma: big.npy\n", "gamma", "larger than"),
    (HEAD + "gamma: missing.npy\n", "gamma", "missing.npy"),
    (HEAD + "gamma: 3\n", "gamma", "path of a .npy"),
    ("block: rmsnorm\nlength: 8\ninput: {scale: 2^-2}\nbeta: b.npy\n", "beta", "unknown key"),
    (HEAD + "epsilon: -1\n", "epsilon", "0 .. 1"),
    (HEAD + "epsilon: nope\n", "epsilon", "expected a number"),
    (HEAD + "rsqrt: {segments: 0}\n", "rsqrt.segments", ""),
    (HEAD + "rsqrt: {newton: 9}\n", "rsqrt.newton", "0..4"),
    (HEAD + "rsqrt: {shape: 1}\n", "rsqrt.shape", "unknown key"),
    (HEAD + "rsqrt: {form: table, objective: max}\n", "rsqrt.objective", "does not read"),
    (HEAD + "gamma: huge.npy\n", "gamma", "does not fit 16 signed bits"),
    (HEAD + "gamma_format: {bits: 40}\n", "gamma_format.bits", "2..24"),
    (HEAD + "gamma_format: {scale: 0.3}\n", "gamma_format.scale", "power of two"),
    ("block: layernorm\nlength: 4096\ninput: {bits: 16, scale: 2^-9}\noutput: {bits: 16}\n",
     "length", "overflow int64"),
    ("block: layernorm\nlength: 5000\ninput: {scale: 2^-2}\n", "length", "1..4096"),
    (HEAD.replace("{scale", "{signed: false, scale"), "input.signed", "signed"),
    (HEAD + "output: {scale: 0.3}\n", "output.scale", "power of two"),
    ("block: layernorm\nlength: 8\n", "input", "input.scale"),
]


@pytest.mark.parametrize("text,key,words", BAD, ids=[f"{b[1]}:{b[2]}" for b in BAD])
def test_bad_norm_specs_are_one_line_exit_2(text, key, words, tmp_path):
    _bad_npy(tmp_path)
    path, out = tmp_path / "bad.yaml", tmp_path / "out.h"
    path.write_text(text)
    result = cli("emit", "c", str(path), "-o", str(out))
    assert result.returncode == 2 and result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and f"{path}: {key}" in line and words in line, line
    assert not out.exists()
