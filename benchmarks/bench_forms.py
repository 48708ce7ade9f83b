"""Forms side by side: pwl vs quadratic vs ibert vs table for gelu, silu and exp.

At int8 (input scale 2^-5) and int16 (2^-12), output scale automatic, every form at 4, 8 and 16
segments (``exact`` search at int8; at int16 ``uniform`` by default to keep it cheap, or
``--int16-search exact``), I-BERT's integer GELU and
exp, and the correctly rounded table: max error (LSB), mismatches vs the table, C table bytes,
Yosys ``synth`` cells of the full Verilog part, fit seconds. Checks the issue's targets and writes
markdown to benchmarks/results/forms.md. Every number is fitted, emitted and synthesized on this
run.

    python benchmarks/bench_forms.py [--segments 4 8 16] [--int16-search exact] [--table16]
        [--functions gelu] [--bits 16] [--forms pwl quadratic]

Where the int16 target (quadratic >= 4x below pwl) is not met, the line gives the proven lower
bound of :mod:`approxgen.fit.bound` for any quadratic at that count, to tell a weak fit from an
impossible target.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
from approxgen import cost
from approxgen.emit import c, verilog
from approxgen.fitting import fit
from approxgen.fit.bound import minimax_lower_bound
from approxgen.spec import resolve

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("gelu", "silu", "exp")
FORMS = ("pwl", "quadratic", "ibert", "table")
WIDTHS = {8: 2 ** -5, 16: 2 ** -12}


def spec(function: str, bits: int, **extra):
    raw = {"function": function, "input": {"bits": bits, "signed": True, "scale": WIDTHS[bits]},
           "output": {"bits": bits}, **extra}
    return resolve(raw, "<bench>")


def measure(function, bits, label, yosys, **extra) -> dict:
    started = time.perf_counter()
    f = fit(spec(function, bits, **extra), progress=False)
    seconds = time.perf_counter() - started
    cells = None
    if yosys:
        cells = cost.measure(verilog.render(f), verilog.module_name(f), ice40=False)["cells"]
    row = {"function": function, "bits": bits, "design": label,
           "max_error_lsb": f.metrics["max_error_lsb"], "mismatches": f.metrics["mismatches"],
           "floor_lsb": f.floor_metrics["max_error_lsb"],
           "table_bytes": c.table_bytes(f.model), "cells": cells,
           "fit_seconds": seconds}
    if extra.get("form") == "quadratic":  # how far its outputs can stray from a real quadratic
        row["slack"] = 0.5 + 2 ** f.model.widths().d_bits / 2 ** f.model.shift
    print(f"  {function} int{bits} {label:<16} {row['max_error_lsb']:9.3f} LSB "
          f"{row['mismatches']:6d} mism {cells or '-':>6} cells {seconds:6.2f} s",
          file=sys.stderr, flush=True)
    return row


def bench(args) -> list[dict]:
    rows = []
    search = {8: "exact", 16: args.int16_search}
    for bits in args.bits:
        for function in args.functions:
            for form in [f for f in ("pwl", "quadratic") if f in args.forms]:
                for k in args.segments:
                    rows.append(measure(function, bits, f"{form} {k}", True, form=form,
                                        segments=k, search=search[bits]))
            if function in ("gelu", "exp") and "ibert" in args.forms:
                rows.append(measure(function, bits, "ibert", True, form="ibert"))
            if "table" in args.forms:
                rows.append(measure(function, bits, "table", bits == 8 or args.table16,
                                    form="table"))
    return rows


def targets(rows) -> list[str]:
    get = {(r["function"], r["bits"], r["design"]): r for r in rows}
    out = []
    for fn in ("gelu", "silu"):
        quads = [r for r in rows if r["function"] == fn and r["bits"] == 8
                 and r["design"].startswith("quadratic") and int(r["design"].split()[1]) <= 8]
        if not quads:
            continue
        best = min(quads, key=lambda r: r["mismatches"])
        out.append(f"- int8 {fn}: quadratic with <= 8 segments bit-identical to the correctly "
                   f"rounded table: {'met' if best['mismatches'] == 0 else 'NOT met'} "
                   f"({best['design']}: {best['mismatches']} mismatches)")
    for fn in FUNCTIONS:
        for k in (r["design"].split()[1] for r in rows
                  if r["function"] == fn and r["bits"] == 16 and r["design"].startswith("pwl")):
            p, q = get.get((fn, 16, f"pwl {k}")), get.get((fn, 16, f"quadratic {k}"))
            if q is None:
                continue
            ratio = p["max_error_lsb"] / q["max_error_lsb"]
            line = (f"- int16 {fn}, {k} segments: quadratic {ratio:.1f}x lower max error than "
                    f"pwl ({'met' if ratio >= 4 else 'NOT met'}, target >= 4x)")
            if ratio < 4:
                bound = minimax_lower_bound(spec(fn, 16), int(k), 2)
                floor = max(bound - q["slack"], 1e-9)
                line += (f"; out of reach: any {k}-segment quadratic (real coefficients, any "
                         f"breakpoints) errs >= {bound:.2f} LSB, an integer one >= "
                         f"{floor:.2f}, so at most {p['max_error_lsb'] / floor:.1f}x")
            out.append(line)
    for fn in ("gelu", "exp"):
        for bits in (8, 16):
            ib = get.get((fn, bits, "ibert"))
            if ib is None:
                continue
            better = [r for r in rows if r["function"] == fn and r["bits"] == bits
                      and r["design"] != "ibert" and r["cells"] is not None
                      and r["max_error_lsb"] < ib["max_error_lsb"]]
            cheaper = [r for r in better if r["cells"] <= ib["cells"]]
            out.append(f"- {fn} int{bits}: designs below I-BERT's error "
                       f"({ib['max_error_lsb']:.3f} LSB, {ib['cells']} cells): {len(better)}, of "
                       f"which at equal or fewer cells: "
                       + (", ".join(f"{r['design']} ({r['cells']})" for r in cheaper) or "none"))
    return out


def markdown(rows, args, seconds) -> str:
    lines = ["<!-- written by benchmarks/bench_forms.py; do not edit -->",
             "### Forms side by side (issue 11)", "",
             f"- machine: {os.cpu_count()} CPUs, {cpu_model()}; {platform.system()} "
             f"{platform.machine()}; python {platform.python_version()}",
             "- command: " + ("`make bench-forms` (= `python benchmarks/bench_forms.py`)"
                              if len(sys.argv) == 1 else
                              f"`python benchmarks/bench_forms.py {' '.join(sys.argv[1:])}`")
             + f", {seconds:.0f} s in all",
             "- input scale 2^-5 (int8) / 2^-12 (int16), output scale automatic; search "
             f"`exact` at int8, `{args.int16_search}` at int16; cells: Yosys `synth` of the "
             "combinational full part (`-`: not synthesized); bytes: the C header's `static const` tables", "",
             "| function | bits | design | max error (LSB) | mismatches | table bytes | cells | "
             "fit s |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['function']} | {r['bits']} | {r['design']} | "
                     f"{r['max_error_lsb']:.3f} | {r['mismatches']} | {r['table_bytes']} | "
                     f"{r['cells'] if r['cells'] is not None else '-'} | "
                     f"{r['fit_seconds']:.2f} |")
    lines += ["", "Targets:", ""] + targets(rows)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--int16-search", default="uniform",
                        help="breakpoint search at int16 (default uniform: cheap)")
    parser.add_argument("--table16", action="store_true",
                        help="also synthesize the 65536-entry int16 tables (slow)")
    parser.add_argument("--functions", nargs="+", default=list(FUNCTIONS), choices=FUNCTIONS)
    parser.add_argument("--bits", type=int, nargs="+", default=[8, 16], choices=sorted(WIDTHS))
    parser.add_argument("--forms", nargs="+", default=list(FORMS), choices=FORMS)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "forms.md",
                        help="where to write the markdown (a filtered run: somewhere else)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = bench(args)
    text = markdown(rows, args, time.perf_counter() - started)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
