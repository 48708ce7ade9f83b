"""``approxgen emit c|verilog|vectors``: render a fit into files."""

from __future__ import annotations

import click

from approxgen import outputs
from approxgen.cli.common import (Command, InputArgument, OutputOption, fit_flags, input_paths,
                                  load_target, part_option, quiet_option, segment_search_option,
                                  write_output)

TARGET_HELP = ("TARGET is a fit artifact (FIT.json), a SPEC.yaml or a function name (fitted "
               "first; with --segments auto its summary then goes to stderr: what was chosen).")
QUIET = quiet_option("No fit summary on stderr")


class _EmitGroup(click.Group):
    """``approxgen emit`` without a target is a usage error (exit 2), not a help page."""

    def parse_args(self, ctx, args):
        if not args:
            raise click.UsageError("missing the target: c, verilog or vectors (see --help)", ctx)
        return super().parse_args(ctx, args)


@click.group("emit", cls=_EmitGroup)
def emit_group():
    """Render a fit as C, Verilog or golden test vectors."""


@emit_group.command("c", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("-o", "--output", cls=OutputOption, help="Header to write (default: stdout).")
@segment_search_option
@click.option("--export", is_flag=True,
              help="NAME and NAME_array as external, visible functions (not static inline): "
                   "a C file to build into a shared library.")
@QUIET
def emit_c(target, flags, output, segment_search, export, quiet):
    """A standalone integer-only C99 header. """
    from approxgen.emit import c

    inputs = input_paths(target)
    fit = load_target(target, flags, quiet, announce=True)
    write_output(output, c.render(fit, segment_search, export=export), inputs, "-o")


@emit_group.command("verilog", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("-o", "--output", cls=OutputOption, help="Verilog file to write (default: stdout).")
@part_option
@click.option("--pipeline", is_flag=True,
              help="Registered version: clk, rst_n (synchronous, clears the valid bits), "
                   "in_valid, out_valid, LATENCY.")
@click.option("--testbench", cls=OutputOption,
              help="Also write a self-checking test bench here; it reads the "
                   "vectors of `emit vectors` (NAME.hex or +vectors=PATH).")
@QUIET
def emit_verilog(target, flags, output, part, pipeline, testbench, quiet):
    """Synthesizable Verilog-2001: module NAME (combinational, x -> y), or NAME_lut."""
    from approxgen.emit import verilog

    inputs, names = input_paths(target), ["-o", "--testbench"]
    fit = load_target(target, flags, quiet, announce=True)
    files = [(output, verilog.render(fit, part=part, pipeline=pipeline))]
    if testbench:
        files.append((testbench, verilog.render_testbench(fit, part=part, pipeline=pipeline)))
    outputs.write_all(files, inputs, names)


@emit_group.command("vectors", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("-o", "--output", cls=OutputOption, help="Vector file to write (default: stdout).")
@QUIET
def emit_vectors(target, flags, output, quiet):
    """Golden vectors ($readmemh) for every input code: x, y (pwl: slope, intercept;
    quadratic: a, b, c, origin)."""
    from approxgen.emit import vectors

    inputs = input_paths(target)
    fit = load_target(target, flags, quiet, announce=True)
    write_output(output, vectors.render(fit), inputs, "-o")


for _command in (emit_c, emit_verilog, emit_vectors):
    _command.help = (_command.help or "") + "\n\n" + TARGET_HELP
