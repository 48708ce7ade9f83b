"""Fitting: the segment solve against brute force, artifacts, and every shipped config."""

import json

import numpy as np
import pytest

from approxgen import artifact
from approxgen.errors import ApproxgenError
from approxgen.fitting import fit
from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.fit.segment import solve_segment
from approxgen.model import pwl_output
from approxgen.spec import resolve
from conftest import CONFIGS, shipped_fit

GQA = {"function": "gelu", "input": {"bits": 8, "scale": "2^-5"},
       "output": {"bits": 8, "scale": "2^-5"}, "coef_format": "8:6", "segments": 8,
       "fold": "none"}  # the pwl model over every code (tests/test_fold.py: folded fits)


def brute_force(arith, q, t, objective):
    """Best cost over every (slope, intercept) pair the format allows."""
    ks = np.arange(*np.add(arith.slope_bounds, (0, 1)))
    ms = np.arange(*np.add(arith.intercept_bounds, (0, 1)))
    kk, mm = np.meshgrid(ks, ms, indexing="ij")
    y = pwl_output(kk.reshape(-1, 1), mm.reshape(-1, 1), q[None, :], arith.intercept_shift,
                   arith.shift, arith.output)
    err = y - t[None, :]
    cost = np.abs(err).max(axis=1) if objective == "max" else (err * err).sum(axis=1)
    return cost.min()


@pytest.mark.parametrize("objective", ["max", "mse"])
@pytest.mark.parametrize("function, lo, width", [("gelu", -100, 12), ("gelu", -20, 16),
                                                ("silu", 40, 9), ("hswish", -96, 7),
                                                ("gelu", 110, 18)])
def test_segment_solve_equals_brute_force_on_a_fixed_format(function, lo, width, objective):
    spec = resolve({**GQA, "function": function, "objective": objective})
    arith = PwlArithmetic.for_spec(spec, 8)
    q = np.arange(lo, lo + width, dtype=np.int64)
    t = spec.reference(q) / spec.output.scale
    got = solve_segment(arith, q, t, objective)
    assert got.cost == pytest.approx(brute_force(arith, q, t, objective), abs=1e-12)


@pytest.mark.parametrize("objective", ["max", "mse"])
def test_segment_solve_is_locally_optimal_with_automatic_format(objective):
    spec = resolve({"function": "gelu", "input": {"bits": 10}, "objective": objective})
    arith = PwlArithmetic.for_spec(spec, 8)
    q = np.arange(-300, -150, dtype=np.int64)
    t = spec.reference(q) / spec.output.scale
    best = solve_segment(arith, q, t, objective)
    dk, dm = np.meshgrid(np.arange(-6, 7), np.arange(-300, 301), indexing="ij")
    y = pwl_output((best.slope + dk).reshape(-1, 1), (best.intercept + dm).reshape(-1, 1),
                   q[None, :], arith.intercept_shift, arith.shift, arith.output)
    err = y - t[None, :]
    cost = np.abs(err).max(axis=1) if objective == "max" else (err * err).sum(axis=1)
    assert best.cost <= cost.min() + 1e-9


def test_gqa_setting_uses_the_gqa_pipeline():
    result = fit(resolve(GQA))
    model = result.model
    assert (model.shift, model.intercept_shift, model.slope_bits, model.intercept_bits) == \
        (6, 5, 8, 8)
    assert all(-128 <= v <= 127 for v in model.slopes + model.intercepts)


def test_more_segments_do_not_hurt_on_uniform_splits():
    errors = [fit(resolve({"function": "gelu", "input": {"bits": 8}, "segments": k}))
              .metrics["max_error_lsb"] for k in (2, 4, 8, 16, 32)]
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 1.0


def test_one_segment_per_code_is_the_correctly_rounded_table():
    result = fit(resolve({"function": "tanh", "input": {"bits": 4}, "segments": 16}))
    assert result.metrics["mismatches"] == 0


