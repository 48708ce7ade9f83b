"""Breakpoint searches (exact, pso, ga), segments auto, and the pieces they share.

Small cases are checked against brute force over every breakpoint set, scored by the same
integer segment solve the searches use.
"""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest

from approxgen import spec as specs
from approxgen.errors import ApproxgenError
from approxgen.fit import problem as problem_mod, segment
from approxgen.fitting import fit
from approxgen.fit.problem import PwlProblem
from approxgen.search import run, snap_breakpoints
from approxgen.search.ga import rounding_mutation

SMALL = {"function": "gelu", "input": {"bits": 5, "scale": "2^-2"}, "output": {"bits": 5},
         "coef_format": "6:4", "fold": "none"}  # brute-forced over the whole domain
SILU = {"function": "silu", "input": {"bits": 5, "scale": "2^-2"}, "output": {"bits": 6},
        "coef_format": "6:4"}


def make_spec(base=SMALL, **extra):
    return specs.resolve({**base, **extra}, "<test>")


def brute_force(problem: PwlProblem) -> float:
    """The best objective over every set of K-1 breakpoints in (lo, hi]."""
    sets = np.array(list(itertools.combinations(range(problem.lo + 1, problem.hi + 1),
                                                problem.segments - 1)), dtype=np.int64)
    return float(problem.objectives(sets.reshape(len(sets), problem.segments - 1)).min())


def searched(problem: PwlProblem, method: str, options=None, seed: int = 0):
    result = run(method, problem, options or {}, seed)
    assert problem.is_valid(result.breakpoints)
    return result, problem.evaluate(result.breakpoints).objective


@pytest.mark.parametrize("base", [SMALL, SILU])
@pytest.mark.parametrize("objective", ["max", "mse"])
@pytest.mark.parametrize("segments", [2, 3, 4])
def test_exact_equals_brute_force(base, objective, segments):
    problem = PwlProblem(make_spec(base, objective=objective), segments)
    best = brute_force(problem)
    result, value = searched(problem, "exact")
    assert value == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert result.notes == []  # every code was a candidate


def test_exact_without_shared_slopes_equals_brute_force(monkeypatch):
    """The path for wide inputs (reach by the segment solver) is exact on its grid too."""
    monkeypatch.setattr(problem_mod, "GLOBAL_SLOPE_ELEMENTS", 0)
    problem = PwlProblem(make_spec(SILU), 3)
    assert problem.slopes is None
    _, value = searched(problem, "exact")
    assert value == pytest.approx(brute_force(problem), rel=1e-12)


def test_exact_candidate_grid_is_recorded_and_optimal_on_it():
    problem = PwlProblem(make_spec(SMALL), 3)
    result, value = searched(problem, "exact", {"candidates": 8})
    assert result.notes and "candidate grid" in result.notes[0]
    assert result.settings["candidate_cuts"] == 7
    grid = [problem.lo + 4 * i for i in range(1, 8)]  # 32 codes in 8 runs of 4
    sets = np.array(list(itertools.combinations(grid, 2)))
    assert set(result.breakpoints) <= set(grid)
    assert value == pytest.approx(float(problem.objectives(sets).min()))
    assert value >= brute_force(problem)


@pytest.mark.parametrize("method", ["pso", "ga"])
@pytest.mark.parametrize("objective", ["max", "mse"])
def test_random_searches_reach_the_brute_force_optimum(method, objective):
    problem = PwlProblem(make_spec(SILU, objective=objective), 4)
    best = brute_force(problem)
    small = ({"particles": 12, "iterations": 30} if method == "pso"
             else {"population": 16, "generations": 30})
    result, value = searched(problem, method, small, seed=3)
    assert value >= best - 1e-12  # nothing beats the optimum
    assert value <= best * 1.05 + 1e-12
    assert result.settings["evaluations"] > 0


