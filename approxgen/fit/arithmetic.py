"""The integer pipeline a pwl fit must live in: shifts and coefficient bounds.

With a fixed coefficient format ``B:F`` (GQA-LUT's convention: a slope or intercept is a signed
``B``-bit integer worth ``2^-F`` real units) and power-of-two scales ``S_in = 2^-a``,
``S_out = 2^-b``, the real-valued line ``y = k 2^-Fk x + m 2^-Fm`` becomes, in codes,
``y = (k q + (m << cs)) >> s`` with ``s = Fk + a - b`` and ``cs = s + b - Fm``. With the automatic
format the slope and intercept are free integers, ``cs = 0`` and ``s`` is chosen so that slope
rounding costs at most ~1/32 LSB on a segment of average width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat
from approxgen.spec import CoefFormat, Spec


@dataclass(frozen=True)
class PwlArithmetic:
    input: IntFormat
    output: IntFormat
    shift: int
    intercept_shift: int
    slope_bounds: tuple[int, int] | None  # None: automatic width, any integer
    intercept_bounds: tuple[int, int] | None

    @classmethod
    def for_spec(cls, spec: Spec, segments: int, shift: int | None = None) -> "PwlArithmetic":
        """The pipeline of ``spec``; ``shift`` overrides the automatic format's shift."""
        where = spec.at("coef_format")
        a, b = _neg(spec.input.scale_exp), _neg(spec.output.scale_exp)
        if spec.slope_format is not None:
            shift = spec.slope_format.frac + a - b
            if shift < 0:
                raise ApproxgenError(f"slope format {spec.slope_format} has too few fraction bits "
                                     f"for these scales (the output shift would be {shift})",
                                     where)
        elif shift is None:
            shift = auto_shift(spec.input.bits, segments)
        if spec.intercept_format is not None:
            intercept_shift = shift + b - spec.intercept_format.frac
            if intercept_shift < 0:
                raise ApproxgenError(f"intercept format {spec.intercept_format} has more fraction "
                                     f"bits than the pipeline can use (at most "
                                     f"{shift + b})", where)
        else:
            intercept_shift = 0
        return cls(spec.input, spec.output, shift, intercept_shift,
                   _bounds(spec.slope_format), _bounds(spec.intercept_format))


def auto_shift(input_bits: int, segments: int) -> int:
    """Fraction bits of the automatic slope: ``bits_in + 3 - floor(log2 K)``.

    Rounding a slope to ``2^-s`` moves a segment of ``W`` codes by at most ``W / 2^(s+2)`` LSB
    after the intercept is re-fitted; with ``W = 2^bits_in / K`` that is 1/32 LSB.
    """
    return max(0, input_bits + 3 - int(math.floor(math.log2(max(segments, 1)))))


def _bounds(fmt: CoefFormat | None) -> tuple[int, int] | None:
    if fmt is None:
        return None
    return -(1 << (fmt.bits - 1)), (1 << (fmt.bits - 1)) - 1


def _neg(exp: int | None) -> int:
    return 0 if exp is None else -exp
