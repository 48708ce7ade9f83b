"""``approxgen sweep``: fit one function over forms x segment counts x searches; table and plot."""

from __future__ import annotations

import json

import click

from approxgen.cli.common import (Command, InputArgument, OutputOption, fit_flags, input_paths,
                                  executor_options, progress_option,
                                  raw_from_target, set_progress, write_output)


@click.command("sweep", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags(exclude=("form", "segments", "search"))
@click.option("--form", "forms", help="Forms, comma-separated (default: every form).")
@click.option("--segments", "segment_counts", default="4,8,16", show_default=True,
              help="pwl segment counts, comma-separated.")
@click.option("--search", "searches", default="exact", show_default=True,
              help="pwl breakpoint searches, comma-separated.")
@click.option("--csv", "csv_path", cls=OutputOption,
              help="Write the table as CSV here ('-': stdout).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option("--plot", "plot_path", cls=OutputOption,
              help="Write the Pareto plot (error against cost) here: "
                   ".png, .svg or .pdf.")
@click.option("--yosys/--no-yosys", default=True,
              help="Count Yosys cells of each full datapath when Yosys is installed (default).")
@executor_options("Points")
@click.option("-q", "--quiet", is_flag=True, help="No table, no progress.")
@progress_option
def sweep_command(target, flags, forms, segment_counts, searches, csv_path, as_json, plot_path,
                  yosys, executor, quiet, progress):
    """Fit TARGET (a function name or a SPEC.yaml) at every form, segment count and search
    given, and tabulate max error, mismatches, C table bytes, Yosys cells (when installed) and
    fit seconds, marking the Pareto front of error against cost (cells, else table bytes)."""
    from approxgen import report, search, spec as specs, sweep
    from approxgen.outputs import write_all

    every = forms is None  # the default grid: every form, those that apply
    points = sweep.grid(sweep.parse_list(",".join(specs.FORMS) if every else forms, specs.FORMS,
                                         "--form"),
                        sweep.parse_list(segment_counts, None, "--segments", int),
                        sweep.parse_list(searches, search.SEARCHES, "--search"))
    suffix = report.check_plot_path(plot_path) if plot_path else None
    raw, source = raw_from_target(target, flags)
    rows = sweep.run(raw, source, points, yosys=yosys, progress=set_progress(progress, quiet),
                     applicable_only=every, executor=executor)
    files = []
    if csv_path and csv_path != "-":
        files.append((csv_path, sweep.to_csv(rows)))
    if plot_path:
        files.append((plot_path, sweep.plot_bytes(rows, suffix)))
    write_all(files, inputs=input_paths(target))
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
    elif csv_path == "-":
        write_output(None, sweep.to_csv(rows))
    elif not quiet:
        click.echo(sweep.format_table(rows))
