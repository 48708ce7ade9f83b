"""Calibration named by a spec (``calibrate:``/``calibration:``) for build, sweep, fit and the
API; the samples' digest in build's cache key; the ``output-mse`` method."""

import math
from pathlib import Path

import numpy as np
import pytest

import approxgen
from approxgen import build, calibrate, fitting, sweep
from approxgen.errors import ApproxgenError
from conftest import run_cli as run


def heavy_tailed(seed: int, n: int = 20_000) -> np.ndarray:
    """GELU-like inputs with rare large negatives."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 2e-3, -rng.uniform(8, 20, n), rng.normal(-0.5, 1.0, n))


@pytest.fixture
def project(tmp_path):
    specs = tmp_path / "specs"
    (specs / "data").mkdir(parents=True)
    np.save(specs / "data/acts.npy", heavy_tailed(0))
    (specs / "act.yaml").write_text("function: gelu\ninput: {bits: 8}\nsegments: 4\n"
                                    "calibrate: data/acts.npy\ncalibration: absmax\n")
    return tmp_path


def test_build_calibrates_from_the_spec_relative_to_it_and_keys_the_cache_by_the_samples(
        project):
    first = run("build", "specs", "--out", "out", cwd=project)
    assert first.returncode == 0, first.stderr
    fit = approxgen.load(project / "out/act.json")
    direct = approxgen.fit("gelu", bits=8, segments=4, calibrate=heavy_tailed(0),
                           calibration="absmax", name="act")
    assert fit.calibration == direct.calibration and fit.calibration["method"] == "absmax"
    assert fit.spec.to_json() == direct.spec.to_json()
    assert "cached" in run("build", "specs", "--out", "out", cwd=project).stdout
    # other samples at the same scale: the spec hash is unchanged, the digest is not
    samples = heavy_tailed(0)
    samples[:100] *= 0.5
    np.save(project / "specs/data/acts.npy", samples)
    plan = build.load_plan(project / "specs/act.yaml")
    assert plan.spec.hash() == fit.spec.hash() and build.cached_fit(plan, project / "out") is None
    again = run("build", "specs", "--out", "out", cwd=project)
    assert "fitted in" in again.stdout, again.stdout
    assert approxgen.load(project / "out/act.json").calibration["sha256"] != \
        fit.calibration["sha256"]


@pytest.mark.parametrize("line, key, words", [
    ("calibrate: data/missing.npy", "calibrate", "no such samples file"),
    ("calibrate: 3", "calibrate", "expected the path of a samples file"),
    ("calibrate: data/acts.npy\ncalibration: median", "calibration", "expected absmax"),
    ("calibration: absmax", "calibration", "needs calibrate"),
])
def test_bad_calibration_keys_are_one_line_naming_file_and_key_and_write_nothing(
        project, line, key, words):
    spec = project / "specs/act.yaml"
    spec.write_text("function: gelu\ninput: {bits: 8}\n" + line + "\n")
    result = run("build", "specs", "--out", "out", cwd=project)
    assert result.returncode == 2 and not (project / "out").exists()
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{spec.relative_to(project)}: {key}:" in result.stderr and words in result.stderr


def test_sweep_fit_and_emit_calibrate_every_point_from_the_spec(project):
    spec = project / "specs/act.yaml"
    raw, source = approxgen.api.spec_source(spec)
    rows = sweep.run(raw, source, sweep.grid(["pwl", "table"], [4], ["exact"]), yosys=False)
    assert [r["form"] for r in rows] == ["pwl", "table"]
    plan = fitting.plan(raw, source)
    assert plan.samples is not None and plan.spec.input.scale == 2.0 ** -2  # absmax over -20
    fitted = run("fit", "specs/act.yaml", "--json", "-q", cwd=project)
    assert fitted.returncode == 0 and '"calibration"' in fitted.stdout
    # a flag overrides the spec's method
    flagged = approxgen.fit(spec, calibration="percentile:99")
    assert flagged.calibration["method"] == "percentile:99"
    assert flagged.spec.input.scale < plan.spec.input.scale
    emitted = run("emit", "c", "specs/act.yaml", cwd=project)
    assert emitted.returncode == 0 and "#define ACT_IN_SCALE_EXP (-2)" in emitted.stdout


def test_output_mse_keeps_the_candidate_whose_fitted_output_errs_least():
    train, held = heavy_tailed(1), heavy_tailed(2)
    raw = {"function": "gelu", "input": {"bits": 8}, "output": {"bits": 8}, "segments": 4}
    candidates = calibrate.candidates(raw, "t", train, "output-mse")
    scales = [s.input.scale for s in candidates]
    assert len(scales) == calibrate.OUTPUT_MSE_CANDIDATES
    assert scales == [scales[0] * 2.0 ** -k for k in range(len(scales))]
    assert scales[0] == fitting.plan(raw, "t", train, "absmax").spec.input.scale
    chosen = approxgen.fit("gelu", bits=8, segments=4, calibrate=train,
                           calibration="output-mse")
    assert chosen.calibration["method"] == "output-mse"
    reference = chosen.spec.function.evaluate(train)
    errors = [calibrate.output_error(fitting.fit_candidates([s], train, None), train,
                                     reference) for s in candidates]
    best = min(range(len(errors)), key=lambda i: (errors[i], i))
    assert chosen.spec.input.scale == scales[best] and best > 0  # clipping the rare negatives
    assert errors[best] < errors[0] / 2
    held_error = calibrate.output_error(chosen, held, chosen.spec.function.evaluate(held))
    absmax = approxgen.fit("gelu", bits=8, segments=4, calibrate=train, calibration="absmax")
    assert held_error < calibrate.output_error(absmax, held, absmax.spec.function.evaluate(held))
    with pytest.raises(ApproxgenError, match="output-mse"):
        approxgen.fit("gelu", bits=8, calibrate=train, calibration="output-mse:exact")
    assert math.isfinite(errors[0])
