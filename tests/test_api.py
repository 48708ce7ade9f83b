"""The Python API: approxgen.fit / load / emit and the Fit methods, with their errors."""

import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import approxgen
from approxgen import ApproxgenError
from approxgen.fitting import fit as fit_spec
from approxgen.emit.c import scale_ratio
from approxgen.spec import resolve
from conftest import require_tool


@pytest.fixture(scope="module")
def gelu8():
    return approxgen.fit("gelu", bits=8, form="pwl", fold="none")  # a lut part


def test_import_is_cheap_and_exports_the_api():
    code = ("import sys, approxgen; assert 'numpy' not in sys.modules; "
            "assert callable(approxgen.fit) and callable(approxgen.load) "
            "and callable(approxgen.emit); print(approxgen.Fit.__name__, "
            "approxgen.ApproxgenError.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Fit", "ApproxgenError"]


def test_fit_by_name_equals_the_spec_path(gelu8):
    direct = fit_spec(resolve({"function": "gelu", "input": {"bits": 8}, "output": {"bits": 8},
                                "form": "pwl", "fold": "none"}))
    assert isinstance(gelu8, approxgen.Fit)
    assert gelu8.dumps() == direct.dumps()


def test_fit_takes_a_dict_a_path_and_nested_keys(tmp_path):
    spec_file = tmp_path / "silu_int8.yaml"  # a spec file without name: is named after it
    spec_file.write_text("function: silu\ninput: {bits: 8}\nsegments: 4\n")
    from_path = approxgen.fit(str(spec_file))
    from_dict = approxgen.fit({"function": "silu", "input": {"bits": 8}}, segments=4)
    nested = approxgen.fit("silu", input={"bits": 8}, segments=4)
    assert from_path.dumps() == from_dict.dumps() == nested.dumps()
    assert from_path.model.segments == 4
    assert approxgen.fit(spec_file, segments=2).model.segments == 2  # a Path, keys laid over


def test_bits_is_overridden_by_an_explicit_width():
    fit = approxgen.fit("gelu", bits=8, output={"bits": 12}, segments=4)
    assert (fit.spec.input.bits, fit.spec.output.bits) == (8, 12)


@pytest.mark.parametrize("target, keys, where", [
    ("gelu", {"bits": 99}, "approxgen.fit(): input.bits"),
    ("gelu", {"segmnts": 4}, "approxgen.fit(): segmnts"),
    ("nosuch", {}, "approxgen.fit(): function"),
    ({"function": "gelu", "objective": "l3"}, {}, "approxgen.fit(): objective"),
    ("gelu", {"input": {"scale": "x"}}, "approxgen.fit(): input.scale"),
    ("fit.json", {}, "fit.json"),
    (3, {}, "approxgen.fit(): function_or_spec"),
    ("gelu", {"calibration": "mse"}, "calibration"),
])
def test_fit_errors_name_the_key_not_a_flag(target, keys, where):
    with pytest.raises(ApproxgenError) as info:
        approxgen.fit(target, **keys)
    assert info.value.where == where
    assert "--" not in str(info.value)


def test_save_and_load_round_trip(gelu8, tmp_path):
    path = tmp_path / "g.json"
    gelu8.save(path)
    loaded = approxgen.load(path)
    assert loaded.dumps() == gelu8.dumps() == path.read_text()
    assert loaded.to_json() == gelu8.to_json()


def test_load_and_save_errors(tmp_path, gelu8):
    with pytest.raises(ApproxgenError, match="cannot read"):
        approxgen.load(tmp_path / "missing.json")
    with pytest.raises(ApproxgenError, match="output directory does not exist"):
        gelu8.save(tmp_path / "no" / "dir.json")


def test_evaluate_is_the_golden_model_over_every_code(gelu8):
    codes = gelu8.spec.input.codes()
    assert np.array_equal(gelu8.evaluate(codes), gelu8.model.evaluate(codes))
    grid = codes.reshape(16, 16)
    assert gelu8.evaluate(grid).shape == (16, 16)
    assert gelu8.evaluate(codes.astype(np.float64)).dtype == np.int64  # integral floats are codes
    assert gelu8.evaluate([3]).tolist() == gelu8.model.evaluate(np.array([3])).tolist()


@pytest.mark.parametrize("codes, message", [
    ([128], "code 128 is outside int8"), ([-129, 0], "code -129 is outside int8"),
    ([0.5], "expected integer codes"), ([np.nan], "expected integer codes"),
    (["a"], "expected integer codes"), ([True], "expected integer codes"),
])
def test_evaluate_refuses_codes_outside_the_format(gelu8, codes, message):
    with pytest.raises(ApproxgenError, match=message) as info:
        gelu8.evaluate(codes)
    assert info.value.where == "codes"


