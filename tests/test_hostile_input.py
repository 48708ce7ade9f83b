"""Hostile specs, expressions and flags (issue 9, items 7, 8, 9, 11): one line, exit 2, no file."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hostile import assert_refused, invoke, sentinel

from approxgen.errors import ApproxgenError
from approxgen.expr import compile_expr


@pytest.fixture
def work(tmp_path):
    sentinel(tmp_path / "keep.out")
    return tmp_path


def _spec(work, text: str | bytes, name="s.yaml"):
    path = work / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


BAD_SPECS = {
    "non-utf8": (b"function: gel\xffu\n", "UTF-8"),
    "huge-int": ("function: gelu\nseed: " + "9" * 5000 + "\n", "digits"),
    "huge-float": ("function: gelu\nmax_error_lsb: 1.0e+400\nsegments: auto\n", "finite"),
    "nested": ("function: gelu\nsearch_options: " + "[" * 10000 + "\n", "nested"),
    "date": ("function: gelu\nsearch_options: {when: 2024-01-01}\n", "timestamp"),
    "set": ("function: gelu\nform: table\nsearch_options: !!set {a, b}\n", "set"),
    "binary": ("function: gelu\nsearch_options: {b: !!binary aGVsbG8=}\n", "binary"),
    "alias": ("function: gelu\nsearch_options: &a {k: 1}\nx: *a\n", "anchors"),
    "recursive-alias": ("function: gelu\nsearch_options: &a [*a]\n", "anchors"),
    "duplicate": ("function: gelu\nform: pwl\nform: table\n", "duplicate key 'form'"),
    "merge": ("function: gelu\n<<: {seed: 1}\n", "merge"),
    "nan-option": ("function: gelu\nsearch_options: {k: .nan}\n", "finite"),
    "tiny-scale": ("function: gelu\noutput: {scale: 1.0e-320}\n", "output.scale"),
    "python-tag": ("function: gelu\nseed: !!python/object:os.system {}\n", "not allowed"),
    "big-option": ("function: gelu\nsearch_options: {k: 99999999999999999999999}\n",
                   "search_options.k"),
    "bad-name": ("function: gelu\nname: \"a\\nb\"\n", "name"),
    "name-newline": ("function: gelu\nname: \"gelu_x\\n\"\n", "name"),
}


BAD_SPECS.update({  # issue 22: strict types, reserved names, work that could not finish
    "order-quoted": ("function: gelu\nform: interp\norder: '2'\n", "s.yaml: order"),
    "acc-bits-quoted": ("function: gelu\nacc_bits: '64'\n", "s.yaml: acc_bits"),
    "acc-bits-float": ("function: gelu\nacc_bits: 64.0\n", "s.yaml: acc_bits"),
    "bits-quoted": ("function: gelu\ninput: {bits: '8'}\n", "s.yaml: input.bits"),
    "segments-quoted": ("function: gelu\nsegments: '8'\n", "s.yaml: segments"),
    "name-empty": ("function: gelu\nname: ''\n", "s.yaml: name"),
    "name-typeof": ("function: gelu\nname: typeof\n", "s.yaml: name"),
    "name-complex": ("function: gelu\nname: complex\n", "s.yaml: name"),
    "name-I": ("function: gelu\nname: I\n", "s.yaml: name"),
    "name-double-underscore": ("function: gelu\nname: x__y\n", "s.yaml: name"),
    "segments-65536": ("function: gelu\ninput: {bits: 16}\nsegments: 65536\n", "s.yaml: segments"),
    "quadratic-10000": ("function: gelu\ninput: {bits: 16}\nform: quadratic\nsegments: 10000\n",
                        "s.yaml: segments"),
    "uniform-4097": ("function: gelu\ninput: {bits: 16}\nsearch: uniform\nsegments: 4097\n",
                     "s.yaml: segments"),
    "pso-maxima": ("function: gelu\nsearch: pso\nsearch_options: {particles: 1000, iterations: "
                   "100000, restarts: 100, patience: 0}\n", "s.yaml: search_options"),
    "ga-maxima": ("function: gelu\nsearch: ga\nsearch_options: {population: 10000, generations: "
                  "100000, restarts: 100}\n", "s.yaml: search_options"),
})


@pytest.mark.parametrize("key", sorted(BAD_SPECS))
def test_bad_specs_are_one_line_exit_2(work, key):
    text, message = BAD_SPECS[key]
    spec = _spec(work, text)
    assert_refused(["fit", spec, "-q", "-o", work / "keep.out"], work,
                   names=("s.yaml", message))


def test_billion_laughs_is_refused_at_once(work):
    lines = ["function: gelu", 'a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
              for i in range(1, 30)]
    spec = _spec(work, "\n".join(lines) + "\n")
    started = time.perf_counter()
    assert_refused(["fit", spec, "-q"], work, names=("s.yaml:2",))
    assert time.perf_counter() - started < 5


def test_oversized_spec_is_refused(work):
    spec = _spec(work, "function: gelu\n" + "# padding\n" * 200_000)
    assert_refused(["fit", spec], work, names=("s.yaml", "larger"))


EXPRS = {
    "exp(x, x) - x": "exactly 1 argument", "abs(x, x) + x": "exactly 1 argument",
    "x + (-1)**0.5": "not a finite real", "x + 9**9**9": "not a finite real",
    "x + 10.0**400": "not a finite real", "x + 1/0": "not a finite real",
    "x + 0/0": "not a finite real", "where(x)": "exactly 3", "min(x)": "exactly 2",
    "exp(x,x,x)": "exactly 1", "max(x,1,2)": "exactly 2", "x + 1e999": "not a finite",
    "-" * 1990 + "x": "nested", "+".join(["x"] * 999): "nested", "exp(*x)": "starred",
    "log(x)": "not finite at",
}


@pytest.mark.parametrize("text", sorted(EXPRS))
def test_bad_exprs_are_one_line_exit_2(work, text):
    spec = _spec(work, f"expr: \"{text}\"\ninput: {{bits: 6, scale: 2^-3}}\n")
    assert_refused(["fit", spec, "-q"], work, names=("s.yaml: expr", EXPRS[text]))


def test_exprs_take_exactly_their_documented_arguments():
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(compile_expr("sign(x > 0)")(x), (x > 0).astype(float))
    np.testing.assert_allclose(compile_expr("where(x > 0, x, 0) + clip(x, -1, 1)")(x),
                               np.where(x > 0, x, 0) + np.clip(x, -1, 1))
    for text in ("exp(x, x)", "abs(x, x)", "clip(x, 1)", "where(x, 1)"):
        with pytest.raises(ApproxgenError, match="takes exactly"):
            compile_expr(text)


@pytest.mark.parametrize("flags, names", [
    (["--coef-format", "32:64"], ("--coef-format", "shift")),
    (["--coef-format", "32:63"], ("--coef-format", "shift")),
    (["--out-scale", "1e-320"], ("--out-scale",)),
    (["--segments", "auto", "--max-error-lsb", "0.01"], ("--max-error-lsb",)),
    (["--segments", "auto", "--max-error-lsb", "nan"], ("--max-error-lsb",)),
    (["--in-scale", "1e300"], ("--in-scale",)),
    (["--name", "int"], ("--name",)),
])
def test_flag_errors_name_the_flag(work, flags, names):
    line = assert_refused(["fit", "gelu", "-q", *flags], work, names=names)
    assert "<flags>" not in line


def test_huge_domain_is_clamped_to_the_codes(work):
    result = invoke(["fit", "gelu", "--bits", "4", "--segments", "2", "--domain", "-1e308",
                     "1e308", "--json"])
    assert result.exit_code == 0, result.stderr


def test_model_contract_errors_name_file_and_key(work, monkeypatch):
    """Errors the integer model raises without a location (the accumulator over 62 bits) are
    reported at the spec's coef_format: file and key, or the flag."""
    import approxgen.fitting

    def too_wide(spec, progress=True):
        raise ApproxgenError("the accumulator would need more than 62 bits")

    monkeypatch.setattr(approxgen.fitting, "fit", too_wide)
    spec = _spec(work, "function: gelu\n")
    assert_refused(["fit", spec, "-q"], work, names=("s.yaml: coef_format", "62 bits"))
    assert_refused(["emit", "c", "gelu"], work, names=("--coef-format", "62 bits"))


