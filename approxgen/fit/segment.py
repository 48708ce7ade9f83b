"""Quantization-aware coefficient solve for one pwl segment.

Given a segment's input codes ``q`` and float targets ``t = f(q S_in) / S_out`` (output code units),
find integers ``(k, m)`` within the pipeline's bounds minimizing the objective of the *integer*
outputs ``y = sat(round_shift(k q + (m << cs), s))`` against ``t``:

* ``max``: ``max |y - t|``;  ``mse``: ``sum (y - t)^2``.

With per-code ``weights`` (a calibration histogram), ``mse`` is ``sum w (y - t)^2`` and ``max``
is ``max |y - t|`` over the codes of positive weight: codes of zero weight are left out of the
solve entirely (they cost nothing whatever the coefficients).

Method: the continuous optimum (minimax line by golden-section search on its convex error, or least
squares) gives a slope; a window of integer slopes around it (every slope the format allows, when
that is few) is scanned in one vectorized pass. For each slope the best intercept is found by a
vectorized binary search for ``max`` (the error is quasi-convex in ``m``: ``y`` is monotone in
``m``) and by an exact sweep over the output-change events for ``mse``.

Where outputs may saturate (targets near the ends of the output range), ``mse`` stays exact with
bounds that hold under saturation: per slope a bound from moments (:func:`_far_bound`) and a
tight one (:func:`sse_floor`), which also gives each slope the intercept window its event sweep
must cover. With ``ub`` (an SSE the caller already reaches, e.g. the closed form's of
:mod:`approxgen.fit.mse`) only what could do as well is searched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.fixedpoint import IntFormat
from approxgen.model import pwl_output

EXHAUSTIVE_ELEMENTS = 1 << 18  # scan every allowed slope when (slopes x codes) is below this
MAX_WINDOW = 64
PRUNE_MIN_SLOPES = 8


@dataclass(frozen=True)
class SegmentFit:
    """One segment's best integer coefficients: ``slope`` and ``intercept`` (as the model stores
    them), the objective's ``cost``, and the ``max_error`` and ``sse`` they reach."""

    slope: int
    intercept: int
    cost: float  # the objective: max |y - t| or sum (y - t)^2 (weighted: see the module doc)
    max_error: float  # max |y - t| in output LSB (over codes of positive weight)
    sse: float  # sum (y - t)^2 in LSB^2 (weighted)


