"""Shared test helpers: external tools are required under CI=true and skipped otherwise."""

from __future__ import annotations

import functools
import importlib
import os
import shutil
from pathlib import Path

import pytest

from approxgen import spec as specs
from approxgen.fitting import fit


def require_tool(name: str) -> str:
    """Path of tool ``name``; fail under CI=true (CI installs it), else skip when missing."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} is required under CI=true but is not installed")
        pytest.skip(f"{name} not installed")
    return path


def require_module(name: str, install: str):
    """The module ``name`` (``install``: what to pip install for it, e.g. ``approxgen[dask]``);
    fail under CI=true (CI installs the extras), else skip when missing (a test, or a whole
    module when called at its top)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} ({install}) is required under CI=true but is missing")
        pytest.skip(f"{name} not installed (pip install {install})", allow_module_level=True)


ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))  # the shipped specs


@functools.lru_cache(maxsize=None)
def shipped_fit(path: Path):
    """The fit of shipped config ``path``, fitted once per test process (each pytest-xdist
    worker: ``make test``); fits are frozen, so the test files that check every shipped config
    share them."""
    return fit(specs.resolve(specs.load_yaml(path), str(path)), progress=False)


class Lines:
    """The lines of text ``stream`` (a child's stderr pipe), read by a thread: waiting for one
    fails the test after a timeout instead of hanging it, whatever the machine's load."""

    def __init__(self, stream):
        import queue
        import threading

        self._lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []

        def pump():
            for line in iter(stream.readline, ""):
                self._lines.put(line)
            self._lines.put(None)  # end of stream
        threading.Thread(target=pump, daemon=True).start()

    def _next(self, deadline: float, what: str) -> str | None:
        import queue
        import time

        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"{what}: timed out; read: {self.seen}")
        if line is not None:
            self.seen.append(line)
        return line

    def wait_for(self, wanted: str, timeout: float = 300.0) -> str:
        """The first line containing ``wanted``."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            line = self._next(deadline, f"no line with {wanted!r}")
            if line is None:
                pytest.fail(f"the stream ended without a line with {wanted!r}: {self.seen}")
            if wanted in line:
                return line

    def rest(self, timeout: float = 120.0) -> str:
        """Everything read, up to the end of the stream."""
        import time

        deadline = time.monotonic() + timeout
        while self._next(deadline, "no end of the stream") is not None:
            pass
        return "".join(self.seen)


def run_cli(*args: str, cwd=None):
    """``python -m approxgen ARGS`` in ``cwd``: the finished process, its output as text."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "approxgen", *args], capture_output=True,
                          text=True, cwd=cwd)


def interrupted(args: list[str], wanted: str, cwd=None) -> tuple[int, str, str]:
    """Run ``approxgen ARGS`` and send it SIGINT (Ctrl-C) at its first stderr line containing
    ``wanted``: ``(exit status, that line, all of its stderr)``."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "approxgen", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        err = Lines(proc.stderr)
        line = err.wait_for(wanted)  # waits however loaded the machine is, within a timeout
        proc.send_signal(signal.SIGINT)
        text = err.rest()
        proc.wait(timeout=120)
    finally:
        proc.kill()
    return proc.returncode, line, text


def fit_raw(**raw):
    """Fit a raw spec mapping given as keyword arguments (``input={...}`` etc.)."""
    return fit(specs.resolve(raw, "<test>"))


@pytest.fixture
def fit_of():
    return fit_raw
