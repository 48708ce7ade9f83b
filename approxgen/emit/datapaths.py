"""Per-form datapaths as :mod:`approxgen.emit.rtl` netlists: what the pipelined, streaming,
VHDL and programmable modules are rendered from (the combinational Verilog keeps its templates).

Every width comes from the forms' datapath functions in :mod:`approxgen.emit.verilog`
(:func:`~approxgen.emit.verilog.pwl_datapath`), so the integers are the golden model's. The steps
are the stages a register may follow: ``decode`` (segment index), ``read`` (coefficient ROM),
``multiply``, ``add`` (accumulate, shift, saturate), with each form's own steps between (the
quadratic's two multiplies, I-BERT's square and requantization, interp's index and node reads);
folded fits add ``fold`` (``|x|``) before and ``unfold`` (the reconstruction) after.
:data:`BUILDERS` answers per form (every shipped form has one); a form without one has no
pipelined/VHDL target (:func:`problem` says so in one line).
"""

from __future__ import annotations

from approxgen.emit import rtl
from approxgen.emit.rtl import (Binary, Bit, Cast, Cmp, Const, Decoder, Neg, Ref, Rom, Select,
                                ShiftRight, Sig, Slice, Step, ToSigned, add, mul, resize, sub)
from approxgen.fixedpoint import signed_bits


def decode_step(model, x: Sig, prefix: str = "", mirror=None) -> tuple[Step, Sig | None]:
    """``seg`` from ``x``: compares of ``x >>> key_shift`` with every breakpoint (parallel).
    ``mirror`` (a folded half: ``(m, sign)`` with ``m = x ^ sign``, see :func:`folded`): compare
    ``m`` with ``t - 1`` where the sign is set, as ``|x| >= t`` is ``m >= t - 1`` there."""
    from approxgen.emit.widths import key_shift

    if model.segments == 1:
        return Step("decode", []), None
    seg = Sig(f"{prefix}seg", max(1, (model.segments - 1).bit_length()), False)
    therm = Sig(f"{prefix}therm", model.segments - 1, False)
    if mirror is not None:
        m, sign = mirror
        st = Decoder(seg, therm, Ref(m), tuple(Const(t, m.bits, False)
                                               for t in model.breakpoints),
                     "segment decoder: seg = how many breakpoints are <= |x|, compared as "
                     "x ^ sign >= t (x >= 0), t - 1 (x < 0)",
                     Bit(sign, 0), tuple(Const(t - 1, m.bits, False) for t in model.breakpoints))
        return Step("decode", [st]), seg
    shift = key_shift(model)
    key_bits = x.bits - shift
    key = Slice(x, shift, key_bits, x.signed)
    st = Decoder(seg, therm, key, tuple(Const(t >> shift, key_bits, x.signed)
                                        for t in model.breakpoints),
                 f"segment decoder: seg = how many breakpoints are <= x"
                 f"{f' (compared as x >>> {shift})' if shift else ''}")
    return Step("decode", [st]), seg


def rom_step(seg: Sig | None, outputs: list[Sig], rows: list[tuple[int, ...]],
             what: str) -> Step:
    """The coefficient ROM indexed by ``seg`` (constants when there is one segment)."""
    if seg is None:
        return Step("read", [rtl.Assign(o, Const(v, o.bits, o.signed))
                             for o, v in zip(outputs, rows[0])])
    st = Rom(seg, tuple(outputs), tuple(range(len(rows))), tuple(rows),
             f"{what}, one row per segment")
    return Step("read", [st])


def pwl_lut(fit, x: Sig, prefix: str = "", mirror=None) -> tuple[list[Step], dict[str, Sig]]:
    model = fit.model
    decode, seg = decode_step(model, x, prefix, mirror)
    slope = Sig(f"{prefix}slope_c", model.slope_bits, True)
    intercept = Sig(f"{prefix}intercept_c", model.intercept_bits, True)
    read = rom_step(seg, [slope, intercept], list(zip(model.slopes, model.intercepts)),
                    "coefficient ROM: slope, intercept")
    return [decode, read], {"slope": slope, "intercept": intercept}


