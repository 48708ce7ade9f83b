"""Breakpoint search methods. Each is a small module with one function::

    search(problem: PwlProblem, options: dict, seed: int, progress: bool) -> SearchResult

that proposes integer breakpoints; the problem re-derives the coefficients and judges them on the
golden integer model. Each also defines ``options(raw, where, objective) -> dict``, which
validates its ``search_options`` (every option has a type and an inclusive range,
:class:`Option`) so that a spec is refused before any work. Modules are imported only when used.
Random searches draw only from generators seeded by ``seed``, so a spec always gives the same
artifact.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np

from approxgen.errors import ApproxgenError

SEARCHES = {
    "uniform": "approxgen.search.uniform",
    "exact": "approxgen.search.exact",
    "pso": "approxgen.search.pso",
    "ga": "approxgen.search.ga",
}


@dataclass
class SearchResult:
    breakpoints: tuple[int, ...]
    settings: dict = field(default_factory=dict)  # recorded in the artifact
    notes: list[str] = field(default_factory=list)


def run(name: str, problem, options: dict, seed: int, progress: bool = False) -> SearchResult:
    module = importlib.import_module(SEARCHES[name])
    return module.search(problem, options, seed, progress)


def check_options(name: str, options: dict, where: str, objective: str) -> dict:
    """Validate ``options`` of search ``name`` (types, ranges, cross-checks) before any work;
    every module defines ``options(raw, where, objective) -> dict``."""
    return importlib.import_module(SEARCHES[name]).options(options, where, objective)


def progress_bar(total: int, desc: str, enabled: bool):
    """Progress on stderr when ``enabled``: as :mod:`approxgen.progress` is set (a bar on a
    terminal, plain status lines with ``--progress``, nothing with ``-q``)."""
    from approxgen.progress import bar

    return bar(total, desc, enabled)


def snap_breakpoints(points, lo: int, hi: int) -> np.ndarray:
    """Map rows of real breakpoint positions to valid integer breakpoints on the code grid.

    Each row is rounded to codes and sorted; codes that collide are pushed up to the next free
    codes (and back down from ``hi``, and up from ``lo``), so the ``D`` breakpoints stay distinct:
    ``lo < b_1 < ... < b_D <= hi``. Needs ``D <= hi - lo``.
    """
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    dims = pts.shape[1]
    rank = np.arange(dims, dtype=np.int64)
    codes = np.sort(np.floor(pts + 0.5).astype(np.int64), axis=1)
    # b_i - i must be non-decreasing and within [lo + 1, hi - D + 1] for a strictly rising row.
    lifted = np.maximum.accumulate(codes - rank, axis=1)
    lifted = np.clip(lifted, lo + 1, hi - dims + 1)
    return lifted + rank


@dataclass(frozen=True)
class Option:
    """A search option: its default (whose type is the option's type) and inclusive range."""

    default: int | float | bool
    lo: float | None = None
    hi: float | None = None
    doc: str = ""

    def describe(self) -> str:
        kind = type(self.default).__name__
        if self.lo is None:
            return kind
        return f"{kind} in {_number(self.lo)}..{_number(self.hi)}"


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def read_options(options: dict, schema: dict, where: str) -> dict:
    """Validate ``search_options`` against ``schema`` (name -> :class:`Option`) before any work:
    known names, the option's type (an int is accepted for a float), finite, within range."""
    result = {key: opt.default for key, opt in schema.items()}
    if not isinstance(options, dict):
        raise ApproxgenError("search_options must be a mapping", where)
    for key, value in options.items():
        if key not in schema:
            known = ", ".join(sorted(schema)) or "none"
            raise ApproxgenError(f"unknown option {key!r} (known: {known})", f"{where}.{key}")
        opt = schema[key]
        want = type(opt.default)
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or isinstance(value, bool) != (want is bool):
            raise ApproxgenError(f"expected {opt.describe()}, got {_shown(value)}",
                                 f"{where}.{key}")
        if want is float and not np.isfinite(value):
            raise ApproxgenError(f"expected a finite {opt.describe()}, got {value!r}",
                                 f"{where}.{key}")
        if opt.lo is not None and not opt.lo <= value <= opt.hi:
            raise ApproxgenError(f"expected {opt.describe()}, got {_shown(value)}",
                                 f"{where}.{key}")
        result[key] = value
    return result


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class BestTracker:
    """Population fitness for a search: scores rows of breakpoints (objective plus a tie-break
    for ``max``) and remembers the best row by the true objective (first found wins ties)."""

    def __init__(self, problem):
        self.problem = problem
        self.evaluations = 0
        self.best: tuple[int, ...] | None = None
        self.best_objective = np.inf

    def __call__(self, population: np.ndarray, tiebreak: float = 0.0) -> np.ndarray:
        costs = self.problem.segment_costs(population)
        objective = self.problem.reduce(costs)
        self.evaluations += len(population)
        i = int(np.argmin(objective))
        if objective[i] < self.best_objective:
            self.best_objective = float(objective[i])
            self.best = tuple(int(b) for b in population[i])
        return self.problem.reduce(costs, tiebreak) if tiebreak else objective


def polish(tracker: "BestTracker", tiebreak: float = 0.0, steps=(1, 2, 4, 8, 16)) -> None:
    """Local refinement of ``tracker.best``: try moving each breakpoint by +-step codes (every
    move scored at once), take the best move while it improves (objective, then tie-break)."""
    problem = tracker.problem
    if not tracker.best:
        return
    current = np.asarray(tracker.best, dtype=np.int64)
    score = float(tracker(current[None, :], tiebreak)[0])
    moves = np.array([d * s for s in steps for d in (-1, 1)], dtype=np.int64)
    while True:
        cand = np.repeat(current[None, :], moves.size * current.size, axis=0)
        rows = np.arange(cand.shape[0])
        cand[rows, rows // moves.size] += np.tile(moves, current.size)
        ok = (np.all(np.diff(cand, axis=1) > 0, axis=1) & (cand[:, 0] > problem.lo)
              & (cand[:, -1] <= problem.hi))
        cand = cand[ok]
        if cand.size == 0:
            return
        scores = tracker(cand, tiebreak)
        i = int(np.argmin(scores))
        if scores[i] >= score:
            return
        current, score = cand[i], float(scores[i])
