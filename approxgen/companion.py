"""Companions: a second function one fit's kernel serves from its own arithmetic and tables
(spec key ``companion``, :data:`approxgen.forms.COMPANION_KEY`), as CMSIS-NN's one int16 table
serves tanh and sigmoid.

``companion: sigmoid`` on a ``tanh`` fit: ``sigmoid(x) = (1 + tanh(x/2)) / 2``. With ``g`` the
fit's golden model (tanh, input scale ``S_in``, output scale ``S_out``, ``K = 1/S_out`` an
integer), the companion at input code ``q`` reads ``g`` at the two codes around ``q/2``::

    a = floor(q / 2);  b = ceil(q / 2)          # a == b for even q
    y = sat((2 K + g(a) + g(b) + 2) >> 2)        # floor shift: (1 + tanh(x/2)) / 2 rounded half up

in the same input and output formats (for odd ``q`` the mean of the two neighbours stands for
tanh between them: off by at most ``(S_in/2)^2 max|tanh''| / 8``, far below an LSB). Its max
error is at most half the tanh fit's plus half an LSB. :class:`CompanionModel` is the one
definition; the C emitter renders it beside the fit's own functions (``NAME_sigmoid``,
``NAME_sigmoid_array``), ``verify`` runs it over every code, and the whole compiled footprint
(:mod:`approxgen.footprint`) counts the pair once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from approxgen.fixedpoint import saturate

NONE = "none"
COMPANIONS = (NONE, "sigmoid")  # the values of the spec key companion
SOURCE = {"sigmoid": "tanh"}  # companion -> the function whose fit serves it
MAX_OUT_BITS = 16  # the companion's sum 2K + g(a) + g(b) + 2 stays far inside int32


def problem(spec) -> str | None:
    """Why ``spec`` cannot serve its ``companion`` (None when it can, or has none)."""
    name = spec.companion
    if name in (None, NONE):
        return None
    source = SOURCE[name]
    if spec.function.expr or spec.function.name != source:
        return f"companion {name} is served by a fit of {source}, not of {spec.function.name}"
    inp, out = spec.input, spec.output
    if not (inp.signed and out.signed):
        return f"companion {name} needs a signed input and a signed output"
    if out.bits > MAX_OUT_BITS:
        return f"companion {name} needs an output of at most {MAX_OUT_BITS} bits"
    k = 1 / Fraction(out.scale)
    if k.denominator != 1 or not 1 <= k <= 1 << (out.bits - 1):
        return (f"companion {name} needs 1/S_out an integer in 1..2^{out.bits - 1} "
                f"(S_out = {out.scale:g})")
    return None


@dataclass(frozen=True)
class CompanionModel:
    """The companion's golden model over the fit's model ``source`` (see the module doc):
    ``k = 1/S_out``; ``bias`` (a multiple of 4) lifts the sum so the floor shift never sees a
    negative value (the C does the same), ``y = sat(((sum + bias) >> 2) - bias/4)``."""

    name: str
    source: object  # the tanh fit's golden model

    @property
    def input(self):
        return self.source.input

    @property
    def output(self):
        return self.source.output

    @property
    def k(self) -> int:
        return int(1 / Fraction(self.output.scale))

    @property
    def bias(self) -> int:
        lowest = 2 * self.k + 2 * self.output.min_code + 2
        return 0 if lowest >= 0 else -(lowest // 4) * 4

    def halves(self, q) -> tuple[np.ndarray, np.ndarray]:
        """``floor(q/2)`` and ``ceil(q/2)`` of the clamped codes."""
        q = np.clip(np.asarray(q, dtype=np.int64), self.input.min_code, self.input.max_code)
        return q >> 1, (q + 1) >> 1

    def shifted(self, q) -> np.ndarray:
        """The value before the saturation."""
        a, b = self.halves(q)
        total = 2 * self.k + self.source.evaluate(a) + self.source.evaluate(b) + 2 + self.bias
        return (total >> 2) - self.bias // 4

    def evaluate(self, q) -> np.ndarray:
        return saturate(self.shifted(q), self.output)

    def range(self) -> tuple[int, int]:
        """Bounds of :meth:`shifted` over every input code (the sides the C saturates)."""
        v = self.shifted(self.input.codes())
        return int(v.min()), int(v.max())


def model(fit) -> CompanionModel | None:
    """The companion of ``fit`` (None without one)."""
    name = fit.spec.companion
    return None if name in (None, NONE) else CompanionModel(name, fit.model)


@dataclass(frozen=True)
class CompanionFit:
    """The companion seen as a fit for the harnesses: ``spec`` the fit's, named ``NAME_sigmoid``
    and of the companion's function; ``model`` its :class:`CompanionModel`; ``companion_of`` the
    fit whose header defines it (what the C emitter renders)."""

    spec: object
    model: CompanionModel
    companion_of: object


def view(fit) -> CompanionFit | None:
    """``fit``'s companion as a :class:`CompanionFit` (None without one)."""
    from approxgen import functions

    companion = model(fit)
    if companion is None:
        return None
    spec = replace(fit.spec, name=f"{fit.spec.name}_{companion.name}",
                   function=functions.lookup(companion.name))
    return CompanionFit(spec, companion, fit)


def metrics(fit) -> dict | None:
    """:func:`approxgen.metrics.measure` of ``fit``'s companion over the domain codes."""
    from approxgen.metrics import measure

    companion = view(fit)
    if companion is None:
        return None
    codes = companion.spec.domain_codes()
    return measure(companion.model.evaluate(codes), companion.spec.reference(codes),
                   companion.spec.output)
