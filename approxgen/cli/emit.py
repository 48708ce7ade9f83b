"""``approxgen emit c|verilog|vectors``: render a fit into files."""

from __future__ import annotations

import os

import click

from approxgen import outputs
from approxgen.errors import ApproxgenError
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
            raise click.UsageError("missing the target: c, verilog, vhdl or vectors (see --help)",
                                   ctx)
        return super().parse_args(ctx, args)


@click.group("emit", cls=_EmitGroup)
def emit_group():
    """Render a fit as C, Verilog, VHDL or golden test vectors."""


PROGRAMMABLE_HELP = ("Several fits of one shape (pwl, all folded or none, one segment count and "
                     "input/output width; scales and domains may differ): one unit taking each "
                     "fit's coefficient set (see README, 'Pipelines, streams, VHDL').")
programmable_option = click.option("--programmable", is_flag=True, help=PROGRAMMABLE_HELP)


def _targets(targets, programmable: bool) -> None:
    if len(targets) > 1 and not programmable:
        raise ApproxgenError(f"{len(targets)} targets: several fits make one --programmable "
                             f"unit; give one target otherwise", "TARGET")


def _load_all(targets, flags, quiet) -> list:
    return [load_target(t, flags, quiet, announce=True) for t in targets]


@emit_group.command("c", cls=Command)
@click.argument("targets", metavar="TARGET...", nargs=-1, required=True, cls=InputArgument)
@fit_flags
@click.option("-o", "--output", cls=OutputOption, help="Header to write (default: stdout).")
@segment_search_option
@programmable_option
@QUIET
def emit_c(targets, flags, output, segment_search, programmable, quiet):
    """A standalone integer-only C99 header (--programmable: one kernel taking a pointer to a
    fit's coefficient set, and every fit's set). """
    from approxgen.emit import c, programmable as prog

    _targets(targets, programmable)
    inputs = input_paths(*targets)
    fits = _load_all(targets, flags, quiet)
    text = prog.render_c(fits, targets) if programmable else c.render(fits[0], segment_search)
    write_output(output, text, inputs, "-o")


PIPELINE_HELP = ("N: N registers at the datapath's stage boundaries (input, segment decode, "
                 "coefficient read, multiply, add/shift/saturate), placed for the shallowest "
                 "stage, with a clock enable ce; auto: the fewest registers whose stages are "
                 "estimated at most --depth logic levels. Ports clk, rst_n, ce, in_valid, "
                 "out_valid; LATENCY in the module.")
pipeline_stages = click.option("--pipeline", "stages", metavar="N|auto", default=None,
                               help=PIPELINE_HELP)
handshake_option = click.option(
    "--handshake", is_flag=True,
    help="AXI4-Stream ports (s_tvalid/s_tready/s_tdata, m_tvalid/m_tready/m_tdata, ce as "
         "ACLKEN) with back-pressure; needs --pipeline N >= 1 (default 1).")
depth_option = click.option("--depth", type=click.IntRange(min=1), default=None,
                            help="Logic levels per stage that --pipeline auto aims at "
                                 "(default 32, an estimate).")


@emit_group.command("verilog", cls=Command)
@click.argument("targets", metavar="TARGET...", nargs=-1, required=True, cls=InputArgument)
@fit_flags
@click.option("-o", "--output", cls=OutputOption, help="Verilog file to write (default: stdout).")
@part_option
@click.option("--pipeline", "stages", metavar="[N|auto]", is_flag=False, flag_value="registered",
              default=None,
              help="Bare: the registered version (clk, rst_n synchronous clearing the valid "
                   "bits, in_valid, out_valid, LATENCY). " + PIPELINE_HELP)
@handshake_option
@depth_option
@programmable_option
@click.option("--images", cls=OutputOption, directory=True,
              help="With --programmable: write every fit's image NAME_image.hex here.")
@click.option("--testbench", cls=OutputOption,
              help="Also write a self-checking test bench here; it reads the "
                   "vectors of `emit vectors` (NAME.hex or +vectors=PATH; --programmable: "
                   "every NAME.hex and NAME_image.hex).")
@QUIET
def emit_verilog(targets, flags, output, part, stages, handshake, depth, programmable, images,
                 testbench, quiet):
    """Synthesizable Verilog-2001: module NAME (combinational, x -> y), or NAME_lut
    (--programmable: NAME_prog with a load port, NAME the first fit's)."""
    from approxgen.emit import pipelined, programmable as prog, verilog

    _targets(targets, programmable)
    inputs, names = input_paths(*targets), ["-o", "--testbench"]
    if programmable:
        if stages is not None or handshake or part != "full":
            raise ApproxgenError("--programmable is the combinational full part: no --pipeline, "
                                 "--handshake or --part lut", "--programmable")
        fits = _load_all(targets, flags, quiet)
        files = [(output, prog.render_verilog(fits, targets))]
        if testbench:
            files.append((testbench, prog.render_testbench(fits, targets)))
        if images:
            files += [(os.path.join(images, name), text)
                      for name, text in prog.images(fits, targets)]
            names += ["--images"] * (len(files) - len(names))
        outputs.write_all(files, inputs, names[:len(files)])
        return
    if images:
        raise ApproxgenError("--images needs --programmable", "--images")
    pipeline = stages == "registered"
    stages = None if pipeline or stages is None else pipelined.parse_stages(stages)
    fit = load_target(targets[0], flags, quiet, announce=True)
    options = dict(part=part, pipeline=pipeline, stages=stages, handshake=handshake, depth=depth)
    files = [(output, verilog.render(fit, **options))]
    if testbench:
        files.append((testbench, verilog.render_testbench(fit, **options)))
    outputs.write_all(files, inputs, names)
    if stages is not None or handshake:
        _say_latency(fit, part, 1 if stages is None else stages, handshake, depth, quiet)


def _say_latency(fit, part, stages, handshake, depth, quiet) -> None:
    from approxgen.emit import pipelined

    if not quiet:
        plan = pipelined.plan(fit, part, stages, handshake, depth)
        click.echo(f"{plan.module}: {pipelined.stage_summary(plan)}", err=True)


@emit_group.command("vhdl", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("-o", "--output", cls=OutputOption, help="VHDL file to write (default: stdout).")
@part_option
@pipeline_stages
@handshake_option
@depth_option
@click.option("--testbench", cls=OutputOption,
              help="Also write a self-checking VHDL-2008 test bench here; it reads the vectors "
                   "of `emit vectors` (generic vectors_file, default NAME.hex).")
@QUIET
def emit_vhdl(target, flags, output, part, stages, handshake, depth, testbench, quiet):
    """Synthesizable VHDL-2008: entity NAME (combinational, x -> y), or NAME_lut."""
    from approxgen.emit import pipelined, vhdl

    inputs, names = input_paths(target), ["-o", "--testbench"]
    stages = (1 if handshake else 0) if stages is None else pipelined.parse_stages(stages)
    fit = load_target(target, flags, quiet, announce=True)
    options = dict(part=part, stages=stages, handshake=handshake, depth=depth)
    files = [(output, vhdl.render(fit, **options))]
    if testbench:
        files.append((testbench, vhdl.render_testbench(fit, **options)))
    outputs.write_all(files, inputs, names)
    if stages or handshake:
        _say_latency(fit, part, stages, handshake, depth, quiet)


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


for _command in (emit_c, emit_verilog, emit_vhdl, emit_vectors):
    _command.help = (_command.help or "") + "\n\n" + TARGET_HELP