@pytest.mark.parametrize("code, status", [(13, 1), (5, 1), (2, 2)])  # EACCES, EIO, ENOENT
def test_read_errors_os_failures_exit_1_missing_files_exit_2(work, monkeypatch, code, status):
    import os

    spec = _spec(work, "function: gelu\n")
    real = os.open

    def broken(path, *args, **kwargs):  # every input is opened by approxgen.safeload.open_file
        if str(path).endswith("s.yaml"):
            raise OSError(code, os.strerror(code))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", broken)
    assert_refused(["fit", spec, "-q"], work, status=status, names=("s.yaml", os.strerror(code)))


# --- issue 22, 2: types, caps, one-code domains, names ------------------------------------------



@pytest.mark.parametrize("options", [{"particles": 1000}, {"iterations": 100_000},
                                     {"restarts": 100}, {"patience": 100_000}])
def test_each_documented_pso_maximum_alone_is_accepted(options):
    from approxgen.spec import resolve

    assert resolve({"function": "gelu", "search": "pso", "search_options": options}).search == "pso"


@pytest.mark.parametrize("options", [{"population": 10_000}, {"generations": 100_000},
                                     {"restarts": 100}])
def test_each_documented_ga_maximum_alone_is_accepted(options):
    from approxgen.spec import resolve

    assert resolve({"function": "gelu", "search": "ga", "search_options": options}).search == "ga"


def test_the_largest_segment_counts_are_accepted():
    from approxgen.spec import resolve

    wide = {"function": "gelu", "input": {"bits": 16}}
    assert resolve({**wide, "segments": 4096}).segments == 4096
    assert resolve({**wide, "segments": 1024, "form": "quadratic"}).segments == 1024


@pytest.mark.parametrize("flags", [["--segments", "65536"],
                                   ["--segments", "10000", "--form", "quadratic"]])
