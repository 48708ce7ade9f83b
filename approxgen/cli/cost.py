"""``approxgen cost``: hardware cost of each Verilog part of a fit (estimate, Yosys measure)."""

from __future__ import annotations

import json

import click

from approxgen.cli.common import Command, InputArgument, fit_flags, load_target, quiet_option


@click.command("cost", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("--pipeline", "stages", metavar="[N|auto]", is_flag=False, flag_value="registered",
              default=None, help="Cost the pipelined modules: bare, the single-register ones; "
                                 "N or auto, those of `emit verilog --pipeline N` (with the "
                                 "longest path when Yosys measures).")
@click.option("--no-yosys", is_flag=True, help="Estimate only, even when Yosys is installed.")
@click.option("--no-ice40", is_flag=True, help="Skip synth_ice40 (generic synth cells only).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@quiet_option("No table")
def cost_command(target, flags, stages, no_yosys, no_ice40, as_json, quiet):
    """Hardware cost of each part of TARGET: ROM bits, comparators, multiplier and adder widths
    (no tools needed) and, where Yosys is installed, its cells after `synth` and LUT4/carry counts
    after `synth_ice40`. TARGET is a FIT.json, a SPEC.yaml or a function name. Yosys takes tens of
    seconds on 16-bit tables."""
    from approxgen import cost
    from approxgen.emit import pipelined

    pipeline = stages == "registered"
    stages = None if pipeline or stages is None else pipelined.parse_stages(stages)
    report = cost.cost(load_target(target, flags, quiet), pipeline=pipeline,
                       use_yosys=not no_yosys, ice40=not no_ice40, stages=stages)
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    elif not quiet:
        click.echo(cost.format_table(report))