def solve_segment(arith: PwlArithmetic, q: np.ndarray, t: np.ndarray, objective: str,
                  slopes: np.ndarray | None = None,
                  weights: np.ndarray | None = None, ub: float | None = None
                  ) -> SegmentFit | None:
    """Best integer ``(k, m)`` for codes ``q`` and targets ``t``; ``slopes``: the candidate slopes
    (default: every slope the format allows when few, else a window around the continuous fit);
    ``weights``: per code, non-negative, some positive (default: all ones).

    ``ub`` (``mse`` only): an SSE the caller can already reach. Only what could do as well is
    searched: the result is the optimum when that costs at most ``ub``, else a fit costing
    more, or None when no slope can reach it."""
    q = np.asarray(q, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    w = np.ones(q.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if weights is not None:
        keep = w > 0
        q, t, w = q[keep], t[keep], w[keep]
    out = arith.output
    if slopes is None:
        # The line aims at targets clipped to what saturation can reach.
        target = np.clip(t, out.min_code - 0.5, out.max_code + 0.5) * float(1 << arith.shift)
        slopes = _slope_candidates(arith, q, target, objective, w)
    slopes = np.asarray(slopes, dtype=np.int64)
    if ub is not None:
        slopes = _within(arith, q, t, slopes, w, ub)
        if slopes.size == 0:
            return None
    elif slopes.size > PRUNE_MIN_SLOPES:
        slopes = _prune_slopes(arith, q, t, slopes, objective, w)
    intercepts = _best_intercepts(arith, q, t, slopes, objective, w, ub)
    y = pwl_output(slopes[:, None], intercepts[:, None], q[None, :], arith.intercept_shift,
                   arith.shift, out)
    err = y - t[None, :]
    max_err = np.max(np.abs(err), axis=1)
    sse = np.sum(w * err * err, axis=1)
    primary, secondary = (max_err, sse) if objective == "max" else (sse, max_err)
    best = np.lexsort((secondary, primary))[0]  # ties: secondary objective, then candidate order
    return SegmentFit(int(slopes[best]), int(intercepts[best]), float(primary[best]),
                      float(max_err[best]), float(sse[best]))


def _wsum(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum w * values`` over the last axis, by ``np.sum`` (pairwise, the same bits on every CPU;
    a matrix product would run a BLAS kernel chosen per CPU)."""
    return np.sum(values * w, axis=-1)


def _unit(q, w) -> np.ndarray:
    """Weights ``w``, or ones for every code of ``q`` (its last axis)."""
    return np.ones(np.shape(q)[-1]) if w is None else w


def _slope_candidates(arith, q, target, objective, w=None) -> np.ndarray:
    w = _unit(q, w)
    n = q.size
    lo, hi = arith.slope_bounds or (None, None)
    if lo is not None and (hi - lo + 1) * n <= EXHAUSTIVE_ELEMENTS:
        return np.arange(lo, hi + 1, dtype=np.int64)
    if n == 1:
        centre = 0.0
    elif objective == "max":
        centre = _minimax_slope(q, target)
    else:
        qc = q - np.sum(w * q) / np.sum(w)
        tc = target - np.sum(w * target) / np.sum(w)
        spread = _wsum(qc * qc, w)
        centre = float(_wsum(qc * tc, w) / spread) if spread > 0 else 0.0
    width = n - 1 if n > 1 else 1
    radius = int(min(MAX_WINDOW, max(8, np.ceil(4.0 * (1 << arith.shift) / width))))
    base = int(np.round(centre))
    cands = np.arange(base - radius, base + radius + 1, dtype=np.int64)
    if lo is not None:
        cands = np.unique(np.clip(cands, lo, hi))
    return cands


def _prune_slopes(arith, q, t, slopes, objective, w=None) -> np.ndarray:
    """Drop slopes that provably cannot reach the best cost (every tie is kept).

    Without saturation ``y = d + C - r`` with ``d = k q / 2^s - t``, ``C`` fixed by the intercept
    and a rounding ``r`` in ``[0, 1)``. Hence ``max |y - t| >= (ptp(d) - 1) / 2`` and
    ``sqrt(sum (y - t)^2) >= sqrt(n var(d)) - sqrt(n) / 2`` whatever the intercept. A probe of the
    most promising slopes gives an achievable ``ub``; when every target lies further inside the
    output range than any error within ``ub``, a saturated output cannot be optimal either, and the
    slopes whose bound exceeds ``ub`` go. Weighted: ``n`` is the weight, ``var`` weighted, and a
    single error within ``ub`` is at most ``sqrt(ub / min w)``.
    """
    w = _unit(q, w)
    out = arith.output
    d = slopes[:, None] * (q[None, :] / float(1 << arith.shift)) - t[None, :]
    if objective == "max":
        bound = (d.max(axis=1) - d.min(axis=1) - 1.0) / 2.0
    else:
        total = np.sum(w)
        dc = d - _wsum(d, w)[:, None] / total
        bound = total * np.maximum(np.sqrt(_wsum(dc * dc, w) / total) - 0.5, 0.0) ** 2
    probe = slopes[np.argsort(bound, kind="stable")[:3]]
    m = _best_intercepts(arith, q, t, probe, objective, w)
    err = pwl_output(probe[:, None], m[:, None], q[None, :], arith.intercept_shift, arith.shift,
                     out) - t[None, :]
    ub = float(np.min(np.max(np.abs(err), axis=1) if objective == "max"
                      else _wsum(err * err, w)))
    # the largest single error within ub
    reach = ub if objective == "max" else np.sqrt(ub / np.min(w))
    if t.min() - out.min_code <= reach or out.max_code - t.max() <= reach:
        return slopes if objective == "max" else _within(arith, q, t, slopes, w, ub)
    return slopes[bound <= ub * (1 + 1e-9) + 1e-9]


def _within(arith, q, t, slopes, w, ub) -> np.ndarray:
    """The slopes whose SSE could be at most ``ub``, saturation included: a bound from moments
    (:func:`_far_bound`), then the tight one (:func:`sse_floor`) on the survivors."""
    limit = ub * (1 + 1e-9) + 1e-9
    slopes = slopes[_far_bound(arith, q, t, slopes, w) <= limit]
    return slopes[sse_floor(arith, q, t, slopes, w)[0] <= limit]


def _far_bound(arith, q, t, slopes, w) -> np.ndarray:
    """Per slope, a lower bound on the (weighted) SSE with saturation, from moments alone.

    For the codes ``F`` whose target lies at least ``r`` inside the output range: either one of
    them saturates or none does, and then the bound of :func:`_prune_slopes` holds on ``F``,
    whose ``var(d)`` is a quadratic in the slope. Outputs are monotone in ``q`` (rising for
    ``k >= 0``), so when a code saturates low every code on its low side (``k >= 0``; its high
    side for ``k < 0``) saturates too, each costing its distance to the end squared: at least
    the prefix (suffix) sum of those up to the first (last) code of ``F``; likewise high.
    The largest over a few ``r``.
    """
    out = arith.output
    if t.min() < out.min_code or t.max() > out.max_code:
        t = np.clip(t, out.min_code, out.max_code)  # errors only grow against these
    low, high = w * (t - out.min_code) ** 2, w * (out.max_code - t) ** 2
    room = np.minimum(t - out.min_code, out.max_code - t)
    pre_lo, pre_hi = np.cumsum(low), np.cumsum(high)
    suf_lo, suf_hi = np.cumsum(low[::-1])[::-1], np.cumsum(high[::-1])[::-1]
    x = q / float(1 << arith.shift)
    best = np.zeros(slopes.size)
    r = 0.25
    while r <= room.max(initial=0.0):
        far = room >= r
        first, last = np.argmax(far), far.size - 1 - np.argmax(far[::-1])
        cap = np.where(slopes >= 0, min(pre_lo[first], suf_hi[last]),
                       min(suf_lo[last], pre_hi[first]))
        wf = w[far]
        total = wf.sum()
        xf = x[far] - _wsum(x[far], wf) / total
        tf = t[far] - _wsum(t[far], wf) / total
        var = (slopes * slopes * _wsum(xf * xf, wf) - 2.0 * slopes * _wsum(xf * tf, wf)
               + _wsum(tf * tf, wf)) / total
        line = total * np.maximum(np.sqrt(np.maximum(var, 0.0)) - 0.5, 0.0) ** 2
        best = np.maximum(best, np.minimum(line, cap))
        r *= 2.0
    return best * (1 - 1e-9) - 1e-9


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


def _best_intercepts(arith, q, t, slopes, objective, w=None, cap=None) -> np.ndarray:
    """For each slope the best intercept within a bracket that surely holds it (``mse``:
    weighted by ``w``, positive; with ``cap``, only where that SSE is at most ``cap``: other
    slopes get an intercept costing more)."""
    w = _unit(q, w)
    lo, hi = _intercept_bracket(arith, q, t, slopes)
    if objective == "mse" and arith.intercept_shift >= arith.shift:
        return _best_intercepts_mse_linear(arith, q, t, slopes, lo, hi, w, cap)
    if objective == "mse":
        lo, hi, narrowed = _mse_window(arith, q, t, slopes, lo, hi, w)
        best = np.empty(slopes.size, dtype=np.int64)
        chunk = max(1, SWEEP_LIMIT // (q.size * int(np.max((((hi - lo) << arith.intercept_shift)
                                                            >> arith.shift) + 2))))
        idx = np.flatnonzero(narrowed)
        for part in np.array_split(idx, max(1, -(-idx.size // chunk))) if idx.size else []:
            best[part] = _sweep(arith, q, t, slopes[part], lo[part], hi[part], w)  # vectorized
        rest = np.flatnonzero(~narrowed)  # saturation may pay: windows that hold it
        best[rest] = _sweep_windowed(arith, q, t, slopes[rest], lo[rest], hi[rest], w, cap)
        return best
    idx = _extreme_codes(arith, q, t, slopes)
    if idx is not None:
        q, t = q[idx], t[idx]
    return _best_intercepts_max(arith, q, t, slopes, lo, hi)


def _best_intercepts_mse_linear(arith, q, t, slopes, lo, hi, w=None, cap=None) -> np.ndarray:
    """Least-squares intercepts when ``cs >= s``: one intercept step then moves every unsaturated
    output by exactly ``2^(cs - s)``, so the SSE is a convex quadratic in ``m`` and the best
    integer lies next to the continuous optimum; the neighbours are scored on the real pipeline
    (lowest ``m`` among equals, as the event sweep). Slopes whose outputs saturate there are
    left to the exact event sweep."""
    w = _unit(q, w)
    s, cs, out = arith.shift, arith.intercept_shift, arith.output
    wide = IntFormat(63, True, 1.0)  # the same arithmetic without saturation
    base = pwl_output(slopes[:, None], np.zeros((1, 1), dtype=np.int64), q[None, :], cs, s, wide)
    step = float(1 << (cs - s))
    centre = np.floor((_wsum(t[None, :] - base, w) / np.sum(w)) / step).astype(np.int64)
    cands = np.clip(centre[:, None] + np.arange(-2, 4)[None, :], lo[:, None], hi[:, None])
    y = pwl_output(slopes[:, None, None], cands[:, :, None], q[None, None, :], cs, s, out)
    sse = _wsum((y - t[None, None, :]) ** 2, w)
    tied = sse == sse.min(axis=1, keepdims=True)
    best = np.where(tied, cands, np.iinfo(np.int64).max).min(axis=1)
    saturated = np.any((y <= out.min_code) | (y >= out.max_code), axis=(1, 2))
    sat = np.flatnonzero(saturated)  # not a pure quadratic there: the exact sweep decides
    best[sat] = _sweep_windowed(arith, q, t, slopes[sat], lo[sat], hi[sat], w, cap)
    return best


def _extreme_codes(arith, q, t, slopes) -> np.ndarray | None:
    """Per slope, the codes that can hold the largest or the smallest error for some intercept,
    as a (slopes, L) index array (rows padded by repeats); None when that would not pay.

    Unsaturated, ``y - t = d + C - r`` with ``d = k q / 2^s - t``, ``C`` set by the intercept and
    ``r`` in ``[0, 1)``: a code with ``d < max d - 1`` never has the largest error (nor one with
    ``d > min d + 1`` the smallest), so the minimax intercept search sees the same extremes on
    these codes alone. Used only when every target lies so far inside the output range that no
    output near the optimum saturates.
    """
    out = arith.output
    d = slopes[:, None] * (q[None, :] / float(1 << arith.shift)) - t[None, :]
    top, bottom = d.max(axis=1, keepdims=True), d.min(axis=1, keepdims=True)
    step = 2.0 ** max(arith.intercept_shift - arith.shift, 0)  # output move per intercept step
    margin = float(np.max(top - bottom)) + 3.0 + 3.0 * step
    if t.min() - out.min_code <= margin or out.max_code - t.max() <= margin:
        return None
    band = (d >= top - 1.0 - 1e-6) | (d <= bottom + 1.0 + 1e-6)
    counts = band.sum(axis=1)
    width = int(counts.max())
    if 2 * width > q.size:
        return None
    rows, cols = np.nonzero(band)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    idx = np.repeat(cols[starts][:, None], width, axis=1)
    idx[rows, np.arange(rows.size) - starts[rows]] = cols
    return idx


def _intercept_bracket(arith, q, t, slopes):
    """Per slope, intercepts [lo, hi] from outputs below every target to above every target."""
    s, cs, out = arith.shift, arith.intercept_shift, arith.output
    tc = np.clip(t, out.min_code - 1, out.max_code + 1) * float(1 << s)
    resid = tc[None, :] - (slopes[:, None] * q[None, :]).astype(np.float64)
    span = (1 << s) + 2.0
    lo = np.floor((resid.min(axis=1) - span) / (1 << cs)).astype(np.int64) - 1
    hi = np.ceil((resid.max(axis=1) + span) / (1 << cs)).astype(np.int64) + 1
    if arith.intercept_bounds is not None:
        mlo, mhi = arith.intercept_bounds
        lo, hi = np.clip(lo, mlo, mhi), np.clip(hi, mlo, mhi)
    return lo, hi


SWEEP_LIMIT = 1 << 22  # events of one slope's full intercept sweep


def _mse_window(arith, q, t, slopes, lo, hi, w=None):
    """Narrow each slope's intercept bracket to where the least-squares optimum must lie.

    In LSB, unsaturated errors are ``e = r + D + delta`` with ``r`` the residuals of the continuous
    least-squares line (``sum r = 0``), ``D`` the intercept's offset from it and the rounding
    ``delta`` in ``[-1/2, 1/2)``. Then ``SSE(D) - SSE(best) >= n (D^2 - |D| - 1 - 2 mean|r|)``
    (some intercept has ``|D| <= 1/2`` since ``cs < s``), which is positive for
    ``|D| > W = (1 + sqrt(5 + 8 mean|r|)) / 2``. Saturation could only lower errors outside
    that window, so the window is used only where no output within ``|r| + W + 2`` of its target
    can saturate (or where the full bracket would be too costly to sweep; only then is the
    result not proven optimal); elsewhere the full bracket stays. Weighted: ``n`` is the
    weight and the means are weighted.
    """
    w = _unit(q, w)
    s, cs, out = arith.shift, arith.intercept_shift, arith.output
    line = slopes[:, None] * (q[None, :] / float(1 << s))  # k q in output LSB
    total = np.sum(w)
    offset = _wsum(t[None, :] - line, w) / total  # continuous optimum of the intercept (LSB)
    r = line + offset[:, None] - t[None, :]
    width = (1.0 + np.sqrt(5.0 + 8.0 * (_wsum(np.abs(r), w) / total))) / 2.0
    # errors of hundreds of LSB: rounding hardly matters; keep the sweep affordable
    width = np.minimum(width, max(4.0, SWEEP_LIMIT / (4.0 * q.size)))
    reach = np.abs(r) + width[:, None] + 2.0
    safe = np.all((t[None, :] - reach > out.min_code) & (t[None, :] + reach < out.max_code),
                  axis=1)
    # A full sweep costs ~ codes x (bracket in LSB) events. Past SWEEP_LIMIT the errors are
    # hundreds of LSB wide, rounding hardly matters, and the window is searched anyway.
    events = q.size * ((((hi - lo) << cs) >> s) + 2)
    safe = safe | (events > SWEEP_LIMIT)
    scale = float(1 << s) / float(1 << cs)  # intercept steps per output LSB
    narrow_lo = np.floor((offset - width - 1.0) * scale).astype(np.int64)
    narrow_hi = np.ceil((offset + width + 1.0) * scale).astype(np.int64)
    new_lo, new_hi = np.maximum(lo, narrow_lo), np.minimum(hi, narrow_hi)
    safe &= new_lo <= new_hi  # a window beyond the intercept bounds: sweep the whole bracket
    return np.where(safe, new_lo, lo), np.where(safe, new_hi, hi), safe


FLOOR_ELEMENTS = 1 << 21  # (slopes x codes) per numpy pass of :func:`sse_floor`


def sse_floor(arith, q, t, slopes, w=None, ub=None):
    """Per slope, a lower bound on the (weighted) SSE over every intercept, saturation included,
    and with ``ub`` (one per slope, or a scalar) the intercepts ``[m_lo, m_hi]`` outside which
    the SSE surely exceeds ``ub`` (``m_lo > m_hi``: none; unbounded ends are +-2^62).

    With ``e = (k q + (m << cs) + 2^(s-1)) / 2^s - t = d + C`` (``d = k q / 2^s - t``, ``C`` set
    by ``m``), the unsaturated output lies in ``(t + e - 1, t + e]``, and saturation clips it into
    ``[L, H]``, which only moves it toward a target inside the range (a target outside is
    clipped first: that lowers every error). So a code costs at least ``phi(e)``: ``0`` for
    ``e`` in ``[0, 1]``, ``(e - 1)^2`` up to its room above ``H - t`` (then that room squared),
    ``e^2`` down to its room below. ``F(C) = sum w phi(d + C)`` is continuous and piecewise
    quadratic between the ``4n`` points where a code changes piece: its minimum is the bound
    and ``{F <= ub}`` the window, found exactly on each piece (prefix sums over the sorted
    points; the roots of the pieces at both ends).
    """
    w = _unit(q, w)
    s, cs, out = arith.shift, arith.intercept_shift, arith.output
    lo_code, hi_code = float(out.min_code), float(out.max_code)
    tt = np.clip(t, lo_code, hi_code)
    room_lo, room_hi = tt - lo_code, hi_code - tt
    total = float(np.sum(w))
    lb = np.empty(slopes.size)
    c_lo, c_hi = np.full(slopes.size, -np.inf), np.full(slopes.size, np.inf)
    ubs = np.broadcast_to(np.inf if ub is None else np.asarray(ub, dtype=np.float64),
                          slopes.shape)
    step = max(1, FLOOR_ELEMENTS // max(1, 4 * q.size))
    for a in range(0, slopes.size, step):
        k = slopes[a:a + step]
        d = k[:, None] * (q[None, :] / float(1 << s)) - tt[None, :]
        centre = _wsum(d, w) / total  # work in C' = C + centre: small numbers
        d = d - centre[:, None]
        rows = np.arange(k.size)[:, None]
        x = np.concatenate([-room_lo - d, -d, 1.0 - d, 1.0 + room_hi - d], axis=1)
        ww = np.broadcast_to(w, d.shape)
        dm = d - 1.0
        da = np.concatenate([ww, -ww, ww, -ww], axis=1)
        db = np.concatenate([2 * ww * d, -2 * ww * d, 2 * ww * dm, -2 * ww * dm], axis=1)
        dk = np.concatenate([ww * (d * d - room_lo * room_lo), -ww * d * d, ww * dm * dm,
                             ww * (room_hi * room_hi - dm * dm)], axis=1)
        order = np.argsort(x, axis=1, kind="stable")
        xs = x[rows, order]
        qa, qb = np.cumsum(da[rows, order], axis=1), np.cumsum(db[rows, order], axis=1)
        qk = float(_wsum(room_lo * room_lo, w)) + np.cumsum(dk[rows, order], axis=1)
        # piece j runs from xs[:, j] to xs[:, j + 1] with coefficients qa, qb, qk[:, j]
        f = lambda c, j=slice(None): qa[:, j] * c * c + qb[:, j] * c + qk[:, j]  # noqa: E731
        at_points = f(xs)  # F at every breakpoint (continuous: either piece's formula)
        left, right = xs[:, :-1], xs[:, 1:]
        pa, pb, pk = qa[:, :-1], qb[:, :-1], qk[:, :-1]
        with np.errstate(all="ignore"):
            vertex = np.clip(-pb / (2 * pa), left, right)
        vertex = np.where(pa > 0, vertex, left)
        at_vertex = pa * vertex * vertex + pb * vertex + pk
        lows = np.minimum(np.minimum(at_points[:, :-1], at_points[:, 1:]), at_vertex)
        lb[a:a + step] = np.minimum(lows.min(axis=1), at_points.min(axis=1))
        if ub is None:
            continue
        u = ubs[a:a + step, None] * (1 + 1e-9) + 1e-9
        ends = at_points[:, :1] <= u, at_points[:, -1:] <= u  # the constant outer pieces
        ok = lows <= u
        any_ok = ok.any(axis=1)
        first = np.argmax(ok, axis=1)
        last = ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
        with np.errstate(all="ignore"):
            disc = np.maximum(pb * pb - 4 * pa * (pk - u), 0.0)
            root_lo = (-pb - np.sqrt(disc)) / (2 * pa)
            root_hi = (-pb + np.sqrt(disc)) / (2 * pa)
        r = np.arange(k.size)
        pad = 1e-6 * (1.0 + np.abs(left[r, first]))
        start = np.where((pa[r, first] > 0) & (at_points[r, first] > u[:, 0]),
                         np.maximum(left[r, first], root_lo[r, first] - pad), left[r, first])
        pad = 1e-6 * (1.0 + np.abs(right[r, last]))
        stop = np.where((pa[r, last] > 0) & (at_points[r, last + 1] > u[:, 0]),
                        np.minimum(right[r, last], root_hi[r, last] + pad), right[r, last])
        start = np.where(ends[0][:, 0], -np.inf, np.where(any_ok, start, np.inf)) - centre
        stop = np.where(ends[1][:, 0], np.inf, np.where(any_ok, stop, -np.inf)) - centre
        c_lo[a:a + step], c_hi[a:a + step] = start, stop
    if ub is None:
        return lb, None, None
    # C = (m 2^cs + 2^(s-1)) / 2^s
    half = float(1 << (s - 1)) if s else 0.0
    big = float(1 << 62)
    m_lo = np.clip(np.floor((c_lo * float(1 << s) - half) / float(1 << cs)) - 1, -big, big)
    m_hi = np.clip(np.ceil((c_hi * float(1 << s) - half) / float(1 << cs)) + 1, -big, big)
    return lb, m_lo.astype(np.int64), m_hi.astype(np.int64)


def _sweep_windowed(arith, q, t, slopes, lo, hi, w=None, cap=None) -> np.ndarray:
    """Exact least-squares intercepts in ``[lo, hi]`` (saturation included) by the event sweep,
    on windows that must hold them: each slope's SSE at a guessed intercept (or ``cap`` when
    lower: see :func:`_best_intercepts`) bounds its optimum, and :func:`sse_floor` keeps only
    the intercepts that could reach it."""
    w = _unit(q, w)
    if slopes.size == 0:
        return np.empty(0, dtype=np.int64)
    s, cs = arith.shift, arith.intercept_shift
    line = slopes[:, None] * (q[None, :] / float(1 << s))
    offset = _wsum(np.clip(t, arith.output.min_code, arith.output.max_code)[None, :] - line, w) \
        / np.sum(w)  # the continuous least-squares intercept, in output LSB
    guess = np.clip(np.round(offset * float(1 << s) / float(1 << cs)).astype(np.int64), lo, hi)
    err = pwl_output(slopes[:, None], guess[:, None], q[None, :], cs, s, arith.output) - t
    reach = _wsum(err * err, w)
    _, m_lo, m_hi = sse_floor(arith, q, t, slopes, w,
                              reach if cap is None else np.minimum(reach, cap))
    m_lo, m_hi = np.maximum(lo, m_lo), np.minimum(hi, m_hi)
    empty = m_lo > m_hi  # (only under ``cap``: the guess itself is within its own SSE)
    m_lo, m_hi = np.where(empty, guess, m_lo), np.where(empty, guess, m_hi)
    best = np.empty(slopes.size, dtype=np.int64)
    widths = ((m_hi - m_lo) << cs) >> s
    order = np.argsort(widths, kind="stable")  # similar windows share a vectorized sweep
    start = 0
    while start < order.size:
        stop = start + 1
        while stop < order.size and (stop + 1 - start) * q.size * (int(widths[order[stop]]) + 2) \
                <= SWEEP_LIMIT:
            stop += 1
        part = order[start:stop]
        best[part] = _sweep(arith, q, t, slopes[part], m_lo[part], m_hi[part], w)
        start = stop
    return best


def _sweep(arith, q, t, slopes, lo, hi, w=None) -> np.ndarray:
    """Exact least-squares intercepts by sweeping the output-change events, for many slopes.

    Raising ``m`` raises each code's unsaturated output ``z = (k q + (m << cs) + 2^(s-1)) >> s``
    one step at a time; each step changes the squared error by a known amount. Sorting all steps
    within ``[lo, hi]`` by the ``m`` at which they happen gives the error at every distinct
    intercept; the smallest (and, among equals, the lowest ``m``) wins. Vectorized over slopes,
    which share one step count (the widest bracket's): give it brackets of similar width.
    Errors are weighted by ``w``.
    """
    w = _unit(q, w)
    s, cs, out = arith.shift, arith.intercept_shift, arith.output
    u = slopes[:, None] * q[None, :] + ((1 << (s - 1)) if s else 0)
    z0 = (u + (lo << cs)[:, None]) >> s
    steps = int(np.max((((hi - lo) << cs) >> s)) + 2)
    z_next = z0[:, :, None] + np.arange(1, steps + 1)[None, None, :]  # the value each step reaches
    need = (z_next << s) - u[:, :, None]  # smallest m with u + (m << cs) >= z_next << s
    at = (-((-need) >> cs)).reshape(slopes.size, -1)  # ceil division by 2^cs
    before = np.clip(z_next - 1, out.min_code, out.max_code) - t[None, :, None]
    after = np.clip(z_next, out.min_code, out.max_code) - t[None, :, None]
    delta = (w[None, :, None] * (after * after - before * before)).reshape(slopes.size, -1)
    beyond = at > hi[:, None]
    at, delta = np.where(beyond, hi[:, None] + 1, at), np.where(beyond, 0.0, delta)
    order = np.argsort(at, axis=1, kind="stable")
    at, delta = np.take_along_axis(at, order, 1), np.take_along_axis(delta, order, 1)
    y0 = np.clip(z0, out.min_code, out.max_code) - t[None, :]
    start = _wsum(y0 * y0, w)
    cost = start[:, None] + np.cumsum(delta, axis=1)
    last = np.concatenate([at[:, 1:] != at[:, :-1], np.ones((slopes.size, 1), bool)], axis=1)
    cost = np.where(last & (at <= hi[:, None]), cost, np.inf)
    pick = np.argmin(cost, axis=1)
    best_cost = cost[np.arange(slopes.size), pick]
    return np.where(start <= best_cost, lo, at[np.arange(slopes.size), pick])


def _best_intercepts_max(arith, q, t, slopes, lo, hi) -> np.ndarray:
    """Minimax intercept per slope: the error is quasi-convex in ``m`` (outputs are monotone in
    ``m``), so a vectorized binary search on "the upper error dominates" finds it exactly."""
    s, cs, out = arith.shift, arith.intercept_shift, arith.output
    k = slopes[:, None]
    qq = q if q.ndim == 2 else q[None, :]  # per-slope codes (and targets) may be given
    tt = t if t.ndim == 2 else t[None, :]

    def outputs(m):
        return pwl_output(k, m[:, None], qq, cs, s, out)

    def cost(m):
        return np.max(np.abs(outputs(m) - tt), axis=1)

    def rising(m):
        """True where the upper error dominates (monotone in m)."""
        err = outputs(m) - tt
        return err.max(axis=1) >= (-err).max(axis=1)

    # smallest m in [lo, hi] with rising(m) (hi if none)
    left, right = lo.copy(), hi.copy()
    while np.any(left < right):
        mid = (left + right) >> 1
        go = rising(mid)
        right = np.where(go, mid, right)
        left = np.where(go, left, np.maximum(mid + 1, left))
        left = np.minimum(left, right)
    best, best_cost = left, cost(left)
    # Above ``left`` the error is the non-decreasing upper error, below it the non-increasing
    # lower one: only smaller intercepts can tie or win (kept as before: the lowest of equals).
    for delta in (-2, -1):
        cand = np.clip(left + delta, lo, hi)
        c = cost(cand)
        better = c < best_cost
        best, best_cost = np.where(better, cand, best), np.where(better, c, best_cost)
    return best
