"""Output paths (issue 9, items 1, 2, 11): validated before anything is written, all or none."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import fit_raw
from hostile import SENTINEL, assert_refused, invoke, sentinel, snapshot

from approxgen import outputs
from approxgen.errors import ApproxgenError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def artifact_text():
    return fit_raw(function="gelu", input={"bits": 8}).dumps()


@pytest.fixture
def work(tmp_path, artifact_text):
    (tmp_path / "in.json").write_text(artifact_text)
    (tmp_path / "s.yaml").write_text("function: gelu\ninput: {bits: 6}\nsegments: 2\n")
    sentinel(tmp_path / "keep.out")
    return tmp_path


def test_fifo_is_refused_not_replaced(work):
    os.mkfifo(work / "fifo")
    assert_refused(["emit", "c", work / "in.json", "-o", work / "fifo"], work,
                   names=("-o", "fifo", "not a regular file"))
    assert stat.S_ISFIFO((work / "fifo").lstat().st_mode)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")
def test_device_node_is_refused_not_replaced(work):
    os.mknod(work / "fakenull", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    assert_refused(["emit", "c", work / "in.json", "-o", work / "fakenull"], work,
                   names=("fakenull",))
    assert stat.S_ISCHR((work / "fakenull").lstat().st_mode)


def test_symlink_writes_its_target_and_stays_a_link(work):
    target = sentinel(work / "target.h", 0o640)
    (work / "link.h").symlink_to("target.h")
    result = invoke(["emit", "c", work / "in.json", "-o", work / "link.h"])
    assert result.exit_code == 0, result.stderr
    assert (work / "link.h").is_symlink() and os.readlink(work / "link.h") == "target.h"
    assert b"gelu_int8" in target.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a replaced file keeps its mode


def test_new_file_gets_the_umask_mode(work):
    old = os.umask(0o027)
    try:
        assert invoke(["emit", "c", work / "in.json", "-o", work / "new.h"]).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((work / "new.h").stat().st_mode) == 0o640
    assert not [p for p in work.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("args, names", [
    (["emit", "c", "in.json", "-o", "in.json"], ("-o", "in.json", "input")),
    (["fit", "s.yaml", "-q", "-o", "s.yaml"], ("-o", "s.yaml", "input")),
    (["emit", "verilog", "in.json", "-o", "same.v", "--testbench", "same.v"],
     ("--testbench", "same.v", "another output")),
    (["emit", "verilog", "in.json", "-o", "keep.out", "--testbench", "./keep.out"],
     ("--testbench", "another output")),
    (["emit", "verilog", "in.json", "-o", "x.v", "--testbench", "in.json"],
     ("--testbench", "in.json", "input")),
    (["emit", "c", "in.json", "-o", "keep.out/"], ("-o", "keep.out/")),
    (["emit", "verilog", "in.json", "-o", "keep.out", "--testbench", "nodir/tb.v"],
     ("--testbench", "nodir/tb.v", "does not exist")),
    (["emit", "vectors", "in.json", "-o", "."], ("-o", "directory")),
    (["emit", "c", "in.json", "-o", "nodir/x.h"], ("-o", "nodir/x.h")),
    (["report", "in.json", "--plot", "nodir/p.png"], ("--plot", "nodir/p.png")),
    (["report", "in.json", "--plot", "p.xyz"], ("--plot", ".png")),
    (["fit", "gelu", "--bits", "4", "-o", "-", "--json"], ("--json", "stdout")),
])
def test_path_collisions_and_bad_paths_are_refused(work, args, names):
    assert_refused(args, work, names=names, cwd=work)


def test_a_hard_link_to_the_input_is_the_input(work):
    os.link(work / "in.json", work / "alias.json")
    assert_refused(["emit", "c", "in.json", "-o", "alias.json"], work, names=("input",), cwd=work)


def test_verify_refuses_before_creating_its_workdir(work):
    assert_refused(["verify", "nope.yaml", "--workdir", "newwd"], work, names=("nope.yaml",),
                   cwd=work)
    assert_refused(["verify", "in.json", "--workdir", "keep.out"], work,
                   names=("--workdir", "keep.out"), cwd=work)


def test_report_plot_writes_a_png_atomically(work):
    result = invoke(["report", "in.json", "--plot", "p.png"], cwd=work)
    assert result.exit_code == 0, result.stderr
    assert (work / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in work.iterdir() if ".tmp" in p.name]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_directory_is_refused(work):
    locked = work / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_refused(["emit", "c", "in.json", "-o", "locked/x.h"], work, names=("-o",),
                       cwd=work)
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("fail_at, code", [("fsync", errno.ENOSPC), ("replace", errno.EIO),
                                           ("open", errno.EACCES)])
def test_os_errors_exit_1_leave_nothing_behind(work, monkeypatch, fail_at, code):
    real = {"fsync": os.fsync, "replace": os.replace, "open": open}[fail_at]

    def failing(*args, **kwargs):
        if fail_at == "open" and not str(args[0]).endswith(".tmp"):
            return real(*args, **kwargs)
        raise OSError(code, os.strerror(code))

    if fail_at == "open":
        monkeypatch.setattr("builtins.open", failing)
    else:
        monkeypatch.setattr(os, fail_at, failing)
    line = assert_refused(["emit", "verilog", "in.json", "-o", "keep.out", "--testbench", "tb.v"],
                          work, status=1, names=(os.strerror(code),), cwd=work)
    assert "keep.out" in line or "tb.v" in line


def test_second_rename_failing_restores_the_first(work, monkeypatch):
    sentinel(work / "tb.v", 0o600)
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if str(dst).endswith("tb.v") and not str(src).endswith(".bak"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert_refused(["emit", "verilog", "in.json", "-o", "keep.out", "--testbench", "tb.v"], work,
                   status=1, cwd=work)
    assert (work / "keep.out").read_bytes() == SENTINEL


def test_write_all_writes_every_output(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.bin"
    outputs.write_all([(str(a), "text"), (str(b), b"\x00\x01")])
    assert a.read_text() == "text" and b.read_bytes() == b"\x00\x01"
    with pytest.raises(ApproxgenError, match="another output"):
        outputs.write_all([(str(a), "1"), (str(tmp_path / "." / "a.txt"), "2")])


def test_stdout_write_error_exits_1():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "approxgen", "emit", "c", "gelu",
                                 "--bits", "4", "--segments", "2"], stdout=full,
                                stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("approxgen: error: <stdout>"), result.stderr


def test_ctrl_c_exits_130_with_one_line(work, monkeypatch):
    import approxgen.cli.common as common

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(common, "fit_plan", interrupted)
    before = snapshot(work)
    result = invoke(["emit", "c", "gelu", "-o", "out.h"], cwd=work)
    assert result.exit_code == 130
    assert result.stderr == "approxgen: interrupted\n"
    assert snapshot(work) == before


def test_usage_errors_are_one_line_exit_2(work):
    assert_refused(["fit", "gelu", "--bitz", "3"], work, names=("--bitz",))
    assert_refused(["fit", "gelu", "--bits", "many"], work, names=("--bits",))
    assert_refused(["emit", "c"], work, names=("TARGET",))
    assert_refused(["nosuchcommand"], work, names=("nosuchcommand",))


def test_runtime_warnings_never_reach_stderr(work, monkeypatch):
    import warnings

    import approxgen.cli.common as common

    real = common.fit_plan

    def noisy(*args, **kwargs):
        warnings.warn("overflow encountered", RuntimeWarning)
        return real(*args, **kwargs)

    monkeypatch.setattr(common, "fit_plan", noisy)
    result = invoke(["emit", "c", "gelu", "--bits", "4", "--segments", "2"], cwd=work)
    assert result.exit_code == 0 and result.stderr == ""


def test_a_bare_command_shows_its_help():
    result = invoke([])
    assert result.exit_code == 0 and result.stdout.startswith("Usage:"), result.stderr


def test_emit_without_a_target_is_a_usage_error(work):
    assert_refused(["emit"], work, names=("emit", "c, verilog, vectors or vhdl"))


SIGINT_SCRIPT = """
import os, signal, sys
import approxgen.fitting
from approxgen.cli import main

