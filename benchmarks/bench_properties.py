"""The property tests of issue 21 with many more drawn cases than the suite's
(``make bench-properties``).

Runs ``tests/test_properties.py`` under pytest with ``APPROXGEN_EXAMPLES`` (default 300, random
draws, not derandomized) and Hypothesis' statistics, and writes per property the drawn cases that
ran (passing, failing) and those the spec refused (invalid: e.g. ``fold: on`` without a symmetry)
to ``benchmarks/results/properties.md``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "properties.md"


def main() -> None:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    env = {**os.environ, "APPROXGEN_EXAMPLES": str(examples)}
    env.pop("CI", None)  # random draws: the suite's are derandomized under CI
    start = time.time()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--hypothesis-show-statistics", "tests/test_properties.py"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.time() - start
    rows = []
    for block in re.split(r"\n(?=tests/test_properties.py::)", run.stdout):
        name = re.match(r"tests/test_properties.py::(\w+)", block)
        if not name:
            continue
        passing = sum(int(n) for n in re.findall(r"(\d+) passing", block))
        failing = sum(int(n) for n in re.findall(r"(\d+) failing", block))
        invalid = sum(int(n) for n in re.findall(r"(\d+) invalid", block))
        rows.append(f"| `{name.group(1)}` | {passing + failing} | {failing} | {invalid} |")
    verdict = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-200:]
    text = "\n".join([
        f"Command: `make bench-properties` (`python benchmarks/bench_properties.py {examples}`): "
        f"`tests/test_properties.py` with `APPROXGEN_EXAMPLES={examples}`, random draws; "
        f"{seconds:.0f} s wall on this machine; pytest: {verdict}. Cases: drawn formats that were "
        "fitted and checked (the C property: drawn lists of 3-6 formats, each list one compile); "
        "invalid: draws the spec refused (e.g. `fold: on` where the scales allow no fold).",
        "",
        "| property | cases checked | failures | invalid draws |",
        "|---|---|---|---|",
        *rows, ""])
    RESULT.write_text(text)
    print(text)
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
