"""Exact integer least squares for many pwl segments at once (closed form, no event sweep).

For a slope ``k`` write the intercept's contribution ``m << cs = 2^s M + v 2^cs`` with
``0 <= v < P = 2^(s - cs)``. Then every unsaturated output is
``y_i = M + c_i + [v >= p_i]`` with ``c_i = (k q_i + 2^(s-1)) >> s`` and the step
``p_i = ceil((2^s - r_i) / 2^cs)`` set by the remainder ``r_i`` of that shift. Sorting the ``p_i``
lists the at most ``n + 1`` distinct output patterns over ``v``; for each, the SSE is a convex
quadratic in the integer ``M`` (prefix sums of the sorted residuals give its coefficients), whose
best integer is next to ``mean / n``. So one sort per (segment, slope) gives the exact best
intercept, for every segment of a batch and every candidate slope in one numpy pass.

Slopes: the SSE of any integer line with slope ``k`` is at least
``(sqrt(SSE_ls + n var(q) (k/2^s - beta)^2) - sqrt(n)/2)^2`` (``beta``, ``SSE_ls``: the continuous
least-squares line; the rounding moves the outputs by less than one LSB, which shortens the
residual vector's component off the constants by at most ``sqrt(n)/2``). The slope of the
continuous fit gives an achievable SSE; every slope whose bound stays within it is scanned, so the
result is the exact optimum over all integer ``(k, m)`` - provided no output saturates. Where a
target lies within ``sqrt(best SSE)`` of the output range's ends a saturated output might do
better: unless the result already equals the correctly rounded floor (nothing does better), those
segments are reported as not ``proven`` and left to the general solver. When the bound admits more
than :data:`MAX_SLOPES` slopes (errors of many LSB, where rounding hardly matters), only the
nearest are scanned: the optimum among those, not a proven one (kept where no output can
saturate: the general solver is no better placed there; where one can, a saturated line may do
much better, so the general solver decides).
"""

from __future__ import annotations

import numpy as np

from approxgen.model import pwl_output

CHUNK_ELEMENTS = 1 << 21  # (segments x slopes x codes) per numpy pass
MAX_SLOPES = 65  # slopes scanned per segment at most (more only when errors are many LSB)


def applies(arith) -> bool:
    """The closed form needs a rounding shift wider than the intercept's: ``cs < s``."""
    return arith.intercept_shift < arith.shift


