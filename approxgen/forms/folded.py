"""Symmetry folding (``fold: auto|none|on``): fit one half, reconstruct the other in integers.

A built-in function may declare ``f(-x) = a0 + s*f(x) + b*x`` (:class:`approxgen.functions.Symmetry`).
In output codes, for ``h >= 0``: ``f(-h)/S_out = A + s*f(h)/S_out + B*h`` with ``A = a0/S_out`` and
``B = b*S_in/S_out``; folding is used only when both are integers (the reconstruction is then
exact) and the domain has codes on both sides of 0 (:func:`plan`).

The inner model ``g`` is any form's model, fitted by the spec's own form and search on the half
``h = 0..H`` (``H = max(-lo, hi)``; input: unsigned, same width and scale) against the
*unsaturated* ``f``: its output is a wider signed format holding ``f`` over the half, so the
mirrored side is right even where the positive side saturates. Then (:class:`FoldedModel`)::

    y = sat_out(g(q))                     for q >= 0
    y = sat_out(A + s*g(-q) + B*(-q))     for q < 0, computed in wide_bits (no overflow)

:class:`FoldedForm` wraps the inner form's plug-in (templates, cost, report rows), so shared code
never asks whether a fit is folded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from approxgen import forms
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, saturate, signed_bits
from approxgen.forms import MAX_ACC_BITS, Form, json_int

INNER_MAX_BITS = 32  # the inner (unsaturated) output format; wider halves are not folded
KEYS = ("a", "s", "b", "inner_bits")


@dataclass(frozen=True)
class Plan:
    """How ``spec`` folds: ``y(-h) = a + s*g(h) + b*h`` over the half ``0..half``."""

    kind: str
    a: int
    s: int
    b: int
    half: int
    inner_bits: int

    def formula(self) -> str:
        """``32768 - g(h)``, ``g(h) - h``, ``-g(h)``."""
        g = "-g(h)" if self.s < 0 else "g(h)"
        text = f"{self.a} {g[0] if self.s < 0 else '+'} g(h)" if self.a else g
        if self.b:
            text += f" {'-' if self.b < 0 else '+'} {'' if abs(self.b) == 1 else f'{abs(self.b)}*'}h"
        return text


def plan(spec) -> Plan | str:
    """The fold of ``spec``, or why it cannot fold (one phrase)."""
    sym = spec.function.symmetry
    if sym is None:
        return f"{'an expr' if spec.function.expr else spec.function.name} has no known symmetry"
    if not forms.get(spec.form).foldable:
        return f"form {spec.form} is not fitted by halves"
    lo, hi = spec.domain
    if not lo < 0 < hi:
        return f"the domain codes {lo}..{hi} do not lie on both sides of 0"
    s_in, s_out = Fraction(spec.input.scale), Fraction(spec.output.scale)
    a = Fraction(sym.a0) / s_out
    if a.denominator != 1:
        return f"{sym.a0}/S_out = {a} is not an integer"
    b = Fraction(sym.b) * s_in / s_out
    if b.denominator != 1:
        return f"S_in/S_out = {s_in / s_out} is not an integer"
    half = max(-lo, hi)
    with np.errstate(all="ignore"):
        v = spec.function.evaluate(np.arange(half + 1, dtype=np.float64) * spec.input.scale) \
            / spec.output.scale
    if not np.all(np.isfinite(v)):
        return "f is not finite on the mirrored half"
    bits = max(spec.output.bits, signed_bits(int(np.floor(v.min())) - 1,
                                             int(np.ceil(v.max())) + 1))
    if bits > INNER_MAX_BITS:
        return f"the half needs {bits}-bit values (more than {INNER_MAX_BITS})"
    p = Plan(sym.kind, int(a), sym.s, int(b), half, bits)
    if _wide_bits(p.a, p.s, p.b, bits, -spec.input.min_code) > MAX_ACC_BITS:
        return f"the reconstruction would need more than {MAX_ACC_BITS} bits"
    return p


def inner_spec(spec, p: Plan):
    """The spec of the half: codes ``0..half`` of an unsigned input of the same width and scale,
    a signed ``inner_bits`` output of the same scale (``f`` unsaturated), named ``NAME_half``."""
    segments = spec.segments if spec.segments == "auto" else min(spec.segments, p.half + 1)
    return replace(spec, name=f"{spec.name}_half",
                   input=IntFormat(spec.input.bits, False, spec.input.scale),
                   output=IntFormat(p.inner_bits, True, spec.output.scale),
                   domain=(0, p.half), segments=segments, fold="none")


def fold_weights(weights, spec, p: Plan):
    """Per half code ``h``: ``w(h) + w(-h)`` over the outer domain codes."""
    if weights is None:
        return None
    folded = np.zeros(p.half + 1)
    np.add.at(folded, np.abs(spec.domain_codes()), np.asarray(weights, dtype=np.float64))
    return folded


def _wide_range(a: int, s: int, b: int, inner_bits: int, h_max: int) -> tuple[int, int]:
    """Bounds of ``g`` and of ``a + s*g + b*h`` for any inner output ``g`` and ``0 <= h <=
    h_max``, and of ``h`` itself."""
    g_lo, g_hi = -(1 << (inner_bits - 1)), (1 << (inner_bits - 1)) - 1
    sg = sorted((s * g_lo, s * g_hi))
    return (min(g_lo, a + sg[0] + min(0, b * h_max)),
            max(g_hi, h_max, a + sg[1] + max(0, b * h_max)))


def _wide_bits(a: int, s: int, b: int, inner_bits: int, h_max: int) -> int:
    return signed_bits(*_wide_range(a, s, b, inner_bits, h_max))


@dataclass(frozen=True)
class FoldedModel:
    """``inner`` on ``|q|``, mirrored for ``q < 0`` (see the module doc): the one definition.
    ``inner`` is the half's model (any form's, on an unsigned input ``h = |q|``, an output
    ``g`` wider than the whole's when the reconstruction needs it); ``q < 0`` gives
    ``sat(a + s g(|q|) + b |q|)`` (``s`` is +1 or -1), ``q >= 0`` gives ``sat(g(q))``."""

    input: IntFormat
    output: IntFormat
    inner: object
    a: int
    s: int
    b: int

    @property
    def form(self) -> str:
        return self.inner.form

    @property
    def plugin(self) -> "FoldedForm":
        return wrap(self.inner.form)

    @property
    def segments(self) -> int:
        return self.inner.segments

    @property
    def h_max(self) -> int:
        return -self.input.min_code

    def wide_range(self) -> tuple[int, int]:
        """Bounds of ``h``, ``g`` and ``A + s*g + B*h`` (before the saturation)."""
        return _wide_range(self.a, self.s, self.b, self.inner.output.bits, self.h_max)

    def wide_bits(self) -> int:
        """The width holding every value of :meth:`wide_range`."""
        return signed_bits(*self.wide_range())

    def segment_index(self, q) -> np.ndarray:
        return self.inner.segment_index(np.abs(np.asarray(q, dtype=np.int64)))

    def evaluate(self, q) -> np.ndarray:
        q = np.asarray(q, dtype=np.int64)
        h = np.abs(q)
        g = self.inner.evaluate(h)
        return saturate(np.where(q < 0, self.a + self.s * g + self.b * h, g), self.output)

    def to_json(self) -> dict:
        return {**self.inner.to_json(), "fold": {"a": self.a, "s": self.s, "b": self.b,
                                                 "inner_bits": self.inner.output.bits}}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "FoldedModel":
        fold = data.get("fold")
        if not isinstance(fold, dict) or set(fold) != set(KEYS):
            raise ApproxgenError(f"model.fold must be a mapping of {', '.join(KEYS)}")
        a, s, b, bits = (json_int(fold, key) for key in KEYS)
        if not (out.bits <= bits <= INNER_MAX_BITS):
            raise ApproxgenError(f"model.fold.inner_bits must be in {out.bits}.."
                                 f"{INNER_MAX_BITS}")
        if not inp.signed:
            raise ApproxgenError("a folded model needs a signed input")
        body = {k: v for k, v in data.items() if k != "fold"}
        inner = forms.get(body.get("form")).model_class.from_json(
            body, IntFormat(inp.bits, False, inp.scale), IntFormat(bits, True, out.scale))
        model = cls(inp, out, inner, a, s, b)
        model.check()
        return model

    def check(self) -> None:
        if self.s not in (-1, 1):
            raise ApproxgenError("model.fold.s must be 1 or -1")
        if not self.input.signed:
            raise ApproxgenError("a folded model needs a signed input")
        if self.inner.input != IntFormat(self.input.bits, False, self.input.scale):
            raise ApproxgenError("the inner model's input is not the unsigned half")
        if self.inner.output.scale != self.output.scale or not self.inner.output.signed:
            raise ApproxgenError("the inner model's output is not signed at the output scale")
        if abs(self.a) >= 1 << MAX_ACC_BITS or abs(self.b) >= 1 << MAX_ACC_BITS \
                or self.wide_bits() > MAX_ACC_BITS:
            raise ApproxgenError(f"the reconstruction would need more than {MAX_ACC_BITS} bits")
        self.inner.check()


def model_from_json(data: dict, inp: IntFormat, out: IntFormat) -> FoldedModel:
    return FoldedModel.from_json(data, inp, out)


def wrapping_problem(model, spec) -> str | None:
    """Why ``model`` (folded or not) cannot be a fit of ``spec``'s ``fold`` key."""
    folded = isinstance(model, FoldedModel)
    if spec.fold == "none" and folded:
        return "the model is folded, the spec says fold: none"
    if spec.fold == "on" and not folded:
        return "the model is not folded, the spec says fold: on"
    return None


