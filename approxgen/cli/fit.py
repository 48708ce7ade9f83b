"""``approxgen fit``: fit a function or spec and print (or write) the artifact."""

from __future__ import annotations

import time

import click

from approxgen import outputs
from approxgen.cli.common import (Command, InputArgument, InputOption, OutputOption, fit_flags,
                                  fit_plan, input_paths, progress_option, raw_from_target,
                                  set_progress)


@click.command("fit", cls=Command)
@click.argument("target", cls=InputArgument)
@fit_flags
@click.option("-o", "--output", "output", cls=OutputOption,
              help="Write the fit artifact (JSON) here; '-' writes it alone to stdout (the "
                   "summary then goes to stderr).")
@click.option("--json", "as_json", is_flag=True, help="Print the artifact to stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary, no progress.")
@click.option("--calibrate", "samples", cls=InputOption,
              help="Samples of the input (.npy, .npz or .txt) picking the input scale, the "
                   "output scale and the domain that are not given; adds sample metrics.")
@click.option("--calibration", "method",
              help="How --calibrate picks the power-of-two input scale: absmax (clip nothing), "
                   "percentile:P (clip beyond the P-th percentiles), mse (least quantization "
                   "error) or output-mse (least error of the fitted output over the samples). "
                   "Default output-mse (measured best). absmax:exact and percentile:P:exact pick "
                   "exact input and output scales instead of powers of two.")
@progress_option
def fit_command(target, flags, output, as_json, quiet, samples, method, progress):
    """Fit TARGET (a built-in function name, a SPEC.yaml, or '-' for a spec on stdin) over
    every input code."""
    inputs, planned, names = input_paths(target, samples), [], []
    if output:
        planned, names = [(output, "")], ["-o"]
    if as_json:
        planned, names = planned + [(None, "")], names + ["--json"]
    outputs.validate(planned, inputs, names)
    show = set_progress(progress, quiet)
    started = time.perf_counter()
    from approxgen import calibrate

    plan = calibrate.plan(*raw_from_target(target, flags), samples, method,
                          samples_where="--calibrate", method_where="--calibration")
    result = fit_plan(plan, progress=show)
    seconds = time.perf_counter() - started
    text = result.dumps()
    outputs.write_all([(path, text) for path, _ in planned], inputs, names)
    if not quiet and not as_json:
        click.echo(summary(result, seconds), err=output == "-")


def summary(result, seconds: float | None = None) -> str:
    """A short human-readable table of a fit."""
    spec, model, info = result.spec, result.model, result.search
    fn = spec.function.name if not spec.function.expr else f"expr {spec.function.expr!r}"
    from approxgen import forms

    form = forms.of(model)
    lines = [f"{spec.name}: {fn}, form {spec.form}" + form.summary_suffix(result),
             f"  input   {spec.input.describe()}, domain codes {spec.domain[0]}..{spec.domain[1]}"
             f" ({spec.domain[1] - spec.domain[0] + 1} codes)",
             f"  output  {spec.output.describe()}"]
    lines.append(f"  integers: {form.integers_line(model, spec)}")
    budget = f" (max_bytes {spec.max_bytes})" if spec.max_bytes is not None else ""
    lines.append(f"  C tables: {form.table_bytes(model)} bytes{budget}")
    lines.append(f"  {'':<15}{'max_error_lsb':>14}{'mismatches':>12}{'max_abs_error':>15}"
                 f"{'mse':>12}")
    for label, m in (("approximation", result.metrics), ("table (floor)", result.floor_metrics)):
        lines.append(f"  {label:<15}{m['max_error_lsb']:>14.4f}{m['mismatches']:>12d}"
                     f"{m['max_abs_error']:>15.6g}{m['mse']:>12.4g}")
    m = result.metrics
    lines.append(f"  target: sat(f); f leaves the output range on {m['saturated_codes']} of "
                 f"{m['codes']} domain codes (largest clipping gap {m['max_clip_lsb']:.4g} LSB)")
    if result.calibration is not None:
        lines += calibration_lines(result)
    for note in info.get("notes", []):
        lines.append(f"  note: {note}")
    if seconds is not None:
        lines.append(f"  fitted in {seconds:.2f} s")
    return "\n".join(lines)


def calibration_lines(result) -> list[str]:
    """The summary of a calibrated fit: coverage of the samples, and the sample metrics."""
    from approxgen.calibrate import outside_domain

    cal, m = result.calibration, result.metrics
    n = cal["samples"]
    outside = outside_domain(result.spec, cal)
    return [f"  calibration {cal['method']} on {n} samples (sha256 {cal['sha256']}): "
            f"{cal['clipped']} ({100 * cal['clipped'] / n:.3g}%) clipped at the input, "
            f"{outside} ({100 * outside / n:.3g}%) outside the domain",
            f"  {'over samples':<15}{m['sample_max_error_lsb']:>14.4f}{'':>12}{'':>15}"
            f"{m['sample_mse']:>12.4g}"]
