"""``approxgen emit c``: every header compiles warning-free as C99 and as C++, and computes exactly
what the golden model computes, for every input code, through the scalar function, the array
variant (whole buffer, odd-sized pieces, in place) and under the sanitizers."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from approxgen import spec as specs, verify
from approxgen.cli import main
from approxgen.emit import c as emit_c
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat
from approxgen.fitting import fit
from conftest import CONFIGS, require_tool, shipped_fit

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ["gelu", "silu", "tanh", "sigmoid", "softplus", "elu", "hswish", "mish", "exp", "recip",
             "rsqrt"]


def draw_spec(rng: random.Random, index: int) -> dict:
    """A random raw spec: 8/12/16-bit, signed or not, pow2 or arbitrary scales, both forms,
    1..64 segments, auto or fixed coefficient formats, output up to 32 bits (may saturate)."""
    in_bits = (8, 12, 16)[index % 3]
    function = rng.choice(FUNCTIONS)
    fixed = rng.random() < 0.3
    exp = rng.randint(in_bits - 6, in_bits - 2)
    out_bits = rng.choice([8, 8, 12, 16, 24, 32])
    raw = {"name": f"r{index}_{function}", "function": function, "search": "uniform",
           # mse only up to 16 output bits: the mse intercept sweep allocates (codes x output
           # steps) and exhausts memory on 16-bit inputs with wider outputs (a fitter limitation)
           "objective": rng.choice(["max", "mse"]) if out_bits <= 16 else "max",
           "input": {"bits": in_bits, "signed": rng.random() < 0.6,
                     "scale": f"2^-{exp}" if fixed or rng.random() < 0.5
                     else round(rng.uniform(0.5, 1.0) * 2.0 ** -exp, 6)},
           "output": {"bits": out_bits, "signed": rng.random() < 0.7}}
    if rng.random() < 0.3:
        raw["output"]["scale"] = f"2^-{rng.randint(2, raw['output']['bits'] - 1)}"
    if rng.random() < 0.2:
        raw["form"] = "table"
        del raw["search"], raw["objective"]  # keys a table does not read are refused
        return raw
    raw["segments"] = rng.choice([1, 2, 3, 5, 8, 13, 32, 48, 49, 64] if in_bits < 16
                                 else [4, 16, 33, 49])
    if fixed:
        raw["coef_format"] = rng.choice(["8:6", "12:8", "6:4",
                                         {"slope": "10:8", "intercept": "16:10"}])
    return raw


EDGE_SPECS = [  # corners random draws may miss: no shift, one segment, the widest formats
    {"search": "uniform", "name": "e_shift0", "function": "hswish", "coef_format": "8:0",
     "input": {"bits": 8, "scale": "2^-2"}, "output": {"bits": 8, "scale": "2^-2"}},
    {"search": "uniform", "name": "e_one_seg", "function": "sigmoid", "segments": 1,
     "input": {"bits": 12, "signed": False}, "output": {"bits": 8}},
    {"search": "uniform", "name": "e_u16_u32", "function": "recip", "segments": 24,
     "input": {"bits": 16, "signed": False}, "output": {"bits": 32, "signed": False}},
    # many segments: bucket tables whose 64-code buckets hold two or three breakpoints
    {"search": "uniform", "name": "e_bucket2", "function": "tanh", "segments": 100,
     "input": {"bits": 12}, "output": {"bits": 8}},
    {"search": "uniform", "name": "e_bucket3", "function": "silu", "segments": 150,
     "input": {"bits": 12, "signed": False}},
]


def drawn_fits(count: int, seed: int = 4) -> list:
    """The edge specs, then ``count`` fits of random specs (refused specs are drawn again)."""
    fits = [fit(specs.resolve(dict(raw, fold="none"), "<edge>")) for raw in EDGE_SPECS]
    rng, index = random.Random(seed), 0
    count += len(fits)
    while len(fits) < count:
        raw = dict(draw_spec(rng, index), fold="none")  # the forms' own variants
        index += 1
        try:
            fits.append(fit(specs.resolve(raw, "<drawn>")))
        except ApproxgenError:
            continue
    return fits


def assert_bit_exact(fits, outputs: dict, every_value: bool = False, searches=None) -> None:
    """Every variant of every fit (:data:`verify.C_VARIANTS`) equals the golden model (on
    every value of the C input type with ``every_value``); ``searches``: each fit's segment
    search, named in the failure."""
    problems = []
    for f in fits:
        count, first = verify.compare(f, outputs[f.spec.name], verify.C_VARIANTS, every_value)
        if count:
            search = f" ({searches[f.spec.name]})" if searches else ""
            problems.append(f"{f.spec.name}{search}: {count} values differ, first {first[0]}")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def shipped():
    """A fit of every shipped config, renamed after its file (names must be unique per program)."""
    fits = [shipped_fit(path) for path in CONFIGS]
    return [dataclasses.replace(f, spec=dataclasses.replace(f.spec, name=path.stem))
            for f, path in zip(fits, CONFIGS)]


@pytest.fixture(scope="module")
def drawn():
    return drawn_fits(18)


COMPILERS = {"c99 -O2": ("cc", False), "c++": ("c++", True)}


@pytest.mark.parametrize("lang", COMPILERS)
def test_shipped_configs_are_bit_exact(shipped, lang, tmp_path):
    compiler, cxx = COMPILERS[lang]
    require_tool(compiler)
    assert len(shipped) == len(CONFIGS) >= 10
    assert_bit_exact(shipped, verify.run_c(shipped, tmp_path, compiler, cxx=cxx))


@pytest.mark.parametrize("lang", COMPILERS)
def test_drawn_formats_are_bit_exact(drawn, lang, tmp_path):
    compiler, cxx = COMPILERS[lang]
    require_tool(compiler)
    assert_bit_exact(drawn, verify.run_c(drawn, tmp_path, compiler, cxx=cxx))


@pytest.mark.parametrize("search", ["chain", "bucket", "binary"])
def test_every_segment_search_is_bit_exact(drawn, search, tmp_path):
    require_tool("cc")
    pwl = [f for f in drawn if f.model.form == "pwl"]
    assert_bit_exact(pwl, verify.run_c(pwl, tmp_path, "cc", segment_search=search))


def _plan_segments(plan, lo: int, codes: np.ndarray) -> np.ndarray:
    """The segment of every code as the emitted bucket search computes it."""
    u = codes - lo
    j = u >> plan.width_bits
    first = np.array(plan.first)
    thresholds = np.array(plan.thresholds).reshape(len(plan.first), plan.compares)
    offset = u & ((1 << plan.width_bits) - 1)
    return first[j] + np.sum(offset[:, None] >= thresholds[j], axis=1)


def _most_inner(breakpoints, lo: int, width_bits: int) -> int:
    """The most breakpoints any bucket of 2^width_bits codes holds apart from its first code."""
    inner = [(b - lo) >> width_bits for b in breakpoints if (b - lo) % (1 << width_bits)]
    return max(np.bincount(inner), default=0) if inner else 0


@pytest.mark.parametrize("seed", range(40))
def test_bucket_plan_finds_every_segment(seed):
    rng = random.Random(seed)
    bits, signed = rng.choice([4, 8, 12, 16]), rng.random() < 0.5
    fmt = IntFormat(bits, signed, 1.0)
    grid = min(bits - 1, rng.choice([0, 0, 3, 6, 8]))  # some on a power-of-two grid (aligned)
    count = rng.randint(0, min(40, ((1 << bits) >> grid) - 1))
    offsets = sorted(rng.sample(range(1, (1 << bits) >> grid), count))
    model = SimpleNamespace(input=fmt, breakpoints=[fmt.min_code + (o << grid) for o in offsets])
    codes = fmt.codes()
    want = np.searchsorted(np.array(model.breakpoints, dtype=np.int64), codes, side="right")
    for min_width in (0, min(bits, 6)):
        plan = emit_c.bucket_plan(model, min_width)
        if plan is None:  # even the narrowest allowed buckets hold more than the most compares
            assert _most_inner(model.breakpoints, fmt.min_code, min_width) > \
                emit_c.BUCKET_MAX_COMPARES
            continue
        assert plan.width_bits >= min_width
        assert np.array_equal(_plan_segments(plan, fmt.min_code, codes), want)
        assert plan.compares == _most_inner(model.breakpoints, fmt.min_code, plan.width_bits)
        if grid >= 6 and bits >= 6:
            assert plan.aligned and plan.width_bits >= grid
        elif plan.width_bits < bits:  # the widest for its compares: wider needs more
            wider = _most_inner(model.breakpoints, fmt.min_code, plan.width_bits + 1)
            assert wider > max(1, plan.compares)
        for fewer in range(1, plan.compares):  # and no allowed width needs fewer compares
            assert all(_most_inner(model.breakpoints, fmt.min_code, w) > fewer
                       for w in range(min_width, bits + 1))
    assert emit_c.bucket_plan(model).compares <= 1  # one-code buckets: never two breakpoints
    # only the codes lo..hi looked up (a folded half): the table covers them alone, and the
    # breakpoints beyond hi neither count nor add compares
    hi = rng.randint(fmt.min_code, fmt.max_code)
    plan = emit_c.bucket_plan(model, 0, (fmt.min_code, hi))
    inside = codes[codes <= hi]
    assert len(plan.first) == ((hi - fmt.min_code) >> plan.width_bits) + 1
    assert np.array_equal(_plan_segments(plan, fmt.min_code, inside), want[codes <= hi])
    assert plan.compares <= emit_c.bucket_plan(model, 0).compares


def test_auto_segment_search_rule():
    fmt = IntFormat(16, True, 1.0)

    def model(breakpoints):
        return SimpleNamespace(input=fmt, breakpoints=breakpoints, segments=len(breakpoints) + 1)

    aligned = model([-16384, 0, 16384])  # a grid of 2^14 codes: a 4-entry table, no compare
    assert emit_c.choose_segment_search(aligned)[0] == "chain"
    search, plan = emit_c.choose_segment_search(aligned, wide=True)  # int64: no SSE2 chain
    assert search == "bucket" and plan.aligned and len(plan.first) == 4
    packed = model(list(range(-40, 40, 2)))  # 41 segments, 32 breakpoints per 64 codes
    assert emit_c.choose_segment_search(packed) == ("chain", None)
    assert emit_c.choose_segment_search(model(list(range(-60, 60, 2))))[0] == "binary"
    spread = model([-30000 + 1001 * i for i in range(40)])  # off-grid, one per 512-code bucket
    search, plan = emit_c.choose_segment_search(spread)
    assert search == "bucket" and plan.compares == 1 and plan.width_bits == 9
    crowded = model(list(range(-500, 500, 33)))  # 32 segments, <= 2 breakpoints per 64 codes
    search, plan = emit_c.choose_segment_search(crowded)
    assert search == "bucket" and plan.compares == 2 and plan.width_bits == 6


def test_drawn_formats_cover_every_variant(drawn):
    """The random draws must keep exercising every code path of the emitter."""
    headers = [emit_c.render(f) for f in drawn]
    pwl = [h for f, h in zip(drawn, headers) if f.model.form == "pwl"]
    assert len(pwl) < len(drawn), "no table form drawn"
    assert {f.spec.input.bits for f in drawn} == {8, 12, 16}
    assert {f.spec.input.signed for f in drawn} == {True, False}
    assert any(f.spec.slope_format is not None for f in drawn), "no fixed coef_format drawn"
    assert any(f.spec.input.scale_exp is None for f in drawn), "no non-power-of-two scale drawn"
    assert any("compare-and-mask chain" in h for h in pwl)
    assert any("binary search" in h for h in pwl)
    assert any("Bucket table" in h for h in pwl), "auto never picked a bucket table"
    buckets = [emit_c.render(f, "bucket") for f in drawn if f.model.form == "pwl"]
    assert any("Every breakpoint starts a bucket" in h for h in buckets)
    assert any("one load and one compare" in h for h in buckets)
    assert any("one load and two compares" in h for h in pwl), "auto: no two-compare table"
    assert any("one load and three compares" in h for h in pwl), "auto: no three-compare table"
    assert any("uint32_t " in h and "_buckets[" in h for h in buckets), "no 32-bit bucket entry"
    assert any("int32_t k" in h for h in pwl) and any("int64_t k" in h for h in pwl)
    assert any("r = r <" in h for h in pwl), "no saturation"
    # the high side: in the 32-bit accumulator or in the bucket decode's 16-bit lanes arithmetic
    assert any("r = r >" in h or ("Bucket table" in h and "v = v >" in h) for h in pwl)
    assert any("_SEGMENTS 1\n" in h for h in pwl), "no 1-segment fit"
    assert any("_SHIFT 0\n" in h for h in pwl), "no fit without a final shift"


def test_sanitizers_report_nothing(drawn, shipped, tmp_path):
    require_tool("cc")
    cases = drawn + [f for f in shipped if f.spec.input.bits == 8]
    assert_bit_exact(cases, verify.run_c(cases, tmp_path, "cc", sanitize=True))


def test_clustered_breakpoints_get_wide_bucket_entries(drawn, tmp_path):
    """Breakpoints in clusters of three (a real fit's coefficients, its breakpoints moved): three
    compares per bucket in 64-bit entries, still bit-exact with the golden model."""
    require_tool("cc")
    base = next(f for f in drawn if f.spec.name == "e_u16_u32")
    k = base.model.segments
    clusters = [c * 2731 + d for c in range(1, (k + 1) // 3 + 1) for d in (0, 3, 7)][:k - 1]
    model = dataclasses.replace(base.model, breakpoints=tuple(clusters))
    model.check()
    moved = dataclasses.replace(base, model=model, spec=dataclasses.replace(base.spec,
                                                                            name="clustered"))
    header = emit_c.render(moved)
    assert "one load and three compares" in header and "uint64_t clustered_buckets[" in header
    assert_bit_exact([moved], verify.run_c([moved], tmp_path, "cc"))


# Small and degenerate fits (issue 9): 1, 2, 3 segments, 2..16-bit formats (12 in int16_t),
# signed and unsigned, 32-bit outputs (a 64-bit accumulator), and the reproducers.
TINY_SPECS = [
    {"function": "gelu", "input": {"bits": 2}},
    {"function": "sigmoid", "input": {"bits": 4}, "search": "exact"},
    {"function": "recip", "input": {"bits": 4, "signed": False}},
    {"function": "silu", "input": {"bits": 8}, "search": "exact"},
    {"function": "tanh", "input": {"bits": 12}, "domain": [-1, 1.3]},
    {"function": "gelu", "input": {"bits": 12}, "output": {"bits": 32}, "search": "exact",
     "domain": [-3, 7]},
    {"function": "sigmoid", "input": {"bits": 12, "signed": False}, "output": {"bits": 8}},
    {"function": "rsqrt", "input": {"bits": 16, "signed": False}},
]
TINY_SEGMENTS = (1, 2, 3)


@pytest.fixture(scope="module")
def tiny():
    """``(fits, searches)``: every TINY_SPECS fit as a table and with 1, 2, 3 segments, the pwl
    ones once per segment search whose code differs (renamed apart: one program holds them)."""
    fits, searches = [], {}
    for index, raw in enumerate(TINY_SPECS):
        for form, segments in [("table", None), *(("pwl", k) for k in TINY_SEGMENTS)]:
            # merge: a table drops the keys it does not read (search)
            base = fit(specs.resolve(specs.merge(raw, {"form": form, "segments": segments}),
                                     "<tiny>"))
            seen = set()
            for search in emit_c.SEGMENT_SEARCHES:
                name = f"t{index}_{form}{segments or ''}_{search}"
                renamed = dataclasses.replace(base, spec=dataclasses.replace(base.spec, name=name))
                code = _code(emit_c.render(renamed, search)).replace(name, "N") \
                    .replace(name.upper(), "N")
                if code not in seen:  # auto (and one segment) repeat another search's code
                    seen.add(code)
                    fits.append(renamed)
                    searches[name] = search
    for raw in EDGE_SPECS:  # and bucket tables with two and three compares, 12 bits in int16_t
        if "bucket" in raw["name"]:
            fits.append(fit(specs.resolve(raw, "<edge>")))
            searches[raw["name"]] = "auto"  # wide buckets, several compares
    return fits, searches


def require_sanitizers(compiler: str, tmp_path: Path) -> None:
    """``compiler`` links ASan+UBSan programs (clang needs its runtime, libclang-rt-dev): fail
    under CI=true (CI installs it), else skip, as :func:`conftest.require_tool`."""
    source = tmp_path / "probe.c"
    source.write_text("int main(void) { return 0; }\n")
    try:
        verify.compile_c(compiler, verify.SANITIZE, source, tmp_path / "probe")
    except verify.ToolFailed as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{compiler} cannot build with the sanitizers under CI=true: {exc}")
        pytest.skip(f"{compiler} cannot build with the sanitizers: {exc}")


TINY_BUILDS = {  # the sanitizers at -O0 and -O2; -O2 and -O3 without (vectorized as shipped)
    "O0-sanitized": ("-O0", True), "O2-sanitized": ("-O2", True), "O2": ("-O2", False),
    "O3": ("-O3", False)}


@pytest.mark.parametrize("build", TINY_BUILDS)
@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_every_value_of_the_input_type_is_safe_and_right(tiny, compiler, build, tmp_path):
    """Every form and segment search, over EVERY value of the C input type (int16_t: 65536), at
    -O0/-O2/-O3 with gcc and clang, under ASan+UBSan for -O0/-O2: input codes give the golden
    model's output, other values the nearest code's (clamped), and nothing reads outside a
    table or overflows (a sanitizer report fails the run)."""
    require_tool(compiler)
    fits, searches = tiny
    opt, sanitize = TINY_BUILDS[build]
    if sanitize:
        require_sanitizers(compiler, tmp_path)
    outputs = verify.run_c(fits, tmp_path, compiler, sanitize=sanitize, opt=opt,
                           segment_search=searches, every_value=True)
    assert_bit_exact(fits, outputs, every_value=True, searches=searches)


def test_tiny_fits_cover_every_shape(tiny):
    """The matrix above exercises what it claims: one-entry bucket tables, stray values on both
    sides, each search, both accumulator widths."""
    fits, searches = tiny
    headers = {f.spec.name: emit_c.render(f, searches[f.spec.name]) for f in fits}
    assert {f.spec.input.bits for f in fits} == {2, 4, 8, 12, 16}
    assert any("_buckets[1] = {" in h for h in headers.values()), "no one-entry bucket table"
    assert any("binary search" in h for h in headers.values())
    assert any("compare-and-mask chain" in h for h in headers.values())
    clamped = [h for h in headers.values() if "_code(" in h]
    assert any("q < (" in h for h in clamped) and any("q < (" not in h for h in clamped)
    assert any("int64_t k" in h for h in headers.values())
    assert any("int32_t k" in h for h in headers.values())
    assert any("three compares" in h and "_code(" in h for h in headers.values())


I16 = {"bits": 16, "scale": "2^-12"}
# fits whose chain runs in 16-bit lanes (emit/c.py: lanes16): folded and not, int8, 12 bits in
# int16_t and int16 (signed and unsigned inputs), with and without the high half, saturated on
# either side, shifts 8..16
LANES16_SPECS = {
    "l16_gelu_fold": dict(function="gelu", segments=8, fold="on", input=I16,
                          output={"bits": 16, "scale": "2^-12"}),
    "l16_gelu8_fold": dict(function="gelu", segments=8, fold="on", input={"bits": 8}),
    "l16_tanh8": dict(function="tanh", segments=6, fold="none", input={"bits": 8}),
    "l16_gelu12_fold": dict(function="gelu", segments=6, fold="on", search="uniform",
                            input={"bits": 12, "scale": "2^-8"},
                            output={"bits": 12, "scale": "2^-8"}),
    "l16_sigmoid_u16": dict(function="sigmoid", segments=8, fold="none", search="uniform",
                            input={"bits": 16, "signed": False, "scale": "2^-12"},
                            output={"bits": 8, "signed": False, "scale": "2^-8"}),
    "l16_tanh16": dict(function="tanh", segments=8, fold="none", search="uniform", input=I16,
                       output={"bits": 8, "scale": "2^-7"}),
}


@pytest.fixture(scope="module")
def lanes():
    """``(fits, searches)``: every LANES16_SPECS fit with the searches ``auto`` and ``chain``
    (renamed apart where their code differs)."""
    fits, searches = [], {}
    for name, raw in LANES16_SPECS.items():
        base = fit(specs.resolve({"name": name, **raw}, "<lanes16>"))
        seen = set()
        for search in ("auto", "chain"):
            renamed = dataclasses.replace(base, spec=dataclasses.replace(
                base.spec, name=f"{name}_{search}"))
            code = _code(emit_c.render(renamed, search)).replace(renamed.spec.name, "N") \
                .replace(renamed.spec.name.upper(), "N")
            if code not in seen:
                seen.add(code)
                fits.append(renamed)
                searches[renamed.spec.name] = search
    return fits, searches


@pytest.mark.parametrize("build", TINY_BUILDS)
@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_chain_in_16_bit_lanes_is_right_on_every_value(lanes, compiler, build, tmp_path):
    """The chain in 16-bit lanes over every value of the C input type (scalar and array
    variants), gcc and clang, -O0..-O3, ASan+UBSan at -O0/-O2."""
    require_tool(compiler)
    fits, searches = lanes
    opt, sanitize = TINY_BUILDS[build]
    if sanitize:
        require_sanitizers(compiler, tmp_path)
    outputs = verify.run_c(fits, tmp_path, compiler, sanitize=sanitize, opt=opt,
                           segment_search=searches, every_value=True)
    assert_bit_exact(fits, outputs, every_value=True)


def test_chain_in_16_bit_lanes_covers_every_shape(lanes):
    """Every LANES16_SPECS fit takes the 16-bit chain with both searches, and the matrix holds
    each variant of it; a chain that cannot (slopes beyond int16_t) keeps the 32-bit one."""
    fits, searches = lanes
    contexts = []
    for f in fits:
        model = getattr(f.model, "inner", f.model)
        codes = (0, f.model.h_max) if model is not f.model else None
        for search in ("auto", "chain"):  # auto picks the chain here: one program for both
            context = emit_c.pwl_context(model, search, codes)
            assert context["search"] == "chain" and context["lanes16"], (f.spec.name, search)
            assert "vectorized in 16-bit lanes" in emit_c.render(f, search)
        contexts.append((f, context["lanes16"]))
    assert {hasattr(f.model, "inner") for f, _ in contexts} == {True, False}  # folded or not
    assert {f.spec.input.bits for f, _ in contexts} == {8, 12, 16}
    assert any(not f.spec.input.signed for f, _ in contexts)
    assert {lane["high"] for _, lane in contexts} == {True, False}
    assert any(lane["origin"] != "0" for _, lane in contexts)
    assert any(lane["sat_lo"] is not None for _, lane in contexts)
    assert any(lane["sat_hi"] is not None for _, lane in contexts)
    assert any(getattr(f.model, "inner", f.model).shift == 16 for f, _ in contexts)
    wide = fit(specs.resolve({"name": "w", "function": "sigmoid", "segments": 8, "fold": "none",
                              "search": "uniform", "input": I16,
                              "output": {"bits": 16, "scale": "2^-15"}}, "<lanes16>"))
    assert max(map(abs, wide.model.slopes)) >= 1 << 15
    assert emit_c.pwl_context(wide.model, "chain")["lanes16"] is None
    assert "compare-and-mask chain adds the step" in emit_c.render(wide, "chain")


def _code(header: str) -> str:
    """The header without its comments."""
    return re.sub(r"/\*.*?\*/", " ", header, flags=re.S)


def test_header_is_integer_only_and_links_no_libm(shipped, tmp_path):
    require_tool("cc")
    nm = require_tool("nm")
    forms = {f.model.form: f for f in shipped}
    assert set(forms) == {"pwl", "table"}
    for form, f in forms.items():
        header = emit_c.render(f)
        code = _code(header)
        assert re.search(r"\b(float|double|long\s+double)\b", code) is None
        assert "math.h" not in code and "<" + "stdint.h>" in code
        (tmp_path / "h.h").write_text(header)
        source = tmp_path / f"{form}.c"
        name, inp, out = f.spec.name, f.spec.input, f.spec.output
        in_t, out_t = emit_c.ctype(inp.bits, inp.signed), emit_c.ctype(out.bits, out.signed)
        many = f"void many(const {in_t} *x, {out_t} *y, size_t n)"
        source.write_text(f'#include "h.h"\n{out_t} one({in_t} x);\n{many};\n'
                          f"{out_t} one({in_t} x) {{ return {name}(x); }}\n"
                          f"{many} {{ {name}_array(x, y, n); }}\n")
        obj = verify.compile_c("cc", verify.c_flags(), source, tmp_path / f"{form}.o",
                               compile_only=True)
        defined = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True,
                                 check=True).stdout
        assert " many" in defined and " one" in defined
        undefined = subprocess.run([nm, "-u", str(obj)], capture_output=True, text=True,
                                   check=True).stdout
        assert undefined.split() == [], f"{form} object needs {undefined!r}"


def test_header_structure(shipped):
    f = next(f for f in shipped if f.spec.name == "gelu_int8")
    header = emit_c.render(f)
    assert header == emit_c.render(f), "rendering is not deterministic"
    assert "static inline int8_t gelu_int8(int8_t x)" in header
    assert "static inline void gelu_int8_array(const int8_t *x, int8_t *y, size_t n)" in header
    assert "#ifndef APPROXGEN_GELU_INT8_H" in header and 'extern "C"' in header
    assert f"spec hash {f.spec.hash()}" in header
    assert "#define GELU_INT8_IN_SCALE_EXP (-4)" in header
    # folded (fold: auto): the half's pwl is gelu_int8_half
    breakpoints = re.search(r"gelu_int8_half_breakpoints\[\d+\] = \{([^}]*)\}",
                            header).group(1)
    assert [int(v) for v in breakpoints.split(",")] == list(f.model.inner.breakpoints)
    assert re.search(r"\b\d+\.\d+\b", _code(header)) is None, "a non-integer literal in code"
    u16 = next(f for f in shipped if f.spec.name == "gelu_int16")
    assert "static inline int16_t gelu_int16(int16_t x)" in emit_c.render(u16)


# Names that break some output (issue 9, item 10): the and more of each kind.
REFUSED_NAMES = [
    # C99/C11 keywords and reserved identifiers, <stdint.h>/<stddef.h> and C library names
    "_Bool", "int8_t", "INT64_C", "SIZE_MAX", "__LINE__", "auto", "register", "restrict",
    "inline", "_Noreturn", "_private", "__x", "uint32_t", "intptr_t", "size_t", "my_t",
    "UINT8_MAX", "INT_MAX", "INTMAX_C", "NULL", "offsetof", "EOF", "printf", "malloc", "exp",
    "tanh", "main", "errno",
    # C++
    "class", "new", "true", "false", "bool", "nullptr", "delete", "this", "template",
    "namespace", "operator", "xor", "not", "std",
    # Verilog-2001 and SystemVerilog
    "or", "and", "wand", "tri", "posedge", "table", "real", "logic", "buf", "wire", "reg",
    "module", "input", "always", "begin", "end", "assign", "supply0", "event", "bit", "byte",
    "string", "interface", "program", "package", "var", "type", "unique", "always_ff",
    # the outputs' own names and derived names (another fit's symbols or modules)
    "APPROXGEN_INLINE", "approxgen_gelu", "ag_run", "blocks_end", "q", "x", "clk", "dut",
    "SHIFT", "gelu_array", "gelu_values", "gelu_segment", "gelu_lut", "gelu_tb",
    # not identifiers
    "9lives", "a-b", "a b", "x" * 64, "gel\u00fc",
]


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_names_that_break_an_output_are_refused(name, tmp_path):
    out = tmp_path / "f.json"
    result = CliRunner().invoke(main, ["fit", "gelu", "--bits", "8", "--name", name,
                                       "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("approxgen: error: --name: "), result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_every_emitter_refuses_a_reserved_name_at_render(shipped):
    """A fit that did not come through the spec's validation (e.g. built in code) still cannot
    render under a reserved name: each emitter checks its own."""
    from approxgen.emit import verilog as emit_verilog

    f = next(f for f in shipped if f.model.form == "pwl")
    for name, render in [("class", emit_c.render), ("logic", emit_verilog.render),
                         ("x_tb", emit_verilog.render_testbench)]:
        bad = dataclasses.replace(f, spec=dataclasses.replace(f.spec, name=name))
        with pytest.raises(ApproxgenError, match="name"):
            render(bad)


def test_allowed_names_compile_as_c_and_cxx(shipped, tmp_path):
    """Names next to the refused ones (a keyword's prefix or suffix, upper case) still work."""
    require_tool("cc"), require_tool("c++")
    base = next(f for f in shipped if f.spec.name == "gelu_int8")
    fits = [dataclasses.replace(base, spec=dataclasses.replace(base.spec, name=name))
            for name in ("classy", "Table", "int8", "new_gelu", "gelu_arrays", "x2", "TRUE",
                         "gelu_int8_table")]
    for cxx, compiler in ((False, "cc"), (True, "c++")):
        assert_bit_exact(fits, verify.run_c(fits, tmp_path / compiler, compiler, cxx=cxx))


def test_literals():
    assert emit_c.literal(-(1 << 31)) == "(-2147483647 - 1)"
    assert emit_c.literal(1 << 40) == "INT64_C(1099511627776)"
    assert emit_c.literal(-(1 << 63)) == "(-INT64_C(9223372036854775807) - 1)"
    assert [emit_c.ctype(b, s) for b, s in ((8, True), (12, False), (16, True), (24, False))] == \
        ["int8_t", "uint16_t", "int16_t", "uint32_t"]


def test_emit_c_from_artifact_spec_and_function(tmp_path):
    runner = CliRunner()
    art = tmp_path / "g.json"
    same = ["--bits", "8", "--search", "exact"]  # as configs/gelu_int8.yaml
    assert runner.invoke(main, ["fit", "gelu", *same, "-o", str(art)]).exit_code == 0
    from_artifact = runner.invoke(main, ["emit", "c", str(art)])
    from_spec = runner.invoke(main, ["emit", "c", str(ROOT / "configs" / "gelu_int8.yaml"),
                                     "-o", str(tmp_path / "g.h")])
    from_name = runner.invoke(main, ["emit", "c", "gelu", *same])
    assert from_artifact.exit_code == from_spec.exit_code == from_name.exit_code == 0
    assert from_artifact.output == (tmp_path / "g.h").read_text() == from_name.output
    assert "gelu_int8_array" in from_artifact.output


def _corrupt_slope(data: dict) -> None:
    data["model"]["slopes"][0] = 1 << data["model"]["slope_bits"]


def _newer_schema(data: dict) -> None:
    data["schema_version"] = 99


def _not_an_artifact(data: dict) -> None:
    data.clear()
    data["hello"] = "world"


@pytest.mark.parametrize("damage, message", [
    (_not_an_artifact, "not an approxgen fit artifact"),
    (_newer_schema, "newer than this approxgen"),
    (_corrupt_slope, "does not fit its declared"),
    (None, "not an approxgen fit artifact (not JSON)"),
])
def test_bad_artifact_is_one_line_exit_2_nothing_written(tmp_path, damage, message):
    runner = CliRunner()
    art = tmp_path / "bad.json"
    same = ["--bits", "8", "--search", "exact"]  # as configs/gelu_int8.yaml
    assert runner.invoke(main, ["fit", "gelu", *same, "-o", str(art)]).exit_code == 0
    if damage is None:
        art.write_text("this is not json\n")
    else:
        data = json.loads(art.read_text())
        damage(data)
        art.write_text(json.dumps(data))
    out = tmp_path / "bad.h"
    result = runner.invoke(main, ["emit", "c", str(art), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_example_firmware_builds_and_runs(tmp_path, shipped):
    require_tool("cc")
    make = require_tool("make")
    build = tmp_path / "build"
    result = subprocess.run([make, "-s", "-C", str(ROOT / "examples" / "firmware"),
                             f"BUILD={build}", f"PYTHON={sys.executable}", "run"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (build / "gelu_int8.h").exists()
    assert not list((ROOT / "examples" / "firmware").glob("*.h")), "generated file in the repo"
    pairs = [tuple(map(int, m)) for m in re.findall(r"q=\s*(-?\d+)\s*->\s*y=\s*(-?\d+)",
                                                   result.stdout)]
    assert len(pairs) >= 8, result.stdout
    gelu = next(f for f in shipped if f.spec.name == "gelu_int8")
    q, y = np.array(pairs).T
    assert np.array_equal(y, gelu.model.evaluate(q))


def test_segment_search_option(tmp_path):
    """``--segment-search`` on ``emit c`` and ``verify``: the choices are the emitter's; a forced
    search is what the header uses and what verify proves."""
    from approxgen.cli.common import emitter_options

    option = {o.name: o for o in emitter_options(["c"])}["segment_search"]
    assert tuple(option.type.choices) == emit_c.SEGMENT_SEARCHES
    runner = CliRunner()
    spec = str(ROOT / "configs" / "gelu_int16.yaml")
    art = tmp_path / "g.json"
    fit_args = ["fit", spec, "--segments", "12", "--search", "uniform", "-o", str(art)]
    assert runner.invoke(main, fit_args).exit_code == 0
    headers = {s: runner.invoke(main, ["emit", "c", str(art), "--segment-search", s]).output
               for s in emit_c.SEGMENT_SEARCHES}
    assert "Bucket table" in headers["auto"] and headers["auto"] == headers["bucket"]
    assert "compare-and-mask chain" in headers["chain"] and "binary search" in headers["binary"]
    bad = runner.invoke(main, ["emit", "c", str(art), "--segment-search", "linear"])
    assert bad.exit_code == 2 and "--segment-search" in bad.output
    require_tool("cc")
    result = runner.invoke(main, ["verify", str(art), "--no-verilog", "--segment-search", "binary",
                                  "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    assert "binary search" in (tmp_path / "w" / "c" / "gelu_int16.h").read_text()


@pytest.mark.parametrize("raw", [
    {"form": "pwl", "fold": "none"}, {"form": "pwl", "fold": "on"},
    {"form": "pwl", "fold": "none", "input": {"bits": 12}, "segments": 40},  # bucket table
    {"form": "table", "fold": "none"}, {"form": "quadratic", "fold": "none", "segments": 6},
    {"form": "quadratic", "fold": "on", "segments": 6}, {"form": "ibert"},
    {"form": "interp", "fold": "none", "segments": 12, "order": 1},
    {"form": "interp", "fold": "on", "segments": 12, "order": 2},
], ids=lambda raw: "-".join(f"{v}" for v in raw.values()))
def test_every_name_a_header_derives_is_reserved(raw):
    """Each identifier a header defines from its fit's name (``NAME_suffix``) ends with a suffix
    of DERIVED_SUFFIXES, so no other fit may be named so (their C would clash in one program)."""
    spec = {"function": "gelu", "input": {"bits": 8}, "name": "zz", **raw}
    header = emit_c.render(fit(specs.resolve(spec, "<test>")))
    derived = set(re.findall(r"\bzz(_\w+)", header))
    assert derived, header
    assert {s for s in derived if not s.endswith(emit_c.DERIVED_SUFFIXES)} == set()
