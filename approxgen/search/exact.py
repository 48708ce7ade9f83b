"""``exact``: the optimal integer breakpoints for the objective, deterministically.

Breakpoints are chosen among candidate cut positions: every code of the domain (always for
``max`` with a reach oracle, else when affordable), or an evenly spaced candidate grid (the
``candidates`` option, or wide inputs without a reach oracle; recorded in the artifact's settings
and notes; pso/ga can refine). A segment's cost is always the optimal integer-coefficient
fit of :meth:`PwlProblem.segment`.

* ``max``: the optimum ``E*`` is the smallest bound for which greedy maximal segments cover the
  domain with K segments (a segment's feasibility is monotone in its extent, so greedy uses the
  fewest). When the problem has a reach oracle (:mod:`approxgen.fit.reach`), every code is a
  candidate: the bound doubles from the correctly rounded table's error, is bisected
  geometrically, and then over the errors ``|y - t|`` between, the only values where feasibility
  changes, which makes ``E*`` exact. Otherwise (quadratics, fixed intercept formats without a
  slope format) each reach is a binary search with the segment solver over cut positions, its
  bound bisected and then descended below the best partition's cost.
* ``mse``: dynamic programming over cut positions with every segment's optimal SSE, sparing the
  segments that proven lower bounds rule out, and solving the others only below what they may
  cost in a partition within an achievable total (:func:`_min_sse`).
"""

from __future__ import annotations

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.search import Option, SearchResult, progress_bar, read_options

MSE_GRID_LIMIT = 2048  # the DP keeps several (grid x grid) float matrices: ~0.4 GB at most
OPTIONS = {
    "candidates": Option(0, 0, 1 << 20, "candidate cut positions; 0: the automatic limit"),
    "max_candidates": Option(1024, 1, 1 << 20, "the automatic limit for max without a reach "
                                               "oracle (bisection)"),
    "mse_candidates": Option(96, 1, MSE_GRID_LIMIT, "the automatic limit for mse (DP)"),
}
BISECT_STEPS = 40
BATCH_CODES = 1 << 20  # mse: solve the remaining useful segments at once below this many codes
ROUNDS = 12  # mse: rounds solving only the DP's best partition before the batches
PIECES = 4  # mse: more new segments than this many per cut: bound the long ones by pieces
LEVEL = 0.01  # mse: batches take the segments within this fraction of the gap to the limit


def options(raw: dict, where: str, objective: str) -> dict:
    opts = read_options(raw, OPTIONS, where)
    if objective == "mse" and opts["candidates"] > MSE_GRID_LIMIT:
        raise ApproxgenError(f"expected at most {MSE_GRID_LIMIT} with objective mse (the "
                             f"dynamic programming's memory grows with its square), got "
                             f"{opts['candidates']}", f"{where}.candidates")
    return opts


def search(problem, options_: dict, seed: int, progress: bool = False) -> SearchResult:
    opts = options(options_, f"{problem.spec.source}: search_options", problem.objective)
    every = (problem.objective == "max" and problem.reach is not None and problem.segments > 1
             and opts["candidates"] in (0, problem.n_codes))
    floor = _floor_cover(problem) if problem.objective == "mse" else None
    if floor is not None:  # the correctly rounded floor on every code: nothing does better
        settings = {**opts, "candidate_cuts": problem.n_codes - 1, "grid": "every code"}
        return SearchResult(tuple(floor), settings, [])
    cuts = (problem.lo + np.arange(problem.n_codes + 1, dtype=np.int64) if every
            else candidate_cuts(problem, opts))
    full = cuts.size - 1 == problem.n_codes
    settings = {**opts, "candidate_cuts": int(cuts.size - 2),
                "grid": "every code" if full else f"~{problem.n_codes / (cuts.size - 1):.4g} codes"}
    weighted = ", half of them at the calibration samples' quantiles" if _uneven(problem) else ""
    notes = [] if full else [f"exact on a candidate grid of {cuts.size - 2} breakpoint positions "
                             f"(not every code{weighted}): optimal on that grid only"]
    with progress_bar(0, "exact", progress) as bar:
        if problem.segments == 1:
            parts = [0, cuts.size - 1]
        elif every:
            starts, steps = _minimax_every_code(problem, bar)
            settings["bound_tests"] = steps
            parts = [*(s - problem.lo for s in starts), problem.n_codes]
        elif problem.objective == "max":
            parts, steps = _minimax(problem, cuts, bar)
            settings["bound_tests"] = steps
        else:
            parts = _min_sse(problem, cuts, bar)
    breakpoints = _fill(problem, [int(cuts[i]) for i in parts[1:-1]])
    return SearchResult(tuple(breakpoints), settings, notes)


