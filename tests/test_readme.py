"""The README's first hour, as written: the Quick start block (parsed from README.md, so this
test follows the README) runs line by line after the set-up it states, its sample outputs are
what those commands print, and the CMake recipe and the pre-commit hook it shows work."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# The Quick start's set-up, which the test environment already is: a venv with approxgen
# installed (this interpreter's), activated (its scripts directory first on PATH).
SETUP = ["python3 -m venv venv && venv/bin/pip install -q -e .", ". venv/bin/activate"]


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end >= 0 else None]


def blocks(text: str, lang: str = "") -> list[str]:
    """The fenced code blocks of ``text`` in language ``lang`` ('' for none)."""
    found, current, fence_lang = [], None, None
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, fence_lang = [], line[3:].strip()
            else:
                if fence_lang == lang:
                    found.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return found


def quick_start_lines() -> list[str]:
    """The Quick start's sh block, one command per line (comments dropped)."""
    block = blocks(section("Quick start"), "sh")[0]
    return [" ".join(shlex.split(line, comments=True)) if "&&" not in line
            else line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def sample(command: str) -> list[str]:
    """The lines the README shows ``$ command`` printing."""
    for block in blocks(section("Quick start")):
        lines = block.splitlines()
        if lines and lines[0] == f"$ {command}":
            return lines[1:]
    raise AssertionError(f"no sample output of {command!r} in the Quick start")


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory) -> tuple[dict[str, subprocess.CompletedProcess], Path]:
    """Every Quick start command run as written, in order, in a directory holding a copy of
    configs/, with this interpreter's scripts directory first on PATH (the activation); and
    that directory."""
    lines = quick_start_lines()
    assert lines[:2] == SETUP, "the Quick start's set-up changed: make this test emulate it"
    scripts = sysconfig.get_path("scripts")
    if shutil.which("approxgen", path=scripts) is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no approxgen script in {scripts}: approxgen is not pip-installed")
        pytest.skip(f"no approxgen script in {scripts}")
    work = tmp_path_factory.mktemp("quick_start")
    shutil.copytree(ROOT / "configs", work / "configs")
    env = dict(os.environ, PATH=scripts + os.pathsep + os.environ.get("PATH", ""))
    runs = {}
    for line in lines[2:]:
        argv = shlex.split(line)
        assert argv[0] == "approxgen", line
        runs[line] = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True,
                                    timeout=600)
    return runs, work


def test_every_quick_start_command_runs_as_written(quick_start):
    require_tool("cc"), require_tool("iverilog")  # verify compiles and simulates
    runs, work = quick_start
    failed = {line: r.stderr for line, r in runs.items() if r.returncode != 0}
    assert not failed, failed
    assert len(runs) >= 14
    assert "module gelu_int8_lut" in (work / "gelu_int8_lut.v").read_text()  # folded: it has one
    for name in ("gelu.json", "gelu_int8.h", "gelu_int8.v", "tb.v", "gelu_int8.hex",
                 "report/gelu_int8.md", "report/gelu_int8.png", "gen/gelu_int16.h"):
        assert (work / name).stat().st_size > 0, name
    assert (work / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    verified = next(r for line, r in runs.items() if line.startswith("approxgen verify"))
    assert verified.stdout.count(" ok") == 2, verified.stdout  # C and Verilog, none skipped


def test_quick_start_sample_outputs_are_what_the_commands_print(quick_start):
    runs, _ = quick_start
    fit = runs["approxgen fit gelu --bits 8"].stdout.splitlines()
    want = sample("approxgen fit gelu --bits 8")
    timing = re.compile(r"fitted in [0-9.]+ s")
    assert [timing.sub("", line) for line in fit] == [timing.sub("", line) for line in want]

    def columns(lines: list[str]) -> list[list[str]]:  # without fit_seconds (and cells, from
        return [line.split()[:7] + line.split()[9:] for line in lines]  # the Yosys version)
    command = next(line for line in runs if line.startswith("approxgen sweep"))
    assert columns(runs[command].stdout.splitlines()) == columns(sample(command))


def test_the_cmake_recipe_builds_once_and_then_runs_nothing(tmp_path):
    """examples/project/CMakeLists.txt, shown whole in the README: the interpreter is given
    explicitly, every generated file is declared, and an unchanged build does nothing."""
    cmake = require_tool("cmake")  # .ci/run installs it
    require_tool("cc")
    recipe = (ROOT / "examples/project/CMakeLists.txt").read_text()
    assert recipe in blocks(section("In a firmware build: `approxgen build`"), "cmake")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples/project", project, ignore=shutil.ignore_patterns("build"))
    build = tmp_path / "build"
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no venv on PATH

    def run(*args):
        result = subprocess.run([cmake, *args], capture_output=True, text=True, env=env,
                                timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    missing = subprocess.run([cmake, "-S", str(project), "-B", str(tmp_path / "no"), *generator],
                             capture_output=True, text=True, env=env)
    assert missing.returncode != 0 and "-DAPPROXGEN_PYTHON=" in missing.stderr
    run("-S", str(project), "-B", str(build), *generator, f"-DAPPROXGEN_PYTHON={sys.executable}")
    assert "approxgen build" in run("--build", str(build))
    firmware = subprocess.run([str(build / "firmware")], capture_output=True, text=True)
    assert firmware.returncode == 0 and "exp(logit-max)" in firmware.stdout
    generated = sorted(p.name for p in (build / "generated").iterdir())
    assert len(generated) == 3 * 8 + 1  # every declared file, and the stamp
    again = run("--build", str(build))
    assert not any(step in again for step in ("approxgen build", "Building C", "Linking"))
    spec = project / "specs/act_silu.yaml"
    spec.write_text(spec.read_text().replace("segments: 8", "segments: 6"))
    assert "approxgen build" in run("--build", str(build))  # a changed spec: built again


def test_the_pre_commit_hook_runs_from_its_own_install_and_fails_on_stale_files(tmp_path):
    """``.pre-commit-hooks.yaml``: language python (pre-commit installs approxgen, so the entry
    is the console script, never a system python), run as pre-commit runs it: entry + args."""
    from approxgen.safeload import load_yaml_bytes

    hooks = load_yaml_bytes((ROOT / ".pre-commit-hooks.yaml").read_bytes(), "hooks")
    hook, = hooks
    assert hook["id"] == "approxgen-check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
    entry = shlex.split(hook["entry"])
    assert entry[0] == "approxgen" and "approxgen = " in (ROOT / "pyproject.toml").read_text()
    config = blocks(section("In a firmware build: `approxgen build`"), "yaml")[-1]
    shown = load_yaml_bytes(config.encode(), "README")["repos"][0]["hooks"][0]
    assert shown["id"] == hook["id"]
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "act.yaml").write_text("function: gelu\ninput: {bits: 6}\nsegments: 3\n")
    scripts = sysconfig.get_path("scripts")
    if shutil.which("approxgen", path=scripts) is None:
        pytest.skip(f"no approxgen script in {scripts}")
    env = dict(os.environ, PATH=scripts + os.pathsep + "/usr/bin:/bin")

    def hook_run():
        return subprocess.run(entry + shown["args"], cwd=tmp_path, env=env, capture_output=True,
                              text=True)
    assert hook_run().returncode == 1  # nothing generated yet: every file missing
    subprocess.run(["approxgen", "build", *shown["args"]], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    assert hook_run().returncode == 0
    header = tmp_path / "generated/act.h"
    header.write_text(header.read_text() + "/* edited */\n")
    stale = hook_run()
    assert stale.returncode == 1 and "act.h: would change" in stale.stdout
