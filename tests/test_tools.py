"""approxgen.tools: the one module that finds and runs external tools."""

from __future__ import annotations

import sys

import pytest

from approxgen import cost, tools, verify
from approxgen.errors import ApproxgenError
from conftest import fit_raw, require_tool

PY = sys.executable


def test_a_missing_tool_is_one_clear_error(monkeypatch):
    with pytest.raises(tools.ToolMissing, match=r"^no-such-tool-xyz not found$") as exc:
        tools.find_tool("no-such-tool-xyz --flag")
    assert isinstance(exc.value, ApproxgenError) and exc.value.tool == "no-such-tool-xyz"
    monkeypatch.setenv("PATH", "")
    assert cost.yosys_path() is None and cost.yosys_version() is None
    with pytest.raises(tools.ToolMissing, match="yosys not found"):
        cost.measure("module m; endmodule\n", "m")


def test_find_tool_resolves_the_program_and_keeps_its_arguments():
    argv = tools.find_tool([PY, "-B"])
    assert argv[0] and argv[1:] == ["-B"]


def test_a_failure_names_the_tool_its_status_and_its_first_error_line():
    script = "import sys; print('warming up'); sys.stderr.write('x.c:3: error: no\\n'); sys.exit(3)"
    with pytest.raises(tools.ToolFailed) as exc:
        tools.run_tool([PY, "-c", script], "the compiler")
    assert str(exc.value) == "the compiler failed (status 3): x.c:3: error: no"
    assert "warming up" in exc.value.output and "\n" not in str(exc.value)
    done = tools.run_tool([PY, "-c", script], "the compiler", check=False)
    assert done.returncode == 3 and done.stdout == "warming up\n"


def test_a_timeout_is_one_line():
    with pytest.raises(tools.ToolFailed, match=r"^a sleeper timed out after 0.5 s$"):
        tools.run_tool([PY, "-c", "import time; time.sleep(30)"], "a sleeper", timeout=0.5)


def test_an_unrunnable_program_is_one_line(tmp_path):
    target = tmp_path / "not-executable"
    target.write_text("data\n")
    with pytest.raises(tools.ToolFailed, match=r"^it could not run: "):
        tools.run_tool([target], "it")


def test_versions():
    cc = require_tool("cc")
    assert tools.tool_version([cc]).startswith("cc ")
    assert tools.tool_version([PY, "-c", "print('no digits here')"], "-W") == PY.split("/")[-1]


def test_verify_and_cost_use_it():
    """verify re-exports the tool errors; cost turns a Yosys error into a ToolFailed line."""
    assert verify.ToolFailed is tools.ToolFailed and verify.run_tool is tools.run_tool
    require_tool("yosys")
    with pytest.raises(tools.ToolFailed, match=r"^yosys on m failed \(status \d+\): .*"):
        cost.measure("module m(input a; endmodule\n", "m", ice40=False)
    f = fit_raw(function="gelu", segments=2, input={"bits": 6, "scale": 2 ** -3})
    assert cost.cost(f, ice40=False)["parts"][0]["yosys"]["cells"] > 0
