"""The ``_array`` variants of the C headers that work in blocks (folded fits: |q|, the half's own
``_array``, the reconstruction; quadratic: three passes) over every value of the C input type in a
random order, so blocks mix signs and segments: whole buffer, pieces of 0..200 elements (n = 0,
tails, several blocks), in place (x == y), and n = 0 writing nothing; gcc and clang, under
ASan+UBSan and vectorized at -O3."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import fit_raw, require_tool
from test_emit_c import require_sanitizers

from approxgen import verify
from approxgen.emit import c as emit_c
from approxgen.forms.folded import FoldedModel

# lengths of the consecutive pieces: empty ones, tails, exactly a block, several blocks
PIECES = (0, 64, 1, 63, 65, 0, 128, 127, 129, 3, 200, 66)
SENTINEL = 0x5A  # the byte n = 0 must leave in place
INT16_SIGMOID = {"input": {"bits": 16, "scale": "2^-12"},
                 "output": {"bits": 16, "scale": "2^-15"}}
INT12 = {"input": {"bits": 12, "scale": "2^-8"}, "output": {"bits": 12, "scale": "2^-8"}}


def _fits() -> list:
    """Folded int8 fits of each form and symmetry kind (odd, point, minus x), folded int16 and
    12-bit-in-int16_t fits (stray values clamped), and unfolded quadratics of each search."""
    fits = []
    for function in ("tanh", "sigmoid", "gelu"):
        for form in ("pwl", "quadratic", "table", "interp"):
            keys = {} if form == "table" else {"segments": 16 if form == "interp" else 6}
            fits.append(fit_raw(name=f"{function}_{form}", function=function, form=form,
                                fold="on", input={"bits": 8}, **keys))
    # an output narrower than f's range: both sides saturate
    fits.append(fit_raw(name="tanh_narrow_pwl", function="tanh", segments=6, fold="on",
                        input={"bits": 8}, output={"bits": 6, "scale": "2^-6"}))
    # a 24-bit output (int32_t): the reconstruction in 32-bit arithmetic, not modulo 2^w
    fits.append(fit_raw(name="gelu24_pwl", function="gelu", segments=6, fold="on",
                        input={"bits": 12, "scale": "2^-8"},
                        output={"bits": 24, "scale": "2^-8"}))
    fits.append(fit_raw(name="sigmoid16_pwl", function="sigmoid", segments=24, fold="on",
                        search="uniform", **INT16_SIGMOID))
    # only the accumulator needs 33 bits: computed modulo 2^32 in uint32_t
    fits.append(fit_raw(name="gelu16_pwl", function="gelu", segments=16, fold="on",
                        search="uniform", input={"bits": 16, "scale": "2^-12"},
                        output={"bits": 16, "scale": "2^-12"}))
    fits += [_renamed(fits[-1], name) for name in SEARCHES]
    # the bucket decode with the 16-bit lanes' offsets (bucket_lanes_array): folded (|q| and
    # the reconstruction fused in), unfolded on the 64-code grid (no compare) and off it
    for name, function, segments, fold in BUCKET_LANES:
        fits.append(fit_raw(name=name, function=function, form="pwl", segments=segments,
                            fold=fold, search="uniform", input={"bits": 16, "scale": "2^-12"},
                            output={"bits": 16, "scale": "2^-12"}))
    fits.append(fit_raw(name="tanh16_quadratic", function="tanh", form="quadratic", segments=12,
                        fold="on", search="uniform", **INT16_SIGMOID))
    fits.append(fit_raw(name="gelu12_pwl", function="gelu", segments=9, fold="on",
                        search="uniform", **INT12))
    fits.append(fit_raw(name="silu12_quadratic", function="silu", form="quadratic", segments=7,
                        fold="on", search="uniform", **INT12))
    for segments in (1, 3, 9):
        fits.append(fit_raw(name=f"gelu16_quadratic{segments}", function="gelu",
                            form="quadratic", segments=segments, fold="none", search="uniform",
                            input={"bits": 16, "scale": "2^-12"},
                            output={"bits": 16, "scale": "2^-12"}))
    return fits


BUCKET_LANES = (("gelu16_folded_lanes", "gelu", 32, "on"), ("gelu16_grid", "gelu", 32, "none"),
                ("silu16_offgrid", "silu", 40, "none"))


def test_bucket_lanes_fits_take_that_decoder(fits):
    """The BUCKET_LANES fits exercise the bucket decode's lanes array: fused, direct, compares."""
    headers = {f.spec.name: emit_c.render(f) for f in fits}
    assert "Pass 1 (vectorized): u = |q|, s = u - 32768, the bucket index;" in headers[
        "gelu16_folded_lanes"]
    assert "Pass 1 (vectorized): s = u, the bucket index;" in headers["gelu16_grid"]
    silu = headers["silu16_offgrid"]
    assert "Pass 1 (vectorized): s = u;" in silu and "one load and one compare" in silu


