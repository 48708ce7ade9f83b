"""Least squares where the output saturates: the segment solve, its bound and windows, and the
exact search, against brute force over every integer slope and intercept."""

from __future__ import annotations

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.fit import segment
from approxgen.fit.problem import PwlProblem
from approxgen.model import pwl_output

# exp and sigmoid with output scales so small that part of the domain saturates
SATURATING = [
    {"function": "exp", "input": {"bits": 6, "scale": "2^-4"}, "output": {"bits": 6,
                                                                          "scale": "2^-4"},
     "domain": [-2, 2]},
    {"function": "sigmoid", "input": {"bits": 6, "scale": "2^-2"},
     "output": {"bits": 5, "scale": "2^-5"}},
    {"function": "gelu", "input": {"bits": 6, "scale": "2^-2"}, "output": {"bits": 5,
                                                                           "scale": "2^-2"}},
]


def make_problem(base, segments=3, coef="7:4"):
    spec = specs.resolve({**base, "coef_format": coef, "objective": "mse", "fold": "none"},
                         "<test>")
    return PwlProblem(spec, segments)


def brute_sse(arith, q, t):
    """Least SSE over every slope and intercept of the fixed format, on the golden pipeline."""
    ks = np.arange(arith.slope_bounds[0], arith.slope_bounds[1] + 1)
    ms = np.arange(arith.intercept_bounds[0], arith.intercept_bounds[1] + 1)
    y = pwl_output(ks[:, None, None], ms[None, :, None], q[None, None, :],
                   arith.intercept_shift, arith.shift, arith.output)
    return float((((y - t) ** 2).sum(axis=2)).min())


