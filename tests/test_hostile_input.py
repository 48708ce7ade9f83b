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
    import approxgen.fit

    def too_wide(spec, progress=True):
        raise ApproxgenError("the accumulator would need more than 62 bits")

    monkeypatch.setattr(approxgen.fit, "fit", too_wide)
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
