"""The blocks' streaming VHDL units (issue 23): GHDL simulation bit for bit against the golden
model (the Verilog tests' rows, random producer gaps and consumer stalls), ``ghdl --synth``,
``emit vhdl`` and ``verify --target vhdl`` of a block spec; and the norm unit's width analysis
(:mod:`approxgen.blocks.norm_unit`): every value the golden model reaches lies in its range."""

from __future__ import annotations

import json

import numpy as np
import pytest

from approxgen.blocks import load, norm_unit
from approxgen.blocks.norm import R_BITS, v_sweep
from approxgen.emit.vhdl import render_block
from approxgen.verify_block import simulate_rows_vhdl
from conftest import require_tool, run_cli
from test_blocks_hdl import SOFTMAX8, SOFTMAX16, hdl_rows, norm

SOFTMAX_UNSIGNED = {**SOFTMAX8, "name": "smu", "length": 32,
                    "input": {"bits": 8, "signed": False, "scale": "2^-3"},
                    "output": {"bits": 16, "scale": "2^-15"}}


def simulate(block, rows, tmp_path, stalls: bool = True, seed: int = 3):
    require_tool("ghdl")
    failed, first, cycles = simulate_rows_vhdl(block, [r for r, _ in rows], tmp_path, stalls,
                                               seed, framed=[f for _, f in rows])
    assert not first or failed, first
    return failed, cycles


@pytest.mark.parametrize("raw", ["layernorm 8", "rmsnorm 8", "layernorm 16",
                                 "layernorm 8 no-newton", SOFTMAX8, SOFTMAX16, SOFTMAX_UNSIGNED],
                         ids=["layernorm-int8", "rmsnorm-int8", "layernorm-int16",
                              "layernorm-int8-rsqrt-without-newton", "softmax-int8",
                              "softmax-int16-split-tables", "softmax-unsigned-in-16-out"])
def test_vhdl_unit_is_bit_exact_with_stalls(raw, tmp_path):
    """Every output beat (data and m_tlast) equals the golden model under random stalls, over
    the seeded and adversarial rows (one framed by the length alone); ghdl --synth accepts it."""
    if isinstance(raw, str):
        kind, bits, *newton = raw.split()
        raw = norm(kind, int(bits), 16 if bits == "8" else 12, tmp_path)
        if newton:
            raw["rsqrt"] = {"newton": 0}
    block = load(raw, "<test>")
    assert simulate(block, hdl_rows(block, seed=5), tmp_path)[0] == 0


@pytest.mark.parametrize("kind", ["rmsnorm", "softmax"])
def test_vhdl_cycles_without_stalls_are_as_stated(kind, tmp_path):
    """No stalls: 2 n + the row steps per row (the norms), n (P + 5) (softmax), as the header
    states (the Verilog unit's timing)."""
    block = load(norm(kind, 8, 16) if kind != "softmax" else SOFTMAX8, "<test>")
    rows = hdl_rows(block, seed=9)
    failed, cycles = simulate(block, rows, tmp_path, stalls=False)
    elements = sum(len(r) for r, _ in rows)
    if kind == "softmax":
        stated, claim = elements * (block.out_shift + 5), f"n ({block.out_shift + 5}) cycles"
    else:
        per_row = block.vhdl_context()["row_cycles"]
        stated, claim = 2 * elements + len(rows) * per_row, f"a row every 2 n + {per_row} cycles"
    assert failed == 0 and stated <= cycles <= stated + 2, (cycles, stated)
    assert claim in " ".join(render_block(block).replace("--", " ").split())


def test_a_wrong_output_is_reported(tmp_path):
    """The bench fails when the unit differs from what it expects (a model one LSB off)."""

    class OneOff:
        def __init__(self, block):
            self._block = block

        def __getattr__(self, name):
            return getattr(self._block, name)

        def model(self, rows):
            return np.minimum(self._block.model(rows) + 1, self._block.output.max_code)

    block = load(norm("layernorm", 8, 8), "<test>")
    rows = [(np.arange(-4, 4) * 9, True), (np.full(8, 3), True)]
    failed, _ = simulate(OneOff(block), rows, tmp_path, stalls=False)
    assert failed == 16


def test_emit_and_verify_vhdl_of_a_block_spec(tmp_path):
    """``emit vhdl`` writes render_block's unit; ``verify --target vhdl`` checks the inner fit
    over every code and the check rows through the unit; a name the unit uses is refused in one
    line, nothing written."""
    require_tool("ghdl")
    spec = tmp_path / "ln.yaml"
    spec.write_text("block: layernorm\nname: ln8\nlength: 16\n"
                    "input: {bits: 8, scale: 2^-2}\noutput: {bits: 8, scale: 2^-4}\n")
    out = tmp_path / "ln.vhd"
    assert run_cli("emit", "vhdl", str(spec), "-o", str(out)).returncode == 0
    assert out.read_text() == render_block(load({"block": "layernorm", "name": "ln8",
                                                 "length": 16, "input": {"bits": 8,
                                                                         "scale": "2^-2"},
                                                 "output": {"bits": 8, "scale": "2^-4"}},
                                                "<test>"))
    done = run_cli("verify", str(spec), "--no-c", "--no-verilog", "--target", "vhdl", "--json",
                   "--strict")
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(done.stdout)["results"]
    assert result["target"] == "vhdl" and result["status"] == "pass"
    assert result["codes"] > 3 * 1024 and result["mismatches"] == 0
    bad = tmp_path / "acc.yaml"
    bad.write_text(spec.read_text().replace("name: ln8", "name: ACC"))
    refused = run_cli("emit", "vhdl", str(bad), "-o", str(tmp_path / "acc.vhd"))
    assert refused.returncode == 2 and not (tmp_path / "acc.vhd").exists()
    assert refused.stderr.strip().count("\n") == 0 and "VHDL unit uses itself" in refused.stderr


