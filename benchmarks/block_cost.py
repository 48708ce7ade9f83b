"""Instructions per element of a block's emitted C (issue 23): ``valgrind --tool=callgrind``
counts the instructions inside one non-inlined call of the block per row (gcc -O2, this
machine), divided by the elements of the rows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from approxgen.emit.c import render_block

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "block.h"
__attribute__((noinline)) void run_row(const IN *x, OUT *y, size_t n) { NAME(x, y, n); }
int main(void)
{
    static IN x[1 << 20];
    static OUT y[1 << 20];
    uint32_t rows, n, i;
    if (fread(&rows, 4, 1, stdin) != 1 || fread(&n, 4, 1, stdin) != 1) return 3;
    if (fread(x, sizeof x[0], (size_t)rows * n, stdin) != (size_t)rows * n) return 3;
    for (i = 0; i < rows; i++)
        run_row(x + (size_t)i * n, y + (size_t)i * n, n);
    return y[0] == 123 ? 1 : 0;
}
"""


def c_type(fmt) -> str:
    return f"{'' if fmt.signed else 'u'}int{8 if fmt.bits <= 8 else 16}_t"


def instructions_per_element(block, rows: np.ndarray, workdir: Path) -> float | None:
    """Callgrind's instruction count inside ``run_row`` per element of ``rows`` (shape (rows,
    n), at most 2^20 codes), or None without valgrind or gcc."""
    valgrind, gcc = shutil.which("valgrind"), shutil.which("gcc")
    if not valgrind or not gcc:
        return None
    (workdir / "block.h").write_text(render_block(block))
    (workdir / "h.c").write_text(HARNESS.replace("NAME", block.name))
    exe = workdir / "h"
    subprocess.run([gcc, "-std=c99", "-O2", f"-DIN={c_type(block.input)}",
                    f"-DOUT={c_type(block.output)}", "-o", str(exe), str(workdir / "h.c")],
                   check=True)
    data = np.array(rows.shape, dtype=np.uint32).tobytes() + \
        rows.astype(f"int{block.input.bits}").tobytes()
    result = subprocess.run([valgrind, "--tool=callgrind", "--toggle-collect=run_row",
                             f"--callgrind-out-file={workdir / 'cg.out'}", str(exe)],
                            input=data, capture_output=True)
    found = re.search(r"Collected\s*:\s*(\d+)", result.stderr.decode())
    return int(found.group(1)) / rows.size if found else None
