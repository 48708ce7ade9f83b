"""Fitting ``form: interp`` (:mod:`approxgen.forms.interp`): a region layout, then node values.

**Node values** (:func:`solve_nodes`, exact within a window): each code's output depends on two
neighbouring nodes only, so the whole fit is a chain. Every node gets a window of candidate
integers around a centre (first the target sampled at the node, ``round(T 2^F)``); for every
interval and every pair of candidates of its two nodes, the golden model's integer output is
computed on every code of the interval (vectorized) and judged against the target. A dynamic
programme along the chain then picks the best candidate per node: for ``max`` first the least
possible maximum error (a bottleneck path), then among the choices meeting it the least squared
error; for ``mse`` the least squared error; for ``rounding`` the fewest mismatches with the
correctly rounded table (ties: squared error). The window is re-centred on the solution while a
node sits on its edge; with fraction bits, windows go coarse to fine (step ``2^(F-1)`` down to 1).
Order 2 (:func:`solve_nodes2`): each code depends on three consecutive nodes of its region (each
region owns its nodes), so the programme runs over node pairs (candidate triples per interval),
per region; the windows (``2 RADIUS2 + 1`` integers) are centred on the rounded solution of a
linear programme (HiGHS: the real-valued interpolation's minimax, nodes within the type) and
re-centred the same way.

**Flat ends** (:func:`flat_ends`): a run of codes at either end of the domain whose correctly
rounded output is one value (a saturated or flat stretch: int16 tanh past 5.9, hswish below -3)
is left to the input clamp: the model's ``lo_code..hi_code`` leaves it out, and the node search
judges the run's innermost code for the whole run (its largest error over the run's targets, its
squared error summed over them), so no node is spent there.

**Layout** (:class:`Layouts`): the domain offsets are cut into aligned blocks of ``2^B`` codes
(about 64 blocks). For each power-of-two step the error of plain interpolation of the target (nodes
on the target, within what the node type holds, halved: the node search roughly halves it) is
measured per block (order 2: the quadratic through the next two grid nodes). For a threshold on
that estimate, a dynamic programme over the blocks finds, for each region count up to
``max_regions`` (the spec's, else :data:`~approxgen.forms.interp.MAX_REGIONS`; each region costs
the C a clamp and two shifts per element), the layout with the fewest nodes (a ``segments``
budget: intervals) whose regions each take the longest step the estimate allows on all their
blocks (a step divides its region's start, and its span unless the region is the last). Search
``uniform`` takes one region. Which threshold: with ``max_error_lsb``, the fewest nodes meeting
it (bisection on the threshold, each layout's nodes fitted exactly; ``objective: rounding``
alone: no mismatch); under a budget (``segments``: at most that many intervals; ``max_bytes``:
the C tables, the nodes alone: the regions' constants are immediates of the code), the lowest
threshold that fits and the next :data:`CANDIDATES` - 1, plus that lowest threshold's layout of
every other region count, each grown greedily into what the budget leaves
(:meth:`Layouts.refine`) and fitted exactly: the best for the objective wins (ties: the lower max
error, then fewer regions, then fewer nodes). This is a heuristic over layouts (the node values are exact for the layout), documented as
such in the fit's notes.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.forms import MAX_ACC_BITS
from approxgen.forms.interp import MAX_REGIONS, NODE_BITS, InterpModel, quadratic
from approxgen.metrics import correctly_rounded, target

BLOCKS_LOG2 = 6  # about 2^6 blocks over the domain
RADIUS = 3  # candidates per node: 2 * RADIUS + 1
RADIUS2 = 2  # order 2 (each interval judges candidate triples)
MAX_RECENTRES = 8
CANDIDATES = 6  # layouts fitted exactly under a budget (from the lowest fitting threshold up)
CHUNK = 1 << 22  # elements (codes x candidate pairs) per vectorized batch
PAST_END = 64  # order 2: codes past the domain's end whose extended target the nodes must hold
ROUNDING_TIE = 1e-10  # rounding: mismatches first, then this times the squared error


# --- node format ---------------------------------------------------------------------------------

def node_format(spec, targets: np.ndarray, order: int = 1) -> tuple[int, bool, int, int]:
    """``(node_bits, node_signed, frac, base)``: 16-bit nodes whenever the target's range fits
    them, else 32; as many fraction bits ``F`` as keep the range inside the type (the extreme
    node may clip by one unit, which the node search sees); ``base`` 0 when the type (signed like
    the output) holds the range with an output LSB to spare, else the constant that centres it.
    The golden model's accumulator (int64) must hold the arithmetic with the longest step."""
    out = spec.output
    lo_t, hi_t = float(targets.min()), float(targets.max())
    top = max(0, (targets.size - 1).bit_length())
    if order == 2 and targets.size > 1:  # nodes past the end: the target extended a little
        ext = float(targets[-1]) + (float(targets[-1]) - float(targets[-2])) * PAST_END
        lo_t, hi_t = min(lo_t, ext), max(hi_t, ext)
    for bits in NODE_BITS:
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if out.signed else (0, (1 << bits) - 1)
        frac = -1
        while frac + 1 < bits and (hi_t - lo_t) * 2.0 ** (frac + 1) <= (1 << bits):
            frac += 1
        if frac < 0:
            continue
        for frac in range(frac, -1, -1):
            spare = 1 if frac else 0  # an output LSB on each side, unless the type is full
            a, b = math.floor(lo_t) - spare, math.ceil(hi_t) + spare
            if a * 2 ** frac >= lo and b * 2 ** frac <= hi:
                base = 0
            else:
                base = round((lo_t + hi_t) / 2 * 2 ** frac) - (lo + hi + 1) // 2
            vbits = bits if not base else max(bits, abs(base).bit_length()) + 1
            g = top if order == 1 else min(top, 10)
            if (g + frac + vbits + 2 if order == 1 else 2 * g + frac + vbits + 4) \
                    <= MAX_ACC_BITS:
                return bits, out.signed, frac, base
    raise ApproxgenError("the target's range does not fit 32-bit interp nodes", spec.at("output"))


