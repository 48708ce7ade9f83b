"""form: interp, order 2 (quadratic through three nodes): the golden model against the formula in
exact rationals, the order key, older artifacts, the integer node search, 16-bit nodes with a base,
the issue's int16 byte-budget targets, and C (both array paths) bit for bit over every value."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
from fractions import Fraction

import numpy as np
import pytest

from approxgen import artifact, forms, spec as specs, verify
from approxgen.emit import c as emit_c
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat
from approxgen.forms.interp import InterpModel
from conftest import fit_raw, require_tool

INT16 = dict(input={"bits": 16, "signed": True, "scale": 2 ** -12},
             output={"bits": 16, "scale": 2 ** -15})
GELU8 = dict(function="gelu", input={"bits": 8, "scale": 2 ** -5})


def interp(**raw):
    return fit_raw(**{"form": "interp", **raw})


def test_model_is_one_rounding_of_the_quadratic():
    """Every code: y = sat(round half up(Q / 2^F)) with Q the Newton forward quadratic through
    the interval's three nodes (plus the base), in exact rationals."""
    inp, out = IntFormat(8, True, 2 ** -4), IntFormat(8, True, 2 ** -5)
    starts, steps, frac, base = (0, 64, 96), (4, 3, 5), 3, 700
    rng = np.random.default_rng(1)
    counts = (4 + 2, 4 + 2, 3 + 2)  # intervals + 2 per region (191 codes: 64, 32, 95)
    nodes = tuple(int(v) for v in rng.integers(-3000, 3000, sum(counts)))
    model = InterpModel(inp, out, -100, 90, starts, steps, frac, 16, True, nodes, 2, base)
    model.check()
    assert model.firsts() == (0, 6, 12) and model.segments == sum(counts) - 6
    for q, y in zip(inp.codes().tolist(), model.evaluate(inp.codes()).tolist()):
        u = min(max(q, -100), 90) + 100
        r = (u >= 64) + (u >= 96)
        d = u - starts[r]
        k, t = model.firsts()[r] + (d >> steps[r]), Fraction(d % (1 << steps[r]), 1 << steps[r])
        v0, v1, v2 = (nodes[k + i] + base for i in range(3))
        value = v0 + t * (v1 - v0) + t * (t - 1) / 2 * (v2 - 2 * v1 + v0)
        assert y == min(max(math.floor(value / 2 ** frac + Fraction(1, 2)), -128), 127)


