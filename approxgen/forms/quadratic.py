"""``form: quadratic``: segmented quadratics (SQPF-style), evaluated with shifts and
multiply-accumulates only.

The input code is first clamped to the domain codes ``lo..hi`` (outside the fitted domain the
output is the nearest domain end's, as for ``table``: a quadratic extrapolates badly). Segment ``i``
(chosen by integer breakpoints as in ``pwl``) starts at domain code ``o_i``; with the local offset
``d = q - o_i`` (``0 <= d < width``), Horner's rule on integers::

    h   = ((a_i * d) >>> s1) + b_i          # the slope at d, worth 2^-s LSB per code
    acc = h * d + (c_i + 2^(s-1))           # the value, worth 2^-s LSB; the rounding folded in
    y   = sat(acc >>> s)

Why this arrangement: the local offset ``d`` is non-negative and as narrow as the segment, so both
multipliers are ``coef x log2(width)`` bits instead of ``coef x in_bits``, and ``a``'s quantization
costs ``2^-(s+s1) d^2`` rather than ``2^-(s+s1) q^2``. Each coefficient has its own fixed-point
format: ``c`` and ``b`` are worth ``2^-s`` (LSB and LSB per code), ``a`` ``2^-(s+s1)`` LSB per
code^2; ``s`` and ``s1`` are chosen from the average segment width so the inner floor shift and the
rounding of ``a`` each cost at most ~1/8 LSB on it (more guard bits buy little: the integer
search absorbs it; fewer multiplier bits), and each coefficient's width is the narrowest
holding its values (:meth:`QuadraticModel.widths` gives every intermediate's exact range).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, fits_signed, saturate, signed_bits
from approxgen.forms import (COMPANION_KEY, DECODE_SLACK_KEY, MAX_ACC_BITS, Form, json_int,
                             json_ints, RANGE_REDUCTION_KEY)

COEFFICIENTS = ("a", "b", "c")


@dataclass(frozen=True)
class QuadraticWidths:
    """Exact value bounds (over every input code) of the intermediates, and their widths."""

    d_bits: int  # unsigned
    p1: tuple[int, int]  # a * d
    h: tuple[int, int]  # (a * d >>> s1) + b
    p2: tuple[int, int]  # h * d
    acc: tuple[int, int]  # h * d + offset
    shifted: tuple[int, int]  # acc >>> s, before saturation

    def bits(self, name: str) -> int:
        return signed_bits(*getattr(self, name))


@dataclass(frozen=True)
class QuadraticModel:
    """The quadratic golden model (see the module doc): input codes clamped to ``lo_code..
    hi_code``, segments split at ``breakpoints``; per segment the integer coefficients ``a``,
    ``b``, ``c`` (declared ``a_bits``, ``b_bits``, ``c_bits`` wide), evaluated by Horner's rule
    on the offset ``d = q - origin`` with the floor shifts ``inner_shift`` (s1, after ``a d``)
    and ``shift`` (s, at the end, rounding half up), then saturated."""

    input: IntFormat
    output: IntFormat
    lo_code: int
    hi_code: int
    breakpoints: tuple[int, ...]
    a: tuple[int, ...]
    b: tuple[int, ...]
    c: tuple[int, ...]
    shift: int  # s
    inner_shift: int  # s1
    a_bits: int
    b_bits: int
    c_bits: int

    form = "quadratic"

    @property
    def segments(self) -> int:
        return len(self.a)

    @property
    def origins(self) -> tuple[int, ...]:
        """The first domain code of each segment (``d = q - o_i``)."""
        return (self.lo_code, *self.breakpoints)

    def segment_index(self, q: np.ndarray) -> np.ndarray:
        q = np.clip(np.asarray(q, dtype=np.int64), self.lo_code, self.hi_code)
        return np.searchsorted(np.asarray(self.breakpoints, dtype=np.int64), q, side="right")

    def offsets(self) -> list[int]:
        """Per segment ``c_i + 2^(s-1)``: the constant emitters add to ``h * d``."""
        rounding = (1 << (self.shift - 1)) if self.shift else 0
        return [c + rounding for c in self.c]

    def intermediates(self, q) -> dict[str, np.ndarray]:
        """Every intermediate of the arithmetic for codes ``q`` (int64 arrays)."""
        q = np.clip(np.asarray(q, dtype=np.int64), self.lo_code, self.hi_code)
        idx = np.searchsorted(np.asarray(self.breakpoints, dtype=np.int64), q, side="right")
        d = q - np.asarray(self.origins, dtype=np.int64)[idx]
        p1 = np.asarray(self.a, dtype=np.int64)[idx] * d
        h = (p1 >> self.inner_shift) + np.asarray(self.b, dtype=np.int64)[idx]
        p2 = h * d
        acc = p2 + np.asarray(self.offsets(), dtype=np.int64)[idx]
        shifted = acc >> self.shift
        return {"d": d, "p1": p1, "h": h, "p2": p2, "acc": acc, "shifted": shifted,
                "y": saturate(shifted, self.output), "segment": idx}

    def evaluate(self, q) -> np.ndarray:
        return self.intermediates(q)["y"]

    def widths(self) -> QuadraticWidths:
        v = self.intermediates(np.arange(self.lo_code, self.hi_code + 1, dtype=np.int64))
        span = lambda name: (int(v[name].min()), int(v[name].max()))  # noqa: E731
        return QuadraticWidths(max(1, int(v["d"].max()).bit_length()), span("p1"), span("h"),
                               span("p2"), span("acc"), span("shifted"))

    def to_json(self) -> dict:
        w = self.widths()
        return {"form": "quadratic", "lo_code": self.lo_code, "hi_code": self.hi_code,
                "breakpoints": list(self.breakpoints), "a": list(self.a), "b": list(self.b),
                "c": list(self.c), "shift": self.shift, "inner_shift": self.inner_shift,
                "a_bits": self.a_bits, "b_bits": self.b_bits, "c_bits": self.c_bits,
                "acc_bits": w.bits("acc")}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "QuadraticModel":
        model = cls(inp, out, json_int(data, "lo_code"), json_int(data, "hi_code"),
                    tuple(json_ints(data, "breakpoints")),
                    *(tuple(json_ints(data, k)) for k in COEFFICIENTS),
                    json_int(data, "shift"), json_int(data, "inner_shift"),
                    *(json_int(data, f"{k}_bits") for k in COEFFICIENTS))
        model.check()
        return model

    def check(self) -> None:
        """Raise ApproxgenError if the integers break the contract (order, ranges, widths)."""
        k = self.segments
        if k < 1 or len(self.b) != k or len(self.c) != k or len(self.breakpoints) != k - 1:
            raise ApproxgenError("quadratic needs K of each of a, b, c and K-1 breakpoints")
        if not (self.input.min_code <= self.lo_code <= self.hi_code <= self.input.max_code):
            raise ApproxgenError("quadratic lo_code..hi_code must lie in the input code range")
        edges = (self.lo_code, *self.breakpoints, self.hi_code + 1)
        if any(b <= a for a, b in zip(edges, edges[1:])):
            raise ApproxgenError("quadratic breakpoints must rise strictly inside lo_code+1.."
                                 "hi_code")
        if not (0 <= self.shift <= MAX_ACC_BITS and 0 <= self.inner_shift <= MAX_ACC_BITS):
            raise ApproxgenError(f"quadratic shifts must be in 0..{MAX_ACC_BITS}")
        for name in COEFFICIENTS:
            bits = getattr(self, f"{name}_bits")
            if not 1 <= bits <= MAX_ACC_BITS:
                raise ApproxgenError(f"{name}_bits must be in 1..{MAX_ACC_BITS}")
            if not fits_signed(getattr(self, name), bits):
                raise ApproxgenError(f"a coefficient {name} does not fit its declared {bits} bits")
        # A bound from the declared widths first, so the int64 evaluation below cannot wrap.
        d_bits = (self.hi_code - self.lo_code).bit_length() + 1
        h_bits = max(self.a_bits + d_bits - self.inner_shift, self.b_bits) + 1
        if max(self.a_bits + d_bits, h_bits + d_bits + 1, self.c_bits + 1) > MAX_ACC_BITS:
            raise ApproxgenError(f"an intermediate could need more than {MAX_ACC_BITS} bits")
        w = self.widths()
        if max(w.bits(n) for n in ("p1", "h", "p2", "acc")) > MAX_ACC_BITS:
            raise ApproxgenError(f"an intermediate would need more than {MAX_ACC_BITS} bits")


class QuadraticForm(Form):
    """The ``quadratic`` plug-in: :class:`QuadraticModel` fitted by a breakpoint search
    (:func:`approxgen.fitting.fit_quadratic`)."""

    name = "quadratic"
    model_class = QuadraticModel
    segmented = True
    keys = (DECODE_SLACK_KEY, COMPANION_KEY, RANGE_REDUCTION_KEY)
    spec_keys = frozenset({"segments", "search", "search_options", "objective",
                           "max_error_lsb", "seed", *(k.name for k in keys)})
    fitter = "approxgen.fitting:fit_quadratic"

    def disagreement(self, model, spec) -> str | None:
        lo, hi = spec.domain
        if (model.lo_code, model.hi_code) != (lo, hi):
            return f"the model covers codes {model.lo_code}..{model.hi_code}, the domain {lo}..{hi}"
        if spec.segments != "auto" and model.segments != spec.segments:
            return f"{model.segments} segments, the spec says {spec.segments}"
        return None

    def integers_line(self, model, spec) -> str:
        w = model.widths()
        return (f"a {model.a_bits} b, b {model.b_bits} b, c {model.c_bits} b, shifts "
                f"s1 {model.inner_shift}, s {model.shift}, offset {w.d_bits} b, accumulator "
                f"{w.bits('acc')} b")

    def row_columns(self) -> list[tuple[str, int]]:
        return [("a", 10), ("b", 10), ("c", 12)]

    def row_values(self, model, segment: int) -> dict[str, int]:
        return {k: int(getattr(model, k)[segment]) for k in COEFFICIENTS}

    def boundaries(self, model) -> tuple[int, ...]:
        return model.breakpoints


FORM = QuadraticForm()
