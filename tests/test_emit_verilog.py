"""Verilog emitter: Icarus simulation over every input code equals the golden model, Verilator
-Wall is silent, Yosys synthesizes; vectors, CLI errors and determinism."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from approxgen import artifact, cost, verify
from approxgen.cli import main
from approxgen.emit import vectors, verilog
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, signed_bits
from approxgen.metrics import measure_model
from approxgen.model import PwlModel
from conftest import CONFIGS, fit_raw, require_tool, shipped_fit

ROOT = Path(__file__).resolve().parents[1]


# --- helpers ------------------------------------------------------------------------------------

def simulate(tmp_path: Path, f, part="full", pipeline=False) -> verify.SimResult:
    """The emitted test bench over every input code (:func:`verify.simulate_verilog`): it passes."""
    require_tool("iverilog"), require_tool("vvp")
    result = verify.simulate_verilog(f, tmp_path, part, pipeline)
    assert (result.passed, result.failed) == (1 << f.spec.input.bits, 0), result.log
    return result


def lint(tmp_path: Path, f, part="full", pipeline=False) -> None:
    verilator = require_tool("verilator")
    name = verilog.module_name(f, part)
    path = tmp_path / f"{name}.v"
    path.write_text(verilog.render(f, part=part, pipeline=pipeline))
    result = subprocess.run([verilator, "--lint-only", "-Wall", str(path)], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def read_vectors(text: str) -> list[list[int]]:
    """The fields of every vector word as raw (unsigned) ints, split on the underscores."""
    return [[int(field, 16) for field in line.split("_")] for line in text.splitlines()
            if line and not line.startswith("//")]


def signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def with_model(base, model):
    """``base`` with its model replaced (and metrics re-measured): arbitrary integers to emit."""
    metrics, floor = measure_model(base.spec, model)
    return dataclasses.replace(base, model=model, metrics=metrics, floor_metrics=floor)


def random_pwl(rng, inp: IntFormat, out: IntFormat) -> PwlModel:
    """A random valid pwl model: random widths, shifts and coefficients, often saturating."""
    k = int(rng.integers(1, 10))
    inner = np.arange(inp.min_code + 1, inp.max_code + 1)
    bps = tuple(sorted(int(b) for b in rng.choice(inner, k - 1, replace=False)))
    slope_bits, intercept_bits = int(rng.integers(2, 13)), int(rng.integers(2, 22))
    draw = lambda bits: tuple(int(v) for v in rng.integers(-(1 << (bits - 1)),  # noqa: E731
                                                           1 << (bits - 1), k))
    slopes = draw(slope_bits) if rng.random() > 0.1 else (0,) * k
    shift = int(rng.choice([0, rng.integers(1, 16), rng.integers(16, 40)]))
    model = PwlModel(inp, out, bps, slopes, draw(intercept_bits), shift,
                     int(rng.integers(0, 6)), slope_bits, intercept_bits)
    model.check()
    return model


def gelu(bits: int, is_signed: bool = True, **extra):
    return fit_raw(function="gelu" if is_signed else "sigmoid",
                   input={"bits": bits, "signed": is_signed,
                          **({} if is_signed else {"scale": "2^-%d" % (bits - 4)})},
                   output={"bits": bits}, search="uniform", fold="none", **extra)


# --- shipped configs: the full datapath, simulated and linted -----------------------------------

@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_shipped_config_simulates_bit_exact_and_lints(tmp_path, config):
    f = shipped_fit(config)
    simulate(tmp_path, f)
    lint(tmp_path, f)
    if "lut" in cost.parts(f) and f.spec.input.bits <= 8:  # folded fits have one too
        simulate(tmp_path, f, part="lut", pipeline=True)
        lint(tmp_path, f, part="lut")


# --- random formats: every part and pipelining --------------------------------------------------

@pytest.mark.parametrize("bits", [8, 12, 16])
@pytest.mark.parametrize("is_signed", [True, False], ids=["signed", "unsigned"])
def test_random_formats_every_part(tmp_path, bits, is_signed):
    rng = np.random.default_rng(bits * 2 + is_signed)
    coef = rng.choice(["auto", f"{bits}:{bits - 3}", f"{bits + 2}:{bits - 2}"])
    f = gelu(bits, is_signed, segments=int(rng.integers(3, 20)), coef_format=str(coef))
    for part in ("full", "lut"):
        for pipeline in (False, True):
            simulate(tmp_path, f, part, pipeline)
            lint(tmp_path, f, part, pipeline)


@pytest.mark.parametrize("seed", range(6))
def test_random_integer_models_saturate_and_round_exactly(tmp_path, seed):
    """Arbitrary integers (saturating both ways, shift 0, intercept shift, zero slopes, one
    segment, unsigned output) exercise every branch of the datapath builder."""
    rng = np.random.default_rng(100 + seed)
    bits = (8, 12)[seed % 2]
    in_signed, out_signed = bool(seed & 2), bool(seed & 4) or seed == 1
    base = fit_raw(function="tanh", input={"bits": bits, "signed": in_signed, "scale": "2^-6"},
                   output={"bits": int(rng.integers(4, 12)), "signed": out_signed},
                   domain=[0.0, 1.0], segments=2)
    for _ in range(3):
        f = with_model(base, random_pwl(rng, base.spec.input, base.spec.output))
        pipeline = bool(rng.integers(0, 2))
        simulate(tmp_path, f, "full", pipeline)
        lint(tmp_path, f, "full", pipeline)
        simulate(tmp_path, f, "lut", not pipeline)
        lint(tmp_path, f, "lut", not pipeline)


EDGE_MODELS = {
    # a shift wider than the products: y comes from the rounding offset alone.
    "wide-shift": dict(breakpoints=(0,), slopes=(1, 0), intercepts=(3, -2), shift=30,
                             intercept_shift=2),
    # k*q and the intercept cancel: the product is wider than the accumulator.
    "cancellation": dict(breakpoints=(0,), slopes=(0, 100), intercepts=(0, -6350), shift=4,
                         intercept_shift=0),
    # a one-code segment at 0 with a wide slope: the product range is 0 there.
    "one-code-segment": dict(breakpoints=(0, 1), slopes=(2, 2047, -3), intercepts=(0, 9, 0),
                             shift=0, intercept_shift=1),
    # aligned but not uniform: the multiplier takes x's low 6 bits.
    "aligned-blocks": dict(breakpoints=(-96, -64, 0, 64), slopes=(-5, 7, 300, -2, 9),
                           intercepts=(100, -3, 20000, 5, -700), shift=9, intercept_shift=1),
    "one-segment-constant": dict(breakpoints=(), slopes=(0,), intercepts=(-77,), shift=3,
                                 intercept_shift=0),
}


@pytest.mark.parametrize("case", sorted(EDGE_MODELS))
def test_edge_case_models(tmp_path, case):
    base = fit_raw(function="gelu", input={"bits": 8}, output={"bits": 6}, segments=2)
    model = PwlModel(base.spec.input, base.spec.output, slope_bits=12, intercept_bits=16,
                     **EDGE_MODELS[case])
    model.check()
    f = with_model(base, model)
    for part in ("full", "lut"):
        for pipeline in (False, True):
            simulate(tmp_path, f, part, pipeline)
            lint(tmp_path, f, part, pipeline)


@pytest.mark.parametrize("function,bits", [("exp", 8), ("exp", 12), ("recip", 8)])
def test_table_simulates_every_code_with_clamping(tmp_path, function, bits):
    # exp's domain is x <= 0, recip's [0.5, 4] (unsigned): codes outside hold the clamped value.
    f = fit_raw(function=function, input={"bits": bits}, output={"bits": bits}, form="table")
    assert f.spec.domain[1] < f.spec.input.max_code or f.spec.domain[0] > f.spec.input.min_code
    simulate(tmp_path, f)
    simulate(tmp_path, f, pipeline=True)
    lint(tmp_path, f, pipeline=True)


# --- the test bench fails when it should --------------------------------------------------------

def test_testbench_fails_on_a_wrong_vector_and_on_a_wrong_file(tmp_path):
    require_tool("iverilog"), require_tool("vvp")
    f = gelu(8)
    files = verify.write_verilog(f, tmp_path, pipeline=True)
    sim = verify.compile_verilog(files)
    lines = files.vectors.read_text().splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("90_"))
    x, y, *rest = lines[i].split("_")
    lines[i] = "_".join([x, format((int(y, 16) + 1) % 256, "02x"), *rest])
    files.vectors.write_text("\n".join(lines) + "\n")
    run = verify.run_testbench(sim, files.vectors, files.module)
    assert (run.passed, run.failed) == (255, 1) and "255 passed, 1 failed" in run.log
    golden = int(f.model.evaluate(np.array([0x90 - 256]))[0])
    assert run.first == [verify.Mismatch(0x90 - 256, "y", signed((golden + 1) % 256, 8), golden)]
    files.vectors.write_text("\n".join(lines[:-5]) + "\n")  # codes missing
    with pytest.raises(verify.ToolFailed, match=r"stopped \(status [1-9]\d*\): .*does not hold "
                       "every input code") as stopped:
        verify.run_testbench(sim, files.vectors, files.module)
    assert "passed" not in stopped.value.output


# --- vectors are the golden model ---------------------------------------------------------------

@pytest.mark.parametrize("is_signed", [True, False])
def test_vectors_hold_the_golden_model_for_every_code(is_signed):
    f = gelu(8, is_signed)
    rows = read_vectors(vectors.render(f))
    codes = f.spec.input.codes()
    assert len(rows) == codes.size
    m, inp, out = f.model, f.spec.input, f.spec.output
    xs = [signed(r[0], inp.bits) if inp.signed else r[0] for r in rows]
    ys = [signed(r[1], out.bits) if out.signed else r[1] for r in rows]
    assert xs == codes.tolist() and ys == m.evaluate(codes).tolist()
    idx = m.segment_index(codes)
    assert [signed(r[2], m.slope_bits) for r in rows] == [m.slopes[i] for i in idx]
    assert [signed(r[3], m.intercept_bits) for r in rows] == [m.intercepts[i] for i in idx]


def test_table_vectors_have_x_and_y_only():
    f = fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, form="table")
    rows = read_vectors(vectors.render(f))
    assert {len(r) for r in rows} == {2}
    assert [signed(r[1], 8) for r in rows] == f.model.evaluate(f.spec.input.codes()).tolist()


# --- the text itself ----------------------------------------------------------------------------

def test_module_text_has_the_contract():
    f = gelu(8)
    text = verilog.render(f)
    assert text.splitlines()[0].startswith("// Generated by approxgen")
    assert f"// spec hash {f.spec.hash()}" in text
    assert "`default_nettype none" in text and text.rstrip().endswith("`default_nettype wire")
    assert "module gelu_int8 (x, y);" in text and "input  wire signed [IN_BITS-1:0] x;" in text
    assert "output wire signed [OUT_BITS-1:0] y;" in text
    assert "localparam integer IN_BITS      = 8;" in text
    assert "always @(posedge" not in text  # purely combinational
    lut = verilog.render(f, part="lut")
    assert "module gelu_int8_lut (x, slope, intercept);" in lut
    assert f"localparam integer SHIFT           = {f.model.shift};" in lut
    piped = verilog.render(f, pipeline=True)
    assert "module gelu_int8 (clk, rst_n, in_valid, x, out_valid, y);" in piped
    assert "localparam integer LATENCY      = 2;" in piped
    unsigned = verilog.render(gelu(8, False, segments=7))  # 7 segments: not aligned
    assert "input  wire [IN_BITS-1:0] x;" in unsigned and "$signed({1'b0, x})" in unsigned
    aligned = verilog.render(gelu(8, False, segments=8))
    assert "localparam integer LOW_BITS     = 5;" in aligned
    assert "localparam integer KEY_SHIFT    = 5;" in aligned and "x_key >= 3'd1" in aligned
    assert "$signed({1'b0, x[LOW_BITS-1:0]})" in aligned


def test_rendering_is_deterministic_and_has_no_timestamp():
    f = gelu(8)
    for part in ("full", "lut"):
        assert verilog.render(f, part=part) == verilog.render(gelu(8), part=part)
    text = verilog.render(f) + verilog.render_testbench(f) + vectors.render(f)
    assert "2026" not in text and "UTC" not in text


@pytest.mark.parametrize("segments", [31, 32])
def test_wires_are_exactly_as_wide_as_the_golden_model_needs(segments):
    f = gelu(16, segments=segments)
    d, w = verilog.pwl_datapath(f.model), f.model.widths()
    assert d.acc_bits == w.acc_bits
    if segments == 31:  # unaligned breakpoints: the multiplier sees all of x
        assert d.low_bits is None and (d.x_bits, d.product_bits) == (16, w.product_bits)
    else:  # 32 uniform segments of 2^11 codes: the multiplier sees x[10:0]
        assert d.low_bits == 11 and d.x_bits == 12 and d.product_bits < w.product_bits
        ranges = f.model.segment_ranges()
        products = [k * (q - (q >> 11 << 11)) for (lo, hi), k in zip(ranges, f.model.slopes)
                    for q in (lo, hi)]
        assert d.product_bits == max(signed_bits(min(products), max(products)), d.slope_bits)
    text = verilog.render(f)
    assert f"localparam integer PRODUCT_BITS = {d.product_bits};" in text
    assert f"localparam integer ACC_BITS     = {w.acc_bits};" in text


def test_lut_part_of_a_table_is_refused():
    f = fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, form="table",
                fold="none")
    with pytest.raises(ApproxgenError, match="table has no coefficients"):
        verilog.render(f, part="lut")


# --- Yosys ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["pwl", "table"])
def test_yosys_synthesizes_small_designs(tmp_path, form):
    yosys = require_tool("yosys")
    f = fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8}, form=form)
    variants = [("full", False), ("full", True)] + [("lut", False)] * ("lut" in cost.parts(f))
    for part, pipeline in variants:
        files = verify.write_verilog(f, tmp_path, part, pipeline)
        stat = tmp_path / "stat.json"
        subprocess.run([yosys, "-q", "-p", f"read_verilog {files.dut}; synth -top {files.module}; "
                        f"check -assert; tee -q -o {stat} stat -json"], check=True,
                       capture_output=True)
        cells = json.loads(stat.read_text())["design"]["num_cells"]
        assert cells > 20
        if pipeline:
            assert "DFF" in stat.read_text()


# --- CLI -----------------------------------------------------------------------------------------

def test_cli_writes_module_testbench_and_vectors(tmp_path):
    art = tmp_path / "g.json"
    art.write_text(gelu(8).dumps())
    runner = CliRunner()
    r = runner.invoke(main, ["emit", "verilog", str(art), "-o", str(tmp_path / "g.v"),
                             "--part", "lut", "--pipeline", "--testbench", str(tmp_path / "tb.v")])
    assert r.exit_code == 0, r.output
    assert "module gelu_int8_lut" in (tmp_path / "g.v").read_text()
    assert "module gelu_int8_lut_tb" in (tmp_path / "tb.v").read_text()
    r = runner.invoke(main, ["emit", "vectors", str(art), "-o", str(tmp_path / "v.hex")])
    assert r.exit_code == 0 and len(read_vectors((tmp_path / "v.hex").read_text())) == 256


def _bad_artifacts(tmp_path: Path) -> dict[str, Path]:
    good = json.loads(gelu(8).dumps())
    newer = dict(good, schema_version=99)
    corrupted = json.loads(json.dumps(good))
    corrupted["model"]["slopes"][2] += 1  # metrics no longer match
    files = {"not-json": "hello", "not-artifact": json.dumps({"a": 1}),
             "newer": json.dumps(newer), "corrupted": json.dumps(corrupted)}
    out = {}
    for key, text in files.items():
        out[key] = tmp_path / f"{key}.json"
        out[key].write_text(text)
    return out


@pytest.mark.parametrize("command", [["emit", "verilog"], ["emit", "vectors"], ["cost"]])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, command):
    for key, path in _bad_artifacts(tmp_path).items():
        out = tmp_path / f"out-{key}.v"
        args = [*command, str(path)] + (["-o", str(out)] if command[0] == "emit" else [])
        if command == ["emit", "verilog"]:
            args += ["--testbench", str(tmp_path / f"tb-{key}.v")]
        result = CliRunner().invoke(main, args)  # in-process: 12 interpreters cost ~8 s
        assert result.exit_code == 2, (key, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and "error" in result.stderr
        assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir() if not p.suffix == ".json") == []


def test_cli_lut_part_of_a_table_is_one_line_exit_2(tmp_path):
    art = tmp_path / "t.json"
    art.write_text(fit_raw(function="gelu", input={"bits": 8}, output={"bits": 8},
                           form="table").dumps())
    result = CliRunner().invoke(main, ["emit", "verilog", str(art), "--part", "lut", "-o",
                                       str(tmp_path / "t.v")])
    assert result.exit_code == 2 and "lut part" in result.stderr
    assert not (tmp_path / "t.v").exists()
    assert artifact.load(art).model.form == "table"


def test_hdl_example_runs_under_icarus(tmp_path):
    require_tool("iverilog")
    make = require_tool("make")
    build = tmp_path / "build"
    result = subprocess.run([make, "-s", "-C", str(ROOT / "examples/hdl"), f"BUILD={build}",
                             f"PYTHON={sys.executable}"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gelu( 2.000) =" in result.stdout and "gelu_int8: 256 passed, 0 failed" in result.stdout
    assert not (ROOT / "examples/hdl/build").exists()
