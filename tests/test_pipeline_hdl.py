"""Pipelined and AXI4-Stream Verilog and the VHDL emitter: Icarus and GHDL over every input code
(seeded random ce drops, producer idles and consumer stalls), Verilator lint, GHDL synthesis,
CLI refusals."""

from __future__ import annotations

import dataclasses
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

import approxgen
from approxgen.cli import main
from approxgen.emit import datapaths, pipelined, rtl, vectors, verilog, vhdl
from conftest import CONFIGS, fit_raw, require_tool, shipped_fit

INT8 = [c for c in CONFIGS if "int16" not in c.name]


def _write(tmp_path, f, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / f"{f.spec.name}.hex").write_text(vectors.render(f))


def icarus(tmp_path, f, part, stages, handshake):
    require_tool("iverilog"), require_tool("vvp")
    name = verilog.module_name(f, part)
    _write(tmp_path, f, {
        f"{name}.v": verilog.render(f, part, stages=stages, handshake=handshake),
        f"{name}_tb.v": verilog.render_testbench(f, part, stages=stages, handshake=handshake)})
    subprocess.run(["iverilog", "-g2005", "-Wall", "-o", "sim", f"{name}.v", f"{name}_tb.v"],
                   cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0 and f"{1 << f.spec.input.bits} passed, 0 failed" in out.stdout, \
        out.stdout[-2000:]


def ghdl(tmp_path, f, part, stages, handshake):
    exe = require_tool("ghdl")
    name = verilog.module_name(f, part)
    _write(tmp_path, f, {
        f"{name}.vhd": vhdl.render(f, part, stages=stages, handshake=handshake),
        f"{name}_tb.vhd": vhdl.render_testbench(f, part, stages=stages, handshake=handshake)})
    for args in (["-a", "--std=08", f"{name}.vhd", f"{name}_tb.vhd"],
                 ["-e", "--std=08", f"{name}_tb"]):
        subprocess.run([exe, *args], cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run([exe, "-r", "--std=08", f"{name}_tb", "--ieee-asserts=disable-at-0"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0 and f"{1 << f.spec.input.bits} passed, 0 failed" in out.stderr \
        + out.stdout, (out.stdout + out.stderr)[-2000:]
    synth = subprocess.run([exe, "--synth", "--std=08", f"{name}.vhd", "-e", name],
                           cwd=tmp_path, capture_output=True, text=True)
    assert synth.returncode == 0 and f"entity {name} is" in synth.stdout, synth.stderr[-2000:]


def lint(tmp_path, f, part, stages, handshake):
    verilator = require_tool("verilator")
    name = verilog.module_name(f, part)
    path = tmp_path / f"{name}.v"
    path.write_text(verilog.render(f, part, stages=stages, handshake=handshake))
    out = subprocess.run([verilator, "--lint-only", "-Wall", str(path)], capture_output=True,
                         text=True, cwd=tmp_path)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


@pytest.mark.parametrize("config", INT8, ids=lambda p: p.stem)
def test_int8_stream_every_code(tmp_path, config):
    """Every shipped int8 fit, every part: AXI4-Stream Verilog (2 registers) and VHDL
    (combinational and 3-register stream) equal the golden vectors over every code."""
    f = shipped_fit(config)
    for part in verilog.parts(f):
        (tmp_path / f"v{part}").mkdir()
        icarus(tmp_path / f"v{part}", f, part, 2, True)
        (tmp_path / f"c{part}").mkdir()
        ghdl(tmp_path / f"c{part}", f, part, 0, False)
        (tmp_path / f"s{part}").mkdir()
        ghdl(tmp_path / f"s{part}", f, part, 3, True)


OTHER_FORMS = {  # forms and kinds the shipped configs do not cover (name: raw spec)
    "quadratic": dict(function="gelu", form="quadratic", segments=4, fold="none"),
    "quadratic_folded": dict(function="silu", form="quadratic", segments=3),
    "ibert_gelu": dict(function="gelu", form="ibert"),
    "ibert_exp": dict(function="exp", form="ibert", input={"bits": 8, "signed": True,
                                                           "scale": "2^-4"}),
    "interp1": dict(function="exp", form="interp", order=1, segments=8),
    "interp2_folded": dict(function="silu", form="interp", order=2, segments=8),
}


@pytest.mark.parametrize("name", OTHER_FORMS)
def test_every_form_int8(tmp_path, name):
    """quadratic, ibert and interp: streaming Verilog and VHDL, and VHDL's combinational entity,
    over every code, every part the form has."""
    raw = {"input": {"bits": 8, "signed": True}, "output": {"bits": 8}, "name": name,
           **OTHER_FORMS[name]}
    f = fit_raw(**raw)
    for part in verilog.parts(f):
        for kind, stages in (("v", 3), ("s", 2), ("c", 0)):
            where = tmp_path / f"{kind}{part}"
            where.mkdir()
            if kind == "v":
                icarus(where, f, part, stages, True)
                lint(where, f, part, stages, True)
            else:
                ghdl(where, f, part, stages, stages > 0)


@pytest.mark.parametrize("stages,handshake", [(1, False), (3, False), ("auto", False), (7, True)])
def test_int8_pipeline_depths(tmp_path, stages, handshake):
    f = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int8.yaml"))
    icarus(tmp_path, f, "full", stages, handshake)
    lint(tmp_path, f, "full", stages, handshake)
    lint(tmp_path, f, "lut", 2 if stages == 7 else stages, handshake)


def test_int16_every_code(tmp_path):
    """The shipped int16 GELU (folded pwl, 32 segments): 3 registers, streaming, both languages."""
    f = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int16.yaml"))
    (tmp_path / "v").mkdir(), (tmp_path / "h").mkdir()
    icarus(tmp_path / "v", f, "full", 3, True)
    ghdl(tmp_path / "h", f, "full", 3, True)
    lint(tmp_path, f, "full", 3, True)


def test_placement_and_latency():
    f = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int16.yaml"))
    dp = datapaths.build(f, "full")
    assert [s.name for s in dp.steps] == ["fold", "decode", "read", "multiply", "add", "unfold"]
    depths = [rtl.max_depth(dp, rtl.choose_cuts(dp, n)) for n in range(len(dp.steps) + 2)]
    assert depths == sorted(depths, reverse=True) and depths[3] < depths[0] / 2
    text = verilog.render(f, stages=3)
    assert "localparam integer LATENCY = 3;" in text
    p = pipelined.plan(f, "full", "auto", depth=depths[2])
    assert p.latency == 2 and "LATENCY 2" in pipelined.stage_summary(p)


def test_cli_refusals(tmp_path):
    f = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int8.yaml"))
    art = tmp_path / "g.json"
    f.save(art)
    out = tmp_path / "o.v"
    for args in (["verilog", str(art), "--pipeline", "x"],
                 ["verilog", str(art), "--pipeline", "99"],
                 ["vhdl", str(art), "--pipeline", "0", "--handshake"],
                 ["verilog", str(art), "--pipeline", "auto", "--depth", "0"]):
        r = CliRunner().invoke(main, ["emit", *args, "-o", str(out)])
        assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
        assert not out.exists()
    interp = fit_raw(function="exp", input={"bits": 8, "signed": True}, output={"bits": 8},
                     form="interp", segments=8)
    with pytest.raises(Exception, match="no per-segment coefficients"):
        vhdl.render(interp, "lut")
    r = CliRunner().invoke(main, ["emit", "vhdl", str(art), "--pipeline", "2", "--handshake",
                                  "-o", str(tmp_path / "g.vhd")])
    assert r.exit_code == 0 and "LATENCY 2" in r.output
    assert "s_tready  : out std_logic;" in (tmp_path / "g.vhd").read_text()


def test_cost_of_the_pipeline(tmp_path):
    """`cost --pipeline N`: the placed registers' flip-flops, and Yosys' longest path."""
    from approxgen import cost

    f = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int8.yaml"))
    plan = pipelined.plan(f, "full", 3)
    report = cost.cost(f, use_yosys=False, stages=3)
    row = report["parts"][0]
    assert row["latency"] == 3 and row["estimate"]["flip_flops"] == plan.pipe.flip_flops() + 3
    assert sum(row["stages"].values()) == plan.pipe.flip_flops()
    require_tool("yosys")
    comb = cost.measure_depth(verilog.render(f), f.spec.name)
    piped = cost.measure_depth(verilog.render(f, stages=3), f.spec.name)
    assert piped["levels"] < comb["levels"] / 2 and piped["flip_flops"] > 0 == comb["flip_flops"]


def test_api_and_vhdl_names():
    f = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int8.yaml"))
    assert approxgen.emit(f, "vhdl", stages=2, handshake=True) == vhdl.render(f, stages=2,
                                                                              handshake=True)
    assert "LATENCY = 3" in approxgen.emit(f, "verilog", stages=3)
    named = dataclasses.replace(f, spec=dataclasses.replace(f.spec, name="Entity"))
    with pytest.raises(Exception, match="reserved word of VHDL"):
        vhdl.render(named)


def test_verify_vhdl_target(tmp_path, monkeypatch):
    """`verify --target vhdl` (the VHDL emitter's verifier): GHDL over every code, pipelined and
    streaming as asked; another function's entity under the same name is counted as mismatches."""
    from approxgen.verify import verify

    f, other = (shipped_fit(next(c for c in CONFIGS if c.name == n))
                for n in ("gelu_int8.yaml", "tanh_int8.yaml"))
    report = verify(f, ["vhdl"], tmp_path / "ok", pipeline="2", handshake=True)
    [row] = report.results
    assert (row.target, row.status, row.codes, row.mismatches) == \
        ("vhdl pipelined stream", "pass", 256, 0), row
    impostor = dataclasses.replace(other, spec=dataclasses.replace(other.spec, name=f.spec.name))
    render = vhdl.render
    monkeypatch.setattr(vhdl, "render", lambda fit, *a, **k: render(impostor, *a, **k))
    [row] = verify(f, ["vhdl"], tmp_path / "bad").results
    assert row.status == "fail" and row.mismatches > 0 and row.first, row
    assert row.first[0].expected == f.model.evaluate(np.array([row.first[0].code]))[0]