def _floor_cover(problem) -> list[int] | None:
    """Breakpoints at which every code's output is a nearest integer to its target (the least
    SSE any integer outputs have, so the optimum over every breakpoint position), or None.

    Targets lie within the output range, so each is at most 1/2 from a nearest integer: a fit
    whose max error is at most the correctly rounded table's (at most 1/2) outputs a nearest
    integer at every code. The greedy cover of the reach oracle finds K segments within that
    bound when they exist; their optimal segments are then checked to sum to the floor."""
    reach, k = problem.reach, problem.segments
    if reach is None or k < 2:
        return None
    starts = reach.cover(reach.floor(), k)
    if starts is None:
        return None
    breakpoints = _fill(problem, starts[1:])
    t, out = problem.targets, problem.arith.output
    err = t - np.clip(np.floor(t + 0.5), out.min_code, out.max_code)
    floor = float(np.sum(err * err if problem.weights is None else problem.weights * err * err))
    total = problem.evaluate(breakpoints).objective * problem.total
    return breakpoints if total <= floor * (1 + 1e-12) + 1e-12 else None


def candidate_cuts(problem, opts: dict) -> np.ndarray:
    """Cut positions ``lo = c_0 < ... < c_G = hi + 1``; a segment runs from one cut to the next."""
    n = problem.n_codes
    limit = opts["candidates"] or (opts["max_candidates"] if problem.objective == "max"
                                   else opts["mse_candidates"])
    count = max(min(n, limit), problem.segments)  # segments between consecutive cuts
    if count >= n or not _uneven(problem):
        return _even(problem.lo, n, count)
    # unequal weights: half the positions even over the codes, half at the weights' quantiles
    # (where the calibration samples are, breakpoints can then sit close together)
    cdf = np.cumsum(problem.weights) / problem.total
    half = count // 2
    quantiles = 1 + np.searchsorted(cdf, np.arange(1, count - half) / (count - half))
    return np.unique(np.concatenate([_even(problem.lo, n, half),
                                     problem.lo + np.clip(quantiles, 1, n - 1)]))


def _uneven(problem) -> bool:
    """Whether the problem's codes carry unequal weights (all equal: the unweighted grid)."""
    w = problem.weights
    return w is not None and not np.all(w == w[0])


def _even(lo: int, n: int, count: int) -> np.ndarray:
    """``count + 1`` cut positions evenly over the ``n`` codes from ``lo`` (both ends included)."""
    return np.unique(lo + np.floor(np.arange(count + 1) * n / count).astype(np.int64))


def _minimax(problem, cuts: np.ndarray, bar) -> tuple[list[int], int]:
    reach = _solver_reach(problem, cuts)
    last = cuts.size - 1
    greedy = lambda bound: _greedy(reach, last, problem.segments, bound)  # noqa: E731

    def cost(parts):
        return max(problem.segment(int(cuts[a]), int(cuts[b]) - 1).cost
                   for a, b in zip(parts, parts[1:]))

    best = [round(i * last / problem.segments) for i in range(problem.segments + 1)]
    best_cost, low, steps = cost(best), 0.0, 0
    for _ in range(BISECT_STEPS):  # narrow [low, best_cost]; low is infeasible (or 0)
        if best_cost - low <= 1e-9 * max(best_cost, 1.0):
            break
        mid = (low + best_cost) / 2
        parts, steps = greedy(mid), steps + 1
        bar.update()
        if parts is None:
            low = mid
        else:
            best, best_cost = parts, min(best_cost, cost(parts))
    while True:  # descent: is anything strictly better than the best partition found?
        parts, steps = greedy(float(np.nextafter(best_cost, -np.inf))), steps + 1
        bar.update()
        if parts is None:
            return best, steps
        new_cost = cost(parts)
        if new_cost >= best_cost:  # the oracle and the solver disagree: keep what is proven
            return best, steps
        best, best_cost = parts, new_cost


