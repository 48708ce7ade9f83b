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

SPECS = [{"block": "softmax", "name": "sm8", "length": 768,
          "input": {"bits": 8, "signed": True, "scale": "2^-4"},
          "output": {"bits": 8, "signed": False, "scale": "2^-8"}},
         {"block": "softmax", "name": "sm16", "length": 768,
          "input": {"bits": 16, "signed": True, "scale": "2^-11"},
          "output": {"bits": 16, "signed": False, "scale": "2^-15"}}]


def main() -> None:
    for spec in SPECS:
        table(load(spec, "<benchmark>"))


def table(block) -> None:
    """The errors of ``block`` at each N."""
    tables = [block.exp_table] if not block.low_bits else list(block.split_tables)
    width = 2 if max(t[0] for t in tables) <= 0xFFFF else 4
    print(f"\nsoftmax (in {block.input.describe()}, out {block.output.describe()}, exp_bits "
          f"{block.exp_bits}), exp tables {' + '.join(str(t.size) for t in tables)} entries "
          f"x {width} B\n")
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
