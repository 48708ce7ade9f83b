"""Writing generated files safely: every path is checked before any is written, and each file is
replaced atomically (a temporary file renamed over it), so a failure never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from approxgen.errors import ApproxgenError


def write_all(outputs: Iterable[tuple[str | Path, str | bytes]],
              inputs: Iterable[str | Path] = ()) -> None:
    """Write each ``(path, text or bytes)``; bad paths (missing directory, a directory, the same file
    twice, one of ``inputs``) raise :class:`ApproxgenError` before anything is written."""
    outputs = [(Path(path), text) for path, text in outputs]
    protected = {Path(p).resolve() for p in inputs}
    seen: set[Path] = set()
    for path, _ in outputs:
        if not (path.parent if str(path.parent) else Path(".")).is_dir():
            raise ApproxgenError("output directory does not exist", str(path))
        if path.is_dir():
            raise ApproxgenError("is a directory, not a file to write", str(path))
        key = path.resolve()
        if key in seen:
            raise ApproxgenError("the same file would be written twice", str(path))
        if key in protected:
            raise ApproxgenError("would overwrite an input file", str(path))
        seen.add(key)
    for path, text in outputs:
        _replace(path, text)


def _replace(path: Path, data: str | bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode(path))  # mkstemp makes 0600; a written file gets the usual mode
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