# fits rendered with another segment search than auto (the wrapping accumulator in each)
SEARCHES = {"gelu16_pwl_chain": "chain", "gelu16_pwl_binary": "binary"}


def _renamed(f, name: str):
    return dataclasses.replace(f, spec=dataclasses.replace(f.spec, name=name))


@pytest.fixture(scope="module")
def fits():
    return _fits()


def harness(fits) -> str:
    """A program reading NAME.in (the input values, int64, in the test's order) and writing
    NAME.out: per value the whole-buffer result, the pieces' and the in-place one (int64), then
    one flag: n = 0 left its output buffer alone."""
    lines = ["#include <stdio.h>", "#include <stdint.h>", "#include <string.h>"]
    lines += [f'#include "{f.spec.name}.h"' for f in fits]
    lines.append(f"static const size_t ag_pieces[{len(PIECES)}] = "
                 f"{{{', '.join(map(str, PIECES))}}};")
    calls = []
    for f in fits:
        name, inp, out = f.spec.name, f.spec.input, f.spec.output
        in_t, out_t = emit_c.ctype(inp.bits, inp.signed), emit_c.ctype(out.bits, out.signed)
        n = verify.input_values(f, every_value=True).size
        same = (f"{name}_array(ag_same, ag_same, ag_n);" if in_t == out_t
                else "memcpy(ag_same, ag_full, sizeof ag_full);")
        lines.append(f"""
static int ag_run_{name}(void)
{{
    static int64_t ag_in[{n}], ag_rows[{n}][3];
    static {in_t} ag_x[{n}];
    static {out_t} ag_full[{n}], ag_part[{n}], ag_same[{n}], ag_none[{n}];
    size_t ag_i, ag_k, ag_len, ag_n = {n};
    int64_t ag_untouched = 1;
    FILE *ag_file = fopen("{name}.in", "rb");
    if (ag_file == NULL || fread(ag_in, sizeof ag_in[0], ag_n, ag_file) != ag_n) return 1;
    fclose(ag_file);
    for (ag_i = 0; ag_i < ag_n; ++ag_i)
        ag_x[ag_i] = ({in_t})ag_in[ag_i];
    {name}_array(ag_x, ag_full, ag_n);
    for (ag_i = 0, ag_k = 0; ag_i < ag_n; ag_i += ag_len, ++ag_k) {{
        ag_len = ag_pieces[ag_k % {len(PIECES)}];
        ag_len = ag_len < ag_n - ag_i ? ag_len : ag_n - ag_i;
        {name}_array(ag_x + ag_i, ag_part + ag_i, ag_len);
    }}
    memcpy(ag_same, ag_x, sizeof ag_x);
    {same}
    memset(ag_none, {SENTINEL}, sizeof ag_none);
    {name}_array(ag_x, ag_none, 0);
    for (ag_i = 0; ag_i < sizeof ag_none; ++ag_i)
        ag_untouched &= ((const unsigned char *)ag_none)[ag_i] == {SENTINEL};
    for (ag_i = 0; ag_i < ag_n; ++ag_i) {{
        ag_rows[ag_i][0] = (int64_t)ag_full[ag_i];
        ag_rows[ag_i][1] = (int64_t)ag_part[ag_i];
        ag_rows[ag_i][2] = (int64_t)ag_same[ag_i];
    }}
    ag_file = fopen("{name}.out", "wb");
    if (ag_file == NULL || fwrite(ag_rows, sizeof ag_rows[0], ag_n, ag_file) != ag_n
            || fwrite(&ag_untouched, sizeof ag_untouched, 1, ag_file) != 1
            || fclose(ag_file) != 0) return 1;
    return 0;
}}""")
        calls.append(f"    ag_status |= ag_run_{name}();")
    lines += ["", "int main(void)", "{", "    int ag_status = 0;", *calls,
              "    return ag_status;", "}", ""]
    return "\n".join(lines)


