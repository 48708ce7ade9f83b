"""The softmax block (issue 23): spec errors, the golden model's contract, the exp stage (range
reduction by ln 2 around an approxgen fit of 2^-r), and the emitted C compiled with gcc, bit for
bit with the golden model on the exp stage (every ``u = max - x`` code), every reachable ``d``
code, and the seeded and adversarial rows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from approxgen.blocks import load
from approxgen.blocks.softmax import metrics, sample_rows
from approxgen.emit.c import header_table_bytes, render_block
from approxgen.verify_block import model_rows
from conftest import require_tool, run_cli as cli

SOFTMAX8 = {"block": "softmax", "name": "sm8", "length": 768,
            "input": {"bits": 8, "signed": True, "scale": "2^-4"},
            "output": {"bits": 8, "signed": False, "scale": "2^-8"}}
SOFTMAX8_U16 = {**SOFTMAX8, "name": "sm8w", "length": 384, "exp_bits": 20,
                "input": {"bits": 8, "scale": "2^-3"},
                "output": {"bits": 16, "scale": "2^-15"}}
SOFTMAX16 = {**SOFTMAX8, "name": "sm16", "length": 384,
             "input": {"bits": 16, "scale": "2^-11"},
             "output": {"bits": 16, "scale": "2^-15"}}

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "block.h"
/* stdin: records of (uint32 n, n input codes); stdout: n output codes per record.
 * With an argument: EXP_of(u) for u = 0 .. argument - 1, as uint32. */
int main(int argc, char **argv)
{
    static IN x[1 << 16];
    static OUT y[1 << 16];
    uint32_t n;
    if (argc > 1) {
        uint32_t u, count = (uint32_t)atol(argv[1]);
        for (u = 0; u < count; u++) {
            uint32_t e = NAME_exp_of(u);
            fwrite(&e, sizeof e, 1, stdout);
        }
        return 0;
    }
    while (fread(&n, sizeof n, 1, stdin) == 1) {
        if (fread(x, sizeof x[0], n, stdin) != n)
            return 3;
        NAME(x, y, n);
        fwrite(y, sizeof y[0], n, stdout);
    }
    return 0;
}
"""


def compile_block(block, tmp_path: Path, in_place: bool = False, define: str = "") -> Path:
    """The block's header with the harness, built with gcc -O2 -Wall -Wextra -Werror in
    ``tmp_path`` (in place: ``y`` is ``x``'s buffer; ``define``: one more -D)."""
    gcc = require_tool("gcc")
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "block.h").write_text(render_block(block))
    in_t = f"int{block.input.bits}_t"
    out_t = f"uint{8 if block.output.bits <= 8 else 16}_t"
    source = HARNESS.replace("NAME", block.name)
    if in_place:
        source = source.replace(f"{block.name}(x, y, n);",
                                f"{block.name}(x, ({out_t} *)x, n); memcpy(y, x, n * sizeof y[0]);")
        source = "#include <string.h>\n" + source
    (tmp_path / "h.c").write_text(source)
    exe = tmp_path / "h"
    subprocess.run([gcc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                    f"-DIN={in_t}", f"-DOUT={out_t}", *([f"-D{define}"] if define else []),
                    "-o", str(exe), str(tmp_path / "h.c")],
                   check=True, capture_output=True, text=True)
    return exe


def run_rows(exe: Path, block, rows: list[np.ndarray]) -> list[np.ndarray]:
    """The C outputs of ``rows`` (1-D arrays of input codes)."""
    in_t = np.dtype(f"int{block.input.bits}")
    out_t = np.dtype("uint8" if block.output.bits <= 8 else "uint16")
    data = b"".join(np.uint32(r.size).tobytes() + r.astype(in_t).tobytes() for r in rows)
    out = np.frombuffer(subprocess.run([str(exe)], input=data, capture_output=True,
                                       check=True).stdout, dtype=out_t)
    pieces, at = [], 0
    for r in rows:
        pieces.append(out[at:at + r.size].astype(np.int64))
        at += r.size
    assert at == out.size
    return pieces


