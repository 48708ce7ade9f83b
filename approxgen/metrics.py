"""Error metrics over every input code of the fitting domain, against float64 ``f(q * S_in)``."""

from __future__ import annotations

import numpy as np

from approxgen.fixedpoint import IntFormat


def correctly_rounded(reference: np.ndarray, out: IntFormat) -> np.ndarray:
    """The floor of every approximation: ``sat(round(f / S_out))``, ties rounded up."""
    codes = np.floor(np.asarray(reference, dtype=np.float64) / out.scale + 0.5)
    return np.clip(codes, out.min_code, out.max_code).astype(np.int64)


def measure(outputs: np.ndarray, reference: np.ndarray, out: IntFormat) -> dict:
    """``mse`` and ``max_abs_error`` in real units, ``max_error_lsb`` and ``mismatches``.

    ``mismatches`` counts codes whose output differs from :func:`correctly_rounded`.
    """
    outputs = np.asarray(outputs, dtype=np.int64)
    error = outputs.astype(np.float64) * out.scale - reference
    max_abs = float(np.max(np.abs(error)))
    return {
        "codes": int(outputs.size),
        "mse": float(np.mean(error * error)),
        "max_abs_error": max_abs,
        "max_error_lsb": max_abs / out.scale,
        "mismatches": int(np.count_nonzero(outputs != correctly_rounded(reference, out))),
    }


def measure_model(spec, model) -> tuple[dict, dict]:
    """Metrics of ``model`` and of the correctly rounded table over ``spec``'s domain codes."""
    codes = spec.domain_codes()
    reference = spec.reference(codes)
    floor = correctly_rounded(reference, spec.output)
    return (measure(model.evaluate(codes), reference, spec.output),
            measure(floor, reference, spec.output))


def measure_samples(outputs: np.ndarray, reference: np.ndarray, out: IntFormat,
                    counts: np.ndarray) -> dict:
    """``sample_mse`` (real units) and ``sample_max_error_lsb`` at codes seen ``counts`` times:
    the errors of :func:`measure` weighted by how often calibration samples hit each code."""
    error = np.asarray(outputs, dtype=np.int64).astype(np.float64) * out.scale - reference
    weights = np.asarray(counts, dtype=np.float64)
    return {"sample_mse": float(np.sum(weights * error * error) / np.sum(weights)),
            "sample_max_error_lsb": float(np.max(np.abs(error))) / out.scale}
