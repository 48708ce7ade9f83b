"""Emitters are plug-ins: a throw-away emitter, one module and one registry entry, works end to
end (``approxgen emit``, ``verify``, ``build``, the API and the name rules) without a line of
shared code knowing it; a form it has no code for gets the one refusal."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

import approxgen
from approxgen import verify
from approxgen.cli import main
from approxgen.emit import EMITTERS
from approxgen.errors import ApproxgenError
from conftest import fit_raw

# A complete emitter: CSV of every input code and output, pwl fits adding each code's slope.
EMITTER = '''
"""CSV: one line per input code, ``x,y`` (pwl: ``x,y,slope``)."""

import numpy as np

from approxgen import forms
from approxgen.emit import Option, cell
from approxgen.verify import TargetResult

TARGET = "CSV"
HELP = "Every input code and its output as CSV."
OUTPUT_HELP = "CSV file to write (default: stdout)."
OPTIONS = (Option("header", "--header", "A first line naming the columns.", default=False,
                  is_flag=True),)
BUILD_FILES = ((".csv", lambda fit: render(fit, header=True)),)
VERIFIERS = {"csv": f"{__name__}:check"}


def name_problem(name):
    return "is a word CSV readers choke on" if name == "sep" else None


class FormCsv:
    def __init__(self, form):
        self.form = form

    def columns(self, model, x):
        return {}


class PwlCsv(FormCsv):
    def columns(self, model, x):
        return {"slope": np.asarray(model.slopes)[model.segment_index(x)]}


CELLS = {"pwl": PwlCsv, "quadratic": FormCsv}


def render(fit, header=False):
    x = fit.spec.input.codes()
    columns = {"x": x, "y": fit.model.evaluate(x)}
    columns.update(cell(CELLS, forms.of(fit.model), TARGET).columns(fit.model, x))
    lines = [",".join(columns)] if header else []
    lines += [",".join(str(int(v)) for v in row) for row in zip(*columns.values())]
    return "\\n".join(lines) + "\\n"


def check(fit, target, directory, options):
    rows = np.loadtxt(render(fit).splitlines(), delimiter=",", dtype=np.int64, ndmin=2)
    result = TargetResult(target, "pass", tool="numpy", codes=len(rows))
    result.mismatches = int((rows[:, 1] != fit.model.evaluate(rows[:, 0])).sum())
    result.status = "fail" if result.mismatches else "pass"
    return result
'''


@pytest.fixture
def csv_emitter(tmp_path, monkeypatch):
    """The throw-away emitter's module on the path and its one registry line."""
    (tmp_path / "agtest_csv.py").write_text(textwrap.dedent(EMITTER))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(EMITTERS, "csv", "agtest_csv")
    yield sys.modules.get("agtest_csv")
    sys.modules.pop("agtest_csv", None)


@pytest.fixture(scope="module")
def gelu8():
    return fit_raw(function="gelu", input={"bits": 8}, segments=8, fold="none")


def _rows(text: str) -> np.ndarray:
    return np.array([line.split(",") for line in text.splitlines()[1:]], dtype=np.int64)


def test_a_new_emitter_works_through_the_api(csv_emitter, gelu8):
    fit = gelu8
    rows = _rows(approxgen.emit(fit, "csv", header=True))
    assert rows.shape == (256, 3)
    assert np.array_equal(rows[:, 1], fit.model.evaluate(rows[:, 0]))
    assert np.array_equal(rows[:, 2], np.asarray(fit.model.slopes)[fit.model.segment_index(
        rows[:, 0])])
    with pytest.raises(ApproxgenError, match="expected a bool") as exc:
        approxgen.emit(fit, "csv", header="yes")
    assert exc.value.where == "header"
    table = approxgen.fit("gelu", bits=4, form="table", fold="none")
    with pytest.raises(ApproxgenError, match=r"^the table form has no CSV emitter$"):
        approxgen.emit(table, "csv")
    folded = approxgen.fit("tanh", bits=4, segments=2, fold="on")
    with pytest.raises(ApproxgenError, match=r"^the pwl form has no CSV emitter for folded fits$"):
        approxgen.emit(folded, "csv")
    with pytest.raises(ApproxgenError, match="is a word CSV readers choke on"):
        approxgen.fit("gelu", bits=4, segments=2, name="sep")  # its name rules are asked too


def test_a_new_emitter_works_through_the_cli(csv_emitter, tmp_path):
    runner = CliRunner()
    listed = runner.invoke(main, ["emit", "--help"])
    assert "Every input code and its output as CSV." in listed.output
    out = tmp_path / "g.csv"
    result = runner.invoke(main, ["emit", "csv", "gelu", "--bits", "6", "--segments", "3",
                                  "--fold", "none", "--header", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("x,y,slope\n") and len(_rows(text)) == 64
    fit = approxgen.fit("gelu", bits=6, segments=3, fold="none")
    assert np.array_equal(_rows(text)[:, 1], fit.model.evaluate(np.arange(-32, 32)))
    assert "--header" in runner.invoke(main, ["emit", "csv", "--help"]).output
    bad = runner.invoke(main, ["emit", "csv", "gelu", "--bits", "4", "--form", "table",
                               "--fold", "none", "-o", str(tmp_path / "t.csv")])
    assert bad.exit_code == 2 and not (tmp_path / "t.csv").exists()
    assert "the table form has no CSV emitter" in bad.output


def test_a_new_emitter_is_verified_and_built(csv_emitter, gelu8, tmp_path):
    report = verify.verify(gelu8, ["csv"], header=True)
    assert [(r.target, r.status, r.codes) for r in report.results] == [("csv", "pass", 256)]
    art = tmp_path / "g.json"
    gelu8.save(art)
    result = CliRunner().invoke(main, ["verify", str(art), "--no-c", "--no-verilog", "--target",
                                       "csv", "--header"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[3].split() == ["csv", "numpy", "256", "0", "ok"]
    project = tmp_path / "specs"
    project.mkdir()
    (project / "g.yaml").write_text("function: gelu\ninput: {bits: 5}\nsegments: 2\nfold: none\n")
    result = CliRunner().invoke(main, ["build", str(project), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    built = (tmp_path / "out" / "g.csv").read_text()  # NAME: the spec file's stem
    assert built.startswith("x,y,slope\n") and len(_rows(built)) == 32
