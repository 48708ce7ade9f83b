"""form: ibert — I-BERT's integer GELU and exp: the paper's constants; C and Verilog bit-exact."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from approxgen import artifact, cost, verify
from approxgen.cli import main
from approxgen.emit import verilog
from approxgen.errors import ApproxgenError
from conftest import fit_raw, require_tool


def ibert(function, bits=8, scale=2 ** -5, out=None):
    inp = {"bits": bits, "signed": True, "scale": scale}
    return fit_raw(function=function, form="ibert", input=inp,
                   output=out or ({"bits": bits} if function == "exp" else dict(inp)))


def test_gelu_constants_are_the_papers():
    f = ibert("gelu")
    s = 2 ** -5 / math.sqrt(2)
    a, b = -0.2888, -1.769
    assert f.model.q_b == math.floor(b / s) == -81
    assert f.model.q_c == math.floor(1 / (a * s * s))
    assert f.model.q_1 == math.floor(1 / (a * s * s))


def test_gelu_golden_model_follows_the_paper_in_floats():
    """The integer result times its scale is the paper's i-GELU of the real input."""
    f = ibert("gelu", bits=16, scale=2 ** -12)
    m = f.model
    q = f.spec.input.codes()
    v = m.intermediates(q)["v"].astype(np.float64)
    s = 2 ** -12 / math.sqrt(2)
    scale = 2 ** -12 * (-0.2888 * s * s) / 2
    x = q * 2 ** -12
    t = np.minimum(np.abs(x / math.sqrt(2)), 1.769)
    erf = np.sign(x) * (-0.2888 * (t - 1.769) ** 2 + 1)
    assert np.max(np.abs(v * scale - x * 0.5 * (1 + erf))) < 2e-3


def test_exp_constants_and_range_reduction():
    f = ibert("exp")
    s = 2 ** -5
    assert f.model.q_1 == math.floor(math.log(2) / s) == 22
    assert f.model.q_b == math.floor(1.353 / s)
    assert f.model.q_c == math.floor(0.344 / (0.3585 * s * s))
    y = f.model.evaluate(np.array([0, -22, -44]))  # exp(0), exp(-ln2), exp(-2 ln2) roughly
    assert y[0] >= 2 * y[1] - 2 and y[1] >= 2 * y[2] - 2


def test_only_gelu_and_exp():
    with pytest.raises(ApproxgenError, match="form ibert computes"):
        ibert("silu")
    result = CliRunner().invoke(main, ["fit", "silu", "--form", "ibert", "--bits", "8"])
    assert result.exit_code == 2 and "form ibert computes" in result.stderr


def test_artifact_round_trip(tmp_path):
    f = ibert("gelu")
    f.save(tmp_path / "f.json")
    assert artifact.load(tmp_path / "f.json").dumps() == f.dumps()


@pytest.mark.parametrize("function,bits,scale", [("gelu", 8, 2 ** -5), ("exp", 8, 2 ** -5),
                                                 ("gelu", 12, 2 ** -8), ("exp", 6, 2 ** -3)])
def test_c_and_verilog_bit_exact_over_every_code(function, bits, scale, tmp_path):
    require_tool("cc")
    require_tool("iverilog")
    f = ibert(function, bits, scale)
    report = verify.verify(f, ["c", "c++", "verilog"], tmp_path / "a")
    assert report.ok(), [(r.target, r.status, r.message, r.first) for r in report.results]
    report = verify.verify(f, ["verilog"], tmp_path / "b", pipeline=True)
    assert report.ok(), [(r.status, r.message) for r in report.results]


@pytest.mark.parametrize("function", ["gelu", "exp"])
def test_verilator_lint_clean_and_yosys(function, tmp_path):
    f = ibert(function)
    verilator = require_tool("verilator")
    for pipeline in (False, True):
        path = tmp_path / f"{verilog.module_name(f)}.v"
        path.write_text(verilog.render(f, pipeline=pipeline))
        result = subprocess.run([verilator, "--lint-only", "-Wall", str(path)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
    require_tool("yosys")
    report = cost.cost(f, ice40=False)
    assert [r["part"] for r in report["parts"]] == ["full"]
    assert report["parts"][0]["yosys"]["cells"] > 0


@pytest.mark.parametrize("form", ["ibert", "table"])
def test_no_lut_part_and_the_refusal_says_why(form):
    f = fit_raw(function="gelu", form=form, input={"bits": 8, "signed": True, "scale": 2 ** -5},
                fold="none")  # the form's own reason (a folded fit has its own)
    with pytest.raises(ApproxgenError, match=rf"^--part: the {form} form has no lut part: .*emit the full part"):
        verilog.render(f, part="lut")
    assert [p["part"] for p in cost.cost(f, use_yosys=False)["parts"]] == ["full"]
