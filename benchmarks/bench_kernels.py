"""Issue 26's table re-measured: the emitted C kernels beside the kernels embedded users ship
(a plain lookup table, TFLite's int8 LUTs, CMSIS-NN's int16 activation), on x86-64 (gcc -O2, one
program; callgrind instruction counts beside the times) and on Cortex-M0/M4 (arm-none-eabi-gcc:
read-only bytes -Os from the object file, stack per call, memcpy calls, the inner loop's static
instruction count at -O2). Writes ``benchmarks/results/kernels.md``; ``make bench-kernels``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kernel_timing import ELEMENTS, FLAGS, measure  # benchmarks/kernel_timing.py
from machine import cpu_model  # benchmarks/machine.py

from approxgen import footprint, forms, spec as specs, tools
from approxgen.emit import c as emit_c
from approxgen.fitting import fit

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "kernels.md"
INT16 = {"input": {"bits": 16, "scale": "2^-12"}}
CMSIS_FORMAT = {"input": {"bits": 16, "scale": "2^-12"},
                "output": {"bits": 16, "signed": True, "scale": "2^-15"}}
# CMSIS-NN arm_nn_activation_s16 (tanh and sigmoid share it): the measurements, quoted
CMSIS = {"tanh": 1.476, "sigmoid": 1.016, "bytes": 861, "table": 512, "code": 349}


def fitted(name: str, raw: dict):
    return fit(specs.resolve({"name": name, **raw}, "<bench>"), progress=False)


def shipped(config: str, name: str, **overrides):
    raw = specs.merge(specs.load_yaml(ROOT / "configs" / config), overrides)
    return fit(specs.resolve({**raw, "name": name}, f"configs/{config}"), progress=False)


def kernel(f):
    inp, out = f.spec.input, f.spec.output
    return (f.spec.name, emit_c.render(f), f.spec.name, emit_c.ctype(inp.bits, inp.signed),
            emit_c.ctype(out.bits, out.signed))


def error(f) -> tuple[float, int]:
    return f.metrics["max_error_lsb"], f.metrics["mismatches"]


# --- Cortex-M --------------------------------------------------------------------------------

def cortex(f, cpu: str) -> dict:
    """Stack per call (-O2 and -Os), memcpy calls, the inner loop's instructions (-O2) of the
    array variant compiled for ``cpu``."""
    header, unit = footprint.kernel_source(f.model)
    out = {}
    with tempfile.TemporaryDirectory(prefix="approxgen-bench-m-") as tmp:
        d = Path(tmp)
        (d / f"{footprint.NAME}.h").write_text(header)
        (d / "k.c").write_text(unit)
        for opt in ("-O2", "-Os"):
            obj = d / f"k{opt}.o"
            subprocess.run(["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", opt, "-fstack-usage",
                            "-I", d, "-c", d / "k.c", "-o", obj], check=True, cwd=d)
            frames = [int(line.split("\t")[1]) for line in
                      obj.with_suffix(".su").read_text().splitlines()]
            out[f"stack{opt}"] = sum(frames)  # the kernel and any header function out of line
            nm = subprocess.run(["arm-none-eabi-nm", obj], check=True, capture_output=True,
                                text=True).stdout
            out[f"calls{opt}"] = sorted(set(re.findall(r"^\s+U (\S+)$", nm, re.M)))
            if opt == "-O2":
                out["loop"] = inner_loop(obj, f"{footprint.NAME}_kernel")
    out["bytes"] = footprint.footprint(f.model, cpu)
    return out


def inner_loop(obj: Path, function: str) -> int:
    """Instructions of the function's largest loop (a backward branch and its target): the
    static count per element of an element-by-element loop (APPROXGEN_BLOCK 1 on Cortex-M)."""
    text = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", obj], check=True,
                          capture_output=True, text=True).stdout
    body = text.split(f"<{function}>:")[1].split("\n\n")[0]
    addresses = [int(m.group(1), 16) for m in re.finditer(r"^\s+([0-9a-f]+):\s+\S", body, re.M)]
    best = 0
    for m in re.finditer(r"^\s+([0-9a-f]+):\s+b\S*\s+([0-9a-f]+) <", body, re.M):
        at, target = int(m.group(1), 16), int(m.group(2), 16)
        if target < at:
            best = max(best, sum(1 for a in addresses if target <= a <= at))
    return best


# --- one kernel serving tanh and sigmoid (companion: sigmoid) ----------------------------------

def companion_kernel(f):
    """The pair header's sigmoid entry points as a kernel of their own (the same header)."""
    label, header, name, in_t, out_t = kernel(f)
    return f"{label}_{f.spec.companion}", header, f"{name}_{f.spec.companion}", in_t, out_t


