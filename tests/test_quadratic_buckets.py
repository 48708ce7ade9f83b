"""The quadratic's compact bucket table: it ends at the domain's last code and holds only each
bucket's first segment, compared with the origins (padded past the domain); bit-exact over every
code of an int16 fit, folded (the half's table ends at 2^15) and not."""

from __future__ import annotations

import re

import numpy as np
import pytest

from approxgen import verify
from approxgen.emit import c
from conftest import fit_raw, require_tool

CMSIS = dict(input={"bits": 16, "scale": "2^-12"},
             output={"bits": 16, "signed": True, "scale": "2^-15"})


@pytest.fixture(scope="module")
def sigmoid16():
    return fit_raw(function="sigmoid", **CMSIS, form="quadratic", segments=24, search="uniform")


def table(header: str, name: str) -> tuple[str, int, list[int]]:
    m = re.search(rf"static const (\w+) {name}\[(\d+)\] = \{{([^}}]*)\}}", header)
    return m.group(1), int(m.group(2)), [int(v) for v in m.group(3).replace("\n", " ").split(",")]


def test_the_folded_half_table_ends_at_the_domain_and_holds_segments(sigmoid16):
    header = c.render(sigmoid16)
    kind, n, entries = table(header, "sigmoid_int16_half_buckets")
    width = int(re.search(r">> (\d+) == j", header).group(1))
    assert kind == "uint8_t" and n == (32768 >> width) + 1  # codes 0..2^15 of the half only
    half = sigmoid16.model.inner
    starts = np.arange(n, dtype=np.int64) << width
    assert entries == half.segment_index(starts).tolist()
    _, count, origins = table(header, "sigmoid_int16_half_origins")
    pad = count - half.segments
    assert 1 <= pad <= c.COMPACT_BUCKET_COMPARES and origins[half.segments:] == [32769] * pad
    # no bucket holds more breakpoints besides its first code than the compares read
    inner = np.bincount([t >> width for t in half.breakpoints if t % (1 << width)])
    assert inner.max() <= pad
    # asked for by name, the bucket table carries the thresholds (one load fewer, more bytes)
    named = c.render(sigmoid16, "bucket")
    assert "origins[f_j + 1" in header and "origins[f_j + 1" not in named
    assert table(named, "sigmoid_int16_half_origins")[1] == half.segments
    assert c.table_bytes(sigmoid16.model, "bucket") > c.table_bytes(sigmoid16.model)


@pytest.mark.parametrize("fold", ["auto", "none"])
def test_bit_exact_over_every_int16_code(sigmoid16, fold, tmp_path):
    require_tool("cc")
    f = sigmoid16 if fold == "auto" else fit_raw(function="sigmoid", **CMSIS, form="quadratic",
                                                  segments=24, search="uniform", fold="none")
    assert "Bucket table" in c.render(f)
    for search in ("auto", "bucket"):
        report = verify.verify(f, ["c"], tmp_path / search, segment_search=search)
        assert report.ok() and report.results[0].codes == 65536, report.table()