def _greedy(reach, last: int, limit: int, bound: float) -> list[int] | None:
    """Greedy maximal segments within ``bound``: cut indices ``[0, ..., last]``, or None when
    more than ``limit`` segments would be needed."""
    parts = [0]
    while parts[-1] < last and len(parts) <= limit:
        nxt = reach(parts[-1], bound)
        if nxt <= parts[-1]:
            return None
        parts.append(nxt)
    return parts if parts[-1] == last else None


def _minimax_every_code(problem, bar) -> tuple[list[int], int]:
    """The first codes of K segments of least max error over every breakpoint position (see the
    module docstring), and how many bounds were tested."""
    reach, k = problem.reach, problem.segments

    def cover(bound):
        bar.update()
        return reach.cover(bound, k)

    low, steps = reach.floor(), 2
    best = cover(low)
    if best is not None:
        return best, 1
    high = max(2.0 * low, 1.0 / 16)
    while cover(high) is None:
        low, high, steps = high, 2.0 * high, steps + 1
    _, best, tests = reach.smallest_bound(cover, low, high)
    return best, steps + tests - 1


def _solver_reach(problem, cuts: np.ndarray):
    """Reach by binary search over cut positions with the segment solver (monotone cost)."""
    last = cuts.size - 1

    def reach(start: int, bound: float) -> int:
        lo, hi = start, last  # the answer lies in [lo, hi]; lo means "not even one step"
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if problem.segment(int(cuts[start]), int(cuts[mid]) - 1).cost <= bound:
                lo = mid
            else:
                hi = mid - 1
        return lo

    return reach


