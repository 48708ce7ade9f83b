"""Range reduction (``range_reduction: exp2``): a wrapper fitting a form on a reduced argument.

``exp2`` serves the built-in ``exp`` on a signed input whose domain lies at or below 0 (codes above
the domain's top give its value there, as any form's clamp to its domain). With ``u = -q``
(``0 <= u``) and ``F, C`` of :func:`approxgen.fixedpoint.ln2_reduction` (``C = round_half_up(S_in /
ln 2 2^F)``, exact rationals)::

    t = (u C + 2^(F-R-1)) >> (F-R)         |d| / ln 2 at R fraction bits, rounded half up
    k = t >> R,  r = t & (2^R - 1)         exp(d) ~ 2^-k 2^(-r/2^R)
    g = inner(r)                           the wrapped fit of 2^-x on [0, 1): unsigned G bits
                                           at scale 2^-(G-1) (its own form, segments, objective)
    y = sat(round_half_up(g / 2^min(k + G - 1 - P, G + 2)))   the output scale 2^-P
                                           (P <= G - 1; the value at shift 0 is g itself)

``R = min(output bits, 16)``, ``G = output bits + 3`` (three guard bits below the output's LSB
at ``k = 0``). :class:`RangedForm` wraps the inner form's plug-in, so shared code never asks
whether a fit is range-reduced.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from approxgen import forms
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, ln2_reduction, saturate
from approxgen.forms import Form, json_int

C_BITS = 31  # C in [2^30, 2^31), as softmax's
JSON_KEYS = ("kind", "f", "c", "r_bits", "g_bits")
MAX_R_BITS = 16
GUARD_BITS = 3


@dataclass(frozen=True)
class Plan:
    """The reduction of a spec: ``t = round(u C / 2^(F-R))``, the inner output ``G`` bits."""

    f: int
    c: int
    r_bits: int
    g_bits: int


def plan(spec) -> Plan | str:
    """The ``exp2`` reduction of ``spec``, or why it cannot have one (one phrase)."""
    if spec.function.expr or spec.function.name != "exp":
        return "exp2 serves the built-in exp only"
    if not spec.input.signed:
        return "exp2 needs a signed input (d <= 0)"
    if spec.domain[1] > 0:
        return f"the domain reaches code {spec.domain[1]} > 0 (exp2 serves d <= 0)"
    if spec.output.scale_exp is None or spec.output.signed:
        return "exp2 needs an unsigned output at a power-of-two scale"
    r_bits = min(spec.output.bits, MAX_R_BITS)
    if -spec.output.scale_exp > spec.output.bits + GUARD_BITS - 1:
        return f"the output scale 2^{spec.output.scale_exp} is finer than 2^-(bits + 2)"
    f, c = ln2_reduction(spec.input.scale, C_BITS)
    if f < r_bits + 1 or (-spec.domain[0]) * c >= 1 << 62:
        return "the input scale leaves |d| / ln 2 outside the 62-bit reduction"
    return Plan(f, c, r_bits, min(spec.output.bits + GUARD_BITS, 31))


def inner_spec(spec, p: Plan):
    """The spec of the wrapped fit: ``2 ** (-x)`` on codes ``0..2^R-1`` at ``2^-R``, unsigned
    ``G`` bits at ``2^-(G-1)``, named ``NAME_exp2``, the spec's form, segments and objective."""
    from approxgen.functions import from_expr

    segments = spec.segments if spec.segments == "auto" else min(spec.segments, 1 << p.r_bits)
    return replace(spec.with_keys(range_reduction="none"), name=f"{spec.name}_exp2",
                   function=from_expr("2 ** (-x)"),
                   input=IntFormat(p.r_bits, False, 2.0 ** -p.r_bits),
                   output=IntFormat(p.g_bits, False, 2.0 ** -(p.g_bits - 1)),
                   domain=(0, (1 << p.r_bits) - 1), segments=segments, fold="none",
                   max_error_lsb=None, max_bytes=None)


