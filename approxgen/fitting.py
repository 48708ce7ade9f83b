"""The fitting driver: a validated spec in, a :class:`~approxgen.artifact.Fit` (integers +
metrics) out. It stands above the forms (golden models), their solvers (:mod:`approxgen.fit`) and
the searches: it runs the form's fitting (:attr:`approxgen.forms.Form.fitter`; folded and held to
``max_bytes`` by :mod:`approxgen.budget`), and here live the search-driven fittings of the
segmented forms (pwl, quadratic) and the calibrated fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from approxgen import calibrate, forms, search as searches, spec as specs
from approxgen.artifact import Fit
from approxgen.errors import ApproxgenError
from approxgen.fit.decode import on_grid
from approxgen.fit.problem import PwlProblem
from approxgen.fit.quadratic import QuadraticProblem
from approxgen.metrics import measure, measure_model, target
from approxgen.spec import Spec

ACC_TOLERANCE_LSB = 1 / 16  # acc_bits auto: what a 32-bit accumulator may cost in max error


def fit(spec: Spec, progress: bool = True, weights: np.ndarray | None = None) -> Fit:
    """Fit ``spec`` and measure the result over every code of its domain.

    ``progress``: let long searches show a progress bar (only ever on a terminal's stderr).
    ``weights``: with ``weights: samples``, one weight per domain code (the calibration
    histogram, :func:`approxgen.calibrate.code_weights`); the objective is weighted by them.
    """
    if spec.weights == "none":
        weights = None
    elif weights is None:
        raise ApproxgenError("weights: samples needs calibration samples (--calibrate, or "
                             "calibrate= in the API)", spec.at("weights"))
    form = forms.get(spec.form)
    if weights is not None and not form.weighted:
        raise ApproxgenError(f"form {spec.form} does not fit weighted objectives (weights: "
                             f"samples works with form pwl)", spec.at("weights"))
    from approxgen.budget import fit_form

    model, info = fit_form(form, spec, progress, weights)  # max_bytes; fold
    metrics, floor_metrics = measure_model(spec, model)
    return Fit(spec=spec, model=model, metrics=metrics, floor_metrics=floor_metrics, search=info)


def _fit_pwl(spec: Spec, segments: int, progress: bool = False, weights=None):
    """The pwl fit with ``segments``, its shift chosen for ``spec.acc_bits``.

    ``64``: the automatic shift (whatever accumulator it needs, up to 62 bits). ``32``: the
    largest shift whose accumulator fits 32 bits. ``auto``: the 32-bit choice when its max error
    is at most :data:`ACC_TOLERANCE_LSB` above the 64-bit choice's, else the 64-bit one.
    """
    wide, info = _fit_pwl_at(spec, segments, None, progress, weights)
    bits = wide.widths().acc_bits
    if spec.acc_bits == 64 or bits <= 32:
        return wide, info
    where = f"{spec.source}: acc_bits" if spec.source != "<flags>" else "--acc-bits"
    if spec.slope_format is not None:
        if spec.acc_bits == 32:
            raise ApproxgenError(f"the fixed coef_format needs a {bits}-bit accumulator, more "
                                 f"than 32", where)
        return wide, info
    shift = wide.shift - (bits - 32)
    while shift >= 0:
        narrow, narrow_info = _fit_pwl_at(spec, segments, shift, progress, weights)
        if narrow.widths().acc_bits <= 32:
            break
        shift -= 1
    else:
        if spec.acc_bits == 32:
            raise ApproxgenError("no shift gives a 32-bit accumulator", where)
        return wide, info
    codes = spec.domain_codes()
    reference = target(spec, codes)
    errors = [measure(m.evaluate(codes), reference, spec.output)["max_error_lsb"]
              for m in (wide, narrow)]
    cost = f"{errors[1] - errors[0]:+.4f} LSB max error"
    if spec.acc_bits == 32 or errors[1] <= errors[0] + ACC_TOLERANCE_LSB:
        note = (f"acc_bits {spec.acc_bits}: shift {shift} for a 32-bit accumulator "
                f"({cost} against shift {wide.shift}, {bits} bits)")
        return narrow, dict(narrow_info, notes=narrow_info["notes"] + [note])
    note = (f"acc_bits auto: shift {wide.shift}, a {bits}-bit accumulator (a 32-bit one, "
            f"shift {shift}, would cost {cost})")
    return wide, dict(info, notes=info["notes"] + [note])


def _fit_pwl_at(spec: Spec, segments: int, shift: int | None, progress: bool, weights=None):
    return place(spec, problem_class(spec)(spec, segments, shift, weights), progress)


def place(spec: Spec, problem, progress: bool = False):
    """``(model, search info)``: the spec's search places the breakpoints of ``problem``."""
    result = searches.run(spec.search, problem, spec.search_options, spec.seed, progress)
    if not problem.is_valid(result.breakpoints):
        raise RuntimeError(f"search {spec.search} proposed invalid breakpoints")
    evaluation = problem.evaluate(result.breakpoints)
    notes = list(result.notes)
    snapped = on_grid(spec, problem, evaluation)  # decode_slack: the C decoder's grid
    if snapped is not None:
        evaluation, note = snapped
        notes.append(note)
    model = problem.model(evaluation)
    info = {"method": spec.search, "seed": spec.seed, "settings": result.settings,
            "notes": notes}
    return model, info


def problem_class(spec):
    """The pwl problem for the spec's objective (``rounding``: :mod:`approxgen.fit.rounding`)."""
    if spec.objective == "rounding":
        from approxgen.fit.rounding import RoundingPwlProblem

        return RoundingPwlProblem
    return PwlProblem


def _fit_auto_segments(spec: Spec, reference: np.ndarray, floor: np.ndarray, progress: bool,
                       weights=None):
    """The fewest segments meeting ``max_error_lsb`` (with weights: over the codes of positive
    weight, the codes the samples hit).

    A lower bound comes first from the exact greedy count (the fewest segments any breakpoints can
    use with optimal integer coefficients; proven for a fixed coefficient format, a starting guess
    with the automatic one, whose shift depends on the count). Then counts are tried with the
    spec's search, doubling from the bound and bisecting, counts below the bound taken as failing.
    """
    from approxgen.fit.auto import fewest_segments, least_count

    budget = spec.max_error_lsb
    codes = spec.domain_codes()
    seen = np.ones(codes.size, dtype=bool) if weights is None else np.asarray(weights) > 0
    floor_error = float(np.max(np.abs(floor * spec.output.scale - reference)[seen])) \
        / spec.output.scale
    if floor_error > budget:
        raise ApproxgenError(f"max_error_lsb {budget:g} is below the correctly rounded table's "
                             f"{floor_error:.4f} LSB: no approximation can meet it",
                             spec.at("max_error_lsb"))
    n = codes.size
    tried: dict[int, tuple] = {}

    def attempt(k: int) -> bool:
        if k not in tried:
            model, info = _fit_pwl(spec, k, progress, weights)
            err = measure(model.evaluate(codes)[seen], reference[seen],
                          spec.output)["max_error_lsb"]
            tried[k] = (model, info, err)
        return tried[k][2] <= budget

    guess, proven = 8, spec.slope_format is not None
    for _ in range(3 if not proven else 1):  # the automatic shift depends on the count
        bound = fewest_segments(PwlProblem(spec, min(guess, n), weights=weights), budget)
        if bound is None or bound == guess:
            break
        guess = bound
    lower = max(1, min(bound or 1, n))
    hi = least_count(attempt, n, budget, spec.at("max_error_lsb"), lower)
    model, info, _ = tried[hi]
    basis = ("proven lower bound" if proven and bound is not None
             else "estimated lower bound" if bound is not None else "no lower bound")
    info = dict(info, notes=info["notes"] + [f"segments auto: {hi} segments meet "
                                            f"max_error_lsb {budget:g} ({basis} {lower}); "
                                            f"tried {sorted(tried)}"])
    return model, info


def fit_pwl(spec: Spec, progress: bool = False, weights=None):
    """``(model, search info)`` of ``form: pwl`` (:attr:`approxgen.forms.Form.fitter`)."""
    if spec.segments == "auto" and spec.objective == "rounding":
        from approxgen.fit.rounding import RoundingPwlProblem, fit_exact

        return fit_exact(spec, RoundingPwlProblem)
    if spec.segments == "auto":
        from approxgen.metrics import correctly_rounded, target

        reference = target(spec, spec.domain_codes())  # sat(f)

        return _fit_auto_segments(spec, reference,
                                  correctly_rounded(reference, spec.output), progress,
                                  weights)
    return _fit_pwl(spec, spec.segments, progress, weights)


def fit_quadratic(spec, progress: bool = False, weights=None):
    """``(model, info)``: the spec's segment count (or, with ``segments: auto``, the fewest that
    meet ``max_error_lsb``, counting up by bisection) placed by the spec's search."""
    from approxgen.fit.auto import least_count
    from approxgen.metrics import measure

    problem_class = QuadraticProblem
    if spec.objective == "rounding":
        from approxgen.fit.rounding import RoundingQuadraticProblem, fit_exact

        problem_class = RoundingQuadraticProblem
        if spec.segments == "auto":
            return fit_exact(spec, problem_class)

    def run(k: int):
        return place(spec, problem_class(spec, k), progress)

    if spec.segments != "auto":
        return run(spec.segments)
    codes = spec.domain_codes()
    reference = spec.reference(codes)
    budget, n = spec.max_error_lsb, codes.size
    tried: dict[int, tuple] = {}

    def attempt(k: int) -> bool:
        if k not in tried:
            model, info = run(k)
            tried[k] = (model, info,
                        measure(model.evaluate(codes), reference, spec.output)["max_error_lsb"])
        return tried[k][2] <= budget

    hi = least_count(attempt, n, budget, spec.at("max_error_lsb"))
    model, info, _ = tried[hi]
    return model, dict(info, notes=info["notes"] + [
        f"segments auto: {hi} segments meet max_error_lsb {budget:g}; tried {sorted(tried)}"])


def fit_calibrated(raw: dict, source: str, samples_source: Any, method: str | None,
                   progress: bool = False, samples_where: str = "calibrate",
                   method_where: str = "calibration"):
    """Calibrate ``raw`` on the samples, fit it, and attach the calibration record."""
    calibrate.parse_method(method, method_where)
    samples = calibrate.load_samples(samples_source, samples_where)
    if isinstance(samples_source, (str, Path)):
        samples_where = str(samples_source)
    spec = specs.resolve(calibrate.calibrated_raw(raw, source, samples, method, method_where,
                                        samples_where), source)
    weights = calibrate.code_weights(spec, calibrate.record(spec, samples, method))
    return calibrate.attach(fit(spec, progress=progress, weights=weights), samples, method)
