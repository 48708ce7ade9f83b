"""The golden model against a slow, obviously correct per-code reference on random formats."""

import random

import numpy as np
import pytest

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, round_shift, signed_bits
from approxgen.model import PwlModel, TableModel


def slow_pwl(model: PwlModel, q: int) -> int:
    """One code at a time, with Python's unbounded ints and floor division."""
    seg = 0
    for b in model.breakpoints:
        if q >= b:
            seg += 1
    acc = model.slopes[seg] * q + model.intercepts[seg] * 2 ** model.intercept_shift
    if model.shift:
        acc = (acc + 2 ** (model.shift - 1)) // 2 ** model.shift
    return min(max(acc, model.output.min_code), model.output.max_code)


def random_pwl(rng: random.Random) -> PwlModel:
    inp = IntFormat(rng.randint(2, 16), rng.random() < 0.5, 2.0 ** rng.randint(-12, 0))
    out = IntFormat(rng.randint(2, 32), rng.random() < 0.5, 2.0 ** rng.randint(-12, 0))
    n_codes = inp.max_code - inp.min_code + 1
    k = rng.randint(1, min(12, n_codes))
    bps = sorted(rng.sample(range(inp.min_code + 1, inp.max_code + 1), k - 1))
    slope_bits, intercept_bits = rng.randint(2, 20), rng.randint(2, 24)
    lim = lambda b: (-(1 << (b - 1)), (1 << (b - 1)) - 1)  # noqa: E731
    slopes = tuple(rng.randint(*lim(slope_bits)) for _ in range(k))
    intercepts = tuple(rng.randint(*lim(intercept_bits)) for _ in range(k))
    return PwlModel(inp, out, tuple(bps), slopes, intercepts, rng.randint(0, 20),
                    rng.randint(0, 6), slope_bits, intercept_bits)


@pytest.mark.parametrize("seed", range(40))
def test_pwl_matches_slow_reference(seed):
    rng = random.Random(seed)
    model = random_pwl(rng)
    codes = model.input.codes()
    if codes.size > 4096:
        codes = np.unique(np.concatenate([codes[:64], codes[-64:], np.asarray(model.breakpoints),
                                          np.asarray(model.breakpoints) - 1,
                                          rng_codes(rng, model.input, 2000)]))
    fast = model.evaluate(codes)
    slow = [slow_pwl(model, int(q)) for q in codes]
    assert fast.tolist() == slow


def rng_codes(rng, fmt, n):
    return np.asarray([rng.randint(fmt.min_code, fmt.max_code) for _ in range(n)], np.int64)


@pytest.mark.parametrize("seed", range(20))
def test_pwl_widths_bound_every_intermediate(seed):
    model = random_pwl(random.Random(1000 + seed))
    w = model.widths()
    q = model.input.codes()
    idx = model.segment_index(q)
    k = np.asarray(model.slopes, dtype=object)[idx]
    products = [int(a) * int(b) for a, b in zip(k, q)]
    assert w.product_min == min(products) and w.product_max == max(products)
    m = np.asarray(model.intercepts, dtype=object)[idx]
    offset = (1 << (model.shift - 1)) if model.shift else 0
    accs = [p + int(c) * 2 ** model.intercept_shift + offset for p, c in zip(products, m)]
    assert w.acc_min <= min(accs) and max(accs) <= w.acc_max
    assert signed_bits(min(accs), max(accs)) <= w.acc_bits


def test_round_shift_is_round_half_up():
    v = np.array([-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6], dtype=np.int64)
    # v / 4 rounded half up: -1.5 -> -1, -0.5 -> 0, 0.5 -> 1, 1.5 -> 2
    assert round_shift(v, 2).tolist() == [-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2]
    assert round_shift(v, 0).tolist() == v.tolist()


def test_table_clamps_to_its_codes():
    inp, out = IntFormat(4, True, 1.0), IntFormat(8, True, 1.0)
    model = TableModel(inp, out, -2, (10, 11, 12, 13))
    assert model.evaluate(np.arange(-8, 8)).tolist() == [10] * 7 + [11, 12] + [13] * 7


@pytest.mark.parametrize("change, message", [
    (dict(breakpoints=(3, 3)), "strictly increasing"),
    (dict(breakpoints=(-8, 3)), "inside the input code range"),
    (dict(slopes=(1, 200, 3)), "slope does not fit"),
    (dict(intercepts=(1, 2)), "K intercepts"),
    (dict(shift=-1), "shifts"),
])
def test_pwl_check_refuses_broken_integers(change, message):
    base = dict(input=IntFormat(4, True, 1.0), output=IntFormat(8, True, 1.0), breakpoints=(-2, 3),
                slopes=(1, 2, 3), intercepts=(4, 5, 6), shift=2, intercept_shift=1, slope_bits=8,
                intercept_bits=8)
    with pytest.raises(ApproxgenError, match=message):
        PwlModel(**{**base, **change}).check()
