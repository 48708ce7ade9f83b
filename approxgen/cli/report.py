"""``approxgen report``: a fit's summary, its segments, and optionally an error plot."""

from __future__ import annotations

import click

from approxgen import outputs
from approxgen.cli.common import fit_flags, input_paths, load_target
from approxgen.errors import ApproxgenError


@click.command("report")
@click.argument("target")
@fit_flags
@click.option("--plot", "plot_path", help="Also write a PNG of the function and the error.")
def report_command(target, flags, plot_path):
    """Summarize TARGET (FIT.json, SPEC.yaml or a function name): metrics and every segment."""
    from approxgen import report
    from approxgen.cli.fit import summary

    inputs = input_paths(target)
    if plot_path:
        if not plot_path.lower().endswith(".png"):
            raise ApproxgenError("the plot is a PNG: give a path ending in .png", "--plot")
        outputs.validate([(plot_path, b"")], inputs, ["--plot"])
    fit = load_target(target, flags)
    click.echo(summary(fit))
    click.echo(report.segment_table(fit))
    if plot_path:
        outputs.write_file_via(plot_path, lambda tmp: report.plot(fit, tmp), inputs, "--plot")