@dataclass(frozen=True)
class Exp2Model:
    """``exp`` by ln 2 range reduction around ``inner`` (see the module doc): the one
    definition of its integer arithmetic."""

    input: IntFormat
    output: IntFormat
    inner: object
    f: int
    c: int
    top: int  # the domain's top code (<= 0): codes above give its value

    @property
    def form(self) -> str:
        return self.inner.form

    @property
    def plugin(self) -> "RangedForm":
        return wrap(self.inner.form)

    @property
    def segments(self) -> int:
        return self.inner.segments

    @property
    def r_bits(self) -> int:
        return self.inner.input.bits

    @property
    def g_bits(self) -> int:
        return self.inner.output.bits

    @property
    def out_shift(self) -> int:
        """``P``: the output scale ``2^-P``."""
        return -self.output.scale_exp

    @property
    def base_shift(self) -> int:
        """``G - 1 - P``: the shift at ``k = 0``."""
        return self.g_bits - 1 - self.out_shift

    def reduce(self, q) -> tuple[np.ndarray, np.ndarray]:
        """``(k, r)`` of int codes ``q``."""
        u = -np.minimum(np.asarray(q, dtype=np.int64), self.top)
        drop = self.f - self.r_bits
        t = (u * self.c + (1 << (drop - 1))) >> drop
        return t >> self.r_bits, t & ((1 << self.r_bits) - 1)

    def segment_index(self, q) -> np.ndarray:
        return self.inner.segment_index(self.reduce(q)[1])

    def evaluate(self, q) -> np.ndarray:
        k, r = self.reduce(q)
        g = self.inner.evaluate(r).astype(np.int64)
        shift = np.minimum(k + self.base_shift, self.g_bits + 2)  # >= 0 (check)
        rounded = ((g >> np.maximum(shift - 1, 0)) + 1) >> 1
        return saturate(np.where(shift >= 1, rounded, g), self.output)

    def to_json(self) -> dict:
        return {**self.inner.to_json(),
                "range_reduction": {"kind": "exp2", "f": self.f, "c": self.c, "top": self.top,
                                    "r_bits": self.r_bits, "g_bits": self.g_bits}}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "Exp2Model":
        rr = data.get("range_reduction")
        keys = set(JSON_KEYS) | {"top"}
        if not isinstance(rr, dict) or set(rr) != keys or rr.get("kind") != "exp2":
            raise ApproxgenError(f"model.range_reduction must be a mapping of kind: exp2, "
                                 f"{', '.join(sorted(keys - {'kind'}))}")
        f, c, top, r_bits, g_bits = (json_int(rr, key) for key in ("f", "c", "top", "r_bits",
                                                                    "g_bits"))
        if not (1 <= r_bits <= MAX_R_BITS and 8 <= g_bits <= 31):
            raise ApproxgenError(f"model.range_reduction: r_bits must be in 1..{MAX_R_BITS}, "
                                 f"g_bits in 8..31")
        body = {k: v for k, v in data.items() if k != "range_reduction"}
        inner = forms.get(body.get("form")).model_class.from_json(
            body, IntFormat(r_bits, False, 2.0 ** -r_bits),
            IntFormat(g_bits, False, 2.0 ** -(g_bits - 1)))
        model = cls(inp, out, inner, f, c, top)
        model.check()
        return model

    def check(self) -> None:
        if not self.input.signed or self.output.signed or self.output.scale_exp is None:
            raise ApproxgenError("a range-reduced exp needs a signed input and an unsigned "
                                 "output at a power-of-two scale")
        if self.base_shift < 0:
            raise ApproxgenError("model.range_reduction.g_bits must be at least P + 1 (the "
                                 "output scale 2^-P)")
        if self.top > 0 or self.top < self.input.min_code:
            raise ApproxgenError("model.range_reduction.top must be an input code <= 0")
        if (self.f, self.c) != ln2_reduction(self.input.scale, C_BITS):
            raise ApproxgenError(f"model.range_reduction f, c must be "
                                 f"{ln2_reduction(self.input.scale, C_BITS)} for the input "
                                 f"scale (C = round_half_up(S_in / ln 2 2^F) in [2^30, 2^31))")
        if self.f < self.r_bits + 1 or (-self.input.min_code) * self.c >= 1 << 62:
            raise ApproxgenError("model.range_reduction: the reduction would exceed 62 bits")
        self.inner.check()


def model_from_json(data: dict, inp: IntFormat, out: IntFormat) -> Exp2Model:
    return Exp2Model.from_json(data, inp, out)


