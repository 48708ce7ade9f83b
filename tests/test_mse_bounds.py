"""The mse exact search's pruning bounds and closed form against brute force on random segments
whose targets reach the ends of the output range (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from approxgen.fit import mse
from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.fixedpoint import IntFormat
from approxgen.model import pwl_output

OUT = IntFormat(4, False, 1.0)  # outputs 0..15: short segments reach both ends
ARITH = PwlArithmetic(IntFormat(6, False, 1.0), OUT, 3, 1, (-64, 63), (-64, 63))
KS = np.arange(-64, 64)
MS = np.arange(-64, 64)


def brute(q, t, w):
    """The least weighted SSE over every slope and intercept of the format, on the pipeline."""
    y = pwl_output(KS[:, None, None], MS[None, :, None], q[None, None, :],
                   ARITH.intercept_shift, ARITH.shift, OUT)
    return float(((((y - t) ** 2) * w).sum(axis=2)).min())


# targets near, on and between the ends, as a (possibly saturating) function would give
targets = st.lists(st.one_of(st.sampled_from([0.0, 15.0]), st.floats(0.0, 1.5),
                             st.floats(13.5, 15.0), st.floats(0.0, 15.0)),
                   min_size=2, max_size=12)


@settings(max_examples=60, deadline=None)
@given(t=targets, data=st.data())
def test_lower_bounds_never_exceed_the_brute_force_optimum(t, data):
    t = np.array(t)
    n = t.size
    q = np.arange(n, dtype=np.int64) + data.draw(st.integers(0, 63 - n))
    weighted = data.draw(st.booleans())
    w = (np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), float)
         if weighted else np.ones(n))
    if not np.any(w > 0):
        w[0] = 1.0
    inner = sorted(data.draw(st.sets(st.integers(q[0] + 1, q[-1]), max_size=3)))
    cuts = np.array([q[0], *inner, q[-1] + 1])
    bounds = mse.lower_bounds(ARITH, q, t, cuts, w if weighted else None)
    for a in range(cuts.size - 1):
        for b in range(a + 1, cuts.size):
            i, j = cuts[a] - q[0], cuts[b] - q[0]
            assert bounds[a, b] <= brute(q[i:j], t[i:j], w[i:j]) + 1e-9


def test_the_split_grid_bound_stays_below_the_every_code_bound(monkeypatch):
    """Past :data:`mse.POSITIONS` codes the splits run on a coarser grid: never above the bound
    with every split (which the test above checks against brute force)."""
    rng = np.random.default_rng(1)
    q = np.arange(40, dtype=np.int64)
    t = np.clip(np.cumsum(rng.normal(0.4, 1.0, q.size)), 0, 15)
    cuts = np.array([0, 5, 11, 17, 30, 40])
    fine = mse._saturated_ends(ARITH, q, t, cuts, np.ones(q.size),
                               t - np.clip(np.floor(t + 0.5), 0, 15))
    monkeypatch.setattr(mse, "POSITIONS", 8)
    coarse = mse._saturated_ends(ARITH, q, t, cuts, np.ones(q.size),
                                 t - np.clip(np.floor(t + 0.5), 0, 15))
    upper = np.triu(np.ones(fine.shape, dtype=bool), 1)
    assert np.all(coarse[upper] <= fine[upper] + 1e-9)
    assert np.any(fine[upper] > 0)


@pytest.mark.parametrize("seed", range(3))
def test_the_saturation_bound_is_tight_where_saturation_pays(seed):
    """Targets flat at the low end, then a parabola: the bound sees the saturated prefix and the
    curved rest (the far-code bound alone stays near a third of the optimum)."""
    from approxgen.fit import segment

    arith = PwlArithmetic(IntFormat(8, False, 1.0), IntFormat(8, False, 1.0), 6, 0, None, None)
    rng = np.random.default_rng(seed)
    t = np.concatenate([np.zeros(10), 0.5 * np.arange(1, 21) ** 2]) + rng.uniform(0, 0.1, 30)
    q = np.arange(30, dtype=np.int64)
    reached = segment.solve_segment(arith, q, t, "mse", np.arange(0, 2000)).cost
    bound = mse.lower_bounds(arith, q, t, np.array([0, 30]))[0, 1]
    assert 0.9 * reached <= bound <= reached


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_plain_closed_form_equals_the_general_one(data):
    """Unweighted, unbounded intercepts: the fewer-pass path gives the general path's SSE and
    intercept for every slope (the general path runs with unit weights)."""
    s = data.draw(st.integers(1, 10))
    cs = data.draw(st.integers(0, s - 1))
    arith = PwlArithmetic(IntFormat(8, True, 1.0), IntFormat(8, True, 1.0), s, cs, None, None)
    rows, n, width = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 12)), 5
    start = np.array(data.draw(st.lists(st.integers(-128, 127 - n), min_size=rows,
                                        max_size=rows)))
    q = start[:, None] + np.arange(n)[None, :]
    t = np.array(data.draw(st.lists(st.floats(-100, 100), min_size=rows * n,
                                    max_size=rows * n))).reshape(rows, n)
    centre = np.array(data.draw(st.lists(st.integers(-4 << s, 4 << s), min_size=rows,
                                         max_size=rows)))
    ks = centre[:, None] + np.arange(width)[None, :]
    fast_sse, fast_m = mse._best_for_slopes_plain(arith, q, t, ks)
    sse, m = mse._best_for_slopes(arith, q, t, ks, np.ones(q.shape))
    assert np.allclose(fast_sse, sse, rtol=1e-9, atol=1e-9)
    y = pwl_output(ks[:, :, None], fast_m[:, :, None], q[:, None, :], cs, s,
                   IntFormat(63, True, 1.0))
    assert np.allclose(((y - t[:, None, :]) ** 2).sum(axis=2), sse, rtol=1e-9, atol=1e-9)