def solve_batch(arith, q: np.ndarray, t: np.ndarray, weights: np.ndarray | None = None,
                _optimal: bool = False):
    """Best integer ``(k, m)`` by SSE for each row of ``q`` (J x w codes) and ``t`` (targets in
    output LSB, within the output range). Returns ``slope, intercept, sse, max_error, proven``
    arrays of length J; ``sse`` and ``max_error`` are measured on the golden pipeline.

    ``weights`` (J x w, non-negative, a positive sum per row): the SSE is ``sum w (y - t)^2``
    (every bound above holds with ``n`` the weight sum and weighted means and variances);
    ``max_error`` is then over the codes of positive weight.

    ``_optimal``: also return which rows are the optimum over every integer ``(k, m)``, proven
    (not capped: see the module docstring), for :func:`piece_bounds`."""
    q = np.asarray(q, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    wt = np.ones(q.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    rows, cols = q.shape
    w = wt.sum(axis=1)  # the weight of each row (its code count when unweighted)
    s = arith.shift
    qc = q - (wt * q).sum(axis=1, keepdims=True) / w[:, None]
    var_q = np.sum(wt * qc * qc, axis=1) / w
    tc = t - (wt * t).sum(axis=1, keepdims=True) / w[:, None]
    beta = np.divide(np.sum(wt * qc * tc, axis=1), w * var_q, out=np.zeros(rows),
                     where=var_q > 0)
    sse_ls = np.sum(wt * (tc - beta[:, None] * qc) ** 2, axis=1)
    centre = _clip_slopes(arith, np.round(beta * (1 << s)).astype(np.int64))
    unit = None if weights is None else wt  # None: every weight 1 (a faster pass)
    ub, _ = _best_for_slopes(arith, q, t, centre[:, None], unit)
    ub = np.maximum(ub[:, 0], 0.0)  # (rounding of the prefix sums)
    usable = np.isfinite(ub)  # else no intercept in bounds at the centre: the general solver
    ub = np.where(usable, ub, 0.0)
    # every slope whose lower bound stays within the centre's SSE
    room = np.maximum((np.sqrt(ub) + np.sqrt(w) / 2.0) ** 2 - sse_ls, 0.0)
    radius = np.divide(np.sqrt(room), np.sqrt(w * var_q), out=np.zeros(rows), where=var_q > 0)
    radius = radius * (1 << s) * (1 + 1e-9) + 1e-9
    first = np.ceil(beta * (1 << s) - radius).astype(np.int64)
    last = np.floor(beta * (1 << s) + radius).astype(np.int64)
    if arith.slope_bounds is not None:
        first = np.maximum(first, arith.slope_bounds[0])
        last = np.minimum(last, arith.slope_bounds[1])
    last = np.maximum(last, first)
    # Errors of many LSB make the bound loose while rounding hardly matters: scan the
    # MAX_SLOPES slopes nearest the continuous fit only (optimal among those, not proven).
    excess = np.maximum(last - first + 1 - MAX_SLOPES, 0)
    middle = np.clip(np.round(beta * (1 << s)).astype(np.int64), first, last)
    first = np.where(excess > 0, np.clip(middle - MAX_SLOPES // 2, first, last), first)
    last = np.where(excess > 0, np.minimum(first + MAX_SLOPES - 1, last), last)
    slope = np.empty(rows, dtype=np.int64)
    intercept = np.empty(rows, dtype=np.int64)
    span = last - first + 1
    order = np.argsort(span, kind="stable")  # rows of similar slope counts share a pass
    start = 0
    while start < rows:
        count = int(span[order[start]])
        take = max(1, CHUNK_ELEMENTS // max(1, cols * count))
        stop = min(rows, start + take)
        while stop > start + 1 and int(span[order[stop - 1]]) * (stop - start) * cols \
                > CHUNK_ELEMENTS:
            stop -= 1
        part = order[start:stop]
        width = int(span[part].max())
        ks = first[part, None] + np.arange(width)[None, :]
        sse, m = _best_for_slopes(arith, q[part], t[part], ks,
                                  None if unit is None else unit[part])
        sse = np.where(ks <= last[part, None], sse, np.inf)
        low = sse.min(axis=1, keepdims=True)  # ties (to float noise): the lowest slope
        pick = np.argmax(sse <= low * (1 + 1e-12) + 1e-12, axis=1)
        slope[part] = ks[np.arange(part.size), pick]
        intercept[part] = m[np.arange(part.size), pick]
        start = stop
    y = pwl_output(slope[:, None], intercept[:, None], q, arith.intercept_shift, s, arith.output)
    err = y - t
    sse = np.sum(wt * err * err, axis=1)
    out = arith.output
    seen = wt > 0
    room = np.minimum(t - out.min_code, out.max_code - t)
    # a saturated output at a code costs at least its weight times its room squared
    saturating = np.where(seen, wt * room * room, np.inf).min(axis=1)
    rounded = np.clip(np.floor(t + 0.5), out.min_code, out.max_code) - t
    floor = np.sum(wt * rounded * rounded, axis=1)  # no integer outputs do better
    optimal = usable & ((saturating > sse * (1 + 1e-9) + 1e-9) | (sse <= floor + 1e-9))
    if arith.intercept_bounds is not None:  # one code: slope 0 may not reach it; others might
        optimal &= (var_q > 0) | (sse <= floor + 1e-9)
    optimal &= (excess == 0) | (sse <= floor + 1e-9)
    proven = optimal | (usable & (excess > 0))  # capped: the general solver would not do better
    top = np.max(np.where(seen, np.abs(err), 0.0), axis=1)
    return (slope, intercept, sse, top, proven, optimal) if _optimal else \
        (slope, intercept, sse, top, proven)


def _clip_slopes(arith, k: np.ndarray) -> np.ndarray:
    if arith.slope_bounds is None:
        return k
    return np.clip(k, *arith.slope_bounds)


def _best_for_slopes(arith, q: np.ndarray, t: np.ndarray, ks: np.ndarray, wt):
    """Weighted SSE (unsaturated arithmetic) and the lowest best intercept for each slope of
    ``ks`` (J x L) on the rows of ``q``, ``t``, weights ``wt`` (J x w; None: every weight 1)."""
    if wt is None and arith.intercept_bounds is None:
        return _best_for_slopes_plain(arith, q, t, ks)
    s, cs = arith.shift, arith.intercept_shift
    period = 1 << (s - cs)
    u = ks[:, :, None] * q[:, None, :] + (1 << (s - 1))
    c0 = u >> s
    p = -((-((1 << s) - (u & ((1 << s) - 1)))) >> cs)  # ceil((2^s - r) / 2^cs), in 1..P
    d = t[:, None, :] - c0
    # a stable sort of small integers is a radix sort in numpy: much faster than of int64
    narrow = np.int16 if period < (1 << 15) else np.int64
    order = np.argsort(p.astype(narrow), axis=2, kind="stable")
    ps = np.take_along_axis(p, order, 2)
    zero = np.zeros(ps.shape[:2] + (1,))
    if wt is None:
        n = float(q.shape[1])
        offset = np.floor(d.sum(axis=2, keepdims=True) / n)  # keep the sums small: M = offset + M'
        d = d - offset
        j = np.arange(q.shape[1] + 1, dtype=np.float64)  # weight stepped after j steps
        cum = np.concatenate([zero, np.cumsum(np.take_along_axis(d, order, 2), axis=2)], axis=2)
        s1 = d.sum(axis=2, keepdims=True) - j  # sum of (t - y) with M' = 0
        s2 = np.sum(d * d, axis=2, keepdims=True) - 2.0 * cum + j
    else:
        n = wt.sum(axis=1)[:, None, None]  # the total weight
        wt = wt[:, None, :]
        offset = np.floor(np.sum(wt * d, axis=2, keepdims=True) / n)
        d = d - offset
        ws = np.take_along_axis(np.broadcast_to(wt, d.shape), order, 2)
        wd = ws * np.take_along_axis(d, order, 2)
        j = np.concatenate([zero, np.cumsum(ws, axis=2)], axis=2)
        cum = np.concatenate([zero, np.cumsum(wd, axis=2)], axis=2)
        s1 = np.sum(wt * d, axis=2, keepdims=True) - j
        s2 = np.sum(wt * d * d, axis=2, keepdims=True) - 2.0 * cum + j
    v = np.concatenate([np.zeros(ps.shape[:2] + (1,), dtype=np.int64), ps], axis=2)
    nxt = np.concatenate([ps, np.full(ps.shape[:2] + (1,), period, dtype=np.int64)], axis=2)
    valid = (v < period) & (v != nxt)  # a distinct output pattern for some v in [0, P)
    mm = np.floor(s1 / n)
    best_sse = np.full(s1.shape, np.inf)
    best_m = np.zeros(s1.shape, dtype=np.int64)
    for step in (0.0, 1.0):
        big_m = mm + step
        sse = s2 - 2.0 * big_m * s1 + n * big_m * big_m
        m = (big_m + offset).astype(np.int64) * period + v
        if arith.intercept_bounds is not None:
            lo, hi = arith.intercept_bounds
            sse = np.where((m >= lo) & (m <= hi), sse, np.inf)
        better = (sse < best_sse) | ((sse == best_sse) & (m < best_m))
        best_sse, best_m = np.where(better, sse, best_sse), np.where(better, m, best_m)
    if arith.intercept_bounds is not None:  # a clipped M: the bound itself, when in range
        lo, hi = arith.intercept_bounds
        for big in (-((v - lo) // period), (hi - v) // period):  # ceil, floor of (bound - v) / P
            m = big * period + v
            big_m = big - offset
            sse = s2 - 2.0 * big_m * s1 + n * big_m * big_m
            sse = np.where((m >= lo) & (m <= hi), sse, np.inf)
            better = (sse < best_sse) | ((sse == best_sse) & (m < best_m))
            best_sse, best_m = np.where(better, sse, best_sse), np.where(better, m, best_m)
    best_sse = np.where(valid, best_sse, np.inf)
    key = np.where(np.isfinite(best_sse), best_sse, np.inf)
    low = key.min(axis=2, keepdims=True)
    tied = key <= low
    m_pick = np.where(tied, best_m, np.iinfo(np.int64).max).min(axis=2)
    return low[:, :, 0], m_pick


def _best_for_slopes_plain(arith, q: np.ndarray, t: np.ndarray, ks: np.ndarray):
    """:func:`_best_for_slopes` unweighted with unbounded intercepts, in fewer passes: per output
    pattern the best ``M`` is the integer nearest ``mean`` (the lower one of two as near)."""
    s, cs = arith.shift, arith.intercept_shift
    period = 1 << (s - cs)
    n = q.shape[1]
    u = ks[:, :, None] * q[:, None, :] + (1 << (s - 1))
    p = ((1 << s) + (1 << cs) - 1 - (u & ((1 << s) - 1))) >> cs  # ceil((2^s - r) / 2^cs)
    d = t[:, None, :] - (u >> s)
    total = d.sum(axis=2, keepdims=True)
    offset = np.floor(total / n)  # keep the sums small: M = offset + M'
    d -= offset
    total -= offset * n
    narrow = np.int16 if period < (1 << 15) else np.int64
    order = np.argsort(p.astype(narrow), axis=2, kind="stable")
    ps = np.take_along_axis(p, order, 2)
    cum = np.zeros(d.shape[:2] + (n + 1,))
    np.cumsum(np.take_along_axis(d, order, 2), axis=2, out=cum[:, :, 1:])
    j = np.arange(n + 1, dtype=np.float64)  # codes stepped up in pattern j
    s1 = total - j  # sum of (t - y) with M' = 0
    big_m = np.ceil(s1 / n - 0.5)
    sse = np.sum(d * d, axis=2, keepdims=True) - 2.0 * cum + j + big_m * (n * big_m - 2.0 * s1)
    valid = np.ones(sse.shape, dtype=bool)  # a distinct output pattern for some v in [0, P)
    valid[:, :, 1:] = ps < period
    valid[:, :, 1:n] &= ps[:, :, :-1] != ps[:, :, 1:]
    sse = np.where(valid, sse, np.inf)
    v = np.concatenate([np.zeros(ps.shape[:2] + (1,), dtype=np.int64), ps], axis=2)
    m = (big_m + offset).astype(np.int64) * period + v
    low = sse.min(axis=2, keepdims=True)
    m_pick = np.where(sse <= low, m, np.iinfo(np.int64).max).min(axis=2)
    return low[:, :, 0], m_pick


def lower_bounds(arith, codes: np.ndarray, t: np.ndarray, cuts: np.ndarray,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """A lower bound on the least SSE of every segment ``cuts[a]..cuts[b] - 1`` (a matrix,
    ``inf`` where ``a >= b``), from prefix sums.  With ``weights``, of the weighted SSE: every
    sum below is weighted and ``n`` is the weight.

    An integer output is at least its target's distance to the nearest integer away (the
    correctly rounded floor). Unsaturated outputs on any set of ``n`` codes obey the slope bound
    of the module docstring with ``k`` free: ``(sqrt(SSE_ls) - sqrt(n)/2)^2``. A saturated output
    costs at least the squared distance ``room^2`` of its target to the range's end. So, with
    ``far`` = the codes whose room is at least ``r`` (and, weighted, whose weight is at least
    ``h``): either a far code saturates (``>= h r^2``) or every far code is unsaturated (the bound
    over them, a subset of the codes). The bound is the largest over a few ``r`` (and ``h``),
    and at least the floor.
    """
    out = arith.output
    wt = np.ones(codes.size) if weights is None else np.asarray(weights, dtype=np.float64)
    x = (codes - codes[0]).astype(np.float64)
    floor_err = t - np.clip(np.floor(t + 0.5), out.min_code, out.max_code)
    room = np.minimum(t - out.min_code, out.max_code - t)
    offsets = cuts - codes[0]
    tc = t - np.sum(wt * t) / max(float(wt.sum()), 1e-300)
    g = cuts.size

    def span(v):
        """Sums of ``v`` over every segment (a g x g matrix)."""
        c = np.concatenate([[0.0], np.cumsum(v)])[offsets]
        return c[None, :] - c[:, None]

    best = span(wt * floor_err * floor_err)
    for r, h in ((r, h) for r in _powers_of_4(0.5, room.max(initial=0.0))
                 for h in _powers_of_4(wt[wt > 0].min(initial=1.0), wt.max(initial=0.0))):
        far = (room >= r) * (wt >= h) * wt
        n, sq, sqq, st, stt, sqt = (span(v * far) for v in (np.ones_like(x), x, x * x, tc,
                                                           tc * tc, x * tc))
        with np.errstate(all="ignore"):
            cqq = sqq - sq * sq / n
            cqt = sqt - sq * st / n
            sse = stt - st * st / n - np.where(cqq > 0, cqt * cqt / cqq, 0.0)
            line = np.maximum(np.sqrt(np.maximum(sse, 0.0)) - np.sqrt(n) / 2.0, 0.0) ** 2
        best = np.maximum(best, np.where(n > 0, np.minimum(h * r * r, line), 0.0))
    best = np.maximum(best, _saturated_ends(arith, codes, t, offsets, wt, floor_err))
    best = best * (1 - 1e-9) - 1e-9  # float sums: stay below the true bound
    upper = np.triu(np.ones((g, g), dtype=bool), 1)
    return np.where(upper, np.maximum(best, 0.0), np.inf)


POSITIONS = 4096  # :func:`_saturated_ends` splits segments at every code up to this many


def _saturated_ends(arith, codes, t, offsets, wt, floor_err) -> np.ndarray:
    """A lower bound on the least SSE of every segment ``offsets[a]..offsets[b] - 1`` (code
    indices; a g x g matrix, meaningful above the diagonal), saturation included.

    Outputs are monotone in the code (rising for ``k >= 0``), so the codes saturating low form a
    prefix and those saturating high a suffix (the reverse for ``k < 0``). A saturated code costs
    exactly ``w (t - L)^2`` (``w (H - t)^2``); the unsaturated rest lies on one integer line and
    costs at least ``U``, the larger of its correctly rounded floor and the slope bound
    ``(sqrt(SSE_ls) - sqrt(n)/2)^2``. So the SSE is at least the least of: ``U`` of the whole;
    over every split ``j``, a saturated prefix plus ``U`` of the rest, or ``U`` of a prefix plus a
    saturated rest (both ends, each way up); and, when both ends saturate, the first and last
    codes' saturation costs plus the floor between. Splits run over every code (or, past
    :data:`POSITIONS` codes, a grid holding the cuts: each split then takes the cheaper sides of
    the grid cell it falls in)."""
    out = arith.output
    n_codes = codes.size
    tt = np.clip(t, out.min_code, out.max_code)
    x = (codes - codes[0]).astype(np.float64)
    tc = t - np.sum(wt * t) / max(float(wt.sum()), 1e-300)

    def cum(v):
        return np.concatenate([[0.0], np.cumsum(v)])

    c_lo, c_hi = cum(wt * (tt - out.min_code) ** 2), cum(wt * (out.max_code - tt) ** 2)
    c_fl = cum(wt * floor_err * floor_err)
    moments = [cum(wt * v) for v in (np.ones_like(x), x, x * x, tc, tc * tc, x * tc)]

    def unsat(i, j):
        """``U`` of the codes ``i..j - 1`` (broadcast index arrays; 0 where ``j <= i``)."""
        n, sq, sqq, st, stt, sqt = (c[j] - c[i] for c in moments)
        with np.errstate(all="ignore"):
            cqq = sqq - sq * sq / n
            cqt = sqt - sq * st / n
            sse = stt - st * st / n - np.where(cqq > 0, cqt * cqt / cqq, 0.0)
            line = np.maximum(np.sqrt(np.maximum(sse, 0.0)) - np.sqrt(n) / 2.0, 0.0) ** 2
        return np.where(j > i, np.maximum(c_fl[j] - c_fl[i], np.where(n > 0, line, 0.0)), 0.0)

    full = n_codes + 1 <= POSITIONS
    pos = (np.arange(n_codes + 1) if full else
           np.unique(np.concatenate([np.linspace(0, n_codes, POSITIONS).astype(np.int64),
                                     offsets])))
    nxt = pos if full else np.append(pos[1:], pos[-1])  # where a split's unsaturated side starts
    prv = pos if full else np.insert(pos[:-1], 0, pos[0])  # where it ends
    at = np.searchsorted(pos, offsets)  # each cut's place among the positions
    oa, ob = offsets[:, None], offsets[None, :]
    p = pos[:, None]
    # a saturated prefix [oa, j), the rest unsaturated: min over j in [oa, ob] (rows: j, cols: b)
    rest = unsat(np.minimum(nxt[:, None], ob), ob)
    prefix = []
    for c in (c_lo, c_hi):
        v = np.where(p <= ob, c[pos][:, None] + rest, np.inf)
        tail_min = np.minimum.accumulate(v[::-1], axis=0)[::-1]
        prefix.append(tail_min[at, :] - c[offsets][:, None])
    # unsaturated [oa, j), a saturated rest [j, ob): min over j (rows: a, cols: j)
    head = unsat(oa, np.maximum(prv[None, :], oa))
    suffix = []
    for c in (c_lo, c_hi):
        v = np.where(pos[None, :] >= oa, head - c[pos][None, :], np.inf)
        head_min = np.minimum.accumulate(v, axis=1)
        suffix.append(head_min[:, at] + c[offsets][None, :])
    # both ends saturated: the first and the last code, the floor between
    first, last = np.minimum(oa, n_codes - 1), np.maximum(ob - 1, 0)
    between = np.where(ob - oa >= 2, c_fl[np.maximum(ob - 1, oa)] - c_fl[np.minimum(oa + 1, ob)],
                       np.inf)
    lo_cost, hi_cost = wt * (tt - out.min_code) ** 2, wt * (out.max_code - tt) ** 2
    both = np.minimum(lo_cost[first] + hi_cost[last], hi_cost[first] + lo_cost[last]) + between
    rising = np.minimum(np.minimum(prefix[0], suffix[1]), np.minimum(prefix[1], suffix[0]))
    return np.minimum(rising, both)


def piece_bounds(arith, codes: np.ndarray, t: np.ndarray, cuts: np.ndarray,
                 weights: np.ndarray | None, bounds: np.ndarray, steps: int) -> np.ndarray:
    """Raise the lower bounds ``bounds`` (of every segment ``cuts[a]..cuts[b] - 1``, as from
    :func:`lower_bounds`) with the proven optima of the segments over at most ``steps`` cuts
    (closed form, one batch per width; where saturation might pay or the slope scan is capped,
    the bound stays), then by :func:`superadditive`. Without the closed form (see
    :func:`applies`) the bounds are returned as they are."""
    if not applies(arith):
        return bounds
    bounds = bounds.copy()
    a_idx, b_idx = np.nonzero(np.triu(np.tril(np.ones(bounds.shape, dtype=bool), steps), 1))
    offsets = cuts - codes[0]
    widths = offsets[b_idx] - offsets[a_idx]
    for w in np.unique(widths):
        a, b = a_idx[widths == w], b_idx[widths == w]
        idx = offsets[a][:, None] + np.arange(w)[None, :]
        *_, sse, _, _, optimal = solve_batch(arith, codes[idx], t[idx],
                                            None if weights is None else weights[idx], True)
        bounds[a, b] = np.where(optimal, np.maximum(bounds[a, b], sse * (1 - 1e-12)),
                                bounds[a, b])
    return superadditive(bounds)


def superadditive(cost: np.ndarray) -> np.ndarray:
    """Raise the lower bounds ``cost`` (a matrix over segments ``(a, b)``) to the best sum over
    the two pieces any cut ``a < c < b`` splits a segment into: the best line of the whole
    costs at least the best lines of its pieces (and so on for every piece, shortest first)."""
    cost = cost.copy()
    g = cost.shape[0] - 1
    for length in range(2, g + 1):
        a = np.arange(g + 1 - length)
        c = a[:, None] + np.arange(1, length)[None, :]
        split = (cost[a[:, None], c] + cost[c, (a + length)[:, None]]).max(axis=1)
        cost[a, a + length] = np.maximum(cost[a, a + length], split)
    return cost


def _powers_of_4(first: float, top: float) -> list[float]:
    """``first``, 4 ``first``, 16 ``first``, ... up to ``top`` (at least ``[first]``): the rooms
    and weights :func:`lower_bounds` tries (large errors need large rooms)."""
    values = [float(first)]
    while values[-1] * 4 <= top:
        values.append(values[-1] * 4)
    return values


def useful_segments(cost: np.ndarray, segments: int, limit: float) -> np.ndarray:
    """Which segments ``(a, b)`` belong to some partition of exactly ``segments`` segments whose
    total of ``cost`` (lower bounds) stays within ``limit`` (a boolean matrix)."""
    return cost <= segment_limits(cost, segments, limit)


def segment_limits(cost: np.ndarray, segments: int, limit: float) -> np.ndarray:
    """Per segment ``(a, b)``, the most it may cost within some partition of exactly
    ``segments`` segments whose total stays within ``limit``, the others' ``cost`` (lower
    bounds) counted (a matrix, ``-inf`` where no partition holds it)."""
    g = cost.shape[0] - 1
    fwd = [np.where(np.arange(g + 1) == 0, 0.0, np.inf)]
    bwd = [np.where(np.arange(g + 1) == g, 0.0, np.inf)]
    for _ in range(segments):
        fwd.append((fwd[-1][:, None] + cost).min(axis=0))
        bwd.append((cost + bwd[-1][None, :]).min(axis=1))
    rest = np.full(cost.shape, np.inf)  # the least of the other segments around (a, b)
    for j in range(1, segments + 1):
        rest = np.minimum(rest, fwd[j - 1][:, None] + bwd[segments - j][None, :])
    slack = limit * (1 + 1e-9) + 1e-9
    return np.where(np.isfinite(rest), slack - rest, -np.inf)
