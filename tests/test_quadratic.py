"""form: quadratic — golden model, fitting with every search, C and Verilog bit for bit, cost."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from approxgen import artifact, cost, verify
from approxgen.emit import c, verilog
from approxgen.errors import ApproxgenError
from approxgen.fit.quadratic import solve_quadratic
from approxgen.fixedpoint import IntFormat
from approxgen.forms.quadratic import QuadraticModel
from conftest import fit_raw, require_tool

INT8 = {"bits": 8, "signed": True, "scale": 2 ** -5}


def quad(function="gelu", segments=8, search="exact", inp=None, out=None, **raw):
    raw.setdefault("fold", "none")  # the quadratic model itself (tests/test_fold.py: folded)
    return fit_raw(function=function, form="quadratic", segments=segments, search=search,
                   input=inp or INT8, output=out or dict(INT8), **raw)


@pytest.fixture(scope="module")
def gelu8():
    return quad()


def test_model_is_horner_on_integers():
    """The golden model against the formula in plain Python integers (floor shifts), every code."""
    inp, out = IntFormat(8, True, 2 ** -5), IntFormat(8, True, 2 ** -5)
    model = QuadraticModel(inp, out, -100, 90, (-20, 40), (-300, 55, 7), (900, -41, 3000),
                           (-5000, 12345, -99), 9, 4, 10, 13, 15)
    model.check()
    got = model.evaluate(inp.codes())
    origins = (-100, -20, 40)
    for q, y in zip(inp.codes().tolist(), got.tolist()):
        qc = min(max(q, -100), 90)
        i = (qc >= -20) + (qc >= 40)
        d = qc - origins[i]
        h = ((model.a[i] * d) >> 4) + model.b[i]
        acc = h * d + model.c[i] + (1 << 8)
        assert y == min(max(acc >> 9, -128), 127)


def test_model_contract_is_checked():
    inp = IntFormat(8, True, 1.0)
    with pytest.raises(ApproxgenError, match="does not fit"):
        QuadraticModel(inp, inp, -128, 127, (), (300,), (0,), (0,), 4, 4, 8, 4, 4).check()
    with pytest.raises(ApproxgenError, match="breakpoints"):
        QuadraticModel(inp, inp, 0, 10, (11,), (1, 1), (0, 0), (0, 0), 4, 4, 4, 4, 4).check()


def test_solver_judges_integer_outputs():
    """On an exact quadratic the integer solver reproduces it (error at most the rounding)."""
    d = np.arange(64)
    t = 0.01 * d * d - 0.5 * d + 20.0
    seg = solve_quadratic(d, t, "max", 12, 12, IntFormat(8, True, 1.0))
    assert seg.max_error <= 0.5 + 1e-9


@pytest.mark.parametrize("function", ["gelu", "silu"])
def test_int8_eight_segments_match_the_correctly_rounded_table(function):
    """The issue's target: at int8 (2^-5), <= 8 quadratic segments are bit-identical to the
    correctly rounded table (0 mismatches)."""
    f = quad(function)
    assert f.metrics["mismatches"] == 0
    assert f.metrics["max_error_lsb"] == pytest.approx(f.floor_metrics["max_error_lsb"])


@pytest.mark.parametrize("search", ["uniform", "exact", "pso", "ga"])
def test_every_search_places_quadratics(search):
    f = quad(segments=4, search=search, search_options={} if search in ("uniform", "exact")
             else {"iterations": 5} if search == "pso" else {"generations": 5})
    assert f.model.form == "quadratic" and f.model.segments == 4
    assert f.search["method"] == search
    pwl = fit_raw(function="gelu", segments=4, search=search, input=INT8, output=dict(INT8),
                  search_options=f.spec.search_options, fold="none")
    assert f.metrics["max_error_lsb"] < pwl.metrics["max_error_lsb"]


def test_segments_auto(gelu8):
    f = quad(segments="auto", max_error_lsb=0.6)
    assert f.metrics["max_error_lsb"] <= 0.6
    assert "segments auto" in f.search["notes"][-1]


def test_artifact_round_trip(gelu8, tmp_path):
    path = tmp_path / "fit.json"
    gelu8.save(path)
    again = artifact.load(path)
    assert again.model == gelu8.model and again.dumps() == gelu8.dumps()


CASES = {
    "gelu8": dict(),
    "exp_uint_out": dict(function="exp", segments=4, search="uniform",
                         out={"bits": 8, "signed": False}),
    "rsqrt_unsigned_in": dict(function="rsqrt", segments=3, search="uniform",
                              inp={"bits": 8, "signed": False}, out={"bits": 8, "signed": False}),
    "one_segment_wide_out": dict(function="silu", segments=1, out={"bits": 12, "signed": True}),
    "silu12": dict(function="silu", segments=5, search="uniform",
                   inp={"bits": 12, "signed": True}, out={"bits": 12, "signed": True}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_c_and_verilog_are_bit_exact_over_every_code(case, tmp_path):
    require_tool("cc")
    require_tool("iverilog")
    f = quad(**CASES[case])
    report = verify.verify(f, ["c", "c++", "verilog"], tmp_path / "full")
    assert report.ok(), [(r.target, r.status, r.message, r.first) for r in report.results]
    for part, pipeline in (("full", True), ("lut", False), ("lut", True)):
        report = verify.verify(f, ["verilog"], tmp_path / f"{part}{pipeline}", part=part,
                               pipeline=pipeline)
        assert report.ok(), (part, pipeline, [(r.status, r.message) for r in report.results])


@pytest.mark.parametrize("part,pipeline", [("full", False), ("full", True), ("lut", False)])
def test_verilator_lint_clean(gelu8, tmp_path, part, pipeline):
    verilator = require_tool("verilator")
    module = verilog.module_name(gelu8, part)
    path = tmp_path / f"{module}.v"
    path.write_text(verilog.render(gelu8, part=part, pipeline=pipeline))
    result = subprocess.run([verilator, "--lint-only", "-Wall", str(path)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_cost_estimate_and_yosys(gelu8):
    est = cost.estimate(gelu8, "full")
    assert len(est["multipliers"]) == 2 and est["rom_words"] == 8
    assert "->" in cost.describe_estimate(est)["multiplier"]
    require_tool("yosys")
    report = cost.cost(gelu8, ice40=False)
    assert [r["part"] for r in report["parts"]] == ["full", "lut"]
    assert all(r["yosys"]["cells"] > 0 for r in report["parts"])



def test_report_rows_summary_and_provenance(gelu8):
    from approxgen import report
    from approxgen.cli.fit import summary
    from approxgen.emit import provenance

    rows = report.segment_rows(gelu8)
    assert len(rows) == 8 and all({"a", "b", "c"} <= set(r) for r in rows)
    assert sum(r["mismatches"] for r in rows) == gelu8.metrics["mismatches"]
    assert report.segment_table(gelu8).splitlines()[0].split()[6:9] == ["a", "b", "c"]
    assert "| a | b | c |" in report.markdown(gelu8)
    assert "form quadratic, 8 segments, search exact" in summary(gelu8)
    assert any("form quadratic, 8 segments" in line for line in provenance(gelu8))


@pytest.mark.parametrize("segments", [2, 3, 4])
def test_a_saturating_tail_costs_nothing(segments):
    """gelu at output scale 2^-6 saturates above x = 2: where the target sits on the top code only
    falling short counts, so the quadratic must beat pwl at the same count (it lost before: 3
    segments 7.7 LSB against pwl's 2.5, as the fit bent to follow the flat tail)."""
    out = {"bits": 8, "scale": 2 ** -6}
    q = quad(segments=segments, out=out)
    p = fit_raw(function="gelu", form="pwl", segments=segments, input=INT8, output=out,
                fold="none")  # as the quadratic: both unfolded
    assert q.metrics["saturated_codes"] > 0
    assert q.metrics["max_error_lsb"] < p.metrics["max_error_lsb"]


@pytest.mark.parametrize("search", ["chain", "bucket", "binary"])
@pytest.mark.parametrize("case", ["gelu8", "silu12", "rsqrt_unsigned_in"])
def test_c_segment_searches_are_bit_exact(case, search, tmp_path):
    """The segment decoder shared with pwl (bucket table, binary search) and the quadratic's own
    chain, each checked over every code."""
    require_tool("cc")
    f = quad(**CASES[case])
    assert "Bucket table" in c.render(f, "bucket") and "binary search" in c.render(f, "binary")
    report = verify.verify(f, ["c"], tmp_path, segment_search=search)
    assert report.ok(), [(r.status, r.message, r.first) for r in report.results]


def test_c_auto_takes_a_bucket_table_past_four_segments():
    """auto: the chain for up to 4 segments, a bucket table beyond (emit/c.py's measurements)."""
    assert "Bucket table" not in c.render(quad(segments=4))
    assert "Bucket table" in c.render(quad(segments=5))


def test_c_auto_keeps_the_chain_at_four_segments_with_a_wide_accumulator():
    """int16 gelu, 4 segments: a 64-bit accumulator, still the chain (a bucket table would be
    1 KiB beside 62 bytes of coefficients for 1.3 -> 1.1 ns)."""
    f = quad(segments=4, search="uniform", inp={"bits": 16, "signed": True, "scale": 2 ** -12},
             out={"bits": 16})
    header = c.render(f)
    assert "int64_t q" in header and "Bucket table" not in header
