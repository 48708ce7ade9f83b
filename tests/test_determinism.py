"""A fit is the same on every CPU: targets from CPU-independent functions, no BLAS in a decision.

numpy picks SIMD kernels per CPU (``NPY_DISABLE_CPU_FEATURES`` turns them off), OpenBLAS picks
kernels per core type (``OPENBLAS_CORETYPE``) and glibc picks FMA variants of its math functions
(``GLIBC_TUNABLES``): each can be switched for one process, so one machine runs several paths.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from approxgen import libm

# (name, math reference, inputs): dense grids over each function's range, its edges and tiny values
_RNG = np.random.default_rng(0)
GRIDS = {
    "exp": (math.exp, np.r_[np.linspace(-745, 709.7, 40001), _RNG.normal(0, 3, 20000)]),
    "expm1": (math.expm1, np.r_[np.linspace(-40, 709, 40001), _RNG.normal(0, 0.3, 20000),
                                1e-300, -1e-20]),
    "log": (math.log, np.r_[np.exp(np.linspace(-700, 700, 40001)), _RNG.uniform(0.5, 2, 20000),
                            5e-324]),
    "log2": (math.log2, np.exp(np.linspace(-700, 700, 20001))),
    "log1p": (math.log1p, np.r_[np.linspace(-0.999999, 100, 40001), _RNG.normal(0, 1e-5, 5000)]),
    "tanh": (math.tanh, np.r_[np.linspace(-30, 30, 40001), _RNG.normal(0, 1e-4, 5000)]),
    "sinh": (math.sinh, np.r_[np.linspace(-709, 709, 40001), _RNG.normal(0, 1e-3, 5000)]),
    "cosh": (math.cosh, np.linspace(-709, 709, 40001)),
    "sin": (math.sin, np.r_[np.linspace(-1000, 1000, 40001), _RNG.normal(0, 1e-3, 1000)]),
    "cos": (math.cos, np.linspace(-1000, 1000, 40001)),
    "atan": (math.atan, np.r_[np.linspace(-100, 100, 40001), _RNG.normal(0, 1e-3, 1000), 1e300]),
}
MAX_ULPS = 4


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_libm_is_within_a_few_ulps_of_the_c_library(name):
    reference, x = GRIDS[name]
    want = np.array([reference(v) for v in x])
    got = getattr(libm, name)(x)
    ulps = np.abs(got - want) / np.spacing(np.maximum(np.abs(want), np.finfo(float).tiny))
    assert np.all(np.isfinite(got)) and float(ulps.max()) <= MAX_ULPS


EDGES = np.array([-np.inf, -1000.0, -1.0, -0.0, 0.0, 5e-324, 0.5, 1.0, 700.0, 1000.0, np.inf,
                  np.nan])


@pytest.mark.parametrize("name, numpy_name", [
    ("exp", "exp"), ("expm1", "expm1"), ("log", "log"), ("log2", "log2"), ("log1p", "log1p"),
    ("tanh", "tanh"), ("sinh", "sinh"), ("cosh", "cosh"), ("sin", "sin"), ("cos", "cos"),
    ("atan", "arctan")])
def test_libm_gives_numpys_values_at_the_edges(name, numpy_name):
    with np.errstate(all="ignore"):
        want = getattr(np, numpy_name)(EDGES)
    got = getattr(libm, name)(EDGES)
    special = ~np.isfinite(want) | (want == 0) | (np.abs(want) == 1)
    assert np.array_equal(got[special], want[special], equal_nan=True)
    assert np.array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))


def test_power_is_numpys_power():
    a = np.array([2.0, 3.7, -2.0, -2.0, 0.0, -0.0, 0.0, 1.5, 0.7, -8.0, 10.0])
    b = np.array([0.5, -2.3, 3.0, 2.5, -1.0, -3.0, 0.0, 64.0, 1.702, 1 / 3, 30.0])
    with np.errstate(all="ignore"):
        want = np.power(a, b)
    got = libm.power(a, b)
    assert np.allclose(got, want, rtol=1e-15, equal_nan=True)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[np.isinf(want)], want[np.isinf(want)])


# Off-default fits whose results once hinged on the CPU (issue 21): quadratic and folded paths at
# scales that are not powers of two, least squares, interp, a calibrated-looking int12 format,
# the swarm and the genetic search.
CASES = [
    dict(function="hswish", bits=8, form="quadratic", segments=6, fold="on"),
    dict(function="gelu", bits=8, form="quadratic", segments=8,
         input={"scale": 0.1940391720749262}, output={"scale": 0.1940391720749262}),
    dict(function="tanh", bits=8, form="quadratic", segments=5, objective="mse",
         input={"scale": 0.0071}, output={"scale": 0.0083}),
    dict(function="silu", bits=9, form="pwl", segments=7, objective="mse",
         input={"scale": 0.037}, output={"scale": 0.029}),
    dict(function="sigmoid", bits=10, form="interp", segments=24),
    dict(function="mish", bits=12, segments=16, input={"scale": 0.0031},
         output={"scale": 0.0029}),
    dict(function="silu", bits=8, segments=8, search="pso", coef_format="8:6",
         input={"scale": 2 ** -5}, output={"scale": 2 ** -5}),
    dict(function="elu", bits=10, segments=12, search="ga"),
    dict(expr="x * sigmoid(1.702 * x) + 0.1 * sin(x) ** 3", bits=8, segments=6,
         input={"scale": 0.05}),
]
PROBE = r"""
import hashlib, json, sys
import numpy as np
import approxgen
from approxgen.functions import BUILTINS
out = {}
x = np.arange(-32768, 32768) * 2.0 ** -11
with np.errstate(all="ignore"):
    for name, f in BUILTINS.items():
        out[name] = hashlib.sha256(np.ascontiguousarray(f.evaluate(x)).tobytes()).hexdigest()
for i, case in enumerate(json.loads(sys.argv[1])):
    head = {k: case.pop(k) for k in ("function", "expr") if k in case}
    fit = approxgen.fit(head, **case)
    out[f"case {i}"] = hashlib.sha256(fit.dumps().encode()).hexdigest()
print(json.dumps(out))
"""


def _numpy_dispatch() -> str:
    """The SIMD targets numpy dispatches to on this CPU (beyond its baseline)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f))


def _probe(env: dict[str, str]) -> dict[str, str]:
    cases = [dict(c) for c in CASES]
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(cases)], capture_output=True,
                            text=True, env={**os.environ, **env}, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_targets_and_fits_are_the_same_under_every_kernel_choice():
    variants = {
        "default": {},
        "OpenBLAS Prescott": {"OPENBLAS_CORETYPE": "Prescott"},
        "OpenBLAS Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
        "glibc without FMA/AVX2": {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2_Usable,-FMA_Usable,"
                                                     "-AVX2,-FMA,-AVX512F"},
    }
    dispatch = _numpy_dispatch()
    if dispatch:
        variants["numpy baseline only"] = {"NPY_DISABLE_CPU_FEATURES": dispatch}
    results = {name: _probe(env) for name, env in variants.items()}
    reference = results.pop("default")
    for name, digests in results.items():
        differ = sorted(k for k in reference if digests[k] != reference[k])
        assert not differ, f"{name}: {differ} differ"
