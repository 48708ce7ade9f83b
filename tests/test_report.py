"""``approxgen report``: Markdown + plots, deterministic bytes, --json, bad plot formats."""

import json
import subprocess
import sys

import pytest

SPEC = "function: gelu\ninput: {bits: 8}\nsegments: 4\n"


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "approxgen", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.fixture
def artifact(tmp_path):
    (tmp_path / "g.yaml").write_text(SPEC)
    assert run("fit", "g.yaml", "-q", "-o", "g.json", cwd=tmp_path).returncode == 0
    return tmp_path / "g.json"


def test_report_writes_markdown_and_plots(tmp_path, artifact):
    result = run("report", str(artifact), "-o", "out", "--plot", "g.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    md = (tmp_path / "out/g.md").read_text()
    assert "| approximation |" in md and "| correctly rounded table |" in md
    assert md.count("\n| ") >= 2 + 4 + 1  # metrics rows, 4 segments, headers
    assert "![g](g.png)" in md
    assert (tmp_path / "out/g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "g.svg").read_bytes()


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_plots_are_byte_reproducible(tmp_path, artifact, suffix):
    for name in ("a", "b"):
        assert run("report", str(artifact), "--plot", name + suffix, cwd=tmp_path).returncode == 0
    a, b = (tmp_path / ("a" + suffix)).read_bytes(), (tmp_path / ("b" + suffix)).read_bytes()
    assert a == b and len(a) > 1000
    assert b"Date" not in a or suffix == ".svg" and b"<dc:date>" not in a


def test_report_json(tmp_path, artifact):
    result = run("report", str(artifact), "--json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["name"] == "g" and len(data["segments"]) == 4
    assert data["metrics"]["mismatches"] == sum(s["mismatches"] for s in data["segments"])


def test_bad_plot_format_exit_2_nothing_written(tmp_path, artifact):
    result = run("report", str(artifact), "-o", "out", "--plot", "g.jpg", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("approxgen: error: --plot:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.json", "g.yaml"]


def test_column_envelope_holds_every_code():
    import numpy as np

    from approxgen.report import column_envelope

    values = np.random.default_rng(0).normal(size=65536)
    starts, lo, hi = column_envelope(values, 600)
    ends = np.append(starts[1:], values.size)
    for s, e, a, b in zip(starts, ends, lo, hi):
        assert a == values[s:e].min() and b == values[s:e].max()
    assert starts[0] == 0 and np.all(np.diff(starts) > 0)


def test_int16_error_panel_is_an_envelope_with_the_mismatches_marked(monkeypatch):
    """65,536 codes are not one line per code (a solid block): the model's error is a min..max
    fill per column, and each column holding a mismatch gets a tick."""
    import matplotlib.axes

    from conftest import CONFIGS, shipped_fit

    from approxgen import report

    f = shipped_fit(next(p for p in CONFIGS if p.stem == "gelu_int16"))
    calls = []
    for name in ("plot", "fill_between", "step"):
        original = getattr(matplotlib.axes.Axes, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            calls.append((self, _name, args, kwargs))
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(matplotlib.axes.Axes, name, spy)
    assert report.plot_bytes(f).startswith(b"\x89PNG")
    drawn = {}  # what the error panel drew (its ylabel is set by now)
    for ax, name, args, kwargs in calls:
        if ax.get_ylabel() == "error (LSB)":
            drawn.setdefault(name, []).append((args, kwargs))
    (args, kwargs), = drawn["fill_between"]
    assert len(args[0]) == report.PLOT_COLUMNS and "min..max" in kwargs["label"]
    ticks = [a for a, k in drawn["plot"] if "mismatch" in k.get("label", "")]
    assert ticks and 0 < len(ticks[0][0]) <= report.PLOT_COLUMNS
    assert f"({f.metrics['mismatches']} codes)" in str(drawn["plot"])
    assert all(len(a[0]) <= report.PLOT_COLUMNS for a, _ in drawn["plot"] + drawn["step"])


def test_folded_segments_are_listed_on_abs_q():
    from conftest import fit_raw

    from approxgen import report

    f = fit_raw(function="tanh", input={"bits": 8}, segments=4, fold="on")
    rows = report.segment_rows(f)
    assert all(r["of_abs"] for r in rows) and rows[0]["lo_code"] == 0
    assert all(a["hi_code"] + 1 == b["lo_code"] for a, b in zip(rows, rows[1:]))  # no overlap
    assert "|q| codes" in report.segment_table(f)
    assert r"\|q\| codes" in report.markdown(f)
