"""The ``approxgen`` command. Each subcommand lives in a small module that parses its arguments
and calls the library; every :class:`ApproxgenError` becomes one line on stderr and exit status 2."""

from __future__ import annotations

import sys

import click

from approxgen import __version__
from approxgen.errors import ApproxgenError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ApproxgenError as exc:
            click.echo(f"approxgen: error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="approxgen")
def main():
    """Fit integer-only approximations of non-linear functions and emit C and Verilog."""


def _register():
    from approxgen.cli import cost, emit, fit, functions, report, verify

    main.add_command(fit.fit_command)
    main.add_command(functions.functions_command)
    main.add_command(emit.emit_group)
    main.add_command(cost.cost_command)
    main.add_command(report.report_command)
    main.add_command(verify.verify_command)


_register()
