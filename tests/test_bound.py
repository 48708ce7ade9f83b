"""The proven lower bound on any K-segment polynomial fit (approxgen.fit.bound)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from approxgen import spec as specs
from approxgen.fit.bound import minimax_lower_bound
from approxgen.metrics import target
from conftest import fit_raw

INT8 = {"bits": 8, "signed": True, "scale": 2 ** -5}


def _minimax(q: np.ndarray, t: np.ndarray, degree: int) -> float:
    """The real minimax error of a degree-``degree`` polynomial on ``(q, t)`` (one LP)."""
    x = (q - q.min()) / max(1.0, float(q.max() - q.min()))
    basis = np.stack([x ** k for k in range(degree + 1)], axis=1)
    ones = np.ones((q.size, 1))
    res = linprog(np.r_[np.zeros(degree + 1), 1.0],
                  A_ub=np.vstack([np.hstack([basis, -ones]), np.hstack([-basis, -ones])]),
                  b_ub=np.r_[t, -t], bounds=[(None, None)] * (degree + 2), method="highs")
    return float(res.x[-1])


@pytest.mark.parametrize("degree", [1, 2])
def test_bound_is_the_brute_force_optimum_on_a_small_domain(degree):
    """Two segments, every breakpoint tried: the bound equals the best partition's minimax."""
    spec = specs.resolve({"function": "gelu", "input": INT8, "domain": [-1.5, 0.5],
                          "output": {"bits": 16, "scale": 2 ** -10}}, "<test>")
    q = spec.domain_codes().astype(np.float64)
    t = target(spec, spec.domain_codes()) / spec.output.scale
    best = min(max(_minimax(q[:b], t[:b], degree), _minimax(q[b:], t[b:], degree))
               for b in range(1, q.size))
    got = minimax_lower_bound(spec, 2, degree)
    assert got <= best + 1e-6
    assert got == pytest.approx(best, rel=1e-4)


@pytest.mark.parametrize("out", [INT8, {"bits": 8, "scale": 2 ** -6}])
@pytest.mark.parametrize("form,degree", [("pwl", 1), ("quadratic", 2)])
@pytest.mark.parametrize("segments", [2, 4])
def test_bound_lies_below_every_fit(out, form, degree, segments):
    """A fitted model never beats the bound by more than its output's distance from a real
    polynomial (1/2 LSB of rounding, and a quadratic's inner floor). With output scale 2^-6,
    gelu saturates above 2: the bound must honour saturation to stay below."""
    f = fit_raw(function="gelu", form=form, segments=segments, input=INT8, output=out,
                fold="none")  # the bound is for K segments over the whole domain
    slack = 0.5 + (2 ** f.model.widths().d_bits / 2 ** f.model.shift if form == "quadratic"
                   else 0.0)
    bound = minimax_lower_bound(f.spec, segments, degree)
    assert 0.0 < bound <= f.metrics["max_error_lsb"] + slack