def test_segment_caps_name_the_flag(work, flags):
    assert_refused(["fit", "gelu", "--bits", "16", "-q", *flags], work, names=("--segments",))


@pytest.mark.parametrize("value, fold", [("on", "on"), ("off", "none"), ("true", "on"),
                                         ("'on'", "on"), ("none", "none")])
def test_fold_on_and_off_unquoted(value, fold):
    from approxgen.spec import loads_yaml, resolve

    raw = loads_yaml(f"function: gelu\nfold: {value}\n", "s.yaml")
    assert resolve(raw, "s.yaml").fold == fold


def test_flags_still_take_numbers_as_text(work):
    result = invoke(["fit", "gelu", "--bits", "6", "--segments", "3", "--acc-bits", "64",
                     "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"segments": 3' in result.stdout and '"acc_bits": 64' in result.stdout


@pytest.mark.parametrize("keys, where", [
    ({"bits": "8"}, "input.bits"), ({"segments": "8"}, "segments"), ({"name": ""}, "name"),
    ({"acc_bits": 64.0}, "acc_bits"),
])
def test_api_keys_of_the_wrong_type_are_refused(keys, where):
    import approxgen

    with pytest.raises(ApproxgenError) as info:
        approxgen.fit("gelu", **keys)
    assert info.value.where.endswith(where)


@pytest.mark.parametrize("call, where", [
    (lambda a, f: a.emit(f, ["c"]), "target"),
    (lambda a, f: a.emit(f, "verilog", pipeline="yes"), "pipeline"),
    (lambda a, f: a.emit(f, "c", segment_search="fast"), "segment_search"),
    (lambda a, f: a.load(None), "load(path)"),
    (lambda a, f: a.load(5), "load(path)"),
    (lambda a, f: f.save(None), "save(path)"),
    (lambda a, f: f.save(5), "save(path)"),
    (lambda a, f: f.save(""), "save(path)"),
    (lambda a, f: f.quantize(np.array([1 + 1j])), "x"),
    (lambda a, f: f.quantize(["1.5"]), "x"),
])
def test_api_errors_name_where(tmp_path, monkeypatch, call, where):
    import approxgen

    monkeypatch.chdir(tmp_path)
    fit = approxgen.fit("gelu", bits=4, segments=2)
    with pytest.raises(ApproxgenError) as info:
        call(approxgen, fit)
    assert info.value.where == where
    assert list(tmp_path.iterdir()) == []  # no file named None, 5


@pytest.mark.parametrize("keys", [{"form": "table", "input": {"bits": 2}},
                                  {"form": "table", "domain": [0, 0.2]},
                                  {"form": "ibert", "domain": [0, 0.1]}])
def test_fits_on_fewer_than_8_codes_load_and_build_caches_them(tmp_path, keys):
    import json

    import approxgen

    fit = approxgen.fit("gelu", **keys)
    fit.save(str(tmp_path / "f.json"))
    assert approxgen.load(str(tmp_path / "f.json")).to_json() == fit.to_json()
    spec = tmp_path / "specs" / "t.yaml"
    spec.parent.mkdir()
    spec.write_text(json.dumps({"function": "gelu", **keys}))
    for _ in range(2):
        result = invoke(["build", spec, "--out", tmp_path / "out"])
        assert result.exit_code == 0, result.stderr
    assert "cached" in result.stdout.splitlines()[0]


def test_a_one_code_domain_is_a_fit(work):
    result = invoke(["fit", "gelu", "--bits", "8", "--domain", "0", "0", "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"lo_code": 0' in result.stdout and '"hi_code": 0' in result.stdout


def test_constant_calibration_samples_fit_one_code(work):
    (work / "c.txt").write_text("0.5 0.5 0.5\n")
    result = invoke(["fit", "gelu", "--form", "pwl", "--calibrate", work / "c.txt", "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"segments": 1' in result.stdout


def test_a_calibration_record_with_an_unknown_key_is_refused(work):
    import json

    import approxgen
    from approxgen import artifact

    (work / "c.txt").write_text("0.1 0.5 0.9\n")
    data = approxgen.fit("gelu", bits=6, segments=2, calibrate=str(work / "c.txt")).to_json()
    data["calibration"]["extra"] = 1
    data["digest"] = artifact.digest(data)
    with pytest.raises(ApproxgenError, match="calibration.extra"):
        artifact.loads(json.dumps(data))


@pytest.mark.parametrize("flag, value", [("--segments", "4,,8"), ("--form", ""),
                                         ("--search", "exact,"), ("--segments", ",")])
def test_sweep_refuses_empty_items(work, flag, value):
    assert_refused(["sweep", "gelu", "--no-yosys", flag, value], work, names=(flag,))


def test_names_differing_only_in_case_are_refused_in_one_build(work):
    (work / "a.yaml").write_text("function: gelu\nname: Gelu\n")
    (work / "b.yaml").write_text("function: gelu\nname: gelu\n")
    assert_refused(["build", work / "a.yaml", work / "b.yaml", "--out", work / "out"], work,
                   names=("b.yaml", "only in case"))