def test_quantize_rounds_to_nearest_and_saturates(gelu8):
    s = gelu8.spec.input.scale  # 2^-4
    x = np.array([0.0, 0.49 * s, 0.5 * s, -0.5 * s, -0.51 * s, 3 * s, 1e9, -1e9, np.inf])
    assert gelu8.quantize(x).tolist() == [0, 0, 1, 0, -1, 3, 127, -128, 127]
    with pytest.raises(ApproxgenError, match="NaN") as info:
        gelu8.quantize([0.0, np.nan])
    assert info.value.where == "x"


def test_dequantize_scales_and_checks_output_codes(gelu8):
    assert gelu8.dequantize([0, 16, -128]).tolist() == [0.0, 1.0, -8.0]
    with pytest.raises(ApproxgenError, match="outside int8") as info:
        gelu8.dequantize([200])
    assert info.value.where == "y"


def test_apply_equals_dequantize_evaluate_quantize(gelu8):
    x = np.random.default_rng(1).normal(0, 3, size=(7, 11))
    y = gelu8.apply(x)
    assert y.shape == x.shape and y.dtype == np.float64
    assert np.array_equal(y, gelu8.dequantize(gelu8.evaluate(gelu8.quantize(x))))
    assert gelu8.apply(1.0).shape == ()
    assert gelu8.apply([[1, 2]]).tolist() == gelu8.apply(np.array([[1.0, 2.0]])).tolist()
    # close to gelu where the output is representable
    xs = np.linspace(-3, 3, 61)
    from math import erf, sqrt
    ref = np.array([v * 0.5 * (1 + erf(v / sqrt(2))) for v in xs])
    assert np.max(np.abs(gelu8.apply(xs) - ref)) < 2 * gelu8.spec.input.scale


@pytest.mark.parametrize("target, options", [
    ("c", {}), ("c", {"segment_search": "binary"}), ("verilog", {}),
    ("verilog", {"part": "lut", "pipeline": True}), ("vectors", {}),
])
def test_emit_dispatches_to_the_emitters(gelu8, target, options):
    import importlib

    render = importlib.import_module(f"approxgen.emit.{target}").render
    assert approxgen.emit(gelu8, target, **options) == render(gelu8, **options)


@pytest.mark.parametrize("args, options, where", [
    (("rust",), {}, "target"), (("c",), {"bogus": 1}, "options"),
    (("verilog",), {"part": "half"}, "part"),
])
def test_emit_errors(gelu8, args, options, where):
    with pytest.raises(ApproxgenError) as info:
        approxgen.emit(gelu8, *args, **options)
    assert info.value.where == where


def test_emit_needs_a_fit():
    with pytest.raises(ApproxgenError, match="expected a Fit") as info:
        approxgen.emit("gelu", "c")
    assert info.value.where == "fit"


# --- the C header carries every non-power-of-two scale as NUM / DEN ------------------------------

@pytest.mark.parametrize("scale, expected", [
    (0.1, (1, 10)), (0.05, (1, 20)), (0.0123, (123, 10000)), (1 / 3, (1, 3)),
    (1 / 3000, (1, 3000)), (3.0, (3, 1)), (0.1 + 0.2, (1351079888211149, 2 ** 52)),
    (2.0 ** -60 * 3, (3, 2 ** 60)), (math.pi, (3141592653589793, 10 ** 15)), (1e-20, None)])
def test_scale_ratio_is_exact_in_double(scale, expected):
    ratio = scale_ratio(scale)
    assert ratio == expected
    if ratio is None:
        return
    num, den = ratio
    assert 0 < num < 2 ** 63 and 0 < den <= 2 ** 62
    assert float(num) / float(den) == scale or Fraction(num, den) == Fraction(scale)


def test_c_header_scale_macros_compile_and_equal_the_scales(tmp_path):
    cc = require_tool("cc")
    fit = approxgen.fit("gelu", bits=8, input={"scale": 0.05}, output={"scale": 1 / 3},
                        segments=4)
    header = approxgen.emit(fit, "c")
    assert "GELU_INT8_IN_SCALE_NUM 1\n" in header and "GELU_INT8_IN_SCALE_DEN 20\n" in header
    (tmp_path / "g.h").write_text(header)
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "g.h"\nint main(void) {\n'
        '  printf("%.17g %.17g\\n", (double)GELU_INT8_IN_SCALE_NUM / (double)GELU_INT8_IN_SCALE_DEN,'
        ' (double)GELU_INT8_OUT_SCALE_NUM / (double)GELU_INT8_OUT_SCALE_DEN);\n'
        '  return 0;\n}\n')
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-pedantic",
                    "-o", str(tmp_path / "main"), str(tmp_path / "main.c")], check=True)
    out = subprocess.run([str(tmp_path / "main")], capture_output=True, text=True, check=True)
    assert [float(v) for v in out.stdout.split()] == [0.05, 1 / 3]
    pow2 = approxgen.emit(approxgen.fit("gelu", bits=8, segments=4), "c")
    assert "_SCALE_NUM" not in pow2 and "GELU_INT8_IN_SCALE_EXP" in pow2