def test_a_block_without_a_vhdl_unit_is_refused():
    """A block without ``vhdl_context`` gets the one refusal; the shipped blocks have units."""
    from approxgen.blocks import Block
    from approxgen.emit import block_renderer, get
    from approxgen.errors import ApproxgenError

    class Bare(Block):
        kind = "bare"

    with pytest.raises(ApproxgenError, match="the bare block has no VHDL emitter yet"):
        block_renderer(get("vhdl"), Bare(), "spec.yaml")
    for raw in (SOFTMAX8, norm("layernorm", 8, 4)):
        assert block_renderer(get("vhdl"), load(raw, "<test>")) is render_block


# --- the norm unit's width analysis ---------------------------------------------------------


def rsqrt_trace(block, v):
    """The golden model's rsqrt30 of ``v`` with every intermediate of its Newton steps."""
    seen = {key: [] for key in ("r", "rr", "t", "mt", "w", "rw")}
    e = np.zeros_like(v)
    for bit in range(31, -1, -1):
        e = np.where((v >> (2 * bit)) > 0, np.maximum(e, bit), e)
    m30 = np.where(2 * e <= R_BITS, v << np.maximum(R_BITS - 2 * e, 0),
                   v >> np.maximum(2 * e - R_BITS, 0))
    code = m30 >> (R_BITS - block.mantissa_bits)
    r = block.rsqrt_fit.model.evaluate(code).astype(np.int64) << (R_BITS - block.rsqrt_bits + 1)
    seen["r"].append(r)
    for _ in range(block.newton):
        rr = r * r
        t1 = rr >> R_BITS
        mt = m30 * t1
        t = mt >> R_BITS
        w = (3 << R_BITS) - t
        rw = r * w
        r = rw >> (R_BITS + 1)
        for key, value in (("rr", rr), ("t", t1), ("t", t), ("mt", mt), ("w", w), ("rw", rw),
                           ("r", r)):
            seen[key].append(value)
    return seen, r, e


@pytest.mark.parametrize("raw", ["layernorm 8 16", "layernorm 16 12", "rmsnorm 16 64",
                                 "layernorm 8 1"])
def test_every_reached_value_lies_in_its_range(raw, tmp_path):
    """The golden model's intermediates over the V sweep (rsqrt30) and the check rows (the
    row and element values) stay inside :func:`norm_unit.ranges`, which the widths come from;
    and the row phase shares one multiplier (one product per row step)."""
    kind, bits, length = raw.split()
    block = load(norm(kind, int(bits), int(length), tmp_path if length != "1" else None),
                 "<test>")
    rg = norm_unit.ranges(block)

    def inside(key, values):
        values = np.asarray(values)
        lo, hi = rg[key]
        assert lo <= values.min() and values.max() <= hi, (key, values.min(), values.max(),
                                                          rg[key])

    seen, r, e = rsqrt_trace(block, v_sweep())
    for key, values in seen.items():
        if values:
            inside(key, np.concatenate(values))
    inside("r_final", r)
    for row in block.check_rows():
        x = row.astype(np.int64)
        n = x.size
        a = n * x - x.sum() if block.centred else x
        v = max(int((a * a).sum()) + block.eps_term(n), 1)
        (rv,), (ev,) = block.rsqrt(np.array([v]))
        (rn,), (en,) = block.rsqrt(np.array([n]))
        k = (n * rn) >> (en + 6)
        m = (rv * k) >> (54 - block.m_shift)
        z = (a * m) >> (block.m_shift + ev - block.z_shift)
        total = z * block.gamma[:n] + (block.beta[:n] << (block.z_shift + block.gamma_shift
                                                          - block.beta_shift))
        total = total + (1 << (block.final_shift - 1))
        for key, value in (("s", x.sum()), ("sq", (x * x).sum()), ("v", v), ("a", a), ("k", k),
                           ("m", m), ("p", a * m), ("z", z), ("acc", total),
                           ("o", total >> block.final_shift)):
            inside(key, value)
        assert ev <= rg["e_max"]
    unit = norm_unit.Unit(block)
    products = [s for s in unit.steps if s["a"] is not None]
    assert len(products) == (3 * bool(block.centred) + 2 * bool(block.centred) + 1
                             + 6 * block.newton + 2)
    assert unit.prod_bits <= 64
