"""``approxgen fit``: fit a function or spec and print (or write) the artifact."""

from __future__ import annotations

import json
import time

import click

from approxgen import outputs
from approxgen.cli.common import (Command, InputArgument, InputOption, OutputOption, block_of,
                                  fit_flags, fit_plan, input_paths, progress_option,
                                  raw_from_target, set_progress)
from approxgen.cli.summary import block_summary, summary
from approxgen.errors import ApproxgenError


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
    every input code. A block spec (block: softmax, layernorm, rmsnorm) gives a block artifact:
    its spec in full (gamma/beta inline), its inner fits and its metrics on its stated rows."""
    inputs, planned, names = input_paths(target, samples), [], []
    if output:
        planned, names = [(output, "")], ["-o"]
    if as_json:
        planned, names = planned + [(None, "")], names + ["--json"]
    outputs.validate(planned, inputs, names)
    show = set_progress(progress, quiet)
    started = time.perf_counter()
    from approxgen import blocks, fitting

    raw, source = raw_from_target(target, flags)
    if blocks.is_block_spec(raw):
        for flag, value in (("--calibrate", samples), ("--calibration", method)):
            if value is not None:
                raise ApproxgenError("applies to a function spec, not to a block spec", flag)
        from approxgen.blocks import artifact as block_artifact

        block = block_of(raw, source, flags, source)
        text = block_artifact.dumps(block)
        shown = lambda s: block_summary(block, json.loads(text)["metrics"], s)  # noqa: E731
    else:
        plan = fitting.plan(raw, source, samples, method,
                            samples_where="--calibrate", method_where="--calibration")
        result = fit_plan(plan, progress=show)
        text = result.dumps()
        shown = lambda s: summary(result, s)  # noqa: E731
    seconds = time.perf_counter() - started
    outputs.write_all([(path, text) for path, _ in planned], inputs, names)
    if not quiet and not as_json:
        click.echo(shown(seconds), err=output == "-")
