"""Cost of a block's emitted C (issue 23), gcc -O2 on this machine: instructions per element
(``valgrind --tool=callgrind`` counts the instructions inside one non-inlined call of the block
per row, divided by the elements) and nanoseconds per element (the best of a few timed passes;
the machine is shared, so a rough figure)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from approxgen.emit.c import render_block

HARNESS = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "block.h"
__attribute__((noinline)) void run_row(const IN *x, OUT *y, size_t n) { NAME(x, y, n); }
/* stdin: uint32 rows, uint32 n, the codes. argv[1]: passes over the rows (default 1); with more
 * than one, the best pass's nanoseconds per element on stdout. */
int main(int argc, char **argv)
{
    static IN x[1 << 20];
    static OUT y[1 << 20];
    uint32_t rows, n, i;
    long passes = argc > 1 ? atol(argv[1]) : 1, p;
    double best = 1e30;
    if (fread(&rows, 4, 1, stdin) != 1 || fread(&n, 4, 1, stdin) != 1) return 3;
    if (fread(x, sizeof x[0], (size_t)rows * n, stdin) != (size_t)rows * n) return 3;
    for (p = 0; p < passes; p++) {
        struct timespec t0, t1;
        double ns;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (i = 0; i < rows; i++)
            run_row(x + (size_t)i * n, y + (size_t)i * n, n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
        best = ns < best ? ns : best;
    }
    if (passes > 1)
        printf("%.3f\n", best / ((double)rows * n));
    return y[0] == 123 ? 1 : 0;
}
"""


def c_type(fmt) -> str:
    return f"{'' if fmt.signed else 'u'}int{8 if fmt.bits <= 8 else 16}_t"


def compile_harness(block, workdir: Path) -> Path | None:
    """The timing/counting harness of ``block`` built with gcc -O2, or None without gcc."""
    gcc = shutil.which("gcc")
    if not gcc:
        return None
    (workdir / "block.h").write_text(render_block(block))
    (workdir / "h.c").write_text(HARNESS.replace("NAME", block.name))
    exe = workdir / "h"
    subprocess.run([gcc, "-std=c99", "-O2", f"-DIN={c_type(block.input)}",
                    f"-DOUT={c_type(block.output)}", "-o", str(exe), str(workdir / "h.c")],
                   check=True)
    return exe


def rows_bytes(block, rows: np.ndarray) -> bytes:
    return np.array(rows.shape, dtype=np.uint32).tobytes() + \
        rows.astype(f"int{block.input.bits}").tobytes()


def cost(block, rows: np.ndarray, workdir: Path, passes: int = 5) -> tuple:
    """``(instructions per element, ns per element)`` of ``block``'s C on ``rows`` (shape
    (rows, n), at most 2^20 codes): callgrind's count inside ``run_row`` (None without
    valgrind), and the best of ``passes`` timed passes (None without gcc)."""
    exe = compile_harness(block, workdir)
    if exe is None:
        return None, None
    data = rows_bytes(block, rows)
    ns = float(subprocess.run([str(exe), str(passes)], input=data, capture_output=True)
               .stdout.decode() or "nan")
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return None, ns
    result = subprocess.run([valgrind, "--tool=callgrind", "--toggle-collect=run_row",
                             f"--callgrind-out-file={workdir / 'cg.out'}", str(exe)],
                            input=data, capture_output=True)
    found = re.search(r"Collected\s*:\s*(\d+)", result.stderr.decode())
    return (int(found.group(1)) / rows.size if found else None), ns
