"""Design-space sweeps: one function fitted over a grid of forms, segment counts and searches,
with error, mismatches, C table bytes, Yosys cells (when installed) and fit time per point, and
the Pareto front of error against cost."""

from __future__ import annotations

import time

from approxgen.errors import ApproxgenError

COLUMNS = ("name", "form", "segments", "search", "max_error_lsb", "mismatches", "table_bytes",
           "cells", "fit_seconds", "pareto")
COSTS = ("table_bytes", "cells")
SAME_ERROR = 1e-9


def parse_list(text: str | None, known, flag: str, convert=str) -> list:
    """A comma-separated flag value, each item checked against ``known`` (None: any); an empty
    item (``4,,8``, ``''``) is an error, not skipped."""
    items = [item.strip() for item in (text or "").split(",")]
    if not any(items):
        raise ApproxgenError("give at least one value", flag)
    if not all(items):
        raise ApproxgenError(f"empty item in {text!r} (values are separated by one comma)", flag)
    out = []
    for item in items:
        try:
            value = convert(item)
        except ValueError:
            raise ApproxgenError(f"not a valid value: {item!r}", flag) from None
        if known is not None and value not in known:
            raise ApproxgenError(f"unknown {item!r} (known: {', '.join(map(str, known))})", flag)
        out.append(value)
    return list(dict.fromkeys(out))


def grid(forms: list[str], segments: list[int], searches: list[str]) -> list[dict]:
    """The points: an unsegmented form (table) once (segments and search do not apply), a
    segmented one (pwl) at every pair."""
    from approxgen import forms as registry

    points = []
    for form in forms:
        if not registry.get(form).segmented:
            points.append({"form": form})
        else:
            points += [{"form": form, "segments": k, "search": s}
                       for k in segments for s in searches]
    return points


def table_bytes(header: str) -> int:
    """Bytes of a C header's ``static const`` tables (what it adds to .rodata)."""
    from approxgen.emit.c import header_table_bytes

    return header_table_bytes(header)


def run(raw: dict, source: str, points: list[dict], yosys: bool = True,
        progress: bool = False, applicable_only: bool = False, jobs: int = 1,
        executor=None) -> list[dict]:
    """Fit every point (the raw spec with the point's keys laid over it) and measure it, in
    ``jobs`` processes or by ``executor`` (:mod:`approxgen.parallel`; rows in the order of the
    points); ``applicable_only``: skip points whose form cannot approximate the function or does
    not run the point's search (the default grid of every form). A dask worker needs the same
    Yosys (its path is this machine's) when cells are counted.

    Every spec is validated before the first fit, so bad input fails fast.
    """
    from approxgen import blocks, cost, fitting, forms, parallel, spec as specs
    from approxgen.progress import bar

    if blocks.is_block_spec(raw):
        raise ApproxgenError("a block spec cannot be swept (its inner fits are set in the spec: "
                             "use approxgen verify or build on it)",
                             blocks.where_of(source, "block"))
    merged = [specs.merge(raw, point) for point in points]
    if applicable_only:  # the default grid: every form, with the searches it runs
        merged = [m for m, p in zip(merged, points) if "search" not in p
                  or not forms.get(p["form"]).search_refusal(p["search"])]
    # resolved here, a spec's calibrate: samples read here too: the jobs read no file
    plans = [fitting.plan(m, source) for m in merged]
    if applicable_only:
        plans = [p for p in plans if forms.get(p.spec.form).supports(p.spec.function)]
    tool = cost.yosys_path() if yosys else None
    # one process: each point's search reports its progress too (a long ga or pso point);
    # several would interleave their bars
    executor = executor or parallel.Local(jobs)
    args = [(plan, tool, progress and executor.serial) for plan in plans]
    rows = []
    with bar(len(args), "sweep", progress) as status:
        for row in executor.map(measure, args):
            rows.append(row)
            status.update()
    mark_pareto(rows, "cells" if tool else "table_bytes")
    return rows


def measure(plan, yosys_tool, progress: bool = False) -> dict:
    """One point's row: fit the resolved Spec or :class:`approxgen.fitting.Plan` (calibrated on
    its samples if it has any; reporting progress when ``progress``), time it, count its C table
    bytes and, with a Yosys path, the cells of its full datapath. It reads no file, so it runs on
    any worker."""
    from approxgen import cost, forms
    from approxgen.emit import c, verilog
    from approxgen.fitting import as_plan

    plan = as_plan(plan)
    spec = plan.spec
    started = time.perf_counter()
    result = plan.fit(progress=progress)
    seconds = time.perf_counter() - started
    cells = None
    if yosys_tool:
        module = verilog.module_name(result, "full")
        cells = cost.measure(verilog.render(result), module, ice40=False,
                             yosys=yosys_tool)["cells"]
    form = forms.of(result.model)
    return {"name": spec.name, "form": spec.form, "segments": form.segments(result.model),
            "search": spec.search if form.segmented else None,
            "max_error_lsb": result.metrics["max_error_lsb"],
            "mismatches": result.metrics["mismatches"],
            "table_bytes": table_bytes(c.render(result)), "cells": cells,
            "fit_seconds": round(seconds, 3)}


