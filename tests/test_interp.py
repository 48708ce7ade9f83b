"""form: interp — golden model, integer node fit, C (gcc/clang, every value, sanitizers) and
Verilog (iverilog, verilator) bit for bit, cost, and the byte budget."""

from __future__ import annotations

import dataclasses
import subprocess

import numpy as np
import pytest

from approxgen import artifact, cost, sweep, verify
from approxgen.emit import c as emit_c, verilog
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat
from approxgen.fit.interp import layout_bytes
from approxgen.forms.interp import MAX_REGIONS
from approxgen.forms.interp import InterpModel
from approxgen.metrics import correctly_rounded
from conftest import fit_raw, require_tool
from hypothesis import given, settings, strategies as st

INT16_TANH = dict(function="tanh", input={"bits": 16, "signed": True, "scale": 2 ** -12},
                  output={"bits": 16, "scale": 2 ** -15})


def interp(**raw):
    return fit_raw(**{"form": "interp", "fold": "none", **raw})  # the form itself, unfolded


@pytest.fixture(scope="module")
def tanh16():
    return interp(**INT16_TANH, segments=255, order=1)


def test_model_is_the_formula_on_integers():
    """The golden model against the interpolation written out in Python integers, every code."""
    inp, out = IntFormat(8, True, 2 ** -4), IntFormat(8, True, 2 ** -5)
    nodes = (-1000, -700, -300, 0, 900, 1500, 2000, 2100, 2200, 4000, -5000, 3000)
    model = InterpModel(inp, out, -100, 90, (0, 64, 96), (4, 3, 5), 3, 16, True, nodes)
    model.check()
    assert model.order == 1 and model.segments == 11
    firsts = (0, 4, 8)
    for q, y in zip(inp.codes().tolist(), model.evaluate(inp.codes()).tolist()):
        u = min(max(q, -100), 90) + 100
        r = (u >= 64) + (u >= 96)
        g, d = (4, 3, 5)[r], u - (0, 64, 96)[r]
        k, t = firsts[r] + (d >> g), d % (1 << g)
        acc = nodes[k] * 2 ** g + (nodes[k + 1] - nodes[k]) * t + 2 ** (g + 3 - 1)
        assert y == min(max(acc // 2 ** (g + 3), -128), 127)


def test_model_contract_is_checked():
    inp = IntFormat(8, True, 1.0)
    ok = dict(lo_code=0, hi_code=15, starts=(0,), steps=(2,), frac=0, node_bits=16,
              node_signed=True, nodes=(0,) * 5)
    InterpModel(inp, inp, **ok).check()
    bad = {"nodes": (0,) * 4, "starts": (0, 6), "frac": 16, "node_bits": 8,
           "steps": (31,), "hi_code": 200}
    for key, value in bad.items():
        raw = dict(ok, **{key: value})
        if key == "starts":
            raw["steps"] = (2, 2)
        with pytest.raises(ApproxgenError):
            InterpModel(inp, inp, **raw).check()
    with pytest.raises(ApproxgenError, match="does not fit"):
        InterpModel(inp, inp, **dict(ok, nodes=(0, 0, 0, 0, 40000))).check()


def test_nodes_are_optimal_integers_not_samples(tanh16):
    """Node values come from the integer search: better than the target sampled at the nodes,
    and no single node moved by one improves the max error."""
    m = tanh16.model
    codes = tanh16.spec.domain_codes()
    t = tanh16.spec.reference(codes) / tanh16.spec.output.scale
    t = np.clip(t, -32768, 32767)
    err = lambda model: float(np.abs(model.evaluate(codes) - t).max())  # noqa: E731
    from approxgen.fit.interp import NodeProblem

    sampled = NodeProblem(tanh16.spec, t).sampled(
        NodeProblem(tanh16.spec, t).positions(m.starts, m.steps)).astype(int)
    naive = dataclasses.replace(m, nodes=tuple(int(v) for v in sampled))
    best = err(m)
    assert best == pytest.approx(tanh16.metrics["max_error_lsb"])
    assert best < err(naive)
    rng = np.random.default_rng(0)
    for i in rng.choice(len(m.nodes), 20, replace=False):
        for delta in (-1, 1):
            nodes = list(m.nodes)
            nodes[i] = min(32767, max(-32768, nodes[i] + delta))
            assert err(dataclasses.replace(m, nodes=tuple(nodes))) >= best - 1e-12


def test_int16_tanh_layout_and_bytes(tanh16):
    m = tanh16.model
    assert m.node_bits == 16 and m.frac == 0 and len(m.nodes) <= 256
    assert 1 < m.regions <= MAX_REGIONS
    size = 2 * len(m.nodes)  # the nodes alone: the regions' constants are in the code
    assert emit_c.table_bytes(m) == size
    assert sweep.table_bytes(emit_c.render(tanh16)) == size
    assert layout_bytes((m.starts, m.steps), m.codes, 2) == size
    assert tanh16.metrics["max_error_lsb"] < 3.0


@pytest.mark.parametrize("objective", ["max", "mse", "rounding"])
def test_every_objective(objective):
    f = interp(function="gelu", input={"bits": 8, "scale": 2 ** -5}, segments=16,
               objective=objective)
    g = interp(function="gelu", input={"bits": 8, "scale": 2 ** -5}, segments=16)
    if objective == "mse":
        assert f.metrics["mse"] <= g.metrics["mse"] + 1e-15
    if objective == "rounding":
        assert f.metrics["mismatches"] <= g.metrics["mismatches"]


def test_fraction_bits_fill_the_node_type():
    f = interp(function="gelu", input={"bits": 8, "scale": 2 ** -5}, segments=8)
    assert f.model.node_bits == 16 and f.model.frac >= 6


def test_uniform_search_is_one_region_and_other_searches_refused():
    f = interp(function="silu", input={"bits": 10, "scale": 2 ** -6}, segments=40,
               search="uniform")
    assert f.model.regions == 1 and len(f.model.nodes) <= 41
    with pytest.raises(ApproxgenError, match="<test>: search: form interp places its nodes"):
        interp(function="silu", segments=8, search="pso")  # refused when the spec is read


def test_segments_auto_meets_the_budget_with_fewest_nodes():
    f = interp(function="sigmoid", input={"bits": 12, "scale": 2 ** -8}, segments="auto",
               max_error_lsb=0.75)
    assert f.metrics["max_error_lsb"] <= 0.75
    assert any("segments auto" in note for note in f.search["notes"])


def test_artifact_round_trip_and_tampering(tanh16, tmp_path):
    path = tmp_path / "fit.json"
    tanh16.save(path)
    again = artifact.load(path)
    assert again.model == tanh16.model and again.dumps() == tanh16.dumps()
    for key, value in (("nodes", [1, 2]), ("node_signed", 1), ("acc_bits", 5),
                       ("steps", [3, 3, 3, 99])):
        text = tanh16.dumps().replace(f'"{key}": ', f'"{key}": {value!r} and ', 1)
        data = __import__("json").loads(tanh16.dumps())
        data["model"][key] = value
        bad = tmp_path / f"{key}.json"
        bad.write_text(__import__("json").dumps(data))
        with pytest.raises(ApproxgenError, match="corrupted"):
            artifact.load(bad)
        del text


# Edge shapes: unsigned input whose domain does not start at 0 (in int16_t: stray values), 32-bit
# output (32-bit nodes, 64-bit accumulator), 2-bit input, one node interval, fraction bits.
CASES = {
    "tanh16": dict(**INT16_TANH, segments=255),
    "sig_u12": dict(function="sigmoid", input={"bits": 12, "signed": False, "scale": 2 ** -8},
                    output={"bits": 8}, domain=[0.5, 9], segments=20),
    "gelu_w32": dict(function="gelu", input={"bits": 12, "scale": 2 ** -8},
                     output={"bits": 32}, segments=30, search="uniform"),
    "gelu_2b": dict(function="gelu", input={"bits": 2}, segments=1),
    "exp_u16": dict(function="exp", input={"bits": 8, "scale": 2 ** -4},
                    output={"bits": 16, "signed": False}, segments=9, search="uniform"),
    "recip_u8": dict(function="recip", input={"bits": 8, "signed": False, "scale": 2 ** -5},
                     output={"bits": 16, "signed": False}, segments=24),
    "tanh_w24": dict(function="tanh", input={"bits": 12, "scale": 2 ** -8},
                     output={"bits": 24}, segments=40),
}


@pytest.fixture(scope="module")
def cases():
    fits = []
    for order in (1, 2):
        for name, raw in CASES.items():
            f = interp(**raw, order=order)
            name = f"{name}_o{order}"
            fits.append(dataclasses.replace(f, spec=dataclasses.replace(f.spec, name=name)))
    return fits


def test_cases_cover_the_shapes(cases):
    get = {f.spec.name: f.model for f in cases}
    for o in ("_o1", "_o2"):
        assert get["gelu_w32" + o].node_bits == 32
        assert get["sig_u12" + o].lo_code > 0 and not get["sig_u12" + o].node_signed
        assert "int64_t" in emit_c.render(next(f for f in cases if f.spec.name == "gelu_w32" + o))
    assert {m.order for m in get.values()} == {1, 2}
    # C: several regions at one step in the array (vectorized) and each code at its own step
    paths = {emit_c.interp_context(m)["normalise"] for m in get.values() if m.regions > 1}
    assert paths == {True, False}
    # the array's products: int16 and uint16 factors (16-bit multiplies) and wide ones; order 1's
    # one-step node window: int16 nodes (one load) and int32 ones
    contexts = [emit_c.interp_context(m) for m in get.values()]
    assert {k for c in contexts for k in c["products"]} == {"s16", "u16", "wide"}
    assert {c["packed"] for c in contexts if c["fixed_step"] and c["order"] == 1} == {True, False}
    assert any(m.frac > 0 for m in get.values()) and any(m.frac == 0 for m in get.values())
    assert any(m.regions > 1 for m in get.values()) and any(m.regions == 1 for m in get.values())


@pytest.mark.parametrize("which", ["cases", "lanes_fits"])
@pytest.mark.parametrize("sanitize", [True, False])
@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_c_every_value_of_the_input_type(which, request, compiler, sanitize, tmp_path):
    """gcc and clang, ASan+UBSan or -O2: every value of the C input type gives the golden
    model's output (stray values the nearest code's) with no sanitizer report; ``lanes_fits``:
    the 16-bit-lane arrays, plain and with the fold fused in."""
    require_tool(compiler)
    if sanitize:
        from test_emit_c import require_sanitizers

        require_sanitizers(compiler, tmp_path)
    from test_emit_c import assert_bit_exact

    cases = request.getfixturevalue(which)
    outputs = verify.run_c(cases, tmp_path, compiler, sanitize=sanitize, every_value=True)
    assert_bit_exact(cases, outputs, every_value=True)


def test_c_array_portable_loads(cases, tmp_path):
    """-DAPPROXGEN_PORTABLE_LOADS: order 1's one-step array copies its node pairs node by node
    (the path of big-endian targets and other compilers), the same outputs, under the
    sanitizers."""
    require_tool("gcc")
    from test_emit_c import require_sanitizers

    require_sanitizers("gcc", tmp_path)
    headers = [emit_c.render(f) for f in cases]
    assert any("__builtin_memcpy" in h for h in headers)  # the one-load window is rendered
    assert any("__builtin_memcpy" not in h for h in headers)  # e.g. int32 nodes
    outputs = verify.run_c(cases, tmp_path, "gcc", sanitize=True, every_value=True,
                           extra_flags=["-DAPPROXGEN_PORTABLE_LOADS"])
    for f in cases:
        count, first = verify.compare(f, outputs[f.spec.name], verify.C_VARIANTS,
                                      every_value=True)
        assert not count, (f.spec.name, first)


@pytest.mark.parametrize("pipeline", [False, True])
def test_verilog_bit_exact_and_lint_clean(cases, pipeline, tmp_path):
    require_tool("iverilog")
    for f in cases:
        report = verify.verify(f, ["verilog"], tmp_path / f.spec.name, pipeline=pipeline)
        assert report.ok(), (f.spec.name, [(r.status, r.message, r.first)
                                           for r in report.results])
    verilator = require_tool("verilator")
    for f in cases:
        path = tmp_path / f"{f.spec.name}.v"
        path.write_text(verilog.render(f, pipeline=pipeline))
        result = subprocess.run([verilator, "--lint-only", "-Wall", str(path)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, (f.spec.name, result.stderr)


def test_lut_part_refused_with_the_reason(tanh16):
    with pytest.raises(ApproxgenError, match="two neighbouring nodes"):
        verilog.render(tanh16, part="lut")


def test_cost_estimate_and_yosys(cases):
    f = next(f for f in cases if f.spec.name == "exp_u16_o1")
    est = cost.estimate(f, "full")
    assert est["rom_words"] == 2 * len(f.model.nodes) and est["multiplier"]["product"] > 0
    require_tool("yosys")
    report = cost.cost(f, ice40=False)
    assert [r["part"] for r in report["parts"]] == ["full"]
    assert report["parts"][0]["yosys"]["cells"] > 0


def test_report_summary_and_provenance(tanh16):
    from approxgen import report
    from approxgen.cli.fit import summary

    rows = report.segment_rows(tanh16)
    assert sum(r["mismatches"] for r in rows) == tanh16.metrics["mismatches"]
    text = summary(tanh16)
    assert "form interp" in text and "intervals" in text and "nodes int16" in text


# --- bytes as a budget (max_bytes) ---------------------------------------------------------------

GELU8 = dict(function="gelu", input={"bits": 8, "scale": 2 ** -5})


@pytest.mark.parametrize("form", ["interp", "pwl", "quadratic"])
def test_max_bytes_is_never_exceeded_and_buys_error(form):
    fits = [fit_raw(**GELU8, form=form, segments="auto", max_bytes=n) for n in (24, 64)]
    for f, n in zip(fits, (24, 64)):
        assert emit_c.table_bytes(f.model) <= n
        assert any(f"max_bytes {n}" in note for note in f.search["notes"])
    assert fits[1].metrics["max_error_lsb"] <= fits[0].metrics["max_error_lsb"]


def test_max_bytes_with_max_error_picks_the_fewest_bytes():
    f = interp(**GELU8, segments="auto", max_error_lsb=0.9, max_bytes=200)
    assert f.metrics["max_error_lsb"] <= 0.9
    size = emit_c.table_bytes(f.model)
    assert size <= 200
    with pytest.raises(ApproxgenError, match="more than"):
        interp(**GELU8, segments="auto", max_error_lsb=0.9, max_bytes=size - 1)
    with pytest.raises(ApproxgenError, match="more than max_bytes"):
        fit_raw(**GELU8, form="pwl", segments="auto", max_error_lsb=0.6, max_bytes=8)


def test_max_bytes_is_checked():
    with pytest.raises(ApproxgenError, match="needs segments: auto"):
        fit_raw(**GELU8, form="pwl", segments=4, max_bytes=100)
    with pytest.raises(ApproxgenError, match="max_bytes: must be in"):
        fit_raw(**GELU8, form="interp", segments="auto", max_bytes=0)
    with pytest.raises(ApproxgenError, match="table ships 129 bytes"):
        fit_raw(**GELU8, form="table", max_bytes=100)
    assert fit_raw(**GELU8, form="table", max_bytes=256).model.form == "table"


def test_max_bytes_round_trips_and_changes_the_hash(tmp_path):
    f = interp(**GELU8, segments="auto", max_bytes=40)
    assert f.spec.to_json()["max_bytes"] == 40
    assert "max_bytes" not in interp(**GELU8, segments=8).spec.to_json()
    path = tmp_path / "fit.json"
    f.save(path)
    assert artifact.load(path).dumps() == f.dumps()


def test_cli_budget_summary_cost_and_infeasible(tmp_path):
    import sys

    run = lambda *args: subprocess.run([sys.executable, "-m", "approxgen", *args],  # noqa: E731
                                       capture_output=True, text=True, check=False)
    out = tmp_path / "fit.json"
    ok = run("fit", "gelu", "--bits", "8", "--form", "interp", "--segments", "auto",
             "--max-bytes", "40", "--order", "1", "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    assert "C tables: 40 bytes (max_bytes 40)" in ok.stdout
    costed = run("cost", str(out), "--no-yosys")
    assert costed.returncode == 0 and "C tables 40 bytes" in costed.stdout
    bad = tmp_path / "bad.json"
    res = run("fit", "gelu", "--bits", "8", "--form", "interp", "--segments", "auto",
              "--max-bytes", "3", "-o", str(bad))
    assert res.returncode == 2 and not bad.exists()
    assert res.stderr.startswith("approxgen: error: --max-bytes: ") and res.stderr.count("\n") == 1


def test_artifact_over_its_byte_budget_is_refused(tmp_path):
    import json

    f = interp(**GELU8, segments="auto", max_bytes=40, order=1)
    data = json.loads(f.dumps())
    data["spec"]["max_bytes"] = 20
    data["spec_hash"] = dataclasses.replace(f.spec, max_bytes=20).hash()
    path = tmp_path / "fit.json"
    path.write_text(json.dumps(data))
    nbytes = emit_c.table_bytes(f.model)
    assert 20 < nbytes <= 40
    with pytest.raises(ApproxgenError, match=f"C tables take {nbytes} bytes, max_bytes 20"):
        artifact.load(path)


def test_fraction_bits_leave_the_accumulator_room():
    """A 32-bit output with few integer bits: as many fraction bits as fit, but never more than
    the golden model's 62-bit accumulator allows with the longest step."""
    f = interp(function="sigmoid", input={"bits": 16, "scale": 2 ** -12},
               output={"bits": 32, "scale": 2 ** -20}, segments=64)
    m = f.model
    assert m.node_bits == 32 and 0 < m.frac and m.frac + max(m.steps) + 32 + 2 <= 62
    assert f.model.widths().bits("acc") <= 62


# --- order 1's array in 16-bit lanes (emit/c.py _interp_lanes) and the fold fused into it --------

LANES = {
    # folded tanh: unsigned half input (key 2^15), nodes at the top of int16 (Klo after the
    # shift), the positive side saturating at 32767 in the fused reconstruction
    "tanh_s16": dict(function="tanh", input={"bits": 16, "scale": 2 ** -12},
                     output={"bits": 16, "scale": 2 ** -15}, segments=120, fold="auto"),
    "recip_u16": dict(function="recip", input={"bits": 16, "signed": False, "scale": 2 ** -12},
                      output={"bits": 16, "signed": False, "scale": 2 ** -8},
                      domain=[0.25, 15.9], segments=100),
    "exp_s16_o8": dict(function="exp", input={"bits": 16, "scale": 2 ** -11},
                       output={"bits": 8, "scale": 2 ** -4}, segments=60),
    # 12-bit codes in int16_t: stray values clamped; signed results (two's complement)
    "gelu_s12": dict(function="gelu", input={"bits": 12, "scale": 2 ** -8},
                     output={"bits": 12, "scale": 2 ** -8}, segments=40),
    "gelu_s12_fold": dict(function="gelu", input={"bits": 12, "scale": 2 ** -8},
                          output={"bits": 12, "scale": 2 ** -8}, segments=40, fold="auto"),
    "sig_u16_o8": dict(function="sigmoid", input={"bits": 16, "signed": False,
                                                  "scale": 2 ** -12},
                       output={"bits": 8, "signed": False, "scale": 2 ** -8}, segments=30),
}


@pytest.fixture(scope="module")
def lanes_fits():
    fits = []
    for order in (1, 2):
        for name, raw in LANES.items():
            if order == 2 and name == "sig_u16_o8":
                continue  # order 2's hi = floor(inner / 2^g) reaches 71029: no int16 lanes
            f = interp(**raw, order=order)
            fits.append(dataclasses.replace(f, spec=dataclasses.replace(
                f.spec, name=f"{name}_o{order}")))
    # nodes beyond the int8 output on both sides: the lanes saturate (the formula test's model)
    base = interp(function="tanh", input={"bits": 8, "scale": 2 ** -4},
                  output={"bits": 8, "scale": 2 ** -5}, segments=11, order=1)
    nodes = (-1000, -700, -300, 0, 900, 1500, 2000, 2100, 2200, 4000, -5000, 3000)
    model = InterpModel(base.spec.input, base.spec.output, -100, 90, (0, 64, 96), (4, 3, 5), 3,
                        16, True, nodes)
    fits.append(dataclasses.replace(base, model=model,
                                    spec=dataclasses.replace(base.spec, name="sat_s8_o1")))
    nodes2 = (*nodes[:10], 3000, 2500, -5000, -3000, -1200, 1000, 3000)  # order 2: 17 nodes
    model2 = InterpModel(base.spec.input, base.spec.output, -100, 90, (0, 64, 96), (4, 3, 5), 3,
                         16, True, nodes2, order=2)
    fits.append(dataclasses.replace(base, model=model2,
                                    spec=dataclasses.replace(base.spec, name="sat_s8_o2")))
    # order 2 overshooting its highest node (32700, 32767, 32000): values over 2^16 (split)
    wide = interp(function="tanh", input={"bits": 8, "scale": 2 ** -4},
                  output={"bits": 16, "scale": 2 ** -14}, segments=8, order=2)
    nodes3 = (-32768, -23400, -14000, -4700, 4700, 14000, 23400, 32700, 32767, 32000)
    model3 = InterpModel(wide.spec.input, wide.spec.output, -128, 127, (0,), (5,), 1, 16, True,
                         nodes3, order=2)
    fits.append(dataclasses.replace(wide, model=model3,
                                    spec=dataclasses.replace(wide.spec, name="split_s16_o2")))
    return fits


def _lanes(f):
    inner = getattr(f.model, "inner", f.model)
    return emit_c.interp_context(inner)["lanes"]


def test_lanes_cover_their_paths(lanes_fits):
    """The 16-bit-lane array applies to every case here (both orders) and between them takes
    each of its branches: both key kinds, the constant before or after the shift, the node's
    high bits apart (a value range over 2^16), a result read as unsigned or as two's
    complement, saturation on both sides, and the fold fused in (saturating)."""
    lanes = {f.spec.name: _lanes(f) for f in lanes_fits}
    assert all(lanes.values()), [k for k, v in lanes.items() if not v]
    for order in ("_o1", "_o2"):
        mine = [v for k, v in lanes.items() if k.endswith(order)]
        for key in ("key_shift", "wrapped") + (("kout",) if order == "_o1" else ()):
            assert {bool(v[key]) for v in mine} == {True, False}, (order, key)
        assert lanes["sat" + "_s8" + order]["vb_lo"] is not None
        assert lanes["sat" + "_s8" + order]["vb_hi"] is not None
    assert any(v["split"] for v in lanes.values())
    assert {v["du_lift"] for k, v in lanes.items() if k.endswith("_o1")} == {True, False}
    # order 2: t lo's high half is zero at steps up to 2^8 (one multiply less), else computed
    assert {v["gmax"] <= 8 for k, v in lanes.items() if k.endswith("_o2")} == {True, False}
    # d2 t in one multiply where its range allows, else two; hi lifted (or not: never negative)
    assert {v["x_lift"] is None for k, v in lanes.items() if k.endswith("_o2")} == {True, False}
    assert {v["hi_lift"] == 0 for k, v in lanes.items() if k.endswith("_o2")} == {True, False}
    headers = {f.spec.name: emit_c.render(f) for f in lanes_fits}
    fused = [n for n, h in headers.items() if "with the fold in it" in h]
    assert sorted(fused) == [f"{n}_o{o}" for n in ("gelu_s12_fold", "tanh_s16") for o in (1, 2)]
    assert "vp = (uint16_t)(vp - (vp > 32767 ? vp - 32767 : 0));" in headers["tanh_s16_o1"]
    # where it does not apply (frac 0: an unfolded int16 tanh) the blocked int32 array remains
    plain = interp(function="tanh", input={"bits": 16, "scale": 2 ** -12},
                   output={"bits": 16, "scale": 2 ** -15}, segments=120, order=1)
    assert plain.model.frac == 0 and _lanes(plain) is None
    assert "16-bit lanes" not in emit_c.render(plain)


def test_max_regions_caps_the_layout_and_round_trips(tmp_path):
    """``max_regions``: the layout keeps to it (fewer regions: fewer per-element clamps in C),
    is recorded only when set (older specs keep their hash), survives the artifact, and an
    artifact whose model has more regions than its spec allows is refused."""
    raw = dict(**INT16_TANH, segments="auto", max_bytes=512, order=1, fold="auto")
    free = fit_raw(form="interp", **raw)
    capped = fit_raw(form="interp", **raw, max_regions=2)
    inner = lambda f: getattr(f.model, "inner", f.model)  # noqa: E731
    assert inner(free).regions > 2 >= inner(capped).regions
    assert capped.search["settings"]["max_regions"] == 2
    assert "max_regions" not in free.spec.to_json()
    assert capped.spec.to_json()["max_regions"] == 2 and capped.spec.hash() != free.spec.hash()
    path = tmp_path / "fit.json"
    capped.save(path)
    assert artifact.load(path).dumps() == capped.dumps()
    data = __import__("json").loads(free.dumps())
    data["spec"]["max_regions"] = 2  # the spec now forbids the model's layout
    bad = tmp_path / "bad.json"
    bad.write_text(__import__("json").dumps(data))
    with pytest.raises(ApproxgenError, match="corrupted|regions"):
        artifact.load(bad)


@pytest.mark.parametrize("value, message", [(0, "must be in 1..8"), (9, "must be in 1..8"),
                                            ("two", "expected an integer")])
def test_max_regions_is_checked(value, message):
    with pytest.raises(ApproxgenError, match=f"max_regions: {message}"):
        fit_raw(**GELU8, form="interp", max_regions=value)
    with pytest.raises(ApproxgenError, match="form pwl does not read max_regions"):
        fit_raw(**GELU8, form="pwl", max_regions=2)


def test_cli_max_regions_flag(tmp_path):
    import sys

    run = lambda *args: subprocess.run([sys.executable, "-m", "approxgen", *args],  # noqa: E731
                                       capture_output=True, text=True, check=False)
    out = tmp_path / "fit.json"
    bad = run("fit", "gelu", "--bits", "8", "--form", "interp", "--max-regions", "9",
              "-o", str(out))
    assert bad.returncode == 2 and bad.stderr.strip() == \
        "approxgen: error: --max-regions: must be in 1..8, got 9" and not out.exists()
    ok = run("fit", "gelu", "--bits", "8", "--form", "interp", "--max-regions", "1",
             "--segments", "auto", "--max-bytes", "100", "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    model = artifact.load(out).model
    assert getattr(model, "inner", model).regions == 1


# --- flat ends: a run of one correctly rounded value at either end is left to the input clamp ----

def test_flat_ends():
    from approxgen.fit.interp import flat_ends

    assert flat_ends(np.array([0, 0, 0, 1, 2, 3, 3])) == (2, 5)
    assert flat_ends(np.array([1, 2, 3])) == (0, 2)
    assert flat_ends(np.array([5, 5, 5])) == (0, 0)


def test_a_flat_end_is_clamped_and_gives_its_codes_the_correct_value(tanh16):
    """hswish is 0 below -3 and int16 tanh saturates at both ends: the model's clamp range
    leaves those codes out, and every one of them gets the run's correctly rounded value."""
    hswish = interp(function="hswish", input={"bits": 8, "scale": 2 ** -4}, segments=12)
    for f in (hswish, tanh16):
        lo, hi = f.spec.domain
        m = f.model
        assert m.lo_code > lo and (f is hswish or m.hi_code < hi)
        codes = f.spec.domain_codes()
        for run in (codes[codes <= m.lo_code], codes[codes >= m.hi_code]):
            floor = correctly_rounded(f.spec.reference(run), f.spec.output)
            assert (floor == floor[0]).all() and (m.evaluate(run) == floor[0]).all()
    from approxgen.cli.fit import summary
    assert f"codes {tanh16.model.lo_code}..{tanh16.model.hi_code} (the flat ends beyond: " \
        "clamped)" in summary(tanh16)


def test_a_flat_end_is_judged_on_every_code_it_stands_for(tanh16):
    """The node search sees the run's innermost code with the run's largest error and summed
    squared error (up to a constant) for any output: the same as judging every code of it."""
    from approxgen.fit.interp import NodeProblem
    from approxgen.metrics import target

    spec = tanh16.spec
    targets = target(spec, spec.domain_codes()) / spec.output.scale
    problem = NodeProblem(spec, targets, trim=True)
    first = problem.lo_code - spec.domain[0]
    last = first + problem.n - 1
    for at, run in ((0, targets[:first + 1]), (problem.n - 1, targets[last:])):
        assert run.size > 1
        y = np.arange(int(run.min()) - 3, int(run.max()) + 4, dtype=np.int64)
        uc = np.full(y.size, at)
        E, S = problem.errors(y[:, None], uc[:, None], np.ones((y.size, 1), bool), 1)
        err = y[:, None] - run[None, :]
        np.testing.assert_allclose(E, np.abs(err).max(axis=1))
        sq = (err * err).sum(axis=1)
        np.testing.assert_allclose(S - S[0], sq - sq[0], rtol=1e-9, atol=1e-6)


def test_artifact_whose_clamp_leaves_the_domain_is_refused(tmp_path):
    import json

    f = interp(function="hswish", input={"bits": 8, "scale": 2 ** -4}, domain=[-4, 3.9],
               segments=12)
    data = json.loads(f.dumps())
    lo, hi = f.spec.domain
    shift = lo - 6 - f.model.lo_code  # the same code count, starting below the domain
    data["model"]["lo_code"] += shift
    data["model"]["hi_code"] += shift
    path = tmp_path / "fit.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ApproxgenError, match=f"clamps to codes {lo - 6}\\.\\..*outside the "
                                             f"domain {lo}\\.\\.{hi}"):
        artifact.load(path)


# --- the layout's dynamic programme against every partition of a few blocks ---------------------

def _brute_least_nodes(layouts, tau):
    """Fewest nodes per region count over every cut of the blocks into regions, each region at
    its longest step allowed (the estimate within tau on its blocks, the step dividing its start
    and, unless last, its span)."""
    from itertools import combinations

    from approxgen.fit.interp import layout_nodes

    edges = [int(e) for e in layouts.block_edges]
    nb = len(edges) - 1
    best = {}
    for regions in range(1, layouts.max_regions + 1):
        for cuts in combinations(range(1, nb), regions - 1):
            bounds = [0, *cuts, nb]
            starts, steps = [], []
            for a, b in zip(bounds, bounds[1:]):
                start, span = edges[a], edges[b] - edges[a]
                g = max(g for g in range(layouts.top + 1)
                        if (layouts.block_err[g, a:b] <= tau).all() and start % (1 << g) == 0
                        and (b == nb or span % (1 << g) == 0))
                starts.append(start)
                steps.append(g)
            nodes = layout_nodes(starts, steps, layouts.n, layouts.order)
            nodes -= layouts.per_region * regions
            best[regions] = min(best.get(regions, nodes), nodes)
    return best


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-40, 40), min_size=40, max_size=200), st.integers(1, 4),
       st.sampled_from([1, 2]), st.booleans(), st.integers(0, 30))
def test_layout_programme_finds_the_fewest_nodes(steps, regions, order, intervals, which):
    """For a drawn target (a random walk in its slope) and one of its thresholds, the layout has
    the fewest nodes (intervals) of every cut of about 8 blocks into regions (brute force)."""
    from unittest import mock

    from approxgen.fit import interp as fit_interp
    from approxgen.fit.interp import Layouts, layout_nodes

    t = np.cumsum(np.cumsum(np.asarray(steps, dtype=np.float64))) / 8.0
    with mock.patch.object(fit_interp, "BLOCKS_LOG2", 3):
        layouts = Layouts(t, max_regions=regions, order=order, intervals=intervals)
    taus = layouts.thresholds()
    tau = float(taus[which % taus.size])
    brute = _brute_least_nodes(layouts, tau)
    found = layouts.per_regions(tau)
    assert found, tau
    least = min(brute.values())
    got = [layout_nodes(*lay, layouts.n, order) - layouts.per_region * len(lay[0])
           for lay in found]
    assert got[0] == least  # the first is the fewest of all region counts
    assert all(len(lay[0]) <= regions for lay in found)
    assert layouts.layout(tau) == found[0]
