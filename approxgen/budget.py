"""Bytes as a budget (``max_bytes``): what the C header really ships, its ``static const``
tables (:func:`approxgen.emit.c.table_bytes`), kept within the spec's budget.

A form that meets the budget itself (:attr:`~approxgen.forms.Form.fits_bytes`, e.g. ``interp``,
whose node count is its byte count) fits the spec as it is. For another segmented form:

* with ``max_error_lsb`` too, the fewest bytes meeting it are the fewest segments meeting it
  (its ``segments: auto`` fit); refused when even those exceed the budget;
* otherwise the lowest error within the budget: the first count whose tables do not fit is found
  by stepping up from 2 and bisecting (:func:`approxgen.fit.auto.first_count`), and of every count
  tried that fits, the lowest max error wins.

Whatever the form, a fit whose tables exceed the budget is never returned (one error line).
"""

from __future__ import annotations

import dataclasses

from approxgen import forms
from approxgen.errors import ApproxgenError
from approxgen.fit.auto import first_count


def fit_form(form, spec, progress: bool, weights=None):
    """``(model, info)`` of ``form`` (folded when ``spec.fold`` says so:
    :func:`approxgen.forms.folded.fit`) within ``spec.max_bytes`` (when set)."""
    from approxgen.forms import folded

    def fit(spec_):
        return folded.fit(spec_, form, progress, weights)

    if spec.max_bytes is None or form.fits_bytes or not form.segmented \
            or spec.max_error_lsb is not None:
        model, info = fit(spec)
        check(model, spec)
        return model, info
    from approxgen.emit.c import table_bytes
    from approxgen.metrics import measure

    budget = spec.max_bytes
    codes = spec.domain_codes()
    reference = spec.reference(codes)
    tried: dict[int, tuple] = {}

    def attempt(k: int) -> bool:
        if k not in tried:
            model, info = fit(dataclasses.replace(spec, segments=k))
            err = measure(model.evaluate(codes), reference, spec.output)["max_error_lsb"]
            tried[k] = (model, info, table_bytes(model), err)
        return tried[k][2] <= budget

    if not attempt(1):
        raise ApproxgenError(f"even 1 segment of form {form.name} ships {tried[1][2]} bytes of "
                             f"tables, more than max_bytes {budget}", spec.at("max_bytes"))
    first_count(lambda k: not attempt(k), codes.size, lower=2)  # every count it tries is kept
    fitting = [k for k, row in tried.items() if row[2] <= budget]
    best = min(fitting, key=lambda k: (tried[k][3], tried[k][2]))
    model, info, size, err = tried[best]
    note = (f"max_bytes {budget}: {best} segments ({size} bytes) give the lowest max error "
            f"({err:.4f} LSB) of the counts tried that fit, {sorted(fitting)}")
    return model, dict(info, notes=info["notes"] + [note])


def check(model, spec) -> None:
    """Refuse ``model`` when its tables exceed ``spec.max_bytes``."""
    if spec.max_bytes is None:
        return
    from approxgen.emit.c import table_bytes

    form = forms.of(model)
    size = table_bytes(model)
    if size > spec.max_bytes:
        what = (f"max_error_lsb {spec.max_error_lsb:g} needs" if spec.max_error_lsb is not None
                else f"form {form.name} ships")
        raise ApproxgenError(f"{what} {size} bytes of tables, more than max_bytes "
                             f"{spec.max_bytes}", spec.at("max_bytes"))