def test_auto_segments_meets_its_budget():
    result = fit(resolve({"function": "gelu", "input": {"bits": 8}, "segments": "auto",
                          "max_error_lsb": 1.0}))
    assert result.metrics["max_error_lsb"] <= 1.0
    k = result.model.segments
    fewer = fit(resolve({"function": "gelu", "input": {"bits": 8}, "segments": k - 1}))
    assert fewer.metrics["max_error_lsb"] > 1.0


def test_auto_segments_refuses_a_budget_below_the_floor():
    with pytest.raises(ApproxgenError, match="below the correctly rounded"):
        fit(resolve({"function": "gelu", "input": {"bits": 8}, "segments": "auto",
                     "max_error_lsb": 0.3}))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_fits_and_round_trips(path):
    result = shipped_fit(path)
    assert result.metrics["max_error_lsb"] >= result.floor_metrics["max_error_lsb"] - 1e-12
    assert result.metrics["codes"] == result.spec.domain[1] - result.spec.domain[0] + 1
    again = artifact.loads(result.dumps())
    assert again.dumps() == result.dumps()
    codes = result.spec.input.codes()
    assert np.array_equal(again.model.evaluate(codes), result.model.evaluate(codes))


def _tampered(change):
    data = json.loads(fit(resolve({"function": "gelu", "input": {"bits": 8},
                                   "form": "pwl"})).dumps())
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize("text, message", [
    ("not json", "not JSON"),
    ('{"hello": 1}', "not an approxgen fit artifact"),
    (_tampered(lambda d: d.update(schema_version=99)), "newer than this approxgen"),
    (_tampered(lambda d: d["model"]["slopes"].__setitem__(0, 1 << 20)), "does not fit"),
    (_tampered(lambda d: d["model"]["breakpoints"].reverse()), "strictly increasing"),
    (_tampered(lambda d: d["model"]["intercepts"].__setitem__(3, 7)), "metrics do not match"),
    (_tampered(lambda d: d["spec"].update(seed=5)), "spec_hash"),
    (_tampered(lambda d: d["spec"]["input"].update(bits=40)), "corrupted"),
    (_tampered(lambda d: d.pop("model")), "missing key model"),
])
def test_bad_artifacts_are_refused(text, message):
    with pytest.raises(ApproxgenError, match=message):
        artifact.loads(text, "fit.json")


@pytest.mark.parametrize("seed", range(12))
def test_reach_accumulator_bounds_equal_brute_force(seed):
    """The closed-form accumulator bounds the reach relies on, against every intercept."""
    import random

    from approxgen.fit import segment
    from approxgen.fit.reach import BIG, TOL, Reach

    rng = random.Random(seed)
    bits = rng.choice([4, 6, 8])
    raw = {"function": rng.choice(["gelu", "exp", "silu", "sigmoid", "tanh"]),
           "input": {"bits": bits}, "output": {"bits": rng.choice([3, 4, 8])}}
    if seed % 2:
        raw.update(coef_format="8:6")
        raw["input"]["scale"] = f"2^-{bits - 3}"
        raw["output"]["scale"] = f"2^-{rng.randint(1, 5)}"
    spec = resolve(raw)
    arith = PwlArithmetic.for_spec(spec, rng.randint(1, 8))
    q = spec.domain_codes()
    t = spec.reference(q) / spec.output.scale
    slopes = np.arange(-40, 41, dtype=np.int64)
    bound = rng.choice([0.3, 0.5, 0.75, 1.0, 2.5])
    a_acc, b_acc = Reach(arith, q, t).accumulators(bound)
    mlo, mhi = segment._intercept_bracket(arith, q, t, slopes)
    cs = arith.intercept_shift
    for i in rng.sample(range(slopes.size), 6):
        ms = np.arange(mlo[i], mhi[i] + 1)
        y = pwl_output(slopes[i], ms[:, None], q[None, :], cs, arith.shift, arith.output)
        ok = np.abs(y - t[None, :]) <= bound + TOL
        acc = slopes[i] * q[None, :] + (ms[:, None] << cs)
        assert np.array_equal(ok, (acc >= a_acc[None, :]) & (acc <= b_acc[None, :]))
        for j in range(q.size):  # open sides: only where saturation holds the output
            good = ms[ok[:, j]]
            if good.size and a_acc[j] == -BIG:
                assert y[0, j] == arith.output.min_code or not ok[0, j] or good[0] == ms[0]
            if good.size and b_acc[j] == BIG:
                assert good[-1] == ms[-1] or y[-1, j] == arith.output.max_code


