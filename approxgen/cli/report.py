"""``approxgen report``: a fit's summary and segments; a Markdown report and plots with -o."""

from __future__ import annotations

import json
from pathlib import Path

import click

from approxgen import outputs
from approxgen.cli.common import (Command, InputArgument, OutputOption, fit_flags, input_paths,
                                  load_target, quiet_option, write_output)


@click.command("report", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("-o", "--output-dir", "out_dir", cls=OutputOption, directory=True,
              help="Write NAME.md (Markdown summary) and NAME.png (plots) into this directory "
                   "(created if missing).")
@click.option("--plot", "plot_path", cls=OutputOption,
              help="Also write a plot here: .png, .svg or .pdf.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report (spec, integers, metrics, segments) as JSON.")
@quiet_option("No summary on stdout (the files are written)")
def report_command(target, flags, out_dir, plot_path, as_json, quiet):
    """Summarize TARGET (FIT.json, SPEC.yaml, '-' or a function name): metrics beside the
    correctly rounded table's, and every segment. Plots show the function and the approximation
    with the segment boundaries, and the error per code in output LSB beside the correctly
    rounded table's, mismatching codes marked."""
    from approxgen import report

    inputs = input_paths(target)
    suffix = report.check_plot_path(plot_path) if plot_path else None
    fit = load_target(target, flags, quiet)
    files, names = [], []
    if out_dir:
        png = f"{fit.spec.name}.png"
        files += [(str(Path(out_dir) / f"{fit.spec.name}.md"), report.markdown(fit, [png])),
                  (str(Path(out_dir) / png), report.plot_bytes(fit, ".png"))]
        names += ["-o", "-o"]
    if plot_path:
        files.append((plot_path, report.plot_bytes(fit, suffix)))
        names.append("--plot")
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    outputs.write_all(files, inputs, names)
    if as_json:
        write_output(None, json.dumps(report.to_json(fit), indent=2, sort_keys=True) + "\n")
    elif not quiet:
        from approxgen.cli.summary import summary

        click.echo(summary(fit))
        click.echo(report.segment_table(fit))
