"""Safe writing of a command's outputs: validate every path first, then write all or none.

Rules (what :func:`write_all` checks before anything is written):

* a path is not one of the command's inputs, nor another output (same resolved path or inode);
* no trailing slash, the parent directory exists, the path is not a directory, and it is writable;
* a regular file or a new path is written to a temp file in its directory, fsynced and renamed over
  it (an existing file keeps its mode; a new file gets the umask mode, as ``open()`` would give);
* a symlink is followed: its resolved target is written that way and the link stays a link;
* anything else (FIFO, character or block device, socket) is refused: approxgen writes artifacts
  and source files, never to a device, so ``-o /dev/null`` is refused (omit ``-o`` or redirect).

OS errors while writing (disk full, I/O error, permission) are :class:`OutputError` (exit 1), and
no temp file is left behind. If a later output of a group fails, outputs already renamed into place
are restored from their previous bytes, so a command writes all its outputs or none.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from typing import Iterable, Sequence

from approxgen.errors import ApproxgenError, OSFailure


class OutputError(OSFailure):
    """An OS error while writing an output: one line, exit status 1."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _identity(path: str) -> tuple[str, tuple[int, int] | None]:
    resolved = os.path.realpath(path)
    try:
        st = os.stat(resolved)
        return resolved, (st.st_dev, st.st_ino)
    except OSError:
        return resolved, None


def check_output(path: str, where: str | None = None, writable: bool = True) -> str:
    """Validate one output path on its own; return the path to write (a symlink's target).
    ``writable=False`` checks everything but permissions (``build --check`` writes nothing)."""
    where = where or path
    if path.endswith(("/", os.sep)):
        raise ApproxgenError("an output path must name a file (it ends with '/')", where)
    if "\0" in path:
        raise ApproxgenError("an output path must not contain a NUL byte", where)
    target = os.path.realpath(path)
    parent = os.path.dirname(target) or "."
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ApproxgenError(f"cannot use it as an output: {exc.strerror}", where) from None
    if os.path.islink(path) and st is None:
        raise ApproxgenError("a dangling symlink: its target does not exist", where)
    if not os.path.isdir(parent):
        raise ApproxgenError("output directory does not exist", where)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise ApproxgenError("is a directory, not a file", where)
        if not stat.S_ISREG(st.st_mode):
            raise ApproxgenError("not a regular file (a device, FIFO or socket): approxgen "
                                 "writes regular files only; omit the flag to write to stdout",
                                 where)
        if writable and not os.access(target, os.W_OK):
            raise ApproxgenError("cannot write it: permission denied", where)
    if writable and not os.access(parent, os.W_OK | os.X_OK):
        raise ApproxgenError("cannot write in its directory: permission denied", where)
    return target


def check_directory(path: str, where: str | None = None) -> None:
    """Validate an output directory (created if missing) before any work: it is a directory, or
    it is missing and its nearest existing ancestor is a directory it can be created in; never a
    FIFO, device or file, nor under one, nor a dangling symlink (``mkdir`` would fail there)."""
    where = where or path
    if "\0" in str(path):
        raise ApproxgenError("an output path must not contain a NUL byte", where)
    given = current = os.path.normpath(str(path))
    while True:
        if os.path.lexists(current):
            if not os.path.exists(current):
                raise ApproxgenError(f"a dangling symlink: {current} points nowhere", where)
            if os.path.isdir(current):
                break
            if current == given:
                raise ApproxgenError("not a directory (a file, FIFO or device)", where)
            raise ApproxgenError(f"cannot create it: {current} is not a directory", where)
        parent = os.path.dirname(current) or "."
        if parent == current:
            break
        current = parent
    if current != given and not os.access(current, os.W_OK | os.X_OK):
        raise ApproxgenError(f"cannot create it in {current}: permission denied", where)