def test_mse_on_a_wide_output_stays_in_memory():
    """Errors of many LSB once made the exact intercept sweep allocate tens of GiB."""
    spec = resolve({"function": "hswish", "input": {"bits": 10, "scale": "2^-7"},
                    "output": {"bits": 24}, "objective": "mse", "segments": 2})
    assert fit(spec).metrics["codes"] == 1024


# The issue-10 reproducer: f leaves the int8 output range on a quarter of the domain.
SATURATING = {"function": "gelu", "input": {"bits": 8, "scale": "2^-3"},
              "output": {"bits": 8, "scale": "2^-4"}, "search": "exact", "fold": "none"}


def test_saturating_fit_reaches_the_correctly_rounded_table():
    result = fit(resolve(SATURATING))
    m = result.metrics
    assert m["mismatches"] == 0
    assert m["max_error_lsb"] == pytest.approx(result.floor_metrics["max_error_lsb"])
    assert m["max_error_lsb"] < 0.5
    assert m["saturated_codes"] == 64  # x >= 8 - 2^-4 ... gelu(x) > 127/16
    assert m["max_clip_lsb"] == pytest.approx(127 * 0.125 * 16 - 127, abs=0.01)


@pytest.mark.parametrize("method", ["uniform", "exact", "pso", "ga"])
def test_golden_model_metrics_and_searches_agree_on_the_saturated_target(method):
    spec = resolve({**SATURATING, "search": method, "segments": 4,
                    "search_options": {} if method in ("uniform", "exact") else  # short runs:
                    {"iterations": 4, "particles": 6, "polish": False} if method == "pso"  # any
                    else {"generations": 4, "population": 8, "polish": False}})  # answer checks
    result = fit(spec)
    codes = spec.domain_codes()
    g = np.clip(spec.reference(codes), -128 / 16, 127 / 16)
    err = (result.model.evaluate(codes) / 16 - g) * 16
    assert result.metrics["max_error_lsb"] == pytest.approx(np.abs(err).max())
    # the search's own objective is the golden model's error against sat(f)
    from approxgen.fit.problem import PwlProblem
    problem = PwlProblem(spec, 4)
    assert problem.evaluate(result.model.breakpoints).objective == \
        pytest.approx(np.abs(err).max())
    roundtrip = artifact.loads(result.dumps())
    assert roundtrip.metrics == result.metrics


def test_older_schema_is_refused_with_a_reason():
    data = json.loads(fit(resolve({"function": "gelu", "input": {"bits": 4}})).dumps())
    data["schema_version"] = 1
    with pytest.raises(ApproxgenError, match="schema 1.*fit the spec again"):
        artifact.loads(json.dumps(data), "old.json")


