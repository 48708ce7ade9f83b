"""``approxgen verify``: compile and simulate a fit's emitted code on this machine's tools."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from approxgen.cli.common import (EmitterCommand, InputArgument, OutputOption, RegistryChoice,
                                  fit_flags, load_target, quiet_option, refuse_given)
from approxgen.errors import ApproxgenError
from approxgen.outputs import OutputError


def _verified_emitters() -> list[str]:
    """The emitters with a ``verify`` target: their render options are verify's too."""
    from approxgen import verify

    return list(dict.fromkeys(emitter for emitter, _ in verify.verifiers().values()))


@click.command("verify", cls=EmitterCommand, emitters=_verified_emitters, before=("strict",))
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("--c/--no-c", "check_c", default=True,
              help="Compile the C header with strict C99 flags and run it (default: on).")
@click.option("--verilog/--no-verilog", "check_verilog", default=True,
              help="Simulate the Verilog with its test bench: iverilog -g2005, vvp (default: on).")
@click.option("--cc", default="cc", envvar="CC", show_default=True,
              help="C compiler (a command, may carry flags; default $CC, else cc).")
@click.option("--cflags", default="",
              help="Extra compiler flags after the strict ones, e.g. '-O3 -march=native'.")
@click.option("--cxx", help="Also compile the header as C++ with this compiler (e.g. c++).")
@click.option("--compile-only", is_flag=True,
              help="C/C++: compile the harness only, run nothing (a cross compiler: --cc "
                   "'arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb').")
@click.option("--runner",
              help="C/C++: run the compiled harness under this command, an emulator "
                   "(e.g. 'qemu-arm -L /usr/arm-linux-gnueabi').")
@click.option("--link",
              help="C/C++: link the compiled harness with this command of its own (e.g. "
                   "'arm-none-eabi-gcc -mthumb --specs=rdimon.specs' for qemu-arm; default: "
                   "the compiler, in one step).")
@click.option("--target", "more", multiple=True, type=RegistryChoice("approxgen.verify:verifiers"),
              help="Also verify this target (repeatable): any an emitter declares.")
@click.option("--strict", is_flag=True,
              help="A missing tool is a failure (use in CI, where the tools must be installed).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the verdicts as JSON (per target: status, tool, codes, mismatches, "
                   "first mismatches) with \"ok\".")
@click.option("--workdir", cls=OutputOption, directory=True,
              help="Write the headers, harness, Verilog and vectors here and keep them "
                   "(default: a temporary directory, removed).")
@quiet_option("No table: the exit status tells")
def verify_command(target, flags, check_c, check_verilog, cc, cflags, cxx, compile_only, runner,
                   link, more, strict, as_json, workdir, quiet, **options):
    """Prove TARGET's emitted code on this machine: compile the C header with strict C99 flags
    (-std=c99 -Wall -Wextra -Wconversion -Werror -pedantic -O2) and run its scalar and array
    functions over every input code; simulate the Verilog module with its self-checking test
    bench under Icarus Verilog; compare both with the golden model and print a table.

    TARGET is a fit artifact (FIT.json), a SPEC.yaml or a function name (fitted first). A
    block spec (block: softmax, layernorm, rmsnorm) is checked through its C function and its
    streaming Verilog unit (--target vhdl: its VHDL unit too) on every code of its inner fits and
    tables, its reachable intermediates and its seeded and adversarial rows.

    Exit status: 0 when every checked target matches; 1 on a mismatch, when a tool fails (the
    table's next line quotes its first error line) or when nothing could be checked; 2 on bad
    input. A missing tool (cc, iverilog/vvp) marks its target "skipped" and is not a failure
    unless --strict is given. With --compile-only the C verdict is "compiled (not run)".
    """
    from approxgen import verify

    targets = [t for t, on in (("c", check_c), ("c++", cxx), ("verilog", check_verilog)) if on]
    targets += [t for t in more if t not in targets]
    if not targets:
        raise ApproxgenError("nothing to verify: --no-c and --no-verilog leave no target")
    for flag, value in (("--cflags", cflags), ("--cc", cc), ("--runner", runner),
                        ("--link", link)):
        try:
            words = shlex.split(value or "")
        except ValueError as exc:
            raise ApproxgenError(str(exc), flag) from None
        if value is not None and not words and flag != "--cflags":
            raise ApproxgenError("is empty: give a command", flag)
    if compile_only and (runner or link):
        raise ApproxgenError("runs nothing: it takes no --runner or --link", "--compile-only")
    extra = shlex.split(cflags)
    fit = load_target(target, flags, quiet, allow_blocks=True)
    block = _block_checked(fit, targets, options, target)
    if workdir is not None:
        try:
            Path(workdir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create it: {exc.strerror or exc}",
                              f"--workdir {workdir}") from None
    if block:
        from approxgen import verify_block

        report = verify_block.verify(fit, targets, workdir, cc, extra)
    else:
        report = verify.verify(fit, targets, workdir=workdir, cc=cc, cxx=cxx or "c++",
                               cflags=extra, compile_only=compile_only, runner=runner, link=link,
                               **options)
    if as_json:
        import dataclasses
        import json

        data = dict(dataclasses.asdict(report), ok=report.ok(strict=strict), strict=strict)
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    elif not quiet:
        click.echo(report.table())
    if not report.ok(strict=strict):
        sys.exit(1)


def _block_checked(target, targets, options, where: str) -> bool:
    """Whether ``target`` is a block (:mod:`approxgen.blocks`); a block's bad targets and the
    flags that apply to a fit only (the emitters' options, C++ and cross compiling) are refused
    before anything is written."""
    from approxgen.blocks import Block

    if not isinstance(target, Block):
        return False
    from approxgen import verify_block

    refuse_given([(name, f"--{name.replace('_', '-')}") for name in options] +
                 [("cxx", "--cxx"), ("compile_only", "--compile-only"), ("runner", "--runner"),
                  ("link", "--link")], "applies to a fit, not to a block spec", where)
    verify_block.check_targets(target, targets)
    return True
