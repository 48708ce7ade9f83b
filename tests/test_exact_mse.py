"""The exact mse search's fast paths: the correctly rounded floor reached on every code, and the
batched closed form, against brute force and the slow path."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.fitting import fit
from approxgen.fit.problem import PwlProblem
from approxgen.search import exact, run

AUTO = {"function": "gelu", "input": {"bits": 5, "scale": "2^-2"}, "output": {"bits": 6},
        "objective": "mse", "fold": "none"}  # automatic format: a reach oracle


def floor_sse(problem) -> float:
    t, out = problem.targets, problem.arith.output
    err = t - np.clip(np.floor(t + 0.5), out.min_code, out.max_code)
    return float(np.sum(err * err))


def brute_force(problem) -> float:
    sets = np.array(list(itertools.combinations(range(problem.lo + 1, problem.hi + 1),
                                                problem.segments - 1)), dtype=np.int64)
    return float(problem.objectives(sets).min())


@pytest.mark.parametrize("segments", [2, 3, 4])
def test_exact_mse_equals_brute_force_with_and_without_the_floor(segments):
    spec = specs.resolve(AUTO, "<test>")
    problem = PwlProblem(spec, segments)
    assert problem.reach is not None
    best = brute_force(problem)
    result = run("exact", PwlProblem(spec, segments), {}, 0)
    assert problem.evaluate(result.breakpoints).objective == pytest.approx(best, rel=1e-12)
    at_floor = best * problem.total <= floor_sse(problem) * (1 + 1e-12)
    assert (exact._floor_cover(PwlProblem(spec, segments)) is not None) == at_floor


def test_the_floor_cover_is_taken_when_reachable_and_refused_when_not():
    spec = specs.resolve({**AUTO, "input": {"bits": 6, "scale": "2^-3"}}, "<test>")
    few, many = PwlProblem(spec, 2), PwlProblem(spec, 12)
    assert exact._floor_cover(few) is None  # two lines cannot reach the floor of gelu
    bps = exact._floor_cover(many)
    assert bps is not None and many.is_valid(bps)
    assert many.evaluate(bps).objective * many.total == pytest.approx(floor_sse(many), abs=1e-12)


def test_the_headline_mse_fit_is_the_floor_on_every_code():
    spec = specs.resolve({"function": "gelu", "input": {"bits": 8, "signed": True},
                          "output": {"bits": 8, "scale": "auto"}, "segments": 8,
                          "search": "exact", "objective": "mse"}, "<test>")
    result = fit(spec, progress=False)
    assert result.metrics["mse"] == pytest.approx(result.floor_metrics["mse"], rel=1e-12)
    assert result.metrics["mismatches"] == 0
    assert result.search["settings"]["grid"] == "every code" and result.search["notes"][:1] \
        != ["exact on a candidate grid"]


SATURATING = {"function": "sigmoid", "input": {"bits": 7, "scale": "2^-3"},
              "output": {"bits": 6, "scale": "2^-6"}, "objective": "mse", "fold": "none"}


def test_exact_mse_equals_the_dp_over_every_segment_solved():
    """Targets near the output's low end (a saturated line does better there): the pruned
    search equals the DP over every segment of the grid solved by the segment solver."""
    spec = specs.resolve(SATURATING, "<test>")
    problem = PwlProblem(spec, 6)
    cuts = exact.candidate_cuts(problem, exact.options({"candidates": 24}, "<test>", "mse"))
    g = cuts.size - 1
    cost = np.full((g + 1, g + 1), np.inf)
    for a in range(g):
        for b in range(a + 1, g + 1):
            cost[a, b] = problem.segment(int(cuts[a]), int(cuts[b]) - 1).cost
    parts = exact._partition(cost, 6)
    best = problem.evaluate([int(cuts[i]) for i in parts[1:-1]]).objective
    result = run("exact", PwlProblem(spec, 6), {"candidates": 24}, 0)
    assert problem.evaluate(result.breakpoints).objective == pytest.approx(best, rel=1e-12)


def test_a_capped_closed_form_is_no_proven_optimum_where_saturation_pays():
    """The closed form scans at most ``MAX_SLOPES`` slopes; near the output's end a saturated
    line may do much better: such a result is kept (``proven``) but is no proven optimum, so
    the pieces bound does not use it."""
    from approxgen.fit import mse, segment

    problem = PwlProblem(specs.resolve(SATURATING, "<test>"), 6)
    q, t = problem.codes[18:41], problem.targets[18:41]  # 0.2 .. 3 LSB
    *_, sse, _, proven, optimal = mse.solve_batch(problem.arith, q[None], t[None], None, True)
    general = segment.solve_segment(problem.arith, q, t, "mse", problem.slopes)
    assert general.cost < sse[0] - 0.1 and proven[0] and not optimal[0]


def test_piece_bounds_never_exceed_the_segment_optimum():
    from approxgen.fit import mse, segment

    problem = PwlProblem(specs.resolve(SATURATING, "<test>"), 6)
    cuts = exact.candidate_cuts(problem, exact.options({"candidates": 16}, "<test>", "mse"))
    first = mse.lower_bounds(problem.arith, problem.codes, problem.targets, cuts)
    bounds = mse.piece_bounds(problem.arith, problem.codes, problem.targets, cuts, None, first,
                              4)
    assert np.all(bounds >= first)
    raised = 0
    for a in range(cuts.size - 1):
        for b in range(a + 1, cuts.size):
            i, j = cuts[a] - problem.lo, cuts[b] - problem.lo
            best = segment.solve_segment(problem.arith, problem.codes[i:j], problem.targets[i:j],
                                         "mse", problem.slopes).cost
            assert bounds[a, b] <= best + 1e-9
            raised += bounds[a, b] > first[a, b] + 1e-9
    assert raised > 20


def test_piece_bounds_without_the_closed_form_keep_the_bounds():
    """An intercept shift at least the output shift: no closed form, the bounds stay."""
    from approxgen.fit import mse

    spec = specs.resolve({**SATURATING, "coef_format": "7:4"}, "<test>")
    problem = PwlProblem(spec, 6)
    assert not mse.applies(problem.arith)
    cuts = exact.candidate_cuts(problem, exact.options({"candidates": 16}, "<test>", "mse"))
    first = mse.lower_bounds(problem.arith, problem.codes, problem.targets, cuts)
    assert np.array_equal(mse.piece_bounds(problem.arith, problem.codes, problem.targets, cuts,
                                           None, first, 4), first)
