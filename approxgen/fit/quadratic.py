"""Fitting ``form: quadratic``: a per-segment integer solver and the problem the searches use.

:class:`QuadraticProblem` offers the methods every search calls on
:class:`~approxgen.fit.problem.PwlProblem` (``evaluate``, ``segment``, ``segment_costs``,
``objectives``, ``reduce``, ``is_valid``, ``model``; no shared slope set), so ``uniform``,
``exact``, ``pso`` and ``ga`` place the breakpoints of quadratics unchanged.

Segment solve (:func:`solve_quadratic`): the real quadratic in the local offset ``d`` (least squares
for ``mse``; minimax by Lawson's iteratively reweighted least squares for ``max``) on targets
clipped to what saturation can reach, a target on the top (bottom) output code counting only when
the curve falls below (rises above) it, rounded to the coefficient formats; then an integer search
around it: ``a`` and ``b`` within a few units, and for each pair the constant ``c`` on a grid around
the minimax centre of the integer residual (saturated codes bounding it from one side), and the
line ``a = 0`` beside them (never worse than the line the form can represent), every candidate
judged on the golden model's integer outputs in one vectorized pass. The real fits solve their
normal equations in Python floats, no BLAS: a proposal's bits, and so the result, are the same
on every CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.fit.problem import Evaluation, PwlProblem
from approxgen.fit.segment import SegmentFit, solve_segment
from approxgen.fixedpoint import IntFormat, signed_bits
from approxgen.metrics import target
from approxgen.forms.quadratic import QuadraticModel

GUARD_BITS = 3  # s, s1: the inner floor and a's rounding cost <= 2^-3 LSB on an average segment
LAWSON_STEPS = 30
LAWSON_PATIENCE = 4  # steps without a 1e-4 gain in the largest residual end the iteration
A_RADIUS, B_RADIUS, C_STEPS = 1, 2, 8


@dataclass(frozen=True)
class QuadSegment:
    a: int
    b: int
    c: int
    cost: float  # the objective: max |y - t| or sum (y - t)^2
    max_error: float
    sse: float


def shifts_for(n_codes: int, segments: int, guard: int = GUARD_BITS) -> tuple[int, int]:
    """``(s, s1)`` for ``segments`` segments over ``n_codes`` codes (see the form's docstring)."""
    width = max(1.0, n_codes / segments)
    log_w = math.ceil(math.log2(width)) if width > 1 else 0
    return log_w + guard, log_w + guard


def _solve3(m: list[list[float]], v: list[float]) -> list[float] | None:
    """Solve the small system ``m x = v`` by Gaussian elimination with partial pivoting, in
    Python floats (IEEE double, the same on every CPU: no BLAS or LAPACK kernel is picked)."""
    n = len(v)
    a = [list(row) + [rhs] for row, rhs in zip(m, v)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: (abs(a[r][col]), -r))
        if a[pivot][col] == 0.0:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            f = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= f * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def _powers(u: np.ndarray, degree: int) -> np.ndarray:
    """Rows ``u^0 .. u^(2 degree)`` by products (``np.power``'s SIMD kernel varies by CPU)."""
    rows = [np.ones_like(u)]
    for _ in range(2 * degree):
        rows.append(rows[-1] * u)
    return np.stack(rows)


def _weighted_poly(powers: np.ndarray, t: np.ndarray, w: np.ndarray, degree: int) -> np.ndarray:
    """Coefficients (highest power first) of the weighted least-squares polynomial of
    ``degree`` through ``(u, t)`` (``powers``: :func:`_powers` of ``u``), from the normal
    equations summed with ``np.sum`` (no BLAS)."""
    moments = np.sum(powers * w, axis=1).tolist()
    rhs = np.sum(powers[:degree + 1] * (w * t), axis=1).tolist()
    x = _solve3([[moments[i + j] for j in range(degree + 1)] for i in range(degree + 1)], rhs)
    if x is None:  # degenerate (one distinct point): a constant
        x = [float(np.sum(w * t) / np.sum(w))] + [0.0] * degree
    return np.array(x[::-1], dtype=np.float64)


def _real_fit(d: np.ndarray, t: np.ndarray, objective: str, lo: float = -np.inf,
              hi: float = np.inf, degree: int = 2) -> np.ndarray:
    """(A, B, C) of ``A d^2 + B d + C`` fitting ``t`` (LS, or minimax by Lawson's IRLS); with
    ``degree`` 1, ``A = 0``. A proposal only: the integer search around it decides.

    Where ``t`` sits on an output bound (``lo`` or ``hi``) the output saturates, so only one side
    of the error counts there: each step refits with those targets moved to the curve wherever it
    overshoots the bound (a saturating tail then costs nothing, instead of bending the curve).
    Every step is element-wise numpy and ``np.sum`` (the same bits on every CPU).
    """
    n = d.size
    degree = min(degree, n - 1)
    if degree < 0:
        return np.zeros(3)
    scale = max(1.0, float(d.max()))
    u = d / scale
    powers = _powers(u, degree)
    w = np.full(n, 1.0 / n)
    coef = _weighted_poly(powers, t, w, degree)
    above, below = t >= hi, t <= lo
    one_sided = bool(above.any() or below.any())
    spread = 1e-9 * (1.0 + float(np.max(np.abs(t))))  # residuals below this: already exact
    if (objective == "max" and n > degree + 1) or one_sided:
        goal, best, stalled = t, np.inf, 0
        for _ in range(LAWSON_STEPS):
            coef = _weighted_poly(powers, goal, w, degree)
            p = np.polyval(coef, u)
            if one_sided:
                goal = np.where((above & (p > t)) | (below & (p < t)), p, t)
            if objective == "max" and n > degree + 1:
                r = np.abs(p - goal)
                worst = float(np.max(r))
                if worst <= spread or worst > best * (1 - 1e-4):
                    stalled += 1
                    if worst <= spread or stalled >= LAWSON_PATIENCE:
                        break
                else:
                    stalled = 0
                best = min(best, worst)
                w = w * r
                total = float(np.sum(w))
                if not np.isfinite(total) or total <= 0:
                    break
                # a floor keeps every code in play (Lawson's weights may collapse to zero)
                w = np.maximum(w / total, 1e-12)
                w = w / float(np.sum(w))
    coef = np.concatenate([np.zeros(3 - coef.size), coef])
    return coef / np.array([scale * scale, scale, 1.0])


def solve_quadratic(d: np.ndarray, t: np.ndarray, objective: str, shift: int, inner: int,
                    out) -> QuadSegment:
    """Best integer ``(a, b, c)`` for offsets ``d`` (>= 0) and targets ``t`` (LSB).

    Candidates come from two real proposals, the quadratic (searched around on the integer grid)
    and the line (``a = 0``): for ``max`` the pwl segment solver's best line at the same shift,
    slopes around the real line's, each with its optimal intercept (so the quadratic is never
    worse than that line, which it can represent); for ``mse`` three slopes around it. The
    golden model's outputs judge every candidate; exact ties go to the smaller ``|a|``, ``|b|``, ``|c|`` (then
    the smaller values), integers only.
    """
    d = np.asarray(d, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    clipped = np.clip(t, out.min_code - 0.5, out.max_code + 0.5)
    dd = d.astype(np.float64)
    A, B, _ = _real_fit(dd, clipped, objective, out.min_code, out.max_code)
    a0, b0 = int(round(A * 2.0 ** (shift + inner))), int(round(B * 2.0 ** shift))
    da, db = np.meshgrid(np.arange(-A_RADIUS, A_RADIUS + 1), np.arange(-B_RADIUS, B_RADIUS + 1),
                         indexing="ij")
    pairs = [np.stack([a0 + da.ravel(), b0 + db.ravel()], axis=1)]
    _, B1, _ = _real_fit(dd, clipped, "mse", out.min_code, out.max_code, degree=1)
    b1 = int(round(B1 * 2.0 ** shift))  # the least-squares line: a centre for the slopes
    if objective == "max":  # the line's exact intercepts: cheap for max (a binary search)
        line = _best_line(d, t, objective, shift, out,
                          b1 + np.arange(-B_RADIUS, B_RADIUS + 1))
        pairs.append(np.array([[0, line.slope]]))
    else:  # (mse's exact intercept sweep would cost more than the whole solve)
        pairs.append(np.stack([np.zeros(3, dtype=np.int64), b1 + np.arange(-1, 2)], axis=1))
    ab = np.array(sorted(set(map(tuple, np.concatenate(pairs).tolist()))), dtype=np.int64)
    a, b = ab[:, 0], ab[:, 1]
    p2 = (((a[:, None] * d[None, :]) >> inner) + b[:, None]) * d[None, :]  # (pairs, codes)
    residual = clipped[None, :] * float(1 << shift) - p2
    # c's minimax centre: a code whose target is saturated limits c from one side only
    top = np.where(clipped <= out.min_code, -np.inf, residual).max(axis=1)
    bottom = np.where(clipped >= out.max_code, np.inf, residual).min(axis=1)
    top, bottom = np.where(np.isfinite(top), top, bottom), np.where(np.isfinite(bottom), bottom,
                                                                     top)
    centre = np.round((top + bottom) / 2.0).astype(np.int64)
    step = max(1, (1 << shift) >> 4)
    offsets = np.arange(-C_STEPS, C_STEPS + 1, dtype=np.int64) * step
    c = (centre[:, None] + offsets[None, :]).reshape(-1)  # (pairs * steps)
    pair = np.repeat(np.arange(a.size), offsets.size)
    a, b = a[pair], b[pair]
    p2 = p2[pair]
    if objective == "max":
        a, b, c = np.r_[a, 0], np.r_[b, line.slope], np.r_[c, line.intercept]
        p2 = np.concatenate([p2, (line.slope * d)[None, :]])
    rounding = (1 << (shift - 1)) if shift else 0
    y = np.clip((p2 + (c + rounding)[:, None]) >> shift, out.min_code, out.max_code)
    err = y - t[None, :]
    max_err = np.abs(err).max(axis=1)
    sse = np.sum(err * err, axis=1)
    primary, secondary = (max_err, sse) if objective == "max" else (sse, max_err)
    best = int(np.lexsort((c, b, a, np.abs(c), np.abs(b), np.abs(a), secondary, primary))[0])
    return QuadSegment(int(a[best]), int(b[best]), int(c[best]), float(primary[best]),
                       float(max_err[best]), float(sse[best]))


def _best_line(d: np.ndarray, t: np.ndarray, objective: str, shift: int, out,
               slopes: np.ndarray) -> SegmentFit:
    """The pwl segment solver's best line ``sat((b d + c + 2^(s-1)) >> s)`` among ``slopes``, each
    with its optimal intercept: the quadratic with ``a = 0`` in the same arithmetic."""
    span = IntFormat(max(2, int(d.max()).bit_length() + 1), True, 1.0)
    return solve_segment(PwlArithmetic(span, out, shift, 0, None, None), d, t, objective,
                         np.asarray(slopes, dtype=np.int64))


class QuadraticProblem(PwlProblem):
    """A quadratic fitting problem: the same interface as :class:`PwlProblem` for the searches."""

    guard = GUARD_BITS

    def __init__(self, spec, segments: int):
        self.spec = spec
        self.segments = segments
        self.objective = spec.objective
        self.codes = spec.domain_codes()
        self.targets = target(spec, self.codes) / spec.output.scale  # sat(f), in LSB
        self.lo, self.hi = spec.domain
        self.slopes = None  # no shared candidate set: searches use the segment solver
        self.weights, self.total, self._prefix = None, float(self.n_codes), None  # unweighted
        self.shift, self.inner_shift = shifts_for(self.n_codes, segments, self.guard)
        self._cache: dict[tuple[int, int], QuadSegment] = {}

    def segment(self, first: int, last: int) -> QuadSegment:
        key = (first, last)
        hit = self._cache.get(key)
        if hit is None:
            i, j = first - self.lo, last - self.lo + 1
            hit = solve_quadratic(self.codes[i:j] - first, self.targets[i:j], self.objective,
                                  self.shift, self.inner_shift, self.spec.output)
            self._cache[key] = hit
        return hit

    def lower_bounds(self, cuts):
        return None  # no bounds for quadratics: the exact search solves every segment

    def solve_many(self, firsts, lasts) -> None:
        for first, last in zip(firsts, lasts):
            self.segment(int(first), int(last))

    def model(self, evaluation: Evaluation) -> QuadraticModel:
        segs = evaluation.segments
        coefs = {k: tuple(getattr(f, k) for f in segs) for k in ("a", "b", "c")}
        bits = {f"{k}_bits": signed_bits(min(v), max(v)) for k, v in coefs.items()}
        model = QuadraticModel(self.spec.input, self.spec.output, self.lo, self.hi,
                               evaluation.breakpoints, **coefs, shift=self.shift,
                               inner_shift=self.inner_shift, **bits)
        model.check()
        return model
