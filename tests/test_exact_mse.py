"""The exact mse search's fast paths: the correctly rounded floor reached on every code, and the
batched closed form, against brute force and the slow path."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.fit import fit
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
