"""Issue 21: the batched exact fitness of pso / ga (PwlProblem.max_segments) and the record of
what the swarm / population found before the polish."""

from __future__ import annotations

import json

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.fit import problem as problem_mod
from approxgen.fitting import fit
from approxgen.fit.problem import PwlProblem
from approxgen.forms import folded
from approxgen.search import run
from approxgen.fit.reach import TOL

GQA = {"input": {"bits": 8, "scale": "2^-5"}, "output": {"bits": 8, "scale": "2^-5"},
       "coef_format": "8:6", "objective": "max", "segments": 8}
CASES = {
    "gqa gelu (saturates at the top)": {"function": "gelu", **GQA},
    "gqa hswish": {"function": "hswish", **GQA},
    "auto silu int8": {"function": "silu", "input": {"bits": 8}, "objective": "max"},
    "exp int8 (half the codes saturated)": {"function": "exp", "input": {"bits": 8},
                                            "objective": "max"},
    "saturating gelu": {"function": "gelu", "input": {"bits": 8, "scale": "2^-3"},
                        "output": {"bits": 8, "scale": "2^-4"}, "objective": "max"},
    "sigmoid 10-bit (no shared slope set)": {"function": "sigmoid", "input": {"bits": 10},
                                             "objective": "max"},
}


def problem_of(raw: dict, segments: int = 8) -> PwlProblem:
    return PwlProblem(specs.resolve({"fold": "none", **raw}, "<test>"), segments)


def segments_of(problem: PwlProblem, count: int, seed: int):
    """Segments as searches meet them: around the mean width, and some long and short ones."""
    rng = np.random.default_rng(seed)
    n = problem.n_codes
    widths = np.clip(np.rint(rng.lognormal(np.log(n / 8), 0.8, count)), 1, n).astype(np.int64)
    firsts = problem.lo + (rng.random(count) * (n - widths + 1)).astype(np.int64)
    return firsts, firsts + widths - 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_batched_max_costs_equal_the_segment_solver(case):
    problem = problem_of(CASES[case])
    firsts, lasts = segments_of(problem, 120, seed=len(case))
    got = problem.max_segments(firsts, lasts)
    solver = np.array([problem_of(CASES[case]).segment(int(a), int(b)).cost
                       for a, b in zip(firsts, lasts)])
    # the same optimum: bit for bit, or (without a shared slope set, where the solver proves
    # its answer only within the reach tolerance) never above it and within that tolerance
    assert np.all(got <= solver) and np.all(got >= solver - 2 * TOL)
    if problem.slopes is not None:
        assert np.array_equal(got, solver)
    # cached: asking again (in another order) gives the same numbers
    assert np.array_equal(problem.max_segments(firsts[::-1], lasts[::-1]), got[::-1])


def test_batched_max_costs_without_a_shared_slope_set(monkeypatch):
    monkeypatch.setattr(problem_mod, "GLOBAL_SLOPE_ELEMENTS", 0)
    problem = problem_of(CASES["auto silu int8"])
    assert problem.slopes is None
    firsts, lasts = segments_of(problem, 60, seed=5)
    got = problem.max_segments(firsts, lasts)
    solver = np.array([problem.segment(int(a), int(b)).cost for a, b in zip(firsts, lasts)])
    assert np.all(got <= solver) and np.all(got >= solver - 2 * TOL)


def test_segment_costs_use_the_batched_solve_only_where_it_is_the_cost():
    assert problem_of(CASES["gqa gelu (saturates at the top)"]).batched_max
    assert not problem_of({**CASES["gqa hswish"], "objective": "mse"}).batched_max


def gqa_half(function: str) -> PwlProblem:
    """GQA-LUT's setting, folded as the CLI fits it (the half 0..128)."""
    spec = specs.resolve({"function": function, **GQA}, "<test>")
    return PwlProblem(folded.inner_spec(spec, folded.plan(spec)), 8)


SHORT = {"pso": {"particles": 12, "iterations": 15, "restarts": 0},
         "ga": {"population": 16, "generations": 15, "restarts": 0}}


@pytest.mark.parametrize("method", ["pso", "ga"])
@pytest.mark.parametrize("function", ["gelu", "silu", "hswish"])
def test_short_random_searches_come_within_2_percent_of_exact_at_int8(method, function):
    exact = gqa_half(function)
    best = exact.evaluate(run("exact", exact, {}, 0).breakpoints).objective
    problem = gqa_half(function)
    result = run(method, problem, SHORT[method], 0)
    value = problem.evaluate(result.breakpoints).objective
    assert best - 1e-12 <= value <= 1.02 * best
    settings = result.settings
    # the search's own best is recorded, before and after the polish, as evaluated
    assert settings["after_polish"] == value
    assert settings["before_polish"] >= settings["after_polish"]
    assert settings["evaluations"] > SHORT[method].get("particles",
                                                       SHORT[method].get("population"))
    assert result.notes and "before the polish" in result.notes[0]


@pytest.mark.parametrize("method", ["pso", "ga"])
def test_without_polish_the_result_is_the_search_s_own_best(method):
    problem = gqa_half("silu")
    result = run(method, problem, {**SHORT[method], "polish": False}, 1)
    value = problem.evaluate(result.breakpoints).objective
    assert result.settings["before_polish"] == result.settings["after_polish"] == value
    assert "no polish" in result.notes[0]


@pytest.mark.parametrize("method", ["pso", "ga"])
def test_the_record_is_deterministic_per_seed(method):
    raw = {"function": "silu", **GQA, "search": method, "seed": 3,
           "search_options": SHORT[method]}
    first, second = (fit(specs.resolve(raw, "<test>")).dumps() for _ in range(2))
    assert first == second
    settings = json.loads(first)["search"]["settings"]
    assert {"before_polish", "after_polish", "evaluations"} <= set(settings)
