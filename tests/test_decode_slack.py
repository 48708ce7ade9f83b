"""Decode cost in the fit (spec key ``decode_slack``): int16 pwl breakpoints move to the C
decoder's 64-code grid (an aligned bucket table, no compare) when that costs at most the slack in
max error; 0 turns it off; the emitted C stays bit-exact."""

from __future__ import annotations

import pytest
from conftest import ROOT, fit_raw, require_tool, shipped_fit

from approxgen import spec as specs, verify
from approxgen.emit import c as emit_c
from approxgen.errors import ApproxgenError
from approxgen.fitting import fit

GELU16 = dict(function="gelu", input={"bits": 16, "scale": "2^-12"}, output={"bits": 16},
              segments=12, fold="none")


def test_the_shipped_int16_config_on_the_grid_within_the_slack(tmp_path):
    on = shipped_fit(ROOT / "configs" / "gelu_int16.yaml")  # the default slack, 0.25 LSB
    off = fit(on.spec.with_keys(decode_slack=0.0), progress=False)
    assert on.spec.decode_slack == 0.25 and "decode_slack" not in on.spec.to_json()
    half, searched = on.model.inner, off.model.inner  # folded: the half's breakpoints
    assert any(b % 64 for b in searched.breakpoints)  # the search's own: off the grid
    assert all(b % 64 == 0 for b in half.breakpoints)
    assert off.metrics["max_error_lsb"] <= on.metrics["max_error_lsb"] \
        <= off.metrics["max_error_lsb"] + 0.25 + 1e-9
    assert any(n.startswith("decode_slack 0.25") for n in on.search["notes"])
    assert "Bucket table: one load, no branch" in emit_c.render(on)
    assert "Bucket table: one load and one compare" in emit_c.render(off)
    require_tool("cc")
    got = verify.run_c([on], tmp_path, "cc")[on.spec.name]
    assert verify.compare(on, got, verify.C_VARIANTS) == (0, [])


def test_a_slack_the_grid_exceeds_keeps_the_searched_breakpoints():
    """12 segments: 14 LSB of error, and the grid would cost more than 0.25 of it."""
    on, off = fit_raw(**GELU16), fit_raw(**GELU16, decode_slack=0)
    assert on.model.breakpoints == off.model.breakpoints
    assert any(b % 64 for b in on.model.breakpoints)
    assert specs.resolve(dict(GELU16, decode_slack=0.5), "t").to_json()["decode_slack"] == 0.5


@pytest.mark.parametrize("value,message", [(-0.1, "between 0 and 1"), (2, "between 0 and 1"),
                                           ("x", "expected a number")])
def test_decode_slack_is_checked(value, message):
    with pytest.raises(ApproxgenError, match=f"decode_slack: .*{message}"):
        fit_raw(**GELU16, decode_slack=value)


def test_quadratic_declares_the_key_it_is_placed_with():
    """Quadratic fits share pwl's C segment decoder and its placement (fitting.place): the key
    is theirs to set too, not a pwl key read behind their back."""
    quadratic = dict(GELU16, form="quadratic", segments=10)
    assert specs.resolve(dict(quadratic, decode_slack=0.5), "t").to_json()["decode_slack"] == 0.5
    assert specs.resolve(quadratic, "t").decode_slack == 0.25
    with pytest.raises(ApproxgenError, match="decode_slack"):
        specs.resolve(dict(GELU16, form="table", decode_slack=0.5), "t")