def test_closed_form_least_squares_equals_brute_force_over_every_integer_pair():
    """Seeded random segments (auto and fixed formats, saturating or not): wherever the batch
    solver claims a proven optimum, no integer (k, m) in a wide window does better."""
    from approxgen.fit import mse
    from approxgen.metrics import target

    rng = np.random.default_rng(10)
    proven = 0
    for trial in range(120):
        bits = int(rng.integers(3, 7))
        raw = {"function": ["gelu", "silu", "tanh", "exp", "sigmoid"][trial % 5],
               "input": {"bits": bits, "scale": f"2^-{int(rng.integers(0, 4))}"},
               "output": {"bits": int(rng.integers(3, 7)),
                          "scale": f"2^-{int(rng.integers(0, 4))}"},
               "objective": "mse", "segments": 1}
        if trial % 3 == 0:
            raw["coef_format"] = "6:4"
        spec = resolve(raw)
        try:
            arith = PwlArithmetic.for_spec(spec, int(2 ** rng.integers(max(0, bits - 2), bits + 3)))
        except ApproxgenError:
            continue
        if not mse.applies(arith):
            continue
        codes = spec.domain_codes()
        w = int(rng.integers(1, min(12, codes.size) + 1))
        a = int(rng.integers(0, codes.size - w + 1))
        q = codes[a:a + w]
        t = target(spec, q) / spec.output.scale
        k, m, sse, top, ok = mse.solve_batch(arith, q[None, :], t[None, :])
        y = pwl_output(k[:, None], m[:, None], q[None, :], arith.intercept_shift, arith.shift,
                       arith.output)
        assert sse[0] == pytest.approx(((y - t) ** 2).sum(), abs=1e-9)  # measured, not modelled
        size = 1 << arith.shift
        ks, ms = np.arange(-6 * size, 6 * size + 1), np.arange(-40 * size, 40 * size + 1)
        if arith.slope_bounds:
            ks = np.arange(arith.slope_bounds[0], arith.slope_bounds[1] + 1)
            ms = np.arange(arith.intercept_bounds[0], arith.intercept_bounds[1] + 1)
        best = min(((pwl_output(part[:, None, None], ms[None, :, None], q[None, None, :],
                                arith.intercept_shift, arith.shift, arith.output) - t) ** 2)
                   .sum(-1).min() for part in np.array_split(ks, 16))
        assert sse[0] >= best - 1e-9
        if ok[0]:
            proven += 1
            assert sse[0] == pytest.approx(best, abs=1e-9)
    assert proven > 40


WIDE = {"function": "gelu", "input": {"bits": 10}, "output": {"bits": 24}, "segments": 4,
        "search": "uniform", "fold": "none"}


def test_acc_bits_choices_follow_the_rule():
    from approxgen.fitting import ACC_TOLERANCE_LSB
    from approxgen.fit.arithmetic import auto_shift

    wide = fit(resolve({**WIDE, "acc_bits": 64}))
    narrow = fit(resolve({**WIDE, "acc_bits": 32}))
    chosen = fit(resolve({**WIDE, "acc_bits": "auto"}))
    assert wide.model.shift == auto_shift(10, 4) and wide.model.widths().acc_bits > 32
    assert narrow.model.widths().acc_bits <= 32
    # the largest shift that fits: one more would not
    from approxgen.fitting import _fit_pwl_at
    above, _ = _fit_pwl_at(resolve(WIDE), 4, narrow.model.shift + 1, False)
    assert above.widths().acc_bits > 32
    cost = narrow.metrics["max_error_lsb"] - wide.metrics["max_error_lsb"]
    expect = narrow if cost <= ACC_TOLERANCE_LSB else wide
    assert chosen.model == expect.model
    assert any("acc_bits" in note for note in chosen.search["notes"])


def test_acc_bits_auto_takes_32_bits_when_nearly_free():
    spec = resolve({**WIDE, "output": {"bits": 20}, "segments": 8})
    result = fit(spec)
    assert result.model.widths().acc_bits <= 32
    assert artifact.loads(result.dumps()).spec.acc_bits == "auto"


@pytest.mark.parametrize("value", [48, "wide", True, 32.5])
def test_bad_acc_bits_is_refused(value):
    with pytest.raises(ApproxgenError, match="acc_bits: must be auto, 32 or 64"):
        resolve({**WIDE, "acc_bits": value}, "s.yaml")


def test_acc_bits_32_with_a_fixed_format_that_needs_more_is_refused():
    raw = {"function": "gelu", "input": {"bits": 16, "scale": "2^-8"},
           "output": {"bits": 24, "scale": "2^-16"}, "coef_format": "30:24", "segments": 4,
           "search": "uniform", "acc_bits": 32, "fold": "none"}
    with pytest.raises(ApproxgenError, match="s.yaml: acc_bits: .*40-bit accumulator"):
        fit(resolve(raw, "s.yaml"))
    assert fit(resolve({**raw, "acc_bits": "auto"})).model.widths().acc_bits == 40
