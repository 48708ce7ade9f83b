"""range_reduction: exp2 (approxgen.forms.ranged): the golden model, the fit, the artifact, C."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

SPEC = """function: exp
input: {bits: 12, signed: true, scale: "2^-8"}
output: {bits: 12, signed: false, scale: "2^-12"}
domain: [-8, 0]
form: quadratic
segments: 8
range_reduction: exp2
"""


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "approxgen", *args], cwd=cwd,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    d = tmp_path_factory.mktemp("rr")
    (d / "s.yaml").write_text(SPEC)
    r = run("fit", "s.yaml", "-o", "fit.json", cwd=d)
    assert r.returncode == 0, r.stderr
    return d


def test_golden_model_is_exp(fitted):
    from approxgen.artifact import load

    fit = load(str(fitted / "fit.json"))
    q = np.arange(-2048, 1, dtype=np.int64)
    y = fit.model.evaluate(q)
    exact = np.array([min(4095, math.exp(v / 256) * 4096) for v in q.tolist()])
    assert np.max(np.abs(y - exact)) < 1.5  # LSB, every code of the domain
    assert fit.model.evaluate(np.array([5]))[0] == fit.model.evaluate(np.array([0]))[0]


def test_c_bit_exact_every_code(fitted):
    r = run("verify", "fit.json", "--no-verilog", "--strict", cwd=fitted)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 0  ok" in r.stdout


def test_verilog_refused_in_one_line(fitted):
    r = run("emit", "verilog", "fit.json", "-o", "x.v", cwd=fitted)
    assert r.returncode == 2 and "no Verilog emitter for ranged fits" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (fitted / "x.v").exists()


def test_hand_edited_artifact_checked(fitted):
    data = json.loads((fitted / "fit.json").read_text())
    data["model"]["range_reduction"]["c"] += 1
    (fitted / "bad.json").write_text(json.dumps(data))
    r = run("emit", "c", "bad.json", "-o", "bad.h", cwd=fitted)
    assert r.returncode == 2 and "range_reduction" in r.stderr
    assert not (fitted / "bad.h").exists()


@pytest.mark.parametrize("edit, phrase", [("domain: [-8, 0]", "domain: [-8, 1]"),
                                          ("function: exp", "function: tanh")])
def test_spec_refusals(tmp_path, edit, phrase):
    (tmp_path / "s.yaml").write_text(SPEC.replace(edit, phrase))
    r = run("fit", "s.yaml", "-o", "f.json", cwd=tmp_path)
    assert r.returncode == 2 and "range_reduction" in r.stderr, r.stderr
    assert not (tmp_path / "f.json").exists()


def test_weights_refused(tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC.replace("form: quadratic", "form: pwl")
                                     + "weights: samples\n")
    r = run("fit", "s.yaml", "-o", "f.json", cwd=tmp_path)
    assert r.returncode == 2 and not (tmp_path / "f.json").exists(), r.stderr
    assert "range_reduction: cannot range-reduce" in r.stderr and "weights" in r.stderr


@pytest.mark.parametrize("args", [["s.yaml"], ["exp", "--bits", "8", "--range-reduction", "log2"]])
def test_a_bad_value_is_refused_in_one_line(tmp_path, args):
    (tmp_path / "s.yaml").write_text(SPEC.replace("range_reduction: exp2", "range_reduction: log2"))
    r = run("fit", *args, "-o", "f.json", cwd=tmp_path)
    assert r.returncode == 2 and not (tmp_path / "f.json").exists(), r.stderr
    assert r.stderr.count("\n") == 1 and "must be none or exp2, got 'log2'" in r.stderr
