"""HDL pipeline benchmark: Yosys `synth -flatten` longest path (`ltp -noff`, logic levels), cells
and flip-flops of the emitted modules against the register count N, and the programmable unit
against the fixed modules it replaces.

For every fit below and every part: the combinational module (N = 0, `emit verilog`), the
one-register module of `--pipeline` (bare, "registered"), and `--pipeline N` for N = 1.. every
register place, with the flip-flops each register boundary costs. Checks the target: the int16
GELU's longest path with 3 registers at most one third of the bare `--pipeline` module's. Then
the programmable unit (`--programmable`) for three fits of one shape vs the three fixed modules
and vs one. Writes markdown to benchmarks/results/pipeline.md; nothing here is hard-coded.

    python benchmarks/bench_pipeline.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench_hw import _machine  # the machine line bench_hw writes
from approxgen import cost, forms
from approxgen.emit import pipelined, programmable, verilog
from approxgen.fit import fit
from approxgen.spec import load_yaml, resolve

ROOT = Path(__file__).resolve().parents[1]
TARGET_STAGES, TARGET_SHARE = 3, 1 / 3
CONFIGS = ["gelu_int8", "gelu_gqa_int8", "gelu_table_int8", "gelu_int16", "silu_int16"]
I8, I16 = {"bits": 8, "signed": True}, {"bits": 16, "signed": True, "scale": "2^-12"}
EXTRA = [  # (label, raw spec): forms and unfolded fits the shipped configs do not cover
    ("gelu quadratic 4 seg, unfolded", {"function": "gelu", "input": I8, "output": {"bits": 8},
                                        "form": "quadratic", "segments": 4, "fold": "none"}),
    ("gelu ibert", {"function": "gelu", "input": I8, "output": {"bits": 8}, "form": "ibert"}),
    ("exp interp order 1", {"function": "exp", "input": I8, "output": {"bits": 8},
                            "form": "interp", "order": 1, "segments": 8}),
    ("silu interp order 2, folded", {"function": "silu", "input": I8, "output": {"bits": 8},
                                     "form": "interp", "order": 2, "segments": 8}),
    ("gelu int16 pwl 16 seg, unfolded", {"function": "gelu", "input": I16,
                                         "output": {"bits": 16}, "form": "pwl",
                                         "segments": 16, "fold": "none"}),
    ("gelu int16 ibert", {"function": "gelu", "input": I16, "output": {"bits": 16},
                          "form": "ibert"}),
]
FAMILY_SCALES = ("2^-4", "2^-5", "2^-6")


def shipped(name: str):
    path = ROOT / "configs" / f"{name}.yaml"
    return fit(resolve(load_yaml(path), str(path)), progress=False)


def depth_rows(label: str, f) -> list[dict]:
    rows = []
    for part in verilog.parts(f):
        top = verilog.module_name(f, part)
        variants = [("0 (combinational)", verilog.render(f, part), None),
                    ("bare --pipeline", verilog.render(f, part, pipeline=True), None)]
        slots = len(pipelined.plan(f, part, 0).pipe.datapath.steps) + 1
        for n in range(1, slots + 1):
            p = pipelined.plan(f, part, n)
            variants.append((str(n), verilog.render(f, part, stages=n), p))
        for registers, text, p in variants:
            started = time.perf_counter()
            y = cost.measure_depth(text, top)
            rows.append({"fit": label, "bits": f.spec.input.bits, "part": part,
                         "registers": registers, **y,
                         "stages": ", ".join(f"{k} {v}" for k, v in p.pipe.flops_at().items())
                         if p else "-", "seconds": time.perf_counter() - started})
            r = rows[-1]
            print(f"  {label:<40} {part:<4} N={registers:<18} {r['levels']:>4} levels "
                  f"{r['cells']:>6} cells {r['flip_flops']:>5} FF ({r['seconds']:.1f} s)",
                  file=sys.stderr, flush=True)
    return rows


def family(bits: int, segments: int):
    return [fit(resolve({"function": "gelu", "input": {"bits": bits, "signed": True, "scale": s},
                         "output": {"bits": bits}, "form": "pwl", "segments": segments,
                         "name": f"gelu{bits}_{i}"}, "<bench>"), progress=False)
            for i, s in enumerate(FAMILY_SCALES if bits == 8 else ("2^-11", "2^-12", "2^-13"))]


def programmable_rows(bits: int, segments: int) -> dict:
    fits = family(bits, segments)
    lay = programmable.layout(fits)
    unit = cost.measure_depth(programmable.render_verilog(fits), programmable.module_name(lay))
    fixed = [cost.measure_depth(verilog.render(f), f.spec.name) for f in fits]
    return {"bits": bits, "segments": segments, "unit": unit, "fixed": fixed,
            "words": len(lay.params), "data_bits": lay.data_bits,
            "folded": lay.folded}


def markdown(rows, prog, args, seconds) -> str:
    out = ["### HDL pipelines: longest path, cells and flip-flops against the register count", "",
           f"Command: `{args.command}`, {seconds:.0f} s.  ",
           f"Machine: {_machine()}.  ",
           f"Tools: {cost.yosys_version()}; `synth -flatten -top TOP`, then `ltp -noff` (logic "
           f"levels of the longest path, paths stop at flip-flops) and `stat` (cells; flip-flops "
           f"are the cells of a DFF type, valid bits included).", "",
           "N = 0 is the combinational module; `bare --pipeline` the single-register version "
           "`--pipeline` without a count still writes; N >= 1 is `--pipeline N` (registers "
           "placed for the shallowest stage, clock enable, LATENCY N). The last column is the "
           "flip-flops of each register boundary.", "",
           "| fit | input | part | N | levels | cells | flip-flops | registers at (FF) |",
           "|---|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r['fit']} | int{r['bits']} | {r['part']} | {r['registers']} | "
                   f"{r['levels']} | {r['cells']} | {r['flip_flops']} | {r['stages']} |")
    out += ["", "#### Verdict", ""]
    for label in sorted({r["fit"] for r in rows if r["bits"] == 16}):
        at = {r["registers"]: r for r in rows if r["fit"] == label and r["part"] == "full"}
        comb, base, three = at.get("0 (combinational)"), at.get("bare --pipeline"), \
            at.get(str(TARGET_STAGES))
        if base and three:
            ok = three["levels"] <= base["levels"] * TARGET_SHARE
            out.append(f"- {label}: {three['levels']} levels with {TARGET_STAGES} registers vs "
                       f"{base['levels']} for the bare `--pipeline` module "
                       f"({three['levels'] / base['levels']:.0%}) and {comb['levels']} "
                       f"combinational; target <= one third of the bare `--pipeline` module's: "
                       f"**{'met' if ok else 'missed'}**, for {three['cells'] - base['cells']:+d} "
                       f"cells and {three['flip_flops'] - base['flip_flops']:+d} flip-flops.")
    out += ["", "Where more registers stop helping, the deepest step is one multiplier (its "
            "levels are the floor: a register goes between steps, never inside one)."]
    out += ["", "#### One programmable unit vs fixed modules", "",
            "Three GELU fits of one shape at different input scales (fold auto); the unit holds "
            "the breakpoints and coefficients in registers written through its load port "
            "(the register file's flip-flops are counted), the fixed modules are the "
            "combinational `emit verilog` modules.", "",
            "| input | segments | folded | image | unit cells | unit FF | unit levels | one fixed "
            "(cells, levels) | three fixed (cells) | unit / three fixed | fits to break even |",
            "|---|---:|---|---|---:|---:|---:|---|---:|---:|---:|"]
    for p in prog:
        total = sum(f["cells"] for f in p["fixed"])
        one = p["fixed"][0]
        out.append(f"| int{p['bits']} | {p['segments']} | {'yes' if p['folded'] else 'no'} | "
                   f"{p['words']} x {p['data_bits']} b | {p['unit']['cells']} | "
                   f"{p['unit']['flip_flops']} | {p['unit']['levels']} | {one['cells']}, "
                   f"{one['levels']} | {total} | {p['unit']['cells'] / total:.0%} | "
                   f"{-(-p['unit']['cells'] // one['cells'])} |")
    out += ["", "The unit pays for its register file (flip-flops and the write decoder) and for "
            "full-width compares and multiplier (no breakpoint or coefficient is a constant it "
            "could fold away); it wins from the break-even count of fits (layers) on."]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="int8 fits only")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/pipeline.md"))
    args = parser.parse_args(argv)
    args.command = "python benchmarks/bench_pipeline.py" + (" --quick" if args.quick else "")
    if cost.yosys_path() is None:
        print("bench_pipeline: yosys is not installed", file=sys.stderr)
        return 1
    started = time.perf_counter()
    rows = []
    for name in CONFIGS:
        f = shipped(name)
        if args.quick and f.spec.input.bits > 8:
            continue
        rows += depth_rows(f"{name} ({forms.of(f.model).shape(f.model)})", f)
    for label, raw in EXTRA:
        if not (args.quick and raw["input"]["bits"] > 8):
            rows += depth_rows(label, fit(resolve({**raw, "name": "bench_fit"}, "<bench>"),
                                          progress=False))
    prog = [programmable_rows(8, 8)] + ([] if args.quick else [programmable_rows(16, 16)])
    text = markdown(rows, prog, args, time.perf_counter() - started)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