def stated_rows(block, seed: int = 7) -> list[np.ndarray]:
    """The seeded and adversarial rows at lengths 1, 2, 64, 100 and the maximum."""
    rows = []
    for n in (1, 2, 64, 100, block.length):
        for batch in sample_rows(block, n, 8, seed + n).values():
            rows.extend(batch)
    return rows


@pytest.mark.parametrize("raw", [SOFTMAX8, SOFTMAX8_U16, SOFTMAX16],
                         ids=["out8", "out16", "int16"])
def test_c_is_bit_exact_with_the_golden_model(raw, tmp_path):
    """(a) the exp stage EXP over every u code, (b) every reachable d code, (c) the seeded and
    adversarial rows, in a separate buffer and in place (same-width types); int8 also without
    the stack array of EXP values (``NAME_EXP_CACHE=0``)."""
    block = load(raw, "<test>")
    exe = compile_block(block, tmp_path)
    codes = block.input.max_code - block.input.min_code + 1  # every u = max - x: 0 .. codes-1
    exp_c = np.frombuffer(subprocess.run([str(exe), str(codes)], capture_output=True,
                                         check=True).stdout, dtype=np.uint32)
    assert np.array_equal(exp_c.astype(np.int64), block.exp_of(np.arange(codes)))
    rows = block.reach_rows() + stated_rows(block)
    want = model_rows(block, rows)
    variants = [compile_block(block, tmp_path / "in_place", in_place=True)] \
        if block.output.bits == block.input.bits else []
    if raw is SOFTMAX8:
        variants.append(compile_block(block, tmp_path / "no_cache", define="SM8_EXP_CACHE=0"))
    for program in [exe, *variants]:
        for got, expected in zip(run_rows(program, block, rows), want):
            assert np.array_equal(got, expected)


@pytest.mark.parametrize("raw", [SOFTMAX8, SOFTMAX16], ids=["int8", "int16"])
def test_exp_stage_is_the_range_reduced_fit_within_2_pow_minus_20(raw):
    """EXP(u) is within 2^-20 relative (plus its rounding at 2^E) of 2^E exp(-u S_in) over every
    u code, EXP is non-increasing, and the tables (the fit's) fit 1 KiB."""
    block = load(raw, "<test>")
    u = np.arange(block.span + 1)
    got = block.exp_of(u)
    exact = np.ldexp(np.exp(-u * block.input.scale), block.exp_bits)
    assert np.all(np.abs(got - exact) <= exact * 2.0 ** -20 + 0.5)
    assert np.all(np.diff(got) <= 0)
    assert block.exp_fit.spec.form == "quadratic" and block.exp_fit.spec.segments == 16
    assert header_table_bytes(render_block(block)) <= 1024


def test_exp_fit_is_overridable_under_exp():
    """``exp:`` sets the inner fit's form, segments and input bits; the stage follows it."""
    block = load({**SOFTMAX8, "exp": {"form": "pwl", "segments": 8, "fraction_bits": 10,
                                      "bits": 20}, "exp_bits": 16}, "<test>")
    fit = block.exp_fit.spec
    assert (fit.form, fit.segments, fit.input.bits, fit.output.bits) == ("pwl", 8, 10, 20)
    assert block.fit_shift == 19 and abs(block.exp_of(np.array([0]))[0] - (1 << 16)) <= 64


