"""The widths of every form's datapath, from the exact value ranges over all input codes, and
sized Verilog literals: shared by the Verilog templates (:mod:`approxgen.emit.verilog`), the
netlists (:mod:`approxgen.emit.datapaths`) and the cost estimate (:mod:`approxgen.cost`)."""

from __future__ import annotations

from dataclasses import dataclass

from approxgen.fixedpoint import signed_bits


@dataclass(frozen=True)
class PwlDatapath:
    """Widths (bits) of every pwl wire, from the exact value ranges over all input codes."""

    segments: int
    seg_bits: int  # the segment index
    key_shift: int  # every breakpoint is a multiple of 2^key_shift: compare x >>> key_shift
    low_bits: int | None  # offset form: the multiplier takes x[low_bits-1:0] (see pwl_datapath)
    x_bits: int  # the multiplier's x operand, signed (zero-extended when x or x's low bits)
    slope_bits: int  # needed by the slopes (may be below the declared slope_bits)
    bias: tuple[int, ...]  # per segment: (m_i << cs) + rounding offset (+ k_i * base_i)
    bias_bits: int
    multiply: bool  # False when no product can be nonzero
    product_bits: int
    acc_bits: int
    shift: int
    shifted_bits: int  # acc >>> shift, before saturation
    shifted_min: int
    shifted_max: int
    clamp_hi: bool
    clamp_lo: bool


def aligned_low_bits(model) -> int | None:
    """The fewest low bits D such that every segment lies in one aligned block of 2^D codes."""
    ranges = model.segment_ranges()
    return next((d for d in range(model.input.bits + 1)
                 if all(lo >> d == hi >> d for lo, hi in ranges)), None)


def key_shift(model) -> int:
    """The most low bits of x the segment decoder can drop: the breakpoints' common trailing
    zeros (at most ``in_bits - 1``); ``x >= t`` is then ``x >>> c >= t >>> c`` exactly."""
    zeros = [(t & -t).bit_length() - 1 for t in model.breakpoints if t]
    return min([model.input.bits - 1, *zeros]) if model.breakpoints else 0


def pwl_datapath(model) -> PwlDatapath:
    """Derive every width of the full pwl datapath from ``model`` (a :class:`PwlModel`).

    Offset form: when every segment lies in one aligned block of 2^D codes and ``D + 1`` bits are
    fewer than x's, ``k*q = k*base + k*x[D-1:0]`` with ``base = (q >> D) << D`` constant per
    segment; ``k*base`` joins the ROM constant and the multiplier shrinks to ``x[D-1:0]``, exactly.
    """
    w = model.widths()
    out = model.output
    bias = model.offsets()
    x_bits = model.input.bits + (0 if model.input.signed else 1)
    low = aligned_low_bits(model)
    low_bits = low if low is not None and low + 1 < x_bits else None
    products = []  # (segment's operand range, slope)
    for i, ((lo, hi), k) in enumerate(zip(model.segment_ranges(), model.slopes)):
        if low_bits is not None:
            base = (lo >> low_bits) << low_bits
            bias[i] += k * base
            lo, hi = lo - base, hi - base
        products += [k * lo, k * hi]
    if low_bits is not None:
        x_bits = low_bits + 1
    slope_bits = signed_bits(min(model.slopes), max(model.slopes))
    multiply = any(products)
    # The product is exact in product_bits; widening to the operands keeps the multiply lint-clean.
    product_bits = max(signed_bits(min(products), max(products)), slope_bits, x_bits) \
        if multiply else 0
    bias_bits = signed_bits(min(bias), max(bias))
    acc_bits = max(w.acc_bits, product_bits, bias_bits)
    lo, hi = w.acc_min >> model.shift, w.acc_max >> model.shift
    return PwlDatapath(
        segments=model.segments, seg_bits=max(1, (model.segments - 1).bit_length()),
        key_shift=key_shift(model), low_bits=low_bits, x_bits=x_bits, slope_bits=slope_bits,
        bias=tuple(bias), bias_bits=bias_bits, multiply=multiply, product_bits=product_bits,
        acc_bits=acc_bits,
        shift=model.shift, shifted_bits=signed_bits(lo, hi), shifted_min=lo, shifted_max=hi,
        clamp_hi=hi > out.max_code, clamp_lo=lo < out.min_code)


def lit(value: int, bits: int, signed: bool = True) -> str:
    """A sized Verilog literal: ``-8'sd5``, ``8'sh80`` (the most negative), ``8'd200``."""
    if not signed:
        return f"{bits}'d{value}"
    if value >= 0:
        return f"{bits}'sd{value}"
    if value == -(1 << (bits - 1)):
        return f"{bits}'sh{(1 << (bits - 1)):x}"
    return f"-{bits}'sd{-value}"