def pwl_full(fit, x: Sig, prefix: str = "", mirror=None) -> tuple[list[Step], Sig]:
    """decode, read, multiply, add: ``y = sat((slope * x + bias) >>> SHIFT)``."""
    from approxgen.emit.widths import pwl_datapath

    model = fit.model
    out = fit.spec.output
    d = pwl_datapath(model)
    decode, seg = decode_step(model, x, prefix, mirror)
    steps = [decode]
    if d.low_bits is not None:
        low = Sig(f"{prefix}x_low", d.low_bits, False)
        decode.statements.append(rtl.Assign(low, Slice(x, 0, d.low_bits, False),
                                            "offset form: the multiplier takes x's low bits"))
        operand = ToSigned(Ref(low))
    else:
        operand = Ref(x) if x.signed else ToSigned(Ref(x))
    slope = Sig(f"{prefix}slope_c", d.slope_bits, True)
    bias = Sig(f"{prefix}bias_c", d.bias_bits, True)
    outputs, rows = ([slope, bias], list(zip(model.slopes, d.bias))) if d.multiply else \
        ([bias], [(b,) for b in d.bias])
    base = " + slope * base" if d.low_bits else ""
    steps.append(rom_step(seg, outputs, rows, "coefficient ROM: slope, bias = (intercept << "
                          f"{model.intercept_shift}) + rounding{base}"))
    acc = Sig(f"{prefix}acc", d.acc_bits, True)
    if d.multiply:
        product = Sig(f"{prefix}product", d.product_bits, True)
        steps.append(Step("multiply", [rtl.Assign(product, mul(Ref(slope), operand,
                                                                d.product_bits))]))
        acc_expr = add(resize(Ref(product), d.acc_bits), resize(Ref(bias), d.acc_bits))
    else:
        steps.append(Step("multiply", []))
        acc_expr = resize(Ref(bias), d.acc_bits)
    y = Sig(f"{prefix}y_c", out.bits, out.signed)
    add_step = Step("add", [rtl.Assign(acc, acc_expr, "accumulate (exact)")])
    add_step.statements += saturate(acc, d.shift, d.shifted_bits, d.clamp_lo, d.clamp_hi, out,
                                    y, prefix)
    steps.append(add_step)
    return steps, y


def saturate(value: Sig, shift: int, shifted_bits: int, clamp_lo: bool, clamp_hi: bool, out,
             y: Sig, prefix: str = "") -> list:
    """``y = sat(value >>> shift)`` on the sides the range can leave the output codes (the rule
    of :func:`approxgen.emit.verilog.saturate_expr`)."""
    clamped = clamp_hi or clamp_lo
    r = shifted_bits if clamped else min(shifted_bits, out.bits)
    shifted = Sig(f"{prefix}shifted", r, True)
    sts = [rtl.Assign(shifted, Slice(value, shift, r, True), f"value >>> {shift}")]
    base = resize(Ref(shifted), out.bits) if r <= out.bits else Slice(shifted, 0, out.bits, True)
    if base.signed != out.signed:
        base = Cast(base, out.signed)
    choices = []
    if clamp_hi:
        choices.append((Cmp(">", Ref(shifted), Const(out.max_code, r)),
                        Const(out.max_code, out.bits, out.signed)))
    if clamp_lo:
        choices.append((Cmp("<", Ref(shifted), Const(out.min_code, r)),
                        Const(out.min_code, out.bits, out.signed)))
    sts.append(Select(y, tuple(choices), base, "saturation to the output codes"))
    return sts


