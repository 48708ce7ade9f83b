"""Human-facing views of a fit: a per-segment table, a JSON summary, a Markdown report and error
plots. Every view is deterministic (no dates, no paths): a build writes the same bytes each time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from approxgen import forms
from approxgen.errors import ApproxgenError
from approxgen.metrics import correctly_rounded, target

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
# Metadata the plot formats would otherwise fill with a date or a version: left out.
PLOT_METADATA = {".png": {"Software": None},
                  ".svg": {"Date": None, "Creator": None},
                  ".pdf": {"CreationDate": None, "ModDate": None, "Creator": None,
                           "Producer": None}}


def _outputs(fit):
    """Domain codes, float64 target sat(f), the model's and the correctly rounded table's outputs."""
    spec = fit.spec
    codes = spec.domain_codes()
    reference = target(spec, codes)  # sat(f): what the output can hold
    return codes, reference, fit.model.evaluate(codes), correctly_rounded(reference, spec.output)


def folded(fit) -> bool:
    """Whether ``fit`` is folded: its segments are those of the half, on ``|q|``."""
    from approxgen.forms.folded import FoldedModel

    return isinstance(fit.model, FoldedModel)


def segment_rows(fit) -> list[dict]:
    """One dict per segment that holds domain codes: codes, real range, the form's integers,
    errors (none for an unsegmented form). A folded fit's segments are the half's: their codes
    and range are of ``|q|`` (each segment serves ``q`` and ``-q``) and the row says
    ``"of_abs": True``."""
    spec, model = fit.spec, fit.model
    form = forms.of(model)
    if not form.segmented:
        return []
    codes, reference, y, floor = _outputs(fit)
    err_lsb = np.abs(y * spec.output.scale - reference) / spec.output.scale
    idx = model.segment_index(codes)
    of_abs = folded(fit)
    rows = []
    for i in range(model.segments):
        mask = idx == i
        if not mask.any():
            continue
        seg = np.unique(np.abs(codes[mask])) if of_abs else codes[mask]
        rows.append({**({"of_abs": True} if of_abs else {}), "segment": i, "lo_code": int(seg[0]), "hi_code": int(seg[-1]),
                     "x_lo": float(seg[0] * spec.input.scale),
                     "x_hi": float(seg[-1] * spec.input.scale),
                     **form.row_values(model, i),
                     "max_error_lsb": float(np.max(err_lsb[mask])),
                     "mismatches": int(np.count_nonzero(y[mask] != floor[mask]))})
    return rows


def segment_table(fit) -> str:
    """One text row per segment: its codes and real range, integers, measured errors."""
    form = forms.of(fit.model)
    if not form.segmented:
        return form.segment_table(fit)
    columns = form.row_columns()
    of_abs = folded(fit)  # the half's segments: codes and range of |q|
    codes, x_from, x_to = ("|q| codes", "|x| from", "|x| to") if of_abs else \
        ("codes", "x from", "x to")
    lines = [f"  {'seg':>3} {codes:>13} {x_from:>10} {x_to:>10} "
             + "".join(f"{name:>{width}} " for name, width in columns)
             + f"{'max_err_lsb':>11} {'mismatch':>8}"]
    for r in segment_rows(fit):
        codes = f"{r['lo_code']}..{r['hi_code']}"
        lines.append(f"  {r['segment']:>3} {codes:>13} {r['x_lo']:>10.5g} {r['x_hi']:>10.5g} "
                     + "".join(f"{r[name]:>{width}d} " for name, width in columns)
                     + f"{r['max_error_lsb']:>11.4f} {r['mismatches']:>8d}")
    return "\n".join(lines)


def to_json(fit) -> dict:
    """The report as data (``report --json``): spec, integers, metrics and segments."""
    data = fit.to_json()
    return {"name": fit.spec.name, "spec": data["spec"], "model": data["model"],
            "search": data["search"], "metrics": data["metrics"],
            "floor_metrics": data["floor_metrics"], "segments": segment_rows(fit)}


def markdown(fit, plots: list[str] = ()) -> str:
    """A Markdown summary: formats, integers, metrics beside the correctly rounded table's, every
    segment, and links to ``plots`` (paths relative to the Markdown file)."""
    from approxgen.emit import provenance

    spec, model, info = fit.spec, fit.model, fit.search
    function = f"expr `{spec.function.expr}`" if spec.function.expr else spec.function.name
    lines = [f"# {spec.name}", "", f"<!-- {provenance(fit)[0]} -->", "",
             f"- function: {function}",
             f"- input: {spec.input.describe()}, domain codes {spec.domain[0]}..{spec.domain[1]} "
             f"({spec.domain[1] - spec.domain[0] + 1} codes)",
             f"- output: {spec.output.describe()}"]
    lines += forms.of(model).markdown_lines(fit)
    lines += [f"- spec hash: `{spec.hash()}`", "", "## Metrics", "",
              "Over every domain code, against float64 f; mismatches: codes whose output "
              "differs from the correctly rounded table.", "",
              "| | max error (LSB) | mismatches | max abs error | mse |", "|---|---:|---:|---:|---:|"]
    for label, m in (("approximation", fit.metrics), ("correctly rounded table", fit.floor_metrics)):
        lines.append(f"| {label} | {m['max_error_lsb']:.4f} | {m['mismatches']} | "
                     f"{m['max_abs_error']:.6g} | {m['mse']:.6g} |")
    if fit.calibration is not None:
        m = fit.metrics
        lines += ["", f"Over the {fit.calibration['samples']} calibration samples "
                      f"({fit.calibration['method']}): max error "
                      f"{m['sample_max_error_lsb']:.4f} LSB, mse {m['sample_mse']:.6g}."]
    for note in info.get("notes", []):
        lines += ["", f"Note: {note}"]
    rows = segment_rows(fit)
    if rows:
        names = [name for name, _ in forms.of(model).row_columns()]
        of_abs = folded(fit)
        head = r"\|q\| codes | \|x\| from | \|x\| to" if of_abs else "codes | x from | x to"
        lines += ["", "## Segments", ""]
        if of_abs:
            lines += ["The segments of the half: codes and range of |q|; each segment serves "
                      "q and -q.", ""]
        lines += ["| seg | " + head + " | " + "".join(f"{n} | " for n in names)
                  + "max error (LSB) | mismatches |",
                  "|---:|---|---:|---:|" + "---:|" * len(names) + "---:|---:|"]
        for r in rows:
            lines.append(f"| {r['segment']} | {r['lo_code']}..{r['hi_code']} | {r['x_lo']:.5g} | "
                         f"{r['x_hi']:.5g} | " + "".join(f"{r[n]} | " for n in names)
                         + f"{r['max_error_lsb']:.4f} | {r['mismatches']} |")
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def check_plot_path(path: str, where: str = "--plot") -> str:
    """The plot format of ``path`` (its suffix), or an error naming ``where``."""
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_SUFFIXES:
        raise ApproxgenError(f"a plot is {', '.join(PLOT_SUFFIXES)}, got {path!r}", where)
    return suffix


def plot_bytes(fit, suffix: str = ".png") -> bytes:
    """A plot (.png, .svg or .pdf; deterministic bytes): the function and the approximation with
    its segment boundaries; the error per code in output LSB beside the correctly rounded
    table's, mismatching codes marked; for a calibrated fit, under them the samples' histogram
    over the domain codes (what ``weights: samples`` weights the fit by)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec, model = fit.spec, fit.model
    codes, reference, y, floor = _outputs(fit)
    x = codes * spec.input.scale
    lsb = spec.output.scale
    calibrated = fit.calibration is not None
    with matplotlib.rc_context({"svg.hashsalt": "approxgen", "path.simplify": False}):
        fig, axes = plt.subplots(3 if calibrated else 2, 1, figsize=(8, 8 if calibrated else 6),
                                 sharex=True,
                                 gridspec_kw={"height_ratios": [2, 1, 1][:2 + calibrated]})
        top, bottom = axes[0], axes[1]
        top.plot(x, reference, label="sat(f) (float64)", color="black", linewidth=1)
        top.step(x, y * lsb, where="mid", label=f"{spec.form} (integer)", color="tab:blue",
                 linewidth=1)
        for b in forms.of(model).boundaries(model):
            top.axvline(b * spec.input.scale, color="tab:gray", linewidth=0.5, linestyle=":")
        top.set_ylabel("output")
        top.set_title(f"{spec.name}: max error {fit.metrics['max_error_lsb']:.3f} LSB, "
                      f"{fit.metrics['mismatches']} mismatches "
                      f"(table {fit.floor_metrics['max_error_lsb']:.3f})")
        top.legend(loc="best")
        _error_panel(bottom, x, y - reference / lsb, floor - reference / lsb, y != floor,
                     spec.form)
        bottom.set_ylabel("error (LSB)")
        if calibrated:
            _histogram(axes[2], fit, x)
        axes[-1].set_xlabel("x")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix[1:], dpi=100, metadata=PLOT_METADATA[suffix])
        plt.close(fig)
    return buffer.getvalue()


