"""``approxgen sweep``: a grid of fits as a table, CSV, JSON and a Pareto plot."""

import csv
import io
import json
import subprocess
import sys

import pytest

from approxgen import sweep
from approxgen.errors import ApproxgenError

ARGS = ["sweep", "gelu", "--bits", "6", "--segments", "2,4", "--search", "uniform,exact",
        "--no-yosys", "--form", "pwl,table", "--fold", "none"]  # folded: at the floor at once


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "approxgen", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_sweep_table_csv_json_and_plot(tmp_path):
    result = run(*ARGS, "--csv", "s.csv", "--plot", "s.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["name", "form", "segments", "search"]
    assert len(lines) == 2 + 2 * 2 + 1  # header, rule, pwl 2x2, table
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text())))
    assert [(r["form"], r["segments"], r["search"]) for r in rows] == [
        ("pwl", "2", "uniform"), ("pwl", "2", "exact"), ("pwl", "4", "uniform"),
        ("pwl", "4", "exact"), ("table", "", "")]
    assert b"<svg" in (tmp_path / "s.svg").read_bytes()
    data = json.loads(run(*ARGS, "--json", cwd=tmp_path).stdout)
    table = data[-1]
    assert table["form"] == "table" and table["mismatches"] == 0 and table["table_bytes"] == 64
    exact4 = data[3]
    assert exact4["max_error_lsb"] <= data[2]["max_error_lsb"]  # exact beats uniform
    assert exact4["pareto"] and not data[2]["pareto"]  # uniform 4: no better, no cheaper
    assert data[0]["pareto"] and not table["pareto"]  # at 6 bits exact 4 matches the table


def test_jobs_give_the_same_rows_in_the_same_order(tmp_path):
    def rows(*extra):
        result = run(*ARGS, "--json", *extra, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return [{k: v for k, v in r.items() if k != "fit_seconds"} for r in
                json.loads(result.stdout)]

    assert rows("--jobs", "2") == rows()


def test_default_grid_is_every_form_that_applies(tmp_path):
    """Without --form: every registered form that can approximate the function (no ibert for
    silu: it computes only gelu and exp)."""
    args = ["sweep", "--bits", "6", "--segments", "2", "--search", "uniform", "--no-yosys", "--json"]
    forms = {f: [r["form"] for r in json.loads(run(*args[:1], f, *args[1:], cwd=tmp_path).stdout)]
             for f in ("gelu", "silu")}
    assert forms == {"gelu": ["pwl", "table", "quadratic", "ibert", "interp"],
                     "silu": ["pwl", "table", "quadratic", "interp"]}


def test_default_grid_leaves_out_a_search_a_form_refuses(monkeypatch):
    """``--search pso`` over every form: interp places its own nodes, so it is not in the grid
    (an explicit ``--form interp --search pso`` is refused before any fit)."""
    monkeypatch.setattr(sweep, "measure", lambda spec, tool, progress: {
        "form": spec.form, "max_error_lsb": 1.0, "table_bytes": 1, "cells": None})
    points = sweep.grid(["pwl", "interp", "table"], [4], ["pso"])
    rows = sweep.run({"function": "silu"}, "<test>", points, yosys=False, applicable_only=True)
    assert [r["form"] for r in rows] == ["pwl", "table"]
    with pytest.raises(ApproxgenError, match="search: form interp places its nodes itself"):
        sweep.run({"function": "silu"}, "<test>", points, yosys=False)


def test_table_bytes_counts_the_static_tables():
    header = ("static const int8_t g_breakpoints[7] = {\n};\nstatic const int16_t g_slopes[8]"
              " = {\n};\nstatic const int32_t g_offsets[8] = {\n};\n")
    assert sweep.table_bytes(header) == 7 + 16 + 32


def test_pareto_front():
    rows = [{"max_error_lsb": e, "table_bytes": b} for e, b in
            [(1.0, 10), (0.5, 20), (0.7, 30), (0.5, 20), (2.0, 5), (1.0 + 2e-16, 10)]]
    sweep.mark_pareto(rows, "table_bytes")
    assert [r["pareto"] for r in rows] == [True, True, False, True, True, True]  # noise: equal


@pytest.mark.parametrize("args, message", [
    (["--search", "exact,nope"], "--search: unknown 'nope'"),
    (["--segments", "4,x"], "--segments: not a valid value: 'x'"),
    (["--form", "cubic"], "--form: unknown 'cubic'"),
    (["--plot", "p.gif"], "--plot: a plot is"),
    (["--jobs", "0"], "-j/--jobs: 0 is not in the range"),
])
def test_bad_lists_exit_2(tmp_path, args, message):
    result = run("sweep", "gelu", "--bits", "6", "--no-yosys", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not list(tmp_path.iterdir())


def test_pareto_plot_labels_do_not_overprint(monkeypatch):
    """A crowded sweep (points of equal error side by side): every label lies inside the axes and
    overlaps no other label."""
    import matplotlib.figure
    from matplotlib.text import Annotation, Text

    rows = [{"name": "g", "form": form, "segments": k, "search": s, "max_error_lsb": e,
             "cells": c, "table_bytes": 1, "pareto": False}
            for form, k, s, e, c in [("pwl", 4, "exact", 0.5, 700), ("pwl", 8, "exact", 0.5, 740),
                                     ("quadratic", 8, "exact", 0.5, 930),
                                     ("quadratic", 8, "uniform", 0.5, 960),
                                     ("quadratic", 4, "exact", 0.5, 1080),
                                     ("interp", 8, "exact", 0.53, 1350),
                                     ("pwl", 2, "uniform", 1.7, 530)]]
    rows.append({"name": "g", "form": "table", "segments": None, "search": None,
                 "max_error_lsb": 0.5, "cells": 205, "table_bytes": 1, "pareto": True})
    seen = []

    def savefig(fig, buffer, **kw):  # the figure as it is saved
        ax = fig.axes[0]
        renderer = fig.canvas.get_renderer()
        labels = [t for t in ax.texts if isinstance(t, Annotation)]
        for t in labels:
            t.update_positions(renderer)
        seen.append((ax.get_window_extent(renderer), labels,
                     [Text.get_window_extent(t, renderer) for t in labels]))
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    sweep.plot_bytes(rows)
    (frame, labels, boxes), = seen
    assert len(labels) == len(rows)
    for i, a in enumerate(boxes):
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        assert not any(a.overlaps(b) for b in boxes[i + 1:]), labels[i].get_text()
