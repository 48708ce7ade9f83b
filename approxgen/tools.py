"""External tools (cc, c++, iverilog, vvp, verilator, yosys): the one place that runs them.

Find a tool on PATH (:func:`find_tool`, :func:`which`), run it with a timeout and its output
captured (:func:`run_tool`), read its version (:func:`tool_version`). Every way a tool can let us
down is one :class:`~approxgen.errors.ApproxgenError` line: :class:`ToolMissing` ("yosys not
found"), :class:`ToolFailed` for a timeout, an OS error or a non-zero status (with the tool's
first error line; ``output`` keeps all it printed).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

from approxgen.errors import ApproxgenError

VERSION_TIMEOUT = 30  # seconds for ``tool --version``


class ToolMissing(ApproxgenError):
    """A tool is not installed (not on PATH)."""

    def __init__(self, tool: str):
        self.tool = tool
        super().__init__(f"{tool} not found")


class ToolFailed(ApproxgenError):
    """A tool failed: ``str()`` is one line (with the tool's first error line); ``output`` is all
    it printed."""

    def __init__(self, message: str, output: str = ""):
        self.output = output
        super().__init__(message)


def which(name: str) -> str | None:
    """The path of program ``name`` on PATH, or None."""
    return shutil.which(name)


def find_tool(command: str | Sequence[str]) -> list[str]:
    """``command`` (``"cc"``, ``"ccache gcc"`` or an argv) with its program resolved on PATH;
    :class:`ToolMissing` when it is not there."""
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    path = which(argv[0]) if argv else None
    if path is None:
        raise ToolMissing(argv[0] if argv else "(empty command)")
    return [path, *argv[1:]]


def first_error(text: str) -> str:
    """The line of a tool's output that says what went wrong (the first naming an error)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for pattern in (r"\berror\b", r"fatal|runtime error|ERROR|Error"):
        hit = next((line for line in lines if re.search(pattern, line, re.I)), None)
        if hit:
            return hit
    return lines[0] if lines else "no output"


def run_tool(argv: Sequence, what: str, timeout: float = 300, check: bool = True, **kwargs):
    """Run ``argv`` (output captured as text) and return the ``CompletedProcess``; a timeout, an
    OS error or (with ``check``) a non-zero status is :class:`ToolFailed` naming ``what``."""
    try:
        result = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                                timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        raise ToolFailed(f"{what} timed out after {timeout:g} s") from None
    except OSError as exc:
        raise ToolFailed(f"{what} could not run: {exc.strerror or exc}") from None
    if check and result.returncode != 0:
        output = result.stderr + result.stdout
        raise ToolFailed(f"{what} failed (status {result.returncode}): {first_error(output)}",
                         output)
    return result


def version_line(argv: Sequence[str], flag: str = "--version") -> str | None:
    """The first line ``argv flag`` prints, or None when it cannot run or prints nothing."""
    try:
        out = run_tool([*argv, flag], f"{Path(argv[0]).name} {flag}", VERSION_TIMEOUT,
                       check=False)
    except ToolFailed:
        return None
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0].strip() if lines else None


def tool_version(argv: Sequence[str], flag: str = "--version") -> str:
    """``NAME VERSION`` of a tool (``cc 12.2.0``), from the first line of ``argv flag``."""
    name = Path(argv[0]).name
    first = version_line(argv, flag)
    found = re.search(r"\d+\.\d+(\.\d+)?", first) if first else None
    return f"{name} {found.group(0)}" if found else name