def pair_rows(f, x86) -> list[tuple[str, str, str]]:
    """The pair: its whole footprint on Cortex-M4 and M0 (both functions, the tables once), both
    errors, both array variants' time on x86."""
    from approxgen import companion

    sig = companion.metrics(f)
    m4, m0 = (footprint.footprint(f.model, cpu, companion=f.spec.companion)
              for cpu in ("cortex-m4", "cortex-m0"))
    t, s = x86[f.spec.name], x86[f"{f.spec.name}_{f.spec.companion}"]
    return [("int16 tanh and sigmoid, one kernel (`companion: sigmoid` on the tanh fit: "
             "sigmoid(x) = (1 + tanh(x/2)) / 2 from the same tables), CMSIS-NN's formats, "
             "`max_bytes: 861`, `bytes_target: cortex-m4` (the pair counted)",
             f"{m4['total']} B whole for both on Cortex-M4 ({m4['tables']} tables + "
             f"{m4['code']} code; M0 {m0['total']} B); tanh {f.metrics['max_error_lsb']:.3f} LSB,"
             f" sigmoid {sig['max_error_lsb']:.3f} LSB; x86 array tanh {t['array_ns']:.3f} ns /"
             f" {t['array_instr']:.1f} instr, sigmoid {s['array_ns']:.3f} ns / "
             f"{s['array_instr']:.1f} instr",
             f"CMSIS-NN `arm_nn_activation_s16`: {CMSIS['bytes']} B for both, tanh "
             f"{CMSIS['tanh']} LSB, sigmoid {CMSIS['sigmoid']} LSB (issue)")]


def rounded_rows(fits: dict, seconds: dict, x86) -> list[tuple[str, str, str]]:
    """Correctly rounded int16 (issue 26 part 5): each fit's mismatches, segments, table bytes
    (the quadratic's compact bucket table), x86 time and fit CPU, against the target."""
    rows = []
    for fn, f in fits.items():
        r = x86[f.spec.name]
        n = forms.of(f.model).segments(f.model)
        rows.append((f"correctly rounded int16 {fn}, input 2^-12, output "
                     f"{f.spec.output.describe()} (`form: quadratic`, `objective: rounding`, "
                     f"`segments: auto`; folded; compact bucket table)",
                     f"{f.metrics['mismatches']} mismatches, {n} segments, "
                     f"{emit_c.table_bytes(f.model)} B of tables, {r['array_ns']:.3f} ns, "
                     f"{r['array_instr']:.1f} instr, fit {seconds[fn]:.0f} s CPU",
                     "target: 0 mismatches, <= 1024 B of tables, <= 1.5 ns, fit < 60 s"))
    return rows


# --- the table ---------------------------------------------------------------------------------

