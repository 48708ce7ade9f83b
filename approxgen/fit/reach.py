"""Monotone reach: the longest segment one integer line covers within a max-error bound.

For a bound ``E`` every code ``i`` admits the accumulators ``acc = k q_i + (m << cs)`` in
``[A_i, B_i]`` (its outputs within ``E`` of the target; an open side where saturation holds the
output, none at all for a code of zero weight). A segment admits slope ``k`` iff the intervals
``[A_i - k q_i, B_i - k q_i]`` (in intercept units, clipped to the intercept bounds) share an
intercept: the running max of the lows stays below the running min of the highs, tested for many
candidate slopes and ends per numpy call (:meth:`Reach.runs`, chunked to :data:`CAP` elements),
or, with the automatic format, by a binary search over the slopes (:meth:`Reach._longest_run`).

Candidate slopes (:meth:`Reach.window`): any slope a segment admits is bounded by every pair of
its codes (``k (q_j - q_i)`` within ``[A_j - B_i, B_j - A_i]``), so pairs at every power-of-two
distance give a window whose width shrinks with the segment length and grows with the bound.
Where saturation leaves a side open, the window is bounded by the format's slope bounds, or with
the automatic format (``cs = 0``, free intercept: the admitted slopes then form an interval, by
Helly's theorem on the pairwise conditions) by the target's steepest and flattest rises over the
segment, which some admitted slope always lies between.

Reach is monotone (a later start or a larger bound never reaches less): every answer brackets
later queries (:meth:`Reach.reach`).
"""

from __future__ import annotations

import math

import numpy as np

CAP = 1 << 21  # elements of one (slopes x codes) array
BIG = 1 << 61  # an open accumulator bound
TOL = 1e-9  # a bound admits errors up to bound + TOL (float targets)
FIRST_WINDOW = 32
WINDOW_WORK = 1 << 24  # slope format: (slopes x codes) at most, else no reach oracle
ERROR_VALUES = 1 << 20  # bisect geometrically until this few candidate errors remain


