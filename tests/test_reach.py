"""Every-code exact max search (:mod:`approxgen.fit.reach`) against brute force on small domains.

The brute force is independent of the reach: each segment's best cost comes from the segment
solver scanning a wide slope range (every slope that can matter at these sizes), and the best
partition from every breakpoint set.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.fit import problem as problem_mod
from approxgen.fit.auto import fewest_segments
from approxgen.fit.problem import PwlProblem
from approxgen.fit.segment import solve_segment
from approxgen.search import run

CASES = {
    "auto format": {"function": "gelu", "input": {"bits": 4, "scale": "2^-1"},
                    "output": {"bits": 5, "scale": "2^-2"}},
    "saturating": {"function": "gelu", "input": {"bits": 4, "scale": "2^-1"},
                   "output": {"bits": 4, "scale": "2^-2"}},
    "unsigned": {"function": "sigmoid", "input": {"bits": 4, "signed": False, "scale": "2^-1"},
                 "output": {"bits": 4, "signed": False, "scale": "2^-4"}},
    "acc_bits 32": {"function": "tanh", "input": {"bits": 4, "scale": "2^-2"},
                    "output": {"bits": 4, "scale": "2^-3"}, "acc_bits": 32},
    "slope format": {"function": "silu", "input": {"bits": 4, "scale": "2^-2"},
                     "output": {"bits": 6}, "coef_format": {"slope": "6:4"}},
    "both formats": {"function": "silu", "input": {"bits": 4, "scale": "2^-2"},
                     "output": {"bits": 6}, "coef_format": "6:4"},
    "one code": {"function": "exp", "input": {"bits": 4, "scale": "2^-2"},
                 "output": {"bits": 6}, "domain": [0.4, 0.6], "segments": 1},
    "two codes": {"function": "gelu", "input": {"bits": 4, "scale": "2^-1"},
                  "output": {"bits": 4, "scale": "2^-2"}, "domain": [1, 1.5], "segments": 1},
    "three codes": {"function": "tanh", "input": {"bits": 4, "scale": "2^-1"},
                    "output": {"bits": 4, "scale": "2^-3"}, "domain": [-0.5, 0.5], "segments": 1},
}


def make(name: str, segments: int, shift: int | None = None) -> PwlProblem:
    return PwlProblem(specs.resolve({**CASES[name], "objective": "max"}, "<test>"), segments,
                      shift)


def brute_costs(problem: PwlProblem) -> np.ndarray:
    """The best max error of every segment ``[a, b]`` (offsets) over every slope that can matter:
    a step across the whole output range between neighbouring codes, or any slope the format
    allows."""
    arith, n = problem.arith, problem.n_codes
    key = (problem.targets.tobytes(), arith)
    if key not in _COSTS:
        if arith.slope_bounds is not None:
            slopes = np.arange(arith.slope_bounds[0], arith.slope_bounds[1] + 1)
        else:
            steep = (2 ** arith.output.bits + 2) << arith.shift
            slopes = np.arange(-steep, steep + 1)
        cost = np.full((n, n), np.inf)
        for a in range(n):
            for b in range(a, n):
                cost[a, b] = solve_segment(arith, problem.codes[a:b + 1],
                                           problem.targets[a:b + 1], "max", slopes).cost
        _COSTS[key] = cost
    return _COSTS[key]


_COSTS: dict = {}


def brute_cost(problem: PwlProblem, a: int, b: int) -> float:
    return float(brute_costs(problem)[a, b])


def brute_minimax(problem: PwlProblem) -> float:
    n, k = problem.n_codes, problem.segments
    cost = brute_costs(problem)
    best = np.inf
    for cuts in itertools.combinations(range(1, n), min(k, n) - 1):
        edges = (0, *cuts, n)
        best = min(best, max(cost[x, y - 1] for x, y in zip(edges, edges[1:])))
    return best


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("segments", [2, 3, 4])
def test_every_code_exact_equals_brute_force(name, segments, monkeypatch):
    monkeypatch.setattr(problem_mod, "GLOBAL_SLOPE_ELEMENTS", 0)  # the int16 path
    problem = make(name, segments)
    if problem.n_codes < segments:
        pytest.skip("fewer codes than segments")
    assert problem.reach is not None and problem.slopes is None
    result = run("exact", problem, {}, 0)
    assert problem.is_valid(result.breakpoints)
    assert result.settings["grid"] == "every code"
    value = problem.evaluate(result.breakpoints).objective
    assert value == pytest.approx(brute_minimax(problem), abs=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("shift", [None, 0, 2])
def test_reach_equals_brute_force(name, shift):
    problem = make(name, 2, shift)
    reach, n = problem.reach, problem.n_codes
    rng = np.random.default_rng(len(name) + (shift or 7))
    floor = reach.floor()
    for bound in sorted({floor, 0.5, 0.75, 1.0, 1.6, 3.0, *rng.uniform(floor, 4, 3)}):
        for start in range(n):  # starts rise: earlier answers bracket later ones
            expected = start - 1
            for b in range(start, n):
                if brute_cost(problem, start, b) > bound + 1e-9:
                    break
                expected = b
            assert reach.reach(problem.lo + start, bound) - problem.lo == expected, \
                (bound, start)


@pytest.mark.parametrize("name", ["auto format", "saturating", "slope format", "both formats"])
def test_fewest_segments_is_the_brute_force_count(name):
    problem = make(name, 2)
    for bound in (0.6, 1.0, 2.0):
        expected = next((k for k in range(1, problem.n_codes + 1)
                         if brute_minimax(PwlProblem(problem.spec, k, problem.arith.shift))
                         <= bound + 1e-9), None)
        assert fewest_segments(problem, bound) == expected


def test_exact_max_segment_solve_is_exact_without_shared_slopes(monkeypatch):
    """The second pass over the reach's slope window finds the slope a narrow window misses."""
    monkeypatch.setattr(problem_mod, "GLOBAL_SLOPE_ELEMENTS", 0)
    problem = make("saturating", 2)
    n = problem.n_codes
    for a in range(0, n, 3):
        for b in range(a, n, 2):
            assert problem.segment(problem.lo + a, problem.lo + b).cost == \
                pytest.approx(brute_cost(problem, a, b), abs=1e-12)


def test_reach_memory_stays_capped(monkeypatch):
    """Candidate slopes are tested in chunks: no (slopes x codes) array above the cap."""
    from approxgen.fit import reach as reach_mod

    problem = make("both formats", 3)
    expected = brute_minimax(problem)
    sizes = []

    class Running:  # np.maximum, recording what its accumulate sees
        def __call__(self, *args, **kwargs):
            return np.maximum(*args, **kwargs)

        def accumulate(self, x, *args, **kwargs):
            sizes.append(np.size(x))
            return np.maximum.accumulate(x, *args, **kwargs)

    class Numpy:
        maximum = Running()

        def __getattr__(self, name):
            return getattr(np, name)

    monkeypatch.setattr(reach_mod, "CAP", 64)
    monkeypatch.setattr(reach_mod, "np", Numpy())
    result = run("exact", problem, {}, 0)
    monkeypatch.undo()
    assert sizes and max(sizes) <= 64
    assert problem.evaluate(result.breakpoints).objective == pytest.approx(expected, abs=1e-9)
