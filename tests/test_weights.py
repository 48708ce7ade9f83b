"""Fits weighted by the calibration samples' histogram (``weights: samples``)."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

import approxgen
from approxgen import ApproxgenError, artifact
from approxgen.metrics import correctly_rounded, target

SCALE = 2.0 ** -4
BASE = {"input": {"bits": 8, "scale": SCALE}, "output": {"bits": 8, "scale": 2.0 ** -5},
        "domain": [-4.0, 4.0], "fold": "none"}  # folded weights: tests/test_fold.py
SEARCHES = {"uniform": {}, "exact": {}, "pso": {"particles": 8, "iterations": 6},
            "ga": {"population": 8, "generations": 6}}


def every_code_once():
    """One sample at every domain code: a histogram of ones."""
    return np.arange(-64, 65) * SCALE


def model_json(fit):
    return json.loads(fit.dumps())["model"]


@pytest.mark.parametrize("search", sorted(SEARCHES))
@pytest.mark.parametrize("objective", ["mse", "max"])
def test_weights_of_ones_equal_the_unweighted_fit(search, objective):
    keys = dict(BASE, segments=4, objective=objective, search=search,
                search_options=SEARCHES[search])
    plain = approxgen.fit("gelu", calibrate=every_code_once(), **keys)
    weighted = approxgen.fit("gelu", calibrate=every_code_once(), weights="samples", **keys)
    assert weighted.calibration["histogram"]["counts"] == [1] * 129
    assert model_json(weighted) == model_json(plain)
    assert weighted.spec.weights == "samples" and plain.spec.weights == "none"


@pytest.mark.parametrize("search", sorted(SEARCHES))
@pytest.mark.parametrize("objective", ["mse", "max"])
def test_a_point_mass_makes_the_fit_exact_there(search, objective):
    x0 = 1.3125  # code 21
    samples = np.full(500, x0)
    fit = approxgen.fit("gelu", calibrate=samples, weights="samples", segments=2,
                        objective=objective, search=search, search_options=SEARCHES[search],
                        **BASE)
    q = np.array([21])
    best = correctly_rounded(target(fit.spec, q), fit.spec.output)
    assert fit.evaluate(q).tolist() == best.tolist()
    assert fit.metrics["sample_max_error_lsb"] <= 0.5


def heavy_tailed(n, seed):
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(n) < 0.97, rng.normal(-0.7, 0.9, n), 2.5 * rng.standard_t(2, n))
    return np.clip(x, -30, 30)


@pytest.mark.parametrize("objective", ["mse", "max"])
def test_weighted_fit_spends_error_where_the_samples_are(objective):
    samples = heavy_tailed(20000, 0)
    keys = dict(bits=8, segments=4, objective=objective)
    plain = approxgen.fit("gelu", calibrate=samples, **keys)
    weighted = approxgen.fit("gelu", calibrate=samples, weights="samples", **keys)
    assert weighted.spec.input == plain.spec.input and weighted.spec.domain == plain.spec.domain
    key = "sample_mse" if objective == "mse" else "sample_max_error_lsb"
    assert weighted.metrics[key] <= plain.metrics[key] * (1 + 1e-12)
    # the weighted fit is measured over every code as well (and is worse there, or equal)
    worse = "mse" if objective == "mse" else "max_error_lsb"
    assert weighted.metrics[worse] >= plain.metrics[worse] * (1 - 1e-12)


def test_segments_auto_budget_is_over_the_codes_the_samples_hit():
    samples = heavy_tailed(20000, 1)
    fit = approxgen.fit("gelu", calibrate=samples, weights="samples", bits=8, segments="auto",
                        max_error_lsb=1.0)
    assert fit.metrics["sample_max_error_lsb"] <= 1.0


def test_a_weighted_fit_round_trips_and_revalidates(tmp_path):
    fit = approxgen.fit("gelu", calibrate=heavy_tailed(5000, 2), weights="samples", bits=8,
                        segments=4, objective="mse")
    path = tmp_path / "f.json"
    fit.save(path)
    again = approxgen.load(path)
    assert again.spec.weights == "samples" and again.dumps() == fit.dumps()
    data = json.loads(fit.dumps())
    del data["calibration"]
    data["metrics"] = {k: v for k, v in data["metrics"].items() if not k.startswith("sample_")}
    data["digest"] = artifact.digest(data)
    with pytest.raises(ApproxgenError, match="spec.weights is samples but there is no calib"):
        artifact.loads(json.dumps(data))
    # an unweighted spec's canonical form (and hash) does not name weights
    assert "weights" not in approxgen.fit("gelu", bits=8, segments=2).spec.to_json()


def test_weights_errors_name_the_key(tmp_path):
    with pytest.raises(ApproxgenError) as info:
        approxgen.fit("gelu", bits=8, weights="samples")
    assert info.value.where.endswith("weights") and "needs calibration samples" in str(info.value)
    with pytest.raises(ApproxgenError) as info:
        approxgen.fit("gelu", bits=8, weights="counts")
    assert info.value.where.endswith("weights") and "none, samples" in str(info.value)
    with pytest.raises(ApproxgenError) as info:
        approxgen.fit("gelu", bits=8, form="table", weights="samples",
                      calibrate=every_code_once())
    assert info.value.where.endswith("weights")


def test_cli_weights(tmp_path):
    np.save(tmp_path / "acts.npy", heavy_tailed(5000, 3))
    out = tmp_path / "f.json"
    run = subprocess.run([sys.executable, "-m", "approxgen", "fit", "gelu", "--bits", "8",
                          "--segments", "4", "--calibrate", str(tmp_path / "acts.npy"),
                          "--weights", "samples", "-o", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert approxgen.load(out).spec.weights == "samples"
    run = subprocess.run([sys.executable, "-m", "approxgen", "fit", "gelu", "--bits", "8",
                          "--weights", "samples"], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip() == ("approxgen: error: --weights: weights: samples needs "
                                  "calibration samples (--calibrate, or calibrate= in the API)")


def test_report_shows_the_histogram_of_a_calibrated_fit():
    from approxgen import report

    samples = heavy_tailed(5000, 4)
    fit = approxgen.fit("gelu", calibrate=samples, weights="samples", bits=8, segments=4,
                        objective="mse")
    png = report.plot_bytes(fit)
    assert png == report.plot_bytes(fit)  # deterministic
    plain = dataclasses.replace(fit, calibration=None)
    # the calibrated plot has a third panel: it is taller
    height = lambda data: int.from_bytes(data[20:24], "big")  # noqa: E731 (PNG IHDR)
    assert height(png) > height(report.plot_bytes(plain))
    text = report.markdown(fit)
    assert "objective mse weighted by the calibration samples" in text
    assert "Over the 5000 calibration samples" in text
