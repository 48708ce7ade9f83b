"""Calibration from samples: loading, the scale and domain picks, sample metrics, artifacts, CLI."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import approxgen
from approxgen import ApproxgenError, artifact, calibrate
from approxgen.fixedpoint import IntFormat, quantize


def heavy_tailed(n=20000, seed=0):
    """Mostly N(-0.7, 1) with a Student-t (2 dof) tail, like Transformer GELU inputs."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(-0.7, 1.0, n), 3 * rng.standard_t(2, n // 50)])


X = heavy_tailed()


# --- loading ---------------------------------------------------------------------------------

def test_load_samples_from_every_format(tmp_path):
    a, b = np.arange(6.0).reshape(2, 3), np.array([-1, 7], dtype=np.int16)
    np.save(tmp_path / "s.npy", a)
    np.savez(tmp_path / "s.npz", b_second=b, a_first=a)
    (tmp_path / "s.txt").write_text("0 1, 2\n3,4\n\t5\n")
    assert calibrate.load_samples(tmp_path / "s.npy").tolist() == list(range(6))
    assert calibrate.load_samples(str(tmp_path / "s.npz")).tolist() == [0, 1, 2, 3, 4, 5, -1, 7]
    assert calibrate.load_samples(tmp_path / "s.txt").tolist() == list(range(6))
    assert calibrate.load_samples([[1, 2], [3, 4]]).dtype == np.float64


