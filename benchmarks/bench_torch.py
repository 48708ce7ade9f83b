"""A small Transformer's output with every activation replaced (issue 25): writes
benchmarks/results/torch.md.

Run with ``make bench-torch`` (or ``python benchmarks/bench_torch.py``). The model (random weights,
seed 0; 3 blocks of attention, a GELU MLP and a SiLU-gated MLP, then tanh) is recorded on 8
calibration batches, each activation fitted by ``approxgen.torch.fit_layers`` (calibration absmax,
to keep the run short) and replaced; the cosine similarity of the replaced model's output to the
float model's is measured on 8 other batches.
"""

from __future__ import annotations

import copy
import platform
import tempfile
import os
import time
from pathlib import Path

import torch

from machine import cpu_model  # benchmarks/machine.py
from approxgen import torch as integration

RESULTS = Path(__file__).resolve().parent / "results" / "torch.md"
FORMS = ("pwl", "table", "interp")
BITS = (8, 16)


class Block(torch.nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.attention = torch.nn.MultiheadAttention(width, 4, batch_first=True)
        self.norm1, self.norm2 = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.up, self.gelu, self.down = (torch.nn.Linear(width, 4 * width), torch.nn.GELU(),
                                         torch.nn.Linear(4 * width, width))
        self.gate, self.value, self.silu, self.out = (
            torch.nn.Linear(width, 2 * width), torch.nn.Linear(width, 2 * width),
            torch.nn.SiLU(), torch.nn.Linear(2 * width, width))

    def forward(self, x):
        x = self.norm1(x + self.attention(x, x, x, need_weights=False)[0])
        x = x + self.down(self.gelu(self.up(x)))
        return self.norm2(x + self.out(self.silu(self.gate(x)) * self.value(x)))


def main() -> None:
    os.environ.setdefault("APPROXGEN_CACHE", tempfile.mkdtemp())
    torch.manual_seed(0)
    model = torch.nn.Sequential(Block(), Block(), Block(), torch.nn.Tanh()).eval()
    calibration = [torch.randn(4, 16, 32) for _ in range(8)]
    test = torch.cat([torch.randn(4, 16, 32) for _ in range(8)])
    records = integration.record(model, calibration)
    with torch.no_grad():
        reference = model(test).flatten()
    lines = [f"Model: 3 Transformer blocks (width 32, 4 heads; GELU MLP and SiLU-gated MLP), then "
             f"tanh: {len(records)} activations; random weights (seed 0), inputs N(0, 1), 8 "
             f"batches of 4 x 16 tokens to calibrate, 8 others to measure. Each activation "
             f"fitted by `fit_layers(records, bits=B, form=F, calibration=\"absmax\")` (other "
             f"keys default), replaced (backend golden; the C backend gives the same codes). "
             f"Cosine similarity of the replaced model's output to the float model's. Measured "
             f"on {cpu_model()}, Python {platform.python_version()}, torch "
             f"{torch.__version__}, by `make bench-torch`.", "",
             "| form | bits | output cosine vs float | 1 - cosine | fit s (all layers) |",
             "|---|---:|---:|---:|---:|"]
    for form in FORMS:
        for bits in BITS:
            started = time.perf_counter()
            fits = integration.fit_layers(records, bits=bits, form=form, calibration="absmax",
                                          cache=False)
            seconds = time.perf_counter() - started
            replaced = integration.replace(copy.deepcopy(model), fits)
            with torch.no_grad():
                out = replaced(test).flatten()
            cosine = float(torch.nn.functional.cosine_similarity(out.double(),
                                                                 reference.double(), dim=0))
            lines.append(f"| {form} | {bits} | {cosine:.6f} | {1 - cosine:.2e} | "
                         f"{seconds:.1f} |")
            print(lines[-1], flush=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