@pytest.mark.parametrize("method", ["pso", "ga", "exact"])
def test_same_seed_same_artifact(method):
    spec = make_spec(SILU, search=method, segments=4, seed=7,
                     search_options=({"iterations": 15} if method == "pso"
                                     else {"generations": 15} if method == "ga" else {}))
    first, second = fit(spec).dumps(), fit(spec).dumps()
    assert first == second
    data = json.loads(first)
    assert data["search"]["method"] == method and data["search"]["seed"] == 7
    assert data["search"]["settings"]  # the settings are recorded


@pytest.mark.parametrize("method", ["pso", "ga"])
def test_searches_leave_global_random_state_alone(method, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.random.seed(123)
    random.seed(456)
    before_np, before_py = np.random.get_state()[1].copy(), random.getstate()
    problem = PwlProblem(make_spec(SILU), 3)
    run(method, problem, {"iterations": 5} if method == "pso" else {"generations": 5}, 1)
    assert np.array_equal(np.random.get_state()[1], before_np)
    assert random.getstate() == before_py
    assert list(tmp_path.iterdir()) == []  # no report.log from pyswarms


def test_the_seed_matters():
    problem = PwlProblem(make_spec(SMALL), 6)
    options = {"generations": 3, "polish": False, "restarts": 0}
    outcomes = {(run("ga", problem, options, seed).breakpoints) for seed in range(4)}
    assert len(outcomes) > 1


def test_rounding_mutation_keeps_breakpoints_distinct_and_on_the_grid():
    """A large input scale: 9 breakpoints on 10 codes; wild Gaussian moves collide constantly."""
    lo, hi = 0, 10
    random.seed(0)
    individual = list(range(2, 11))
    collisions = 0
    for _ in range(2000):
        before = list(individual)
        (individual,) = rounding_mutation(individual, lo, hi, sigma=3.0, indpb=0.9)
        assert all(isinstance(b, int) for b in individual)
        assert all(a < b for a, b in zip(individual, individual[1:]))
        assert lo < individual[0] and individual[-1] <= hi and len(individual) == 9
        collisions += before != individual
    individual = [3, 5, 7]
    for _ in range(500):
        (individual,) = rounding_mutation(individual, lo, hi, sigma=4.0, indpb=1.0)
        assert all(a < b for a, b in zip(individual, individual[1:]))
        assert lo < individual[0] and individual[-1] <= hi
    assert collisions > 0


def test_snap_breakpoints_rounds_sorts_and_separates():
    rows = snap_breakpoints([[5.2, 5.4, 5.49], [9.9, 0.1, 3.0], [-4.0, 100.0, 100.0]], 0, 10)
    assert rows.tolist() == [[5, 6, 7], [1, 3, 10], [1, 9, 10]]


@pytest.mark.parametrize("budget", [0.6, 0.8, 1.2, 2.0])
def test_auto_segments_is_the_fewest_meeting_the_budget(budget):
    spec = make_spec(SILU, segments="auto", max_error_lsb=budget, search="exact", fold="none")
    result = fit(spec)
    assert result.metrics["max_error_lsb"] <= budget
    fewest = next(k for k in range(1, 10)
                  if brute_force(PwlProblem(spec, k)) <= budget)
    assert result.model.segments == fewest


def test_auto_segments_below_the_floor_is_refused():
    with pytest.raises(ApproxgenError, match="max_error_lsb"):
        fit(make_spec(SILU, segments="auto", max_error_lsb=0.01))


def test_pruned_segment_solve_matches_the_full_scan(monkeypatch):
    problem = PwlProblem(make_spec({**SMALL, "input": {"bits": 7, "scale": "2^-4"},
                                    "output": {"bits": 7}, "coef_format": "8:6"}), 4)
    rng = np.random.default_rng(0)
    for objective in ("max", "mse"):
        for _ in range(25):
            a, b = sorted(rng.integers(0, problem.n_codes, 2))
            q, t = problem.codes[a:b + 1], problem.targets[a:b + 1]
            pruned = segment.solve_segment(problem.arith, q, t, objective, problem.slopes)
            monkeypatch.setattr(segment, "PRUNE_MIN_SLOPES", 10**9)
            full = segment.solve_segment(problem.arith, q, t, objective, problem.slopes)
            monkeypatch.undo()
            assert pruned == full


@pytest.mark.parametrize("method,options", [
    ("pso", {"swarm": 3}), ("pso", {"particles": "many"}), ("pso", {"particles": 0}),
    ("ga", {"generations": 1.5}), ("ga", {"population": 1}), ("exact", {"grid": 3}),
])
def test_bad_search_options_name_the_file_and_key(method, options):
    key = next(iter(options))
    with pytest.raises(ApproxgenError) as info:
        fit(make_spec(SMALL, search=method, search_options=options))
    assert "<test>" in str(info.value) and f"search_options.{key}" in str(info.value)
    assert "\n" not in str(info.value)


def test_minimax_on_extreme_codes_matches_all_codes(monkeypatch):
    """Long segments search the minimax intercept on the codes that can hold an extreme error."""
    problem = PwlProblem(make_spec({"function": "silu", "input": {"bits": 12}}), 8)
    rng = np.random.default_rng(1)
    used = 0
    for _ in range(12):
        a = int(rng.integers(0, problem.n_codes - 300))
        b = int(rng.integers(a + 200, min(a + 2000, problem.n_codes)))
        q, t = problem.codes[a:b + 1], problem.targets[a:b + 1]
        slopes = segment._slope_candidates(problem.arith, q, t * (1 << problem.arith.shift),
                                           "max")
        used += segment._extreme_codes(problem.arith, q, t, slopes) is not None
        fast = segment.solve_segment(problem.arith, q, t, "max")
        monkeypatch.setattr(segment, "_extreme_codes", lambda *args: None)
        full = segment.solve_segment(problem.arith, q, t, "max")
        monkeypatch.undo()
        assert fast == full
    assert used >= 3  # the reduction was really exercised


def test_least_squares_intercepts_when_cs_at_least_s_match_the_event_sweep():
    spec = make_spec({"function": "silu", "input": {"bits": 6, "scale": "2^-3"},
                      "output": {"bits": 12, "scale": "2^-9"}, "coef_format": "8:6"},
                     objective="mse")
    problem = PwlProblem(spec, 3)
    arith = problem.arith
    assert arith.intercept_shift >= arith.shift
    for a, b in [(0, 63), (5, 20), (30, 40), (50, 63)]:
        q, t = problem.codes[a:b + 1], problem.targets[a:b + 1]
        slopes = np.arange(-20, 60, dtype=np.int64)
        lo, hi = segment._intercept_bracket(arith, q, t, slopes)
        fast = segment._best_intercepts_mse_linear(arith, q, t, slopes, lo, hi)
        sweep = [segment._sweep(arith, q, t, slopes[i:i + 1], lo[i:i + 1], hi[i:i + 1])[0]
                 for i in range(slopes.size)]
        assert fast.tolist() == sweep


def test_cli_fit_quiet_prints_nothing_and_records_the_search(tmp_path):
    from click.testing import CliRunner

    from approxgen.cli import main

    out = tmp_path / "fit.json"
    args = ["fit", "silu", "--bits", "5", "--in-scale", "2^-2", "--coef-format", "6:4",
            "--segments", "3", "--search", "exact", "-o", str(out)]
    quiet = CliRunner().invoke(main, [*args, "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""
    data = json.loads(out.read_text())
    assert data["search"]["method"] == "exact" and data["search"]["settings"]["grid"] == \
        "every code"
    loud = CliRunner().invoke(main, args)
    assert loud.exit_code == 0 and "search exact" in loud.output


@pytest.mark.parametrize("base", [SMALL, SILU, {**SMALL, "coef_format": "auto",
                                                "output": {"bits": 5, "scale": "2^-3"}}])
def test_mse_lower_bounds_never_exceed_the_optimal_segment_cost(base):
    from approxgen.fit import mse

    problem = PwlProblem(make_spec(base, objective="mse"), 4)
    cuts = problem.lo + np.arange(problem.n_codes + 1)
    bounds = mse.lower_bounds(problem.arith, problem.codes, problem.targets, cuts)
    for a in range(cuts.size - 1):
        for b in range(a + 1, cuts.size):
            assert bounds[a, b] <= problem.segment(int(cuts[a]), int(cuts[b]) - 1).cost + 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_mse_lower_bounds_never_exceed_the_optimal_segment_cost(seed):
    """With weights (counts, some zero, a few large) the bounds try several weight thresholds:
    each must stay below the exact weighted cost of every segment."""
    from approxgen.fit import mse

    spec = make_spec({**SMALL, "output": {"bits": 5, "scale": "2^-3"}}, objective="mse")
    rng = np.random.default_rng(seed)
    n = spec.domain_codes().size
    weights = rng.integers(0, 3, n) * rng.choice([1, 1, 1, 40], n)
    weights[rng.integers(n)] += 1  # some weight
    problem = PwlProblem(spec, 4, weights=weights.astype(float))
    cuts = problem.lo + np.arange(problem.n_codes + 1)
    bounds = mse.lower_bounds(problem.arith, problem.codes, problem.targets, cuts,
                              problem.weights)
    for a in range(cuts.size - 1):
        for b in range(a + 1, cuts.size):
            assert bounds[a, b] <= problem.segment(int(cuts[a]), int(cuts[b]) - 1).cost + 1e-9


def test_the_headline_command_reaches_the_floor_by_default():
    from click.testing import CliRunner

    from approxgen.cli import main

    result = CliRunner().invoke(main, ["fit", "gelu", "--bits", "8", "--form", "pwl"])
    assert result.exit_code == 0, result.output
    assert "search exact" in result.output
    row = next(line for line in result.output.splitlines() if "approximation" in line).split()
    assert row[1:3] == ["0.4976", "0"]
    assert "on 0 of 256 domain codes" in result.output


def _option_cases():
    from approxgen.search import exact, ga, pso

    for name, module in (("exact", exact), ("pso", pso), ("ga", ga)):
        for key, opt in module.OPTIONS.items():
            yield name, key, "many"  # wrong type
            if isinstance(opt.default, bool):
                yield name, key, 1
                continue
            yield name, key, opt.lo - 1
            yield name, key, opt.hi + 1 if isinstance(opt.default, int) else opt.hi * 1.5 + 1
            if isinstance(opt.default, float):
                yield name, key, float("nan")
                yield name, key, float("inf")
            else:
                yield name, key, 2.5


@pytest.mark.parametrize("method,key,value", list(_option_cases()))
def test_every_search_option_has_a_type_and_a_range(method, key, value):
    """Refused when the spec is read (before any work), naming the file and the key."""
    with pytest.raises(ApproxgenError) as info:
        make_spec(SMALL, search=method, search_options={key: value})
    text = str(info.value)
    assert text.startswith("<test>: search_options." + key + ":") and "\n" not in text


@pytest.mark.parametrize("method,options,key", [
    ("ga", {"tournament": 65, "population": 64}, "tournament"),
    ("ga", {"elite": 8, "population": 8}, "elite"),
    ("exact", {"candidates": 4096}, "candidates"),  # with objective mse
    ("uniform", {"particles": 3}, "particles"),
])
def test_search_option_cross_checks(method, options, key):
    with pytest.raises(ApproxgenError, match=f"search_options.{key}"):
        make_spec(SMALL, search=method, search_options=options, objective="mse")


def test_table_form_refuses_search_options():
    """A table reads no search_options: they are refused, not silently ignored."""
    base = {k: v for k, v in SMALL.items() if k != "coef_format"}
    with pytest.raises(ApproxgenError, match="<test>: search_options: form table does not read "
                                             "search_options"):
        make_spec(base, form="table", search_options={"k": 1})


def test_readme_documents_every_search_option():
    from pathlib import Path

    from approxgen.search import exact, ga, pso

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name, module in (("exact", exact), ("pso", pso), ("ga", ga)):
        for key, opt in module.OPTIONS.items():
            assert f"| {name} | `{key}` | {opt.describe()} |" in readme
