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
    """What a search returns: the ``breakpoints`` it chose (input codes, ascending), the
    ``settings`` it ran with (recorded in the artifact's ``search``) and human-readable
    ``notes``."""

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


def sized_options(problem, raw: dict, opts: dict, wide: dict) -> dict:
    """``opts`` with the defaults in ``wide`` for a problem whose searches fly on rough costs
    (:attr:`PwlProblem.rough`: many codes, so fewer, cheaper evaluations pay); options the
    spec sets are kept."""
    if not getattr(problem, "rough", False):
        return opts
    return {**opts, **{key: value for key, value in wide.items() if key not in raw}}


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
    for ``max``) and remembers the best row by the true objective (first found wins ties).
    ``rough``: segments cost :meth:`PwlProblem.rough_costs` (an achievable line found in one
    vectorized pass) instead of the exact solve; :func:`refine` then finishes exactly."""

    def __init__(self, problem, rough: bool = False):
        self.problem = problem
        self.rough = rough
        self._costs = problem.rough_costs if rough else problem.segment_costs
        self.evaluations = 0
        self.best: tuple[int, ...] | None = None
        self.best_objective = np.inf

    def __call__(self, population: np.ndarray, tiebreak: float = 0.0) -> np.ndarray:
        costs = self._costs(population)
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


BALANCE_SWEEPS = 10  # on rough costs, then fine ones, then (no reach) exact ones near there
FINE_SWEEPS = 2
EXACT_SWEEPS = 3
EXACT_RADIUS = 16  # codes an exact balancing step may move a breakpoint
EQUALIZE_STEPS = 40
EQUALIZE_GROWTH = 2.0  # see :func:`equalize`


def refine(tracker: BestTracker, tiebreak: float = 0.0) -> tuple[int, ...]:
    """The polished best breakpoints of a search (:func:`polish`; for ``max`` with the reach
    oracle, then :func:`relocate` with windows up to :data:`EXACT_WINDOWS`). A rough tracker's best
    (``max``) is equalized (:func:`equalize`) and balanced (:func:`balance`) on rough costs,
    then on fine ones, then re-placed against a shared bound (:func:`relocate`, with the
    problem's reach oracle; without one, balanced on exact costs near there)."""
    problem = tracker.problem
    if not tracker.rough:
        polish(tracker, tiebreak)
        if problem.reach is None or problem.objective != "max":
            return tracker.best
        moved = relocate(problem, tracker.best, windows=EXACT_WINDOWS)
        tracker(np.array([moved], dtype=np.int64))  # taken only when it is better
        return tracker.best
    best = equalize(problem, tracker.best, EQUALIZE_STEPS)
    best = balance(problem, best, problem.rough_segments, BALANCE_SWEEPS)
    best = balance(problem, best, problem.fine_segments, FINE_SWEEPS)
    if problem.reach is not None:
        best = relocate(problem, best)
    else:
        best = balance(problem, best, problem.exact_segments, EXACT_SWEEPS, EXACT_RADIUS)
    exact = BestTracker(problem)
    exact(np.array([tracker.best, best], dtype=np.int64))  # never worse than the search's best
    tracker.evaluations += exact.evaluations
    return exact.best


def finish(tracker: BestTracker, opts: dict, name: str) -> tuple[tuple[int, ...], dict, list]:
    """The search's answer: its best breakpoints polished (:func:`refine`) when the ``polish``
    option is on; the settings record the search's own best objective before the polish and
    the one after (exact, on the integer pipeline), and a note says both."""
    problem = tracker.problem
    before = float(problem.evaluate(tracker.best).objective)
    best = refine(tracker, opts["tiebreak"]) if opts["polish"] else tracker.best
    after = float(problem.evaluate(best).objective)
    unit = "LSB" if problem.objective == "max" else "LSB^2"
    settings = {"before_polish": before, "after_polish": after,
                "evaluations": tracker.evaluations}
    note = (f"{name}: {before:.6g} {unit} before the polish, {after:.6g} after" if opts["polish"]
            else f"{name}: {before:.6g} {unit} (no polish)")
    return best, settings, [note]


def equalize(problem, breakpoints, steps: int) -> tuple[int, ...]:
    """Minimax polish of all breakpoints at once, on rough costs: a segment's error above the
    rounding floor (half an LSB) grows about as its width squared, so widths in proportion to
    ``width / sqrt(excess)`` would equalize them. Near the floor that model fails (the excess
    vanishes), so a segment's aim is at most :data:`EQUALIZE_GROWTH` times the worst one's
    relative to its width; each step goes half-way there (in log widths). The best breakpoints
    seen win (never worse than the start)."""
    current = np.asarray(breakpoints, dtype=np.int64)
    best, best_cost = current, float(problem.rough_costs(current[None, :])[0].max())
    for _ in range(steps):
        costs = problem.rough_costs(current[None, :])[0]
        widths = np.diff(np.concatenate([[problem.lo], current, [problem.hi + 1]])).astype(float)
        excess = np.maximum(costs - 0.5, 1e-3)
        aim = widths * np.minimum(np.sqrt(excess.max() / excess), EQUALIZE_GROWTH)
        aim *= problem.n_codes / aim.sum()
        new = np.sqrt(widths * aim)
        ends = np.cumsum(new * (problem.n_codes / new.sum()))[:-1]
        current = snap_breakpoints(problem.lo - 0.5 + ends, problem.lo, problem.hi)[0]
        cost = float(problem.rough_costs(current[None, :])[0].max())
        if cost < best_cost:
            best, best_cost = current, cost
    return tuple(int(b) for b in best)


def balance(problem, breakpoints, cost, sweeps: int, radius: int | None = None
            ) -> tuple[int, ...]:
    """Minimax polish: move each breakpoint to where the larger cost of its two segments is
    least, its neighbours fixed (``cost(firsts, lasts)``: per segment, monotone in its extent).
    The left segment's cost rises with the breakpoint and the right one's falls, so one binary
    search finds where they cross. Sweeps run forward and backward in turn (a change travels
    the whole chain in one sweep); a move is taken only where it lowers that larger cost (the
    objective never rises), at most ``radius`` codes; ``sweeps`` sweeps, or until none moves."""
    edges = np.array([problem.lo, *breakpoints, problem.hi + 1], dtype=np.int64)
    if edges.size < 3:
        return tuple(int(b) for b in breakpoints)
    order = range(1, edges.size - 1)
    for sweep in range(sweeps):
        moved = False
        for i in order[::-1] if sweep % 2 else order:
            idx = np.array([i])
            left, right, now = edges[idx - 1], edges[idx + 1], edges[idx]
            low, high = left + 1, right - 1  # b in [low, high]: both segments keep a code
            if radius is not None:
                low, high = np.maximum(low, now - radius), np.minimum(high, now + radius)

            def worse(b):
                pair = cost(np.concatenate([left, b]), np.concatenate([b - 1, right - 1]))
                return pair[:b.size], pair[b.size:]

            a, z = low.copy(), high.copy()  # the first b whose left cost reaches the right one
            while np.any(a < z):
                mid = (a + z) >> 1
                lc, rc = worse(mid)
                up, active = lc >= rc, a < z
                z, a = np.where(up & active, mid, z), np.where(~up & active, mid + 1, a)
            cands = np.stack([np.maximum(a - 1, low), a, now])
            scores = np.stack([np.maximum(*worse(c)) for c in cands])
            pick = np.argmin(scores, axis=0)  # ties: the earlier candidate (now is last)
            new = cands[pick, np.arange(idx.size)]
            better = scores[pick, np.arange(idx.size)] < scores[2]
            new = np.where(better, new, now)
            moved |= bool(np.any(new != now))
            edges[idx] = new
        if not moved:
            break
    return tuple(int(b) for b in edges[1:-1])


RELOCATE_WINDOWS = (1.0, 2.0)  # a breakpoint moves at most these times its narrower segment
RELOCATE_ROUNDS = 40
EXACT_WINDOWS = (1.0, 2.0, 4.0, 8.0)  # searches flying on exact costs: relocate reaches further


def relocate(problem, breakpoints, rounds: int = RELOCATE_ROUNDS,
             windows: tuple[float, ...] = RELOCATE_WINDOWS) -> tuple[int, ...]:
    """Minimax polish moving every breakpoint at once against a shared bound (needs
    :attr:`PwlProblem.reach`): each breakpoint may move within a window, ``windows[0]`` times
    the narrower of its two segments; for a bound ``B`` the breakpoints, left to right, go as
    far as a segment within ``B`` reaches (a later start never reaches less, so this decides
    whether any placement in the windows meets ``B``); the least such ``B`` is found by
    bisection (:meth:`Reach.smallest_bound`). Rounds re-centre the windows; a round that brings
    nothing tries the next, wider window (a success returns to the first), and the polish ends
    when the widest brings nothing, or after ``rounds`` rounds. The result is taken only when
    its exact segment costs (:meth:`PwlProblem.exact_segments`) all meet the last bound and
    lower the max error."""
    from approxgen.fit.reach import TOL

    reach = problem.reach
    start = np.asarray(breakpoints, dtype=np.int64)
    if reach is None or start.size == 0:
        return tuple(int(b) for b in start)
    lo, hi = problem.lo, problem.hi

    def exact_cost(bps) -> float:
        edges = np.concatenate([[lo], bps, [hi + 1]])
        return float(np.max(problem.exact_segments(edges[:-1], edges[1:] - 1)))

    cost = exact_cost(start)
    current, bound, floor, scale = start, cost, reach.floor(), 0
    for _ in range(rounds):
        if bound <= floor + TOL or scale == len(windows):
            break
        widths = np.diff(np.concatenate([[lo], current, [hi + 1]]))
        radius = np.maximum(1, np.ceil(windows[scale] * np.minimum(widths[:-1], widths[1:])))
        low_w = np.maximum(current - radius.astype(np.int64), lo + 1)
        high_w = np.minimum(current + radius.astype(np.int64), hi)

        def place(b):
            bps, first = np.empty_like(current), lo
            for i in range(current.size):
                nxt = min(reach.reach(first, b) + 1, int(high_w[i]))
                if nxt < max(int(low_w[i]), first + 1):
                    return None
                bps[i] = first = nxt
            return bps if reach.reach(first, b) >= hi else None

        new_bound, found, _ = reach.smallest_bound(place, floor - TOL, bound)
        if found is None or not new_bound < bound - TOL:
            scale += 1
            continue
        current, bound, scale = found, new_bound, 0
    if current is start:
        return tuple(int(b) for b in start)
    reached = exact_cost(current)
    if not (reached <= bound + TOL and reached < cost):  # the oracle's bound must hold
        return tuple(int(b) for b in start)
    return tuple(int(b) for b in current)
