"""Sample-weighted fits (issue 13): writes benchmarks/results/calibration.md.

Run with ``make bench-calibration`` (or ``python benchmarks/bench_calibration.py``). Samples come
from a heavy-tailed mixture resembling Transformer GELU inputs; one set calibrates and weights the
fit, an independent held-out set measures it. For each width and segment count, the unweighted fit
and the ``weights: samples`` fit share the calibrated scales and domain (the same samples and
method pick them); both use objective mse and the default search (exact).
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

from machine import cpu_model  # benchmarks/machine.py
import approxgen
from approxgen import calibrate

RESULTS = Path(__file__).resolve().parent / "results" / "calibration.md"
SAMPLES = 200_000
SEEDS = {"calibration": 0, "held-out": 1}
BITS = tuple(int(b) for b in sys.argv[1:]) or (8, 16)
SEGMENTS = (4, 8, 16)
TARGET = 0.5  # weighted held-out mse at most this share of the unweighted one (int16, 4 and 8)
GENERATOR = ("numpy default_rng(seed): with probability 0.97 N(-0.7, 0.9), else "
             "2.5 * Student-t(2); clipped to [-30, 30]")


def mixture(n: int, seed: int) -> np.ndarray:
    """Mostly a narrow normal below zero, with rare heavy-tailed extremes (as MiniLM's GELU
    inputs: median near -0.7, extremes beyond +-15)."""
    rng = np.random.default_rng(seed)
    core = rng.normal(-0.7, 0.9, n)
    tail = 2.5 * rng.standard_t(2, n)
    return np.clip(np.where(rng.random(n) < 0.97, core, tail), -30.0, 30.0)


def run(bits: int, segments: int, train: np.ndarray, held: np.ndarray) -> dict:
    row = {}
    for weights in ("none", "samples"):
        started = time.perf_counter()
        fit = approxgen.fit("gelu", bits=bits, segments=segments, objective="mse",
                            weights=weights, calibrate=train)
        seconds = time.perf_counter() - started
        row[weights] = (fit, calibrate.measure(fit, held), seconds)
    a, b = row["none"][0], row["samples"][0]
    assert a.spec.input == b.spec.input and a.spec.domain == b.spec.domain
    return row


def main() -> None:
    train = mixture(SAMPLES, SEEDS["calibration"])
    held = mixture(SAMPLES, SEEDS["held-out"])
    lines = [f"Samples: {SAMPLES} for calibration (seed {SEEDS['calibration']}) and {SAMPLES} "
             f"held out (seed {SEEDS['held-out']}), {GENERATOR}. gelu, `--calibrate` with the "
             f"default method ({calibrate.DEFAULT_METHOD}, power-of-two scales), objective mse, "
             f"search exact; the same calibrated scales and domain for both fits. Held-out "
             f"errors over the held-out samples (against sat(f); samples outside the domain "
             f"are not measured). Measured on {cpu_model()}, Python "
             f"{platform.python_version()}, by `make bench-calibration`.", "",
             "| bits | segments | input scale | held-out mse, unweighted | held-out mse, "
             "weighted | ratio | held-out max err (LSB), unweighted | weighted | all-code max "
             "err (LSB), unweighted | weighted | fit s (unw. / w.) |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for bits in BITS:
        for segments in SEGMENTS:
            row = run(bits, segments, train, held)
            (fa, ma, ta), (fb, mb, tb) = row["none"], row["samples"]
            ratio = mb["sample_mse"] / ma["sample_mse"] if ma["sample_mse"] > 0 else float("nan")
            lines.append(
                f"| {bits} | {segments} | 2^{fa.spec.input.scale_exp} | "
                f"{ma['sample_mse']:.4g} | {mb['sample_mse']:.4g} | {ratio:.3f} | "
                f"{ma['sample_max_error_lsb']:.3f} | {mb['sample_max_error_lsb']:.3f} | "
                f"{fa.metrics['max_error_lsb']:.3f} | {fb.metrics['max_error_lsb']:.3f} | "
                f"{ta:.1f} / {tb:.1f} |")
            print(lines[-1], file=sys.stderr, flush=True)
            RESULTS.write_text("\n".join(lines) + "\n")  # rows so far (a long run may be cut)
            if bits == 16 and segments in (4, 8):
                ok = ratio <= TARGET
                verdicts.append(f"- int16, {segments} segments: weighted / unweighted held-out "
                                f"mse = {ratio:.3f} (target <= {TARGET}): "
                                f"{'met' if ok else 'NOT met'}")
    lines += ["", *verdicts]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