def table_full(fit, x: Sig, prefix: str = "") -> tuple[list[Step], Sig]:
    inp, out = fit.spec.input, fit.spec.output
    codes = inp.codes()
    values = fit.model.evaluate(codes)
    y = Sig(f"{prefix}y_c", out.bits, out.signed)
    rom = Rom(x, (y,), tuple(int(c) for c in codes), tuple((int(v),) for v in values),
              "the table: one entry per input code")
    return [Step("read", [rom])], y


def folded(fit, x: Sig, inner_steps) -> tuple[list[Step], dict[str, Sig], Sig, Sig]:
    """``fold``: ``h = |x|`` (unsigned), then the half's steps on ``h``; returns the steps,
    the half's outputs, ``h`` and the sign bit signal."""
    from approxgen.forms.folded import inner_fit

    neg = Sig("x_neg", 1, False)
    h = Sig("x_abs", x.bits, False)
    ones = Sig("x_ones", x.bits, False)
    fold = Step("fold", [rtl.Assign(neg, Slice(x, x.bits - 1, 1, False), "the sign of x"),
                         Select(h, ((Bit(x, x.bits - 1), Cast(Neg(Ref(x)), False)),),
                                Cast(Ref(x), False), "|x| (2^(IN-1) fits the unsigned width)"),
                         rtl.Assign(ones, rtl.OnesMagnitude(x),
                                    "x ^ sign: |x| - 1 for x < 0 (for the decoder, no carry)")])
    steps, outputs = inner_steps(inner_fit(fit), h, (ones, neg))
    return [fold, *steps], outputs, h, neg


def folded_full(fit, x: Sig) -> tuple[list[Step], Sig]:
    """fold, the half's full datapath (saturated to its own wide format), then ``unfold``:
    ``y = sat(g)`` for x >= 0, ``sat(a + s*g + b*h)`` for x < 0, exact in the wide width."""
    model, out = fit.model, fit.spec.output

    def inner(half_fit, h, mirror):
        if half_fit.model.form == "pwl":
            return pwl_full(half_fit, h, "half_", mirror)
        return BUILDERS[_kind(half_fit.model)](half_fit, h, "full", "half_")
    steps, g, h, neg = folded(fit, x, inner)
    wide = model.wide_bits()
    lo, hi = model.wide_range()
    g_wide = Sig("g_wide", wide, True)
    h_wide = Sig("h_wide", wide, True)
    sts = [rtl.Assign(g_wide, resize(Ref(g), wide)),
           rtl.Assign(h_wide, resize(ToSigned(Ref(h)), wide))]
    expr = Ref(g_wide) if model.s > 0 else Neg(Ref(g_wide))
    if model.a:
        a = Const(model.a, wide)
        expr = add(a, Ref(g_wide)) if model.s > 0 else sub(a, Ref(g_wide))
    if model.b:
        term = Ref(h_wide) if abs(model.b) == 1 else mul(Const(abs(model.b), wide), Ref(h_wide),
                                                         wide)
        expr = add(expr, term) if model.b > 0 else sub(expr, term)
    mirrored = Sig("mirrored", wide, True)
    chosen = Sig("unfolded", wide, True)
    sts += [rtl.Assign(mirrored, expr, "the mirrored side: a + s*g + b*|x|"),
            Select(chosen, ((Bit(neg, 0), Ref(mirrored)),), Ref(g_wide))]
    y = Sig("y_c", out.bits, out.signed)
    sts += saturate(chosen, 0, wide, lo < out.min_code, hi > out.max_code, out, y)
    steps.append(Step("unfold", sts))
    return steps, y


def folded_lut(fit, x: Sig) -> tuple[list[Step], dict[str, Sig]]:
    def inner(half_fit, h, mirror):
        if half_fit.model.form == "pwl":
            return pwl_lut(half_fit, h, "half_", mirror)
        return BUILDERS[_kind(half_fit.model)](half_fit, h, "lut", "half_")
    steps, outputs, _h, _neg = folded(fit, x, inner)
    return steps, outputs


