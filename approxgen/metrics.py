"""Error metrics over every input code of the fitting domain.

The target is what the output format can hold: ``g = sat(f)``, the float64 reference clipped to
the output range (in real units). Every fit and every metric is against ``g``; how many domain
codes saturate and the largest clipping gap ``|f - g|`` are reported beside the metrics, so a fit
never spends itself on an error no output code can remove.
"""

from __future__ import annotations

import numpy as np

from approxgen.fixedpoint import IntFormat


def saturate(reference: np.ndarray, out: IntFormat) -> np.ndarray:
    """``g = sat(f)``: the reference clipped to the output range, in real units."""
    return np.clip(np.asarray(reference, dtype=np.float64), out.min_code * out.scale,
                   out.max_code * out.scale)


def target(spec, codes: np.ndarray) -> np.ndarray:
    """The fitting target ``sat(f(q * S_in))`` of ``spec`` at ``codes``, in real units."""
    return saturate(spec.reference(codes), spec.output)


def saturation(reference: np.ndarray, out: IntFormat) -> dict:
    """How many codes the output range clips (``saturated_codes``) and the largest clipping gap
    ``|f - sat(f)|`` in output LSB (``max_clip_lsb``)."""
    reference = np.asarray(reference, dtype=np.float64)
    gap = np.abs(reference - saturate(reference, out))
    return {"saturated_codes": int(np.count_nonzero(gap > 0)),
            "max_clip_lsb": float(gap.max() / out.scale) if gap.size else 0.0}


def correctly_rounded(reference: np.ndarray, out: IntFormat) -> np.ndarray:
    """The floor of every approximation: ``sat(round(f / S_out))``, ties rounded up
    (the same codes as rounding ``sat(f)``: the output range ends on integer codes)."""
    codes = np.floor(np.asarray(reference, dtype=np.float64) / out.scale + 0.5)
    return np.clip(codes, out.min_code, out.max_code).astype(np.int64)


def measure(outputs: np.ndarray, reference: np.ndarray, out: IntFormat) -> dict:
    """``mse`` and ``max_abs_error`` in real units, ``max_error_lsb`` and ``mismatches``, against
    ``sat(reference)``.

    ``mismatches`` counts codes whose output differs from :func:`correctly_rounded`.
    """
    outputs = np.asarray(outputs, dtype=np.int64)
    goal = saturate(reference, out)
    error = outputs.astype(np.float64) * out.scale - goal
    max_abs = float(np.max(np.abs(error)))
    return {
        "codes": int(outputs.size),
        "mse": float(np.mean(error * error)),
        "max_abs_error": max_abs,
        "max_error_lsb": max_abs / out.scale,
        "mismatches": int(np.count_nonzero(outputs != correctly_rounded(goal, out))),
    }


def measure_model(spec, model) -> tuple[dict, dict]:
    """Metrics of ``model`` (with :func:`saturation` of the target) and of the correctly rounded
    table over ``spec``'s domain codes."""
    codes = spec.domain_codes()
    reference = spec.reference(codes)
    floor = correctly_rounded(reference, spec.output)
    metrics = {**measure(model.evaluate(codes), reference, spec.output),
               **saturation(reference, spec.output)}
    return metrics, measure(floor, reference, spec.output)


def measure_samples(outputs: np.ndarray, reference: np.ndarray, out: IntFormat,
                    counts: np.ndarray) -> dict:
    """``sample_mse`` (real units) and ``sample_max_error_lsb`` at codes seen ``counts`` times:
    the errors of :func:`measure` (against ``sat(reference)``) weighted by how often calibration
    samples hit each code."""
    error = (np.asarray(outputs, dtype=np.int64).astype(np.float64) * out.scale
             - saturate(reference, out))
    weights = np.asarray(counts, dtype=np.float64)
    return {"sample_mse": float(np.sum(weights * error * error) / np.sum(weights)),
            "sample_max_error_lsb": float(np.max(np.abs(error))) / out.scale}