BUILDS = {"O2-sanitized": ("-O2", True), "O3": ("-O3", False)}


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_array_in_any_order_pieces_in_place_and_empty(fits, compiler, build, tmp_path):
    require_tool(compiler)
    opt, sanitize = BUILDS[build]
    if sanitize:
        require_sanitizers(compiler, tmp_path)
    rng = np.random.default_rng(14)
    inputs = {}
    for f in fits:
        values = rng.permutation(verify.input_values(f, every_value=True))
        inputs[f.spec.name] = values
        (tmp_path / f"{f.spec.name}.h").write_text(
            emit_c.render(f, SEARCHES.get(f.spec.name, "auto")))
        values.astype(np.int64).tofile(tmp_path / f"{f.spec.name}.in")
    source = tmp_path / "main.c"
    source.write_text(harness(fits))
    exe = verify.compile_c(compiler, verify.c_flags(sanitize=sanitize, opt=opt), source,
                           tmp_path / "harness")
    result = verify.run_tool([exe], "the array harness", timeout=300, cwd=tmp_path)
    assert "runtime error" not in result.stderr and "Sanitizer" not in result.stderr, \
        result.stderr
    problems = []
    for f in fits:
        values = inputs[f.spec.name]
        raw = np.fromfile(tmp_path / f"{f.spec.name}.out", dtype=np.int64)
        got = raw[:values.size * 3].reshape(-1, 3)
        untouched = raw[values.size * 3:].tolist() == [1]
        bad = np.flatnonzero((got != verify.expected(f, values)[:, None]).any(axis=1))
        if bad.size:
            problems.append(f"{f.spec.name}: {bad.size} values differ, first x={values[bad[0]]}:"
                            f" whole, pieces, in place {got[bad[0]].tolist()}")
        if not untouched:
            problems.append(f"{f.spec.name}: n = 0 wrote to y")
    assert not problems, "\n".join(problems)


def test_the_matrix_covers_what_it_claims(fits):
    """Every form folded, both inner widths, stray values, the quadratic's searches."""
    folded = [f for f in fits if isinstance(f.model, FoldedModel)]
    assert {f.model.form for f in folded} == {"pwl", "quadratic", "table", "interp"}
    assert {(f.model.s, f.model.b != 0, f.model.a != 0) for f in folded} >= {
        (-1, False, False), (-1, False, True), (1, True, False)}
    assert any(f.model.inner.output.bits > 16 for f in folded)  # an int32_t half
    assert any(f.spec.input.bits == 12 for f in folded)  # values of int16_t that are no code
    # the reconstruction saturates only on the sides it reaches; where it never does, an output
    # of at most 16 bits is computed modulo 2^w (signed and unsigned outputs, A and B terms)
    body = {f.spec.name: emit_c.render(f).split(f"{f.spec.name}_affine(")[1].split("}")[0]
            for f in folded}
    assert any("r < " in h for h in body.values()) and any("r > " in h for h in body.values())
    wrapped = [f for f in folded if "unsigned v" in body[f.spec.name]]
    assert {f.spec.output.signed for f in wrapped} == {True, False}
    assert any(f.model.a for f in wrapped) and any(f.model.b for f in wrapped)
    assert any(f.spec.output.bits > 8 for f in wrapped)
    assert any("r < " not in h and "r > " not in h and "unsigned v" not in h
               for h in body.values()), "no 32-bit reconstruction without saturation"
    for name, search in {"gelu16_pwl": "auto", **SEARCHES}.items():
        f = next(f for f in fits if f.spec.name == name)
        header = emit_c.render(f, search)
        assert "computed modulo 2^32 in" in header, name
        assert {"auto": "Bucket table", "chain": "compare-and-mask chain",
                "binary": "binary search"}[search] in header, name
    headers = [emit_c.render(f) for f in fits if f.model.form == "quadratic"]
    assert any("Bucket table" in h for h in headers)
    assert any("_breakpoints[0]);" in h for h in headers)  # the chain
    assert any("int64_t" in h.split("_eval(")[1][:20] for h in headers)
    assert any("int32_t" in h.split("_eval(")[1][:20] for h in headers)
