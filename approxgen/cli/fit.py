"""``approxgen fit``: fit a function or spec and print (or write) the artifact."""

from __future__ import annotations

import time

import click

from approxgen.cli.common import fit_flags, spec_from_target, write_output


@click.command("fit")
@click.argument("target")
@fit_flags
@click.option("-o", "--output", "output", help="Write the fit artifact (JSON) here.")
@click.option("--json", "as_json", is_flag=True, help="Print the artifact to stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary, no progress.")
def fit_command(target, flags, output, as_json, quiet):
    """Fit TARGET (a built-in function name or a SPEC.yaml) over every input code."""
    from approxgen.fit import fit

    spec = spec_from_target(target, flags)
    started = time.perf_counter()
    result = fit(spec, progress=not quiet)
    seconds = time.perf_counter() - started
    text = result.dumps()
    if output:
        write_output(output, text)
    if as_json:
        write_output(None, text)
    elif not quiet:
        click.echo(summary(result, seconds))


def summary(result, seconds: float | None = None) -> str:
    """A short human-readable table of a fit."""
    spec, model, info = result.spec, result.model, result.search
    fn = spec.function.name if not spec.function.expr else f"expr {spec.function.expr!r}"
    lines = [f"{spec.name}: {fn}, form {spec.form}"
             + (f", {model.segments} segments" if spec.form == "pwl" else "")
             + (f", search {info['method']} (seed {info['seed']}), objective {spec.objective}"
                if spec.form == "pwl" else ""),
             f"  input   {spec.input.describe()}, domain codes {spec.domain[0]}..{spec.domain[1]}"
             f" ({spec.domain[1] - spec.domain[0] + 1} codes)",
             f"  output  {spec.output.describe()}"]
    if spec.form == "pwl":
        w = model.widths()
        lines.append(f"  integers: slope {model.slope_bits} b, intercept {model.intercept_bits} b"
                     f" (<< {model.intercept_shift}), shift {model.shift}, "
                     f"accumulator {w.acc_bits} b")
    else:
        lines.append(f"  integers: {len(model.values)} table entries of {spec.output.bits} b")
    lines.append(f"  {'':<15}{'max_error_lsb':>14}{'mismatches':>12}{'max_abs_error':>15}"
                 f"{'mse':>12}")
    for label, m in (("approximation", result.metrics), ("table (floor)", result.floor_metrics)):
        lines.append(f"  {label:<15}{m['max_error_lsb']:>14.4f}{m['mismatches']:>12d}"
                     f"{m['max_abs_error']:>15.6g}{m['mse']:>12.4g}")
    m = result.metrics
    lines.append(f"  target: sat(f); f leaves the output range on {m['saturated_codes']} of "
                 f"{m['codes']} domain codes (largest clipping gap {m['max_clip_lsb']:.4g} LSB)")
    for note in info.get("notes", []):
        lines.append(f"  note: {note}")
    if seconds is not None:
        lines.append(f"  fitted in {seconds:.2f} s")
    return "\n".join(lines)