def build(fit, part: str) -> rtl.Datapath:
    """The datapath of ``fit``'s ``part`` (ports ``x`` in, ``y`` or ``slope``/``intercept`` out)."""
    inp = fit.spec.input
    x = Sig("x", inp.bits, inp.signed)
    model = fit.model
    steps, outputs = _builder(model)(fit, x, part)
    if isinstance(outputs, Sig):
        outputs = {"y": outputs}
    return rtl.Datapath([x], steps, outputs)


def _kind(model) -> str:
    return ("folded " if getattr(model, "inner", None) is not None else "") + model.form


def _builder(model):
    """The builder of ``model``'s netlist (a folded model: its inner form's, behind |x|), or
    None."""
    if getattr(model, "inner", None) is not None:
        return _folded_builder if model.inner.form in BUILDERS else None
    return BUILDERS.get(model.form)


def _segment_decode(model, x: Sig, prefix: str) -> tuple[Step, Sig | None]:
    """Breakpoints on ``x`` itself (quadratic), as :func:`decode_step` without a key shift."""
    if model.segments == 1:
        return Step("decode", []), None
    seg = Sig(f"{prefix}seg", max(1, (model.segments - 1).bit_length()), False)
    therm = Sig(f"{prefix}therm", model.segments - 1, False)
    st = Decoder(seg, therm, Ref(x), tuple(Const(t, x.bits, x.signed) for t in model.breakpoints),
                 "segment decoder: seg = how many breakpoints are <= x")
    return Step("decode", [st]), seg


def clamp_input(model, x: Sig, inp, prefix: str) -> tuple[list, Sig]:
    """``x`` signed one bit wider, clamped to the domain codes ``model.lo_code..hi_code``
    (quadratic, interp): the statements and the clamped signal."""
    n = inp.bits + 1
    x_wide = Sig(f"{prefix}x_wide", n, True)
    sts = [rtl.Assign(x_wide, resize(Ref(x), n) if inp.signed else ToSigned(Ref(x)))]
    choices = []
    if model.lo_code > inp.min_code:
        choices.append((Cmp("<", Ref(x_wide), Const(model.lo_code, n)), Const(model.lo_code, n)))
    if model.hi_code < inp.max_code:
        choices.append((Cmp(">", Ref(x_wide), Const(model.hi_code, n)), Const(model.hi_code, n)))
    if not choices:
        return sts, x_wide
    xc = Sig(f"{prefix}x_clamped", n, True)
    sts.append(Select(xc, tuple(choices), Ref(x_wide), "x clamped to the domain codes"))
    return sts, xc


def quadratic_lut(fit, x: Sig, prefix: str = "") -> tuple[list[Step], dict[str, Sig]]:
    model, inp = fit.model, fit.spec.input
    decode, seg = _segment_decode(model, x, prefix)
    outs = [Sig(f"{prefix}{k}_c", getattr(model, f"{k}_bits"), True) for k in "abc"]
    outs.append(Sig(f"{prefix}origin_c", inp.bits, inp.signed))
    read = rom_step(seg, outs, list(zip(model.a, model.b, model.c, model.origins)),
                    "coefficient ROM: a, b, c, origin")
    return [decode, read], {k: o for k, o in zip(("a", "b", "c", "origin"), outs)}