def _min_sse(problem, cuts: np.ndarray, bar) -> list[int]:
    """K segments of least total SSE: dynamic programming over cut positions.

    With proven lower bounds on every segment's cost (:meth:`PwlProblem.lower_bounds`), the DP
    runs on a matrix holding the exact cost of the segments solved so far and the bounds of the
    others, so its optimum bounds the true one from below; once its best partition holds only
    solved segments, that partition is optimal. The first :data:`ROUNDS` rounds solve the DP's
    best partition (an achievable total, the ``limit``). Then, in batches, the closed-form least
    squares (:meth:`PwlProblem.upper_bounds`: the optimum where it is proven, else a cost it
    reaches) of the segments that can sit in a partition within a level between the DP's bound
    and the limit (:data:`LEVEL` of the way up): few segments where the bounds are tight. Costs
    reached lower the limit. When the DP's best partition needs a segment where saturation might
    beat the closed form, that segment is solved only up to what it may cost in a partition
    within the limit (:func:`~approxgen.fit.mse.segment_limits`): above that, its cost is
    ``inf``, which changes no optimal partition.
    """
    from approxgen.fit import mse

    g, k = cuts.size - 1, problem.segments
    cost = first = problem.lower_bounds(cuts) if k > 1 else None
    if cost is not None:
        solved = np.zeros(cost.shape, dtype=bool)
        tried = np.zeros(cost.shape, dtype=bool)  # closed form known (solved or an upper bound)
        upper = np.full(cost.shape, np.inf)  # costs the segments surely reach
        limit, rounds, pieces = np.inf, 0, False
        while True:
            parts = _partition(cost, k)
            a_idx, b_idx = np.array(parts[:-1]), np.array(parts[1:])
            if solved[a_idx, b_idx].all():
                return parts
            new = ~tried[a_idx, b_idx]
            if rounds < ROUNDS and new.any():  # a few cheap rounds first: each lowers the limit
                a_new, b_new = a_idx[new], b_idx[new]
                upper[a_new, b_new] = _closed_forms(problem, cuts, cost, solved, a_new, b_new,
                                                    bar)
                tried[a_new, b_new] = True
                best = _partition(upper, k)
                limit = min(limit, float(upper[best[:-1], best[1:]].sum()))
                rounds += 1
                continue
            bound = float(cost[a_idx, b_idx].sum())
            level = bound + (limit - bound) * LEVEL
            a_new, b_new = np.nonzero(mse.useful_segments(cost, k, level) & ~solved & ~tried)
            if not pieces and a_new.size > PIECES * g:
                # many: a segment costs at least its pieces (the optima of the segments shorter
                # than the average, where proven)
                pieces = True
                steps = -(-g // k)
                if int(np.minimum(cuts[steps:] - cuts[:-steps], BATCH_CODES).sum()) * steps \
                        <= BATCH_CODES:
                    lower = mse.piece_bounds(problem.arith, problem.codes, problem.targets, cuts,
                                             problem.weights, first, steps)
                    cost = np.where(solved, cost, np.maximum(cost, lower))
                continue
            if a_new.size and int((cuts[b_new] - cuts[a_new]).sum()) > BATCH_CODES \
                    and new.any():
                rounds -= 1  # too many codes at once: another round first
                continue
            if a_new.size:
                upper[a_new, b_new] = _closed_forms(problem, cuts, cost, solved, a_new, b_new,
                                                    bar)
                tried[a_new, b_new] = True
                best = _partition(upper, k)
                limit = min(limit, float(upper[best[:-1], best[1:]].sum()))
                continue
            # every segment within the level is closed-form tried: what saturation might do in
            # those left, each below its cap
            caps = mse.segment_limits(cost, k, limit)
            a_new, b_new = np.nonzero((cost <= caps) & (cost <= mse.segment_limits(cost, k, level))
                                      & ~solved)
            _solve(problem, cuts, cost, solved, a_new, b_new, bar, caps[a_new, b_new])
    bar.reset(total=g * (g + 1) // 2)
    cost = np.full((g + 1, g + 1), np.inf)
    a_idx, b_idx = np.triu_indices(g + 1, 1)
    problem.solve_many(cuts[a_idx], cuts[b_idx] - 1)  # batched: every segment at once
    for a in range(g):
        for b in range(a + 1, g + 1):
            cost[a, b] = problem.segment(int(cuts[a]), int(cuts[b]) - 1).cost
        bar.update(g - a)
    return _partition(cost, k)


def _closed_forms(problem, cuts, cost, solved, a_idx, b_idx, bar) -> np.ndarray:
    """The closed-form least squares of the segments ``cuts[a]..cuts[b] - 1`` in one batch: the
    proven optima replace their bounds; returns the cost each reaches (proven or not)."""
    firsts, lasts = cuts[a_idx], cuts[b_idx] - 1
    reached = problem.upper_bounds(firsts, lasts)
    exact = problem.within(firsts, lasts, -np.inf)  # finite: proven (no search ran)
    known = np.isfinite(exact)
    cost[a_idx[known], b_idx[known]] = exact[known]
    solved[a_idx[known], b_idx[known]] = True
    bar.update(int(known.sum()))
    return reached


def _solve(problem, cuts, cost, solved, a_idx, b_idx, bar, limit=np.inf) -> None:
    """Solve the segments ``cuts[a]..cuts[b] - 1`` exactly; their costs replace the bounds
    (``inf`` for a segment that surely costs more than ``limit``, one or one per segment:
    what it may cost in a partition within an achievable total; no partition of least total
    holds it then)."""
    keep = ~solved[a_idx, b_idx]
    a_idx, b_idx = a_idx[keep], b_idx[keep]
    limit = np.broadcast_to(limit, keep.shape)[keep]
    cost[a_idx, b_idx] = problem.within(cuts[a_idx], cuts[b_idx] - 1, limit)
    solved[a_idx, b_idx] = True
    bar.update(int(a_idx.size))


def _partition(cost: np.ndarray, k: int) -> list[int]:
    """The cut indices ``[0, ..., g]`` of the K segments of least total ``cost``."""
    g = cost.shape[0] - 1
    best = cost[0].copy()  # best[b]: least cost of codes before cut b in the current count
    choice = np.zeros((k + 1, g + 1), dtype=np.int64)
    for seg in range(2, k + 1):
        total = best[:, None] + cost  # previous segments end at a, the new one runs a..b
        choice[seg] = np.argmin(total, axis=0)
        best = total[choice[seg], np.arange(g + 1)]
    parts, end = [g], g
    for seg in range(k, 1, -1):
        end = int(choice[seg, end])
        parts.append(end)
    return [0, *reversed(parts)]


def _fill(problem, breakpoints: list[int]) -> list[int]:
    """Split the longest segments in two until there are K (splitting never costs more)."""
    bps = sorted(breakpoints)
    while len(bps) < problem.segments - 1:
        edges = [problem.lo, *bps, problem.hi + 1]
        widths = np.diff(edges)
        i = int(np.argmax(widths))
        bps.append(edges[i] + int(widths[i]) // 2)
        bps.sort()
    return bps
