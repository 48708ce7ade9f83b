"""Metrics against hand-computed cases."""

import numpy as np
import pytest

from approxgen.fixedpoint import IntFormat
from approxgen.metrics import correctly_rounded, measure, saturate, saturation

OUT = IntFormat(4, True, 0.5)  # codes -8..7, real -4.0..3.5


def test_measure_by_hand():
    reference = np.array([0.2, 1.0, -0.74])
    outputs = np.array([0, 2, -1])  # real 0.0, 1.0, -0.5; errors -0.2, 0, 0.24
    m = measure(outputs, reference, OUT)
    assert m["codes"] == 3
    assert m["max_abs_error"] == pytest.approx(0.24)
    assert m["max_error_lsb"] == pytest.approx(0.48)
    assert m["mse"] == pytest.approx((0.04 + 0.0 + 0.0576) / 3)
    assert m["mismatches"] == 0  # round(0.4)=0, round(2)=2, round(-1.48)=-1


def test_mismatches_count_differences_from_correct_rounding():
    reference = np.array([0.2, 1.0, -0.74, 0.3])
    outputs = np.array([1, 2, -2, 1])  # 0.3/0.5 = 0.6 rounds to 1: matches
    m = measure(outputs, reference, OUT)
    assert m["mismatches"] == 2
    assert m["max_error_lsb"] == pytest.approx(max(0.3, 0, 0.26, 0.2) / 0.5)


def test_correctly_rounded_saturates_and_rounds_half_up():
    reference = np.array([100.0, -100.0, 0.25, -0.25, 0.74])
    assert correctly_rounded(reference, OUT).tolist() == [7, -8, 1, 0, 1]


def test_error_is_measured_against_the_saturated_target():
    reference = np.array([5.0, -4.25, 1.0])  # beyond 3.5, below -4.0, inside
    m = measure(correctly_rounded(reference, OUT), reference, OUT)
    assert m["mismatches"] == 0 and m["max_error_lsb"] == 0.0
    m = measure(np.array([6, -8, 2]), reference, OUT)  # 3.0 against sat(5.0) = 3.5
    assert m["max_error_lsb"] == pytest.approx(1.0)


def test_saturation_counts_clipped_codes_and_the_largest_gap():
    reference = np.array([5.0, -4.25, 1.0, 3.5])
    assert saturation(reference, OUT) == {"saturated_codes": 2, "max_clip_lsb": 3.0}
    assert saturate(reference, OUT).tolist() == [3.5, -4.0, 1.0, 3.5]
