"""``approxgen report``: a fit's summary and segments; a Markdown report and plots with -o."""

from __future__ import annotations

import json
from pathlib import Path

import click

from approxgen.cli.common import fit_flags, load_target, write_output


@click.command("report")
@click.argument("target")
@fit_flags
@click.option("-o", "--output-dir", "out_dir", type=click.Path(file_okay=False),
              help="Write NAME.md (Markdown summary) and NAME.png (plots) into this directory "
                   "(created if missing).")
@click.option("--plot", "plot_path", help="Also write a plot here: .png, .svg or .pdf.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report (spec, integers, metrics, segments) as JSON.")
def report_command(target, flags, out_dir, plot_path, as_json):
    """Summarize TARGET (FIT.json, SPEC.yaml, '-' or a function name): metrics beside the
    correctly rounded table's, and every segment. Plots show the function and the approximation
    with the segment boundaries, and the error per code in output LSB beside the correctly
    rounded table's, mismatching codes marked."""
    from approxgen import report
    from approxgen.outputs import write_all

    if plot_path:
        report.check_plot_path(plot_path)
    fit = load_target(target, flags)
    if as_json:
        write_output(None, json.dumps(report.to_json(fit), indent=2, sort_keys=True) + "\n")
    else:
        from approxgen.cli.fit import summary

        click.echo(summary(fit))
        click.echo(report.segment_table(fit))
    files = []
    if out_dir:
        directory = Path(out_dir)
        directory.mkdir(parents=True, exist_ok=True)
        png = f"{fit.spec.name}.png"
        files += [(directory / f"{fit.spec.name}.md", report.markdown(fit, [png])),
                  (directory / png, report.plot_bytes(fit, ".png"))]
    if plot_path:
        files.append((plot_path, report.plot_bytes(fit, report.check_plot_path(plot_path))))
    write_all(files)
