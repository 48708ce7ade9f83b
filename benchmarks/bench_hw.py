"""Hardware benchmark: Yosys cells (`synth`) and iCE40 LUT4/carry (`synth_ice40`) of GELU designs.

For 8, 12 and 16 input bits: the exact (correctly rounded) table, and the pwl full datapath and lut
part at 8 and 16 segments, each with its measured error; at 16 bits also the fewest segments whose
max error is below I-BERT's (0.018 in real units) and the power of two above that count. Checks
the targets (for int16 GELU: a design below I-BERT's error at <= 35% of the table's cells; the lut
part < 10%) and says where the table wins. Writes markdown to benchmarks/results/hw.md. Nothing
here is hard-coded: every number is fitted, emitted and synthesized on this run.

    python benchmarks/bench_hw.py [--search uniform] [--bits 8 12 16] [--segments 8 16]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from approxgen import cost
from approxgen.emit import verilog
from approxgen.fitting import fit
from approxgen.spec import resolve

IBERT_MAX_ABS_ERROR = 0.018  # I-BERT's i-GELU max error in real units
FULL_TARGET, LUT_TARGET = 0.35, 0.10  # of the exact table's cells
ROOT = Path(__file__).resolve().parents[1]


def gelu_spec(bits: int, args, **extra):
    raw = {"function": "gelu", "input": {"bits": bits, "signed": True},
           "output": {"bits": bits}, "search": args.search, **extra}
    if args.coef_format:
        raw["coef_format"] = args.coef_format
    return resolve(raw, "<bench>")


def synthesize(f, part: str) -> dict:
    started = time.perf_counter()
    y = cost.measure(verilog.render(f, part=part), verilog.module_name(f, part))
    return dict(y, seconds=time.perf_counter() - started)


def row(bits, design, f, part, measured) -> dict:
    return {"bits": bits, "design": design, "part": part,
            "segments": f.model.segments if f.model.form == "pwl" else None,
            "max_error_lsb": f.metrics["max_error_lsb"],
            "max_abs_error": f.metrics["max_abs_error"], **measured}


def bench(args) -> list[dict]:
    rows = []
    for bits in args.bits:
        table = fit(gelu_spec(bits, args, form="table"))
        rows.append(row(bits, "exact table", table, "full", synthesize(table, "full")))
        _log(rows[-1])
        fits = [(f"pwl {k} seg", fit(gelu_spec(bits, args, segments=k))) for k in args.segments]
        if bits == 16:
            # The fewest segments whose max error (real units) stays below I-BERT's.
            budget = IBERT_MAX_ABS_ERROR / table.spec.output.scale * (1 - 1e-9)
            auto = fit(gelu_spec(bits, args, segments="auto", max_error_lsb=budget))
            fits.append((f"pwl {auto.model.segments} seg (fewest < I-BERT)", auto))
            # Power-of-two segment counts give aligned breakpoints: cheaper decoder and multiplier.
            k = 1 << (auto.model.segments - 1).bit_length()
            if k != auto.model.segments and k not in args.segments:
                fits.append((f"pwl {k} seg", fit(gelu_spec(bits, args, segments=k))))
        for design, f in fits:
            for part in ("full", "lut"):
                rows.append(row(bits, design, f, part, synthesize(f, part)))
                _log(rows[-1])
    return rows


def _log(r: dict) -> None:
    print(f"  int{r['bits']:<3} {r['design']:<30} {r['part']:<5} {r['cells']:>6} cells "
          f"{r['ice40_lut4']:>6} LUT4  ({r['seconds']:.1f} s)", file=sys.stderr, flush=True)


def verdicts(rows: list[dict]) -> list[str]:
    """Where the table wins, and the int16 targets, from the measured rows."""
    lines = []
    for bits in sorted({r["bits"] for r in rows}):
        at = [r for r in rows if r["bits"] == bits]
        table = next(r for r in at if r["design"] == "exact table")
        full = [r for r in at if r["part"] == "full" and r["design"] != "exact table"]
        smaller = [r for r in full if r["cells"] < table["cells"]]
        lut = min((r for r in at if r["part"] == "lut"), key=lambda r: r["cells"])
        if not smaller:
            lines.append(f"- **int{bits}: the exact table wins.** Its {table['cells']} cells "
                         f"are fewer than every pwl full datapath's (from "
                         f"{min(r['cells'] for r in full)}), and it is correctly rounded "
                         f"({table['max_error_lsb']:.3f} LSB): use `form: table` at this width "
                         f"unless a MAC already exists (then the lut part is {lut['cells']} "
                         f"cells, {lut['design']}, at {lut['max_error_lsb']:.2f} LSB).")
        else:
            best = min(smaller, key=lambda r: r["cells"])
            lines.append(f"- int{bits}: the table has {table['cells']} cells; the smallest pwl "
                         f"full datapath ({best['design']}) has {best['cells']} "
                         f"({best['cells'] / table['cells']:.0%}) at {best['max_error_lsb']:.2f} "
                         f"LSB instead of {table['max_error_lsb']:.3f}.")
    at16 = [r for r in rows if r["bits"] == 16]
    if at16:
        table = next(r for r in at16 if r["design"] == "exact table")
        ok = [r for r in at16 if r["design"] != "exact table"
              and r["max_abs_error"] < IBERT_MAX_ABS_ERROR]
        for part, target in (("full", FULL_TARGET), ("lut", LUT_TARGET)):
            cands = [r for r in ok if r["part"] == part]
            if not cands:
                lines.append(f"- int16 target ({part}, < {IBERT_MAX_ABS_ERROR} error at <= "
                             f"{target:.0%} of the table): **missed**, no {part} design here is "
                             f"below I-BERT's error.")
                continue
            best = min(cands, key=lambda r: r["cells"])
            share = best["cells"] / table["cells"]
            lines.append(f"- int16 target ({part} {'<=' if part == 'full' else '<'} {target:.0%} "
                         f"of the table's cells with max error < {IBERT_MAX_ABS_ERROR}): "
                         f"**{'met' if share <= target else 'missed'}** by {best['design']}, "
                         f"{best['cells']} cells = {share:.1%}, max error "
                         f"{best['max_abs_error']:.4f}.")
    return lines


def markdown(rows: list[dict], args, seconds: float) -> str:
    table_cells = {r["bits"]: r["cells"] for r in rows if r["design"] == "exact table"}
    out = ["# Hardware cost: GELU, exact table vs pwl", "",
           f"Command: `{args.command}` (search `{args.search}`, coefficient format "
           f"`{args.coef_format or 'auto'}`), {seconds:.0f} s.  ",
           f"Machine: {_machine()}.  ",
           f"Tools: {cost.yosys_version()}; cells after generic `synth`, LUT4/carry after "
           f"`synth_ice40`, combinational modules as `approxgen emit verilog` writes them.", "",
           "| input | design | part | max error (LSB) | max abs error | cells | % of table "
           "| iCE40 LUT4 | iCE40 carry |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        part = "-" if r["design"] == "exact table" else r["part"]
        out.append(f"| int{r['bits']} | {r['design']} | {part} | {r['max_error_lsb']:.3f} | "
                   f"{r['max_abs_error']:.4f} | {r['cells']} | "
                   f"{r['cells'] / table_cells[r['bits']]:.1%} | {r['ice40_lut4']} | "
                   f"{r['ice40_carry']} |")
    out += ["", "The lut part is the segment decoder and coefficient ROM alone (it feeds an "
            "existing MAC); its errors are those of the datapath it feeds. Breakpoints on "
            "aligned power-of-two blocks (uniform search with a power-of-two segment count) "
            "let the decoder compare only the high bits of x and the multiplier take only its "
            "low bits; other counts pay full-width comparators and multiplier.", ""]
    out += verdicts(rows)
    return "\n".join(out) + "\n"


def _machine() -> str:
    cpu = cpu_model()
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--search", default="uniform", help="breakpoint search method")
    parser.add_argument("--coef-format", help="coefficient format BITS:FRAC (default: auto)")
    parser.add_argument("--bits", type=int, nargs="+", default=[8, 12, 16])
    parser.add_argument("--segments", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/hw.md"))
    args = parser.parse_args(argv)
    args.command = "python benchmarks/bench_hw.py " + shlex.join(sys.argv[1:] if argv is None
                                                                  else argv)
    args.command = args.command.rstrip()
    if cost.yosys_path() is None:
        print("bench_hw: yosys is not installed", file=sys.stderr)
        return 1
    started = time.perf_counter()
    rows = bench(args)
    text = markdown(rows, args, time.perf_counter() - started)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
