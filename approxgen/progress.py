"""Progress of long work on stderr: in ``auto`` a tqdm bar on a terminal and plain status lines
every few seconds elsewhere (a CI log, a pipe); ``plain`` status lines even on a terminal (the
CLI's ``--progress``); or nothing (``off``, ``-q``). Searches ask for a bar through
:func:`approxgen.search.progress_bar`."""

from __future__ import annotations

import sys
import time

MODES = ("auto", "plain", "off")
_mode = "auto"
_label = ""  # what is being worked on (a spec's name in a build), shown in status lines
INTERVAL = 5.0  # seconds between plain status lines


def set_mode(mode: str, label: str = "") -> None:
    global _mode, _label
    if mode not in MODES:
        raise ValueError(f"progress mode must be one of {MODES}, got {mode!r}")
    _mode, _label = mode, label


def mode() -> str:
    return _mode


def bar(total: int, desc: str, enabled: bool = True):
    """A progress reporter with tqdm's ``update``/``reset``/context-manager interface."""
    if not enabled or _mode == "off":
        return _Silent()
    if _mode == "plain" or not sys.stderr.isatty():
        return StatusLines(total, f"{_label}: {desc}" if _label else desc)
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False)


class _Silent:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int = 1) -> None:
        pass

    def reset(self, total: int | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class StatusLines(_Silent):
    """``approxgen: DESC: N/TOTAL (P%), S s`` on stderr at most every :data:`INTERVAL` seconds,
    and a last line when done."""

    def __init__(self, total: int, desc: str, stream=None, interval: float | None = None):
        self.total, self.desc, self.n = total, desc, 0
        self.stream = stream or sys.stderr
        self.interval = INTERVAL if interval is None else interval
        self.started = self.last = time.monotonic()

    def _line(self, now: float, state: str = "working") -> None:
        done = f"{self.n}/{self.total} ({100 * self.n / self.total:.0f}%)" if self.total \
            else f"{self.n} steps"
        print(f"approxgen: {self.desc}: {state}, {done}, {now - self.started:.0f} s",
              file=self.stream, flush=True)
        self.last = now

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self.last >= self.interval and not (self.total and self.n >= self.total):
            self._line(now)  # (at the end, close says "done")

    def reset(self, total: int | None = None) -> None:
        self.n = 0
        if total is not None:
            self.total = total

    def close(self, state: str = "done") -> None:
        now = time.monotonic()
        if now - self.started >= self.interval:
            self._line(now, state)

    def __exit__(self, kind, *exc):
        self.close("done" if kind is None else "stopped")  # an error or Ctrl-C stopped it
        return False
