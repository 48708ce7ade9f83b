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