def main() -> None:
    started = time.process_time()
    for tool in ("cc", "valgrind", "arm-none-eabi-gcc"):
        tools.find_tool(tool)
    g8 = fitted("gelu8_default", {"function": "gelu", "input": {"bits": 8}})  # a plain table
    g8p = shipped("gelu_int8.yaml", "gelu8_pwl")  # form: pwl, 8 segments, folded (the old default)
    t8 = fitted("gelu8_table", {"function": "gelu", "input": {"bits": 8}, "form": "table",
                                "fold": "none"})
    t8f = fitted("gelu8_table_folded", {"function": "gelu", "input": {"bits": 8},
                                        "form": "table"})
    tflite = {}
    for fn, out in (("tanh", {"bits": 8, "scale": "2^-7"}),
                    ("sigmoid", {"bits": 8, "signed": False, "scale": "2^-8"})):
        raw = {"function": fn, "input": {"bits": 8, "scale": "2^-4"}, "output": out}
        tflite[fn] = (fitted(f"{fn}8_default", raw),
                      fitted(f"{fn}8_table", {**raw, "form": "table", "fold": "none"}),
                      fitted(f"{fn}8_pwl", {**raw, "form": "pwl"}))
    p16 = fitted("gelu16_pwl8", {"function": "gelu", **INT16, "segments": 8})
    s16 = shipped("gelu_int16.yaml", "gelu16_shipped")  # decode_slack 0.25 (the default)
    s16x = shipped("gelu_int16.yaml", "gelu16_exact_bps", decode_slack=0)
    t16 = fitted("gelu16_table", {"function": "gelu", **INT16, "output": {"bits": 16},
                                  "form": "table", "fold": "none"})
    q8 = fitted("gelu8_quadratic", {"function": "gelu", "input": {"bits": 8},
                                    "form": "quadratic"})
    i8 = fitted("gelu8_interp", {"function": "gelu", "input": {"bits": 8}, "form": "interp"})
    cm = {}
    for fn in ("tanh", "sigmoid"):
        cm[fn] = fitted(f"{fn}16_m4", {"function": fn, **CMSIS_FORMAT, "form": "interp",
                                       "order": 2, "max_regions": 1, "segments": "auto",
                                       "max_bytes": CMSIS["bytes"],
                                       "bytes_target": "cortex-m4"})
    kib = {}
    for fn in ("gelu", "silu"):
        kib[fn] = fitted(f"{fn}16_m4", {"function": fn, **INT16, "output": {"bits": 16},
                                        "form": "interp", "segments": "auto",
                                        "max_bytes": 1024, "bytes_target": "cortex-m4"})
    small_tanh = fitted("tanh16_256", {"function": "tanh", **CMSIS_FORMAT, "form": "interp",
                                       "segments": "auto", "max_bytes": 256})
    before = time.process_time()
    rounded = fitted("sigmoid16_rounded", {"function": "sigmoid", **CMSIS_FORMAT,
                                           "form": "quadratic", "objective": "rounding",
                                           "segments": "auto"})
    rounded_seconds = time.process_time() - before
    rounded16, rounded16_seconds = {}, {}  # cr16: beside sigmoid's (the row above)
    for fn, out in (("tanh", CMSIS_FORMAT["output"]), ("gelu", {"bits": 16})):
        before = time.process_time()
        rounded16[fn] = fitted(f"{fn}16_rounded", {"function": fn, **INT16, "output": out,
                                                   "form": "quadratic", "objective": "rounding",
                                                   "segments": "auto"})
        rounded16_seconds[fn] = time.process_time() - before
    pair16 = fitted("tanh16_pair", {"function": "tanh", **CMSIS_FORMAT, "form": "interp",  # cr16
                                  "order": 2, "max_regions": 1, "segments": "auto",
                                  "max_bytes": CMSIS["bytes"], "bytes_target": "cortex-m4",
                                  "companion": "sigmoid"})
    timed = [g8, g8p, t8, t8f, *(f for fits in tflite.values() for f in fits), p16, s16, s16x, t16,
             q8, i8, *cm.values(), *kib.values(), small_tanh, rounded, pair16,
             rounded16["tanh"], rounded16["gelu"]]
    fit_seconds = time.process_time() - started
    x86 = measure([kernel(f) for f in timed] + [companion_kernel(pair16)])
    cortex_rows = {f.spec.name: {cpu: cortex(f, cpu) for cpu in ("cortex-m0", "cortex-m4")}
                   for f in (g8, g8p, p16, s16, q8, i8, *cm.values(), *kib.values(), small_tanh)}
    host = {f.spec.name: footprint.footprint(f.model, "host") for f in (small_tanh,
                                                                           *cm.values())}

    def ns(f, kind="array"):
        r = x86[f.spec.name]
        return f"{r[f'{kind}_ns']:.3f} ns, {r[f'{kind}_instr']:.1f} instr"

    def ratio(a, b, kind="array"):
        return x86[a.spec.name][f"{kind}_ns"] / x86[b.spec.name]["array_ns"]

    rows = [
        (f"int8 default `fit gelu --bits 8` (`form: {g8.spec.form}`, `fold: {g8.spec.fold}`), "
         f"array variant", ns(g8), f"plain 256-entry table: {ns(t8)}; ratio {ratio(g8, t8):.2f}x"),
        ("int8 `form: pwl` (8 segments, folded: the default before), array variant", ns(g8p),
         f"plain 256-entry table: {ns(t8)}; ratio {ratio(g8p, t8):.2f}x"),
    ]
    for fn, (d, t, pw) in tflite.items():
        rows.append((f"int8 {fn}, TFLite's output format ({d.spec.output.describe()}), "
                     f"default fit (`form: {d.spec.form}`); `form: pwl`",
                     "default: {:.3f} LSB, {} mismatches; pwl: {:.3f} LSB, {} mismatches".format(
                         *error(d), *error(pw)),
                     "TFLite LUT = `form: table`: {:.3f} LSB, {} mismatches".format(*error(t))))
    for label, f in (("int8 default (table)", g8), ("int8 pwl 8 seg", g8p),
                     ("int16 pwl 8 seg", p16), ("int8 quadratic", q8), ("int8 interp", i8)):
        rows.append((f"scalar function called in a loop: {label}", ns(f, "scalar"),
                     f"its array variant: {ns(f)}; {ratio(f, f, 'scalar'):.2f}x"))
    rows.append(("`form: table`, folded (gelu int8 `fold: auto`; the sign by mask arithmetic)",
                 f"array {ns(t8f)}, {ratio(t8f, t8):.2f}x; scalar {ns(t8f, 'scalar')}, "
                 f"{ratio(t8f, t8, 'scalar'):.2f}x", f"plain 256-entry table: {ns(t8)}"))
    for label, f in (("decode_slack 0.25 (default: breakpoints on the 64-code grid)", s16),
                     ("decode_slack 0 (the searched breakpoints)", s16x)):
        e, _ = error(f)
        rows.append((f"shipped configs/gelu_int16.yaml (pwl 32), {label}",
                     f"{ns(f)}, {ratio(f, t16):.2f}x the table's time; {e:.3f} LSB",
                     f"the 128 KiB table: {ns(t16)}"))
    b = host[small_tanh.spec.name]
    m4 = cortex_rows[small_tanh.spec.name]["cortex-m4"]["bytes"]
    rows.append(("int16 tanh <= 256 B of tables (interp), whole read-only footprint",
                 f"x86 -O2: {b['tables']} + {b['constants']} + {b['code']} = {b['total']} B; "
                 f"Cortex-M4 -Os: {m4['tables']} + {m4['constants']} + {m4['code']} = "
                 f"{m4['total']} B; {error(small_tanh)[0]:.3f} LSB",
                 f"CMSIS-NN `arm_nn_activation_s16`: {CMSIS['table']} + {CMSIS['code']} = "
                 f"{CMSIS['bytes']} B, tanh {CMSIS['tanh']} LSB (issue)"))
    for fn, f in cm.items():
        m4 = cortex_rows[f.spec.name]["cortex-m4"]["bytes"]
        rows.append((f"int16 {fn} (CMSIS-NN's formats), `max_bytes: 861`, `bytes_target: "
                     f"cortex-m4`", f"{m4['total']} B whole ({m4['tables']} tables + "
                     f"{m4['code']} code), {error(f)[0]:.3f} LSB, {ns(f)} on x86",
                     f"CMSIS-NN: {CMSIS['bytes']} B, {CMSIS[fn]} LSB (issue; one kernel "
                     f"serves both)"))
    for fn, f in kib.items():
        m4 = cortex_rows[f.spec.name]["cortex-m4"]["bytes"]
        rows.append((f"int16 {fn}, `max_bytes: 1024`, `bytes_target: cortex-m4`",
                     f"{m4['total']} B whole, {error(f)[0]:.3f} LSB", "below 1 KiB (issue)"))
    stacks = {n: r["cortex-m4"]["stack-O2"] for n, r in cortex_rows.items()}
    rows.append(("`_array` stack on Cortex-M4 -O2 (kernel + out-of-line helpers)",
                 f"{min(stacks.values())}-{max(stacks.values())} B per call "
                 f"(`APPROXGEN_BLOCK` 1 without SIMD)", "CMSIS-NN: none; before: 300-1104 B"))
    m0_calls = sorted({c for r in cortex_rows.values() for c in r["cortex-m0"]["calls-O2"]})
    rows.append(("library calls on Cortex-M0 -O2 (every kernel below)",
                 ", ".join(m0_calls) or "none", "before: interp's node loads were `memcpy`"))
    e, m = error(rounded)
    rows.append(("correctly rounded int16 sigmoid (CMSIS-NN's formats; `form: quadratic`, "
                 "`objective: rounding`, `segments: auto`; the compact bucket table; tanh and "
                 "gelu below)",
                 f"{m} mismatches, {forms.of(rounded.model).segments(rounded.model)} segments, "
                 f"{emit_c.table_bytes(rounded.model)} B of tables, {ns(rounded)}, "
                 f"fit {rounded_seconds:.0f} s CPU",
                 "target: 0 mismatches in <= 1024 B at <= 1.5 ns; issue: sigmoid 1296 B / 3.0 ns"))

    rows += pair_rows(pair16, x86)
    rows += rounded_rows(rounded16, rounded16_seconds, x86)
    md = ["### C kernels at the limit (issue 26)", "",
          f"- machine: {os.cpu_count()} CPUs, {cpu_model()}; {tools.version_line(['cc'])}; "
          f"{tools.version_line(['arm-none-eabi-gcc'])}; shared with other jobs while it ran",
          f"- command: `python benchmarks/bench_kernels.py` (= `make bench-kernels`); fits "
          f"{fit_seconds:.0f} s CPU",
          f"- x86-64: `cc {' '.join(FLAGS)}`, one program, every kernel over {ELEMENTS} codes "
          f"(every int16 code once, each int8 code 256 times) in a random order, best of 31 "
          f"rounds; instructions per element from `valgrind --tool=callgrind` (one call, "
          f"inclusive). The scalar rows call `NAME(x[i])` in a loop of their own "
          f"(`noinline` wrapper, `for (i = 0; i < n; ++i) y[i] = NAME(x[i]);` over the same "
          f"random codes; GCC -O2 does not vectorize such a loop)",
          "- Cortex-M: `arm-none-eabi-gcc -mcpu=cortex-mN -mthumb`; bytes at -Os from the "
          "object file (`approxgen/footprint.py`: the `.rodata` of the header's tables, other "
          "read-only data, `.text` with its literal pools) of one function calling "
          "`NAME_array`; stack from `-fstack-usage` (the kernel plus any header function left "
          "out of line); the inner loop's static instruction count at -O2", "",
          "| case | approxgen now | anchor |", "|---|---|---|",
          *[f"| {a} | {b} | {c} |" for a, b, c in rows], "",
          "Per kernel on Cortex-M (bytes whole at -Os; stack -O2 / -Os; the inner loop's "
          "instructions at -O2, one element per iteration):", "",
          "| kernel | form | M0 bytes | M0 stack | M0 loop | M4 bytes | M4 stack | M4 loop |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    by_name = {f.spec.name: f for f in timed}
    for n, r in cortex_rows.items():
        cells = [n, by_name[n].spec.form]
        for cpu in ("cortex-m0", "cortex-m4"):
            c = r[cpu]
            cells += [str(c["bytes"]["total"]), f"{c['stack-O2']} / {c['stack-Os']}",
                      str(c["loop"])]
        md.append("| " + " | ".join(cells) + " |")
    md += ["", "x86-64 per kernel:", "",
           "| kernel | array ns | array instr | scalar ns | scalar instr | max error (LSB) |",
           "|---|---:|---:|---:|---:|---:|"]
    for f in timed:
        r = x86[f.spec.name]
        md.append(f"| {f.spec.name} | {r['array_ns']:.3f} | {r['array_instr']:.1f} | "
                  f"{r['scalar_ns']:.3f} | {r['scalar_instr']:.1f} | "
                  f"{f.metrics['max_error_lsb']:.3f} |")
    md.append("")
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text("\n".join(md))
    print(RESULT.read_text())
    print(f"{time.process_time() - started:.0f} s CPU", file=sys.stderr)


if __name__ == "__main__":
    main()
