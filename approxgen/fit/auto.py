"""``segments: auto``: the fewest segments meeting ``max_error_lsb``, for every form.

:func:`fewest_segments` counts greedy maximal segments within the budget over every breakpoint
position (a problem's reach oracle, :mod:`approxgen.fit.reach`); :func:`least_count` finds the
least count a form's real fit meets, stepping up from a lower bound and bisecting
(:func:`first_count`, which the byte budget also uses).
"""

from __future__ import annotations

from typing import Callable

from approxgen.errors import ApproxgenError


def fewest_segments(problem, bound: float) -> int | None:
    """The fewest segments whose optimal integer fits all stay within ``bound`` (max error, LSB),
    over every breakpoint position; None when the problem has no reach oracle."""
    if problem.reach is None:
        return None
    starts = problem.reach.cover(bound, problem.n_codes)
    return None if starts is None else len(starts)


def first_count(holds: Callable[[int], bool], n: int, lower: int = 1) -> int | None:
    """The least count in ``lower..n`` for which ``holds``, assuming it keeps holding above
    (counts below ``lower`` are taken as not holding); None when none up to ``n`` does. Steps up
    from ``lower`` by 1, 2, 4, ... (a good bound costs one or two calls), then bisects."""
    if lower > n:
        return None
    lo, hi, step = lower - 1, lower, 1  # holds(lo) failed, or lo is below the bound
    while not holds(hi):
        if hi >= n:
            return None
        lo, hi, step = hi, min(hi + step, n), 2 * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if holds(mid) else (mid, hi)
    return hi


def least_count(attempt: Callable[[int], bool], n: int, budget: float, where: str,
                lower: int = 1) -> int:
    """The least count in ``lower..n`` at which ``attempt`` (a fit at that count meets the
    error budget) holds (:func:`first_count`); an error naming ``where`` when none does."""
    count = first_count(attempt, n, lower)
    if count is None:
        raise ApproxgenError(f"no segment count up to {n} meets max_error_lsb {budget:g}", where)
    return count