@pytest.mark.parametrize("coef", ["7:4", "8:6"])  # intercept shift >= / < the output shift
@pytest.mark.parametrize("base", SATURATING)
def test_saturating_segments_match_brute_force(base, coef):
    problem = make_problem(base, coef=coef)
    out = problem.arith.output
    assert np.any(problem.targets >= out.max_code) or np.any(problem.targets <= out.min_code)
    rng = np.random.default_rng(3)
    pairs = [(0, problem.n_codes - 1)] + [tuple(sorted(rng.integers(0, problem.n_codes, 2)))
                                          for _ in range(30)]
    for a, b in pairs:
        q, t = problem.codes[a:b + 1], problem.targets[a:b + 1]
        fit = segment.solve_segment(problem.arith, q, t, "mse", problem.slopes)
        assert fit.cost == pytest.approx(brute_sse(problem.arith, q, t), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("coef", ["7:4", "8:6"])
@pytest.mark.parametrize("base", SATURATING)
def test_sse_floor_bounds_every_intercept_and_its_window_holds_the_good_ones(base, coef):
    problem = make_problem(base, coef=coef)
    arith = problem.arith
    ks = np.arange(arith.slope_bounds[0], arith.slope_bounds[1] + 1)
    ms = np.arange(arith.intercept_bounds[0], arith.intercept_bounds[1] + 1)
    rng = np.random.default_rng(5)
    for _ in range(10):
        a, b = sorted(rng.integers(0, problem.n_codes, 2))
        q, t = problem.codes[a:b + 1], problem.targets[a:b + 1]
        w = rng.integers(0, 4, q.size).astype(float) + (np.arange(q.size) == 0)
        y = pwl_output(ks[:, None, None], ms[None, :, None], q[None, None, :],
                       arith.intercept_shift, arith.shift, arith.output)
        sse = ((y - t) ** 2) @ w  # slopes x intercepts
        ub = np.quantile(sse, 0.2, axis=1)
        lb, m_lo, m_hi = segment.sse_floor(arith, q, t, ks, w, ub)
        assert np.all(lb <= sse.min(axis=1) + 1e-9)
        inside = (ms[None, :] >= m_lo[:, None]) & (ms[None, :] <= m_hi[:, None])
        assert np.all(inside | (sse > ub[:, None]))


def test_the_windowed_sweep_equals_the_full_sweep():
    problem = make_problem(SATURATING[0], coef="9:6")
    assert problem.arith.intercept_shift < problem.arith.shift
    arith = problem.arith
    rng = np.random.default_rng(7)
    for _ in range(10):
        a, b = sorted(rng.integers(0, problem.n_codes, 2))
        q, t = problem.codes[a:b + 1], problem.targets[a:b + 1]
        ks = np.arange(arith.slope_bounds[0], arith.slope_bounds[1] + 1, 7)
        lo, hi = segment._intercept_bracket(arith, q, t, ks)
        fast = segment._sweep_windowed(arith, q, t, ks, lo, hi)
        full = [segment._sweep(arith, q, t, ks[i:i + 1], lo[i:i + 1], hi[i:i + 1])[0]
                for i in range(ks.size)]
        assert fast.tolist() == full


@pytest.mark.parametrize("base", SATURATING)
def test_exact_mse_with_saturation_equals_brute_force(base):
    import itertools

    from approxgen.search import run

    scale = f"2^{int(base['input']['scale'][2:]) + 1}"  # 5-bit input: fewer sets to score
    base = {**base, "input": {"bits": 5, "scale": scale}}
    problem = make_problem(base, segments=3)
    sets = np.array(list(itertools.combinations(range(problem.lo + 1, problem.hi + 1), 2)))
    best = float(problem.objectives(sets).min())
    result = run("exact", make_problem(base, segments=3), {"candidates": problem.n_codes}, 0)
    assert problem.evaluate(result.breakpoints).objective == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("base", SATURATING)
def test_automatic_format_segments_match_every_slope_swept(base):
    """The closed form, then the saturation search under its SSE (``ub``), against every slope of
    the shared set with its exact intercept over the whole bracket."""
    spec = specs.resolve({**base, "objective": "mse", "fold": "none"}, "<test>")
    problem = PwlProblem(spec, 4)
    arith = problem.arith
    assert arith.intercept_shift < arith.shift and problem.slopes is not None
    rng = np.random.default_rng(11)
    for _ in range(8):
        a, b = sorted(rng.integers(0, problem.n_codes, 2))
        q, t = problem.codes[a:b + 1], problem.targets[a:b + 1]
        ks = problem.slopes
        lo, hi = segment._intercept_bracket(arith, q, t, ks)
        m = np.array([segment._sweep(arith, q, t, ks[i:i + 1], lo[i:i + 1], hi[i:i + 1])[0]
                      for i in range(ks.size)])
        y = pwl_output(ks[:, None], m[:, None], q[None, :], arith.intercept_shift, arith.shift,
                       arith.output)
        best = float(((y - t) ** 2).sum(axis=1).min())
        fit = problem.segment(int(problem.codes[a]), int(problem.codes[b]))
        assert fit.cost == pytest.approx(best, rel=1e-12, abs=1e-9)
        cut = segment.solve_segment(arith, q, t, "mse", ks, None, best * 0.999 - 1e-6)
        assert cut is None or cut.cost > best * 0.999 - 1e-6  # nothing reaches below the best


@pytest.mark.parametrize("base", SATURATING)
def test_within_a_limit_is_exact_below_it_and_inf_above(base):
    spec = specs.resolve({**base, "objective": "mse", "fold": "none"}, "<test>")
    rng = np.random.default_rng(13)
    pairs = np.sort(rng.integers(0, 64, (40, 2)), axis=1)
    firsts, lasts = pairs[:, 0] - 32, pairs[:, 1] - 32
    exact = np.array([PwlProblem(spec, 4).segment(int(a), int(b)).cost
                      for a, b in zip(firsts, lasts)])
    limit = float(np.median(exact))
    problem = PwlProblem(spec, 4)
    got = problem.within(firsts, lasts, limit)
    assert np.all(np.where(exact <= limit, got == exact, (got == np.inf) | (got == exact)))
    assert np.all(problem.within(firsts, lasts, np.inf) == exact)  # a higher limit: solved
