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

``bytes_target`` other than ``tables`` counts the whole compiled kernel instead (tables +
constants + code, :func:`approxgen.footprint.footprint`): the segment counts are tried on it, and
a form that meets a budget itself is given a table budget lowered by the code and constants it
compiles to, until the whole fits.
"""

from __future__ import annotations

import dataclasses

from approxgen import forms
from approxgen.errors import ApproxgenError
from approxgen.fit.auto import first_count


def fit_form(form, spec, progress: bool, weights=None):
    """``(model, info)`` of ``form`` (wrapped when the spec's wrapper keys say so:
    :func:`approxgen.forms.wrapped_fit`) within ``spec.max_bytes`` (when set)."""
    def fit(spec_):
        return forms.wrapped_fit(spec_, form, progress, weights)

    if spec.max_bytes is not None and form.fits_bytes and spec.bytes_target != "tables":
        return _fit_whole(fit, spec)
    if spec.max_bytes is None or form.fits_bytes or not form.segmented \
            or spec.max_error_lsb is not None:
        model, info = fit(spec)
        check(model, spec)
        return model, info
    from approxgen.metrics import measure

    budget = spec.max_bytes
    codes = spec.domain_codes()
    reference = spec.reference(codes)
    tried: dict[int, tuple] = {}

    def attempt(k: int) -> bool:
        if k not in tried:
            model, info = fit(dataclasses.replace(spec, segments=k))
            err = measure(model.evaluate(codes), reference, spec.output)["max_error_lsb"]
            tried[k] = (model, info, counted_bytes(model, spec), err)
        return tried[k][2] <= budget

    if not attempt(1):
        raise ApproxgenError(f"even 1 segment of form {form.name} ships {tried[1][2]} bytes of "
                             f"{_counted(spec)}, more than max_bytes {budget}",
                             spec.at("max_bytes"))
    first_count(lambda k: not attempt(k), codes.size, lower=2)  # every count it tries is kept
    fitting = [k for k, row in tried.items() if row[2] <= budget]
    best = min(fitting, key=lambda k: (tried[k][3], tried[k][2]))
    model, info, size, err = tried[best]
    note = (f"max_bytes {budget}: {best} segments ({size} bytes{_on(spec)}) give the lowest "
            f"max error "
            f"({err:.4f} LSB) of the counts tried that fit, {sorted(fitting)}")
    return model, dict(info, notes=info["notes"] + [note])


def counted_bytes(model, spec) -> int:
    """The bytes ``max_bytes`` counts for ``model``: its C tables, or with ``bytes_target`` the
    whole compiled kernel's (a missing or failing compiler: one error line at the key)."""
    if spec.bytes_target == "tables":
        from approxgen.emit.c import table_bytes

        return table_bytes(model)
    return whole_bytes(model, spec)["total"]


def whole_bytes(model, spec) -> dict:
    """:func:`approxgen.footprint.footprint` on ``spec.bytes_target``; a missing or failing
    compiler is one error line at the key."""
    from approxgen import footprint, tools

    try:
        return footprint.footprint(model, spec.bytes_target, companion=spec.companion)
    except (tools.ToolMissing, tools.ToolFailed) as exc:
        raise ApproxgenError(f"cannot count the compiled kernel's bytes: {exc}",
                             spec.at("bytes_target")) from None


def _counted(spec) -> str:
    return "tables" if spec.bytes_target == "tables" else f"compiled kernel on {spec.bytes_target}"


def _on(spec) -> str:
    return "" if spec.bytes_target == "tables" else f" whole on {spec.bytes_target}"


# a form that meets a table budget itself: at most this many refits with a lower one
WHOLE_ROUNDS = 6


def _fit_whole(fit, spec):
    """A form that meets ``max_bytes`` on its tables itself, with the whole kernel counted: fit
    at a table budget, compile, lower the table budget by the excess, until the whole fits."""
    from approxgen.emit.c import table_bytes

    budget, tables = spec.max_bytes, spec.max_bytes
    for _ in range(WHOLE_ROUNDS):
        model, info = fit(dataclasses.replace(spec, max_bytes=tables))
        whole = counted_bytes(model, spec)
        if whole <= budget:
            note = (f"max_bytes {budget} whole on {spec.bytes_target}: {whole} bytes "
                    f"({table_bytes(model)} of tables)")
            return model, dict(info, notes=info["notes"] + [note])
        tables -= max(2, whole - budget)
        if tables < 1:
            break
    raise ApproxgenError(f"the compiled kernel on {spec.bytes_target} takes {whole} bytes, more "
                         f"than max_bytes {budget}, whatever its tables", spec.at("max_bytes"))


def check(model, spec) -> None:
    """Refuse ``model`` when its tables (or with ``bytes_target``, its whole compiled kernel)
    exceed ``spec.max_bytes``."""
    if spec.max_bytes is None:
        return
    form = forms.of(model)
    size = counted_bytes(model, spec)
    if size > spec.max_bytes:
        what = (f"max_error_lsb {spec.max_error_lsb:g} needs" if spec.max_error_lsb is not None
                else f"form {form.name} ships")
        raise ApproxgenError(f"{what} {size} bytes of {_counted(spec)}, more than max_bytes "
                             f"{spec.max_bytes}", spec.at("max_bytes"))
