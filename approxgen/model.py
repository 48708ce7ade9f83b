"""The golden integer model: the one definition of what every emitted target computes.

Forms:

* :class:`PwlModel` (piecewise linear). Integer breakpoints ``t_1 < ... < t_{K-1}`` on the input code
  grid choose segment ``i`` for ``t_i <= q < t_{i+1}`` (the first and last segments reach the ends of
  the code range). Then ``acc = k_i * q + (m_i << cs)`` and ``y = sat((acc + 2^(s-1)) >> s)``.
* :class:`TableModel` (exact table). ``y = T[clamp(q, lo, hi) - lo]`` over the domain codes.

Both evaluate numpy int64 arrays; every intermediate width is computed (:meth:`PwlModel.widths`) so
emitters can pick types and wire widths that cannot overflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, fits_signed, round_shift, saturate, signed_bits

MAX_ACC_BITS = 62  # the golden model computes in int64; wider pipelines are refused


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


@dataclass(frozen=True)
class TableModel:
    input: IntFormat
    output: IntFormat
    lo_code: int
    values: tuple[int, ...]

    form = "table"

    @property
    def hi_code(self) -> int:
        return self.lo_code + len(self.values) - 1

    def evaluate(self, q) -> np.ndarray:
        q = np.asarray(q, dtype=np.int64)
        table = np.asarray(self.values, dtype=np.int64)
        return table[np.clip(q, self.lo_code, self.hi_code) - self.lo_code]

    def to_json(self) -> dict:
        return {"form": "table", "lo_code": self.lo_code, "values": list(self.values)}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "TableModel":
        model = cls(inp, out, _int(data, "lo_code"), tuple(_ints(data, "values")))
        model.check()
        return model

    def check(self) -> None:
        if not self.values:
            raise ApproxgenError("table has no values")
        if self.lo_code < self.input.min_code or self.hi_code > self.input.max_code:
            raise ApproxgenError("table codes lie outside the input code range")
        if min(self.values) < self.output.min_code or max(self.values) > self.output.max_code:
            raise ApproxgenError("a table value does not fit the output format")


Model = PwlModel | TableModel
MODELS = {"pwl": PwlModel, "table": TableModel}


def _int(data: dict, key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApproxgenError(f"model.{key} must be an integer")
    return value


def _ints(data: dict, key: str) -> list[int]:
    value = data.get(key)
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int)
                                          for v in value):
        raise ApproxgenError(f"model.{key} must be a list of integers")
    return value
