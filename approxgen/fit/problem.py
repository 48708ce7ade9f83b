"""A pwl fitting problem: the domain codes, their targets, and the cost of a set of breakpoints.

Search methods only propose breakpoints; :meth:`PwlProblem.evaluate` re-derives the integer
coefficients of every segment (memoized by segment, so a search revisiting segments pays once)
and returns the objective the golden model will really show; :meth:`PwlProblem.objectives` does
the same for a whole population at once.

When the candidate slopes are few enough, they are one global set shared by every segment
(:attr:`PwlProblem.slopes`): every slope of a fixed coefficient format, or with the automatic
format every slope between the extreme slopes of the target (padded). Then the segment solve is
exact for ``max`` and the exact search can test all segments at once against an error bound.

Population searches on unweighted ``max`` problems score segments with
:meth:`PwlProblem.max_segments`: the optimal cost of every new segment of a swarm iteration or a
generation in batched numpy passes (:func:`batched_max_costs`), cached by segment.

On wide ``max`` problems (:attr:`PwlProblem.rough`) population searches fly on
:meth:`PwlProblem.rough_costs` instead: one integer line per segment, for all new segments in one
vectorized pass, judged on the golden pipeline (an achievable cost, never below the optimum).

Weights (``weights: samples``: the calibration samples' histogram over the domain codes,
:attr:`PwlProblem.weights`) change the objective, not the searches: ``mse`` becomes
``sum w (y - t)^2 / sum w`` and ``max`` the largest ``|y - t|`` over codes of positive weight. A
segment no sample falls in costs nothing; it keeps the unweighted fit of its codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.fit import mse
from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.fit.reach import TOL, Reach
from approxgen.fit.segment import SegmentFit, solve_segment
from approxgen.metrics import target
from approxgen.model import PwlModel
from approxgen.spec import Spec

FREE = SegmentFit(0, 0, 0.0, 0.0, 0.0)  # a segment without samples: costs nothing
GLOBAL_SLOPE_ELEMENTS = 1 << 20  # share one slope set when (slopes x codes) is below this
SLOPE_PAD = 2
OFFSETS = np.arange(-2, 3) / 8  # intercepts tried around the centred one, in LSB
FINE_OFFSETS = np.arange(-6, 7) / 16
GOLDEN, GOLDEN_STEPS = (np.sqrt(5.0) - 1.0) / 2.0, 40
ROUGH_CODES = 256  # above this many domain codes a max objective offers :meth:`rough_costs`


@dataclass(frozen=True)
class Evaluation:
    """The objective of a breakpoint set: ``max`` LSB error, or ``mse`` in LSB^2."""

    breakpoints: tuple[int, ...]
    objective: float
    segments: tuple[SegmentFit, ...]


class PwlProblem:
    """What a breakpoint search sees for a pwl fit of ``spec`` with ``segments`` segments: the
    domain ``codes`` and their ``targets`` (sat(f) in output LSB), the integer arithmetic
    ``arith`` (shifts and coefficient ranges; ``shift`` forces one), the ``objective``, optional
    per-code ``weights``, and :meth:`evaluate`: the total cost of a set of breakpoints (every
    segment's best integer coefficients, :func:`~approxgen.fit.segment.solve_segment`, cached
    per segment), which :meth:`model` turns into a :class:`~approxgen.model.PwlModel`."""

    reach: Reach | None = None  # every-code max-error reach (:mod:`approxgen.fit.reach`)

    def __init__(self, spec: Spec, segments: int, shift: int | None = None,
                 weights: np.ndarray | None = None):
        """``weights``: one non-negative number per domain code (some positive), or None."""
        self.spec = spec
        self.segments = segments
        self.objective = spec.objective
        self.arith = PwlArithmetic.for_spec(spec, segments, shift)
        self.codes = spec.domain_codes()
        self.targets = target(spec, self.codes) / spec.output.scale  # sat(f), in output LSB
        self.lo, self.hi = spec.domain  # breakpoints lie in (lo, hi]
        self.slopes = _global_slopes(self.arith, self.targets, self.n_codes)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.total = float(self.n_codes if weights is None else self.weights.sum())
        self._prefix = None if weights is None else np.concatenate([[0.0],
                                                                   np.cumsum(self.weights)])
        self._cache: dict[tuple[int, int], SegmentFit] = {}
        self._above: dict[tuple[int, int], float] = {}  # segments known to cost more than this
        self._upper: dict[tuple[int, int], SegmentFit] = {}  # achievable, maybe not optimal
        self._rough: dict[tuple[int, int], float] = {}  # see :meth:`rough_costs`
        self._fine: dict[tuple[int, int], float] = {}  # see :meth:`fine_segments`
        self._max: dict[int, float] = {}  # see :meth:`max_segments` (key: first * n + last)
        if Reach.applies(self.arith, self.n_codes):
            self.reach = Reach(self.arith, self.codes, self.targets, self.weights)

    @property
    def n_codes(self) -> int:
        return self.codes.size

    def segment(self, first: int, last: int) -> SegmentFit:
        """The best integer coefficients for domain codes ``first..last`` (inclusive)."""
        key = (first, last)
        hit = self._cache.get(key)
        if hit is None:
            self.solve_many(np.array([first]), np.array([last]))
            hit = self._cache[key]
        return hit

    def solve_many(self, firsts: np.ndarray, lasts: np.ndarray, limit=np.inf) -> None:
        """Solve (and cache) every segment ``firsts[i]..lasts[i]`` not solved yet; least squares
        runs as one closed-form batch per segment width (:mod:`approxgen.fit.mse`). ``limit``
        (``mse``): a segment that surely costs more is left unsolved (see :meth:`within`);
        ``-inf``: only the closed form (see :meth:`upper_bounds`); an array: one per segment."""
        limits: dict[tuple[int, int], float] = {}
        for a, b, cap in zip(firsts, lasts, np.broadcast_to(limit, np.shape(firsts))):
            key = (int(a), int(b))
            limits[key] = max(limits.get(key, -np.inf), float(cap))
        todo = {key for key, cap in limits.items() if key not in self._cache and (
            key not in self._upper if cap == -np.inf else self._above.get(key, -np.inf) < cap)}
        if not todo:
            return
        rest = sorted(todo)
        if self.weights is not None:  # segments without samples: the unweighted fit, free
            empty = [(a, b) for a, b in rest if self._weight(a, b) <= 0]
            rest = [(a, b) for a, b in rest if self._weight(a, b) > 0]
            for key in empty:  # coefficients only when a model needs them (:meth:`model`)
                self._cache[key] = FREE
        if self.objective == "mse" and mse.applies(self.arith) and rest:
            for key in [key for key in rest if key in self._upper]:  # the closed form is known
                self._settle(key, self._upper[key], limits[key])
            rest = [key for key in rest if key not in self._upper]
        if self.objective == "mse" and mse.applies(self.arith) and rest:
            pairs = np.array(rest, dtype=np.int64)
            widths = pairs[:, 1] - pairs[:, 0] + 1
            rest = []
            for w in np.unique(widths):
                group = pairs[widths == w]
                idx = (group[:, :1] - self.lo) + np.arange(w)[None, :]
                k, m, sse, top, proven = mse.solve_batch(
                    self.arith, self.codes[idx], self.targets[idx],
                    None if self.weights is None else self.weights[idx])
                for i in range(group.shape[0]):
                    fit = SegmentFit(int(k[i]), int(m[i]), float(sse[i]), float(top[i]),
                                     float(sse[i]))
                    key = (int(group[i, 0]), int(group[i, 1]))
                    if proven[i]:
                        self._cache[key] = fit
                    else:  # saturation might do better
                        self._upper[key] = fit
                        self._settle(key, fit, limits[key])
        for first, last in rest:  # the general solver (saturation may pay, or max)
            self._cache[(first, last)] = self._solve(first, last)

    def _settle(self, key: tuple[int, int], fit: SegmentFit, cap: float) -> None:
        """Segment ``key`` whose closed-form least squares ``fit`` saturation might beat: search
        only below ``min(fit.cost, cap)``; cache the optimum, or note that it exceeds ``cap``
        (``-inf``: no search)."""
        if cap == -np.inf:
            return
        ub = min(fit.cost, cap)
        better = self._solve(*key, ub)  # the optimum if it costs at most ub, else costs more
        if better is not None and better.cost <= ub and better.cost < fit.cost:
            self._cache[key] = better
        elif fit.cost <= cap:
            self._cache[key] = fit
        else:  # the optimum exceeds the limit: no answer
            self._above[key] = cap

    def within(self, firsts: np.ndarray, lasts: np.ndarray, limit) -> np.ndarray:
        """The cost of each segment ``firsts[i]..lasts[i]``, or ``inf`` where it surely exceeds
        ``limit`` (one, or one per segment; ``mse`` with saturation: the search then looks
        only below it)."""
        self.solve_many(firsts, lasts, limit)
        hit = [self._cache.get((int(a), int(b))) for a, b in zip(firsts, lasts)]
        return np.array([np.inf if f is None else f.cost for f in hit])

    def upper_bounds(self, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """A cost each segment ``firsts[i]..lasts[i]`` surely reaches: the optimum, or where
        saturation might beat the closed-form least squares, its cost (no search yet)."""
        self.solve_many(firsts, lasts, -np.inf)
        keys = [(int(a), int(b)) for a, b in zip(firsts, lasts)]
        return np.array([(self._cache.get(key) or self._upper[key]).cost for key in keys])

    def _solve(self, first: int, last: int, ub: float | None = None) -> SegmentFit | None:
        """The segment solver; for ``max`` without a shared slope set, the reach proves its
        answer optimal (nothing within less) or finds the least bound some slope meets, and the
        solver then scores that slope's neighbourhood (:meth:`Reach.smallest_bound`).
        ``ub``: see :func:`~approxgen.fit.segment.solve_segment` (``mse``)."""
        i, j = first - self.lo, last - self.lo + 1
        q, t = self.codes[i:j], self.targets[i:j]
        w = None if self.weights is None else self.weights[i:j]
        best = solve_segment(self.arith, q, t, self.objective, self.slopes, w, ub)
        reach = self.reach
        if self.objective != "max" or self.slopes is not None or reach is None:
            return best
        if w is not None and not np.any(w > 0):
            return best
        below = best.cost - 2 * TOL
        if below < 0 or reach.slope(i, j - 1, below) is None:
            return best
        floor = float(np.max(np.abs(t - np.rint(t)) if w is None
                             else np.abs(t - np.rint(t))[w > 0]))
        low = floor - TOL
        _, slope, _ = reach.smallest_bound(lambda b: reach.slope(i, j - 1, b), low, below,
                                           i, j - 1)
        window = np.arange(slope - SLOPE_PAD, slope + SLOPE_PAD + 1, dtype=np.int64)
        if self.arith.slope_bounds is not None:
            window = window[(window >= self.arith.slope_bounds[0])
                            & (window <= self.arith.slope_bounds[1])]
        fit = solve_segment(self.arith, q, t, self.objective, window, w)
        return fit if (fit.cost, fit.sse) < (best.cost, best.sse) else best

    def _unweighted(self, first: int, last: int) -> SegmentFit:
        """The unweighted fit of codes ``first..last`` (for a segment no sample falls in)."""
        i, j = first - self.lo, last - self.lo + 1
        return solve_segment(self.arith, self.codes[i:j], self.targets[i:j], self.objective,
                             self.slopes)

    def _weight(self, first: int, last: int) -> float:
        """The total weight of domain codes ``first..last``."""
        return float(self._prefix[last - self.lo + 1] - self._prefix[first - self.lo])

    def lower_bounds(self, cuts: np.ndarray) -> np.ndarray | None:
        """Proven lower bounds of the cost of every segment between two ``cuts`` (a matrix), or
        None when this problem has none (then the exact search solves every segment)."""
        if self.objective == "mse":
            return mse.lower_bounds(self.arith, self.codes, self.targets, cuts, self.weights)
        return None

    def evaluate(self, breakpoints) -> Evaluation:
        bps = tuple(int(b) for b in breakpoints)
        edges = (self.lo, *bps, self.hi + 1)
        fits = tuple(self.segment(a, b - 1) for a, b in zip(edges, edges[1:]))
        if self.objective == "max":
            value = max(f.cost for f in fits)
        else:
            value = sum(f.cost for f in fits) / self.total
        return Evaluation(bps, value, fits)

    def segment_costs(self, population: np.ndarray) -> np.ndarray:
        """Per-segment costs (P x K) of every row of ``population`` (P x (K-1) breakpoints);
        each distinct segment of the whole population is solved once (unweighted ``max``: by
        :meth:`max_segments`, all at once)."""
        _, firsts, lasts = self._edges(population)
        if self.batched_max:
            return self.max_segments(firsts.ravel(), lasts.ravel()).reshape(firsts.shape)
        pairs = np.stack([firsts.ravel(), lasts.ravel()], axis=1)
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        self.solve_many(unique[:, 0], unique[:, 1])
        costs = np.array([self.segment(int(a), int(b)).cost for a, b in unique])
        return costs[inverse.ravel()].reshape(firsts.shape)

    @property
    def batched_max(self) -> bool:
        """Whether :meth:`max_segments` gives this problem's segment costs: a pwl problem
        (not a subclass solving segments its own way), ``max``, unweighted."""
        return (self.objective == "max" and self.weights is None
                and type(self).segment is PwlProblem.segment
                and type(self).solve_many is PwlProblem.solve_many)

    def max_segments(self, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """The optimal max error (:meth:`segment`'s cost) of each segment
        ``firsts[i]..lasts[i]`` of an unweighted ``max`` problem, the new ones solved together
        (:func:`batched_max_costs`), cached by segment."""
        firsts = np.asarray(firsts, dtype=np.int64)
        lasts = np.asarray(lasts, dtype=np.int64)
        keys = (firsts - self.lo) * self.n_codes + (lasts - self.lo)
        unique, inverse = np.unique(keys, return_inverse=True)
        cache = self._max
        new = np.array([key not in cache for key in unique.tolist()], dtype=bool)
        if new.any():
            todo = unique[new]
            a, b = todo // self.n_codes + self.lo, todo % self.n_codes + self.lo
            costs = batched_max_costs(self, a, b)
            cache.update(zip(todo.tolist(), costs.tolist()))
        return np.array([cache[key] for key in unique.tolist()])[inverse.ravel()]

    @property
    def rough(self) -> bool:
        """Whether population searches should fly on :meth:`rough_costs` (a wide, unweighted
        ``max`` problem, where the exact solve of every segment would dominate)."""
        return (self.objective == "max" and self.weights is None
                and self.n_codes > ROUGH_CODES)

    def rough_costs(self, population: np.ndarray) -> np.ndarray:
        """Like :meth:`segment_costs`, but each segment's cost is the max error, on the golden
        integer pipeline, of a line found in one vectorized pass over all new segments: for the
        integer slopes nearest the chord and the least-squares slope, the intercept centring the
        residuals (and a quarter LSB either side); the best of these six. An achievable cost, so
        never below the optimum (:meth:`segment`), and close to it on smooth targets."""
        _, firsts, lasts = self._edges(population)
        return self.rough_segments(firsts.ravel(), lasts.ravel()).reshape(firsts.shape)

    def rough_segments(self, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """The rough cost (see :meth:`rough_costs`) of each segment ``firsts[i]..lasts[i]``
        (cached by segment)."""
        pairs = np.stack([np.asarray(firsts), np.asarray(lasts)], axis=1).astype(np.int64)
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        new = np.array([(int(a), int(b)) not in self._rough for a, b in unique], dtype=bool)
        if new.any():
            todo = unique[new]
            for (a, b), c in zip(todo.tolist(), self._rough_solve(todo[:, 0], todo[:, 1])):
                self._rough[(a, b)] = float(c)
        costs = np.array([self._rough[(int(a), int(b))] for a, b in unique])
        return costs[inverse.ravel()]

    def fine_segments(self, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """Like :meth:`rough_segments`, closer to the optimum: the integer slopes next to the
        continuous minimax slope, and finer intercept steps (cached by segment)."""
        pairs = np.stack([np.asarray(firsts), np.asarray(lasts)], axis=1).astype(np.int64)
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        new = np.array([(int(a), int(b)) not in self._fine for a, b in unique], dtype=bool)
        if new.any():
            todo = unique[new]
            for (a, b), c in zip(todo.tolist(), self._rough_solve(todo[:, 0], todo[:, 1], True)):
                self._fine[(a, b)] = float(c)
        costs = np.array([self._fine[(int(a), int(b))] for a, b in unique])
        return costs[inverse.ravel()]

    def exact_segments(self, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """The optimal cost (:meth:`segment`) of each segment ``firsts[i]..lasts[i]``."""
        if self.batched_max:
            return self.max_segments(firsts, lasts)
        return self.within(np.asarray(firsts), np.asarray(lasts), np.inf)

    def _rough_solve(self, firsts: np.ndarray, lasts: np.ndarray, fine: bool = False
                     ) -> np.ndarray:
        """The costs of :meth:`rough_costs` for segments ``firsts[i]..lasts[i]``; ``fine``: the
        slopes next to the continuous minimax slope (golden-section search on the residual
        spread, all segments at once) and more intercepts (see :meth:`fine_segments`)."""
        from approxgen.model import pwl_output

        arith, out = self.arith, self.arith.output
        s, cs = arith.shift, arith.intercept_shift
        i, widths = firsts - self.lo, lasts - firsts + 1
        starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
        idx = np.arange(int(widths.sum())) - np.repeat(starts - i, widths)
        seg = np.repeat(np.arange(widths.size), widths)
        q, t = self.codes[idx], self.targets[idx]
        x = (q - q[starts][seg]).astype(np.float64)
        aim = np.clip(t, out.min_code - 0.5, out.max_code + 0.5) * float(1 << s)

        def spread(slope):
            r = aim - slope[seg] * x
            return np.maximum.reduceat(r, starts) - np.minimum.reduceat(r, starts)

        span = np.maximum(x[starts + widths - 1], 1.0)
        chord = (aim[starts + widths - 1] - aim[starts]) / span
        xc = x - (np.add.reduceat(x, starts) / widths)[seg]
        ac = aim - (np.add.reduceat(aim, starts) / widths)[seg]
        sxx = np.add.reduceat(xc * xc, starts)
        ls = np.where(sxx > 0, np.add.reduceat(xc * ac, starts) / np.maximum(sxx, 1e-300), 0.0)
        if fine:  # the spread is convex in the slope: golden section from around both
            a, b = np.minimum(chord, ls) - 8.0, np.maximum(chord, ls) + 8.0
            for _ in range(GOLDEN_STEPS):
                c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
                left = spread(c) <= spread(d)
                a, b = np.where(left, a, c), np.where(left, d, b)
            centre = np.rint((a + b) / 2)
            slopes = [centre + d for d in (-1.0, 0.0, 1.0)]
            offsets = FINE_OFFSETS
        else:
            best_spread, centre = np.full(widths.size, np.inf), chord
            for slope in (chord, ls, (chord + ls) / 2):  # the one of least residual spread
                width = spread(np.rint(slope))
                centre = np.where(width < best_spread, np.rint(slope), centre)
                best_spread = np.minimum(width, best_spread)
            slopes, offsets = [centre], OFFSETS
        best = np.full(widths.size, np.inf)
        for slope in slopes:
            k = slope.astype(np.int64)
            if arith.slope_bounds is not None:
                k = np.clip(k, *arith.slope_bounds)
            r = aim - (k[seg] * q).astype(np.float64)
            centre = (np.maximum.reduceat(r, starts) + np.minimum.reduceat(r, starts)) / 2
            for offset in offsets:
                m = np.rint((centre + offset * float(1 << s)) / float(1 << cs)).astype(np.int64)
                if arith.intercept_bounds is not None:
                    m = np.clip(m, *arith.intercept_bounds)
                y = pwl_output(k[seg], m[seg], q, cs, s, out)
                best = np.minimum(best, np.maximum.reduceat(np.abs(y - t), starts))
        return best

    def _edges(self, population: np.ndarray):
        """Rows of breakpoints to edges and each segment's first and last codes."""
        pop = np.asarray(population, dtype=np.int64).reshape(len(population), self.segments - 1)
        rows = pop.shape[0]
        edges = np.hstack([np.full((rows, 1), self.lo), pop, np.full((rows, 1), self.hi + 1)])
        return edges, edges[:, :-1], edges[:, 1:] - 1

    def objectives(self, population: np.ndarray, tiebreak: float = 0.0) -> np.ndarray:
        """The objective of every row of ``population``, reduced on arrays.

        ``tiebreak`` adds that fraction of the mean segment cost to a ``max`` objective: a
        population search then also sees progress on the segments that are not the worst.
        """
        return self.reduce(self.segment_costs(population), tiebreak)

    def reduce(self, per_segment: np.ndarray, tiebreak: float = 0.0) -> np.ndarray:
        """Rows of per-segment costs to objectives (see :meth:`objectives`)."""
        if self.objective == "max":
            return per_segment.max(axis=1) + tiebreak * per_segment.mean(axis=1)
        return per_segment.sum(axis=1) / self.total

    def is_valid(self, breakpoints) -> bool:
        bps = np.asarray(breakpoints, dtype=np.int64)
        return (bps.size == self.segments - 1 and bool(np.all(np.diff(bps) > 0))
                and (bps.size == 0 or (bps[0] > self.lo and bps[-1] <= self.hi)))

    def model(self, evaluation: Evaluation) -> PwlModel:
        """The golden model of an evaluated breakpoint set, with its declared widths."""
        from approxgen.fixedpoint import signed_bits

        edges = (self.lo, *evaluation.breakpoints, self.hi + 1)
        fits = [self._unweighted(a, b - 1) if f is FREE else f
                for f, a, b in zip(evaluation.segments, edges, edges[1:])]
        slopes = tuple(f.slope for f in fits)
        intercepts = tuple(f.intercept for f in fits)
        spec = self.spec
        slope_bits = (spec.slope_format.bits if spec.slope_format
                      else signed_bits(min(slopes), max(slopes)))
        intercept_bits = (spec.intercept_format.bits if spec.intercept_format
                          else signed_bits(min(intercepts), max(intercepts)))
        model = PwlModel(spec.input, spec.output, evaluation.breakpoints, slopes, intercepts,
                         self.arith.shift, self.arith.intercept_shift, slope_bits, intercept_bits)
        model.check()
        return model


def _global_slopes(arith, targets: np.ndarray, n_codes: int) -> np.ndarray | None:
    """The slope set shared by every segment, or None when it would be too large."""
    if arith.slope_bounds is not None:
        lo, hi = arith.slope_bounds
    elif n_codes > 1:
        out = arith.output
        rises = np.diff(np.clip(targets, out.min_code - 0.5, out.max_code + 0.5))
        lo = int(np.floor(rises.min() * (1 << arith.shift))) - SLOPE_PAD
        hi = int(np.ceil(rises.max() * (1 << arith.shift))) + SLOPE_PAD
    else:
        return None
    if (hi - lo + 1) * n_codes > GLOBAL_SLOPE_ELEMENTS:
        return None
    return np.arange(lo, hi + 1, dtype=np.int64)


BATCH_ELEMENTS = 1 << 20  # codes (summed over rows) of one numpy pass of the batched max solve
ROUND_SLOPES = 4  # slopes per segment scored exactly in the first round of the batched max
# solve (lowest bound first); the next round scores every slope still in the running
SLOPE_CAP = 1 << 16  # a segment with more candidate slopes than this: the segment solver
MARGIN = 1e-9  # float bounds prune only beyond this (relative and absolute)


def batched_max_costs(problem: PwlProblem, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
    """The optimal max error ``min_(k, m) max |y - t|`` of each segment ``firsts[i]..lasts[i]``
    over the slopes :meth:`PwlProblem.segment` considers (the shared set, else the format's),
    every segment at once; equal to :meth:`PwlProblem.segment`'s cost bit for bit where that is
    optimal (the same errors ``|y - t|``, integer outputs minus float targets).

    Floats only propose: the continuous minimax slope (golden section on the residual spread)
    gives a first integer slope, whose exact cost ``U`` (:func:`_slope_costs`) bounds the
    optimum (a segment at the rounding floor is done). Within ``U`` a code whose target lies
    more than ``U`` below the top of the output range has an unsaturated output, at most
    ``t + U``, and one more than ``U`` above the bottom at least ``t - U``; with
    ``d = k q / 2^s - t`` that needs ``max_up d - min_down d < 2 U + 1``, convex in ``k``, so
    the slopes that may do as well form an interval: its ends by binary search from the first
    slope, within the limits one pair of codes sets. Those slopes are scored exactly in two
    rounds, the lowest bounds first, each lowering ``U`` and pruning. A segment whose slopes
    nothing bounds (no slope set, saturation on a whole side) goes to the segment solver."""
    arith, out = problem.arith, problem.arith.output
    s = arith.shift
    lo_c, hi_c = out.min_code, out.max_code
    widths = lasts - firsts + 1
    n = firsts.size
    if problem.slopes is not None:
        k_min, k_max = int(problem.slopes[0]), int(problem.slopes[-1])
    elif arith.slope_bounds is not None:
        k_min, k_max = arith.slope_bounds
    else:
        k_min, k_max = None, None
    starts, q, t = _flatten(problem, firsts, widths)
    seg = np.repeat(np.arange(n), widths)
    # a first slope: the continuous minimax slope of the targets (clipped to what saturation
    # reaches), by golden section between the segment's flattest and steepest rises
    scale = float(1 << s)
    aim = np.clip(t, lo_c - 0.5, hi_c + 0.5) * scale
    x = (q - q[starts][seg]).astype(np.float64)
    rise = np.append(np.diff(aim), 0.0)
    inner = np.ones(rise.size, dtype=bool)
    inner[starts + widths - 1] = False  # a segment's last code rises into the next segment
    single = widths == 1
    a = np.where(single, 0.0, np.minimum.reduceat(np.where(inner, rise, np.inf), starts))
    b = np.where(single, 0.0, np.maximum.reduceat(np.where(inner, rise, -np.inf), starts))

    def spread(k):
        r = aim - k[seg] * x
        return np.maximum.reduceat(r, starts) - np.minimum.reduceat(r, starts)

    for _ in range(GOLDEN_STEPS):
        c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
        left = spread(c) <= spread(d)
        a, b = np.where(left, a, c), np.where(left, d, b)
    k0 = np.rint((a + b) / 2)
    if k_min is not None:
        k0 = np.clip(k0, k_min, k_max)
    k0 = k0.astype(np.int64)
    upper = _slope_costs(problem, firsts, widths, k0)
    # No integer output beats the nearest integer to each target: done at that floor.
    floor = np.maximum.reduceat(np.abs(t - np.rint(t)), starts)
    # Within a bound U, a code more than U below the top of the output range has an
    # unsaturated output z <= t + U, so d + C < U + 1 (``up``); one more than U above the
    # bottom has d + C >= -U (``down``); so max_up d - min_down d < 2 U + 1 (the bound below).
    limit = upper * (1 + MARGIN) + MARGIN
    up = (hi_c - t) > limit[seg]
    down = (t - lo_c) > limit[seg]
    pos = np.arange(t.size)
    first_up = np.minimum.reduceat(np.where(up, pos, t.size), starts)
    last_up = np.maximum.reduceat(np.where(up, pos, -1), starts)
    first_down = np.minimum.reduceat(np.where(down, pos, t.size), starts)
    last_down = np.maximum.reduceat(np.where(down, pos, -1), starts)
    some = (last_up >= 0) & (last_down >= 0)

    def bound(k):  # per segment, (max_up d - min_down d - 1) / 2 with d = k q / 2^s - t
        d = (k[seg] * q) / scale - t
        top = np.maximum.reduceat(np.where(up, d, -np.inf), starts)
        low = np.minimum.reduceat(np.where(down, d, np.inf), starts)
        return np.where(some, (top - low - 1.0) / 2.0, -np.inf)

    def side(i, j):  # the slope limit from one pair: k (q_i - q_j) / 2^s - (t_i - t_j) < 2U + 1
        ii, jj = np.clip(i, 0, t.size - 1), np.clip(j, 0, t.size - 1)
        gap = (q[ii] - q[jj]).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return gap, (2.0 * limit + 1.0 + t[ii] - t[jj]) * scale / gap

    gap_hi, lim_hi = side(last_up, first_down)
    gap_lo, lim_lo = side(first_up, last_down)
    has_hi, has_lo = some & (gap_hi > 0), some & (gap_lo < 0)
    cap = float(1 << 40)
    high_k = np.where(has_hi, np.minimum(np.floor(np.nan_to_num(lim_hi, nan=cap)) + 1, cap),
                      cap).astype(np.int64)
    low_k = np.where(has_lo, np.maximum(np.ceil(np.nan_to_num(lim_lo, nan=-cap)) - 1, -cap),
                     -cap).astype(np.int64)
    unbounded = ~(has_hi & has_lo)
    if k_min is not None:
        low_k, high_k = np.maximum(low_k, k_min), np.minimum(high_k, k_max)
        unbounded[:] = False
    done = upper <= floor
    low_k, high_k = np.minimum(low_k, k0), np.maximum(high_k, k0)
    low_k, high_k = np.where(done | unbounded, k0, low_k), np.where(done | unbounded, k0, high_k)
    # binary searches for the interval's ends: bound(k) <= limit holds at k0, and on an interval
    left, right = low_k.copy(), k0.copy()
    while np.any(left < right):
        mid = (left + right) >> 1
        ok = bound(mid) <= limit
        right, left = np.where(ok, mid, right), np.where(ok, left, mid + 1)
    k_lo = left
    left, right = k0.copy(), high_k.copy()
    while np.any(left < right):
        mid = (left + right + 1) >> 1
        ok = bound(mid) <= limit
        left, right = np.where(ok, mid, left), np.where(ok, right, mid - 1)
    k_hi = right
    count = k_hi - k_lo + 1
    fallback = ~done & (unbounded | (count > SLOPE_CAP))
    best = upper.copy()
    for i in np.flatnonzero(fallback):
        best[i] = problem.segment(int(firsts[i]), int(lasts[i])).cost
    # every other slope of each interval, lowest bound first, in rounds
    keep = ~fallback & ~done & (count > 1)
    segs = np.repeat(np.flatnonzero(keep), count[keep])
    if segs.size == 0:
        return best
    offsets = np.arange(segs.size) - np.repeat(np.cumsum(count[keep]) - count[keep], count[keep])
    slopes = k_lo[segs] + offsets
    other = slopes != k0[segs]
    segs, slopes = segs[other], slopes[other]
    lbs = np.maximum(_row_bounds(problem, firsts, widths, (up, down), starts, some, segs,
                                 slopes), floor[segs])
    order = np.lexsort((slopes, lbs, segs))
    segs, slopes, lbs = segs[order], slopes[order], lbs[order]
    def running(best):  # a slope whose bound (with a float margin) reaches the best cannot beat it
        return (lbs < (best * (1 + MARGIN) + MARGIN)[segs]) & (best > floor)[segs]

    alive = running(best)
    per_round = ROUND_SLOPES
    while alive.any():
        idx = np.flatnonzero(alive)
        group_start = np.flatnonzero(np.r_[True, segs[idx][1:] != segs[idx][:-1]])
        rank = np.arange(idx.size) - np.repeat(group_start, np.diff(np.r_[group_start,
                                                                           idx.size]))
        pick = idx[(rank < per_round) | ~some[segs[idx]]]  # no bound: all at once
        per_round = slopes.size  # then every slope still in the running
        costs = _slope_costs(problem, firsts[segs[pick]], widths[segs[pick]], slopes[pick],
                             best[segs[pick]])
        np.minimum.at(best, segs[pick], costs)
        alive[pick] = False
        alive &= running(best)
    return best


def _flatten(problem: PwlProblem, firsts: np.ndarray, widths: np.ndarray):
    """Rows of codes ``firsts[r]..firsts[r] + widths[r] - 1`` end to end: each row's start in
    the flat arrays, the codes and their targets."""
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
    idx = np.arange(int(widths.sum())) - np.repeat(starts - (firsts - problem.lo), widths)
    return starts, problem.codes[idx], problem.targets[idx]


def _chunks(widths: np.ndarray):
    """Consecutive row ranges whose codes sum to about :data:`BATCH_ELEMENTS` at most."""
    ends = np.cumsum(widths)
    if ends.size == 0:
        return []
    marks = np.searchsorted(ends, np.arange(1, int(ends[-1]) // BATCH_ELEMENTS + 1)
                            * BATCH_ELEMENTS, side="right")
    edges = np.unique(np.concatenate([[0], marks, [widths.size]]))
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def _row_bounds(problem, firsts, widths, sides, starts, some, segs, slopes) -> np.ndarray:
    """The bound of :func:`batched_max_costs` for each (segment ``segs[r]``, slope
    ``slopes[r]``); ``sides``: its ``up`` and ``down`` code masks (flat, by segment)."""
    scale = float(1 << problem.arith.shift)
    up, down = sides
    out = np.empty(segs.size)
    for part in _chunks(widths[segs]):
        rs = segs[part]
        w = widths[rs]
        rstarts, q, t = _flatten(problem, firsts[rs], w)
        rep = np.repeat(np.arange(rs.size), w)
        at = np.repeat(starts[rs], w) + (np.arange(int(w.sum())) - np.repeat(rstarts, w))
        d = (slopes[part][rep] * q) / scale - t
        top = np.maximum.reduceat(np.where(up[at], d, -np.inf), rstarts)
        low = np.minimum.reduceat(np.where(down[at], d, np.inf), rstarts)
        out[part] = np.where(some[rs], (top - low - 1.0) / 2.0, -np.inf)
    return out


def _slope_costs(problem: PwlProblem, firsts: np.ndarray, widths: np.ndarray,
                 slopes: np.ndarray, cap: np.ndarray | None = None) -> np.ndarray:
    """Per row, ``min_m max |y - t|`` over the codes ``firsts[r]..`` with slope ``slopes[r]``:
    the intercept bracket and the binary search of
    :func:`~approxgen.fit.segment._best_intercepts_max` (the error is quasi-convex in ``m``),
    every row at once. ``cap`` (per row, a cost the segment already reaches): where it is
    smaller, the result is only some cost above it. With ``d = k q / 2^s - t`` and
    ``C = (m 2^cs + 2^(s-1)) / 2^s``, unsaturated errors lie in ``(d + C - 1, d + C]``, so an
    intercept within ``cap`` has ``C`` in ``[-cap - min d, cap + 1 - max d]``; on rows whose
    targets all lie more than ``cap + 1`` inside the output range (then no output there
    saturates, and outside it saturation only holds an error above ``cap``) the search runs
    on that narrower bracket."""
    arith, out = problem.arith, problem.arith.output
    s, cs = arith.shift, arith.intercept_shift
    lo_c, hi_c = out.min_code, out.max_code
    half = (1 << (s - 1)) if s else 0
    result = np.empty(firsts.size)
    for part in _chunks(widths):
        w = widths[part]
        starts, q, t = _flatten(problem, firsts[part], w)
        rep = np.repeat(np.arange(w.size), w)
        kq = slopes[part][rep] * q
        keep = _extremes(arith, kq, t, starts, rep)
        if keep is not None:
            kq, t, rep = kq[keep], t[keep], rep[keep]
            starts = np.concatenate([[0], np.cumsum(np.bincount(rep, minlength=w.size))[:-1]])
        resid = np.clip(t, lo_c - 1, hi_c + 1) * float(1 << s) - kq.astype(np.float64)
        pad = (1 << s) + 2.0
        m_lo = np.floor((np.minimum.reduceat(resid, starts) - pad) / (1 << cs)).astype(
            np.int64) - 1
        m_hi = np.ceil((np.maximum.reduceat(resid, starts) + pad) / (1 << cs)).astype(
            np.int64) + 1
        if cap is not None:
            u = cap[part]
            d = kq / float(1 << s) - t
            inside = ((np.minimum.reduceat(t, starts) - lo_c > u + 1.0 + 1e-6)
                      & (hi_c - np.maximum.reduceat(t, starts) > u + 1.0 + 1e-6))
            c_lo = (-u - np.minimum.reduceat(d, starts)) * float(1 << s) - half
            c_hi = (u + 1.0 - np.maximum.reduceat(d, starts)) * float(1 << s) - half
            narrow_lo = np.maximum(m_lo, np.floor(c_lo / (1 << cs)) - 1).astype(np.int64)
            narrow_hi = np.minimum(m_hi, np.ceil(c_hi / (1 << cs)) + 1).astype(np.int64)
            m_lo, m_hi = np.where(inside, narrow_lo, m_lo), np.where(inside, narrow_hi, m_hi)
            m_hi = np.maximum(m_hi, m_lo)
        if arith.intercept_bounds is not None:
            m_lo = np.clip(m_lo, *arith.intercept_bounds)
            m_hi = np.clip(m_hi, *arith.intercept_bounds)
        base = kq + half

        def errors(m):
            y = np.minimum(np.maximum((base + (m[rep] << cs)) >> s, lo_c), hi_c)
            return y - t

        left, right = m_lo.copy(), m_hi.copy()  # the smallest m where the upper error dominates
        while np.any(left < right):
            mid = (left + right) >> 1
            err = errors(mid)
            go = np.maximum.reduceat(err, starts) >= np.maximum.reduceat(-err, starts)
            right = np.where(go, mid, right)
            left = np.minimum(np.where(go, left, np.maximum(mid + 1, left)), right)
        best = np.full(w.size, np.inf)
        for delta in (-2, -1, 0):  # only smaller intercepts can tie or win
            err = errors(np.clip(left + delta, m_lo, m_hi))
            best = np.minimum(best, np.maximum.reduceat(np.abs(err), starts))
        result[part] = best
    return result


def _extremes(arith, kq, t, starts, rep) -> np.ndarray | None:
    """The codes of each row that can hold its largest or smallest error for some intercept
    (a mask; None when it would keep nearly all): the rule of
    :func:`~approxgen.fit.segment._extreme_codes` per row (``d = k q / 2^s - t``; a code with
    ``d < max d - 1`` never holds the largest error, nor one with ``d > min d + 1`` the
    smallest), applied only to rows whose targets all lie so far inside the output range that
    no output near the optimum saturates; other rows keep every code."""
    out = arith.output
    d = kq / float(1 << arith.shift) - t
    top, bottom = np.maximum.reduceat(d, starts), np.minimum.reduceat(d, starts)
    step = 2.0 ** max(arith.intercept_shift - arith.shift, 0)
    margin = top - bottom + 3.0 + 3.0 * step
    inside = ((np.minimum.reduceat(t, starts) - out.min_code > margin)
              & (out.max_code - np.maximum.reduceat(t, starts) > margin))
    keep = ((d >= (top - 1.0 - 1e-6)[rep]) | (d <= (bottom + 1.0 + 1e-6)[rep])
            | ~inside[rep])
    return keep if 2 * np.count_nonzero(keep) <= keep.size else None