def validate(outputs: Sequence[tuple[str | None, object]], inputs: Iterable[str] = (),
             flags: Sequence[str] | None = None, writable: bool = True) -> list[str | None]:
    """Check every output path (see module docstring); return the real paths to write."""
    seen: dict = {}
    in_ids = {}
    for name in inputs:
        if name is None:
            continue
        resolved, ino = _identity(str(name))
        in_ids[resolved] = name
        if ino is not None:
            in_ids[ino] = name
    targets = []
    stdout_used = False
    for i, (path, _) in enumerate(outputs):
        flag = flags[i] if flags else None
        if path is None or path == "-":
            if stdout_used:
                raise ApproxgenError("two outputs both go to stdout", flag or "-")
            stdout_used = True
            targets.append(None)
            continue
        path = str(path)
        where = f"{flag} {path}" if flag else path
        target = check_output(path, where, writable)
        resolved, ino = _identity(path)
        for key in (resolved, ino):
            if key is not None and key in in_ids:
                raise ApproxgenError(f"is also an input ({in_ids[key]}): writing it would "
                                     f"destroy it", where)
            if key is not None and key in seen:
                raise ApproxgenError(f"is also another output ({seen[key]})", where)
        for key in (resolved, ino):
            if key is not None:
                seen[key] = where
        targets.append(target)
    return targets


def _as_bytes(data) -> bytes:
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


def _write_stdout(data) -> None:
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise OutputError("cannot write: stdout is closed", "<stdout>")
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(_as_bytes(data))
        sys.stdout.buffer.flush()
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", "<stdout>") from None


def _mode_for(target: str) -> int:
    """An existing file's mode, or what ``open()`` would give a new file (0666 & ~umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _temp_beside(target: str, suffix: str = ".tmp") -> str:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target) or ".",
                               prefix=f".{os.path.basename(target)}.", suffix=suffix)
    os.close(fd)
    return tmp


def _unlink_quietly(path: str | None) -> None:
    if path is not None:
        try:
            os.unlink(path)
        except OSError:
            pass


def _stage(target: str, data: bytes, where: str) -> str:
    """Write ``data`` to a fsynced temp file beside ``target`` with its final mode."""
    tmp = None
    try:
        tmp = _temp_beside(target)
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(target))
        return tmp
    except OSError as exc:
        _unlink_quietly(tmp)
        raise OutputError(f"cannot write: {exc.strerror or exc}", where) from None


def write_all(outputs: Sequence[tuple[str | None, object]], inputs: Iterable[str] = (),
              flags: Sequence[str] | None = None) -> None:
    """Validate every output, then write them all (or none). ``outputs`` holds ``(path, data)``
    pairs (str or bytes; path None or ``-`` means stdout); ``inputs`` the paths the command read;
    ``flags`` optionally names the flag of each output for error lines."""
    targets = validate(outputs, inputs, flags)
    staged: list[tuple[str, str, str]] = []  # (tmp, target, where)
    try:
        for (path, data), target in zip(outputs, targets):
            if target is not None:
                staged.append((_stage(target, _as_bytes(data), str(path)), target, str(path)))
        _commit(staged)
        staged = []
    finally:
        for tmp, _, _ in staged:
            _unlink_quietly(tmp)
    for (path, data), target in zip(outputs, targets):
        if target is None:
            _write_stdout(data)


def _commit(staged: list[tuple[str, str, str]]) -> None:
    """Rename every staged temp file over its target; on a failure, put the old files back."""
    done: list[tuple[str, str | None]] = []  # (target, backup of the old file or None)
    try:
        for tmp, target, where in staged:
            backup = None
            try:
                if os.path.exists(target) and len(staged) > 1:
                    backup = _temp_beside(target, ".bak")
                    shutil.copy2(target, backup)
                os.replace(tmp, target)
            except OSError as exc:
                _unlink_quietly(backup)
                raise OutputError(f"cannot write: {exc.strerror or exc}", where) from None
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            try:
                if backup is None:
                    os.unlink(target)
                else:
                    os.replace(backup, target)
            except OSError:
                pass
        raise
    for _, backup in done:
        _unlink_quietly(backup)
