"""Sweeps beyond one machine (issue 26): writes benchmarks/results/executors.md.

Run with ``make bench-executors``. One grid of fits (functions x formats x forms x segment
counts, no Yosys) is measured twice on this machine: by the local process pool (``--jobs 2``)
and by a dask.distributed ``LocalCluster`` of 2 single-threaded worker processes (``--executor
dask``, the default batching). Both must give the same rows (fit seconds aside); the table
reports fits per second, wall clock, cluster start included for dask.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

from machine import cpu_model  # benchmarks/machine.py
import approxgen
from approxgen import parallel, spec as specs, sweep

RESULTS = Path(__file__).resolve().parent / "results" / "executors.md"
FUNCTIONS = ("gelu", "silu", "tanh", "sigmoid", "hswish", "elu", "softplus", "mish")
BITS = (4, 5, 6)
OUT_SHIFT = (0, 1)  # output scale = input scale / 2^(this + 1)
FORMS = ("pwl", "quadratic", "interp", "table")
SEGMENTS = (2, 3, 4, 5, 6, 7, 8)
WORKERS = 2


def grid() -> list:
    """The resolved specs of every point (those a form cannot fit are left out)."""
    points = []
    for function in FUNCTIONS:
        for bits in BITS:
            for shift in OUT_SHIFT:
                scale = 8 / 2 ** bits
                for form in FORMS:
                    for k in (SEGMENTS if form != "table" else (None,)):
                        raw = {"function": function, "form": form,
                               "input": {"bits": bits, "signed": True, "scale": scale},
                               "output": {"bits": bits, "signed": True,
                                          "scale": scale / 2 ** (shift + 1)}}
                        if k is not None:
                            raw["segments"] = k
                        spec = specs.resolve(raw, "<bench>")
                        if approxgen.forms.get(form).supports(spec.function):
                            points.append(spec)
    return points


def timed(executor, args) -> tuple[list, float]:
    started = time.perf_counter()
    rows = list(executor.map(sweep.measure, args))
    return rows, time.perf_counter() - started


def main() -> None:
    from distributed import LocalCluster

    args = [(spec, None, False) for spec in grid()]
    local, local_s = timed(parallel.Local(WORKERS), args)
    started = time.perf_counter()
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        start_s = time.perf_counter() - started
        remote, remote_s = timed(parallel.Dask(cluster.scheduler_address), args)
    strip = [[{k: v for k, v in r.items() if k != "fit_seconds"} for r in rows]
             for rows in (local, remote)]
    same = strip[0] == strip[1]
    n = len(args)
    lines = [
        f"{n} fits: {len(FUNCTIONS)} functions x {len(BITS) * len(OUT_SHIFT)} formats "
        f"(int{'/'.join(map(str, BITS))}, two output scales) x forms "
        f"{', '.join(FORMS)} x segments {', '.join(map(str, SEGMENTS))} (table once), "
        "no Yosys.", "",
        "| executor | workers | wall s | fits/s | rows equal to local |",
        "|---|---|---|---|---|",
        f"| local `--jobs {WORKERS}` | {WORKERS} processes | {local_s:.1f} | "
        f"{n / local_s:.2f} | (reference) |",
        f"| dask `LocalCluster` (default batching) | {WORKERS} worker processes | "
        f"{remote_s + start_s:.1f} ({start_s:.1f} cluster start) | "
        f"{n / (remote_s + start_s):.2f} | {'yes' if same else 'NO'} |", "",
        f"- machine: {cpu_model()}, {platform.system()} {platform.machine()}, python "
        f"{platform.python_version()}, approxgen {approxgen.__version__}; wall clock of one run "
        "each, on a machine shared with other jobs while it ran",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
