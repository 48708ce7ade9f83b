"""The summary of a fit that ``approxgen fit`` prints (and ``emit``/``report`` with a fitted
``segments: auto``)."""

from __future__ import annotations


def summary(result, seconds: float | None = None) -> str:
    """A short human-readable table of a fit."""
    spec, model, info = result.spec, result.model, result.search
    fn = spec.function.name if not spec.function.expr else f"expr {spec.function.expr!r}"
    from approxgen import forms
    from approxgen.emit.c import table_bytes

    form = forms.of(model)
    lines = [f"{spec.name}: {fn}, form {spec.form}" + form.summary_suffix(result),
             f"  input   {spec.input.describe()}, domain codes {spec.domain[0]}..{spec.domain[1]}"
             f" ({spec.domain[1] - spec.domain[0] + 1} codes)",
             f"  output  {spec.output.describe()}"]
    lines.append(f"  integers: {form.integers_line(model, spec)}")
    budget = f" (max_bytes {spec.max_bytes})" if spec.max_bytes is not None else ""
    lines.append(f"  C tables: {table_bytes(model)} bytes{budget}")
    if spec.bytes_target != "tables":
        from approxgen.budget import whole_bytes
        from approxgen.footprint import describe

        lines.append(f"  C kernel: {describe(whole_bytes(model, spec))}")
    lines.append(f"  {'':<15}{'max_error_lsb':>14}{'mismatches':>12}{'max_abs_error':>15}"
                 f"{'mse':>12}")
    for label, m in (("approximation", result.metrics), ("table (floor)", result.floor_metrics)):
        lines.append(f"  {label:<15}{m['max_error_lsb']:>14.4f}{m['mismatches']:>12d}"
                     f"{m['max_abs_error']:>15.6g}{m['mse']:>12.4g}")
    from approxgen.companion import metrics as companion_metrics

    m = companion_metrics(result)
    if m is not None:
        label = f"{spec.companion} (pair)"
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


def block_summary(block, metrics: dict, seconds: float | None = None) -> str:
    """A short summary of a block (:mod:`approxgen.blocks`): its formats, each inner fit's
    errors over every code of its input, and ``metrics``, the block's on the rows of
    :func:`approxgen.blocks.artifact.metric_rows` (what its artifact records)."""
    from approxgen import forms
    from approxgen.blocks.artifact import METRIC_COUNT, METRIC_SEED

    lines = [f"{block.name}: {block.kind} block, rows of at most {block.length} codes",
             f"  input   {block.input.describe()}", f"  output  {block.output.describe()}"]
    for key, fit in block.inner_fits().items():
        m = fit.metrics
        lines.append(f"  inner fit {fit.spec.name} ({key}): {forms.of(fit.model).shape(fit.model)}"
                     f", max error {m['max_error_lsb']:.4f} LSB, {m['mismatches']} of "
                     f"{m['codes']} codes off the correctly rounded table")
    m = metrics
    lines.append(f"  block on its stated rows ({METRIC_COUNT} of each kind, {block.length} codes, "
                 f"seed {METRIC_SEED}): max error {m['max_error_lsb']} LSB, mean "
                 f"{m['mean_error_lsb']:.3g} LSB, {m['mismatches']} of {m['outputs']} outputs off "
                 f"the correctly rounded block")
    if seconds is not None:
        lines.append(f"  fitted in {seconds:.2f} s")
    return "\n".join(lines)
