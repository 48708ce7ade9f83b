"""``approxgen emit TARGET``: render a fit into files, one subcommand per registered emitter
(:data:`approxgen.emit.EMITTERS`), built from what its module declares."""

from __future__ import annotations

import click

from approxgen.cli.common import (EmitterCommand, InputArgument, OutputOption, fit_flags,
                                  input_paths, load_target, quiet_option)

TARGET_HELP = ("TARGET is a fit artifact (FIT.json), a SPEC.yaml or a function name (fitted "
               "first; with --segments auto its summary then goes to stderr: what was chosen).")
QUIET = quiet_option("No fit summary on stderr")


class _EmitGroup(click.Group):
    """``approxgen emit`` without a target is a usage error (exit 2), not a help page; its
    subcommands are the emitter registry's, each built when first asked for."""

    def parse_args(self, ctx, args):
        if not args:
            from approxgen.emit import EMITTERS

            *others, last = EMITTERS
            targets = f"{', '.join(others)} or {last}" if others else last
            raise click.UsageError(f"missing the target: {targets} (see --help)", ctx)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        from approxgen.emit import EMITTERS

        return list(EMITTERS)

    def get_command(self, ctx, cmd_name):
        from approxgen.emit import EMITTERS

        return emit_command(cmd_name) if cmd_name in EMITTERS else None


@click.group("emit", cls=_EmitGroup)
def emit_group():
    """Render a fit as C, Verilog or golden test vectors."""


def emit_command(target: str) -> click.Command:
    """``approxgen emit TARGET`` for the emitter ``target``: the fit flags, ``-o``, the
    emitter's options (``OPTIONS``) and further files (``EXTRA_FILES``)."""
    from approxgen import outputs
    from approxgen.blocks import Block
    from approxgen.emit import block_renderer, get as emitter

    module = emitter(target)
    extra_files = getattr(module, "EXTRA_FILES", ())

    def run(target, flags, output, quiet, **options):
        extra = {f.name: options.pop(f.name) for f in extra_files}
        inputs = input_paths(target)
        fit = load_target(target, flags, quiet, announce=True, allow_blocks=True)
        if isinstance(fit, Block):
            files, names = [(output, block_renderer(module, fit, target)(fit))], ["-o"]
            outputs.write_all(files, inputs, names)
            return
        files, names = [(output, module.render(fit, **options))], ["-o"]
        for f in extra_files:
            if extra[f.name]:
                files.append((extra[f.name], f.render(fit, **options)))
                names.append(f.flag)
        outputs.write_all(files, inputs, names)

    run = QUIET(run)
    for f in reversed(extra_files):
        run = click.option(f.flag, f.name, cls=OutputOption, help=f.help)(run)
    run = click.option("-o", "--output", cls=OutputOption, help=module.OUTPUT_HELP)(run)
    run = fit_flags(run)
    run = click.argument("target", cls=InputArgument)(run)
    return click.command(target, cls=EmitterCommand, emitters=(target,),
                         before=(*(f.name for f in extra_files), "quiet"),
                         help=f"{module.HELP}\n\n{TARGET_HELP}")(run)
