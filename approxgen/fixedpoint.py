"""Fixed-point semantics shared by the golden model, the fitting and the emitters.

Everything here works on Python ints or numpy int64 arrays. The arithmetic it defines is the one
the emitted C and Verilog implement:

* a code ``q`` of an :class:`IntFormat` means the real value ``q * scale``;
* :func:`round_shift` is ``(v + 2**(s-1)) >> s`` with an arithmetic (floor) shift, i.e. round half
  up; for ``s == 0`` it is the identity;
* :func:`saturate` clamps to the code range of a format.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from approxgen.errors import ApproxgenError

_POW2_RE = re.compile(r"^\s*2\s*\^\s*(-?\d+)\s*$")


@dataclass(frozen=True)
class IntFormat:
    """An integer format: ``bits`` wide, signed or not, each code worth ``scale`` real units."""

    bits: int
    signed: bool
    scale: float

    @property
    def min_code(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max_code(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def scale_exp(self) -> int | None:
        """``k`` when ``scale == 2**k`` exactly, else None."""
        return pow2_exponent(self.scale)

    def codes(self) -> np.ndarray:
        """Every code of the format, ascending, as int64."""
        return np.arange(self.min_code, self.max_code + 1, dtype=np.int64)

    def describe(self) -> str:
        kind = "int" if self.signed else "uint"
        exp = self.scale_exp
        scale = f"2^{exp}" if exp is not None else repr(self.scale)
        return f"{kind}{self.bits} scale {scale}"

    def to_json(self) -> dict:
        return {"bits": self.bits, "signed": self.signed, "scale": self.scale,
                "scale_exp": self.scale_exp}


def pow2_exponent(value: float) -> int | None:
    """Return ``k`` if ``value == 2**k`` exactly, else None."""
    if value <= 0 or not math.isfinite(value):
        return None
    mantissa, exp = math.frexp(value)
    return exp - 1 if mantissa == 0.5 else None


def parse_scale(value, where: str) -> float:
    """Parse a scale given as a number, ``"0.03125"`` or ``"2^-5"``; it must be finite and > 0."""
    if isinstance(value, bool):
        raise ApproxgenError(f"scale must be a number or 2^k, got {value!r}", where)
    if isinstance(value, (int, float)):
        scale = float(value)
    elif isinstance(value, str):
        match = _POW2_RE.match(value)
        if match:
            exp = int(match.group(1))
            if not -1000 < exp < 1000:
                raise ApproxgenError(f"scale exponent out of range: {value!r}", where)
            scale = math.ldexp(1.0, exp)
        else:
            try:
                scale = float(value)
            except ValueError:
                raise ApproxgenError(f"scale must be a number or 2^k, got {value!r}", where) from None
    else:
        raise ApproxgenError(f"scale must be a number or 2^k, got {value!r}", where)
    if not math.isfinite(scale) or scale <= 0:
        raise ApproxgenError(f"scale must be a finite number > 0, got {value!r}", where)
    return scale


def pow2_scale_covering(lo: float, hi: float, bits: int, signed: bool) -> float:
    """The smallest power-of-two scale whose code range reaches from ``lo`` to ``hi``.

    ``hi`` is reached when ``hi <= (max_code + 1) * scale`` (a range like ``[-8, 8)`` is half-open
    at the top, as usual for quantization ranges); ``lo`` when ``lo >= min_code * scale``.
    """
    half = 1 << (bits - 1)
    top = half if signed else (1 << bits)
    need = max(hi / top if hi > 0 else 0.0, (-lo / half) if (signed and lo < 0) else 0.0)
    if need <= 0:
        need = 1.0 / top
    return math.ldexp(1.0, math.ceil(math.log2(need) - 1e-12))


def scale_holding(lo: float, hi: float, bits: int, signed: bool) -> float:
    """The smallest scale whose codes hold every value of ``[lo, hi]`` (closed)."""
    fmt = IntFormat(bits, signed, 1.0)
    need = 0.0
    if hi > 0:
        need = max(need, hi / max(fmt.max_code, 1))
    if lo < 0:
        need = max(need, -lo / -fmt.min_code) if signed else need
    if need <= 0:
        need = 1.0 / max(fmt.max_code, 1)
    return need


def pow2_scale_holding(lo: float, hi: float, bits: int, signed: bool) -> float:
    """The smallest power-of-two scale whose codes hold every value of ``[lo, hi]`` (closed)."""
    exp = math.ceil(math.log2(scale_holding(lo, hi, bits, signed)) - 1e-12)
    return math.ldexp(1.0, exp)


def round_shift(values, shift: int):
    """Round-half-up arithmetic right shift: ``(v + 2**(shift-1)) >> shift`` (identity if 0)."""
    if shift < 0:
        raise ValueError("shift must be >= 0")
    if shift == 0:
        return values
    return (values + (1 << (shift - 1))) >> shift


def saturate(values, fmt: IntFormat):
    """Clamp codes to the range of ``fmt``."""
    return np.clip(values, fmt.min_code, fmt.max_code)


def quantize(values, fmt: IntFormat) -> np.ndarray:
    """Codes of real ``values`` (float64, no NaN): round to nearest, ties up, saturate to ``fmt``."""
    with np.errstate(all="ignore"):
        codes = np.floor(np.asarray(values, dtype=np.float64) / fmt.scale + 0.5)
    return np.clip(codes, fmt.min_code, fmt.max_code).astype(np.int64)


def signed_bits(lo: int, hi: int) -> int:
    """Width of the narrowest two's-complement integer that holds every value of ``[lo, hi]``."""
    lo, hi = int(lo), int(hi)
    width = 1
    while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
        width += 1
    return width


