"""``approxgen cost``: the estimate follows the emitted widths; Yosys measures when installed."""

from __future__ import annotations

import json
import subprocess
import sys

from approxgen import cost
from approxgen.emit import verilog
from conftest import fit_raw, require_tool


def gelu8(**extra):
    extra.setdefault("fold", "none")  # the datapath of the form itself (lut part included)
    search = {} if extra.get("form") == "table" else {"search": "uniform"}  # a table reads none
    return fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, **search, **extra)


def test_estimate_of_pwl_parts_follows_the_datapath():
    f = gelu8(segments=8)
    d, m = verilog.pwl_datapath(f.model), f.model
    full = cost.estimate(f, "full")
    assert full["rom_words"] == 8 and full["rom_bits"] == 8 * (d.slope_bits + d.bias_bits)
    assert d.key_shift == 5 and full["comparators"][:7] == [3] * 7  # breakpoints: multiples of 32
    assert d.low_bits == 5  # uniform segments of 32 codes: the multiplier sees x[4:0]
    assert full["multiplier"] == {"a": d.slope_bits, "b": 6, "product": d.product_bits}
    assert full["adders"] == [d.acc_bits] and full["flip_flops"] == 0
    lut = cost.estimate(f, "lut")
    assert lut["rom_bits"] == 8 * (m.slope_bits + m.intercept_bits)
    assert lut["multiplier"] is None and lut["comparators"] == [3] * 7
    unaligned = cost.estimate(gelu8(segments=7), "lut")
    assert unaligned["comparators"] == [8] * 6
    piped = cost.estimate(f, "full", pipeline=True)
    assert piped["flip_flops"] == 5 + d.slope_bits + d.bias_bits + 8 + 2


def test_estimate_of_a_table_is_its_rom():
    f = gelu8(form="table")
    assert cost.parts(f) == ["full"]
    est = cost.estimate(f, "full")
    assert (est["rom_words"], est["rom_bits"], est["comparators"]) == (256, 2048, [])


def test_report_without_yosys_is_deterministic():
    f = gelu8()
    text = cost.format_table(cost.cost(f, use_yosys=False))
    assert text == cost.format_table(cost.cost(gelu8(), use_yosys=False))
    assert "gelu_int8_lut" in text and "8x21=168" in text and "10x6->14" in text
    assert "estimate only" in text


def test_yosys_measures_cells_and_ice40_luts():
    require_tool("yosys")
    report = cost.cost(gelu8(segments=4))
    assert report["yosys_version"].startswith("Yosys ")
    full, lut = (r["yosys"] for r in report["parts"])
    assert full["cells"] > lut["cells"] > 0
    assert full["ice40_lut4"] > 0 and full["ice40_carry"] > 0
    text = cost.format_table(report)
    assert str(full["cells"]) in text and "synth_ice40" in text
    # Narrow inputs: the exact table is smaller than the pwl datapath.
    table = cost.cost(gelu8(form="table"), ice40=False)["parts"][0]["yosys"]
    assert table["cells"] < full["cells"]


def test_cli_cost_json_and_table(tmp_path):
    art = tmp_path / "g.json"
    art.write_text(gelu8().dumps())
    out = subprocess.run([sys.executable, "-m", "approxgen", "cost", str(art), "--no-yosys", "--json"],
                         capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    assert [p["part"] for p in report["parts"]] == ["full", "lut"]
    assert report["yosys_version"] is None
    out = subprocess.run([sys.executable, "-m", "approxgen", "cost", str(art), "--no-yosys", "--pipeline"],
                         capture_output=True, text=True, check=True).stdout
    assert "latency 2" in out and "latency 1" in out
