"""The blocks' streaming Verilog units (issue 23, part 2: softmax, LayerNorm, RMSNorm): Icarus
simulation against the golden model bit for bit (seeded and adversarial rows, random producer
gaps and consumer stalls), the stated cycle counts without stalls, Verilator lint, one Yosys
synth (softmax), and the CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from approxgen.blocks import load
from approxgen.emit.verilog import render_block
from approxgen.verify_block import simulate_rows
from conftest import require_tool
from test_blocks import cli

SOFTMAX8 = {"block": "softmax", "name": "sm8", "length": 24,
            "input": {"bits": 8, "signed": True, "scale": "2^-4"},
            "output": {"bits": 8, "signed": False, "scale": "2^-8"}}
SOFTMAX16 = {"block": "softmax", "name": "sm16", "length": 16,
             "input": {"bits": 16, "signed": True, "scale": "2^-11"},
             "output": {"bits": 16, "signed": False, "scale": "2^-15"}}

def hdl_rows(block, seed: int) -> list[tuple[np.ndarray, bool]]:
    """``(row, tlast on its last element)``: the seeded and adversarial rows of the C tests
    (the block's ``sample_rows``) at the maximum length, seeded rows of random lengths (1
    included), and one maximum-length row framed only by the length."""
    n = block.length
    rows = [(r, True) for kind in block.sample_rows(n, 2, seed).values() for r in kind]
    rng = np.random.default_rng(seed)
    for length in (1, 1, 2, 3, *rng.integers(1, n, 4)):
        first = next(iter(block.sample_rows(int(length), 1, seed).values()))
        rows += [(r, True) for r in first]
    fmt = block.input
    rows.append((rng.integers(fmt.min_code, fmt.max_code + 1, n), False))
    return rows


def simulate(block, rows, tmp_path: Path, stalls: bool, seed: int = 1) -> tuple[int, int]:
    """``(mismatching beats, cycles)`` of the unit over ``rows`` under Icarus (the product's
    bench, :func:`approxgen.verify_block.simulate_rows`)."""
    require_tool("iverilog"), require_tool("vvp")
    failed, first, cycles = simulate_rows(block, [r for r, _ in rows], tmp_path, stalls, seed,
                                          framed=[f for _, f in rows])
    assert not first or failed, first
    return failed, cycles


def norm(kind: str, bits: int, length: int, vectors: Path | None = None) -> dict:
    """A LayerNorm/RMSNorm spec (as tests/test_blocks_norm.py's), with random gamma (and beta)
    ``.npy`` files in ``vectors``."""
    scales = {8: ("2^-2", "2^-4"), 16: ("2^-9", "2^-11")}[bits]
    raw = {"block": kind, "name": f"{kind[:2]}{bits}", "length": length,
           "input": {"bits": bits, "scale": scales[0]},
           "output": {"bits": bits, "scale": scales[1]}}
    if vectors is not None:
        rng = np.random.default_rng(bits + length)
        for key in ("gamma", "beta") if kind == "layernorm" else ("gamma",):
            path = vectors / f"{key}.npy"
            np.save(path, rng.normal(1.0 if key == "gamma" else 0.0, 0.5, length))
            raw[key] = str(path)
    return raw


@pytest.mark.parametrize("raw", [SOFTMAX8, SOFTMAX16, "layernorm 8", "layernorm 16",
                                 "rmsnorm 8", "rmsnorm 16", "layernorm 8 quadratic"],
                         ids=["softmax-int8", "softmax-int16", "layernorm-int8",
                              "layernorm-int16", "rmsnorm-int8", "rmsnorm-int16",
                              "layernorm-int8-quadratic-rsqrt-no-newton"])
def test_streaming_unit_is_bit_exact_with_stalls(raw, tmp_path):
    """Every output beat (data and m_tlast) equals the golden model, under random producer gaps
    and consumer stalls, over the seeded and adversarial rows."""
    if isinstance(raw, str):
        kind, bits, *form = raw.split()
        raw = norm(kind, int(bits), 16 if bits == "8" else 12, tmp_path)
        if form:
            raw["rsqrt"] = {"form": form[0], "segments": 4, "newton": 0}
    block = load(raw, "<test>")
    rows = hdl_rows(block, seed=5)
    assert simulate(block, rows, tmp_path, stalls=True, seed=7)[0] == 0


@pytest.mark.parametrize("kind", ["softmax", "layernorm"])
def test_cycles_without_stalls_are_as_stated(kind, tmp_path):
    """No stalls: a row of n elements takes n (P + 5) cycles (softmax) or 2 n + the row steps
    (the norms: 22 for LayerNorm with 2 Newton steps), as the module header states."""
    block = load(SOFTMAX8 if kind == "softmax" else norm(kind, 8, 16), "<test>")
    rows = hdl_rows(block, seed=9)
    failed, cycles = simulate(block, rows, tmp_path, stalls=False)
    assert failed == 0
    elements = sum(len(r) for r, _ in rows)
    if kind == "softmax":
        stated, claim = elements * (block.out_shift + 5), f"n ({block.out_shift + 5}) cycles"
    else:
        per_row = block.verilog_context()["row_cycles"]
        assert per_row == 6 * block.newton + 10
        stated, claim = 2 * elements + len(rows) * per_row, f"2 n + {per_row} cycles"
    assert stated <= cycles <= stated + 2, (cycles, stated)
    assert claim in " ".join(render_block(block).replace("//", " ").split())


@pytest.mark.parametrize("raw", [SOFTMAX8, SOFTMAX16, {**SOFTMAX8, "name": "sm1", "length": 1},
                                 {**SOFTMAX8, "name": "smu", "length": 32,
                                  "input": {"bits": 8, "signed": False, "scale": "2^-3"},
                                  "output": {"bits": 16, "scale": "2^-15"}},
                                 "layernorm 8", "rmsnorm 16", "layernorm 1",
                                 {**norm("layernorm", 8, 64), "rsqrt": {"newton": 0}}],
                         ids=["int8", "int16", "length1", "unsigned-in-16-out", "layernorm-int8",
                              "rmsnorm-int16", "layernorm-length1",
                              "layernorm-length64-no-newton"])
def test_verilator_lint_is_clean(raw, tmp_path):
    verilator = require_tool("verilator")
    if isinstance(raw, str):
        kind, size = raw.split()
        raw = norm(kind, 8, 1) if size == "1" else norm(kind, int(size), 16, tmp_path)
    block = load(raw, "<test>")
    path = tmp_path / f"{block.name}.v"
    path.write_text(render_block(block))
    result = subprocess.run([verilator, "--lint-only", "-Wall", "--top-module", block.name,
                             str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_yosys_synthesizes_the_unit():
    """Generic synth of the int8 unit (the README's cell count)."""
    from approxgen import cost

    require_tool("yosys")
    block = load(SOFTMAX8, "<test>")
    cells = cost.measure(render_block(block), block.name, ice40=False)["cells"]
    print(f"yosys synth cells: {cells}")
    assert 100 < cells < 20000


def test_emit_verilog_of_a_block_spec(tmp_path):
    """``emit verilog`` writes render_block's unit (byte-identical twice)."""
    spec, out = tmp_path / "sm.yaml", tmp_path / "sm.v"
    spec.write_text("block: softmax\nlength: 8\ninput: {scale: 2^-4}\n")
    assert cli("emit", "verilog", str(spec), "-o", str(out)).returncode == 0
    first = out.read_bytes()
    assert first.decode() == render_block(load({"block": "softmax", "name": "sm", "length": 8,
                                                "input": {"scale": "2^-4"}}, "<test>"))
    assert cli("emit", "verilog", str(spec), "-o", str(out)).returncode == 0
    assert out.read_bytes() == first



def test_a_block_without_a_verilog_unit_is_refused():
    """Every shipped block has a unit; one without ``verilog_context`` gets the one refusal."""
    from approxgen.blocks import Block
    from approxgen.emit import block_renderer, get
    from approxgen.errors import ApproxgenError

    class Bare(Block):
        kind = "bare"

    with pytest.raises(ApproxgenError, match="the bare block has no Verilog emitter yet"):
        block_renderer(get("verilog"), Bare(), "spec.yaml")
    assert block_renderer(get("verilog"), load(SOFTMAX8, "<test>")) is render_block
