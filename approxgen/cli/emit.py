"""``approxgen emit c|verilog|vectors``: render a fit into files."""

from __future__ import annotations

import click

from approxgen import outputs
from approxgen.cli.common import (fit_flags, input_paths, load_target, part_option,
                                  quiet_option, segment_search_option, write_output)

TARGET_HELP = ("TARGET is a fit artifact (FIT.json), a SPEC.yaml or a function name (fitted "
               "first; with --segments auto its summary then goes to stderr: what was chosen).")
QUIET = quiet_option("No fit summary on stderr")


@click.group("emit")
def emit_group():
    """Render a fit as C, Verilog or golden test vectors."""


@emit_group.command("c")
@click.argument("target")
@fit_flags
@click.option("-o", "--output", help="Header to write (default: stdout).")
@segment_search_option
@QUIET
def emit_c(target, flags, output, segment_search, quiet):
    """A standalone integer-only C99 header. """
    from approxgen.emit import c

    inputs = input_paths(target)
    outputs.validate([(output, "")], inputs, ["-o"])
    fit = load_target(target, flags, quiet, announce=True)
    write_output(output, c.render(fit, segment_search), inputs, "-o")


@emit_group.command("verilog")
@click.argument("target")
@fit_flags
@click.option("-o", "--output", help="Verilog file to write (default: stdout).")
@part_option
@click.option("--pipeline", is_flag=True,
              help="Registered version: clk, rst_n (synchronous, clears the valid bits), "
                   "in_valid, out_valid, LATENCY.")
@click.option("--testbench", help="Also write a self-checking test bench here; it reads the "
                                  "vectors of `emit vectors` (NAME.hex or +vectors=PATH).")
@QUIET
def emit_verilog(target, flags, output, part, pipeline, testbench, quiet):
    """Synthesizable Verilog-2001: module NAME (combinational, x -> y), or NAME_lut."""
    from approxgen.emit import verilog

    inputs, names = input_paths(target), ["-o", "--testbench"]
    planned = [(output, "")] + ([(testbench, "")] if testbench else [])
    outputs.validate(planned, inputs, names)
    fit = load_target(target, flags, quiet, announce=True)
    files = [(output, verilog.render(fit, part=part, pipeline=pipeline))]
    if testbench:
        files.append((testbench, verilog.render_testbench(fit, part=part, pipeline=pipeline)))
    outputs.write_all(files, inputs, names)


@emit_group.command("vectors")
@click.argument("target")
@fit_flags
@click.option("-o", "--output", help="Vector file to write (default: stdout).")
@QUIET
def emit_vectors(target, flags, output, quiet):
    """Golden vectors ($readmemh) for every input code: x, y (pwl: slope, intercept;
    quadratic: a, b, c, origin)."""
    from approxgen.emit import vectors

    inputs = input_paths(target)
    outputs.validate([(output, "")], inputs, ["-o"])
    fit = load_target(target, flags, quiet, announce=True)
    write_output(output, vectors.render(fit), inputs, "-o")


for _command in (emit_c, emit_verilog, emit_vectors):
    _command.help = (_command.help or "") + "\n\n" + TARGET_HELP
