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
the minimax centre of the integer residual (saturated codes bounding it from one side), every
candidate judged on the golden model's integer outputs in one vectorized pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from approxgen.fit.problem import Evaluation, PwlProblem
from approxgen.fixedpoint import signed_bits
from approxgen.metrics import target
from approxgen.forms.quadratic import QuadraticModel

GUARD_BITS = 3  # s, s1: the inner floor and a's rounding cost <= 2^-3 LSB on an average segment
LAWSON_STEPS = 30
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


def _real_fit(d: np.ndarray, t: np.ndarray, objective: str, lo: float = -np.inf,
              hi: float = np.inf) -> np.ndarray:
    """(A, B, C) of ``A d^2 + B d + C`` fitting ``t`` (LS, or minimax by Lawson's IRLS).

    Where ``t`` sits on an output bound (``lo`` or ``hi``) the output saturates, so only one side
    of the error counts there: each step refits with those targets moved to the curve wherever it
    overshoots the bound (a saturating tail then costs nothing, instead of bending the curve).
    """
    n = d.size
    scale = max(1.0, float(d.max()))
    u = d / scale
    basis = np.stack([u * u, u, np.ones_like(u)], axis=1)[:, 3 - min(3, n):]
    coef = np.linalg.lstsq(basis, t, rcond=None)[0]
    above, below = t >= hi, t <= lo
    one_sided = bool(above.any() or below.any())
    if (objective == "max" and n > 3) or one_sided:
        goal, w = t, np.full(n, 1.0 / n)
        for _ in range(LAWSON_STEPS):
            sw = np.sqrt(w)
            coef = np.linalg.lstsq(basis * sw[:, None], goal * sw, rcond=None)[0]
            p = basis @ coef
            if one_sided:
                goal = np.where((above & (p > t)) | (below & (p < t)), p, t)
            if objective == "max" and n > 3:
                w = w * np.abs(p - goal) + (np.finfo(float).tiny if one_sided else 0.0)
                total = w.sum()
                if not np.isfinite(total) or total <= 0:
                    break
                w /= total
    coef = np.concatenate([np.zeros(3 - coef.size), coef])
    return coef / np.array([scale * scale, scale, 1.0])


def solve_quadratic(d: np.ndarray, t: np.ndarray, objective: str, shift: int, inner: int,
                    out) -> QuadSegment:
    """Best integer ``(a, b, c)`` for offsets ``d`` (>= 0) and targets ``t`` (LSB)."""
    d = np.asarray(d, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    clipped = np.clip(t, out.min_code - 0.5, out.max_code + 0.5)
    A, B, _ = _real_fit(d.astype(np.float64), clipped, objective, out.min_code, out.max_code)
    a0 = int(round(A * 2.0 ** (shift + inner)))
    b0 = int(round(B * 2.0 ** shift))
    da, db = np.meshgrid(np.arange(-A_RADIUS, A_RADIUS + 1), np.arange(-B_RADIUS, B_RADIUS + 1),
                         indexing="ij")
    a = (a0 + da.ravel()).astype(np.int64)
    b = (b0 + db.ravel()).astype(np.int64)
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
    rounding = (1 << (shift - 1)) if shift else 0
    y = np.clip((p2[pair] + (c + rounding)[:, None]) >> shift, out.min_code, out.max_code)
    err = y - t[None, :]
    max_err = np.abs(err).max(axis=1)
    sse = np.sum(err * err, axis=1)
    primary, secondary = (max_err, sse) if objective == "max" else (sse, max_err)
    best = int(np.lexsort((np.abs(c), secondary, primary))[0])
    return QuadSegment(int(a[pair[best]]), int(b[pair[best]]), int(c[best]), float(primary[best]),
                       float(max_err[best]), float(sse[best]))


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


def fit_quadratic(spec, progress: bool = False):
    """``(model, info)``: the spec's segment count (or, with ``segments: auto``, the fewest that
    meet ``max_error_lsb``, counting up by bisection) placed by the spec's search."""
    from approxgen.fit import place
    from approxgen.fit.auto import least_count
    from approxgen.metrics import measure

    problem_class = QuadraticProblem
    if spec.objective == "rounding":
        from approxgen.fit.rounding import RoundingQuadraticProblem, fit_exact

        problem_class = RoundingQuadraticProblem
        if spec.segments == "auto":
            return fit_exact(spec, problem_class)

    def run(k: int):
        return place(spec, problem_class(spec, k), progress)

    if spec.segments != "auto":
        return run(spec.segments)
    codes = spec.domain_codes()
    reference = spec.reference(codes)
    budget, n = spec.max_error_lsb, codes.size
    tried: dict[int, tuple] = {}

    def attempt(k: int) -> bool:
        if k not in tried:
            model, info = run(k)
            tried[k] = (model, info,
                        measure(model.evaluate(codes), reference, spec.output)["max_error_lsb"])
        return tried[k][2] <= budget

    hi = least_count(attempt, n, budget, spec.at("max_error_lsb"))
    model, info, _ = tried[hi]
    return model, dict(info, notes=info["notes"] + [
        f"segments auto: {hi} segments meet max_error_lsb {budget:g}; tried {sorted(tried)}"])