def interrupted(spec, progress=True):
    os.kill(os.getpid(), signal.SIGINT)
    signal.pause()

approxgen.fitting.fit = interrupted
sys.argv = ["approxgen", "emit", "c", "gelu", "-o", sys.argv[1]]
main()
"""


def test_a_real_sigint_exits_130_with_one_line(tmp_path):
    out = tmp_path / "out.h"
    result = subprocess.run([sys.executable, "-c", SIGINT_SCRIPT, str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 130
    assert result.stderr == "approxgen: interrupted\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spec, args", [
    (b"function: gel\xffu\n", []),
    (b"expr: \"x + 10.0**400\"\ninput: {scale: 2^-3}\n", []),
    (b"function: gelu\nsearch_options: " + b"[" * 10000 + b"\n", []),
])
def test_real_processes_print_one_line(tmp_path, spec, args):
    path = tmp_path / "s.yaml"
    path.write_bytes(spec)
    result = subprocess.run([sys.executable, "-m", "approxgen", "fit", str(path), "-q",
                             "-o", str(tmp_path / "f.json"), *args], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"approxgen: error: {path}"), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


# --- issue 22, 2: every output option of every command goes through approxgen.outputs ----------

def _commands():
    """Every (command words, click command) of the CLI, subcommands of groups included."""
    import click

    from approxgen.cli import main

    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from (([name, sub], command.get_command(ctx, sub))  # lazy: the registry's
                        for sub in sorted(command.list_commands(ctx)))
        else:
            yield [name], command


def _output_options():
    from approxgen.cli.common import OutputOption

    return [(words, option) for words, command in _commands() for option in command.params
            if isinstance(option, OutputOption)]


def test_every_option_that_writes_is_an_output_option():
    """An option whose help says it writes a path is declared an OutputOption, and its command
    checks it (a Command): a new output option is covered by the tests below automatically."""
    import click

    from approxgen.cli.common import Command, OutputOption

    for words, command in _commands():
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag \
                    and "write" in (param.help or "").lower():
                assert isinstance(param, OutputOption), (words, param.opts)
        if any(isinstance(p, OutputOption) for p in command.params):
            assert isinstance(command, Command), words
    assert len(_output_options()) >= 8


@pytest.mark.parametrize("words, option", _output_options(),
                         ids=lambda v: " ".join(v) if isinstance(v, list) else v.opts[0])
def test_no_output_option_overwrites_the_input_spec(work, monkeypatch, words, option):
    def no_work(*args, **kwargs):
        raise AssertionError("fitted before the outputs were checked")

    monkeypatch.setattr("approxgen.fitting.fit", no_work)
    assert_refused([*words, "s.yaml", option.opts[0], "s.yaml"], work,
                   names=(option.opts[0], "s.yaml"), cwd=work)


def test_sweep_csv_over_its_spec_is_refused(work):
    assert_refused(["sweep", "s.yaml", "--no-yosys", "--search", "uniform", "--segments", "4",
                    "--csv", "s.yaml"], work, names=("--csv", "s.yaml", "input"), cwd=work)


@pytest.mark.parametrize("make", ["under-a-file", "dangling", "fifo"])
@pytest.mark.parametrize("words", [["build", "s.yaml", "--out"], ["report", "s.yaml", "-o"],
                                   ["verify", "s.yaml", "--workdir"]])
def test_bad_output_directories_exit_2_before_any_work(work, monkeypatch, make, words):
    def no_work(*args, **kwargs):
        raise AssertionError("fitted before the output directory was checked")

    monkeypatch.setattr("approxgen.fitting.fit", no_work)
    if make == "under-a-file":
        out = "keep.out/sub"
    elif make == "dangling":
        os.symlink("nowhere", work / "dangling")
        out = "dangling"
    else:
        os.mkfifo(work / "fifo")
        out = "fifo"
    assert_refused([*words, out], work, names=(words[-1], out), cwd=work)
