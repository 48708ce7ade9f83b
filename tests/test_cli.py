"""The command line: the fit contract, and one clear line with exit 2 for every bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "approxgen", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_fit_gelu_int8_prints_metrics():
    result = run("fit", "gelu", "--bits", "8")
    assert result.returncode == 0, result.stderr
    assert "gelu_int8" in result.stdout and "max_error_lsb" in result.stdout
    assert result.stderr == ""


def test_fit_writes_the_same_artifact_bytes_every_time(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        assert run("fit", str(ROOT / "configs/gelu_int8.yaml"), "-o", str(path), "-q").returncode == 0
    assert a.read_bytes() == b.read_bytes()
    data = json.loads(a.read_text())
    assert data["schema"] == "approxgen-fit" and data["spec"]["name"] == "gelu_int8"
    assert len(data["model"]["breakpoints"]) == 7


def test_json_flag_prints_the_artifact():
    result = run("fit", "silu", "--bits", "8", "--segments", "4", "--json")
    data = json.loads(result.stdout)
    assert data["spec"]["segments"] == 4 and len(data["model"]["slopes"]) == 4


def test_flags_reach_the_spec():
    result = run("fit", "gelu", "--in-bits", "8", "--out-bits", "10", "--in-scale", "2^-5",
                 "--out-scale", "0.0078125", "--segments", "5", "--coef-format", "8:6",
                 "--objective", "mse", "--seed", "3", "--name", "my_gelu", "--json")
    assert result.returncode == 0, result.stderr
    spec = json.loads(result.stdout)["spec"]
    assert spec["input"] == {"bits": 8, "signed": True, "scale": 2.0 ** -5}
    assert spec["output"] == {"bits": 10, "signed": True, "scale": 2.0 ** -7}
    assert (spec["segments"], spec["objective"], spec["seed"], spec["name"]) == (5, "mse", 3,
                                                                                "my_gelu")
    assert spec["coef_format"] == {"slope": "8:6", "intercept": "8:6"}


def test_unsigned_flag():
    spec = json.loads(run("fit", "sigmoid", "--bits", "8", "--unsigned", "--json").stdout)["spec"]
    assert spec["input"]["signed"] is False


def test_table_form_is_correctly_rounded():
    data = json.loads(run("fit", "gelu", "--bits", "8", "--form", "table", "--json").stdout)
    assert data["metrics"]["mismatches"] == 0
    assert {k: data["metrics"][k] for k in data["floor_metrics"]} == data["floor_metrics"]
    assert data["metrics"]["max_error_lsb"] <= 0.5


def test_functions_lists_builtins():
    out = run("functions").stdout
    for name in ("gelu", "silu", "hswish", "sigmoid", "tanh", "exp", "recip", "rsqrt",
                 "softplus", "mish", "elu", "swish"):
        assert name in out


BAD_SPECS = {
    "malformed.yaml": ("function: gelu\ninput: {bits: 8\n", "malformed YAML"),
    "unknown_key.yaml": ("function: gelu\nsegmnets: 4\n", "unknown key 'segmnets'"),
    "typo_type.yaml": ("function: gelu\nsegments: many\n", "expected an integer"),
    "bits.yaml": ("function: gelu\ninput: {bits: 20}\n", "must be in 2..16"),
    "scale.yaml": ("function: gelu\ninput: {scale: -1}\n", "> 0"),
    "segments.yaml": ("function: gelu\ninput: {bits: 4}\nsegments: 17\n", "must be in 1..16"),
    "domain.yaml": ("function: recip\ndomain: [0, 4]\n", "not finite"),
    "rsqrt.yaml": ("function: rsqrt\ninput: {signed: true}\ndomain: [-2, 2]\n", "not finite"),
    "unsafe.yaml": ("expr: \"__import__('os').system('touch pwned')\"\ninput: {scale: 1}\n",
                    "not allowed"),
    "unknown_fn.yaml": ("function: gleu\n", "unknown function"),
}


@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_bad_spec_one_line_exit_2_nothing_written(tmp_path, name):
    text, message = BAD_SPECS[name]
    spec = tmp_path / name
    spec.write_text(text)
    out = tmp_path / "fit.json"
    out.write_text("previous contents\n")
    result = run("fit", str(spec), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"approxgen: error: {spec}")
    assert message in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert out.read_text() == "previous contents\n"
    assert not (tmp_path / "pwned").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "fit.json"])


@pytest.mark.parametrize("args, message", [
    (["fit", "nope", "--bits", "8"], "FUNCTION: unknown function 'nope'"),
    (["fit", "gelu", "--bits", "40"], "--in-bits/--bits: must be in 2..16"),
    (["fit", "gelu", "--in-scale", "0"], "--in-scale: scale must be a finite number > 0"),
    (["fit", "gelu", "--segments", "0"], "--segments: must be in 1..256"),
    (["fit", "recip", "--domain", "-1", "1"], "--domain: recip is not finite"),
    (["fit", "missing.yaml"], "missing.yaml: cannot read spec"),
])
def test_bad_flags(args, message, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("approxgen: error: ") and message in lines[0]


def test_report_lists_segments_and_writes_a_plot(tmp_path):
    png = tmp_path / "gelu.png"
    result = run("report", "gelu", "--bits", "8", "--segments", "4", "--plot", str(png))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 4  # one row per segment
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _modules_after(*args):
    code = ("import sys\nfrom approxgen.cli import main\ntry:\n    main(list(sys.argv[1:]))\n"
            "except SystemExit:\n    pass\nprint('MODULES', ' '.join(sorted(sys.modules)), "
            "file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    line = [x for x in result.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return set(line.split()[1:])


HEAVY = {"numpy", "scipy", "pyswarms", "deap", "matplotlib", "tqdm", "jinja2", "yaml"}


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_import_no_library(args):
    assert not HEAVY & {m.split(".")[0] for m in _modules_after(*args)}


def test_subcommand_help_imports_no_search_library():
    loaded = {m.split(".")[0] for m in _modules_after("fit", "--help")}
    assert not {"scipy", "pyswarms", "deap", "matplotlib", "tqdm"} & loaded


def test_emit_c_from_an_artifact_imports_no_search_or_plotting(tmp_path):
    art = tmp_path / "g.json"
    assert run("fit", "gelu", "--bits", "8", "--segments", "4", "-q", "-o", str(art)).returncode == 0
    loaded = {m.split(".")[0] for m in _modules_after("emit", "c", str(art), "-o",
                                                      str(tmp_path / "g.h"))}
    assert (tmp_path / "g.h").exists() and "jinja2" in loaded
    assert not {"pyswarms", "deap", "matplotlib", "tqdm"} & loaded


SMALL_SPEC = "function: silu\ninput: {bits: 8}\nsegments: 4\n"


def test_spec_from_stdin_and_fit_o_dash_writes_only_json_to_stdout():
    result = subprocess.run([sys.executable, "-m", "approxgen", "fit", "-", "-o", "-"],
                            input=SMALL_SPEC, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # nothing but the artifact
    assert data["spec"]["name"] == "silu_int8" and len(data["model"]["slopes"]) == 4
    assert "max_error_lsb" in result.stderr  # the summary


def test_spec_without_name_is_named_after_its_file(tmp_path):
    (tmp_path / "my_silu.yaml").write_text(SMALL_SPEC)
    data = json.loads(run("fit", "my_silu.yaml", "--json", cwd=tmp_path).stdout)
    assert data["spec"]["name"] == "my_silu"
    (tmp_path / "bad-name.yaml").write_text(SMALL_SPEC)  # no identifier: the default name
    assert json.loads(run("fit", "bad-name.yaml", "--json",
                          cwd=tmp_path).stdout)["spec"]["name"] == "silu_int8"


def test_shipped_configs_are_named_after_their_files():
    from approxgen import spec as specs

    for path in sorted((ROOT / "configs").glob("*.yaml")):
        assert specs.resolve(specs.load_yaml(path), str(path)).name == path.stem


def test_input_kind_comes_from_the_content(tmp_path):
    (tmp_path / "gelu.json").write_text('{"function": "gelu", "input": {"bits": 8}}')
    (tmp_path / "spec.txt").write_text(SMALL_SPEC)
    (tmp_path / "yaml_in.json").write_text(SMALL_SPEC)  # YAML, named .json: still a spec
    assert json.loads(run("fit", "yaml_in.json", "--json", cwd=tmp_path).stdout)["spec"][
        "name"] == "yaml_in"
    assert json.loads(run("fit", "gelu.json", "--json", cwd=tmp_path).stdout)["spec"]["name"] \
        == "gelu"
    assert run("fit", "spec.txt", "-q", "-o", "fit.txt", cwd=tmp_path).returncode == 0
    header = run("emit", "c", "fit.txt", cwd=tmp_path)  # an artifact, whatever its name
    assert header.returncode == 0 and "spec" in header.stdout
    piped = subprocess.run([sys.executable, "-m", "approxgen", "emit", "c", "-"],
                           input=(tmp_path / "fit.txt").read_text(), capture_output=True,
                           text=True)
    assert piped.returncode == 0 and piped.stdout == header.stdout
    again = run("fit", "fit.txt", cwd=tmp_path)
    assert again.returncode == 2 and "is a fit artifact, not a spec" in again.stderr


def test_choices_come_from_the_registries_and_complete_in_the_shell():
    from approxgen import search
    from approxgen.emit import verilog
    from approxgen.spec import FORMS, OBJECTIVES

    for words, cword, expected in [("approxgen fit gelu --search ", 4, search.SEARCHES),
                                   ("approxgen fit gelu --form ", 4, FORMS),
                                   ("approxgen fit gelu --objective ", 4, OBJECTIVES),
                                   ("approxgen emit verilog g.json --part ", 5, verilog.PARTS)]:
        env = dict(os.environ, _APPROXGEN_COMPLETE="bash_complete", COMP_WORDS=words,
                   COMP_CWORD=str(cword))
        out = subprocess.run([sys.executable, "-m", "approxgen"], env=env, capture_output=True,
                             text=True).stdout
        assert [line.split(",", 1)[1] for line in out.split()] == list(expected)
    result = run("fit", "gelu", "--search", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == ("approxgen: error: --search: 'nope' is not one of "
                                     + ", ".join(repr(s) for s in search.SEARCHES) + ".")


def test_functions_json():
    data = json.loads(run("functions", "--json").stdout)
    assert {"gelu", "exp", "recip"} <= {f["name"] for f in data["functions"]}
    assert data["aliases"]["swish"] == "silu" and "erf" in data["expr"]["functions"]


def test_verify_json(tmp_path):
    from conftest import require_tool

    require_tool("cc")
    result = run("verify", "gelu", "--bits", "6", "--segments", "2", "--no-verilog", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["results"][0]["target"] == "c"
    assert data["results"][0]["mismatches"] == 0 and data["codes"] == 64


def test_interrupt_exits_130_with_one_line(tmp_path):
    from conftest import interrupted

    spec = tmp_path / "slow.yaml"  # a search that never ends by itself (no patience)
    spec.write_text("function: gelu\ninput: {bits: 12}\nsearch: pso\n"
                    "search_options: {iterations: 100000, patience: 0}\n")
    status, first, err = interrupted(["fit", str(spec), "--progress", "-o",
                                      str(tmp_path / "f.json")],
                                     "approxgen: ")  # the first status line: the search runs
    assert first.startswith("approxgen: pso: working"), first
    assert status == 130, err
    assert err.strip().splitlines()[-1] == "approxgen: interrupted" and "Traceback" not in err
    assert not (tmp_path / "f.json").exists()


def test_a_key_the_form_does_not_read_is_exit_2(tmp_path):
    spec = tmp_path / "q.yaml"
    spec.write_text("function: gelu\nform: quadratic\nsegments: 4\ncoef_format: '12:8'\n")
    out = tmp_path / "q.json"
    result = run("fit", str(spec), "-o", str(out))
    assert result.returncode == 2 and not out.exists()
    assert result.stderr == (f"approxgen: error: {spec}: coef_format: form quadratic does not "
                             f"read coef_format (a key of form pwl); remove it\n")
    flag = run("fit", "gelu", "--form", "table", "--segments", "4")
    assert flag.returncode == 2 and flag.stderr == (
        "approxgen: error: --segments: form table does not read segments (a key of form pwl and "
        "quadratic and interp); remove it\n")
    over = run("fit", str(ROOT / "configs/gelu_int8.yaml"), "--form", "table", "-q")
    assert over.returncode == 0, over.stderr


def test_every_command_takes_q_and_the_choice_helps_name_every_choice():
    from approxgen import spec as specs

    for command in ("fit", "build", "emit c", "emit verilog", "emit vectors", "verify", "cost",
                    "report", "sweep", "functions"):
        result = run(*command.split(), "--help")
        assert result.returncode == 0 and "-q, --quiet" in result.stdout, command
    text = " ".join(run("fit", "--help").stdout.split())
    form_help = text[text.index("--form"):text.index("--segments")]
    assert all(f in form_help for f in specs.FORMS), form_help
    objective_help = text[text.index("--objective"):text.index("--seed")]
    assert all(o in objective_help for o in specs.OBJECTIVES), objective_help


def test_emit_of_an_auto_fit_prints_the_summary_on_stderr_unless_q(tmp_path):
    header = tmp_path / "g.h"
    made = run("emit", "c", "gelu", "--bits", "8", "--segments", "auto", "--max-bytes", "40",
               "-o", str(header))
    assert made.returncode == 0 and made.stdout == ""
    assert made.stderr.startswith("gelu_int8: gelu, form pwl, ") and "(max_bytes 40)" in made.stderr
    quiet = run("emit", "c", "gelu", "--bits", "8", "--segments", "auto", "--max-bytes", "40",
                "-q")
    assert quiet.returncode == 0 and quiet.stderr == "" and "#define" in quiet.stdout
    assert run("emit", "c", "gelu", "--bits", "8").stderr == ""  # nothing chosen: nothing said
    artifact = tmp_path / "g.json"
    assert run("fit", "gelu", "--bits", "8", "-q", "-o", str(artifact)).returncode == 0
    assert run("emit", "c", str(artifact)).stderr == ""  # nothing fitted: nothing to say
    assert run("functions", "-q").stdout.split()[:2] == ["gelu", "silu"]