def quadratic_full(fit, x: Sig, prefix: str = "") -> tuple[list[Step], Sig]:
    """decode (and the domain clamp), read, offset ``d``, multiply ``a*d``, inner ``h``,
    multiply ``h*d``, add: Horner's rule of :mod:`approxgen.forms.quadratic`."""
    from approxgen.emit.widths import quadratic_datapath

    model, inp, out = fit.model, fit.spec.input, fit.spec.output
    q = quadratic_datapath(model)
    decode, seg = _segment_decode(model, x, prefix)
    n = inp.bits + 1
    clamp, xc = clamp_input(model, x, inp, prefix)
    decode.statements += clamp
    names = ("a", "b", "offset", "origin")
    bits = (q["a_bits"], q["b_bits"], q["offset_bits"], q["origin_bits"])
    a, b, offset, origin = (Sig(f"{prefix}{k}_c", w, True) for k, w in zip(names, bits))
    read = rom_step(seg, [a, b, offset, origin],
                    list(zip(model.a, model.b, model.offsets(), model.origins)),
                    "coefficient ROM: a, b, offset = c + rounding, origin")
    d_full = Sig(f"{prefix}d_full", n + 1, True)
    d = Sig(f"{prefix}d", q["d_bits"], False)
    offset_step = Step("offset", [
        rtl.Assign(d_full, sub(resize(Ref(xc), n + 1), resize(Ref(origin), n + 1)),
                   "the local offset d = x - origin (never negative)"),
        rtl.Assign(d, Slice(d_full, 0, q["d_bits"], False))])
    d_op = ToSigned(Ref(d))
    p1 = Sig(f"{prefix}p1", q["p1_bits"], True)
    p1s = Sig(f"{prefix}p1_shifted", q["p1_shifted_bits"], True)
    h = Sig(f"{prefix}h", q["h_bits"], True)
    lo = min(model.inner_shift, q["p1_bits"] - 1)
    mul1 = Step("multiply", [rtl.Assign(p1, mul(Ref(a), d_op, q["p1_bits"]), "a * d")])
    inner = Step("inner", [
        rtl.Assign(p1s, Slice(p1, lo, q["p1_shifted_bits"], True), "p1 >>> S1"),
        rtl.Assign(h, add(resize(Ref(p1s), q["h_bits"]), resize(Ref(b), q["h_bits"])),
                   "h = (a * d >>> S1) + b")])
    p2 = Sig(f"{prefix}p2", q["p2_bits"], True)
    mul2 = Step("multiply2", [rtl.Assign(p2, mul(Ref(h), d_op, q["p2_bits"]), "h * d")])
    acc = Sig(f"{prefix}acc", q["acc_bits"], True)
    y = Sig(f"{prefix}y_c", out.bits, out.signed)
    add_sts = [rtl.Assign(acc, add(resize(Ref(p2), q["acc_bits"]),
                                   resize(Ref(offset), q["acc_bits"])), "h * d + offset")]
    add_sts += saturate(acc, model.shift, q["shifted_bits"], q["clamp_lo"], q["clamp_hi"], out,
                        y, prefix)
    steps = [decode, read, offset_step, mul1, inner, mul2,
             Step("add", add_sts)]
    return steps, y


def _ibert_square(model, u: Sig, poly: Sig) -> tuple[Sig, Step]:
    """I-BERT's ``L = u * u + q_c`` (both kinds) in ``poly``'s width."""
    wl = poly.bits
    return poly, Step("square", [rtl.Assign(poly, add(mul(resize(Ref(u), wl), resize(Ref(u), wl),
                                                          wl), Const(model.q_c, wl)),
                                            "u * u + q_c")])


