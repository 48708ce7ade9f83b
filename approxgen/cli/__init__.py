"""The ``approxgen`` command. Each subcommand lives in a small module that parses its arguments
and calls the library; every :class:`ApproxgenError` becomes one line on stderr and exit status 2.

Subcommand modules are imported only when their command runs (or ``--help`` lists them), and
they import the library (numpy, scipy, matplotlib, ...) only inside the command, so
``approxgen --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import importlib
import sys

import click

from approxgen import __version__
from approxgen.errors import ApproxgenError

# name -> "module:attribute" of the click command; imported on first use.
COMMANDS = {
    "fit": "approxgen.cli.fit:fit_command",
    "build": "approxgen.cli.build:build_command",
    "emit": "approxgen.cli.emit:emit_group",
    "verify": "approxgen.cli.verify:verify_command",
    "cost": "approxgen.cli.cost:cost_command",
    "report": "approxgen.cli.report:report_command",
    "sweep": "approxgen.cli.sweep:sweep_command",
    "functions": "approxgen.cli.functions:functions_command",
}


class _Group(click.Group):
    """A group whose subcommands load lazily from :data:`COMMANDS`."""

    def list_commands(self, ctx):
        return [name for name in COMMANDS if self._lazy(name) is not None]

    def get_command(self, ctx, cmd_name):
        return self._lazy(cmd_name)

    @staticmethod
    def _lazy(name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ApproxgenError as exc:
            click.echo(f"approxgen: error: {exc}", err=True)
            sys.exit(2)
        except click.BadParameter as exc:  # e.g. --search not in its registry: one line
            where = "/".join(exc.param.opts) if exc.param is not None else exc.param_hint
            click.echo(f"approxgen: error: {where}: {exc.message}", err=True)
            sys.exit(2)
        except OSError as exc:  # a file system error: one line, exit 1
            where = exc.filename if exc.filename is not None else "approxgen"
            click.echo(f"approxgen: error: {where}: {exc.strerror or exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("approxgen: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="approxgen")
def main():
    """Fit integer-only approximations of non-linear functions and emit C and Verilog.

    Exit status: 0 ok; 1 a failed check (verify, build --check) or an OS error; 2 bad input;
    130 interrupted. Shell completion (bash): eval "$(_APPROXGEN_COMPLETE=bash_source approxgen)".
    """
