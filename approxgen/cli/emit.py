"""``approxgen emit TARGET``: render a fit into files, one subcommand per registered emitter
(:data:`approxgen.emit.EMITTERS`), built from what its module declares."""

from __future__ import annotations

import os

import click

from approxgen.errors import ApproxgenError
from approxgen.cli.common import (EmitterCommand, InputArgument, OutputOption, fit_flags,
                                  input_paths, load_target, quiet_option, refuse_given)

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
    """Render a fit as C, Verilog, VHDL or golden test vectors."""


def emit_command(target: str) -> click.Command:
    """``approxgen emit TARGET`` for the emitter ``target``: the fit flags, ``-o``, the
    emitter's options (``OPTIONS``) and further files (``EXTRA_FILES``); ``TARGET...`` and its
    flag where the emitter makes one unit of several fits (``MULTI_FIT``); the emitter's
    ``summary(fit, **options)`` line on stderr where it has one."""
    from approxgen import outputs
    from approxgen.blocks import Block
    from approxgen.emit import block_renderer, get as emitter

    module = emitter(target)
    extra_files = getattr(module, "EXTRA_FILES", ())

    multi = getattr(module, "MULTI_FIT", None)
    multi_files = multi.files if multi else ()
    files_by_name = {f.name: f for f in (*extra_files, *multi_files)}  # one flag for a name
    summary = getattr(module, "summary", None)

    def run(targets, flags, output, quiet, **options):
        targets = (targets,) if isinstance(targets, str) else targets
        extra = {name: options.pop(name) for name in files_by_name}
        as_unit = bool(multi and options.pop(multi.name))
        inputs = input_paths(*targets)
        if len(targets) > 1 and not as_unit:
            how = f"one {multi.flag} unit" if multi else f"no {target} output"
            raise ApproxgenError(f"{len(targets)} targets: several fits make {how}; give one "
                                 f"target otherwise", "TARGET")
        if as_unit:
            fits = [load_target(t, flags, quiet, announce=True) for t in targets]
            files = [(output, multi.render(fits, targets, **options))]
            written = {f.name: f for f in multi_files}
            render_extra = lambda f: f.render(fits, targets, **options)  # noqa: E731
        else:
            fit = load_target(targets[0], flags, quiet, announce=True, allow_blocks=True)
            if isinstance(fit, Block):
                _refuse_fit_options(module, files_by_name.values(), targets[0])
                files = [(output, block_renderer(module, fit, targets[0])(fit))]
                outputs.write_all(files, inputs, ["-o"])
                return
            files = [(output, module.render(fit, **options))]
            written = {f.name: f for f in extra_files}
            render_extra = lambda f: f.render(fit, **options)  # noqa: E731
        names = ["-o"]
        for name, path in extra.items():
            if not path:
                continue
            f = written.get(name)
            if f is None:
                flag = files_by_name[name].flag
                raise ApproxgenError(f"writes a file of the {multi.flag} unit only" if not
                                     as_unit else f"is no file of the {multi.flag} unit", flag)
            texts = render_extra(f)
            if f.directory:
                files += [(os.path.join(path, file), text) for file, text in texts]
                names += [f.flag] * len(texts)
            else:
                files.append((path, texts))
                names.append(f.flag)
        outputs.write_all(files, inputs, names)
        line = summary and not as_unit and not quiet and summary(fit, **options)
        if line:
            click.echo(line, err=True)

    run = QUIET(run)
    for f in reversed(files_by_name.values()):
        run = click.option(f.flag, f.name, cls=OutputOption, directory=f.directory,
                           help=f.help)(run)
    if multi:
        run = click.option(multi.flag, multi.name, is_flag=True, help=multi.help)(run)
    run = click.option("-o", "--output", cls=OutputOption, help=module.OUTPUT_HELP)(run)
    run = fit_flags(run)
    run = click.argument("targets", metavar="TARGET..." if multi else "TARGET",
                         nargs=-1 if multi else 1, required=True, cls=InputArgument)(run)
    before = (*((multi.name,) if multi else ()), *files_by_name, "quiet")
    return click.command(target, cls=EmitterCommand, emitters=(target,), before=before,
                         help=f"{module.HELP}\n\n{TARGET_HELP}")(run)


def _refuse_fit_options(module, extra_files, where: str) -> None:
    """A block spec takes none of the emitter's fit options (``--segment-search``) or further
    files: one given on the command line is refused, not ignored."""
    refuse_given([(o.name, o.flag) for o in getattr(module, "OPTIONS", ())] +
                 [(f.name, f.flag) for f in extra_files], "applies to a fit, not to a block spec",
                 where)
