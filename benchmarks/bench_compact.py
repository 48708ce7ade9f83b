"""16-bit activations in few bytes (issue 14): interp vs pwl vs quadratic under a byte budget.

int16 tanh and sigmoid (input 2^-12, output 2^-15), gelu and silu (input = output 2^-12), every
input code; each form fitted with ``segments: auto`` and ``max_bytes`` 256 and 512 (the lowest
max error whose C tables fit), with ``fold: auto`` when the spec accepts that key; interp once per
interpolation ``order`` (1 linear, 2 quadratic) when the form reads that key. Per row: max
error (LSB), mismatches against the correctly rounded table, the C header's table bytes, fit
seconds, and ns/element of the emitted ``_array`` function at ``-O2`` (bench_c.py's timing
harness: one program, best of its interleaved rounds over 2^20 random codes). The CMSIS-NN and
TFLite rows are the issue's measurements, quoted as anchors. Writes
benchmarks/results/compact.md; run with ``make bench-compact``.

    python benchmarks/bench_compact.py [--forms interp pwl quadratic] [--budgets 256 512]
                                       [--orders 2 1] [--regions 8 5 4 3 2 1]

interp is also fitted with ``max_regions`` capped (``--regions``: each region costs its C array a
clamp and two shifts per element); a capped fit whose layout equals a looser one's is left out.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import bench_c  # benchmarks/bench_c.py: the C timing harness
from machine import cpu_model  # benchmarks/machine.py
from approxgen import forms, spec as specs
from approxgen.emit import c as emit_c
from approxgen.errors import ApproxgenError
from approxgen.fitting import fit

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "compact.md"
FUNCTIONS = {"tanh": (2 ** -12, 2 ** -15), "sigmoid": (2 ** -12, 2 ** -15),
             "gelu": (2 ** -12, 2 ** -12), "silu": (2 ** -12, 2 ** -12)}
# pwl and quadratic: uniform breakpoints (the exact search at 16 bits takes minutes per count,
# and the budget tries several counts); interp places its own regions.
SEARCH = {"interp": "exact", "pwl": "uniform", "quadratic": "uniform"}
# The targets: (function, budget) -> max error (LSB) to reach; every row <= 1 ns/element
# and a fit under 30 s.
TARGETS = {("tanh", 256): 1.476, ("sigmoid", 256): 1.016, ("tanh", 512): 1.0,
           ("sigmoid", 512): 0.75, ("gelu", 512): 1.0, ("silu", 512): 1.0}
ANCHORS = [  # the measurements (x86-64, gcc -O2, every int16 code)
    ("tanh", "CMSIS-NN `arm_nn_activation_s16` (= TFLM int16 Tanh)", "1.476", "512", "3.8-4.1"),
    ("sigmoid", "CMSIS-NN (= TFLM int16 Logistic)", "1.016", "512", "1.55"),
    ("gelu", "TFLite-style 513-entry table + interpolation", "2.07", "1026", "0.93"),
]


def orders(form: str, wanted: list[int]) -> list[int | None]:
    """The interpolation orders to run ``form`` at (None: the form has no ``order`` key)."""
    return list(wanted) if "order" in specs.form_keys(form) else [None]


def regions(form: str, wanted: list[int]) -> list[int | None]:
    """The region caps to run ``form`` at (None: the form's default, or no such key)."""
    if "max_regions" not in specs.form_keys(form):
        return [None]
    return [None if r >= 8 else r for r in wanted]


def raw_spec(function: str, form: str, budget: int, order: int | None = None,
             max_regions: int | None = None) -> dict:
    s_in, s_out = FUNCTIONS[function]
    raw = {"name": f"{function}_{form}{order or ''}_{budget}{f'_r{max_regions}' if max_regions else ''}",
           "function": function,
           "input": {"bits": 16, "signed": True, "scale": s_in},
           "output": {"bits": 16, "scale": s_out}, "form": form, "segments": "auto",
           "max_bytes": budget, "search": SEARCH[form]}
    if "fold" in specs._TOP_KEYS:  # symmetry folding (issue 14, part 1), where it exists
        raw["fold"] = "auto"
    if order is not None:
        raw["order"] = order
    if max_regions is not None:
        raw["max_regions"] = max_regions
    return raw


def measure(function: str, form: str, budget: int, order: int | None = None,
            max_regions: int | None = None) -> dict | None:
    started = time.perf_counter()
    try:
        f = fit(specs.resolve(raw_spec(function, form, budget, order, max_regions), "<bench>"),
                progress=False)
    except ApproxgenError as exc:
        print(f"  {function} {form} {budget}: {exc}", file=sys.stderr)
        return None
    seconds = time.perf_counter() - started
    row = {"function": function, "form": form, "budget": budget, "fit": f,
           "max_error_lsb": f.metrics["max_error_lsb"], "mismatches": f.metrics["mismatches"],
           "table_bytes": emit_c.table_bytes(f.model), "fit_seconds": seconds,
           "shape": forms.of(f.model).shape(f.model)
           + (f", {_regions(f)} regions (max_regions {max_regions})" if max_regions else "")}
    print(f"  {function:8} {form:10} {budget:4} B: {row['max_error_lsb']:7.3f} LSB "
          f"{row['table_bytes']:4} B {seconds:6.1f} s ({row['shape']})", file=sys.stderr,
          flush=True)
    return row


def _regions(f) -> int:
    return getattr(f.model, "inner", f.model).regions


def _distinct(rows: list[dict]) -> list[dict]:
    """Rows with a layout no earlier row of the same function, budget, form and order has."""
    seen, out = set(), []
    for r in rows:
        model = getattr(r["fit"].model, "inner", r["fit"].model)
        key = (r["function"], r["budget"], r["form"], r["fit"].spec.order,
               getattr(model, "starts", None), getattr(model, "steps", None),
               tuple(getattr(model, "nodes", ())))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def time_rows(rows: list[dict]) -> str:
    """ns/element at -O2 of every row's ``_array`` (bench_c's program, one run)."""
    cases = []
    for r in rows:
        f = r["fit"]
        header = emit_c.render(f)
        cases.append(("int16", f.spec.name, f, header))
    with tempfile.TemporaryDirectory(prefix="approxgen-bench-compact-") as tmp:
        directory = Path(tmp)
        for _, _, f, header in cases:
            (directory / f"{f.spec.name}.h").write_text(header)
        # CPU time of the process, not wall time: on a shared machine other jobs' time slices
        # would otherwise count
        program = bench_c.program(cases).replace("CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID")
        (directory / "bench.c").write_text(program)
        results, _, command = bench_c.run_build(directory, ["-O2"])
    for r in rows:
        r["ns"] = results[("int16", r["fit"].spec.name)][0]
    return command


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for (function, budget), goal in TARGETS.items():
        mine = [r for r in rows if r["function"] == function and r["budget"] == budget]
        if not mine:
            continue
        # the fastest row meeting the error target, else the lowest error
        meeting = [r for r in mine if r["max_error_lsb"] <= goal]
        best = (min(meeting, key=lambda r: r["ns"]) if meeting
                else min(mine, key=lambda r: r["max_error_lsb"]))
        met = bool(meeting)
        fast = best["ns"] <= 1.0 and best["fit_seconds"] < 30
        out.append(f"- {function}, <= {budget} bytes, max error <= {goal} LSB: "
                   f"{'fastest meeting it' if met else 'best'} {best['shape']} "
                   f"{best['max_error_lsb']:.3f} LSB ({best['table_bytes']} B, "
                   f"{best['ns']:.2f} ns, fit {best['fit_seconds']:.1f} s): "
                   f"{'**met**' if met else '**missed**'}; <= 1 ns and fit < 30 s: "
                   f"{'**met**' if fast else '**missed**'}")
    return out


def markdown(rows, command: str, seconds: float, folded: bool, argv: list[str]) -> str:
    lines = ["<!-- written by benchmarks/bench_compact.py; do not edit -->",
             "### 16-bit activations in few bytes (issue 14)", "",
             f"- machine: {os.cpu_count()} CPUs, {cpu_model()}; {platform.system()} "
             f"{platform.machine()}; python {platform.python_version()}; shared with other "
             f"jobs while it ran (timings: process CPU time, best of {bench_c.ROUNDS} rounds)",
             f"- command: `{' '.join(['python benchmarks/bench_compact.py', *argv])}`"
             f"{' (= `make bench-compact`)' if not argv else ''}, {seconds:.0f} s in all; C: "
             f"`{command}`",
             "- every int16 code; `segments: auto` with `max_bytes` (the lowest max error whose C "
             "`static const` tables fit); search `exact` for interp, `uniform` for pwl and "
             "quadratic; " + ("`fold: auto`" if folded else "no symmetry folding (the `fold` "
                               "key does not exist in this build)"),
             "- anchors (CMSIS-NN, TFLite): the issue's measurements, quoted, not rerun", "",
             "| function | design | budget (B) | max error (LSB) | mismatches | table bytes | "
             "fit s | ns/element -O2 |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for function in FUNCTIONS:
        for fn, design, err, size, ns in ANCHORS:
            if fn == function:
                lines.append(f"| {function} | {design} (issue) | - | {err} | - | {size} | - | "
                             f"{ns} |")
        for r in rows:
            if r["function"] == function:
                lines.append(f"| {function} | {r['shape']} | {r['budget']} | "
                             f"{r['max_error_lsb']:.3f} | {r['mismatches']} | "
                             f"{r['table_bytes']} | {r['fit_seconds']:.1f} | {r['ns']:.2f} |")
    lines += ["", "Targets (issue 14):", ""] + verdicts(rows)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", nargs="+", default=["interp", "pwl", "quadratic"])
    parser.add_argument("--budgets", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--functions", nargs="+", default=list(FUNCTIONS))
    parser.add_argument("--orders", type=int, nargs="+", default=[2, 1],
                        help="interpolation orders of the forms that read the key (interp)")
    parser.add_argument("--regions", type=int, nargs="+", default=[8, 5, 4, 3, 2, 1],
                        help="max_regions of the forms that read the key (8: the default)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = _distinct([r for function in args.functions for budget in args.budgets
                      for form in args.forms for order in orders(form, args.orders)
                      for cap in regions(form, args.regions)
                      if (r := measure(function, form, budget, order, cap)) is not None])
    command = time_rows(rows)
    text = markdown(rows, command, time.perf_counter() - started, "fold" in specs._TOP_KEYS,
                    sys.argv[1:])
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
