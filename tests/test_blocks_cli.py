"""Block specs through ``approxgen verify`` (issue 23): the block's C and Verilog unit checked
bit for bit against its golden model on every inner code, its reachable intermediates and its
check rows; a corrupted header or unit fails (exit 1); bad input is one line, exit 2, nothing
written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from approxgen.emit import c as emit_c, verilog as emit_verilog, vhdl as emit_vhdl
from conftest import require_tool
from hostile import assert_refused, invoke

SOFTMAX = ("block: softmax\nname: sm8\nlength: 24\ninput: {bits: 8, signed: true, scale: 2^-4}\n"
           "output: {bits: 8, signed: false, scale: 2^-8}\n")


def layernorm(tmp_path, length: int = 12) -> str:
    rng = np.random.default_rng(3)
    np.save(tmp_path / "g.npy", 1.0 + 0.3 * rng.normal(size=length))
    np.save(tmp_path / "b.npy", 0.2 * rng.normal(size=length))
    return (f"block: layernorm\nname: ln16\nlength: {length}\n"
            "input: {bits: 16, scale: 2^-9}\noutput: {bits: 16, scale: 2^-11}\n"
            f"gamma: {tmp_path / 'g.npy'}\nbeta: {tmp_path / 'b.npy'}\n")


@pytest.fixture
def tools():
    require_tool("cc"), require_tool("iverilog"), require_tool("vvp")


@pytest.mark.parametrize("kind", ["softmax", "layernorm"])
def test_verify_passes_on_a_good_block(kind, tools, tmp_path):
    """Exit 0, both targets ``pass`` and every probe value and row element counted."""
    spec = tmp_path / "block.yaml"
    spec.write_text(SOFTMAX if kind == "softmax" else layernorm(tmp_path))
    result = invoke(["verify", spec, "--strict", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["target"] for r in report["results"]] == ["c", "verilog"]
    assert all(r["status"] == "pass" and r["mismatches"] == 0 for r in report["results"])
    from approxgen.blocks import load
    from approxgen.spec import load_yaml

    block = load(load_yaml(spec), str(spec))
    rows = sum(r.size for r in block.check_rows())
    probes = sum(p.values.size for p in block.probes())
    inner = sum(f.spec.input.codes().size for f in block.inner_fits().values())
    assert report["results"][0]["codes"] == probes + rows
    assert report["results"][1]["codes"] == inner + rows
    quiet = invoke(["verify", spec, "--strict", "-q"])
    assert quiet.exit_code == 0 and quiet.stdout == ""


def test_verify_fails_on_a_corrupted_c_header(tools, tmp_path, monkeypatch):
    """One wrong entry of the exp table: the probe and the rows that reach it mismatch."""
    spec = tmp_path / "sm.yaml"
    spec.write_text(SOFTMAX)
    render = emit_c.render_block
    monkeypatch.setattr(emit_c, "render_block", lambda block: render(block).replace(
        "(uint32_t u)\n{", "(uint32_t u)\n{\n    if (u == 3u) return 7u;", 1))
    result = invoke(["verify", spec, "--no-verilog"])
    assert result.exit_code == 1, result.output
    assert "MISMATCH" in result.stdout and "q=3 exp_of: expected" in result.stdout


def test_verify_fails_on_a_corrupted_verilog_unit(tools, tmp_path, monkeypatch):
    """The unit's output with its lowest bit flipped: every beat differs (exit 1)."""
    spec = tmp_path / "ln.yaml"
    spec.write_text(layernorm(tmp_path, 4))
    render = emit_verilog.render_block

    def flipped(block):
        text = render(block)
        assert "endmodule" in text
        name = block.name
        return text.replace(f"module {name} (", f"module {name}_bad (", 1) + f"""
module {name} (input wire clk, input wire rst_n, input wire s_tvalid, output wire s_tready,
    input wire [{block.input.bits - 1}:0] s_tdata, input wire s_tlast, output wire m_tvalid,
    input wire m_tready, output wire [{block.output.bits - 1}:0] m_tdata, output wire m_tlast);
    wire [{block.output.bits - 1}:0] y;
    {name}_bad inner (.clk(clk), .rst_n(rst_n), .s_tvalid(s_tvalid), .s_tready(s_tready),
        .s_tdata(s_tdata), .s_tlast(s_tlast), .m_tvalid(m_tvalid), .m_tready(m_tready),
        .m_tdata(y), .m_tlast(m_tlast));
    assign m_tdata = y ^ {block.output.bits}'d1;
endmodule
"""

    monkeypatch.setattr(emit_verilog, "render_block", flipped)
    result = invoke(["verify", spec, "--no-c"])
    assert result.exit_code == 1, result.output
    assert "verilog: q=" in result.stdout and "beat 0" in result.stdout


@pytest.mark.parametrize("args, words", [
    (["--cxx", "c++"], "--cxx applies to a fit"),
    (["--part", "lut"], "--part applies to a fit"),
    (["--compile-only"], "--compile-only applies to a fit"),
    (["--segments", "4"], "do not apply to a block spec"),
])
def test_verify_refuses_what_a_block_does_not_take(args, words, tmp_path):
    """One line, exit 2, and no --workdir created."""
    spec = tmp_path / "sm.yaml"
    spec.write_text(SOFTMAX)
    assert_refused(["verify", spec, "--workdir", tmp_path / "work", *args], tmp_path)
    assert words in invoke(["verify", spec, *args]).stderr


