"""The ``approxgen`` command. Each subcommand lives in a small module that parses its arguments
and calls the library. Every failure is one line on stderr, ``approxgen: error: <where>: <what>``:
bad input (an :class:`ApproxgenError` or a click usage error) exits 2, an OS error while reading or
writing (disk full, permission, ``> /dev/full``) exits 1, Ctrl-C exits 130."""

from __future__ import annotations

import os
import sys
import warnings

import click

from approxgen import __version__
from approxgen.errors import ApproxgenError, OSFailure


_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Interrupted(Exception):
    """Ctrl-C inside a command (kept apart from click, which would print ``Aborted!``)."""


def _fail(message: str, status: int):
    click.echo(f"approxgen: error: {' '.join(str(message).split())}", err=True)
    _silence_stdout()
    sys.exit(status)


def _silence_stdout() -> None:
    """After a failed write to stdout, drop what is buffered so exit does not report it again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None

    def main(self, args=None, prog_name=None, **extra):
        warnings.simplefilter("ignore", RuntimeWarning)
        extra.pop("standalone_mode", None)
        try:
            status = super().main(args, prog_name, standalone_mode=False, **extra)
            sys.stdout.flush()
        except ApproxgenError as exc:
            _fail(str(exc), 2)
        except OSFailure as exc:
            _fail(str(exc), 1)
        except _NO_ARGS as exc:  # a bare `approxgen` or `approxgen emit`: show the help
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            cmd = exc.ctx.command_path if exc.ctx is not None else "approxgen"
            _fail(f"{cmd}: {exc.format_message()}", exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except (_Interrupted, KeyboardInterrupt, click.Abort):
            click.echo("approxgen: interrupted", err=True)
            sys.exit(130)
        except OSError as exc:
            where = exc.filename or "<stdout>"
            _fail(f"{where}: {exc.strerror or exc}", 1)
        sys.exit(status if isinstance(status, int) else 0)


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