def describe(p: Plan) -> str:
    return f"folded ({p.kind}): y(-h) = {p.formula()}, the half 0..{p.half} in int{p.inner_bits}"


def _note(info: dict, note: str) -> dict:
    return dict(info, notes=list(info["notes"]) + [note])


def applies(spec) -> bool:
    return spec.fold != "none"


def fit(spec, form: Form, progress: bool, weights=None):
    """``(model, search info)`` of ``spec`` by ``form``: folded when ``spec.fold`` asks for it and
    :func:`plan` allows it. ``auto`` keeps the unfolded fit when folding would raise the
    objective's error (with ``segments: auto`` both meet the budget: the folded fit is kept)."""
    if spec.fold == "none":
        return form.fit(spec, progress, weights)
    p = plan(spec)
    if isinstance(p, str):  # fold: on was refused by spec validation already
        model, info = form.fit(spec, progress, weights)
        silent = spec.function.symmetry is None or not form.foldable  # nothing to fold
        return (model, info) if silent else (model, _note(info, f"not folded: {p}"))
    inner, info = form.fit(inner_spec(spec, p), progress, fold_weights(weights, spec, p))
    model = FoldedModel(spec.input, spec.output, inner, p.a, p.s, p.b)
    model.check()
    if spec.fold == "on" or spec.segments == "auto":
        return model, _note(info, describe(p))
    plain, plain_info = form.fit(spec, progress, weights)
    key = "mse" if spec.objective == "mse" else "max_error_lsb"
    folded_err, plain_err = (_error(m, spec, weights, key) for m in (model, plain))
    if folded_err <= plain_err * (1 + 1e-9) + 1e-12:
        return model, _note(info, f"{describe(p)}; {key} {folded_err:.4g} (unfolded "
                                  f"{plain_err:.4g})")
    return plain, _note(plain_info, f"not folded: the folded fit's {key} {folded_err:.4g} is "
                                    f"above the unfolded {plain_err:.4g}")


