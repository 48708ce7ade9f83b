"""A proven lower bound on the max error of any K-segment polynomial, for any breakpoints.

:func:`minimax_lower_bound` answers "how low could the max error go with K segments of degree
``d`` (1: pwl, 2: quadratic) if coefficients were real numbers and breakpoints free?". It is a
bound, not an estimate; each of these steps can only lower it:

* a segment's error is measured on a subset of its codes (every ``stride``-th), and a polynomial
  that meets a bound on all codes meets it on any subset;
* saturation is honoured: ``|sat(p) - g| <= e`` is ``p >= g - e`` unless ``g - e`` is at or below
  the lowest output code (and likewise above), so those constraints are dropped, never added;
* for a trial bound ``e``, greedy maximal segments over the sampled codes need the fewest
  segments (a segment's feasibility is monotone in its extent), so if they need more than K, no
  partition of the codes into K segments meets ``e``. Bisection on ``e`` keeps the largest ``e``
  proven infeasible.

An integer model whose output stays within ``r`` LSB of such a polynomial (pwl: ``r = 1/2``, the
output rounding; quadratic: ``1/2`` plus its inner floor's ``max(d) 2^-s``) has a max error of at
least the bound minus ``r``: integer outputs can round towards the target as well as away.
"""

from __future__ import annotations

import numpy as np

from approxgen.metrics import target

BISECT_STEPS = 24


def _feasible(u: np.ndarray, t: np.ndarray, bound: float, degree: int, lo: float,
              hi: float) -> bool:
    """Whether a degree-``degree`` polynomial ``p(u)`` has ``|sat(p) - t| <= bound`` everywhere."""
    from scipy.optimize import linprog

    if u.size <= degree + 1:
        return True
    upper = t + bound < hi  # p <= t + bound binds only below the top output code
    lower = t - bound > lo
    if not (upper.any() or lower.any()):
        return True
    span = max(float(u.max() - u.min()), 1.0)
    x = (u - u.min()) / span
    basis = np.stack(np.cumprod([np.ones_like(x)] + [x] * degree, axis=0), axis=1)  # x^k
    a_ub = np.vstack([basis[upper], -basis[lower]])
    b_ub = np.concatenate([t[upper] + bound, -(t[lower] - bound)])
    res = linprog(np.zeros(degree + 1), A_ub=a_ub, b_ub=b_ub,
                  bounds=[(None, None)] * (degree + 1), method="highs")
    return res.status == 0


def minimax_lower_bound(spec, segments: int, degree: int, samples: int = 2048) -> float:
    """A lower bound (output LSB) on ``max_error_lsb`` of any ``segments``-segment fit of degree
    ``degree`` to ``spec``'s target over its domain (see the module docstring)."""
    codes = spec.domain_codes()
    stride = max(1, -(-codes.size // samples))
    idx = np.unique(np.append(np.arange(0, codes.size, stride), codes.size - 1))
    u = codes[idx].astype(np.float64)
    t = target(spec, codes[idx]) / spec.output.scale
    out_lo, out_hi = float(spec.output.min_code), float(spec.output.max_code)
    n = u.size

    def count(bound: float) -> int:
        """Greedy maximal segments meeting ``bound``; stops counting past ``segments``."""
        start, used = 0, 0
        while start < n:
            used += 1
            if used > segments:
                return used
            lo, hi = start, n - 1  # the last sample the segment from ``start`` can reach
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if _feasible(u[start:mid + 1], t[start:mid + 1], bound, degree, out_lo, out_hi):
                    lo = mid
                else:
                    hi = mid - 1
            start = lo + 1
        return used

    low, high = 0.0, float(np.ptp(t)) + 1.0
    if count(low) <= segments:
        return 0.0
    for _ in range(BISECT_STEPS):
        mid = (low + high) / 2
        if count(mid) <= segments:
            high = mid
        else:
            low = mid
    return low
