"""The bound-driven re-placement that finishes pso / ga on wide max problems
(search.relocate: every breakpoint moved at once against a shared bound, with the reach oracle)."""

from __future__ import annotations

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.fit import problem as problem_mod
from approxgen.fit.problem import PwlProblem
from approxgen.search import relocate, run
from approxgen.search.uniform import uniform_breakpoints

WIDE = {"function": "gelu", "input": {"bits": 12, "scale": "2^-8"}, "output": {"bits": 12},
        "fold": "none"}


def wide_problem(segments=8, **extra) -> PwlProblem:
    return PwlProblem(specs.resolve({**WIDE, **extra}, "<test>"), segments)


def objective(problem, bps) -> float:
    return problem.evaluate(bps).objective


def random_start(problem, seed):
    rng = np.random.default_rng(seed)
    return tuple(int(b) for b in np.sort(rng.choice(
        np.arange(problem.lo + 1, problem.hi + 1), problem.segments - 1, replace=False)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relocate_never_makes_the_objective_worse(seed):
    problem = wide_problem()
    start = random_start(problem, seed)
    moved = relocate(problem, start)
    assert problem.is_valid(moved)
    assert objective(problem, moved) <= objective(problem, start) + 1e-12


@pytest.mark.parametrize("function", ["gelu", "silu", "tanh"])
def test_relocate_improves_a_uniform_start(function):
    problem = wide_problem(function=function)
    start = tuple(uniform_breakpoints(problem.lo, problem.hi, problem.segments))
    moved = relocate(problem, start)
    assert objective(problem, moved) < objective(problem, start) - 0.05


def test_one_round_moves_each_breakpoint_within_its_window():
    problem = wide_problem()
    start = np.array(uniform_breakpoints(problem.lo, problem.hi, problem.segments))
    moved = np.array(relocate(problem, start, rounds=1, windows=(0.25,)))
    assert np.any(moved != start)
    widths = np.diff(np.concatenate([[problem.lo], start, [problem.hi + 1]]))
    radius = np.ceil(0.25 * np.minimum(widths[:-1], widths[1:]))
    assert np.all(np.abs(moved - start) <= radius)


def test_relocate_only_accepts_placements_whose_segments_meet_the_bound(monkeypatch):
    problem = wide_problem()
    start = tuple(uniform_breakpoints(problem.lo, problem.hi, problem.segments))
    honest = relocate(wide_problem(), start)
    assert honest != start
    reach = problem.reach
    true_reach = reach.reach
    # an oracle claiming 40 codes more than a segment can hold: its placements fail the exact
    # check, so the start is kept
    monkeypatch.setattr(reach, "reach", lambda s, b: min(true_reach(s, b) + 40, problem.hi))
    assert relocate(problem, start) == start


def test_relocate_without_a_reach_oracle_keeps_the_start():
    problem = wide_problem()
    problem.reach = None
    start = tuple(uniform_breakpoints(problem.lo, problem.hi, problem.segments))
    assert relocate(problem, start) == start


def test_relocate_is_deterministic():
    start = random_start(wide_problem(), 5)
    assert relocate(wide_problem(), start) == relocate(wide_problem(), start)


@pytest.mark.parametrize("method", ["pso", "ga"])
def test_rough_searches_with_relocate_reach_exact(method, monkeypatch):
    monkeypatch.setattr(problem_mod, "ROUGH_CODES", 1000)
    problem = wide_problem(segments=16)
    exact = objective(problem, run("exact", problem, {}, 0).breakpoints)
    found = objective(problem, run(method, wide_problem(segments=16), {}, 0).breakpoints)
    assert found <= 1.02 * exact
