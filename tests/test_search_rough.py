"""The rough fitness of pso / ga on wide inputs (PwlProblem.rough_costs) and the polish that
finishes them (search.refine: equalize, balance)."""

from __future__ import annotations

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.fit import problem as problem_mod
from approxgen.fit.problem import PwlProblem
from approxgen.search import BestTracker, balance, equalize, refine, run
from approxgen.search.uniform import uniform_breakpoints

WIDE = {"function": "gelu", "input": {"bits": 12, "scale": "2^-8"}, "output": {"bits": 12},
        "fold": "none"}


def wide_problem(segments=8, **extra) -> PwlProblem:
    return PwlProblem(specs.resolve({**WIDE, **extra}, "<test>"), segments)


def random_segments(problem, count, seed):
    rng = np.random.default_rng(seed)
    firsts = rng.integers(problem.lo, problem.hi - 600, count)
    return firsts, firsts + rng.integers(0, 600, count)


@pytest.mark.parametrize("function", ["gelu", "silu", "tanh"])
def test_rough_and_fine_costs_are_achievable_and_close(function):
    problem = wide_problem(function=function)
    firsts, lasts = random_segments(problem, 25, seed=1)
    exact = problem.exact_segments(firsts, lasts)
    rough = problem.rough_segments(firsts, lasts)
    fine = problem.fine_segments(firsts, lasts)
    # an achievable line on the golden pipeline: never below the optimal integer fit
    assert np.all(rough >= exact - 1e-9) and np.all(fine >= exact - 1e-9)
    # close: within half an LSB plus a few percent (saturated segments of many LSB)
    assert np.all(rough <= 1.06 * exact + 0.5) and np.all(fine <= 1.06 * exact + 0.5)


def test_rough_costs_rows_match_single_segments():
    problem = wide_problem()
    base = np.array(uniform_breakpoints(problem.lo, problem.hi, 8))
    rows = np.array([base, base + 3])
    costs = problem.rough_costs(rows)
    edges = np.hstack([np.full((2, 1), problem.lo), rows, np.full((2, 1), problem.hi + 1)])
    fresh = wide_problem()
    for r in range(2):
        want = fresh._rough_solve(edges[r, :-1], edges[r, 1:] - 1)
        assert np.allclose(costs[r], want)


def test_rough_applies_only_to_wide_unweighted_max_problems(monkeypatch):
    assert wide_problem().rough  # 4096 codes: above the limit (256)
    int8 = {"input": {"bits": 8, "scale": "2^-5"}, "output": {"bits": 8, "scale": "2^-5"}}
    assert not wide_problem(**int8).rough  # 256 codes: at the limit
    assert not wide_problem(objective="mse").rough
    monkeypatch.setattr(problem_mod, "ROUGH_CODES", 4096)
    assert not wide_problem().rough


@pytest.mark.parametrize("cost", ["rough_segments", "fine_segments", "exact_segments"])
def test_balance_and_equalize_never_make_the_objective_worse(cost):
    problem = wide_problem()
    rng = np.random.default_rng(3)
    start = np.sort(rng.choice(np.arange(problem.lo + 1, problem.hi + 1), 7, replace=False))

    def objective(bps, fn):
        edges = np.array([problem.lo, *bps, problem.hi + 1])
        return float(np.max(fn(edges[:-1], edges[1:] - 1)))

    fn = getattr(problem, cost)
    moved = balance(problem, start, fn, sweeps=3, radius=None if cost != "exact_segments"
                    else 32)
    assert problem.is_valid(moved)
    assert objective(moved, fn) <= objective(start, fn) + 1e-12
    even = equalize(problem, start, 10)
    assert problem.is_valid(even)
    assert objective(even, problem.rough_segments) <= objective(start, problem.rough_segments)


def test_refine_never_worse_than_the_searchs_best_exactly(monkeypatch):
    monkeypatch.setattr(problem_mod, "ROUGH_CODES", 1000)
    problem = wide_problem()
    tracker = BestTracker(problem, rough=problem.rough)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(np.arange(problem.lo + 1, problem.hi + 1), (6, 7)), axis=1)
    rows = rows[np.all(np.diff(rows, axis=1) > 0, axis=1)]
    tracker(rows)
    start = problem.evaluate(tracker.best).objective
    best = refine(tracker)
    assert problem.is_valid(best)
    assert problem.evaluate(best).objective <= start + 1e-12


@pytest.mark.parametrize("method", ["pso", "ga"])
def test_rough_searches_are_deterministic_and_near_exact(method, monkeypatch):
    monkeypatch.setattr(problem_mod, "ROUGH_CODES", 1000)
    opts = {"iterations": 10} if method == "pso" else {"generations": 10}
    first = run(method, wide_problem(), opts, 0).breakpoints
    assert run(method, wide_problem(), opts, 0).breakpoints == first
    problem = wide_problem()
    exact = problem.evaluate(run("exact", problem, {}, 0).breakpoints).objective
    assert problem.evaluate(first).objective <= 1.25 * exact


@pytest.mark.parametrize("function", ["gelu", "silu", "tanh"])
def test_equalize_brings_a_uniform_start_near_the_optimum(function):
    # the growth cap keeps segments near the rounding floor from blowing up
    problem = wide_problem(segments=16, function=function)
    start = tuple(uniform_breakpoints(problem.lo, problem.hi, 16))
    even = equalize(problem, start, 40)
    exact = problem.evaluate(run("exact", problem, {}, 0).breakpoints).objective
    assert float(problem.rough_costs(np.array([even])).max()) <= 1.7 * exact
