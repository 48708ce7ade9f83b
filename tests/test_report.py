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
