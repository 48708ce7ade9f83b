"""``approxgen verify``: passes on a good fit, reports and exits 1 when the emitted code is wrong,
exits 2 on bad input, and reports a missing tool as skipped (a failure under --strict)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from approxgen import artifact as artifacts, verify
from approxgen.cli import main
from approxgen.emit import c as emit_c, vectors as emit_vectors, verilog as emit_verilog
from approxgen.errors import ApproxgenError
from conftest import fit_raw, require_tool


@pytest.fixture(scope="module")
def good():
    return fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, segments=8)


@pytest.fixture(scope="module")
def other():
    """Same name and formats as ``good``, different integers: what a wrong emitter would render."""
    return fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, segments=3)


@pytest.fixture
def artifact(tmp_path, good):
    path = tmp_path / "gelu.json"
    path.write_text(good.dumps())
    return str(path)


def invoke(*args):
    return CliRunner(env={"CC": None}).invoke(main, ["verify", *args])  # $CC would pick --cc


def rows(output: str) -> dict[str, list[str]]:
    """The table rows of ``verify``'s output, by target: [tool, codes, mismatches, verdict]."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"^-+(  -+)+$", line))
    table = {}
    for line in lines[start + 1:]:
        found = re.match(r"^(c\+\+|c|verilog[\w ]*?)  +(\S+(?: \S+)?)  +(\S+)  +(\S+)  +(.+)$",
                         line)
        if found is None:
            break
        table[found.group(1)] = list(found.groups()[1:])
    return table


def test_good_fit_passes_in_c_and_verilog(artifact):
    require_tool("cc"), require_tool("iverilog"), require_tool("vvp")
    result = invoke(artifact)
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    assert set(table) == {"c", "verilog"}
    assert re.match(r"cc \d+\.\d+", table["c"][0]) and table["verilog"][0].startswith("iverilog")
    assert [r[1:] for r in table.values()] == [["256", "0", "ok"]] * 2
    assert len(result.output.splitlines()) == 5  # title, header, rule, two rows: nothing else


def test_every_variant_passes_and_workdir_keeps_the_files(tmp_path, monkeypatch, artifact):
    require_tool("cc"), require_tool("c++"), require_tool("iverilog"), require_tool("vvp")
    monkeypatch.chdir(tmp_path)
    keep = tmp_path / "keep" / "here"
    result = invoke(artifact, "--cxx", "c++", "--part", "lut", "--pipeline", "--cflags", "-O3",
                    "--workdir", "keep/here")  # relative: the tools run inside it
    assert result.exit_code == 0, result.output
    assert set(rows(result.output)) == {"c", "c++", "verilog lut pipelined"}
    assert (keep / "c" / "gelu_int8.h").read_text() == emit_c.render(artifacts.load(artifact))
    assert (keep / "verilog" / "gelu_int8_lut_tb.v").exists()


@pytest.mark.parametrize("part", ["full", "lut"])
def test_wrong_emitted_code_is_reported_and_exits_1(monkeypatch, artifact, good, other, part):
    """The emitters render ``other`` while the golden model is ``good``'s: every target must see
    it, with the codes and values that differ."""
    require_tool("cc"), require_tool("iverilog"), require_tool("vvp")
    render_c, render_v = emit_c.render, emit_verilog.render
    monkeypatch.setattr(emit_c, "render", lambda fit, *a: render_c(other, *a))
    monkeypatch.setattr(emit_verilog, "render", lambda fit, **kw: render_v(other, **kw))
    result = invoke(artifact, "--part", part)
    assert result.exit_code == 1, result.output
    table = rows(result.output)
    codes = good.spec.input.codes()
    differ = int(np.count_nonzero(good.model.evaluate(codes) != other.model.evaluate(codes)))
    assert table["c"][1:] == ["256", str(differ), "MISMATCH"]
    verilog_row = "verilog" if part == "full" else "verilog lut"
    assert table[verilog_row][1] == "256" and table[verilog_row][3] == "MISMATCH"
    if part == "full":
        assert table[verilog_row][2] == str(differ)
    details = re.findall(r"^(c|verilog[\w ]*): q=(-?\d+) ([\w ,]+): expected (-?\d+), got (-?\d+)$",
                         result.output, re.M)
    assert {d[0] for d in details} == {"c", verilog_row}
    for target, q, what, expected, got in details:
        q = np.array([int(q)])
        if what in ("slope", "intercept"):  # the bench holds good's widths: check expected only
            index = good.model.segment_index(q)[0]
            assert int(expected) == getattr(good.model, what + "s")[index]
        else:
            assert [int(expected), int(got)] == [good.model.evaluate(q)[0],
                                                 other.model.evaluate(q)[0]], (target, what)


