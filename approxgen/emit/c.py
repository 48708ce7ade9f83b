"""C99 emitter: one self-contained, integer-only header per fit (``templates/c/<form>.h.j2``).

The header computes exactly what the golden model (:mod:`approxgen.model`) computes, in portable C:

* ``pwl``: the intercept shift, the rounding offset ``2^(s-1)`` and a *bias* (a multiple of ``2^s``
  that makes every accumulator value non-negative) are folded into one offset per segment, so
  ``y = sat(((k_i*q + offset_i) >> s) - bias/2^s)``. The shift then never sees a negative value
  (right-shifting one is implementation-defined in C99) and nothing is ever left-shifted. The
  accumulator type (``int32_t`` or ``int64_t``) is chosen from the exact value ranges of
  :meth:`PwlModel.widths`; saturation is emitted only on sides the range can reach.
* The segment search is a compare-and-mask chain (branch-free, vectorized by GCC/Clang in the array
  variant) up to :data:`CHAIN_MAX_SEGMENTS` segments, a branch-free binary search beyond.
* ``table``: ``y = T[clamp(q, lo, hi) - lo]``.
"""

from __future__ import annotations

from approxgen.emit import environment, provenance
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, signed_bits

# The chain costs O(K) per element but vectorizes; the binary search costs O(log K) scalar work.
# Measured crossover (GCC 12, x86-64): ~50 segments with SSE2, >100 with AVX-512.
CHAIN_MAX_SEGMENTS = 48
BLOCK = 64  # elements per block of the array variant: a fixed trip count GCC -O2 vectorizes


def render(fit) -> str:
    """The C header of ``fit`` (deterministic: the same fit gives the same bytes)."""
    model = fit.model
    context = _common_context(fit)
    if model.form == "pwl":
        context.update(_pwl_context(model))
    elif model.form == "table":
        context.update(_table_context(model))
    else:
        raise ApproxgenError(f"emit c does not know the form {model.form!r}")
    return environment().get_template(f"c/{model.form}.h.j2").render(**context)


def ctype(bits: int, signed: bool) -> str:
    """The narrowest ``<stdint.h>`` type holding ``bits``-bit codes (``int8_t``, ``uint16_t``)."""
    for width in (8, 16, 32, 64):
        if bits <= width:
            return f"{'' if signed else 'u'}int{width}_t"
    raise ApproxgenError(f"no C integer type holds {bits} bits")


def literal(value: int) -> str:
    """A C integer constant expression for ``value`` (``-5``, ``INT64_C(5000000000)``).

    ``-2^31`` and ``-2^63`` are written as ``(-(2^k - 1) - 1)`` so that they keep a signed type of
    their own width; magnitudes beyond 32 bits get ``INT64_C`` (64-bit on every target).
    """
    if value in (-(1 << 31), -(1 << 63)):
        return f"({literal(value + 1)} - 1)"
    if value < 0:
        return f"-{literal(-value)}"
    return f"INT64_C({value})" if value >= 1 << 31 else str(value)


def _macro(value: int) -> str:
    """``literal`` safe to paste into any expression (negative values in parentheses)."""
    text = literal(value)
    return f"({text})" if text.startswith("-") else text


def _signed_ctype(lo: int, hi: int) -> str:
    return ctype(signed_bits(lo, hi), True)


def _format_context(fmt: IntFormat) -> dict:
    exp = fmt.scale_exp
    return {"bits": fmt.bits, "signed": int(fmt.signed), "min": _macro(fmt.min_code),
            "max": _macro(fmt.max_code), "type": ctype(fmt.bits, fmt.signed),
            "scale_exp": None if exp is None else _macro(exp), "scale": repr(fmt.scale)}


def _common_context(fit) -> dict:
    name = fit.spec.name
    return {
        "name": name,
        "macro": name.upper(),
        "guard": f"APPROXGEN_{name.upper()}_H",
        "provenance": [line.replace("*/", "* /") for line in provenance(fit)],
        "input": _format_context(fit.spec.input),
        "output": _format_context(fit.spec.output),
    }


def _pwl_context(model) -> dict:
    s = model.shift
    w = model.widths()
    # The smallest multiple of 2^s lifting the accumulator's lower bound to >= 0 (no shift: none).
    bias = (max(0, -w.acc_min) + (1 << s) - 1) >> s << s if s else 0
    offsets = [c + bias for c in model.offsets()]
    slopes = list(model.slopes)
    steps = [b - a for seq in (slopes, offsets) for a, b in zip(seq, seq[1:])]
    shifted_lo, shifted_hi = w.acc_min >> s, w.acc_max >> s  # r = acc >> s before saturation
    values = [w.product_min, w.product_max, w.acc_min + bias, w.acc_max + bias, *offsets, *slopes,
              *steps, model.input.min_code, model.input.max_code, shifted_lo, shifted_hi]
    acc_bits = signed_bits(min(values), max(values))
    if acc_bits > 64:
        raise ApproxgenError(f"the C accumulator would need {acc_bits} bits (more than 64)")
    acc_type = "int32_t" if acc_bits <= 32 and s < 32 else "int64_t"
    chain = model.segments <= CHAIN_MAX_SEGMENTS
    return {
        "segments": model.segments,
        "breakpoints": [literal(b) for b in model.breakpoints],
        "slopes": [literal(k) for k in slopes],
        "slope_type": _signed_ctype(min(slopes), max(slopes)),
        "offsets": [literal(c) for c in offsets],
        "offset_type": _signed_ctype(min(offsets), max(offsets)),
        "shift": s,
        "intercept_shift": model.intercept_shift,
        "formula": (f"((k_i * q + offsets[i]) >> {s}) - {bias >> s}" if s
                    else "k_i * q + offsets[i]"),
        "rounding": (1 << (s - 1)) if s else 0,
        "bias": literal(bias),
        "unbias": literal(bias >> s),
        "acc_type": acc_type,
        "acc_bits": acc_bits,
        "clamp_lo": shifted_lo < model.output.min_code,
        "clamp_hi": shifted_hi > model.output.max_code,
        "search": "chain" if chain else "binary",
        "halves": [] if chain else _halves(len(model.breakpoints)),
        "block": BLOCK,
    }


def _halves(n: int) -> list[int]:
    """Steps of the branch-free binary search over ``n`` sorted breakpoints (n >= 1)."""
    steps = []
    while n > 1:
        steps.append(n // 2)
        n -= n // 2
    return steps


def _table_context(model) -> dict:
    lo, hi = model.lo_code, model.hi_code
    return {
        "values": [literal(v) for v in model.values],
        "lo": _macro(lo),
        "hi": _macro(hi),
        "index": "q" if lo == 0 else (f"q + {-lo}" if lo < 0 else f"q - {lo}"),
        "clamp_lo": lo > model.input.min_code,
        "clamp_hi": hi < model.input.max_code,
    }