@pytest.mark.parametrize("name, content, message", [
    ("missing.npy", None, "cannot read samples"),
    ("s.csv", "1,2", "must be a .npy, .npz, .txt file"),
    ("s.txt", "1 2 x3", "not a number: 'x3'"),
    ("s.txt", "", "no samples"),
    ("s.txt", "1 nan 2", "sample 1 is nan"),
    ("s.txt", "1 2 inf", "sample 2 is inf"),
    ("s.npy", b"not numpy at all", "not a valid .npy file"),
    ("s.npz", b"PK not a zip", "not a valid .npz file"),
    ("s.npy", np.array(["a", "b"]), "must be real numbers"),
    ("s.npy", np.array([1 + 2j]), "must be real numbers"),
    ("s.npy", np.array([True]), "must be real numbers"),
    ("s.npy", np.array([{"a": 1}], dtype=object), "must be real numbers, got dtype object"),
    ("s.npy", np.zeros((0, 3)), "no samples"),
])
def test_bad_sample_files(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        np.save(path, content, allow_pickle=True)
    with pytest.raises(ApproxgenError, match=message) as info:
        calibrate.load_samples(path)
    assert info.value.where == str(path)


@pytest.mark.parametrize("samples, message", [
    ([], "no samples"), ([1.0, float("nan")], "sample 1 is nan"), (["a"], "real numbers"),
    ([[1, 2], [3]], "real numbers"),
])
def test_bad_sample_arrays(samples, message):
    with pytest.raises(ApproxgenError, match=message) as info:
        calibrate.load_samples(samples)
    assert info.value.where == "calibrate"


@pytest.mark.parametrize("text, parsed", [
    (None, ("output-mse", None, False)), ("absmax", ("absmax", None, False)),
    ("output-mse", ("output-mse", None, False)), ("percentile:99.99", ("percentile", 99.99, False)),
    ("mse", ("mse", None, False)), ("percentile:99.9", ("percentile", 99.9, False)),
    ("percentile:100", ("percentile", 100.0, False)), ("absmax:exact", ("absmax", None, True)),
    ("percentile:99:exact", ("percentile", 99.0, True)),
])
def test_parse_method(text, parsed):
    assert calibrate.parse_method(text) == parsed


@pytest.mark.parametrize("text", ["abs", "percentile", "percentile:0", "percentile:101",
                                  "percentile:x", "mse:3", "mse:exact", "absmax:3",
                                  "percentile:exact", "exact", 5])
def test_bad_methods(text):
    with pytest.raises(ApproxgenError) as info:
        calibrate.parse_method(text)
    assert info.value.where == "calibration"


# --- the picks -------------------------------------------------------------------------------

def clipped(samples, fmt):
    return int(np.count_nonzero(np.abs(samples / fmt.scale - quantize(samples, fmt)) > 0.5))


@pytest.mark.parametrize("bits, signed", [(8, True), (16, True), (8, False)])
def test_absmax_is_the_smallest_power_of_two_clipping_nothing(bits, signed):
    scale = calibrate.input_scale(X, bits, signed, ("absmax", None, False))
    assert math.log2(scale).is_integer()
    if signed:
        assert clipped(X, IntFormat(bits, signed, scale)) == 0
        assert clipped(X, IntFormat(bits, signed, scale / 2)) > 0
    else:  # negative samples clip to code 0 whatever the scale; the top is held
        assert X.max() <= IntFormat(bits, signed, scale).max_code * scale
        assert X.max() > IntFormat(bits, signed, scale / 2).max_code * scale / 2


def test_percentile_holds_both_percentiles_and_clips_the_tails():
    fmt8 = lambda s: IntFormat(8, True, s)  # noqa: E731
    scale = calibrate.input_scale(X, 8, True, ("percentile", 99.0, False))
    lo, hi = np.percentile(X, [1.0, 99.0])
    assert fmt8(scale).min_code * scale <= lo and hi <= fmt8(scale).max_code * scale
    half = scale / 2
    assert lo < fmt8(half).min_code * half or hi > fmt8(half).max_code * half
    assert scale < calibrate.input_scale(X, 8, True, ("absmax", None, False))
    assert 0 < clipped(X, fmt8(scale)) <= 0.02 * X.size
    assert calibrate.input_scale(X, 8, True, ("percentile", 100.0, False)) == \
        calibrate.input_scale(X, 8, True, ("absmax", None, False))


def test_mse_picks_the_least_quantization_error_of_its_candidates():
    scale = calibrate.input_scale(X, 8, True, ("mse", None, False))
    top = calibrate.input_scale(X, 8, True, ("absmax", None, False))

    def error(s):
        return np.mean((quantize(X, IntFormat(8, True, s)) * s - X) ** 2)

    candidates = [top / 2 ** k for k in range(calibrate.MSE_CANDIDATES)]
    assert scale in candidates
    assert error(scale) == min(error(s) for s in candidates)
    assert error(scale) < error(top)


def test_calibrated_fit_picks_scale_domain_and_output_scale():
    fit = approxgen.fit("gelu", bits=8, calibrate=X, calibration="percentile:99.9")
    spec = fit.spec
    assert spec.input.scale == calibrate.input_scale(X, 8, True, ("percentile", 99.9, False))
    codes = quantize(X, spec.input)
    assert spec.domain == (codes.min(), codes.max())
    values = spec.reference(np.unique(codes))
    out = spec.output
    assert values.max() <= out.max_code * out.scale and values.min() >= out.min_code * out.scale
    assert values.max() > out.max_code * out.scale / 2  # the smallest power of two holding them
    cal = fit.calibration
    assert cal["method"] == "percentile:99.9" and cal["samples"] == X.size
    assert cal["clipped"] == clipped(X, spec.input) > 0
    assert sum(cal["histogram"]["counts"]) == X.size


def test_exact_scales_hold_the_range_with_nothing_to_spare():
    fit = approxgen.fit("gelu", bits=8, calibrate=X, calibration="absmax:exact")
    inp, out = fit.spec.input, fit.spec.output
    assert inp.scale_exp is None and out.scale_exp is None
    assert inp.scale == max(X.max() / 127, -X.min() / 128)
    assert fit.calibration["clipped"] == 0 and fit.calibration["method"] == "absmax:exact"
    values = fit.spec.reference(np.unique(fit.quantize(X)))
    assert out.scale == max(values.max() / 127, -values.min() / 128)
    assert artifact.loads(fit.dumps()).dumps() == fit.dumps()
    assert "_IN_SCALE_NUM" in approxgen.emit(fit, "c")


def test_an_expr_takes_its_scale_from_the_samples():
    fit = approxgen.fit({"expr": "x * x"}, bits=8, calibrate=X, calibration="absmax")
    assert fit.spec.input.scale == calibrate.input_scale(X, 8, True, ("absmax", None, False))
    assert fit.calibration["clipped"] == 0


def test_given_keys_are_kept():
    fit = approxgen.fit("gelu", bits=8, calibrate=X, input={"scale": "2^-3"}, domain=[-2, 3],
                        output={"scale": "2^-5"})
    assert (fit.spec.input.scale, fit.spec.output.scale) == (2 ** -3, 2 ** -5)
    assert fit.spec.domain == (-16, 24)
    assert calibrate.outside_domain(fit.spec, fit.calibration) > 0


def test_function_domain_bounds_the_calibrated_domain():
    samples = np.linspace(-20, 0, 1000)
    fit = approxgen.fit("exp", bits=8, calibrate=samples, calibration="absmax")
    s = fit.spec.input.scale
    assert fit.spec.domain == (round(-8 / s), 0)  # exp's own domain [-8, 0]
    assert calibrate.outside_domain(fit.spec, fit.calibration) > 0


@pytest.mark.parametrize("keys, where", [
    ({"function": "recip", "calibrate": [-3.0, -2.0]}, "calibrate"),
    ({"function": "gelu", "calibrate": [-3.0, -2.0], "domain": [1, 2]},
     "approxgen.fit(): domain"),
    ({"function": "gelu", "calibrate": X, "input": {"range": [-4, 4]}},
     "approxgen.fit(): input.range"),
    ({"function": "gelu", "calibrate": X, "calibration": "p99"}, "calibration"),
    ({"function": "gelu", "calibrate": [np.inf]}, "calibrate"),
    ({"function": "gelu", "calibrate": X, "input": 8}, "approxgen.fit(): input"),
])
def test_calibration_errors(keys, where):
    target = keys.pop("function")
    with pytest.raises(ApproxgenError) as info:
        approxgen.fit(target, **keys)
    assert info.value.where == where


def test_sample_metrics_are_the_errors_over_the_samples():
    fit = approxgen.fit("gelu", bits=8, segments=4, calibrate=X, calibration="percentile:99")
    q = fit.quantize(X)
    err = fit.evaluate(q) * fit.spec.output.scale - fit.spec.reference(q)
    assert fit.metrics["sample_mse"] == pytest.approx(np.mean(err ** 2), rel=1e-12)
    assert fit.metrics["sample_max_error_lsb"] == \
        pytest.approx(np.max(np.abs(err)) / fit.spec.output.scale, rel=1e-12)
    assert fit.metrics["sample_max_error_lsb"] <= fit.metrics["max_error_lsb"]


def test_measure_on_held_out_samples():
    fit = approxgen.fit("gelu", bits=8, segments=4, calibrate=X)
    sample_keys = {"sample_mse", "sample_max_error_lsb"}
    assert calibrate.measure(fit, X) == {k: fit.metrics[k] for k in sample_keys}
    held_out = calibrate.measure(fit, heavy_tailed(seed=1))
    assert held_out.keys() == sample_keys and held_out != calibrate.measure(fit, X)
    with pytest.raises(ApproxgenError, match="no sample lies inside the fitting domain"):
        calibrate.measure(approxgen.fit("exp", bits=8), [1.0, 2.0])


def test_a_point_mass_measures_that_code_alone():
    fit = approxgen.fit("gelu", bits=8, calibrate=X)
    code = 10
    point = calibrate.sample_metrics(fit.spec, fit.model, {
        "histogram": {"codes": [code], "counts": [5]}})
    err = fit.evaluate([code])[0] * fit.spec.output.scale - fit.spec.reference(np.array([code]))[0]
    assert point["sample_mse"] == pytest.approx(err ** 2)


# --- artifacts -------------------------------------------------------------------------------

def test_calibrated_artifact_round_trips_and_is_deterministic(tmp_path):
    fit = approxgen.fit("gelu", bits=8, calibrate=X)
    again = approxgen.fit("gelu", bits=8, calibrate=X.copy())
    assert fit.dumps() == again.dumps()
    fit.save(tmp_path / "c.json")
    loaded = approxgen.load(tmp_path / "c.json")
    assert loaded.dumps() == fit.dumps() and loaded.calibration == fit.calibration
    assert "calibration" not in json.loads(approxgen.fit("gelu", bits=8).dumps())


def test_path_and_array_calibrate_the_same(tmp_path):
    np.save(tmp_path / "x.npy", X)
    assert approxgen.fit("silu", bits=8, calibrate=tmp_path / "x.npy").dumps() == \
        approxgen.fit("silu", bits=8, calibrate=X).dumps()


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["calibration"]["histogram"]["counts"].__setitem__(0, 10 ** 6), "calibration"),
    (lambda d: d["calibration"]["histogram"]["codes"].__setitem__(0, -10 ** 6),
     "calibration.histogram.codes"),
    (lambda d: d["calibration"]["histogram"]["codes"].reverse(), "calibration.histogram.codes"),
    (lambda d: d["calibration"].__setitem__("clipped", -1), "calibration.clipped"),
    (lambda d: d["calibration"].__setitem__("method", "best"), "calibration.method"),
    (lambda d: d["calibration"].__setitem__("samples", 3), "calibration.samples"),
    (lambda d: d["metrics"].__setitem__("sample_mse", 1.0), "stored metrics do not match"),
    (lambda d: d["metrics"].pop("sample_max_error_lsb"), "stored metrics do not match"),
    (lambda d: d.pop("calibration"), "sample metrics without calibration"),
    (lambda d: d.__setitem__("calibration", []), "calibration.histogram"),
])
def test_tampered_calibration_is_refused(edit, message):
    data = json.loads(approxgen.fit("gelu", bits=8, segments=4, calibrate=X).dumps())
    edit(data)
    with pytest.raises(ApproxgenError, match=message):
        artifact.loads(json.dumps(data))


