"""``objective: rounding``: minimise mismatches, the codes whose output differs from the correctly
rounded table ``T``.

Outputs and ``T`` are integers, so ``|y - T| < 1/2`` on a segment means ``y == T`` there: a segment
is fitted by the form's own minimax integer solver against ``T`` (targets ``T``, objective
``max``), which finds a mismatch-free fit whenever one exists for the solver's candidates (for
``pwl`` with a shared slope set, every slope: proven); its cost is the fit's mismatch count (a
heuristic minimum when no exact fit exists). Segment costs add up, so the searches minimise the
total.

Exact feasibility is hereditary (coefficients exact on a segment are exact on any part of it), so
with ``segments: auto`` greedy maximal segments (:func:`fewest_exact_segments`) give the fewest
segments bit-identical to ``T``; a single code no fit reproduces means the coefficient widths
cannot do it at all, said plainly.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fit.problem import PwlProblem
from approxgen.fit.quadratic import QuadraticProblem, solve_quadratic
from approxgen.fit.segment import solve_segment
from approxgen.metrics import correctly_rounded
from approxgen.model import pwl_output

AUTO_ROUNDS = 6  # re-derive the count-dependent shifts this many times at most


class _Rounding:
    """Mixin over a form's problem: targets become the correctly rounded table, costs mismatches."""

    def _setup(self) -> None:
        self.table = correctly_rounded(self.spec.reference(self.codes), self.spec.output)

    def lower_bounds(self, cuts):
        return None  # mismatch counts have no cheap bound: every segment is solved

    def solve_many(self, firsts, lasts) -> None:
        for first, last in zip(firsts, lasts):
            self.segment(int(first), int(last))

    def segment(self, first: int, last: int):
        key = (first, last)
        hit = self._cache.get(key)
        if hit is None:
            i, j = first - self.lo, last - self.lo + 1
            fit, y = self._solve(i, j, first)
            hit = dataclasses.replace(fit, cost=float(np.count_nonzero(y != self.table[i:j])))
            self._cache[key] = hit
        return hit


class RoundingPwlProblem(_Rounding, PwlProblem):
    def __init__(self, spec, segments: int, shift: int | None = None, weights=None):
        super().__init__(spec, segments, shift, weights)
        self._setup()

    def _solve(self, i, j, first):
        q, table = self.codes[i:j], self.table[i:j].astype(np.float64)
        fit = solve_segment(self.arith, q, table, "max", self.slopes)
        y = pwl_output(fit.slope, fit.intercept, q, self.arith.intercept_shift, self.arith.shift,
                       self.spec.output)
        return fit, y


class RoundingQuadraticProblem(_Rounding, QuadraticProblem):
    guard = 6  # exactness wants the precision: wide greedy segments meet the table more often
    def __init__(self, spec, segments: int):
        super().__init__(spec, segments)
        self._setup()

    def _solve(self, i, j, first):
        d, table = self.codes[i:j] - first, self.table[i:j].astype(np.float64)
        out = self.spec.output
        fit = solve_quadratic(d, table, "max", self.shift, self.inner_shift, out)
        rounding = (1 << (self.shift - 1)) if self.shift else 0
        acc = (((fit.a * d) >> self.inner_shift) + fit.b) * d + fit.c + rounding
        return fit, np.clip(acc >> self.shift, out.min_code, out.max_code)


def greedy_exact(problem) -> list[int] | None:
    """Breakpoints of greedy maximal mismatch-free segments (the fewest, since exactness is
    hereditary), or ``None`` when some single code has no exact fit."""
    lo, hi = problem.lo, problem.hi
    cuts, start = [], lo
    while start <= hi:
        if problem.segment(start, start).cost > 0:
            return None
        good, bad = start, hi + 1  # segment start..good is exact; start..bad is not (or past hi)
        if problem.segment(start, hi).cost == 0:
            good = hi
        else:
            bad = hi
            while bad - good > 1:
                mid = (good + bad) // 2
                good, bad = (mid, bad) if problem.segment(start, mid).cost == 0 else (good, mid)
        start = good + 1
        if start <= hi:
            cuts.append(start)
    return cuts


def fewest_exact_segments(spec, problem_class, guess: int = 8):
    """``(problem, breakpoints)``: the fewest segments bit-identical to the correctly rounded
    table. The shifts depend on the count, so the count is re-derived until it is stable."""
    n = spec.domain[1] - spec.domain[0] + 1
    count, tried = min(guess, n), []
    for _ in range(AUTO_ROUNDS):
        problem = problem_class(spec, count)
        cuts = greedy_exact(problem)
        tried.append(count)
        if cuts is None:
            raise ApproxgenError(
                f"objective rounding is infeasible at these coefficient widths: no {spec.form} "
                f"fit reproduces the correctly rounded table at some single code (shifts for "
                f"{count} segments)", spec.at("objective"))
        if len(cuts) + 1 == count:
            return _fewer(spec, problem_class, problem, cuts)
        count = len(cuts) + 1
    raise ApproxgenError(f"objective rounding: the segment count did not settle (tried "
                         f"{tried}); give segments explicitly", spec.at("segments"))


def _fewer(spec, problem_class, problem, cuts):
    """Fewer segments may be exact with the finer shifts of a smaller count: try counts below
    until greedy needs more segments than the count it was built for."""
    k = len(cuts)
    while k >= 1:
        smaller = problem_class(spec, k)
        found = greedy_exact(smaller)
        if found is None or len(found) + 1 > k:
            break
        if len(found) + 1 == k:
            problem, cuts = smaller, found
        k -= 1
    return problem, cuts


def fit_exact(spec, problem_class):
    """``(model, info)`` for ``segments: auto`` with ``objective: rounding``."""
    problem, cuts = fewest_exact_segments(spec, problem_class)
    evaluation = problem.evaluate(cuts)
    model = problem.model(evaluation)
    note = (f"segments auto, objective rounding: {model.segments} segments bit-identical to the "
            f"correctly rounded table, the fewest for the segment solver (greedy maximal exact "
            f"segments)")
    return model, {"method": spec.search, "seed": spec.seed, "settings": {"greedy": True},
                   "notes": [note]}
