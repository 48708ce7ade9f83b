"""``approxgen build``: fit and emit every spec of a project; ``--check`` for stale output."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from approxgen.cli.common import (Command, InputArgument, OutputOption, executor_options,
                                  progress_option, set_progress)


@click.command("build", cls=Command)
@click.argument("specs", nargs=-1, type=click.Path(), cls=InputArgument)
@click.option("-o", "--out", "out_dir", required=True, cls=OutputOption, directory=True,
              help="Output directory (created if missing).")
@executor_options("Specs")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 and name each file (with a short diff) that a build "
                   "would change, 0 when everything is up to date.")
@click.option("--plots", is_flag=True,
              help="Also write NAME.png (the report's plots; needs matplotlib, slower).")
@click.option("-q", "--quiet", is_flag=True, help="No per-spec lines, no progress.")
@progress_option
def build_command(specs, out_dir, executor, check, plots, quiet, progress):
    """Fit and emit every spec in SPECS (spec files, or directories of *.yaml / *.yml; default:
    the current directory) into OUT: NAME.json (the fit, also the cache), NAME.h (C), NAME.v and
    NAME_tb.v (Verilog and its test bench), NAME.hex (golden vectors), NAME.md (report) and,
    with --plots, NAME.png. A block spec (block: softmax, layernorm, rmsnorm) gives NAME.json (its
    block artifact, whose inner fits are reused as a fit is), NAME.h and NAME.v.

    A fit is reused from OUT/NAME.json when the spec's canonical hash and the approxgen version
    are unchanged; only files whose content changes are written. One line per spec: name, form,
    segments, max error, mismatches, cached or fitted.

    When SPECS are directories, files in OUT of a spec no longer built (an approxgen artifact
    NAME.json and its siblings) are named, not deleted; --check counts them as out of date.

    Exit status: 0 built / up to date; 1 --check found a file that would change or a left-over
    file, or an OS error; 2 bad input (nothing is written).
    """
    from approxgen import build
    from approxgen.outputs import write_all

    sources = build.collect(specs or ["."])
    out = Path(out_dir)
    loaded = build.load_specs(sources, out)  # each spec read once, for the checks and the build
    build.check_out([build.name_of(i) for i in loaded], out, sources, plots, check)

    def show(product):
        if not quiet:
            click.echo(product.line)

    set_progress(progress, quiet)
    products = build.build(sources, out, executor=executor, on_product=None if check else show,
                           progress=not quiet and (progress or not sys.stderr.isatty()),
                           plots=plots, loaded=loaded)
    changed = build.changes(products, out)
    files = sum(len(p.files) for p in products)
    # files of a removed or renamed spec: only a build of whole directories knows every spec
    stale = build.leftovers(products, out) if all(Path(s).is_dir() for s in specs or ["."]) \
        else []
    if stale:
        click.echo(f"{len(stale)} files in {out} belong to no spec built (removed or renamed; "
                   f"not deleted): {', '.join(p.name for p in stale)}")
    if check:
        for path, old, new in changed:
            click.echo(build.short_diff(path, old, new))
        if changed:
            click.echo(f"{len(changed)} of {files} files out of date: run approxgen build")
        if changed or stale:
            sys.exit(1)
        if not quiet:
            click.echo(f"up to date: {len(products)} specs, {files} files in {out}")
        return
    out.mkdir(parents=True, exist_ok=True)
    write_all([(path, new) for path, _, new in changed], inputs=sources)
    if not quiet:
        click.echo(f"{len(changed)} files written, {files - len(changed)} unchanged in {out}")
