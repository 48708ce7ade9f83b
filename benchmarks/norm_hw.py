"""Hardware cost of the streaming LayerNorm / RMSNorm Verilog units (issue 23), written to
``benchmarks/results/norm_hw.md``: Yosys ``synth -top NAME`` cells of the emitted module
(:func:`approxgen.cost.measure`), and of ``synth -flatten`` the cells, flip-flops and the longest
path in logic levels (:func:`approxgen.cost.measure_depth`)
at int8 (in 2^-2, out 2^-4) and int16 (in 2^-9, out 2^-11), lengths 16 and 64, the default rsqrt
fit (pwl, 16 segments, 2 Newton steps), gamma = 1 + 0.3 N(0, 1), beta = 0.2 N(0, 1) (seed 7).
Usage: ``python benchmarks/norm_hw.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from approxgen.blocks import load
from approxgen.cost import measure, measure_depth, yosys_path, yosys_version
from approxgen.emit.verilog import render_block

RESULT = Path(__file__).resolve().parent / "results" / "norm_hw.md"
FORMATS = {8: ("2^-2", "2^-4"), 16: ("2^-9", "2^-11")}
LENGTHS = (16, 64)


def spec(kind: str, bits: int, length: int, workdir: Path) -> dict:
    raw = {"block": kind, "name": f"{kind[:3]}{bits}_{length}", "length": length,
           "input": {"bits": bits, "scale": FORMATS[bits][0]},
           "output": {"bits": bits, "scale": FORMATS[bits][1]},
           "gamma": str(workdir / f"gamma{length}.npy")}
    if kind == "layernorm":
        raw["beta"] = str(workdir / f"beta{length}.npy")
    return raw


def main() -> None:
    start = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for length in LENGTHS:
            rng = np.random.default_rng(7)
            np.save(work / f"gamma{length}.npy", 1.0 + 0.3 * rng.normal(size=length))
            np.save(work / f"beta{length}.npy", 0.2 * rng.normal(size=length))
        for kind in ("layernorm", "rmsnorm"):
            for bits in (8, 16):
                for length in LENGTHS:
                    block = load(spec(kind, bits, length, work), "<benchmark>")
                    text = render_block(block)
                    cells = measure(text, block.name, ice40=False)["cells"]
                    got = measure_depth(text, block.name)
                    rows.append(f"| {kind} int{bits} | {length} | {cells:,} | {got['cells']:,} | "
                                f"{got['flip_flops']:,} | {got['levels']} |")
                    print(rows[-1], flush=True)
    lines = [f"Measured by `python benchmarks/norm_hw.py` ({yosys_version(yosys_path())}; "
             "`synth -top NAME; stat` cells (the rsqrt module counted once), and "
             "`synth -flatten -top NAME`: cells, flip-flops (cells of a DFF type) and `ltp -noff` "
             "logic levels of the longest path; the emitted unit with its rsqrt "
             "module: default rsqrt fit, pwl 16 segments, 2 Newton steps; gamma = 1 + 0.3 "
             "N(0,1), beta = 0.2 N(0,1), seed 7; int8 in 2^-2 out 2^-4, int16 in 2^-9 out "
             f"2^-11; {time.monotonic() - start:.0f} s):", "",
             "| block | length | cells | cells (flattened) | flip-flops | "
             "longest path (levels) |",
             "|---|---|---|---|---|---|", *rows]
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