class Reach:
    """Reach queries on one problem's codes and targets (``weights``: zero ones are free)."""

    def __init__(self, arith, codes: np.ndarray, targets: np.ndarray,
                 weights: np.ndarray | None = None):
        self.arith = arith
        self.q = np.asarray(codes, dtype=np.int64)
        self.t = np.asarray(targets, dtype=np.float64)
        self.lo = int(self.q[0])
        self.free = None if weights is None else np.asarray(weights) <= 0
        self.rises = np.diff(self.t)
        self.interval = arith.intercept_shift == 0 and arith.intercept_bounds is None
        self._bounds: tuple[float, tuple[np.ndarray, np.ndarray]] | None = None
        self._known = np.zeros((0, 3))  # rows: start offset, bound, last offset
        self._count = 0

    @classmethod
    def applies(cls, arith, n_codes: int) -> bool:
        """Whether reach queries are affordable: the automatic format (a binary search over the
        slopes), or a slope format few enough slopes times codes to test every candidate."""
        if arith.intercept_shift == 0 and arith.intercept_bounds is None:
            return True
        return (arith.slope_bounds is not None
                and (arith.slope_bounds[1] - arith.slope_bounds[0] + 1) * n_codes <= WINDOW_WORK)

    @property
    def n(self) -> int:
        return self.q.size

    def floor(self) -> float:
        """The correctly rounded table's max error: no approximation does better."""
        err = np.abs(self.t - np.rint(self.t))
        return float(err.max() if self.free is None else np.max(err[~self.free], initial=0.0))

    def accumulators(self, bound: float) -> tuple[np.ndarray, np.ndarray]:
        """Per code, the accumulators ``[A, B]`` (rounding offset included) whose outputs lie
        within ``bound`` of the target; ``-BIG``/``BIG`` where saturation leaves a side open."""
        if self._bounds is not None and self._bounds[0] == bound:
            return self._bounds[1]
        s, out = self.arith.shift, self.arith.output
        half = (1 << (s - 1)) if s else 0
        y_lo = np.ceil(self.t - bound - TOL).astype(np.int64)
        y_hi = np.floor(self.t + bound + TOL).astype(np.int64)
        a = np.where(y_lo <= out.min_code, -BIG,
                     (np.clip(y_lo, out.min_code, out.max_code) << s) - half)
        b = np.where(y_hi >= out.max_code, BIG,
                     ((np.clip(y_hi, out.min_code, out.max_code) + 1) << s) - 1 - half)
        bad = (y_lo > y_hi) | (y_lo > out.max_code) | (y_hi < out.min_code)
        a, b = np.where(bad, BIG, a), np.where(bad, -BIG, b)
        if self.free is not None:
            a, b = np.where(self.free, -BIG, a), np.where(self.free, BIG, b)
        self._bounds = (bound, (a, b))
        return a, b

    def window(self, first: int, known: int, last: int, bound: float) -> tuple[int, int]:
        """Candidate slopes ``k_lo..k_hi`` (empty when ``k_hi < k_lo``) for segments from offset
        ``first`` to any end in ``known..last`` (``known < first``: no end known): some admitted
        slope is among them whenever one is."""
        a_acc, b_acc = self.accumulators(bound)
        k_lo, k_hi = -BIG, BIG
        size = known - first + 1
        h = 1 << max(0, size.bit_length() - 1) if size > 1 else 0
        while h >= 1:  # every pair at distance h inside first..known
            i = np.arange(first, known - h + 1)
            j = i + h
            low = a_acc[j] - b_acc[i]
            ok = (a_acc[j] > -BIG) & (b_acc[i] < BIG)
            if ok.any():
                k_lo = max(k_lo, int(np.max(-((-low[ok]) // h))))  # ceil
            high = b_acc[j] - a_acc[i]
            ok = (b_acc[j] < BIG) & (a_acc[i] > -BIG)
            if ok.any():
                k_hi = min(k_hi, int(np.min(high[ok] // h)))
            h >>= 1
        if self.arith.slope_bounds is not None:
            k_lo = max(k_lo, self.arith.slope_bounds[0])
            k_hi = min(k_hi, self.arith.slope_bounds[1])
        if self.interval and self.arith.slope_bounds is None:
            # some admitted slope lies between the flattest and steepest rises
            rises = self.rises[first:last]
            if rises.size:
                scale = float(1 << self.arith.shift)
                pad = max(0.0, (1.0 - 2.0 * (bound + TOL)) * scale + 1.0) + 1.0
                k_lo = max(k_lo, math.floor(float(rises.min()) * scale - pad))
                k_hi = min(k_hi, math.ceil(float(rises.max()) * scale + pad))
            else:
                k_lo, k_hi = max(k_lo, min(k_hi, 0)), min(k_hi, max(k_lo, 0))
        return k_lo, k_hi

    def runs(self, k_lo: int, k_hi: int, first: int, last: int, bound: float
             ) -> tuple[int, int | None]:
        """The most codes from offset ``first`` (up to ``last``) one slope of ``k_lo..k_hi``
        covers within ``bound``, and the first such slope (None when the range is empty); the
        slopes are tested in chunks whose arrays stay below :data:`CAP` elements."""
        a_acc, b_acc = self.accumulators(bound)
        cs, mb = self.arith.intercept_shift, self.arith.intercept_bounds
        size = last - first + 1
        q = self.q[first:last + 1]
        a_win, b_win = a_acc[first:last + 1], b_acc[first:last + 1]
        best, slope = 0, None
        chunk = max(1, CAP // max(size, 1))
        for start in range(k_lo, k_hi + 1, chunk):
            k = np.arange(start, min(start + chunk, k_hi + 1), dtype=np.int64)[:, None]
            kq = k * q[None, :]
            low = a_win[None, :] - kq
            high = b_win[None, :] - kq
            del kq
            if cs:
                low = -((-low) >> cs)
                high >>= cs
            if mb is not None:
                np.maximum(low, mb[0], out=low)
                np.minimum(high, mb[1], out=high)
            np.maximum.accumulate(low, axis=1, out=low)
            np.minimum.accumulate(high, axis=1, out=high)
            ok = low <= high
            del low, high
            runs = np.where(ok.all(axis=1), size, ok.argmin(axis=1))
            top = int(np.argmax(runs))
            if slope is None or runs[top] > best:
                best, slope = int(runs[top]), start + top
            if best >= size:
                break
        return best, slope

    def _bracket(self, first: int, bound: float) -> tuple[int, int]:
        """Known ends: reach(first, bound) lies in ``[lo, hi]`` by monotonicity."""
        lo, hi = first - 1, self.n - 1
        if self._count:
            known = self._known[:self._count]
            starts, bounds, ends = known[:, 0], known[:, 1], known[:, 2]
            below = (starts <= first) & (bounds <= bound)
            if below.any():
                lo = max(lo, int(ends[below].max()))
            above = (starts >= first) & (bounds >= bound)
            if above.any():
                hi = min(hi, int(ends[above].min()))
        return lo, max(hi, lo)

    def reach(self, start: int, bound: float) -> int:
        """The last code of the longest segment from code ``start`` whose integer line stays
        within ``bound`` (``start - 1`` when none)."""
        first = start - self.lo
        known, last = self._bracket(first, bound)
        if known < last:
            search = self._reach_interval if self.interval else self._reach_windows
            known = max(known, search(first, known, last, bound))
        if self._count == len(self._known):
            self._known = np.concatenate([self._known, np.zeros((max(64, self._count), 3))])
        self._known[self._count] = (first, bound, known)
        self._count += 1
        return known + self.lo

    def _reach_windows(self, first: int, known: int, last: int, bound: float) -> int:
        """Every candidate slope over windows of ends doubling from the known reach."""
        while known < last:
            width = max(2 * (known - first + 1), FIRST_WINDOW)
            end = last if last - first + 1 <= 2 * width else first + width - 1
            run, _ = self.runs(*self.window(first, known, end, bound), first, end, bound)
            if first + run - 1 < end:
                return max(known, first + run - 1)
            known = end
        return known

    def _reach_interval(self, first: int, known: int, last: int, bound: float) -> int:
        """The longest run over windows of ends doubling from the known reach (the automatic
        format: :meth:`_longest_run`)."""
        while True:
            width = max(2 * (known - first + 1), FIRST_WINDOW)
            end = last if last - first + 1 <= 2 * width else first + width - 1
            run, _ = self._longest_run(first, known, end, bound)
            if first + run - 1 < end or end >= last:
                return max(known, first + run - 1)
            known = end

    def _longest_run(self, first: int, known: int, end: int, bound: float
                     ) -> tuple[int, int | None]:
        """The most codes from offset ``first`` (up to ``end``) one slope covers, by binary
        search over the slopes.

        The slopes admitted up to an end form an interval shrinking with the end, so a slope's
        run length is quasi-concave in the slope; at the first end a slope ``k`` fails, the gap
        ``max(lows) - min(highs)`` is convex in the slope, and its descent from ``k`` shows the
        side of every slope that runs further (none when ``k`` is its minimum). Returns the run
        and its slope (None when no tested slope runs further than ``known``)."""
        k_lo, k_hi = self.window(first, known, end, bound)
        best, slope = known - first + 1, None
        a_acc, b_acc = self.accumulators(bound)
        q = self.q[first:end + 1]
        a_win, b_win = a_acc[first:end + 1], b_acc[first:end + 1]
        size = q.size
        step = np.array([-1, 0, 1], dtype=np.int64)
        while k_lo <= k_hi:
            k = (k_lo + k_hi) // 2
            kq = (k + step)[:, None] * q[None, :]
            low = np.maximum.accumulate(a_win[None, :] - kq, axis=1)
            high = np.minimum.accumulate(b_win[None, :] - kq, axis=1)
            ok = low <= high
            runs = np.where(ok.all(axis=1), size, ok.argmin(axis=1))
            if int(runs.max()) > best or slope is None:
                top = int(np.argmax(runs))
                if runs[top] >= best:
                    best, slope = int(runs[top]), k + int(step[top])
            if best >= size:
                break
            fail = int(runs[1])
            gap = low[:, fail] - high[:, fail]
            if gap[2] < gap[1]:
                k_lo = k + 1
            elif gap[0] < gap[1]:
                k_hi = k - 1
            else:
                break
        return best, slope

    def slope(self, first: int, last: int, bound: float) -> int | None:
        """A slope whose line keeps codes ``first..last`` (offsets) within ``bound``, or None."""
        if self.interval:
            run, k = self._longest_run(first, first - 1, last, bound)
            return k if run >= last - first + 1 else None
        run, k = self.runs(*self.window(first, first - 1, last, bound), first, last, bound)
        return k if run >= last - first + 1 else None

    def smallest_bound(self, test, low: float, high: float, first: int = 0,
                       last: int | None = None):
        """``(bound, result, tests)``: the smallest bound in ``(low, high]`` where ``test``
        (monotone; it holds at ``high``) returns a result other than None, by geometric
        bisection and then over the errors of codes ``first..last`` between."""
        best, tests = test(high), 1
        while (values := self.errors_between(low, high, ERROR_VALUES, first, last)) is None:
            mid = float(np.sqrt(low * high)) if low > 0 else high / 2
            result, tests = test(mid), tests + 1
            if result is None:
                low = mid
            else:
                high, best = mid, result
        lo_i, hi_i = 0, values.size  # values[hi_i:] and high pass
        while lo_i < hi_i:
            mid_i = (lo_i + hi_i) // 2
            result, tests = test(float(values[mid_i])), tests + 1
            if result is None:
                lo_i = mid_i + 1
            else:
                hi_i, best = mid_i, result
        return (float(values[hi_i]) if hi_i < values.size else high), best, tests

    def cover(self, bound: float, limit: int) -> list[int] | None:
        """Greedy maximal segments within ``bound``: their first codes, or None when more than
        ``limit`` would be needed (greedy needs the fewest)."""
        starts = [self.lo]
        end = self.lo + self.n - 1
        while True:
            last = self.reach(starts[-1], bound)
            if last < starts[-1]:
                return None
            if last >= end:
                return starts
            if len(starts) >= limit:
                return None
            starts.append(last + 1)

    def errors_between(self, low: float, high: float, limit: int, first: int = 0,
                       last: int | None = None) -> np.ndarray | None:
        """The sorted distinct errors ``|y - t|`` (y an integer) in ``(low, high]`` of codes
        ``first..last``: the only bounds where feasibility can change; None when there are more
        than ``limit``."""
        end = self.n if last is None else last + 1
        t = self.t[first:end]
        if self.free is not None:
            t = t[~self.free[first:end]]
        up_first = np.floor(t + low).astype(np.int64) + 1  # y in (t + low, t + high]
        up_count = np.floor(t + high).astype(np.int64) - up_first + 1
        down_first = np.ceil(t - low).astype(np.int64) - 1  # y in [t - high, t - low)
        down_count = down_first - np.ceil(t - high).astype(np.int64) + 1
        total = int(np.maximum(up_count, 0).sum() + np.maximum(down_count, 0).sum())
        if total > limit:
            return None
        values = []
        for j in range(int(max(up_count.max(initial=0), down_count.max(initial=0)))):
            values.append((up_first + j - t)[up_count > j])
            values.append((t - (down_first - j))[down_count > j])
        if not values:
            return np.zeros(0)
        v = np.unique(np.concatenate(values))
        return v[(v > low) & (v <= high)]
