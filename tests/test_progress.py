"""Progress: plain status lines for CI logs with --progress, a bar only on a terminal, -q off."""

import io

import pytest

from approxgen import progress
from approxgen.search import progress_bar


@pytest.fixture(autouse=True)
def restore_mode():
    yield
    progress.set_mode("auto")


def test_plain_status_lines_count_and_finish():
    out = io.StringIO()
    with progress.StatusLines(4, "exact", stream=out, interval=0.0) as bar:
        bar.update()
        bar.reset(total=8)
        bar.update(2)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("approxgen: exact: working, 1/4 (25%), ")
    assert lines[1].startswith("approxgen: exact: working, 2/8 (25%), ")
    assert lines[-1].startswith("approxgen: exact: done, 2/8 (25%), ")


def test_modes_pick_the_reporter(capsys):
    progress.set_mode("plain", label="act_gelu")
    status = progress_bar(10, "pso", True)
    assert isinstance(status, progress.StatusLines) and status.desc == "act_gelu: pso"
    progress.set_mode("plain")
    assert isinstance(progress_bar(10, "pso", True), progress.StatusLines)
    assert not isinstance(progress_bar(10, "pso", False), progress.StatusLines)  # -q / off
    progress.set_mode("off")
    assert not isinstance(progress_bar(10, "pso", True), progress.StatusLines)
    progress.set_mode("auto")  # stderr is no terminal under pytest: status lines (CI logs)
    with progress_bar(10, "pso", True) as bar:
        assert isinstance(bar, progress.StatusLines)
        bar.update(10)
    assert capsys.readouterr().err == ""  # short work: no line
    with pytest.raises(ValueError):
        progress.set_mode("loud")
