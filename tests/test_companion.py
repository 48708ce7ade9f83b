"""Companions (``companion: sigmoid`` on a tanh fit): sigmoid served by the tanh kernel and its
tables, one golden model, its C checked over every code, the pair's footprint counted once."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import fit_raw, require_tool, run_cli as run

from approxgen import companion, footprint, verify
from approxgen.emit import c as emit_c

CMSIS = dict(input={"bits": 16, "scale": "2^-12"},
             output={"bits": 16, "signed": True, "scale": "2^-15"})
PAIR = dict(function="tanh", **CMSIS, form="interp", order=2, max_regions=1, segments="auto",
            companion="sigmoid")


@pytest.fixture(scope="module")
def pair():
    require_tool("arm-none-eabi-gcc")
    return fit_raw(**PAIR, max_bytes=861, bytes_target="cortex-m4")


def test_the_pair_within_cmsis_nn_error_and_bytes_on_cortex_m4(pair):
    """CMSIS-NN's arm_nn_activation_s16: tanh 1.476 LSB, sigmoid 1.016, 861 B for both."""
    whole = footprint.footprint(pair.model, "cortex-m4", companion="sigmoid")
    alone = footprint.footprint(pair.model, "cortex-m4")
    assert whole["total"] <= 861 and pair.metrics["max_error_lsb"] < 1.476
    m = companion.metrics(pair)
    assert m["max_error_lsb"] < 1.016 and m["codes"] == 65536
    # the tables once, the companion's code on top
    assert whole["tables"] == alone["tables"] == emit_c.table_bytes(pair.model)
    assert whole["code"] > alone["code"]
    assert any(n.startswith(f"max_bytes 861 whole on cortex-m4: {whole['total']} bytes")
               for n in pair.search["notes"])


def test_the_golden_model_is_the_identity_within_its_bound(pair):
    q = np.arange(-32768, 32768, dtype=np.int64)
    g = pair.model.evaluate
    want = np.clip((65536 + g(q >> 1) + g((q + 1) >> 1) + 2) >> 2, -32768, 32767)
    model = companion.model(pair)
    assert np.array_equal(model.evaluate(q), want)
    bound = pair.metrics["max_error_lsb"] / 2 + 0.5 + 1e-3
    assert companion.metrics(pair)["max_error_lsb"] <= bound


def test_verify_runs_the_companion_over_every_code(pair, monkeypatch, tmp_path):
    require_tool("cc")
    report = verify.verify(pair, ("c",), tmp_path / "ok")
    assert report.results[0].status == "pass" and report.results[0].codes == 65536
    header = emit_c.render(pair)
    assert "tanh_int16_sigmoid_array(const int16_t *x, int16_t *y, size_t n)" in header
    # a golden model one code off is caught: the companion's C is compared, not only tanh's
    shifted = companion.CompanionModel.shifted

    def off(self, q):
        v = shifted(self, q)
        return np.where(np.asarray(q) == 12345, v - 1, v)

    monkeypatch.setattr(companion.CompanionModel, "shifted", off)
    bad = verify.verify(pair, ("c",), tmp_path / "bad").results[0]
    assert bad.status == "fail" and bad.mismatches == 1
    assert bad.first[0].code == 12345 and bad.first[0].what.startswith("sigmoid")


def test_a_narrow_format_clamps_stray_values(tmp_path):
    """12-bit codes in int16_t: every value of the C type, against the nearest code's result."""
    require_tool("cc")
    f = fit_raw(function="tanh", input={"bits": 12, "scale": "2^-8"},
                output={"bits": 12, "signed": True, "scale": "2^-11"}, form="pwl", segments=6,
                companion="sigmoid")
    pair = companion.view(f)
    got = verify.run_c([pair], tmp_path, every_value=True)[pair.spec.name]
    bad, _ = verify.compare(pair, got, verify.C_VARIANTS, every_value=True)
    assert bad == 0 and got.shape[0] == 65536


def test_the_cli_records_the_key_and_refuses_what_cannot_serve_it(tmp_path):
    out = tmp_path / "t.json"
    r = run("fit", "tanh", "--bits", "8", "--in-scale", "2^-4", "--out-scale", "2^-7",
            "--companion", "sigmoid", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "sigmoid (pair)" in r.stdout
    assert json.loads(out.read_text())["spec"]["companion"] == "sigmoid"
    r = run("emit", "c", str(out))
    assert r.returncode == 0 and "tanh_int8_sigmoid(int8_t x)" in r.stdout
    r = run("emit", "c", str(out), "--export")  # the companion's entry points exported too
    assert r.returncode == 0 and "APPROXGEN_API int8_t tanh_int8_sigmoid(int8_t x)" in r.stdout
    assert "APPROXGEN_API void tanh_int8_sigmoid_array(" in r.stdout
    for args, words in ((["gelu"], "served by a fit of tanh, not of gelu"),
                        (["tanh", "--out-scale", "0.3"], "1/S_out an integer in 1..2^15"),
                        (["tanh", "--companion", "cosine"], "")):
        r = run("fit", *args, "--bits", "16", *(() if "cosine" in args[-1] else
                                                 ("--companion", "sigmoid")),
                "-o", str(tmp_path / "x.json"))
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr
        assert not (tmp_path / "x.json").exists()


def test_the_pair_under_qemu_on_cortex_m4_over_every_code(pair, tmp_path):
    """The pair cross-compiled for Cortex-M4 (APPROXGEN_BLOCK 1: element by element) and run
    under qemu-arm: tanh and its companion bit-exact on every int16 code."""
    cc = require_tool("arm-none-eabi-gcc")
    require_tool("qemu-arm")
    link = "arm-none-eabi-gcc -march=armv7-a -mthumb --specs=rdimon.specs -Wl,--no-warn-mismatch"
    report = verify.verify(pair, ["c"], tmp_path, cc=f"{cc} -mcpu=cortex-m4 -mthumb",
                           runner="qemu-arm", link=link)
    assert report.ok(strict=True) and report.results[0].codes == 65536, report.table()
