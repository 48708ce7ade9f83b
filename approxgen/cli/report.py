"""``approxgen report``: a fit's summary, its segments, and optionally an error plot."""

from __future__ import annotations

import click

from approxgen.cli.common import fit_flags, load_target


@click.command("report")
@click.argument("target")
@fit_flags
@click.option("--plot", "plot_path", help="Also write a PNG of the function and the error.")
def report_command(target, flags, plot_path):
    """Summarize TARGET (FIT.json, SPEC.yaml or a function name): metrics and every segment."""
    from approxgen import report
    from approxgen.cli.fit import summary

    fit = load_target(target, flags)
    click.echo(summary(fit))
    click.echo(report.segment_table(fit))
    if plot_path:
        report.plot(fit, plot_path)
