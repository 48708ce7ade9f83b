"""Bytes counted whole (``bytes_target``): the compiled kernel's tables + constants + code, from
the object file, as the byte budget, in the fit summary and in ``cost``."""

from __future__ import annotations

import re

import pytest
from conftest import fit_raw, require_tool, run_cli as run

from approxgen import footprint
from approxgen.emit import c as emit_c

GELU8 = dict(function="gelu", input={"bits": 8}, fold="none", form="pwl", search="uniform")
SIGMOID16 = dict(function="sigmoid", input={"bits": 16, "scale": "2^-12"},
                 output={"bits": 16, "signed": True, "scale": "2^-15"}, form="interp", order=2,
                 max_regions=1)


@pytest.mark.parametrize("target", ["host", "cortex-m0", "cortex-m4", "cortex-m7"])
def test_the_footprint_adds_up_from_the_object_file(target):
    require_tool("cc" if target == "host" else "arm-none-eabi-gcc")
    table = fit_raw(function="gelu", input={"bits": 8}, form="table")
    row = footprint.footprint(table.model, target)
    assert row["tables"] == emit_c.table_bytes(table.model) > 0
    assert row["code"] > 0 and row["total"] == row["tables"] + row["constants"] + row["code"]
    assert row["target"] == target and row["compiler"].split()[0] in ("cc", "arm-none-eabi-gcc")
    assert footprint.footprint(table.model, "tables")["total"] == row["tables"]
    # a pwl chain's tables become the code's immediates: what the object holds is counted
    f = fit_raw(**GELU8, segments=6)
    chain = footprint.footprint(f.model, target)
    assert chain["tables"] < emit_c.table_bytes(f.model) and chain["code"] > 0


def test_the_whole_kernel_budget_on_a_segmented_form():
    require_tool("arm-none-eabi-gcc")
    f = fit_raw(**GELU8, segments="auto", max_bytes=300, bytes_target="cortex-m0")
    whole = footprint.footprint(f.model, "cortex-m0")["total"]
    assert whole <= 300
    note = next(n for n in f.search["notes"] if n.startswith("max_bytes 300"))
    tried = [int(k) for k in re.search(r"\[([\d, ]+)\]", note).group(1).split(",")]
    over = fit_raw(**GELU8, segments=max(tried) + 1)
    assert footprint.footprint(over.model, "cortex-m0")["total"] > 300
    # counting the tables alone, the same budget takes more segments
    tables_only = fit_raw(**GELU8, segments="auto", max_bytes=300)
    assert tables_only.model.segments > f.model.segments


def test_int16_sigmoid_within_cmsis_nn_error_and_bytes_on_cortex_m4():
    """CMSIS-NN's arm_nn_activation_s16 sigmoid: 1.016 LSB, 512 B table + 349 B code."""
    require_tool("arm-none-eabi-gcc")
    f = fit_raw(**SIGMOID16, segments="auto", max_bytes=861, bytes_target="cortex-m4")
    row = footprint.footprint(f.model, "cortex-m4")
    assert row["total"] <= 861 and f.metrics["max_error_lsb"] < 1.016
    assert any(n.startswith("max_bytes 861 whole on cortex-m4") for n in f.search["notes"])


def test_summary_and_cost_print_the_whole_kernel(tmp_path):
    require_tool("arm-none-eabi-gcc")
    args = ["gelu", "--bits", "8", "--fold", "none", "--segments", "6", "--search", "uniform",
            "--bytes-target", "cortex-m4"]
    out = tmp_path / "g.json"
    result = run("fit", *args, "-o", out)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("C kernel:"))
    assert re.search(r"\d+ B on cortex-m4 \(\d+ tables \+ \d+ constants \+ \d+ code; "
                     r"arm-none-eabi-gcc", line), line
    cost = run("cost", str(out), "--no-yosys")
    assert cost.returncode == 0, cost.stderr
    assert line.split(":", 1)[1].strip() in cost.stdout


def test_bad_bytes_target_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "g.json"
    result = run("fit", "gelu", "--bits", "8", "--bytes-target", "cortex-m3", "-o", out)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "--bytes-target" in result.stderr and not out.exists()
    spec = tmp_path / "s.yaml"
    spec.write_text("function: gelu\ninput: {bits: 8}\nbytes_target: avr\n")
    result = run("fit", str(spec), "-o", out)
    assert result.returncode == 2 and f"{spec}: bytes_target" in result.stderr
    assert not out.exists()


def test_a_missing_cross_compiler_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(footprint.tools, "which", lambda name: None)
    with pytest.raises(Exception) as info:
        fit_raw(**GELU8, segments="auto", max_bytes=300, bytes_target="cortex-m4")
    assert "arm-none-eabi-gcc not found" in str(info.value)
    assert "bytes_target" in str(info.value)
    assert emit_c.table_bytes(fit_raw(**GELU8, segments=4).model) > 0