def mark_pareto(rows: list[dict], cost_key: str) -> None:
    """Set ``pareto``: no other row has lower-or-equal error and cost with one strictly lower.
    Errors within :data:`SAME_ERROR` (relative) are equal: float noise of two fits that err
    equally must not decide."""
    def lower(a: float, b: float) -> bool:
        return a < b - SAME_ERROR * max(1.0, abs(b))

    for row in rows:
        e, k = row["max_error_lsb"], row[cost_key]
        row["pareto"] = not any(
            not lower(e, o["max_error_lsb"]) and o[cost_key] <= k
            and (lower(o["max_error_lsb"], e) or o[cost_key] < k) for o in rows)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def format_table(rows: list[dict]) -> str:
    """A fixed-width text table of the rows."""
    cells = [[_cell(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(COLUMNS)]
    left = {0, 1, 3}

    def line(values):
        return "  ".join(v.ljust(w) if i in left else v.rjust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    return "\n".join([line(COLUMNS), line(["-" * w for w in widths]), *map(line, cells)])


def to_csv(rows: list[dict]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row[k] is None else row[k] for k in COLUMNS})
    return out.getvalue()


# label offsets (points) tried in turn, nearest first: right, left, above, below, further out
_OFFSETS = [(dx, dy) for dy in (3, -10, 12, -19, 21, -28, 30, -37) for dx in (5, -5)]


def _place_labels(fig, ax, rows: list[dict], key: str) -> None:
    """Label every point at the first offset of :data:`_OFFSETS` where its text overlaps no
    label placed before and no other point, inside the axes; where none is free, at the offset
    overlapping least (deterministic)."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    points = [ax.transData.transform((r[key], r["max_error_lsb"])) for r in rows]
    placed = []

    def overlap(a, b) -> float:
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        return w * h if w > 0 and h > 0 else 0.0

    for i, r in enumerate(rows):
        label = (r["form"] if r["segments"] is None
                 else f"{r['form']} {r['search']} {r['segments']}")
        best = None
        for dx, dy in _OFFSETS:
            text = ax.annotate(label, (r[key], r["max_error_lsb"]), textcoords="offset points",
                               xytext=(dx, dy), fontsize="small",
                               ha="left" if dx > 0 else "right",
                               arrowprops=None if abs(dy) < 12 else  # a leader further out
                               {"arrowstyle": "-", "color": "0.6", "linewidth": 0.5})
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer)  # the text alone, not its leader
            area = box.width * box.height
            cost = sum(overlap(box, b) for b in placed) \
                + area * sum(box.contains(*p) for j, p in enumerate(points) if j != i) \
                + (area - overlap(box, frame)) * 10
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, text, box)
            else:
                text.remove()
            if cost == 0:
                break
        placed.append(best[2])


def plot_bytes(rows: list[dict], suffix: str = ".png") -> bytes:
    """A Pareto plot: max error (LSB) against cost (Yosys cells when measured, else C table
    bytes), every point labelled, the front joined (deterministic bytes)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from approxgen.report import PLOT_METADATA

    key = "cells" if all(r["cells"] is not None for r in rows) else "table_bytes"
    with matplotlib.rc_context({"svg.hashsalt": "approxgen"}):
        fig, ax = plt.subplots(figsize=(7, 5))
        for r in rows:
            ax.plot(r[key], r["max_error_lsb"], "o", color="tab:blue" if r["pareto"]
                    else "tab:gray")
        front = sorted((r[key], r["max_error_lsb"]) for r in rows if r["pareto"])
        ax.plot(*zip(*front), "-", color="tab:blue", linewidth=1, label="Pareto front")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.margins(x=0.15, y=0.12)  # room for the labels at the edges
        ax.set_xlabel("Yosys cells" if key == "cells" else "C table bytes")
        ax.set_ylabel("max error (LSB)")
        ax.set_title(f"{rows[0]['name']}: error against cost")
        fig.tight_layout()  # the axes' final frame, which the labels must stay inside
        _place_labels(fig, ax, rows, key)
        ax.legend(loc="best")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix[1:], dpi=100, metadata=PLOT_METADATA[suffix])
        plt.close(fig)
    return buffer.getvalue()