def fits_signed(values, bits: int) -> bool:
    arr = np.asarray(values, dtype=object)
    if arr.size == 0:
        return True
    return bool(min(arr) >= -(1 << (bits - 1)) and max(arr) <= (1 << (bits - 1)) - 1)


def integer_codes(values, fmt: IntFormat, key: str) -> np.ndarray:
    """``values`` as int64 codes of ``fmt``; anything else is an ApproxgenError naming ``key``."""
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        raise ApproxgenError("expected an array of integer codes", key) from None
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ApproxgenError(f"expected integer codes, got dtype {arr.dtype}", key)
    if arr.dtype.kind == "f":
        with np.errstate(all="ignore"):
            whole = np.isfinite(arr) & (arr == np.floor(arr))
        if not whole.all():
            bad = arr.reshape(-1)[np.flatnonzero(~whole.reshape(-1))[0]]
            raise ApproxgenError(f"expected integer codes, got {bad!r}", key)
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < fmt.min_code or hi > fmt.max_code:
            bad = lo if lo < fmt.min_code else hi
            raise ApproxgenError(f"code {int(bad)} is outside {fmt.describe()} "
                                 f"({fmt.min_code}..{fmt.max_code})", key)
    return arr.astype(np.int64)



LN2 = Fraction("0.69314718055994530941723212145817656807550013436025525412068")


def ln2_reduction(scale, bits: int = 31) -> tuple[int, int]:
    """``(F, C)``: ``C = round_half_up(scale / ln 2 2^F)`` in ``[2^(bits-1), 2^bits)`` (exact
    rationals), so ``z = u C`` is ``u scale / ln 2`` at ``F`` fraction bits (the ln 2 range
    reduction of softmax's exp and of ``range_reduction: exp2``)."""
    ratio = Fraction(scale) / LN2
    shift = bits - 1
    while ratio * 2 ** shift >= 1 << bits:
        shift -= 1
    while ratio * 2 ** shift < 1 << (bits - 1):
        shift += 1
    return shift, math.floor(ratio * 2 ** shift + Fraction(1, 2))
