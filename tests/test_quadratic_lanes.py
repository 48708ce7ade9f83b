"""The quadratic array's Horner's rule in uint32_t lanes where the accumulator needs more than 32
signed bits (emit/c.py: _quadratic_lanes): chosen by the width analysis, bit-exact over every
int16 code, with the final sum in 32 bits and, where it reaches 2^32, in 64 bits (the correctly
rounded int16 gelu of issue 26, stored as an artifact: its fit takes ~17 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from approxgen import artifact, verify
from approxgen.emit import c
from conftest import fit_raw, require_tool

INT16 = dict(input={"bits": 16, "scale": "2^-12"}, output={"bits": 16, "scale": "2^-12"})
ROUNDED_GELU = Path(__file__).parent / "data" / "gelu16_rounded.json"


def lanes_of(f) -> str | None:
    return c.quadratic_context(getattr(f.model, "inner", f.model), "auto")["lanes"]


@pytest.fixture(scope="module")
def cases():
    return {"uint32_t": fit_raw(name="gelu16_q8", function="gelu", form="quadratic", segments=8,
                                fold="none", search="uniform", **INT16),
            "uint64_t": artifact.load(ROUNDED_GELU),
            None: fit_raw(name="gelu16_q16", function="gelu", form="quadratic", segments=16,
                          fold="none", search="uniform", **INT16)}


def test_the_width_analysis_picks_the_lanes(cases):
    for lanes, f in cases.items():
        assert lanes_of(f) == lanes
        header = c.render(f)
        assert ("_eval_lanes(k[j], m[j], c[j], o[j])" in header) == (lanes is not None)
    # the stored fit is the issue's: correctly rounded on every code, its accumulator 34 bits
    rounded = cases["uint64_t"]
    assert rounded.metrics["mismatches"] == 0 and rounded.metrics["codes"] == 65536
    assert c.quadratic_context(rounded.model.inner, "auto")["acc_bits"] > 32


@pytest.mark.parametrize("lanes", ["uint32_t", "uint64_t"])
def test_bit_exact_over_every_int16_code(cases, lanes, tmp_path):
    require_tool("cc")
    report = verify.verify(cases[lanes], ["c"], tmp_path)
    assert report.ok() and report.results[0].codes == 65536, report.table()