def max_step(order: int, frac: int, node_bits: int, base: int, top: int) -> int:
    """The longest step (log2) the golden model's accumulator allows (see InterpModel.check)."""
    vbits = node_bits if not base else max(node_bits, abs(base).bit_length()) + 1
    room = MAX_ACC_BITS - frac - vbits - (2 if order == 1 else 4)
    return max(0, min(top, room if order == 1 else room // 2))


# --- layouts -------------------------------------------------------------------------------------

def region_nodes(starts, steps, n: int, order: int = 1) -> list[int]:
    """Nodes each region of a layout over ``n`` codes addresses (see
    :meth:`InterpModel.region_nodes`)."""
    ends = [*starts[1:], n]
    if order == 2:
        return [-(-(b - a) >> g) + 2 for a, b, g in zip(starts, ends, steps)]
    return [(b - a) >> g for a, b, g in zip(starts, starts[1:], steps)] \
        + [((n - 1 - starts[-1]) >> steps[-1]) + 2]


def layout_nodes(starts, steps, n: int, order: int = 1) -> int:
    """Nodes a layout needs over ``n`` codes."""
    return sum(region_nodes(starts, steps, n, order))


def layout_bytes(layout, n: int, node_bytes: int, order: int = 1) -> int:
    """The C header's table bytes: the nodes (the regions' constants are in the code)."""
    starts, steps = layout
    return layout_nodes(starts, steps, n, order) * node_bytes


def interpolation_errors(t: np.ndarray, max_g: int, bounds=(-np.inf, np.inf),
                         order: int = 1) -> np.ndarray:
    """``(max_g + 1, n)``: per step ``2^g``, |plain interpolation of ``t`` - t| at each offset
    (nodes on the aligned grid, order 2 through the next two; past the end the target is
    extended linearly, within the ``bounds`` a node can hold)."""
    n = t.size
    pad = (2 << max_g) + 1
    slope = t[-1] - t[-2] if n > 1 else 0.0
    ext = np.concatenate([t, np.clip(t[-1] + slope * np.arange(1, pad + 1), *bounds)])
    u = np.arange(n)
    out = np.empty((max_g + 1, n))
    for g in range(max_g + 1):
        w = 1 << g
        p = (u >> g) << g
        frac = (u - p) / w
        d1 = ext[p + w] - ext[p]
        value = ext[p] + d1 * frac
        if order == 2:
            value += (ext[p + 2 * w] - 2 * ext[p + w] + ext[p]) * frac * (frac - 1) / 2
        out[g] = np.abs(value - t)
    return out


def _merged(starts, steps, n: int | None = None):
    """The layout with neighbouring regions of equal step merged; with ``n`` (the code count)
    the last region's step no longer than its span needs (the same nodes, narrower
    arithmetic)."""
    out_s, out_g = [starts[0]], [steps[0]]
    for a, g in zip(starts[1:], steps[1:]):
        if g != out_g[-1]:
            out_s.append(a)
            out_g.append(g)
    if n is not None:
        out_g[-1] = min(out_g[-1], max(0, (n - 1 - out_s[-1]).bit_length()))
        if len(out_g) > 1 and out_g[-1] == out_g[-2]:
            out_s.pop()
            out_g.pop()
    return tuple(out_s), tuple(out_g)


class Layouts:
    """Region layouts for thresholds on the estimated error (see the module doc)."""

    def __init__(self, t: np.ndarray, max_regions: int = MAX_REGIONS, uniform: bool = False,
                 bounds=(-np.inf, np.inf), order: int = 1, longest: int | None = None,
                 intervals: bool = False):
        """``t``: the target (LSB) per offset; ``bounds``: what a node can hold (LSB);
        ``order`` of the interpolation; ``longest``: the longest step (log2) allowed;
        ``intervals``: the layouts count intervals (a ``segments`` budget: order 2's two nodes
        per region are free), else nodes."""
        self.n = n = t.size
        self.per_region = 2 if intervals and order == 2 else 0
        top = max(0, (n - 1).bit_length())  # 2^top >= n
        self.top = top if longest is None else min(top, longest)
        self.block = min(self.top, max(0, top - BLOCKS_LOG2))
        self.max_regions = 1 if uniform else max_regions
        self.uniform = uniform
        self.order = order
        self.err = interpolation_errors(t, self.top, bounds, order) / 2
        nb = -(-n // (1 << self.block))
        edges = np.minimum(np.arange(nb + 1) << self.block, n)
        self.block_edges = edges
        self.block_err = np.maximum.reduceat(self.err, edges[:-1], axis=1)  # (g, blocks)

    def thresholds(self) -> np.ndarray:
        """The thresholds at which some layout changes, ascending."""
        if self.uniform:
            return np.unique(self.err.max(axis=1))
        return np.unique(np.concatenate([self.block_err.ravel(),
                                         self.err.max(axis=1)]))

    def layout(self, tau: float) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """``(starts, steps)`` for threshold ``tau``."""
        if self.uniform:
            ok = np.flatnonzero(self.err.max(axis=1) <= tau)
            return (0,), (int(ok.max()) if ok.size else 0,)
        return self.per_regions(tau)[0]

    def _region_costs(self, tau: float) -> tuple[np.ndarray, np.ndarray]:
        """``(nodes, step)``, each ``(blocks + 1, blocks + 1)``: for a region over blocks
        ``[i, j)``, its longest step (log2) whose estimated error stays within ``tau`` on every
        block (its start a multiple of the step; a region but the last spans a multiple of it),
        and the nodes it then needs."""
        nb, edges, n = self.block_err.shape[1], self.block_edges, self.n
        ok = self.block_err <= tau  # (g, blocks); g = 0 is always exact
        gs = np.arange(self.top + 1)
        nodes = np.full((nb + 1, nb + 1), np.iinfo(np.int64).max // 4, dtype=np.int64)
        step = np.zeros((nb + 1, nb + 1), dtype=np.int64)
        for i in range(nb):
            start = int(edges[i])
            span = edges[i + 1:].astype(np.int64) - start  # j = i + 1 .. nb
            last = np.arange(i + 1, nb + 1) == nb
            aligned = (start & ((1 << gs) - 1)) == 0
            divides = (span[None, :] & ((1 << gs)[:, None] - 1)) == 0
            feasible = np.logical_and.accumulate(ok[:, i:], axis=1) & aligned[:, None] \
                & (divides | last[None, :])
            g = self.top - np.argmax(feasible[::-1], axis=0)  # the longest feasible step
            if self.order == 2:
                count = -(-span >> g) + 2
            else:
                count = np.where(last, ((n - 1 - start) >> g) + 2, span >> g)
            nodes[i, i + 1:], step[i, i + 1:] = count - self.per_region, g
        return nodes, step

    def per_regions(self, tau: float) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """For each region count ``1..max_regions``, the layout on block edges with the fewest
        nodes whose estimated error stays within ``tau`` (a dynamic programme over the blocks),
        fewest nodes first (ties: fewer regions); distinct layouts only."""
        if self.uniform:
            return [self.layout(tau)]
        nodes, step = self._region_costs(tau)
        nb = nodes.shape[0] - 1
        big = np.iinfo(np.int64).max // 4
        best = np.full(nb + 1, big, dtype=np.int64)
        best[0] = 0
        back, rows = [], []
        for _ in range(self.max_regions):
            total = best[:, None] + nodes  # (from i, to j)
            arg = np.argmin(total, axis=0)
            best = np.minimum(total[arg, np.arange(nb + 1)], big)
            best[0] = big
            back.append(arg)
            rows.append(int(best[nb]))
        out = []
        for regions in sorted(range(1, len(rows) + 1), key=lambda r: (rows[r - 1], r)):
            if rows[regions - 1] >= big:
                continue
            cuts, j = [], nb
            for r in range(regions - 1, -1, -1):
                i = int(back[r][j])
                cuts.append((i, j))
                j = i
            cuts.reverse()
            layout = _merged([int(self.block_edges[i]) for i, _ in cuts],
                             [int(step[i, j]) for i, j in cuts], self.n)
            if layout not in out:
                out.append(layout)
        return out

    def refine(self, layout, fits):
        """Spend what the budget leaves over, greedily on the region with the largest estimated
        error: halve its step, or else (while regions are left) only in the block holding its
        worst code; stop when neither still ``fits`` (a predicate on layouts)."""
        starts, steps = list(layout[0]), list(layout[1])
        while True:
            ends = starts[1:] + [self.n]
            errs = [self.err[steps[j], starts[j]:ends[j]] for j in range(len(starts))]
            r = max(range(len(starts)), key=lambda j: errs[j].max())
            g = steps[r]
            if g == 0:
                break
            trial = (tuple(starts), tuple(steps[:r] + [g - 1] + steps[r + 1:]))
            if not fits(trial) and g <= self.block:
                worst = starts[r] + int(np.argmax(errs[r]))
                a = (worst >> self.block) << self.block
                b = min(a + (1 << self.block), ends[r])
                parts = [(starts[r], g)] if a > starts[r] else []
                parts += [(a, g - 1)] + ([(b, g)] if b < ends[r] else [])
                trial = _merged(starts[:r] + [p[0] for p in parts] + starts[r + 1:],
                                steps[:r] + [p[1] for p in parts] + steps[r + 1:])
                if len(trial[0]) > self.max_regions:
                    break
            trial = _merged(*trial, self.n)
            if not fits(trial):
                break
            starts, steps = list(trial[0]), list(trial[1])
        return tuple(starts), tuple(steps)



# --- node values ---------------------------------------------------------------------------------

class NodeProblem:
    """The target and the integer arithmetic the node solver judges candidates on."""

    def __init__(self, spec, targets: np.ndarray, trim: bool = False):
        """``targets``: ``sat(f)`` in LSB per domain code. With ``trim``, a run of codes at
        either end whose correctly rounded output is one constant (a saturated or flat stretch:
        tanh's half past 5.9, hswish below -3) is left to the input clamp (``lo_code``,
        ``hi_code``): the run's innermost code stands for the whole run, judged exactly (its
        error is the worst over the run's targets, ``band``; its squared error the run's sum)."""
        self.spec = spec
        self.out = spec.output
        self.objective = spec.objective
        self.order = spec.order or 1
        full_rounded = correctly_rounded(targets * spec.output.scale, spec.output)
        first, last = flat_ends(full_rounded) if trim else (0, targets.size - 1)
        self.lo_code, self.hi_code = spec.domain[0] + first, spec.domain[0] + last
        t = targets[first:last + 1].astype(np.float64)
        self.inner = t.copy()  # the targets of the codes themselves (the layout's estimate)
        self.band_lo, self.band_hi = t.copy(), t.copy()  # the targets a code stands for
        self.mult = np.ones(t.size)  # how many domain codes it stands for
        for at, run in ((0, targets[:first + 1]), (-1, targets[last:])):
            if first == last:
                run = targets
            if run.size > 1:
                t[at], self.mult[at] = run.mean(), run.size
                self.band_lo[at], self.band_hi[at] = run.min(), run.max()
        self.t = t  # per offset u = q - lo_code
        self.n = t.size
        self.rounded = full_rounded[first:last + 1]
        self.node_bits, self.node_signed, self.frac, self.base = node_format(spec, targets,
                                                                             self.order)
        bits = self.node_bits
        lo, hi = ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if self.node_signed
                  else (0, (1 << bits) - 1))
        self.node_lo, self.node_hi = lo + self.base, hi + self.base  # node values (+ base)
        self.longest = max_step(self.order, self.frac, bits, self.base,
                                max(0, (self.n - 1).bit_length()))

    def errors(self, y: np.ndarray, uc: np.ndarray, valid: np.ndarray,
               axis: int) -> tuple[np.ndarray, np.ndarray]:
        """``(largest error, summed cost)`` along ``axis`` of outputs ``y`` at offsets ``uc``
        (codes not ``valid`` count nothing): the cost is the squared error (``rounding``:
        mismatches first, then :data:`ROUNDING_TIE` times it), each code times its
        multiplicity."""
        worst = np.maximum(y - self.band_lo[uc], self.band_hi[uc] - y)
        E = np.where(valid, worst, 0.0).max(axis=axis)
        err = np.where(valid, y - self.t[uc], 0.0)
        mult = self.mult[uc]
        S = (err * err * mult).sum(axis=axis)
        if self.objective == "rounding":
            S = ((y != self.rounded[uc]) & valid).astype(np.float64) * mult
            S = S.sum(axis=axis) + ROUNDING_TIE * (err * err * mult).sum(axis=axis)
        return E, S

    def positions(self, starts, steps) -> np.ndarray:
        """Every node's offset (the last region's last node lies past the end)."""
        counts = region_nodes(starts, steps, self.n, self.order)
        return np.concatenate([a + (np.arange(c, dtype=np.int64) << g)
                               for a, g, c in zip(starts, steps, counts)])

    def lp_centre(self, starts, steps) -> np.ndarray:
        """Order 2: node values (``2^-F`` LSB, rounded) minimizing the largest error of the
        real-valued interpolation, one linear programme per region (HiGHS)."""
        from scipy import sparse
        from scipy.optimize import linprog

        out = []
        counts = region_nodes(starts, steps, self.n, 2)
        ends = [*starts[1:], self.n]
        for a, b, g, m in zip(starts, ends, steps, counts):
            d = np.arange(b - a)
            k = d >> g
            f = (d & ((1 << g) - 1)) / (1 << g)
            half = f * (f - 1) / 2
            rows = np.tile(d, 3)
            cols = np.concatenate([k, k + 1, k + 2])
            vals = np.concatenate([1 - f + half, f - 2 * half, half])
            A = sparse.csr_matrix((vals, (rows, cols)), shape=(b - a, m))
            one = sparse.csr_matrix(np.ones((b - a, 1)))
            T = self.t[a:b] * 2.0 ** self.frac
            res = linprog(np.r_[np.zeros(m), 1.0],
                          A_ub=sparse.vstack([sparse.hstack([A, -one]),
                                              sparse.hstack([-A, -one])]).tocsr(),
                          b_ub=np.r_[T, -T],
                          bounds=[(self.node_lo, self.node_hi)] * m + [(0, None)],
                          method="highs")
            if res.status != 0:  # cannot happen for a feasible box; fall back to samples
                out.append(self.sampled(a + (np.arange(m) << g)))
            else:
                out.append(np.clip(np.round(res.x[:m]), self.node_lo, self.node_hi))
        return np.concatenate(out).astype(np.int64)

    def sampled(self, pos: np.ndarray) -> np.ndarray:
        """The target at node offsets (extended linearly past the end), times ``2^F``."""
        t = self.t
        slope = t[-1] - t[-2] if self.n > 1 else 0.0
        value = np.where(pos < self.n, t[np.minimum(pos, self.n - 1)],
                         t[-1] + slope * (pos - (self.n - 1)))
        return np.clip(np.round(value * 2.0 ** self.frac), self.node_lo, self.node_hi)

    def interval_costs(self, starts, steps, cand: np.ndarray):
        """``(E, S)``, each ``(intervals, C, C)``: per interval and candidate pair (left node,
        right node) the largest error and the summed cost (squared error; rounding: mismatches
        first) over the interval's codes."""
        m, c = cand.shape
        E = np.zeros((m - 1, c, c))
        S = np.zeros((m - 1, c, c))
        k0 = 0
        for r, (a, g) in enumerate(zip(starts, steps)):
            end = starts[r + 1] if r + 1 < len(starts) else self.n
            w = 1 << g
            count = -(-(end - a) // w)
            shift = g + self.frac
            rnd = (1 << shift) >> 1
            tt = np.arange(w, dtype=np.int64)
            per = max(1, CHUNK // (w * c * c))
            for j0 in range(0, count, per):
                j1 = min(count, j0 + per)
                ks = k0 + np.arange(j0, j1)
                u = a + (np.arange(j0, j1)[:, None] << g) + tt[None, :]  # (J, w)
                valid = u < end
                uc = np.minimum(u, self.n - 1)
                left = cand[ks][:, :, None, None]  # (J, C, 1, 1)
                right = cand[ks + 1][:, None, :, None]  # (J, 1, C, 1)
                y = (left * (w - tt) + right * tt + rnd) >> shift  # (J, C, C, w)
                y = np.clip(y, self.out.min_code, self.out.max_code)
                E[ks], S[ks] = self.errors(y, uc[:, None, None, :], valid[:, None, None, :], 3)
            k0 += count
        return E, S


    def triple_costs(self, a: int, end: int, g: int, cand: np.ndarray):
        """Order 2, one region (offsets ``a..end-1``, step ``2^g``, candidates ``cand`` of its
        ``m + 2`` nodes): ``(E, S)``, each ``(m, C, C, C)``, per interval and candidate triple
        (its three nodes) the largest error and the summed cost over the interval's codes."""
        m2, c = cand.shape
        m = m2 - 2
        E = np.zeros((m, c, c, c))
        S = np.zeros((m, c, c, c))
        w = 1 << g
        tt = np.arange(w, dtype=np.int64)
        per = max(1, CHUNK // (w * c * c * c))
        for j0 in range(0, m, per):
            j1 = min(m, j0 + per)
            js = np.arange(j0, j1)
            u = a + (js[:, None] << g) + tt[None, :]  # (J, w)
            valid = (u < end)[:, None, None, None, :]
            uc = np.minimum(u, self.n - 1)[:, None, None, None, :]
            y = quadratic(cand[js][:, :, None, None, None], cand[js + 1][:, None, :, None, None],
                          cand[js + 2][:, None, None, :, None], tt, g, self.frac)["shifted"]
            y = np.clip(y, self.out.min_code, self.out.max_code)
            E[js], S[js] = self.errors(y, uc, valid, 4)
        return E, S


def _bottleneck(E: np.ndarray) -> float:
    """The least possible largest interval error along the chain."""
    best = np.zeros(E.shape[1])
    for k in range(E.shape[0]):
        best = np.min(np.maximum(best[:, None], E[k]), axis=0)
    return float(best.min())


def _min_sum(S: np.ndarray, allowed: np.ndarray | None) -> tuple[np.ndarray, float]:
    """Candidate index per node minimizing the summed ``S`` over pairs that are ``allowed``."""
    m1, c, _ = S.shape
    cost = np.zeros(c)
    back = np.empty((m1, c), dtype=np.int64)
    for k in range(m1):
        total = cost[:, None] + S[k]
        if allowed is not None:
            total = np.where(allowed[k], total, np.inf)
        back[k] = np.argmin(total, axis=0)
        cost = total[back[k], np.arange(c)]
    path = np.empty(m1 + 1, dtype=np.int64)
    path[-1] = int(np.argmin(cost))
    for k in range(m1 - 1, -1, -1):
        path[k] = back[k][path[k + 1]]
    return path, float(cost[path[-1]])


def _bottleneck_pairs(E: np.ndarray) -> float:
    """Order 2: the least possible largest interval error along a chain of node triples."""
    best = np.zeros(E.shape[1:3])
    for k in range(E.shape[0]):
        best = np.min(np.maximum(best[:, :, None], E[k]), axis=0)
    return float(best.min())


def _min_sum_pairs(S: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """Order 2: candidate index per node minimizing the summed ``S`` over the triples that are
    ``allowed`` (a dynamic programme over node pairs)."""
    m, c = S.shape[0], S.shape[1]
    cost = np.zeros((c, c))
    back = np.empty((m, c, c), dtype=np.int64)
    for k in range(m):
        total = cost[:, :, None] + S[k]
        if allowed is not None:
            total = np.where(allowed[k], total, np.inf)
        back[k] = np.argmin(total, axis=0)
        cost = np.take_along_axis(total, back[k][None], axis=0)[0]
    path = np.empty(m + 2, dtype=np.int64)
    path[m], path[m + 1] = np.unravel_index(int(np.argmin(cost)), cost.shape)
    for k in range(m - 1, -1, -1):
        path[k] = back[k][path[k + 1], path[k + 2]]
    return path


def solve_nodes2(problem: NodeProblem, starts, steps) -> np.ndarray:
    """Order 2: the node values (int64) of the layout, best for the objective over every code:
    windows of candidates around the LP solution, a DP over node pairs per region (regions own
    their nodes), re-centred while a node sits on its window's edge."""
    counts = region_nodes(starts, steps, problem.n, 2)
    firsts = np.concatenate([[0], np.cumsum(counts)])
    ends = [*starts[1:], problem.n]
    centre = problem.lp_centre(starts, steps)
    offsets = np.arange(-RADIUS2, RADIUS2 + 1, dtype=np.int64)
    for _ in range(MAX_RECENTRES):
        cand = np.clip(centre[:, None] + offsets[None, :], problem.node_lo, problem.node_hi)
        costs = [problem.triple_costs(a, b, g, cand[f0:f1])
                 for a, b, g, f0, f1 in zip(starts, ends, steps, firsts, firsts[1:])]
        bound = max(_bottleneck_pairs(E) for E, _ in costs) if problem.objective == "max" \
            else None
        path = np.concatenate([_min_sum_pairs(S, None if bound is None else E <= bound + 1e-9)
                               for E, S in costs])
        centre, again = _recentred(problem, cand, path, RADIUS2, centre)
        if not again:
            break
    return centre


def _recentred(problem: NodeProblem, cand: np.ndarray, path: np.ndarray, radius: int,
               centre: np.ndarray) -> tuple[np.ndarray, bool]:
    """The candidates the DP chose, and whether to search again around them: a node moved and
    one sits on its window's edge (not at the node type's)."""
    chosen = cand[np.arange(cand.shape[0]), path]
    edge = (np.abs(path - radius) == radius) & (chosen > problem.node_lo) \
        & (chosen < problem.node_hi)
    return chosen, bool(edge.any()) and not np.array_equal(chosen, centre)


def solve_nodes(problem: NodeProblem, starts, steps) -> np.ndarray:
    """The node values (int64) of the layout, best for the objective (see the module doc)."""
    if problem.order == 2:
        return solve_nodes2(problem, starts, steps)
    pos = problem.positions(starts, steps)
    centre = problem.sampled(pos).astype(np.int64)
    offsets = np.arange(-RADIUS, RADIUS + 1, dtype=np.int64)
    step = 1 << max(0, problem.frac - 1)
    while True:
        for _ in range(MAX_RECENTRES):
            cand = np.clip(centre[:, None] + offsets[None, :] * step, problem.node_lo,
                           problem.node_hi)
            E, S = problem.interval_costs(starts, steps, cand)
            allowed = None
            if problem.objective == "max":
                bound = _bottleneck(E)
                allowed = E <= bound + 1e-9
            path, _ = _min_sum(S, allowed)
            centre, again = _recentred(problem, cand, path, RADIUS, centre)
            if not again:
                break
        if step == 1:
            return centre
        step >>= 1


# --- the fit -------------------------------------------------------------------------------------

def flat_ends(rounded: np.ndarray) -> tuple[int, int]:
    """``(first, last)``: the innermost codes of the runs of one value at either end of
    ``rounded`` (the whole array when it holds one value: ``(0, 0)``)."""
    n = rounded.size
    if np.all(rounded == rounded[0]):
        return 0, 0
    first = int(np.argmax(rounded != rounded[0])) - 1
    last = n - int(np.argmax(rounded[::-1] != rounded[-1]))
    return first, last


def _model(spec, problem: NodeProblem, layout) -> InterpModel:
    starts, steps = layout
    nodes = solve_nodes(problem, starts, steps)
    model = InterpModel(spec.input, spec.output, problem.lo_code, problem.hi_code, starts, steps,
                        problem.frac, problem.node_bits, problem.node_signed,
                        tuple(int(v) - problem.base for v in nodes), problem.order, problem.base)
    model.check()
    return _settled(model)


def _settled(model: InterpModel) -> InterpModel:
    """The model with every node no code reads (a code at ``t = 0`` reads its left node alone)
    continued from the nodes before it (second difference 0; order 1: the previous value), so
    the C and Verilog widths are not widened by values the search was free to pick. The same
    output on every code."""
    v = model.intermediates(np.arange(model.lo_code, model.hi_code + 1, dtype=np.int64))
    k, moving = v["k"], v["t"] > 0
    used = np.zeros(len(model.nodes), dtype=bool)
    used[k] = True
    for step in range(1, model.order + 1):
        used[k[moving] + step] = True
    if used.all():
        return model
    lo, hi = model.node_range()
    nodes = list(model.nodes)
    for j in np.flatnonzero(~used):
        if j >= 2 and model.order == 2:
            nodes[j] = min(max(2 * nodes[j - 1] - nodes[j - 2], lo), hi)
        elif j >= 1:
            nodes[j] = nodes[j - 1]
    settled = dataclasses.replace(model, nodes=tuple(nodes))
    settled.check()
    same = np.array_equal(settled.evaluate(np.arange(model.lo_code, model.hi_code + 1)),
                          model.evaluate(np.arange(model.lo_code, model.hi_code + 1)))
    return settled if same else model


def fit_interp(spec, progress: bool = False):
    """``(model, info)`` for ``spec`` (see the module doc for how the layout is chosen)."""
    from approxgen.metrics import measure

    codes = spec.domain_codes()
    reference = spec.reference(codes)
    targets = target(spec, codes) / spec.output.scale
    problem = NodeProblem(spec, targets, trim=True)
    scale = 2.0 ** -problem.frac
    order = problem.order
    layouts = Layouts(problem.inner, max_regions=spec.max_regions or MAX_REGIONS,
                      uniform=spec.search == "uniform",
                      bounds=(problem.node_lo * scale, problem.node_hi * scale), order=order,
                      longest=problem.longest,
                      intervals=spec.max_bytes is None and spec.segments != "auto")
    taus = layouts.thresholds()
    node_bytes = problem.node_bits // 8
    max_bytes = spec.max_bytes
    n = problem.n

    cache: dict = {}
    def intervals(layout) -> int:
        return layout_nodes(*layout, n, order) - (1 if order == 1 else 2 * len(layout[0]))

    def fits(layout) -> bool:
        return ((spec.segments == "auto" or intervals(layout) <= spec.segments)
                and (max_bytes is None or layout_bytes(layout, n, node_bytes, order) <= max_bytes))

    def fitted(layout):
        if layout not in cache:
            model = _model(spec, problem, layout)
            cache[layout] = (model, measure(model.evaluate(codes), reference, spec.output))
        return cache[layout]

    def at(i: int):
        return layouts.layout(float(taus[i]))

    def size(model) -> str:
        nbytes = layout_bytes((model.starts, model.steps), n, node_bytes, order)
        return f"{len(model.nodes)} nodes, {nbytes} bytes"

    where = spec.at("max_bytes" if max_bytes is not None else "segments")
    notes = []
    if spec.segments == "auto" and (spec.max_error_lsb is not None or max_bytes is None):
        # the fewest nodes meeting max_error_lsb (objective rounding alone: no mismatch)
        budget = spec.max_error_lsb
        goal = (f"max_error_lsb {budget:g}" if budget is not None
                else "the correctly rounded table (objective rounding)")

        def meets(layout) -> bool:
            m = fitted(layout)[1]
            return m["max_error_lsb"] <= budget if budget is not None else m["mismatches"] == 0

        if not meets(at(0)):
            raise ApproxgenError(f"no interp layout meets {goal} (step 1 everywhere gives "
                                 f"{fitted(at(0))[1]['max_error_lsb']:.4f} LSB, "
                                 f"{fitted(at(0))[1]['mismatches']} mismatches)",
                                 spec.at("max_error_lsb" if budget is not None else "objective"))
        lo, hi = 0, taus.size - 1  # at(lo) meets the goal
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if meets(at(mid)) else (lo, mid - 1)
        model = fitted(at(lo))[0]
        if not fits((model.starts, model.steps)):
            raise ApproxgenError(f"{goal} needs {size(model)}, more than max_bytes allows",
                                 where)
        notes.append(f"segments auto: {size(model)} meet {goal}; tried {len(cache)} layouts")
    else:
        lo, hi = 0, taus.size - 1
        if not fits(at(hi)):
            least = at(hi)
            raise ApproxgenError(f"the smallest interp layout over {n} codes needs "
                                 f"{layout_nodes(*least, n, order)} nodes, "
                                 f"{layout_bytes(least, n, node_bytes, order)} bytes: more than "
                                 f"{'max_bytes' if max_bytes is not None else 'segments'} "
                                 f"allows", where)
        while lo < hi:  # the lowest threshold whose layout fits
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if fits(at(mid)) else (mid + 1, hi)
        # the estimate ranks layouts only roughly: fit the first few that fit, keep the best
        key = {"max": "max_error_lsb", "mse": "mse", "rounding": "mismatches"}[spec.objective]
        candidates = {layouts.refine(at(i), fits) for i in range(lo, min(lo + CANDIDATES,
                                                                         taus.size))}
        # and at the lowest threshold, the fewest nodes of every other region count
        candidates |= {layouts.refine(layout, fits) for layout in layouts.per_regions(taus[lo])
                       if fits(layout)}
        model = min((fitted(c) for c in sorted(candidates)),
                    key=lambda row: (row[1][key], row[1]["max_error_lsb"],
                                    row[0].regions, len(row[0].nodes)))[0]
        why = f"max_bytes {max_bytes}" if max_bytes is not None else f"segments {spec.segments}"
        notes.append(f"{why}: {size(model)}, the best of {len(candidates)} layouts that fit")
    info = {"method": spec.search, "seed": spec.seed,
            "settings": {"max_regions": layouts.max_regions,
                         "radius": RADIUS if order == 1 else RADIUS2, "order": order},
            "notes": notes}
    return model, info


def fit_orders(spec, progress: bool = False):
    """``order: auto``: both orders fitted, the better for the objective kept (ties: the lower
    max error, then fewer table bytes; with ``max_error_lsb`` alone, fewer bytes first); an
    order that cannot meet the budget is skipped (when neither can, the first error is raised)."""
    from approxgen.metrics import measure

    codes = spec.domain_codes()
    reference = spec.reference(codes)
    key = {"max": "max_error_lsb", "mse": "mse", "rounding": "mismatches"}[spec.objective]
    fewest = spec.segments == "auto" and (spec.max_error_lsb is not None
                                          or spec.max_bytes is None)
    rows, failure = [], None
    for order in (1, 2):
        try:
            model, info = fit_interp(spec.with_keys(order=order), progress)
        except ApproxgenError as exc:
            failure = failure or exc
            continue
        m = measure(model.evaluate(codes), reference, spec.output)
        nbytes = len(model.nodes) * model.node_bits // 8
        rank = ((nbytes, m[key], m["max_error_lsb"]) if fewest
                else (m[key], m["max_error_lsb"], nbytes))
        rows.append((rank, order, model, info, m))
    if not rows:
        raise failure
    rows.sort(key=lambda row: row[:2])
    (_, order, model, info, m), others = rows[0], rows[1:]
    info["notes"].append("order auto: order " + str(order) + " kept" + "".join(
        f" (order {o}: {om['max_error_lsb']:.4f} LSB, {len(mo.nodes) * mo.node_bits // 8} "
        f"bytes)" for _, o, mo, _, om in others))
    return model, info


def fit_form(spec, progress: bool, weights=None):
    """``(model, search info)`` of ``form: interp`` (:attr:`approxgen.forms.Form.fitter`)."""
    if spec.order == "auto":
        return fit_orders(spec, progress)
    return fit_interp(spec, progress)
