"""Errors of the integer softmax block (issue 23) on the stated rows, as a Markdown table.

Rows (:func:`approxgen.blocks.softmax.sample_rows`, seed 2026, 200 rows of each logit-like kind
and the adversarial rows) at N in {64, 128, 384, 768}; errors in output LSB against the correctly
rounded float64 softmax of the dequantized input codes (``max``, ``mean``, ``mismatches``) and
against the unrounded one (``real``). Usage: ``python benchmarks/softmax_errors.py``.
"""

from __future__ import annotations

import numpy as np

from approxgen.blocks import load
from approxgen.blocks.softmax import metrics, sample_rows

SPEC = {"block": "softmax", "name": "sm8", "length": 768,
        "input": {"bits": 8, "signed": True, "scale": "2^-4"},
        "output": {"bits": 8, "signed": False, "scale": "2^-8"}}


def main() -> None:
    block = load(SPEC, "<benchmark>")
    print(f"softmax int8 (in {block.input.describe()}, out {block.output.describe()}), "
          f"exp table {block.exp_table.size} entries x 2 B\n")
    print("| N | max err | mean err | mismatches | argmax disagreements | max real err "
          "| max row-sum deviation |")
    print("|---|---|---|---|---|---|---|")
    for n in (64, 128, 384, 768):
        rows = np.concatenate(list(sample_rows(block, n, 200, 2026).values()))
        m = metrics(block, rows)
        print(f"| {n} | {m['max_error_lsb']} | {m['mean_error_lsb']:.1e} | "
              f"{m['mismatches']} / {m['outputs']} | {m['argmax_disagreements']} | "
              f"{m['max_real_error_lsb']:.3f} | {m['max_row_sum_deviation']:.4f} |")


if __name__ == "__main__":
    main()