def test_moved_samples_change_the_metrics():
    data = json.loads(approxgen.fit("gelu", bits=8, segments=4, calibrate=X).dumps())
    counts = data["calibration"]["histogram"]["counts"]
    top = int(np.argmax(counts))  # swap the busiest code's count with the first code's
    assert counts[top] != counts[0]
    counts[0], counts[top] = counts[top], counts[0]
    with pytest.raises(ApproxgenError, match="stored metrics do not match"):
        artifact.loads(json.dumps(data))


# --- the command line ------------------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, "-m", "approxgen", *args], capture_output=True,
                          text=True)


def test_cli_calibrate_states_coverage_and_matches_the_api(tmp_path):
    np.savez(tmp_path / "acts.npz", x=X)
    out = tmp_path / "g.json"
    result = run("fit", "gelu", "--bits", "8", "--calibrate", str(tmp_path / "acts.npz"),
                 "--calibration", "percentile:99.9", "-o", str(out))
    assert result.returncode == 0, result.stderr
    fit = approxgen.fit("gelu", bits=8, calibrate=X, calibration="percentile:99.9")
    assert out.read_text() == fit.dumps()
    share = 100 * fit.calibration["clipped"] / X.size
    assert f"{fit.calibration['clipped']} ({share:.3g}%) clipped at the input" in result.stdout
    assert "over samples" in result.stdout


@pytest.mark.parametrize("args, where", [
    (["--calibrate", "{tmp}/missing.npy"], "{tmp}/missing.npy"),
    (["--calibrate", "{tmp}/bad.txt"], "{tmp}/bad.txt"),
    (["--calibrate", "{tmp}/nan.txt"], "{tmp}/nan.txt"),
    (["--calibrate", "{tmp}/empty.txt"], "{tmp}/empty.txt"),
    (["--calibrate", "{tmp}/nan.txt", "--calibration", "p"], "--calibration"),
    (["--calibration", "mse"], "--calibration"),
])
def test_cli_bad_calibration_one_line_exit_2_nothing_written(tmp_path, args, where):
    (tmp_path / "bad.txt").write_text("1 2 three")
    (tmp_path / "nan.txt").write_text("1 NaN")
    (tmp_path / "empty.txt").write_text("\n")
    out = tmp_path / "g.json"
    result = run("fit", "gelu", "--bits", "8", *[a.format(tmp=tmp_path) for a in args],
                 "-o", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"approxgen: error: {where.format(tmp=tmp_path)}: ")
    assert not out.exists()
