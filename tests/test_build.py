"""``approxgen build``: every file per spec, a cache keyed by spec hash and version, ``--check``
that names stale files, byte-reproducible output, bad input exits 2 writing nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from approxgen import build

SPECS = {
    "act_gelu.yaml": "function: gelu\ninput: {bits: 8}\nsegments: 4\n",
    "act_silu.yaml": "function: silu\ninput: {bits: 6}\nsegments: 3\n",
    "act_table.yaml": "function: sigmoid\ninput: {bits: 6}\nform: table\n",
}
SUFFIXES = [".json", ".h", ".v", "_tb.v", ".hex", ".vhd", "_tb.vhd", ".md"]


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "approxgen", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.fixture
def project(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, text in SPECS.items():
        (specs / name).write_text(text)
    return tmp_path


def files(directory: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_build_writes_every_file_then_check_is_clean(project):
    result = run("build", "specs", "--out", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    names = {Path(s).stem for s in SPECS}
    assert set(files(project / "out")) == {n + s for n in names for s in SUFFIXES}
    lines = result.stdout.splitlines()
    assert len([line for line in lines if "fitted in" in line]) == 3
    assert "act_gelu: pwl, 4 segments, folded, max error" in result.stdout
    assert "act_table: table," in result.stdout
    assert "act_gelu(" in (project / "out/act_gelu.h").read_text()  # named after the file
    check = run("build", "specs", "--out", "out", "--check", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date: 3 specs, 24 files" in check.stdout
    again = run("build", "specs", "--out", "out", cwd=project)
    assert again.stdout.count(", cached") == 3 and "0 files written" in again.stdout


@pytest.mark.parametrize("change", ["spec", "generated", "deleted"])
def test_check_names_what_would_change_and_writes_nothing(project, change):
    assert run("build", "specs", "--out", "out", cwd=project).returncode == 0
    if change == "spec":
        (project / "specs/act_gelu.yaml").write_text(SPECS["act_gelu.yaml"].replace("4", "5"))
        stale = "act_gelu.json"
    elif change == "generated":
        header = project / "out/act_silu.h"
        header.write_text(header.read_text().replace("#endif", "#endif /* edited */"))
        stale = "act_silu.h"
    else:
        (project / "out/act_table.hex").unlink()
        stale = "act_table.hex"
    before = files(project / "out")
    result = run("build", "specs", "--out", "out", "--check", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"out/{stale}: " in result.stdout and "out of date" in result.stdout
    if change == "generated":
        assert "-#endif /* edited */" in result.stdout and "+#endif" in result.stdout
    if change == "deleted":
        assert f"out/{stale}: missing" in result.stdout
    assert files(project / "out") == before  # --check writes nothing
    assert run("build", "specs", "--out", "out", cwd=project).returncode == 0
    assert run("build", "specs", "--out", "out", "--check", cwd=project).returncode == 0


def test_files_of_a_removed_spec_are_named_not_deleted_and_fail_check(project):
    assert run("build", "specs", "--out", "out", cwd=project).returncode == 0
    (project / "out/notes.json").write_text('{"mine": 1}')  # not an artifact: not ours
    (project / "out/act_silu_extra.h").write_text("/* the user's */")
    (project / "specs/act_silu.yaml").rename(project / "specs/act_swish.yaml")
    before = files(project / "out")
    check = run("build", "specs", "--out", "out", "--check", cwd=project)
    assert check.returncode == 1, check.stdout + check.stderr
    line = next(x for x in check.stdout.splitlines() if "belong to no spec" in x)
    assert line.endswith(", ".join(f"act_silu{s}" for s in sorted(SUFFIXES)))
    assert "notes.json" not in check.stdout and "act_silu_extra" not in check.stdout
    assert files(project / "out") == before
    built = run("build", "specs", "--out", "out", cwd=project)
    assert built.returncode == 0 and "8 files in out belong to no spec built" in built.stdout
    assert (project / "out/act_silu.json").exists()  # named, not deleted
    # one spec file given: the other specs' files are not its business
    alone = run("build", "specs/act_gelu.yaml", "--out", "out", "--check", cwd=project)
    assert alone.returncode == 0, alone.stdout
    for suffix in SUFFIXES:
        (project / f"out/act_silu{suffix}").unlink()
    assert run("build", "specs", "--out", "out", "--check", cwd=project).returncode == 0


def test_a_fifo_among_the_outputs_is_never_opened(project):
    """Looking for left-over artifacts must not block on a FIFO named like one."""
    assert run("build", "specs", "--out", "out", cwd=project).returncode == 0
    os.mkfifo(project / "out/old.json")
    check = subprocess.run([sys.executable, "-m", "approxgen", "build", "specs", "--out", "out",
                            "--check"], capture_output=True, text=True, cwd=project, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "old.json" not in check.stdout


def test_check_of_a_missing_output_directory_creates_nothing(project):
    result = run("build", "specs", "--out", "out", "--check", cwd=project)
    assert result.returncode == 1 and "out/act_gelu.h: missing" in result.stdout
    assert not (project / "out").exists()


def test_two_builds_are_byte_identical_also_in_parallel(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    assert run("build", "specs", "--out", "a", cwd=project).returncode == 0
    specs = [str(project / "specs" / name) for name in sorted(SPECS)]
    assert run("build", *specs, "--out", str(other / "b"), "--jobs", "2",
               cwd=other).returncode == 0
    assert files(project / "a") == files(other / "b")


def test_cache_is_keyed_by_spec_and_version(project, monkeypatch):
    out = project / "out"
    assert run("build", "specs", "--out", "out", cwd=project).returncode == 0
    spec_path = project / "specs/act_gelu.yaml"
    spec = build.load_spec(spec_path)
    assert build.cached_fit(spec, out) is not None
    (project / "specs/seeded.yaml").write_text(SPECS["act_gelu.yaml"] + "seed: 7\n"
                                               "name: act_gelu\n")
    changed = build.load_spec(project / "specs/seeded.yaml")
    assert changed.hash() != spec.hash() and build.cached_fit(changed, out) is None
    monkeypatch.setattr(build, "__version__", "99.0")
    assert build.cached_fit(spec, out) is None
    monkeypatch.undo()
    data = json.loads((out / "act_gelu.json").read_text())
    data["model"]["slopes"][0] += 1  # a corrupted cache is refitted, not trusted
    (out / "act_gelu.json").write_text(json.dumps(data))
    assert build.cached_fit(spec, out) is None
    (project / "specs/seeded.yaml").unlink()
    result = run("build", "specs", "--out", "out", cwd=project)
    assert "act_gelu: pwl, 4 segments" in result.stdout and "fitted in" in result.stdout


@pytest.mark.parametrize("extra, message", [
    ({"dup.yaml": "function: gelu\nname: act_gelu\ninput: {bits: 8}\n"},
     "name 'act_gelu' is also the name of"),
    ({"zbad.yaml": "function: gelu\ninput: {bits: 40}\n"}, "input.bits: must be in 2..16"),
])
def test_bad_input_exit_2_nothing_written(project, extra, message):
    for name, text in extra.items():
        (project / "specs" / name).write_text(text)
    result = run("build", "specs", "--out", "out", cwd=project)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("approxgen: error: ") and message in lines[0]
    assert not (project / "out").exists() and result.stdout == ""


def test_missing_spec_path_is_bad_input(project):
    result = run("build", "nope", "--out", "out", cwd=project)
    assert result.returncode == 2 and "nope: no such spec file or directory" in result.stderr


ROOT = Path(__file__).resolve().parent.parent


def test_example_project_builds_runs_and_checks_without_an_activated_venv(tmp_path):
    from conftest import require_tool

    require_tool("cc")
    make = require_tool("make")
    build_dir = tmp_path / "build"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no venv on PATH: no bare approxgen
    argv = [make, "-s", "-C", str(ROOT / "examples/project"), f"BUILD={build_dir}",
            f"PYTHON={sys.executable}"]
    result = subprocess.run(argv + ["run", "check"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date: 3 specs, 24 files" in result.stdout
    assert "act_gelu: pwl, 8 segments" in result.stdout and "exp(logit-max)" in result.stdout
    header = build_dir / "generated/act_silu.h"
    header.write_text(header.read_text() + "/* edited */\n")
    stale = subprocess.run(argv + ["check"], capture_output=True, text=True, env=env)
    assert stale.returncode != 0 and "act_silu.h: would change" in stale.stdout
    assert not (ROOT / "examples/project/build").exists()


def test_makefile_runs_the_given_python_and_keeps_a_stamp_per_interpreter(tmp_path):
    from conftest import require_tool

    make = require_tool("make")

    def dry(python):
        result = subprocess.run([make, "-n", "-s", "--no-print-directory", "-C", str(ROOT),
                                 f"PYTHON={python}", "test"],
                                capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if line.strip()]

    # the Makefile makes PYTHON absolute ($(abspath): also drops "." and ".." parts, as
    # os.path.abspath does), so a path such as /work/x/../venv/bin/python is run as /work/venv/...
    python = os.path.abspath(sys.executable)
    ours = dry(sys.executable)
    assert ours[-1] == f"{python} -m pytest -q -n 2 --dist worksteal"
    assert all(line.startswith((python, "touch .install.")) for line in ours)
    assert not any(line.split()[0] in ("approxgen", "pytest", "pip") for line in ours)
    stamps = {line for line in ours if line.startswith("touch")}
    if stamps:  # not yet installed here: a stamp named after this interpreter
        other = {line for line in dry("/usr/bin/python3") if line.startswith("touch")}
        assert other and other != stamps


def test_interrupted_parallel_build_exits_130_and_writes_nothing(project):
    from conftest import interrupted

    for name in ("slow_a", "slow_b"):  # searches that never end by themselves (no patience)
        (project / "specs" / f"{name}.yaml").write_text(
            "function: gelu\ninput: {bits: 10}\nsearch: pso\n"
            "search_options: {iterations: 100000, patience: 0}\n")
    status, _, err = interrupted(["build", "specs", "--out", "out", "--jobs", "2", "--progress"],
                                 ": pso: working", cwd=project)  # once a worker is fitting
    assert status == 130, err
    assert err.strip().splitlines()[-1] == "approxgen: interrupted", err
    assert not (project / "out").exists()


def test_plots_are_built_and_checked_too(project):
    assert run("build", "specs/act_gelu.yaml", "--out", "out", "--plots", cwd=project).returncode == 0
    png = project / "out/act_gelu.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![act_gelu](act_gelu.png)" in (project / "out/act_gelu.md").read_text()
    check = ["build", "specs/act_gelu.yaml", "--out", "out", "--plots", "--check"]
    assert run(*check, cwd=project).returncode == 0
    png.write_bytes(png.read_bytes()[:-10])
    stale = run(*check, cwd=project)
    assert stale.returncode == 1 and "out/act_gelu.png: would change" in stale.stdout


def test_write_all_checks_every_path_first_and_writes_text_and_bytes(tmp_path):
    import os
    import stat

    from approxgen.errors import ApproxgenError
    from approxgen.outputs import write_all

    spec = tmp_path / "s.yaml"
    spec.write_text("function: gelu\n")
    good = [(tmp_path / "a.h", "text\n"), (tmp_path / "a.png", b"\x89PNG bytes")]
    for bad in ([(tmp_path / "missing/b.h", "x")], [(tmp_path / "a.h", "again")],
                [(tmp_path, "x")], [(spec, "x")]):
        with pytest.raises(ApproxgenError):
            write_all(good + bad, inputs=[spec])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]  # nothing written
    write_all(good, inputs=[spec])
    assert (tmp_path / "a.h").read_text() == "text\n"
    assert (tmp_path / "a.png").read_bytes() == b"\x89PNG bytes"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.h").stat().st_mode) == 0o666 & ~umask