def quadratic_datapath(model) -> dict:
    """Every width of the quadratic datapath (see :mod:`approxgen.forms.quadratic`): exact value
    widths, widened where needed to the operands' so every multiply and add is lint-clean."""
    w = model.widths()
    inp, out = model.input, model.output
    a_bits = signed_bits(min(model.a), max(model.a))
    b_bits = signed_bits(min(model.b), max(model.b))
    offsets = model.offsets()
    offset_bits = signed_bits(min(offsets), max(offsets))
    origin_bits = inp.bits + (0 if inp.signed else 1)
    d_bits = w.d_bits
    p1_bits = max(w.bits("p1"), a_bits, d_bits + 1)
    p1_shifted = max(1, p1_bits - model.inner_shift)
    h_bits = max(w.bits("h"), p1_shifted, b_bits)
    p2_bits = max(w.bits("p2"), h_bits, d_bits + 1)
    shifted_bits = w.bits("shifted")
    acc_bits = max(w.bits("acc"), p2_bits, offset_bits, model.shift + shifted_bits)
    return {"a_bits": a_bits, "b_bits": b_bits, "offset_bits": offset_bits,
            "origin_bits": origin_bits, "d_bits": d_bits, "p1_bits": p1_bits,
            "p1_shifted_bits": p1_shifted, "h_bits": h_bits, "p2_bits": p2_bits,
            "acc_bits": acc_bits, "shifted_bits": shifted_bits,
            "clamp_hi": w.shifted[1] > out.max_code, "clamp_lo": w.shifted[0] < out.min_code,
            "input_clamps": int(model.lo_code > inp.min_code) + int(model.hi_code < inp.max_code),
            "clamp_bits": inp.bits, "seg_bits": max(1, (model.segments - 1).bit_length())}


def interp_datapath(model) -> dict:
    """Every width of the interp datapath (see :mod:`approxgen.forms.interp`), from the exact
    value ranges over every input code; shared by the template and the cost estimate. The ROM
    holds the node values with their base. Order 2 computes d1, d2, the inner term, the product
    and the accumulator in one width ``acc_bits`` (two's complement: each is exact once the
    accumulator's range fits it)."""
    w = model.widths()
    inp, out = model.input, model.output
    u_bits = max(1, (model.codes - 1).bit_length())
    nodes = len(model.nodes)
    k_bits = max(u_bits, (nodes - 1).bit_length())
    values = model.values()
    v_bits = signed_bits(int(values.min()), int(values.max()))
    diff_bits = min(v_bits + 1, w.bits("diff"))
    t_bits = max(1, min(max(model.steps), u_bits))
    if model.order == 1:
        product_bits = max(w.bits("product"), diff_bits, t_bits + 1)
        shifts = [g + model.frac for g in model.steps]
        acc_bits = max(w.bits("acc"), product_bits, v_bits, max(shifts) + 1)
    else:
        shifts = [2 * g + 1 for g in model.steps]
        acc_bits = max(w.bits("acc"), w.bits("product"), w.bits("inner"), w.bits("total"),
                       w.bits("d2"), diff_bits, v_bits + 1, t_bits + 2,
                       2 * max(model.steps) + model.frac + 2)
        product_bits = acc_bits
    return {"u_bits": u_bits, "k_bits": k_bits, "v_bits": v_bits, "diff_bits": diff_bits,
            "t_bits": t_bits, "product_bits": product_bits, "acc_bits": acc_bits,
            "g_bits": max(1, max(model.steps).bit_length()),
            "s_bits": max(1, max(shifts).bit_length()),
            "region_bits": max(1, (model.regions - 1).bit_length()),
            "shifted_bits": min(w.bits("shifted"), acc_bits),
            "clamp_hi": w.shifted[1] > out.max_code, "clamp_lo": w.shifted[0] < out.min_code,
            "input_clamps": int(model.lo_code > inp.min_code) + int(model.hi_code < inp.max_code)}


def interp_region_constants(model):
    """``(shift(g), rounding(g))``: a region of node step ``2^g``'s final shift and rounding
    constant (see the interp template's header)."""
    if model.order == 1:
        return (lambda g: g + model.frac), (lambda g: (1 << (g + model.frac)) >> 1)
    return (lambda g: 2 * g + 1), (lambda g: 1 << (2 * g + model.frac))
