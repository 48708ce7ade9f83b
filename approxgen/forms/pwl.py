"""``form: pwl``: piecewise linear. Integer breakpoints ``t_1 < ... < t_{K-1}`` on the input code
grid choose segment ``i`` for ``t_i <= q < t_{i+1}`` (the first and last segments reach the ends of
the code range). Then ``acc = k_i * q + (m_i << cs)`` and ``y = sat((acc + 2^(s-1)) >> s)``; every
intermediate width is computed (:meth:`PwlModel.widths`) so emitters pick types and wire widths that
cannot overflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, fits_signed, round_shift, saturate, signed_bits
from approxgen.forms import (COMPANION_KEY, DECODE_SLACK_KEY, MAX_ACC_BITS, Form, Key,
                             json_int as _int, json_ints as _ints, RANGE_REDUCTION_KEY)


def pwl_output(slope, intercept, q, intercept_shift: int, shift: int, out: IntFormat):
    """The pwl arithmetic on broadcastable int64 arrays: ``sat(round_shift(k*q + (m<<cs), s))``."""
    acc = slope * q + (intercept << intercept_shift)
    return saturate(round_shift(acc, shift), out)


@dataclass(frozen=True)
class PwlWidths:
    """Exact value bounds of the pwl intermediates over every input code, and their widths."""

    product_min: int
    product_max: int
    acc_min: int  # including the rounding offset
    acc_max: int
    product_bits: int
    acc_bits: int


@dataclass(frozen=True)
class PwlModel:
    """The pwl golden model: ``input``/``output`` formats; ``breakpoints`` ``t_1 < ... <
    t_{K-1}`` (input codes; segment i holds ``t_i <= q < t_{i+1}``); per segment the integer
    ``slopes`` k_i and ``intercepts`` m_i; ``y = sat((k_i q + (m_i << intercept_shift) +
    2^(shift-1)) >> shift)``; ``slope_bits``/``intercept_bits`` the signed widths the
    coefficients are declared in (each fits its own)."""

    input: IntFormat
    output: IntFormat
    breakpoints: tuple[int, ...]
    slopes: tuple[int, ...]
    intercepts: tuple[int, ...]
    shift: int
    intercept_shift: int
    slope_bits: int
    intercept_bits: int

    form = "pwl"

    @property
    def segments(self) -> int:
        return len(self.slopes)

    def segment_index(self, q: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.breakpoints, dtype=np.int64), q, side="right")

    def evaluate(self, q) -> np.ndarray:
        q = np.asarray(q, dtype=np.int64)
        idx = self.segment_index(q)
        k = np.asarray(self.slopes, dtype=np.int64)[idx]
        m = np.asarray(self.intercepts, dtype=np.int64)[idx]
        return pwl_output(k, m, q, self.intercept_shift, self.shift, self.output)

    def segment_ranges(self) -> list[tuple[int, int]]:
        """Inclusive code range of each segment over the whole input code range."""
        edges = [self.input.min_code, *self.breakpoints, self.input.max_code + 1]
        return [(edges[i], edges[i + 1] - 1) for i in range(self.segments)]

    def offsets(self) -> list[int]:
        """Per segment, the constant added to ``k*q`` before the shift: ``(m << cs) + 2^(s-1)``.
        Emitters store these, so no target ever shifts a negative intercept."""
        rounding = (1 << (self.shift - 1)) if self.shift else 0
        return [(m << self.intercept_shift) + rounding for m in self.intercepts]

    def widths(self) -> PwlWidths:
        products, accs = [], []
        for (lo, hi), k, m, c in zip(self.segment_ranges(), self.slopes, self.intercepts,
                                     self.offsets()):
            ends = (k * lo, k * hi)
            products += ends
            accs += [e + c for e in ends]
            accs += [e + (m << self.intercept_shift) for e in ends]
        return PwlWidths(min(products), max(products), min(accs), max(accs),
                         signed_bits(min(products), max(products)),
                         signed_bits(min(accs), max(accs)))

    def to_json(self) -> dict:
        w = self.widths()
        return {
            "form": "pwl",
            "breakpoints": list(self.breakpoints),
            "slopes": list(self.slopes),
            "intercepts": list(self.intercepts),
            "shift": self.shift,
            "intercept_shift": self.intercept_shift,
            "slope_bits": self.slope_bits,
            "intercept_bits": self.intercept_bits,
            "product_bits": w.product_bits,
            "acc_bits": w.acc_bits,
        }

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "PwlModel":
        model = cls(inp, out, tuple(_ints(data, "breakpoints")), tuple(_ints(data, "slopes")),
                    tuple(_ints(data, "intercepts")), _int(data, "shift"),
                    _int(data, "intercept_shift"), _int(data, "slope_bits"),
                    _int(data, "intercept_bits"))
        model.check()
        return model

    def check(self) -> None:
        """Raise ApproxgenError if the integers break the contract (order, ranges, widths)."""
        k = self.segments
        if k < 1 or len(self.intercepts) != k or len(self.breakpoints) != k - 1:
            raise ApproxgenError("pwl needs K slopes, K intercepts and K-1 breakpoints")
        bps = self.breakpoints
        if any(b <= a for a, b in zip(bps, bps[1:])):
            raise ApproxgenError("pwl breakpoints must be strictly increasing")
        if bps and (bps[0] <= self.input.min_code or bps[-1] > self.input.max_code):
            raise ApproxgenError("pwl breakpoints must lie inside the input code range")
        if not (0 <= self.shift <= MAX_ACC_BITS and 0 <= self.intercept_shift <= MAX_ACC_BITS):
            raise ApproxgenError(f"pwl shifts must be in 0..{MAX_ACC_BITS}")
        if not (1 <= self.slope_bits <= MAX_ACC_BITS and 1 <= self.intercept_bits <= MAX_ACC_BITS):
            raise ApproxgenError(f"slope_bits and intercept_bits must be in 1..{MAX_ACC_BITS}")
        if not fits_signed(self.slopes, self.slope_bits):
            raise ApproxgenError(f"a slope does not fit its declared {self.slope_bits} bits")
        if not fits_signed(self.intercepts, self.intercept_bits):
            raise ApproxgenError(f"an intercept does not fit its declared "
                                 f"{self.intercept_bits} bits")
        if self.widths().acc_bits > MAX_ACC_BITS:
            raise ApproxgenError(f"the accumulator would need more than {MAX_ACC_BITS} bits")


class PwlForm(Form):
    """The ``pwl`` plug-in: :class:`PwlModel` fitted by a breakpoint search
    (:func:`approxgen.fitting.fit_pwl`), weighted objectives, its own ``acc_bits`` key."""

    name = "pwl"
    model_class = PwlModel
    segmented = True
    weighted = True
    keys = (Key("acc_bits", "--acc-bits", "pwl accumulator: auto (32 bits when that costs at most "
                                          "1/16 LSB), 32 or 64.",
                default="auto", choices=("auto", 32, 64), unset="auto", optional=False),
            DECODE_SLACK_KEY, COMPANION_KEY, RANGE_REDUCTION_KEY)
    spec_keys = frozenset({"segments", "coef_format", "search", "search_options", "objective",
                           "max_error_lsb", "seed", "weights", *(k.name for k in keys)})
    fitter = "approxgen.fitting:fit_pwl"

    def disagreement(self, model, spec) -> str | None:
        from approxgen.fit.arithmetic import PwlArithmetic

        lo, hi = spec.domain
        count = model.segments
        if spec.segments != "auto" and count != spec.segments:
            return f"{count} segments, the spec says {spec.segments}"
        if count > hi - lo + 1:
            return f"{count} segments for {hi - lo + 1} domain codes"
        if model.breakpoints and not (lo < model.breakpoints[0] and model.breakpoints[-1] <= hi):
            return f"a breakpoint lies outside the domain codes {lo + 1}..{hi}"
        try:
            arith = PwlArithmetic.for_spec(spec, count)
        except ApproxgenError as exc:
            return exc.message
        narrowed = (spec.slope_format is None and spec.acc_bits != 64
                    and 0 <= model.shift < arith.shift and model.intercept_shift == 0)
        if not narrowed and (model.shift, model.intercept_shift) != (arith.shift,
                                                                      arith.intercept_shift):
            # (acc_bits auto/32 may lower the automatic shift to fit a 32-bit accumulator)
            return (f"shifts {model.shift}, {model.intercept_shift}; its coef_format gives "
                    f"{arith.shift}, {arith.intercept_shift}")
        for what, fmt, bits in (("slope", spec.slope_format, model.slope_bits),
                                ("intercept", spec.intercept_format, model.intercept_bits)):
            if fmt is not None and bits != fmt.bits:
                return f"{what}_bits {bits}, its coef_format says {fmt.bits}"
        return None

    def integers_line(self, model, spec) -> str:
        return (f"slope {model.slope_bits} b, intercept {model.intercept_bits} b "
                f"(<< {model.intercept_shift}), shift {model.shift}, accumulator "
                f"{model.widths().acc_bits} b")

    def row_columns(self) -> list[tuple[str, int]]:
        return [("slope", 10), ("intercept", 11)]

    def row_values(self, model, segment: int) -> dict[str, int]:
        return {"slope": int(model.slopes[segment]), "intercept": int(model.intercepts[segment])}

    def boundaries(self, model) -> tuple[int, ...]:
        return model.breakpoints


FORM = PwlForm()
