"""Time emitted C kernels side by side in one program (gcc -O2, x86-64), and count their
instructions per element under callgrind: the array variant and the scalar function called in a
loop (what firmware writes), over every input code repeated in a random order.

``measure(kernels)``: kernels are ``(label, header text, C name, input type, output type)``;
returns ``{label: {"array_ns", "scalar_ns", "array_instr", "scalar_instr"}}``. Also a helper
``anchor_table(...)`` renders a plain 256-entry-style table header for a reference kernel.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from approxgen import tools

ELEMENTS = 1 << 16  # per timed call: every int16 code once, an int8 code 256 times
ROUNDS = 31
CALLS = 16  # timed calls per round
FLAGS = ("-std=c99", "-O2")
# now(): seconds, monotonic; random_bits(): xorshift64*, the same sequence on every run
C_CLOCK_AND_RANDOM = """
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static unsigned long long state = 0x9E3779B97F4A7C15ULL;
static unsigned random_bits(void) /* xorshift64*: the same buffer on every run */
{
    state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
    return (unsigned)((state * 0x2545F4914F6CDD1DULL) >> 32);
}
"""


def program(kernels) -> str:
    lines = ["#define _POSIX_C_SOURCE 199309L", "#include <stdio.h>", "#include <stdlib.h>",
             "#include <string.h>", "#include <time.h>", "#include <stdint.h>"]
    lines += [f'#include "{name}.h"' for _, _, name, _, _ in kernels]
    for _, _, name, in_t, out_t in kernels:
        lines.append(f"""
__attribute__((noinline)) void ag_arr_{name}(const {in_t} *x, {out_t} *y, size_t n)
{{ {name}_array(x, y, n); }}
__attribute__((noinline)) void ag_sca_{name}(const {in_t} *x, {out_t} *y, size_t n)
{{ size_t i; for (i = 0; i < n; ++i) y[i] = {name}(x[i]); }}""")
    lines.append(C_CLOCK_AND_RANDOM)
    lines.append(f"static int16_t ag_x[{ELEMENTS}], ag_y[{ELEMENTS}];")
    body = []
    for index, (_, _, name, in_t, out_t) in enumerate(kernels):
        for v, kind in enumerate(("arr", "sca")):
            k = 2 * index + v
            body.append(f"""    if (only == NULL || strcmp(only, "{kind}_{name}") == 0) {{
        for (c = 0; c < (only ? 1 : {CALLS}); ++c) {{
            t = now(); ag_{kind}_{name}((const {in_t} *)ag_x, ({out_t} *)ag_y, {ELEMENTS});
            t = now() - t; if (t < best[{k}]) best[{k}] = t; sink += (unsigned)ag_y[c];
        }}
    }}""")
    prints = [f'    if (!only) printf("{name}\\t%.4f\\t%.4f\\n", best[{2 * i}] * 1e9 / {ELEMENTS}, '
              f"best[{2 * i + 1}] * 1e9 / {ELEMENTS});"
              for i, (_, _, name, _, _) in enumerate(kernels)]
    lines.append(f"""
int main(int argc, char **argv)
{{
    const char *only = argc > 1 ? argv[1] : NULL;
    double t, best[{2 * len(kernels)}];
    unsigned sink = 0;
    int round, c, k;
    size_t i;
    for (i = 0; i < {ELEMENTS}; ++i) ag_x[i] = (int16_t)(i & 0xFFFFu);
    for (i = {ELEMENTS} - 1; i > 0; --i) {{ /* every code equally often, in a random order */
        size_t j = random_bits() % (i + 1); int16_t s = ag_x[i]; ag_x[i] = ag_x[j]; ag_x[j] = s;
    }}
    for (k = 0; k < {2 * len(kernels)}; ++k) best[k] = 1e30;
    for (round = 0; round < (only ? 1 : {ROUNDS}); ++round) {{
{chr(10).join(body)}
    }}
{chr(10).join(prints)}
    fprintf(stderr, "checksum %u\\n", sink);
    return 0;
}}""")
    return "\n".join(lines) + "\n"


def measure(kernels, callgrind: bool = True, flags=FLAGS) -> dict:
    """Times (best of :data:`ROUNDS`) and, with ``callgrind``, instructions per element."""
    with tempfile.TemporaryDirectory(prefix="approxgen-kernels-") as tmp:
        d = Path(tmp)
        for _, header, name, _, _ in kernels:
            (d / f"{name}.h").write_text(header)
        (d / "bench.c").write_text(program(kernels))
        exe = d / "bench"
        tools.run_tool(["cc", *flags, "-I", d, d / "bench.c", "-o", exe], "cc (kernels)",
                       timeout=600)
        out = tools.run_tool([exe], "the kernel benchmark", timeout=3600).stdout
        rows = {}
        times = {line.split("\t")[0]: line.split("\t")[1:] for line in out.splitlines()}
        for label, _, name, _, _ in kernels:
            row = {"array_ns": float(times[name][0]), "scalar_ns": float(times[name][1])}
            if callgrind:
                for kind, key in (("arr", "array_instr"), ("sca", "scalar_instr")):
                    row[key] = instructions(exe, f"ag_{kind}_{name}", f"{kind}_{name}", d)
            rows[label] = row
        return rows


def instructions(exe: Path, function: str, argument: str, directory: Path) -> float:
    """Instructions per element of one call of ``function`` (callgrind, inclusive)."""
    out = directory / f"cg.{argument}"
    tools.run_tool(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    "--collect-atstart=no", f"--toggle-collect={function}", exe, argument],
                   "valgrind", timeout=600)
    total = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
    return int(total.group(1)) / ELEMENTS