def test_golden_model_contract():
    """Exact integer division: a row of equal codes gives round(2^P / n); a one-hot row
    saturates at the output maximum; int8 is correctly rounded on the stated rows (every output
    the float64 softmax rounded half up, saturated) with the argmax kept."""
    block = load(SOFTMAX8, "<test>")
    for n in (1, 3, 7, 768):
        y = block.model(np.zeros((1, n), dtype=np.int64))
        assert np.all(y == min((2 * 256 + n) // (2 * n), 255))
    hot = np.full((1, 10), -128)
    hot[0, 4] = 127
    assert block.model(hot)[0, 4] == 255 and block.model(hot).sum() == 255
    for n in (64, 768):
        for name, rows in sample_rows(block, n, 20, 3).items():
            m = metrics(block, rows)
            assert m["max_error_lsb"] == 0 and m["max_unsaturated_real_error_lsb"] <= 0.5, name
            assert m["argmax_disagreements"] == 0, name
    with pytest.raises(Exception, match="1..768"):
        block.model(np.zeros((1, 769), dtype=np.int64))


def test_emit_c_of_a_block_spec(tmp_path):
    """``approxgen emit c SPEC`` writes the header render_block gives (byte-identical twice)."""
    spec = tmp_path / "sm.yaml"
    spec.write_text("block: softmax\nname: sm8\nlength: 768\n"
                    "input: {bits: 8, signed: true, scale: 2^-4}\n"
                    "output: {bits: 8, signed: false, scale: 2^-8}\n")
    a, b = tmp_path / "a.h", tmp_path / "b.h"
    for path in (a, b):
        result = cli("emit", "c", str(spec), "-o", str(path))
        assert result.returncode == 0, result.stderr
    assert a.read_bytes() == b.read_bytes() == render_block(load(SOFTMAX8, "<t>")).encode()
    assert "void sm8(const int8_t *x, uint8_t *y, size_t n)" in a.read_text()


BAD = [
    ("block: softmaxx\nlength: 8\n", "block", "unknown block"),
    ("block: softmax\nlength: 0\ninput: {scale: 2^-4}\n", "length", "1..65536"),
    ("block: softmax\nlength: 70000\ninput: {scale: 2^-4}\n", "length", "1..65536"),
    ("block: softmax\ninput: {scale: 2^-4}\n", "length", "needs length"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4}\nsegments: 4\n", "segments",
     "unknown key"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4, range: [0, 1]}\n", "input.range",
     "unknown key"),
    ("block: softmax\nlength: 8\ninput: {bits: 12, scale: 2^-4}\n", "input.bits", "8 or 16"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4}\nexp_bits: 25\n", "exp_bits", "4..24"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4}\nexp: {fraction_bits: 20}\n",
     "exp.fraction_bits", "4..16"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4}\nexp: {segments: 0}\n", "exp.segments",
     ""),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4}\nexp: {newton: 1}\n", "exp.newton",
     "unknown key"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^8}\n", "input.scale", "too coarse"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4}\noutput: {signed: true}\n",
     "output.signed", "unsigned"),
    ("block: softmax\nlength: 8\ninput: {scale: 2^-4}\noutput: {scale: 0.3}\n",
     "output.scale", "power of two"),
]


@pytest.mark.parametrize("text,key,words", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_block_specs_are_one_line_exit_2(text, key, words, tmp_path):
    spec, out = tmp_path / "bad.yaml", tmp_path / "out.h"
    spec.write_text(text)
    result = cli("emit", "c", str(spec), "-o", str(out))
    assert result.returncode == 2 and result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and f"{spec}: {key}" in line and words in line, line
    assert not out.exists()


@pytest.mark.parametrize("args,words", [(("report",), "only approxgen emit, verify and build"),
                                        (("emit", "c", "--segments", "4"), "fit flags"),
                                        (("emit", "c", "--segment-search", "chain"),
                                         "--segment-search applies to a fit")])
def test_what_blocks_do_not_take_yet_is_refused(args, words, tmp_path):
    spec = tmp_path / "sm.yaml"
    spec.write_text("block: softmax\nlength: 8\ninput: {scale: 2^-4}\n")
    result = cli(*args[:2], str(spec), *args[2:]) if len(args) > 1 else cli(args[0], str(spec))
    assert result.returncode == 2 and words in result.stderr and str(spec) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["block: softmax\nlength: 8\ninput: {scale: 2^-4}\n",
                                  "function: tanh\nsegments: 2\nname: tanh_once\n"])
def test_a_spec_file_is_parsed_once(text, tmp_path, monkeypatch):
    """load_target reads a spec file's YAML once, block or function spec."""
    from approxgen import spec as specs
    from approxgen.cli.common import _FLAG_NAMES, load_target

    path = tmp_path / "s.yaml"
    path.write_text(text)
    calls = []
    real = specs.loads_yaml
    monkeypatch.setattr(specs, "loads_yaml", lambda *a, **k: calls.append(1) or real(*a, **k))
    flags = dict.fromkeys(_FLAG_NAMES)
    load_target(str(path), flags, allow_blocks=True)
    assert len(calls) == 1
