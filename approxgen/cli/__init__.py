"""The ``approxgen`` command. Each subcommand lives in a small module that parses its arguments
and calls the library. Every failure is one line on stderr, ``approxgen: error: <where>: <what>``:
bad input (an :class:`ApproxgenError` or a click usage error) exits 2, an OS error while reading or
writing (disk full, permission, ``> /dev/full``) or running out of memory exits 1, Ctrl-C exits
130.

Subcommand modules are imported only when their command runs (or ``--help`` lists them), and
they import the library (numpy, scipy, matplotlib, ...) only inside the command, so
``approxgen --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import click

from approxgen.version import __version__
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
        except KeyboardInterrupt:
            raise _Interrupted() from None

    def main(self, args=None, prog_name=None, **extra):
        warnings.simplefilter("ignore", RuntimeWarning)
        extra.pop("standalone_mode", None)
        try:
            status = super().main(args, prog_name, standalone_mode=False, **extra)
            if sys.stdout is not None:  # None: started with stdout closed (`>&-`)
                sys.stdout.flush()
        except ApproxgenError as exc:
            _fail(str(exc), 2)
        except OSFailure as exc:
            _fail(str(exc), 1)
        except _NO_ARGS as exc:  # a bare `approxgen` or `approxgen emit`: show the help
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            if (isinstance(exc, click.BadParameter) and exc.param is not None
                    and not isinstance(exc, click.MissingParameter)):
                _fail(f"{'/'.join(exc.param.opts)}: {exc.message}", 2)  # name the flag
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
        except MemoryError:  # an OS limit (ulimit -v, a container's): one line, exit 1
            _fail("out of memory: the input is too large for the memory this process may use",
                  1)
        sys.exit(status if isinstance(status, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="approxgen")
def main():
    """Fit integer-only approximations of non-linear functions and emit C and Verilog.

    Exit status: 0 ok; 1 a failed check (verify, build --check) or an OS error; 2 bad input;
    130 interrupted. Shell completion (bash): eval "$(_APPROXGEN_COMPLETE=bash_source approxgen)".
    """
