"""The command line: the fit contract, and one clear line with exit 2 for every bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "approxgen", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_fit_gelu_int8_prints_metrics():
    result = run("fit", "gelu", "--bits", "8")
    assert result.returncode == 0, result.stderr
    assert "gelu_int8" in result.stdout and "max_error_lsb" in result.stdout
    assert result.stderr == ""


def test_fit_writes_the_same_artifact_bytes_every_time(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        assert run("fit", str(ROOT / "configs/gelu_int8.yaml"), "-o", str(path), "-q").returncode == 0
    assert a.read_bytes() == b.read_bytes()
    data = json.loads(a.read_text())
    assert data["schema"] == "approxgen-fit" and data["spec"]["name"] == "gelu_int8"
    assert len(data["model"]["breakpoints"]) == 7


def test_json_flag_prints_the_artifact():
    result = run("fit", "silu", "--bits", "8", "--segments", "4", "--json")
    data = json.loads(result.stdout)
    assert data["spec"]["segments"] == 4 and len(data["model"]["slopes"]) == 4


def test_flags_reach_the_spec():
    result = run("fit", "gelu", "--in-bits", "8", "--out-bits", "10", "--in-scale", "2^-5",
                 "--out-scale", "0.0078125", "--segments", "5", "--coef-format", "8:6",
                 "--objective", "mse", "--seed", "3", "--name", "my_gelu", "--json")
    assert result.returncode == 0, result.stderr
    spec = json.loads(result.stdout)["spec"]
    assert spec["input"] == {"bits": 8, "signed": True, "scale": 2.0 ** -5}
    assert spec["output"] == {"bits": 10, "signed": True, "scale": 2.0 ** -7}
    assert (spec["segments"], spec["objective"], spec["seed"], spec["name"]) == (5, "mse", 3,
                                                                                "my_gelu")
    assert spec["coef_format"] == {"slope": "8:6", "intercept": "8:6"}


def test_unsigned_flag():
    spec = json.loads(run("fit", "sigmoid", "--bits", "8", "--unsigned", "--json").stdout)["spec"]
    assert spec["input"]["signed"] is False


def test_table_form_is_correctly_rounded():
    data = json.loads(run("fit", "gelu", "--bits", "8", "--form", "table", "--json").stdout)
    assert data["metrics"]["mismatches"] == 0
    assert {k: data["metrics"][k] for k in data["floor_metrics"]} == data["floor_metrics"]
    assert data["metrics"]["max_error_lsb"] <= 0.5


def test_functions_lists_builtins():
    out = run("functions").stdout
    for name in ("gelu", "silu", "hswish", "sigmoid", "tanh", "exp", "recip", "rsqrt",
                 "softplus", "mish", "elu", "swish"):
        assert name in out


BAD_SPECS = {
    "malformed.yaml": ("function: gelu\ninput: {bits: 8\n", "malformed YAML"),
    "unknown_key.yaml": ("function: gelu\nsegmnets: 4\n", "unknown key 'segmnets'"),
    "typo_type.yaml": ("function: gelu\nsegments: many\n", "expected an integer"),
    "bits.yaml": ("function: gelu\ninput: {bits: 20}\n", "must be in 2..16"),
    "scale.yaml": ("function: gelu\ninput: {scale: -1}\n", "> 0"),
    "segments.yaml": ("function: gelu\ninput: {bits: 4}\nsegments: 17\n", "must be in 1..16"),
    "domain.yaml": ("function: recip\ndomain: [0, 4]\n", "not finite"),
    "rsqrt.yaml": ("function: rsqrt\ninput: {signed: true}\ndomain: [-2, 2]\n", "not finite"),
    "unsafe.yaml": ("expr: \"__import__('os').system('touch pwned')\"\ninput: {scale: 1}\n",
                    "not allowed"),
    "unknown_fn.yaml": ("function: gleu\n", "unknown function"),
}


@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_bad_spec_one_line_exit_2_nothing_written(tmp_path, name):
    text, message = BAD_SPECS[name]
    spec = tmp_path / name
    spec.write_text(text)
    out = tmp_path / "fit.json"
    out.write_text("previous contents\n")
    result = run("fit", str(spec), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"approxgen: error: {spec}")
    assert message in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert out.read_text() == "previous contents\n"
    assert not (tmp_path / "pwned").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "fit.json"])


@pytest.mark.parametrize("args, message", [
    (["fit", "nope", "--bits", "8"], "FUNCTION: unknown function 'nope'"),
    (["fit", "gelu", "--bits", "40"], "--in-bits/--bits: must be in 2..16"),
    (["fit", "gelu", "--in-scale", "0"], "--in-scale: scale must be a finite number > 0"),
    (["fit", "gelu", "--segments", "0"], "--segments: must be in 1..256"),
    (["fit", "recip", "--domain", "-1", "1"], "--domain: recip is not finite"),
    (["fit", "missing.yaml"], "missing.yaml: cannot read spec"),
])
def test_bad_flags(args, message, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("approxgen: error: ") and message in lines[0]


def test_report_lists_segments_and_writes_a_plot(tmp_path):
    png = tmp_path / "gelu.png"
    result = run("report", "gelu", "--bits", "8", "--segments", "4", "--plot", str(png))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 4  # one row per segment
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
