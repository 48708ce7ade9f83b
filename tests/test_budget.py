"""The count searches: ``first_count`` (shared by ``segments: auto`` and the byte budget) against
brute force, and the byte budget's boundary for a segmented form."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from approxgen.emit import c as emit_c
from approxgen.fit.auto import first_count
from conftest import fit_raw

GELU8 = dict(function="gelu", input={"bits": 8}, fold="none")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.integers(1, 301), st.integers(1, 302))
def test_first_count_is_the_least_count_that_holds(n, threshold, lower):
    calls = []

    def holds(k):
        assert lower <= k <= n, k  # never asks outside lower..n
        calls.append(k)
        return k >= threshold

    expected = max(threshold, lower) if max(threshold, lower) <= n else None
    assert first_count(holds, n, lower) == expected
    assert len(calls) <= 2 * n.bit_length() + 2  # logarithmic, not a scan


def test_byte_budget_finds_the_boundary_and_keeps_the_best_count_tried():
    f = fit_raw(**GELU8, form="pwl", search="uniform", segments="auto", max_bytes=60)
    size = emit_c.table_bytes(f.model)
    assert size <= 60
    note = next(n for n in f.search["notes"] if n.startswith("max_bytes 60"))
    tried = [int(k) for k in re.search(r"\[([\d, ]+)\]", note).group(1).split(",")]
    over = fit_raw(**GELU8, form="pwl", search="uniform", segments=max(tried) + 1)
    assert emit_c.table_bytes(over.model) > 60  # one more segment does not fit
    for k in tried:  # the lowest error of the counts that fit
        other = fit_raw(**GELU8, form="pwl", search="uniform", segments=k)
        assert other.metrics["max_error_lsb"] >= f.metrics["max_error_lsb"]
