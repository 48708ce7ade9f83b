"""Errors and cost of the integer LayerNorm / RMSNorm blocks (issue 23) beside I-BERT's integer
LayerNorm, written to ``benchmarks/results/norms.md``.

Rows (:func:`approxgen.blocks.norm.sample_rows`, seed 2026, 200 rows each of hidden states, hidden
states with 1% of the channels 10-50x larger, low-variance rows, plus the adversarial rows) at N
in {64, 128, 384, 768}; gamma = 1 + 0.3 N(0, 1), beta = 0.2 N(0, 1) (seed 7). Errors in output LSB
against the correctly rounded (half up, saturated) float64 block of the dequantized input codes
with the same quantized gamma and beta. I-BERT (Kim et al. 2021, IntLayerNorm): the mean
rounded to a whole code, ``var = sum (x - mean)^2``, ``std`` by the paper's integer Newton
square root, ``y = floor(c floor((2^31 - 1) / std) / 2)``, bias ``floor(beta / gamma / S)``, output
``(y + bias) sqrt(N) 2^-30 gamma`` rounded half up to the output grid (no epsilon); RMSNorm
I-BERT-style: the same without the mean.
Instructions per element: ``valgrind --tool=callgrind`` over the emitted C (gcc -O2, x86-64) on
the same rows, counted inside one non-inlined call per row. Usage:
``python benchmarks/norm_errors.py``.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from approxgen.blocks import load
from block_cost import cost
from approxgen.blocks.norm import metrics, sample_rows
from approxgen.emit.c import header_table_bytes, render_block, render_model

RESULT = Path(__file__).resolve().parent / "results" / "norms.md"
FORMATS = {8: ("2^-2", "2^-4"), 16: ("2^-9", "2^-11")}
LENGTHS = (64, 128, 384, 768)
def ibert_norm(block, rows) -> np.ndarray:
    """I-BERT's IntLayerNorm of ``rows`` in ``block``'s formats (RMSNorm: the same without the
    mean), output codes."""
    x = np.asarray(rows, dtype=np.int64)
    n = x.shape[1]
    s = x.sum(axis=1, keepdims=True)
    mean = (2 * s + n) // (2 * n)  # rounded to a code
    c = x - mean if block.centred else x
    var = (c * c).sum(axis=1, keepdims=True)
    std = np.array([[isqrt_newton(int(v))] for v in var[:, 0]], dtype=np.int64)
    factor = (2 ** 31 - 1) // np.maximum(std, 1)
    y = (c * factor) // 2
    scale = math.sqrt(n) / 2 ** 30
    g = np.ldexp(block.gamma[:n].astype(np.float64), -block.gamma_shift)
    b = np.ldexp(block.beta[:n].astype(np.float64), -block.beta_shift)
    bias = np.floor(b / g / scale)
    real = (y + bias) * scale * g
    out = np.floor(np.ldexp(real, block.out_shift) + 0.5)
    return np.clip(out, block.output.min_code, block.output.max_code).astype(np.int64)


def isqrt_newton(v: int) -> int:
    """I-BERT's i-sqrt: Newton from 2^ceil(bits/2) while it decreases (floor divisions)."""
    if v == 0:
        return 0
    x = 1 << -(-v.bit_length() // 2)
    while True:
        nxt = (x + v // x) // 2
        if nxt >= x:
            return x
        x = nxt


def spec(kind: str, bits: int, workdir: Path) -> dict:
    raw = {"block": kind, "name": f"{kind[:3]}{bits}", "length": max(LENGTHS),
           "input": {"bits": bits, "scale": FORMATS[bits][0]},
           "output": {"bits": bits, "scale": FORMATS[bits][1]},
           "gamma": str(workdir / "gamma.npy")}
    if kind == "layernorm":
        raw["beta"] = str(workdir / "beta.npy")
    return raw


def main() -> None:
    lines = ["Measured by `python benchmarks/norm_errors.py` (seed 2026; 200 rows each of hidden "
             "states std 1, the same with 1% of the channels 10-50x larger, low-variance rows "
             "(std 1.5 codes), plus all equal, one hot, all minimum, all maximum and one huge "
             "outlier; gamma = 1 + 0.3 N(0,1), beta = 0.2 N(0,1); errors in output LSB against "
             "the correctly rounded float64 block of the dequantized codes with the same "
             "quantized gamma/beta; instructions per element: callgrind, gcc -O2 x86-64, inside "
             "the block's call, on the same rows; ns/element: the best of 5 passes, a shared "
             "machine; int8 in 2^-2 out 2^-4, int16 in 2^-9 out "
             "2^-11):", "",
             "| block | N | max err | mean err | correctly rounded | instructions/element | "
             "ns/element | "
             "tables (rsqrt + gamma/beta) | I-BERT max err | I-BERT mean err | "
             "I-BERT correctly rounded |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rng = np.random.default_rng(7)
        np.save(work / "gamma.npy", 1.0 + 0.3 * rng.normal(size=max(LENGTHS)))
        np.save(work / "beta.npy", 0.2 * rng.normal(size=max(LENGTHS)))
        for kind in ("layernorm", "rmsnorm"):
            for bits in (8, 16):
                block = load(spec(kind, bits, work), "<benchmark>")
                rsqrt = header_table_bytes(render_model(block.rsqrt_fit.model))
                vectors = header_table_bytes(render_block(block)) - rsqrt
                for n in LENGTHS:
                    rows = np.concatenate(list(sample_rows(block, n, 200, 2026).values()))
                    m = metrics(block, rows)
                    ipe, ns = cost(block, rows, work)
                    err = np.abs(ibert_norm(block, rows) - block.reference(rows))
                    ib = (f"{int(err.max())} | {err.mean():.3f} | "
                          f"{100 * (1 - np.count_nonzero(err) / err.size):.2f}%")
                    label = f"{kind} int{bits}" if n == LENGTHS[0] else ""
                    spent = ("-" if ipe is None else f"{ipe:.1f}") + " | " + \
                        ("-" if ns is None else f"{ns:.1f}")
                    lines.append(f"| {label} | {n} | {m['max_error_lsb']} | "
                                 f"{m['mean_error_lsb']:.1e} | "
                                 f"{100 * m['correctly_rounded']:.3f}% | {spent} | "
                                 f"{rsqrt} + {vectors:,} B | {ib} |")
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