PLOT_COLUMNS = 600  # above twice this many codes, the error panel draws an envelope per column


def column_envelope(values: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first index, min, max)`` of ``values`` in ``columns`` runs of consecutive codes."""
    starts = np.linspace(0, values.size, columns + 1).astype(np.int64)[:-1]
    return starts, np.minimum.reduceat(values, starts), np.maximum.reduceat(values, starts)


def _error_panel(axis, x, err, floor_err, bad, form: str) -> None:
    """Error per code in LSB, the correctly rounded table's beside it, mismatches marked. With
    many codes (int16: 65,536 on ~700 pixels) one line per code would be a solid block: each
    column of codes is drawn as its min..max envelope, and every column holding a mismatch gets
    a tick along the bottom."""
    label = f"mismatch ({int(bad.sum())} codes)"
    if x.size <= 2 * PLOT_COLUMNS:
        axis.plot(x, floor_err, color="tab:gray", linewidth=0.8, label="correctly rounded table")
        axis.plot(x, err, color="tab:red", linewidth=0.8, label=form)
        if bad.any():
            axis.plot(x[bad], err[bad], "x", color="tab:red", markersize=4, label=label)
        axis.legend(loc="best", fontsize="small")
        return
    starts, lo, hi = column_envelope(err, PLOT_COLUMNS)
    _, floor_lo, floor_hi = column_envelope(floor_err, PLOT_COLUMNS)
    _, _, any_bad = column_envelope(bad.astype(np.int8), PLOT_COLUMNS)
    xs = x[starts]
    axis.fill_between(xs, lo, hi, step="post", color="tab:red", alpha=0.45, linewidth=0,
                      label=f"{form} (min..max of {x.size // PLOT_COLUMNS} codes a column)")
    axis.step(xs, floor_lo, where="post", color="tab:gray", linewidth=0.8,
              label="correctly rounded table (min, max)")
    axis.step(xs, floor_hi, where="post", color="tab:gray", linewidth=0.8)
    if bad.any():
        axis.plot(xs[any_bad > 0], np.full(int(np.count_nonzero(any_bad)), 0.04), "|",
                  color="black", markersize=5, transform=axis.get_xaxis_transform(),
                  label=label)
    low, high = min(lo.min(), floor_lo.min()), max(hi.max(), floor_hi.max())
    span = max(high - low, 1e-9)
    axis.set_ylim(low - 0.15 * span, high + 0.5 * span)  # room for the ticks and the legend
    axis.legend(loc="upper center", ncol=2, fontsize="small")


def _histogram(axis, fit, x) -> None:
    """The calibration samples per domain code (log scale), the weights of ``weights: samples``."""
    from approxgen.calibrate import code_weights, outside_domain

    counts = code_weights(fit.spec, fit.calibration)
    cal = fit.calibration
    axis.fill_between(x, counts, step="mid", color="tab:green", alpha=0.6, linewidth=0)
    axis.set_yscale("symlog", linthresh=1.0)
    axis.set_ylim(bottom=0)
    used = "weights of the fit" if fit.spec.weights == "samples" else "not weighting the fit"
    axis.set_ylabel("samples")
    axis.set_title(f"{cal['samples']} calibration samples ({used}); "
                   f"{outside_domain(fit.spec, cal)} outside the domain", fontsize="small")