def ibert_full(fit, x: Sig, prefix: str = "") -> tuple[list[Step], Sig]:
    """I-BERT's polynomial on x, then the requantization (widths as
    :func:`approxgen.emit.verilog.ibert_context`'s, from the exact ranges)."""
    model, inp, out = fit.model, fit.spec.input, fit.spec.output
    rng, bits = model.ranges(), model.bits()
    n = inp.bits + 1

    def sig(name, width, signed=True):
        return Sig(f"{prefix}{name}", width, signed)
    x_wide = sig("x_wide", n)
    first = [rtl.Assign(x_wide, resize(Ref(x), n) if inp.signed else ToSigned(Ref(x)))]
    zero = Const(0, n)
    if model.kind == "gelu":
        x_abs, t = sig("x_abs", n), sig("t", n)
        wu = max(bits["u"], n)
        u = sig("u", wu)
        first += [Select(x_abs, ((Cmp("<", Ref(x_wide), zero), Neg(Ref(x_wide))),), Ref(x_wide)),
                  Select(t, ((Cmp(">", Ref(x_abs), Const(-model.q_b, n)), Const(-model.q_b, n)),),
                         Ref(x_abs), "t = min(|x|, -q_b)"),
                  rtl.Assign(u, add(resize(Ref(t), wu), Const(model.q_b, wu)))]
        poly, square = _ibert_square(model, u, sig("poly", max(bits["L"], wu)))
        wl = poly.bits
        we = max(bits["erf"], wl)
        ws = max(bits["s"], we)
        erf, total = sig("erf", we), sig("sum", ws)
        sign = Step("erf", [
            Select(erf, ((Cmp("<", Ref(x_wide), zero), Neg(resize(Ref(poly), we))),),
                   resize(Ref(poly), we)),
            rtl.Assign(total, add(resize(Ref(erf), ws), Const(model.q_1, ws)))])
        wv = max(bits["v"], ws, n)
        v = sig("v", wv)
        product = Step("multiply", [rtl.Assign(v, mul(resize(Ref(x_wide), wv),
                                                      resize(Ref(total), wv), wv), "x * sum")])
        steps = [Step("abs", first), square, sign, product]
    else:
        zmax = rng["z"][1]
        zb = max(1, zmax.bit_length())
        x_neg, p, z, z_ln2, r = (sig("x_neg", n), sig("p", n), sig("z", zb, False),
                                 sig("z_ln2", n), sig("r", n))
        wu = max(bits["u"], n)
        u = sig("u", wu)
        first += [Select(x_neg, ((Cmp(">", Ref(x_wide), zero), zero),), Ref(x_wide),
                         "min(x, 0)"),
                  rtl.Assign(p, Neg(Ref(x_neg))),
                  Select(z, tuple((Cmp(">=", Ref(p), Const(j * model.q_1, n)),
                                   Const(j, zb, False)) for j in range(zmax, 0, -1)),
                         Const(0, zb, False), "z = floor(p / q_ln2)"),
                  Select(z_ln2, tuple((Cmp(">=", Ref(p), Const(j * model.q_1, n)),
                                       Const(j * model.q_1, n)) for j in range(zmax, 0, -1)),
                         Const(0, n), "z * q_ln2"),
                  rtl.Assign(r, add(Ref(x_neg), Ref(z_ln2))),
                  rtl.Assign(u, add(resize(Ref(r), wu), Const(model.q_b, wu)))]
        poly, square = _ibert_square(model, u, sig("poly", max(bits["L"], wu)))
        wl = poly.bits
        wv = wl
        v = sig("v", wv)
        shift = Step("shift", [rtl.Assign(v, rtl.ShiftRight(Ref(poly), z), "poly >>> z")])
        steps = [Step("reduce", first), square, shift]
    m_bits = signed_bits(model.multiplier, model.multiplier)
    wa = max(bits["acc"], wv, m_bits, model.shift + bits["shifted"])
    rounding = (1 << (model.shift - 1)) if model.shift else 0
    acc = sig("acc", wa)
    steps.append(Step("requantize", [rtl.Assign(acc, add(mul(resize(Ref(v), wa),
                                                             Const(model.multiplier, wa), wa),
                                                         Const(rounding, wa)),
                                                "v * m + rounding")]))
    y = sig("y_c", out.bits, out.signed)
    lo, hi = rng["shifted"]
    steps.append(Step("saturate", saturate(acc, model.shift, bits["shifted"], lo < out.min_code,
                                           hi > out.max_code, out, y, prefix)))
    return steps, y