def test_compile_error_is_one_line_exit_1(monkeypatch, artifact):
    require_tool("cc")
    monkeypatch.setattr(emit_c, "render", lambda fit, *a: "int broken(void) { return }\n")
    result = invoke(artifact, "--no-verilog")
    assert result.exit_code == 1, result.output
    assert rows(result.output)["c"][3] == "ERROR"
    message = result.output.splitlines()[-1]
    assert re.match(r"^c: cc main\.c failed \(status \d+\): .*gelu_int8\.h:1:.*error", message), \
        result.output
    assert "Traceback" not in result.output


def test_stopped_test_bench_is_an_error(monkeypatch, artifact):
    require_tool("iverilog"), require_tool("vvp")
    render = emit_vectors.render
    monkeypatch.setattr(emit_vectors, "render", lambda fit: render(fit).replace("\n7f_", "\n7e_"))
    result = invoke(artifact, "--no-c", "--pipeline")
    assert result.exit_code == 1 and rows(result.output)["verilog pipelined"][3] == "ERROR"
    assert "does not hold every input code in order" in result.output.splitlines()[-1]


def test_a_missing_tool_is_skipped_and_fails_only_under_strict(artifact):
    require_tool("iverilog"), require_tool("vvp")
    result = invoke(artifact, "--cc", "no-such-cc")
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    assert table["c"] == ["-", "-", "-", "skipped: no-such-cc not found"]
    assert table["verilog"][3] == "ok"
    strict = invoke(artifact, "--cc", "no-such-cc", "--strict")
    assert strict.exit_code == 1 and rows(strict.output) == table


def test_no_tool_at_all_proves_nothing_exit_1(tmp_path, monkeypatch, artifact):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no compiler, no simulator
    bare = invoke(artifact)
    assert bare.exit_code == 1, bare.output
    assert [r[3] for r in rows(bare.output).values()] == ["skipped: cc not found",
                                                          "skipped: iverilog not found"]
    assert bare.output.splitlines()[-1] == "nothing was checked: no tool found"


@pytest.mark.parametrize("args, message", [
    (["missing.json"], "cannot read fit artifact"),
    (["gelu", "--bits", "20"], "--bits: must be in 2..16"),
    (["gelu", "--bits", "8", "--form", "table", "--part", "lut"], "lut part"),
    (["gelu", "--bits", "8", "--no-c", "--no-verilog"], "nothing to verify"),
    (["gelu", "--bits", "8", "--cflags", "'-O2"], "--cflags"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("approxgen: error:") and message in result.stderr


def test_library_report(good):
    """The result object: per target, codes, mismatches with expected/got, the tool, a status."""
    require_tool("cc")
    report = verify.verify(good, ["c"], cc="cc")
    (c,) = report.results
    assert (c.target, c.status, c.codes, c.mismatches, c.first) == ("c", "pass", 256, 0, [])
    assert re.match(r"cc \d+\.\d+", c.tool) and report.ok(strict=True)
    got = np.repeat(good.model.evaluate(good.spec.input.codes())[:, None], 4, axis=1)
    got[5, 2] += 1
    got[9, :] -= 1
    count, first = verify.compare(good, got, verify.C_VARIANTS)
    q0 = int(good.spec.input.min_code)
    assert count == 2 and [(m.code, m.what) for m in first] == [
        (q0 + 5, "array in pieces"), (q0 + 9, ", ".join(verify.C_VARIANTS))]
    assert first[0].got == first[0].expected + 1
    with pytest.raises(ApproxgenError, match="unknown target"):
        verify.verify(good, ["vhdl"])
