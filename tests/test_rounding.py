"""objective: rounding — mismatches against the correctly rounded table, by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.errors import ApproxgenError
from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.fit.rounding import (RoundingPwlProblem, RoundingQuadraticProblem, greedy_exact)
from approxgen.metrics import correctly_rounded
from approxgen.model import pwl_output
from conftest import fit_raw

TINY = {"function": "gelu", "input": {"bits": 5, "signed": True, "scale": 2 ** -2},
        "output": {"bits": 5, "signed": True, "scale": 2 ** -2},
        "fold": "none"}  # brute force over the whole domain (folded fits: tests/test_fold.py)
FIXED = dict(TINY, coef_format={"slope": "4:2", "intercept": "5:2"})


def resolve(**raw):
    return specs.resolve(raw, "<test>")


def brute_best(problem, segments: int) -> float:
    """The least total mismatches over every breakpoint set (segment solver costs)."""
    lo, hi = problem.lo, problem.hi
    best = np.inf
    for bps in itertools.combinations(range(lo + 1, hi + 1), segments - 1):
        best = min(best, problem.evaluate(bps).objective)
    return best


@pytest.mark.parametrize("cls,form", [(RoundingPwlProblem, "pwl"),
                                      (RoundingQuadraticProblem, "quadratic")])
@pytest.mark.parametrize("segments", [1, 2, 3])
def test_exact_search_finds_the_brute_force_minimum(cls, form, segments):
    raw = dict(TINY, form=form, segments=segments, search="exact", objective="rounding")
    spec = resolve(**raw)
    problem = cls(spec, segments)
    f = fit_raw(**raw)
    assert f.metrics["mismatches"] == round(brute_best(problem, segments) * problem.n_codes)


def test_pwl_segment_feasibility_against_every_integer_pair():
    """With a fixed format every (slope, intercept) is enumerable: the solver calls a segment
    exact exactly when some pair reproduces the table on it."""
    spec = resolve(**FIXED, segments=2, objective="rounding")
    arith = PwlArithmetic.for_spec(spec, 2)
    problem = RoundingPwlProblem(spec, 2)
    codes = spec.domain_codes()
    table = correctly_rounded(spec.reference(codes), spec.output)
    (klo, khi), (mlo, mhi) = arith.slope_bounds, arith.intercept_bounds
    k, m = np.meshgrid(np.arange(klo, khi + 1), np.arange(mlo, mhi + 1), indexing="ij")
    k, m = k.ravel()[:, None], m.ravel()[:, None]
    for first, last in [(a, b) for a in range(spec.domain[0], spec.domain[1] + 1, 3)
                        for b in range(a, spec.domain[1] + 1, 2)]:
        i, j = first - spec.domain[0], last - spec.domain[0] + 1
        y = pwl_output(k, m, codes[None, i:j], arith.intercept_shift, arith.shift, spec.output)
        exists = bool(np.any(np.all(y == table[None, i:j], axis=1)))
        assert (problem.segment(first, last).cost == 0) == exists, (first, last)


@pytest.mark.parametrize("form", ["pwl", "quadratic"])
def test_auto_gives_the_fewest_exact_segments(form):
    f = fit_raw(**TINY, form=form, segments="auto", objective="rounding")
    assert f.metrics["mismatches"] == 0
    k = f.model.segments
    cls = RoundingPwlProblem if form == "pwl" else RoundingQuadraticProblem
    if k > 1:  # no breakpoint set of k - 1 segments is exact (at that count's shifts)
        spec = resolve(**TINY, form=form, segments=k - 1, objective="rounding")
        assert brute_best(cls(spec, k - 1), k - 1) > 0


def test_int8_auto_rounding_bit_identical():
    f = fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, form="quadratic",
                segments="auto", objective="rounding")
    assert f.metrics["mismatches"] == 0 and f.model.segments <= 8


def test_infeasible_widths_are_said_plainly():
    raw = dict(TINY, coef_format={"slope": "2:0", "intercept": "2:0"}, segments="auto",
               objective="rounding")
    with pytest.raises(ApproxgenError, match="infeasible at these coefficient widths"):
        fit_raw(**raw)


def test_auto_without_budget_needs_rounding():
    with pytest.raises(ApproxgenError, match="objective: rounding"):
        resolve(**TINY, segments="auto")


def test_greedy_none_when_a_code_is_unreachable():
    spec = resolve(**dict(TINY, coef_format={"slope": "2:0", "intercept": "2:0"}), segments=2,
                   objective="rounding")
    assert greedy_exact(RoundingPwlProblem(spec, 2)) is None