def wrapping_problem(model, spec) -> str | None:
    """Why ``model`` (reduced or not) cannot be a fit of ``spec``'s ``range_reduction`` key."""
    reduced = isinstance(model, Exp2Model)
    wanted = getattr(spec, "range_reduction", "none") != "none"
    if reduced and not wanted:
        return "the model is range-reduced, the spec says range_reduction: none"
    if wanted and not reduced:
        return "the model is not range-reduced, the spec says range_reduction: exp2"
    return None


def describe(model) -> str:
    return (f"range-reduced (exp2): t = (u {model.c} + 2^{model.f - model.r_bits - 1}) >> "
            f"{model.f - model.r_bits}, k = t >> {model.r_bits}, 2^-r fitted on {model.r_bits} "
            f"bits to {model.g_bits}, y = round(g / 2^(k + {model.base_shift}))")


def applies(spec) -> bool:
    return getattr(spec, "range_reduction", "none") != "none"


def fit(spec, form: Form, progress: bool, weights=None):
    """``(model, search info)``: the inner form fitted on the reduced grid, wrapped."""
    p = plan(spec)
    if isinstance(p, str):
        raise ApproxgenError(f"cannot range-reduce: {p}")
    inner, info = form.fit(inner_spec(spec, p), progress, None)
    model = Exp2Model(spec.input, spec.output, inner, p.f, p.c, spec.domain[1])
    model.check()
    return model, dict(info, notes=list(info.get("notes", [])) + [describe(model)])


def spec_problem(spec) -> str | None:
    """Why the spec's ``range_reduction`` cannot be honoured (None when it can)."""
    if not applies(spec):
        return None
    if spec.weights != "none":
        return "cannot range-reduce: the wrapped fit of 2^-r is unweighted (weights: samples)"
    p = plan(spec)
    return f"cannot range-reduce: {p}" if isinstance(p, str) else None


# --- the plug-in -----------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def wrap(inner_name: str) -> "RangedForm":
    """The range-reduced plug-in around the form called ``inner_name``."""
    return RangedForm(forms.get(inner_name))


def inner_fit(fit):
    """``fit`` seen as a fit of the reduced argument (its spec :func:`inner_spec`)."""
    p = plan(fit.spec)
    if isinstance(p, str):
        raise ApproxgenError(f"the spec cannot range-reduce: {p}")
    return replace(fit, spec=inner_spec(fit.spec, p), model=fit.model.inner)


class RangedForm(forms.WrapperForm):
    """The plug-in of a range-reduced model: the inner form's, plus the reduction."""

    model_class = Exp2Model
    key = "ranged"  # emitters file the reduction under it (and reach the inner form's code)

    def __init__(self, inner: Form):
        super().__init__(inner)
        self.weighted = False

    def fit(self, spec, progress: bool, weights=None):
        return fit(spec, self.inner, progress, weights)

    def disagreement(self, model, spec) -> str | None:
        p = plan(spec)
        if isinstance(p, str):
            return f"the model is range-reduced, but the spec cannot be: {p}"
        if (model.r_bits, model.g_bits, model.top) != (p.r_bits, p.g_bits, spec.domain[1]):
            return (f"range_reduction r_bits={model.r_bits}, g_bits={model.g_bits}, top="
                    f"{model.top}; the spec gives {p.r_bits}, {p.g_bits}, {spec.domain[1]}")
        return self.inner.disagreement(model.inner, inner_spec(spec, p))

    # --- descriptions ---------------------------------------------------------------------------
    def shape(self, model) -> str:
        return self.inner.shape(model.inner) + ", range-reduced (exp2)"

    def provenance_line(self, fit) -> str:
        return self.inner.provenance_line(inner_fit(fit)) + f"; {describe(fit.model)}"

    def summary_suffix(self, fit) -> str:
        return self.inner.summary_suffix(inner_fit(fit)) + ", range-reduced"

    def integers_line(self, model, spec) -> str:
        p = plan(spec)
        return f"{self.inner.integers_line(model.inner, inner_spec(spec, p))}; {describe(model)}"

    def markdown_lines(self, fit) -> list[str]:
        return self.inner.markdown_lines(inner_fit(fit)) + [f"- {describe(fit.model)}"]

    def segment_table(self, fit) -> str:
        return self.inner.segment_table(inner_fit(fit)) + f"; {describe(fit.model)}"

    def boundaries(self, model) -> tuple[int, ...]:
        return ()  # the segments lie on r, not on the input codes