def interp_full(fit, x: Sig, prefix: str = "") -> tuple[list[Step], Sig]:
    """The interpolated node table (:mod:`approxgen.forms.interp`; widths of
    :func:`approxgen.emit.verilog.interp_datapath`): decode (clamp, offset u, region), read (the
    region's constants), index (node k0, fraction t), nodes (ROM reads), multiply, add."""
    from approxgen.emit.widths import interp_datapath, interp_region_constants

    model, inp, out = fit.model, fit.spec.input, fit.spec.output
    d = interp_datapath(model)
    ub, kb, vb, tb, ab = d["u_bits"], d["k_bits"], d["v_bits"], d["t_bits"], d["acc_bits"]
    n = inp.bits + 1

    def sig(name, width, signed=True):
        return Sig(f"{prefix}{name}", width, signed)
    decode, xc = clamp_input(model, x, inp, prefix)
    u_full, u = sig("u_full", n + 1), sig("u", ub, False)
    decode += [rtl.Assign(u_full, sub(resize(Ref(xc), n + 1), Const(model.lo_code, n + 1)),
                          "u = x - lo"),
               rtl.Assign(u, Slice(u_full, 0, ub, False))]
    shift, rnd = interp_region_constants(model)
    start, first = sig("start", ub, False), sig("first", kb, False)
    step_g, shift_s = sig("step_g", d["g_bits"], False), sig("shift_s", d["s_bits"], False)
    mask, rnd_c = sig("mask", ub, False), sig("rnd", ab)
    rows = [(st, k, g, shift(g), ((1 << g) - 1) & ((1 << ub) - 1), rnd(g))
            for st, g, k in zip(model.starts, model.steps, model.firsts())]
    region = Sig(f"{prefix}region", max(1, (model.regions - 1).bit_length()), False)
    steps = [Step("decode", decode)]
    outs = [start, first, step_g, shift_s, mask, rnd_c]
    if model.regions > 1:
        steps[0].statements.append(Decoder(region, sig("region_therm", model.regions - 1, False),
                                           Ref(u), tuple(Const(st, ub, False)
                                                         for st in model.starts[1:]),
                                           "region = how many region starts are <= u"))
        steps.append(rom_step(region, outs, rows, "the region's start, first node, step, "
                                                  "shift, mask and rounding"))
    else:
        steps.append(rom_step(None, outs, rows, ""))
    du, d_high = sig("du", ub, False), sig("d_high", ub, False)
    k0, t_full, t = sig("k0", kb, False), sig("t_full", ub, False), sig("t", tb, False)
    index = [rtl.Assign(du, sub(Ref(u), Ref(start))),
             rtl.Assign(d_high, ShiftRight(Ref(du), step_g)),
             rtl.Assign(k0, add(Ref(first), resize(Ref(d_high), kb)),
                        "the node k0 = first + (du >> step_g)"),
             rtl.Assign(t_full, Binary("&", Ref(du), Ref(mask), ub)),
             rtl.Assign(t, Slice(t_full, 0, tb, False), "t = du mod 2^step_g")]
    ports = model.order + 1
    keys = [k0] + [sig(f"k{i}", kb, False) for i in range(1, ports)]
    index += [rtl.Assign(keys[i], add(Ref(k0), Const(i, kb, False))) for i in range(1, ports)]
    steps.append(Step("index", index))
    values = [int(v) for v in model.values()]
    vs = [sig(f"v{i}", vb) for i in range(ports)]
    nodes = [Rom(key, (v,), tuple(range(len(values))), tuple((val,) for val in values),
                 f"node ROM read at {key.name}") for key, v in zip(keys, vs)]
    t_op = ToSigned(Ref(t))
    shifted_src = sig("sh_full", ab)
    y = sig("y_c", out.bits, out.signed)
    if model.order == 1:
        db, pb = d["diff_bits"], d["product_bits"]
        diff_full, diff = sig("diff_full", vb + 1), sig("diff", db)
        nodes += [rtl.Assign(diff_full, sub(resize(Ref(vs[1]), vb + 1),
                                            resize(Ref(vs[0]), vb + 1))),
                  rtl.Assign(diff, Ref(diff_full) if db == vb + 1
                             else Slice(diff_full, 0, db, True))]
        steps.append(Step("nodes", nodes))
        product = sig("product", pb)
        steps.append(Step("multiply", [rtl.Assign(product, mul(Ref(diff), t_op, pb),
                                                  "(v1 - v0) * t")]))
        acc = sig("acc", ab)
        add_sts = [rtl.Assign(acc, add(add(rtl.ShiftLeft(resize(Ref(vs[0]), ab), step_g),
                                           resize(Ref(product), ab)), Ref(rnd_c)),
                              "v0 * 2^step_g + product + rnd"),
                   rtl.Assign(shifted_src, ShiftRight(Ref(acc), shift_s))]
    else:
        w = [sig(f"v{i}_w", ab) for i in range(3)]
        d1, d2 = sig("d1", ab), sig("d2", ab)
        nodes += [rtl.Assign(wi, resize(Ref(v), ab)) for wi, v in zip(w, vs)]
        nodes += [rtl.Assign(d1, sub(Ref(w[1]), Ref(w[0]))),
                  rtl.Assign(d2, add(sub(Ref(w[2]), rtl.ShiftLeft(Ref(w[1]), 1)), Ref(w[0])),
                             "Newton's forward differences")]
        steps.append(Step("nodes", nodes))
        t_w, size, inner = sig("t_w", ab), sig("size", ab), sig("inner", ab)
        steps.append(Step("multiply", [
            rtl.Assign(t_w, resize(t_op, ab)),
            rtl.Assign(size, rtl.ShiftLeft(Const(1, ab), step_g)),
            rtl.Assign(inner, add(rtl.ShiftLeft(rtl.ShiftLeft(Ref(d1), step_g), 1),
                                  mul(Ref(d2), sub(Ref(t_w), Ref(size)), ab)),
                       "2 d1 2^g + d2 (t - 2^g)")]))
        acc, total = sig("acc", ab), sig("total", ab)
        add_sts = [rtl.Assign(acc, add(mul(Ref(t_w), Ref(inner), ab), Ref(rnd_c)),
                              "t * inner + rnd"),
                   rtl.Assign(total, add(Ref(w[0]), ShiftRight(Ref(acc), shift_s))),
                   rtl.Assign(shifted_src, ShiftRight(Ref(total), model.frac))]
    add_sts += saturate(shifted_src, 0, d["shifted_bits"], d["clamp_lo"], d["clamp_hi"], out, y,
                        prefix)
    steps.append(Step("add", add_sts))
    return steps, y


