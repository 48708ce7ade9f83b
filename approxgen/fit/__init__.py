"""Fitting: a validated spec in, a :class:`~approxgen.artifact.Fit` (integers + metrics) out."""

from __future__ import annotations

import numpy as np

from approxgen import search as searches
from approxgen.artifact import Fit
from approxgen.errors import ApproxgenError
from approxgen.fit.problem import PwlProblem
from approxgen.metrics import correctly_rounded, measure, measure_model
from approxgen.model import TableModel
from approxgen.spec import Spec


def fit(spec: Spec) -> Fit:
    """Fit ``spec`` and measure the result over every code of its domain."""
    codes = spec.domain_codes()
    reference = spec.reference(codes)
    floor = correctly_rounded(reference, spec.output)
    if spec.form == "table":
        model = TableModel(spec.input, spec.output, spec.domain[0], tuple(int(v) for v in floor))
        info = {"method": "table", "seed": spec.seed, "settings": {}, "notes": []}
    elif spec.segments == "auto":
        model, info = _fit_auto_segments(spec, reference, floor)
    else:
        model, info = _fit_pwl(spec, spec.segments)
    metrics, floor_metrics = measure_model(spec, model)
    return Fit(spec=spec, model=model, metrics=metrics, floor_metrics=floor_metrics, search=info)


def _fit_pwl(spec: Spec, segments: int):
    problem = PwlProblem(spec, segments)
    result = searches.run(spec.search, problem, spec.search_options, spec.seed)
    if not problem.is_valid(result.breakpoints):
        raise RuntimeError(f"search {spec.search} proposed invalid breakpoints")
    model = problem.model(problem.evaluate(result.breakpoints))
    info = {"method": spec.search, "seed": spec.seed, "settings": result.settings,
            "notes": list(result.notes)}
    return model, info


def _fit_auto_segments(spec: Spec, reference: np.ndarray, floor: np.ndarray):
    """The fewest segments (found by doubling, then bisection) meeting ``max_error_lsb``."""
    budget = spec.max_error_lsb
    floor_error = float(np.max(np.abs(floor * spec.output.scale - reference))) / spec.output.scale
    if floor_error > budget:
        raise ApproxgenError(f"max_error_lsb {budget:g} is below the correctly rounded table's "
                             f"{floor_error:.4f} LSB: no approximation can meet it",
                             f"{spec.source}: max_error_lsb")
    codes = spec.domain_codes()
    tried: dict[int, tuple] = {}

    def attempt(k: int) -> bool:
        if k not in tried:
            model, info = _fit_pwl(spec, k)
            err = measure(model.evaluate(codes), reference, spec.output)["max_error_lsb"]
            tried[k] = (model, info, err)
        return tried[k][2] <= budget

    n, hi = codes.size, 1
    while not attempt(hi):
        if hi == n:
            raise ApproxgenError(f"no segment count up to {n} meets max_error_lsb {budget:g}",
                                 f"{spec.source}: max_error_lsb")
        hi = min(2 * hi, n)
    lo = hi // 2  # attempt(lo) failed or lo == 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if attempt(mid) else (mid, hi)
    model, info, _ = tried[hi]
    info = dict(info, notes=info["notes"] + [f"segments auto: {hi} segments meet "
                                            f"max_error_lsb {budget:g}; tried {sorted(tried)}"])
    return model, info