def test_build_writes_block_files_beside_function_files(tmp_path, monkeypatch):
    """A directory with a function spec and two block specs: each block gives NAME.json (its
    block artifact), NAME.h, NAME.v and NAME.vhd (the emitters' render_block bytes); a second
    build refits nothing and writes nothing, --check is up to date; a removed block spec's files
    are named."""
    from approxgen.blocks import load
    from approxgen.spec import load_yaml

    specs, out = tmp_path / "specs", tmp_path / "out"
    specs.mkdir()
    (specs / "sm.yaml").write_text(SOFTMAX)
    (specs / "ln.yaml").write_text(layernorm(tmp_path))
    (specs / "g.yaml").write_text("function: gelu\nname: g8\ninput: {bits: 8, scale: 2^-4}\n"
                                  "segments: 4\n")
    first = invoke(["build", specs, "-o", out])
    assert first.exit_code == 0, first.output
    names = sorted(p.name for p in out.iterdir())
    assert {"sm8.h", "sm8.v", "sm8.vhd", "sm8.json", "ln16.h", "ln16.v", "ln16.vhd",
            "ln16.json", "g8.h", "g8.json"} <= set(names)
    assert not [n for n in names if n.startswith(("sm8", "ln16"))
                and n.split(".")[-1] not in ("h", "v", "vhd", "json")]
    for spec, name in (("sm.yaml", "sm8"), ("ln.yaml", "ln16")):
        block = load(load_yaml(specs / spec), str(specs / spec))
        assert (out / f"{name}.h").read_text() == emit_c.render_block(block)
        assert (out / f"{name}.v").read_text() == emit_verilog.render_block(block)
        assert (out / f"{name}.vhd").read_text() == emit_vhdl.render_block(block)
    from approxgen import fitting

    monkeypatch.setattr(fitting, "fit", lambda *a, **k: pytest.fail("refitted"))
    again = invoke(["build", specs, "-o", out])
    assert again.exit_code == 0 and "0 files written" in again.stdout, again.output
    assert invoke(["build", specs, "-o", out, "--check"]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == names
    (specs / "ln.yaml").unlink()
    stale = invoke(["build", specs, "-o", out]).stdout
    assert "4 files in" in stale and "ln16.h, ln16.json, ln16.v, ln16.vhd" in stale, stale


def test_a_block_cannot_be_swept(tmp_path):
    spec = tmp_path / "sm.yaml"
    spec.write_text(SOFTMAX)
    assert_refused(["sweep", spec, "--csv", tmp_path / "out.csv"], tmp_path)
    assert "cannot be swept" in invoke(["sweep", spec]).stderr


def test_api_block_evaluate_and_emit(tmp_path):
    """approxgen.block reads a mapping or a file; evaluate is the golden model on a row (1-D)
    and on rows (2-D); emit gives render_block's text; misuse is one ApproxgenError."""
    import approxgen
    from approxgen.errors import ApproxgenError

    spec = tmp_path / "ln.yaml"
    spec.write_text(layernorm(tmp_path))
    sm = approxgen.block({"block": "softmax", "name": "sm", "length": 8,
                          "input": {"scale": "2^-4"}})
    ln = approxgen.block(spec)
    row = np.array([3, -2, 7, 0, -128, 127, 5, 5])
    assert np.array_equal(sm.evaluate(row), sm.model(row[None, :])[0])
    assert sm.evaluate(row).dtype == np.int64
    rows = np.stack([row, row[::-1]])
    assert np.array_equal(sm.evaluate(rows), sm.model(rows))
    assert np.array_equal(ln.evaluate(np.arange(12) * 300), ln.model(np.arange(12)[None] * 300)[0])
    assert approxgen.emit(ln, "c") == emit_c.render_block(ln)
    assert approxgen.emit(sm, "verilog") == emit_verilog.render_block(sm)
    for call, words in [(lambda: sm.evaluate(np.zeros(9, int)), "1..8 codes"),
                        (lambda: sm.evaluate([0.5]), "codes"),
                        (lambda: sm.evaluate([300]), "codes"),
                        (lambda: approxgen.emit(sm, "c", export=True), "no c options"),
                        (lambda: approxgen.emit(sm, "vectors"), "no vectors emitter"),
                        (lambda: approxgen.block("gelu"), "a block spec mapping"),
                        (lambda: approxgen.block({"function": "gelu"}), "approxgen.fit()"),
                        (lambda: approxgen.fit(spec), "approxgen.block()")]:
        with pytest.raises(ApproxgenError, match=words):
            call()


@pytest.mark.parametrize("command, words", [
    (["fit", "--segments", "4"], "fit flags such as --segments do not apply to a block"),
    (["report"], "only approxgen emit, verify and build"),
])
def test_fit_and_report_refuse_a_block_spec(command, words, tmp_path):
    spec = tmp_path / "sm.yaml"
    spec.write_text(SOFTMAX)
    assert_refused([*command, spec, "-o", tmp_path / "out"], tmp_path)
    assert words in invoke([*command, spec]).stderr


def test_build_with_a_bad_block_spec_writes_nothing(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "g.yaml").write_text("function: gelu\nname: g8\ninput: {bits: 8, scale: 2^-4}\n")
    (specs / "sm.yaml").write_text(SOFTMAX.replace("length: 24", "length: 0"))
    assert_refused(["build", specs, "-o", tmp_path / "out"], tmp_path, names=("length",))