def _quadratic_builder(fit, x, part, prefix=""):
    return quadratic_lut(fit, x, prefix) if part == "lut" else quadratic_full(fit, x, prefix)


def _pwl_builder(fit, x, part, prefix=""):
    return pwl_lut(fit, x, prefix) if part == "lut" else pwl_full(fit, x, prefix)


def _folded_builder(fit, x, part, prefix=""):
    return folded_lut(fit, x) if part == "lut" else folded_full(fit, x)


# form -> builder(fit, x, part, prefix): (steps, outputs); a folded fit wraps its inner form's
BUILDERS = {
    "pwl": _pwl_builder,
    "table": lambda fit, x, part, prefix="": table_full(fit, x, prefix),
    "quadratic": _quadratic_builder,
    "ibert": lambda fit, x, part, prefix="": ibert_full(fit, x, prefix),
    "interp": lambda fit, x, part, prefix="": interp_full(fit, x, prefix),
}


def problem(fit) -> str | None:
    """Why ``fit``'s form has no netlist (pipelined, streaming, VHDL), or None (its parts are
    the form's own: the Verilog cell's ``part_problem``)."""
    if _builder(fit.model) is None:
        return (f"the {_kind(fit.model)} form has no pipelined/streaming/VHDL datapath yet "
                f"({', '.join(BUILDERS)}, folded or not, have)")
    return None

