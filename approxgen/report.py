"""Human-facing views of a fit: a per-segment table and an error plot."""

from __future__ import annotations

import numpy as np

from approxgen.artifact import Fit
from approxgen.metrics import correctly_rounded, target


def segment_table(fit: Fit) -> str:
    """One row per pwl segment: its codes and real range, integers, and its measured errors."""
    spec, model = fit.spec, fit.model
    if spec.form != "pwl":
        return f"table of {len(model.values)} entries, codes {model.lo_code}..{model.hi_code}"
    codes = spec.domain_codes()
    reference = target(spec, codes)
    err_lsb = (model.evaluate(codes) * spec.output.scale - reference) / spec.output.scale
    floor = correctly_rounded(reference, spec.output)
    idx = model.segment_index(codes)
    rows = [f"  {'seg':>3} {'codes':>13} {'x from':>10} {'x to':>10} {'slope':>10} "
            f"{'intercept':>11} {'max_err_lsb':>11} {'mismatch':>8}"]
    for i, (lo, hi) in enumerate(model.segment_ranges()):
        mask = idx == i
        if not mask.any():
            continue
        seg_codes = codes[mask]
        rows.append(f"  {i:>3} {f'{seg_codes[0]}..{seg_codes[-1]}':>13} "
                    f"{seg_codes[0] * spec.input.scale:>10.5g} "
                    f"{seg_codes[-1] * spec.input.scale:>10.5g} {model.slopes[i]:>10d} "
                    f"{model.intercepts[i]:>11d} {np.max(np.abs(err_lsb[mask])):>11.4f} "
                    f"{int(np.count_nonzero(model.evaluate(seg_codes) != floor[mask])):>8d}")
    return "\n".join(rows)


def plot(fit: Fit, path: str) -> None:
    """Write a PNG: the function and the approximation, and the error in output LSB per code."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec, model = fit.spec, fit.model
    codes = spec.domain_codes()
    x = codes * spec.input.scale
    reference = target(spec, codes)
    y = model.evaluate(codes) * spec.output.scale
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    top.plot(x, reference, label="sat(f) (float64)", color="black", linewidth=1)
    top.step(x, y, where="mid", label=f"{spec.form} (integer)", color="tab:blue", linewidth=1)
    if spec.form == "pwl":
        for b in model.breakpoints:
            top.axvline(b * spec.input.scale, color="tab:gray", linewidth=0.5, linestyle=":")
    top.set_ylabel("output")
    top.set_title(f"{spec.name}: max error {fit.metrics['max_error_lsb']:.3f} LSB "
                  f"(floor {fit.floor_metrics['max_error_lsb']:.3f})")
    top.legend(loc="best")
    bottom.plot(x, (y - reference) / spec.output.scale, color="tab:red", linewidth=0.8)
    bottom.axhline(0.5, color="tab:gray", linewidth=0.5, linestyle="--")
    bottom.axhline(-0.5, color="tab:gray", linewidth=0.5, linestyle="--")
    bottom.set_ylabel("error (LSB)")
    bottom.set_xlabel("x")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