def _error(model, spec, weights, key: str) -> float:
    from approxgen.metrics import measure, target

    codes = spec.domain_codes()
    seen = np.ones(codes.size, dtype=bool) if weights is None else np.asarray(weights) > 0
    return measure(model.evaluate(codes)[seen], target(spec, codes)[seen], spec.output)[key]


# --- the plug-in -----------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def wrap(inner_name: str) -> "FoldedForm":
    """The folded plug-in around the form called ``inner_name``."""
    return FoldedForm(forms.get(inner_name))


def inner_fit(fit):
    """``fit`` seen as a fit of the half (its spec :func:`inner_spec`, its model the inner)."""
    p = plan(fit.spec)
    if isinstance(p, str):
        raise ApproxgenError(f"the spec cannot fold: {p}")
    return replace(fit, spec=inner_spec(fit.spec, p), model=fit.model.inner)


class FoldedForm(forms.WrapperForm):
    """The plug-in of a folded model: the inner form's, plus the reconstruction."""

    model_class = FoldedModel
    key = "folded"  # emitters file the reconstruction under it (and reach the inner form's code)

    def fit(self, spec, progress: bool, weights=None):
        return fit(spec, self.inner, progress, weights)

    def disagreement(self, model, spec) -> str | None:
        p = plan(spec)
        if isinstance(p, str):
            return f"the model is folded, but the spec cannot fold: {p}"
        if (model.a, model.s, model.b, model.inner.output.bits) != (p.a, p.s, p.b, p.inner_bits):
            return (f"fold constants a={model.a}, s={model.s}, b={model.b}, inner_bits="
                    f"{model.inner.output.bits}; the spec gives {p.a}, {p.s}, {p.b}, "
                    f"{p.inner_bits}")
        return self.inner.disagreement(model.inner, inner_spec(spec, p))

    # --- descriptions ---------------------------------------------------------------------------
    def shape(self, model) -> str:
        return self.inner.shape(model.inner) + ", folded"

    def _suffix(self, fit) -> str:
        p = plan(fit.spec)
        return f"; {describe(p)}" if not isinstance(p, str) else ""

    def provenance_line(self, fit) -> str:
        return self.inner.provenance_line(inner_fit(fit)) + self._suffix(fit)

    def summary_suffix(self, fit) -> str:
        return self.inner.summary_suffix(inner_fit(fit)) + ", folded"

    def integers_line(self, model, spec) -> str:
        p = plan(spec)
        half = self.inner.integers_line(model.inner, inner_spec(spec, p))
        return f"{half}; {describe(p)}, reconstruction {model.wide_bits()} b"

    def markdown_lines(self, fit) -> list[str]:
        return self.inner.markdown_lines(inner_fit(fit)) + [f"- {describe(plan(fit.spec))}"]

    def segment_table(self, fit) -> str:
        return self.inner.segment_table(inner_fit(fit)) + self._suffix(fit)

    def boundaries(self, model) -> tuple[int, ...]:
        return tuple(sorted({c for t in self.inner.boundaries(model.inner) for c in (t, -t)}))

