"""``approxgen verify``: passes on a good fit, reports and exits 1 when the emitted code is wrong,
exits 2 on bad input, and reports a missing tool as skipped (a failure under --strict)."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from approxgen import artifact as artifacts, verify
from approxgen.cli import main
from approxgen.emit import comment_text
from approxgen.emit import c as emit_c, vectors as emit_vectors, verilog as emit_verilog
from approxgen.errors import ApproxgenError
from conftest import fit_raw, require_tool


@pytest.fixture(scope="module")
def good():
    return fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, segments=8,
                   fold="none")  # with a lut part


@pytest.fixture(scope="module")
def other():
    """Same name and formats as ``good``, different integers: what a wrong emitter would render."""
    return fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, segments=3,
                   fold="none")


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
    monkeypatch.setattr(emit_c, "render", lambda fit, *a, **kw: render_c(other, *a, **kw))
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
    monkeypatch.setattr(emit_c, "render", lambda fit, *a, **kw: "int broken(void) { return }\n")
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
        verify.verify(good, ["spice"])


# --- hostile strings (issue 9, item 5) -----------------------------------------------------------

HOSTILE_METHOD = 'uniform\n    initial $display("PWNED");\n// */ int pwned; /* ??/\n\\'


@pytest.fixture(scope="module")
def hostile():
    """A valid multi-line ``expr: |`` and, as a hand-edited artifact could hold, a search method
    that tries to end its comment in C (``*/``, a ``??/`` line splice) and in Verilog (a newline)."""
    base = fit_raw(name="hostile", expr="(x *\n  sigmoid(1.702 * x))\n",
                   input={"bits": 8, "range": [-8, 8]}, segments=4)
    return dataclasses.replace(base, search={**base.search, "method": HOSTILE_METHOD})


def test_hostile_strings_stay_in_comments(hostile, tmp_path):
    """The C and C++ compile warning-free and run bit-exact, the Verilog simulates bit-exact
    under Icarus (module, bench and vectors all carry the provenance) without printing the
    injected text, Verilator's lint is silent and Yosys reads it."""
    require_tool("cc"), require_tool("c++"), require_tool("iverilog"), require_tool("vvp")
    verilator = require_tool("verilator")
    report = verify.verify(hostile, ["c", "c++"], workdir=tmp_path)
    assert report.ok(strict=True), report.table()
    sim = verify.simulate_verilog(hostile, tmp_path / "v")
    assert (sim.passed, sim.failed) == (256, 0) and "PWNED" not in sim.log, sim.log
    header = emit_c.render(hostile)
    assert "PWNED" in header and "PWNED" not in re.sub(r"/\*.*?\*/", "", header, flags=re.S)
    assert "??" not in header and "\\" not in header.split("#ifndef")[0]
    for text in (emit_verilog.render(hostile), emit_verilog.render_testbench(hostile),
                 emit_vectors.render(hostile)):
        code = [line for line in text.splitlines() if not line.startswith("//")]
        assert "PWNED" in text and not any("PWNED" in line for line in code)
    assert "// name hostile: expr (x * sigmoid(1.702 * x))\n" in emit_verilog.render(hostile)
    (tmp_path / "hostile.v").write_text(emit_verilog.render(hostile))
    lint = subprocess.run([verilator, "--lint-only", "-Wall", "hostile.v"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert lint.returncode == 0 and not lint.stderr.strip(), lint.stderr
    yosys = require_tool("yosys")
    read = subprocess.run([yosys, "-q", "-p", "read_verilog hostile.v; hierarchy -top hostile"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert read.returncode == 0, read.stdout + read.stderr


@pytest.mark.parametrize("text, safe", [
    ("plain text (x * 2)", "plain text (x * 2)"),
    ("a */ b /* c", "a * / b / * c"),
    ("*/*/", "* / * /"),
    ("two\nlines\r\n", "two<U+000A>lines<U+000D><U+000A>"),
    ("trigraph ??/ splice \\", "trigraph ? ?/ splice <U+005C>"),
    ("tab\tand \u00e9\u2028", "tab<U+0009>and <U+00E9><U+2028>"),
])
def test_comment_text(text, safe):
    assert comment_text(text) == safe


@pytest.mark.parametrize("search", ["chain", "bucket", "binary"])
def test_two_segments_every_search_at_o2(tmp_path, search):
    """Issue 9, item 4: ``fit gelu --bits 8 --segments 2`` then ``verify --segment-search binary``
    had 128 wrong codes at -O2 (GCC 12.2 miscompiled a size_t index made from a compare)."""
    require_tool("cc")
    art = tmp_path / "s2.json"
    runner = CliRunner()
    assert runner.invoke(main, ["fit", "gelu", "--bits", "8", "--segments", "2",
                                "-o", str(art)]).exit_code == 0
    for flags in ("-O2", "-O3"):
        result = invoke(str(art), "--segment-search", search, "--no-verilog", "--cflags", flags,
                        "--strict")
        assert result.exit_code == 0, result.output
        assert rows(result.output)["c"][1:] == ["256", "0", "ok"]