def test_order_key_default_and_errors(tmp_path):
    spec = specs.resolve({"function": "gelu", "form": "interp", "segments": 8}, "f.yaml")
    default = forms.declared_keys()["order"].default  # declared next to the form
    assert spec.order == default == "auto" and spec.to_json()["order"] == "auto"
    with pytest.raises(ApproxgenError, match=r"f: order: must be auto, 1 or 2 \(an integer\), "
                                             r"got '2'"):  # a quoted number is text (issue 22)
        specs.resolve({"function": "gelu", "form": "interp", "order": "2"}, "f")
    assert specs.resolve({"function": "gelu", "form": "pwl"}, "f.yaml").order is None
    with pytest.raises(ApproxgenError, match=r"f.yaml: order: must be auto, 1 or 2 \(an integer\), got 3"):
        specs.resolve({"function": "gelu", "form": "interp", "order": 3}, "f.yaml")
    with pytest.raises(ApproxgenError, match=r"f.yaml: order: must be auto, 1 or 2"):
        specs.resolve({"function": "gelu", "form": "interp", "order": "cubic"}, "f.yaml")
    with pytest.raises(ApproxgenError, match="form pwl does not read order"):
        specs.resolve({"function": "gelu", "form": "pwl", "order": 2}, "f.yaml")
    bad = tmp_path / "bad.json"
    res = subprocess.run([sys.executable, "-m", "approxgen", "fit", "gelu", "--bits", "8",
                          "--form", "interp", "--segments", "8", "--order", "0", "-o", str(bad)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2 and not bad.exists()
    assert res.stderr == "approxgen: error: --order: must be auto, 1 or 2 (an integer), got 0\n"


def test_order_auto_keeps_the_better_order():
    """gelu int16 in 256 bytes: linear wins (16-bit nodes with 0 fraction bits: the quadratic's
    curvature is coarse); tanh: quadratic wins. The note names both."""
    for function, scale, order in (("gelu", 2 ** -12, 1), ("tanh", 2 ** -15, 2)):
        f = interp(function=function, input=INT16["input"], output={"bits": 16, "scale": scale},
                   segments="auto", max_bytes=256)
        fixed = [interp(function=function, input=INT16["input"],
                        output={"bits": 16, "scale": scale}, segments="auto", max_bytes=256,
                        order=o) for o in (1, 2)]
        assert f.model.inner.order == order
        assert f.metrics["max_error_lsb"] == min(g.metrics["max_error_lsb"] for g in fixed)
        assert any(f"order auto: order {order} kept" in note for note in f.search["notes"])


def test_artifacts_record_the_order_and_older_ones_are_linear(tmp_path):
    two = interp(**GELU8, segments=8, fold="none", order=2)
    one = interp(**GELU8, segments=8, fold="none", order=1)
    assert two.model.order == 2 and json.loads(two.dumps())["model"]["order"] == 2
    data = json.loads(one.dumps())  # order 1 is recorded by its absence, as before the key
    assert "order" not in data["model"] and "order" not in data["spec"]
    for f in (one, two):
        path = tmp_path / "fit.json"
        f.save(path)
        assert artifact.load(path).dumps() == f.dumps()
    data = json.loads(two.dumps())
    data["model"]["order"] = 1  # the nodes no longer match the spec's order
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ApproxgenError, match="corrupted"):
        artifact.load(path)


def test_nodes_are_integer_optimal_for_order_2():
    """The DP over node pairs: no node moved by one lowers the max error, and the result is no
    worse than the LP solution rounded."""
    f = interp(function="tanh", input={"bits": 10, "scale": 2 ** -7},
               output={"bits": 10, "scale": 2 ** -9}, segments=12, fold="none", order=2)
    m = f.model
    codes = f.spec.domain_codes()
    t = np.clip(f.spec.reference(codes) / f.spec.output.scale, -512, 511)
    err = lambda model: float(np.abs(model.evaluate(codes) - t).max())  # noqa: E731
    best = err(m)
    assert best == pytest.approx(f.metrics["max_error_lsb"])
    from approxgen.fit.interp import NodeProblem

    lp = NodeProblem(f.spec, t).lp_centre(m.starts, m.steps) - m.base
    assert best <= err(dataclasses.replace(m, nodes=tuple(int(v) for v in lp))) + 1e-12
    lo, hi = m.node_range()
    for i in range(len(m.nodes)):
        for delta in (-1, 1):
            nodes = list(m.nodes)
            nodes[i] = min(hi, max(lo, nodes[i] + delta))
            assert err(dataclasses.replace(m, nodes=tuple(nodes))) >= best - 1e-12


@pytest.fixture(scope="module")
def budget_fits():
    out = {}
    for function in ("tanh", "sigmoid"):
        started = time.perf_counter()
        f = interp(function=function, **INT16, segments="auto", max_bytes=256,
                   name=f"{function}_256")
        out[function] = (f, time.perf_counter() - started)
    return out


def test_int16_targets_in_256_bytes(budget_fits):
    """The issue's 256-byte targets (at or below CMSIS-NN's 1.476 / 1.016 LSB), folded, with
    16-bit nodes: the folded tanh half (17-bit values) gets a base and a fraction bit."""
    for function, goal in (("tanh", 1.476), ("sigmoid", 1.016)):
        f, seconds = budget_fits[function]
        inner = f.model.inner
        assert inner.order == 2 and inner.node_bits == 16 and inner.frac >= 1
        assert emit_c.table_bytes(f.model) <= 256
        assert f.metrics["max_error_lsb"] <= goal, function
        assert seconds < 60  # the issue asks < 30 s on an idle machine
    assert budget_fits["tanh"][0].model.inner.base != 0


def test_nodes_no_code_reads_continue_the_ones_before(budget_fits):
    """A node only codes at t = 0 touch (or none) is free for the search; the fit continues it
    (second difference 0) so it does not widen the C and Verilog arithmetic."""
    for f, _ in budget_fits.values():
        m = f.model.inner
        v = m.intermediates(np.arange(m.lo_code, m.hi_code + 1))
        used = np.zeros(len(m.nodes), dtype=bool)
        used[v["k"]] = True
        used[v["k"][v["t"] > 0] + 1] = used[v["k"][v["t"] > 0] + 2] = True
        lo, hi = m.node_range()
        for j in np.flatnonzero(~used):
            assert m.nodes[j] == min(max(2 * m.nodes[j - 1] - m.nodes[j - 2], lo), hi)
        d2 = m.widths().d2
        assert max(abs(d2[0]), abs(d2[1])) < 1 << 12  # a smooth half: small second differences


@pytest.mark.parametrize("sanitize", [False, True])
def test_c_int16_budget_fits_every_value(budget_fits, sanitize, tmp_path):
    """The int16 budget fits (several regions, the array's arithmetic at one step, t scaled):
    the array variants and the scalar function equal the golden model on every int16."""
    require_tool("gcc")
    fits = [f for f, _ in budget_fits.values()]
    fits.append(interp(function="sigmoid", **INT16, segments="auto", max_bytes=512,
                       name="sigmoid_512"))
    assert all(emit_c.interp_context(f.model.inner)["normalise"] for f in fits)
    if sanitize:
        from test_emit_c import require_sanitizers

        require_sanitizers("gcc", tmp_path)
    outputs = verify.run_c(fits, tmp_path, "gcc", sanitize=sanitize, every_value=True)
    for f in fits:
        count, first = verify.compare(f, outputs[f.spec.name], verify.C_VARIANTS,
                                      every_value=True)
        assert not count, (f.spec.name, first)


def test_verilog_order_2_folded(budget_fits, tmp_path):
    require_tool("iverilog")
    f = budget_fits["sigmoid"][0]
    report = verify.verify(f, ["verilog"], tmp_path / "v", pipeline=True)
    assert report.ok(), [(r.status, r.message, r.first) for r in report.results]


def test_order_auto_skips_an_order_the_budget_cannot_hold():
    """Order 2 needs three nodes a region: in 4 bytes only order 1 fits, and auto keeps it;
    a budget neither fits is the first order's error."""
    f = interp(**GELU8, segments="auto", max_bytes=4, fold="none")
    assert f.model.order == 1 and emit_c.table_bytes(f.model) <= 4
    with pytest.raises(ApproxgenError, match="more than max_bytes allows"):
        interp(**GELU8, segments="auto", max_bytes=4, fold="none", order=2)
    with pytest.raises(ApproxgenError, match="more than max_bytes allows"):
        interp(**GELU8, segments="auto", max_bytes=3, fold="none")
