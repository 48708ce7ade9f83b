"""Helpers of the hostile-input tests: run the CLI in-process and prove nothing was touched."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from approxgen.cli import main

SENTINEL = b"sentinel: must survive every refused command\n"


def snapshot(directory: Path) -> dict:
    """Every entry under ``directory``: kind, mode and bytes (or link target)."""
    state = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                body = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                body = path.read_bytes()
            else:
                body = None
            state[str(path.relative_to(directory))] = (stat.S_IFMT(st.st_mode),
                                                        stat.S_IMODE(st.st_mode), body)
    return state


def sentinel(path: Path, mode: int = 0o640) -> Path:
    path.write_bytes(SENTINEL)
    path.chmod(mode)
    return path


def invoke(args, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(old)


def assert_refused(args, directory: Path, status: int = 2, names: tuple[str, ...] = (),
                   cwd: Path | None = None):
    """``args`` fail with ``status``, one ``approxgen: error:`` line naming each of ``names``,
    no traceback, and every file under ``directory`` unchanged (bytes, mode, kind), none added."""
    before = snapshot(directory)
    result = invoke(args, cwd)
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.exit_code == status, (result.exit_code, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("approxgen: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert snapshot(directory) == before
    return lines[0]
