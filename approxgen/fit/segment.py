"""Quantization-aware coefficient solve for one pwl segment.

Given a segment's input codes ``q`` and float targets ``t = f(q S_in) / S_out`` (output code units),
find integers ``(k, m)`` within the pipeline's bounds minimizing the objective of the *integer*
outputs ``y = sat(round_shift(k q + (m << cs), s))`` against ``t``:

* ``max``: ``max |y - t|``;  ``mse``: ``sum (y - t)^2``.

Method: the continuous optimum (minimax line by golden-section search on its convex error, or least
squares) gives a slope; a window of integer slopes around it (every slope the format allows, when
that is few) is scanned in one vectorized pass. For each slope the best intercept is found by a
vectorized binary search, which is exact for ``max`` (the error is quasi-convex in ``m``: ``y`` is
monotone in ``m``) and followed by a local check for ``mse``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.model import pwl_output

EXHAUSTIVE_ELEMENTS = 1 << 18  # scan every allowed slope when (slopes x codes) is below this
MAX_WINDOW = 64


@dataclass(frozen=True)
class SegmentFit:
    slope: int
    intercept: int
    cost: float  # the objective: max |y - t| or sum (y - t)^2
    max_error: float  # max |y - t| in output LSB
    sse: float  # sum (y - t)^2 in LSB^2


def solve_segment(arith: PwlArithmetic, q: np.ndarray, t: np.ndarray, objective: str) -> SegmentFit:
    q = np.asarray(q, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    out = arith.output
    # The line aims at targets clipped to what saturation can reach.
    target = np.clip(t, out.min_code - 0.5, out.max_code + 0.5) * float(1 << arith.shift)
    slopes = _slope_candidates(arith, q, target, objective)
    intercepts = _best_intercepts(arith, q, t, slopes, objective)
    y = pwl_output(slopes[:, None], intercepts[:, None], q[None, :], arith.intercept_shift,
                   arith.shift, out)
    err = y - t[None, :]
    max_err = np.max(np.abs(err), axis=1)
    sse = np.sum(err * err, axis=1)
    primary, secondary = (max_err, sse) if objective == "max" else (sse, max_err)
    best = np.lexsort((secondary, primary))[0]  # ties: secondary objective, then candidate order
    return SegmentFit(int(slopes[best]), int(intercepts[best]), float(primary[best]),
                      float(max_err[best]), float(sse[best]))


def _slope_candidates(arith, q, target, objective) -> np.ndarray:
    n = q.size
    lo, hi = arith.slope_bounds or (None, None)
    if lo is not None and (hi - lo + 1) * n <= EXHAUSTIVE_ELEMENTS:
        return np.arange(lo, hi + 1, dtype=np.int64)
    if n == 1:
        centre = 0.0
    elif objective == "max":
        centre = _minimax_slope(q, target)
    else:
        qc = q - q.mean()
        centre = float(np.dot(qc, target - target.mean()) / np.dot(qc, qc))
    width = n - 1 if n > 1 else 1
    radius = int(min(MAX_WINDOW, max(8, np.ceil(4.0 * (1 << arith.shift) / width))))
    base = int(np.round(centre))
    cands = np.arange(base - radius, base + radius + 1, dtype=np.int64)
    if lo is not None:
        cands = np.unique(np.clip(cands, lo, hi))
    return cands


def _minimax_slope(q, target) -> float:
    """Slope of the continuous minimax line: minimizes the convex ``max(r) - min(r)``."""
    x = (q - q[0]).astype(np.float64)
    diffs = np.diff(target) / np.diff(x)
    a, b = float(diffs.min()), float(diffs.max())
    spread = lambda k: np.ptp(target - k * x)  # noqa: E731
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    c, d = b - golden * (b - a), a + golden * (b - a)
    fc, fd = spread(c), spread(d)
    for _ in range(80):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - golden * (b - a)
            fc = spread(c)
        else:
            a, c, fc = c, d, fd
            d = a + golden * (b - a)
            fd = spread(d)
    return (a + b) / 2.0


def _best_intercepts(arith, q, t, slopes, objective) -> np.ndarray:
    """For each slope the best intercept: binary search on a monotone predicate, then a local
    check of the neighbours (exact for ``max``, a polish for ``mse``)."""
    s, cs, out = arith.shift, arith.intercept_shift, arith.output
    k = slopes[:, None]
    qq = q[None, :]

    def outputs(m):
        return pwl_output(k, m[:, None], qq, cs, s, out)

    def cost(m):
        err = outputs(m) - t[None, :]
        return np.max(np.abs(err), axis=1) if objective == "max" else np.sum(err * err, axis=1)

    # A bracket [lo, hi] where outputs go from below every target to above every target.
    tc = np.clip(t, out.min_code - 1, out.max_code + 1) * float(1 << s)
    resid = tc[None, :] - (slopes[:, None] * q[None, :]).astype(np.float64)
    span = (1 << s) + 2.0
    lo = np.floor((resid.min(axis=1) - span) / (1 << cs)).astype(np.int64) - 1
    hi = np.ceil((resid.max(axis=1) + span) / (1 << cs)).astype(np.int64) + 1
    if arith.intercept_bounds is not None:
        mlo, mhi = arith.intercept_bounds
        lo, hi = np.clip(lo, mlo, mhi), np.clip(hi, mlo, mhi)

    def rising(m):
        """True where moving m up no longer helps (monotone in m)."""
        if objective == "max":
            err = outputs(m) - t[None, :]
            return err.max(axis=1) >= (-err).max(axis=1)
        return cost(np.minimum(m + 1, hi)) >= cost(m)

    # smallest m in [lo, hi] with rising(m) (hi if none)
    left, right = lo.copy(), hi.copy()
    while np.any(left < right):
        mid = (left + right) >> 1
        go = rising(mid)
        right = np.where(go, mid, right)
        left = np.where(go, left, np.maximum(mid + 1, left))
        left = np.minimum(left, right)
    best, best_cost = left, cost(left)
    for delta in (-2, -1, 1, 2):
        cand = np.clip(left + delta, lo, hi)
        c = cost(cand)
        better = c < best_cost
        best, best_cost = np.where(better, cand, best), np.where(better, c, best_cost)
    return best
