"""The streaming LayerNorm / RMSNorm unit's datapath (issue 23): every register and wire as wide
as the golden model's reachable range needs, and the row phase as a sequence of steps sharing
one multiplier. Both HDL templates (``templates/verilog/norm.v.j2``, ``templates/vhdl/norm.vhd.j2``)
render the same netlist (:mod:`approxgen.emit.rtl`) through their language's writer.

Ranges (exact integers, :func:`ranges`): the load pass's sums over rows of at most ``length``
codes; ``Q`` up to :attr:`Norm.max_q`; ``V`` up to ``max_q + E(length)``; ``rsqrt30``'s values by
interval arithmetic over every mantissa code (its ``m30`` interval, each Newton step's products
from the interval's corners); ``K`` over every ``n``; ``z`` from ``|a| <= sqrt(V)``:
``|z| < sqrt(max_c r_c^2 (m30_c + 1)) K_max 2^(FZ - 69) + 1`` (``r_c`` the bound of the final
``r`` over code ``c``'s interval); the accumulator per channel from its gamma and beta codes.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from approxgen.emit import rtl
from approxgen.emit.rtl import (Assign, Cmp, Concat, Const, Ref, Rom, Select, ShiftLeft,
                                ShiftRight, Sig, Slice, ToSigned, add, mul, resize, sub)
from approxgen.fixedpoint import signed_bits


def span(*values) -> tuple[int, int]:
    """The smallest range holding every ``(lo, hi)`` or int of ``values``."""
    flat = [v for item in values for v in (item if isinstance(item, tuple) else (item,))]
    return int(min(flat)), int(max(flat))


def times(a: tuple, b: tuple) -> tuple[int, int]:
    """The range of products of two ranges."""
    return span(*(x * y for x in a for y in b))


def shifted(r: tuple, k: int) -> tuple[int, int]:
    return r[0] >> k, r[1] >> k


def _corners(alo, ahi, blo, bhi):
    products = [alo * blo, alo * bhi, ahi * blo, ahi * bhi]
    return functools.reduce(np.minimum, products), functools.reduce(np.maximum, products)


def rsqrt_ranges(block) -> dict:
    """Ranges of ``rsqrt30``'s values over every ``m30`` (per mantissa code, interval arithmetic
    through the Newton steps): ``r`` (any step), ``r_final``, ``rr = r r``, ``t`` (both shifted
    products), ``mt = m30 (rr >> 30)``, ``w = 3 2^30 - t``, ``rw = r w``, and ``rm`` =
    ``max_c r_c^2 (m30_c + 1)`` (``r_c`` the final ``r``'s bound over code ``c``)."""
    R_BITS = block.R_BITS  # Norm's fraction bits
    frac = block.mantissa_bits
    codes = np.arange(1 << frac, 4 << frac)
    m_lo = np.array([int(c) << (R_BITS - frac) for c in codes], dtype=object)
    m_hi = np.array([min(((int(c) + 1) << (R_BITS - frac)) - 1, (1 << 32) - 1)
                     for c in codes], dtype=object)
    first = block.rsqrt_fit.model.evaluate(codes).astype(np.int64)
    r0 = np.array([int(v) << (R_BITS - (block.rsqrt_bits - 1)) for v in first], dtype=object)
    r_lo, r_hi = r0.copy(), r0.copy()
    seen = {"r": [span(int(r0.min()), int(r0.max()))]}
    three = 3 << R_BITS
    for _ in range(block.newton):
        rr_lo, rr_hi = _corners(r_lo, r_hi, r_lo, r_hi)
        t1_lo, t1_hi = rr_lo >> R_BITS, rr_hi >> R_BITS
        mt_lo, mt_hi = _corners(m_lo, m_hi, t1_lo, t1_hi)
        t_lo, t_hi = mt_lo >> R_BITS, mt_hi >> R_BITS
        w_lo, w_hi = three - t_hi, three - t_lo
        rw_lo, rw_hi = _corners(r_lo, r_hi, w_lo, w_hi)
        r_lo, r_hi = rw_lo >> (R_BITS + 1), rw_hi >> (R_BITS + 1)
        for key, lo, hi in (("rr", rr_lo, rr_hi), ("t", t1_lo, t1_hi), ("t", t_lo, t_hi),
                            ("mt", mt_lo, mt_hi), ("w", w_lo, w_hi), ("rw", rw_lo, rw_hi),
                            ("r", r_lo, r_hi)):
            seen.setdefault(key, []).append((int(lo.min()), int(hi.max())))
    bound = np.maximum(abs(r_lo), abs(r_hi))
    out = {key: span(*values) for key, values in seen.items()}
    out["r_final"] = (int(r_lo.min()), int(r_hi.max()))
    out["rm"] = int(max(b * b * (m + 1) for b, m in zip(bound, m_hi)))
    return out


def ranges(block) -> dict:
    """Every value of the unit (see the module doc): name -> ``(lo, hi)``, plus ``e_max`` (the
    largest leading-pair exponent) and the channel codes."""
    R_BITS, K_BITS = block.R_BITS, block.K_BITS  # Norm's fraction bits
    L, fmt = block.length, block.input
    lo, hi = fmt.min_code, fmt.max_code
    big = max(lo * lo, hi * hi)
    rs = rsqrt_ranges(block)
    n = np.arange(1, L + 1, dtype=np.int64)
    rn, en = block.rsqrt(n)
    nr = n * rn
    k = nr >> (en + 6)
    v_max = max(1, block.max_q + block.eps_term(L))  # V = max(1, Q + E)
    out = {"x": (lo, hi), "n": (1, L), "s": (L * lo, L * hi), "dsq": (0, big),
           "sq": (0, L * big), "q": (0, block.max_q), "v": (0, v_max), "m30": (0, (1 << 32) - 1),
           "nr": span(int(nr.min()), int(nr.max())), "k": span(int(k.min()), int(k.max())),
           **rs}
    out["e_max"] = max(v_max.bit_length() - 1, L.bit_length() - 1) // 2
    out["rk"] = times(rs["r_final"], out["k"])
    out["m"] = shifted(out["rk"], R_BITS + K_BITS - block.m_shift)
    if block.centred:
        out["nsq"] = (0, L * L * big)
        out["ss"] = (0, max(L * lo, L * hi) ** 2)
        out["d"] = (0, block.max_q // L)
        out["nx"] = times((1, L), (lo, hi))
        out["a"] = (-block.max_numerator, block.max_numerator)
        out["pw"] = (1, L ** 3)
    else:
        out["a"] = (lo, hi)
        out["pw"] = (1, L)
    out["ep"] = (0, block.eps_code * L ** block.eps_power)
    out["p"] = times(out["a"], out["m"])
    numerator = rs["rm"] * out["k"][1] ** 2 << (2 * block.z_shift)
    z = math.isqrt(-(-numerator >> 138)) + 2
    out["z"] = (-z, z)
    g, b = block.gamma.tolist(), block.beta.tolist()
    align, half = block.z_shift + block.gamma_shift - block.beta_shift, 1 << (block.final_shift - 1)
    out["acc"] = span(*((bi << align) - z * abs(gi) + half for gi, bi in zip(g, b)),
                      *((bi << align) + z * abs(gi) + half for gi, bi in zip(g, b)))
    out["o"] = shifted(out["acc"], block.final_shift)
    out["g"], out["b"] = span(*g), span(*b)
    return out


def _sig(name: str, value: tuple) -> Sig:
    return Sig(name, signed_bits(*value), True)


def _uns(name: str, largest: int) -> Sig:
    return Sig(name, max(1, int(largest).bit_length()), False)


def narrow(sig: Sig, bits: int):
    """``sig`` as ``bits`` bits: its low bits (the value fits) or sign-extended."""
    return Slice(sig, 0, bits, True) if bits < sig.bits else resize(Ref(sig), bits)


class Unit:
    """The netlist of one block's unit: registers, combinational statements (in order), the
    row-phase steps and the load/output updates; :meth:`context` renders it with a writer."""

    def __init__(self, block):
        self.block = block
        rg = self.ranges = ranges(block)
        self.statements: list = []
        L = block.length
        self.index_bits = max(1, (L - 1).bit_length())
        acc_range = span(rg["sq"], rg["q"], rg["v"], *((rg["nsq"], rg["d"]) if block.centred
                                                       else ()))
        regs = {"n": _sig("n", rg["n"]), "s": _sig("s", rg["s"]), "acc": _sig("acc", acc_range),
                "r": _sig("r", rg["r"]), "rv": _sig("rv", rg["r_final"]),
                "kk": _sig("kk", rg["k"]), "mm": _sig("mm", rg["m"]),
                "e": _uns("e", rg["e_max"]), "ev": _uns("ev", rg["e_max"])}
        if block.newton:
            regs.update(m30=_sig("m30", rg["m30"]), tt=_sig("tt", rg["t"]))
        if block.centred and block.eps_code:
            regs["pw"] = _sig("pw", rg["pw"])
        self.regs = regs
        self.idx = Sig("idx", self.index_bits, False)
        self.din = Sig("din", block.input.bits, True)
        self.x = Sig("x_el", block.input.bits, True)
        self.steps = self._row_steps()
        self.state_bits = (len(self.steps) + 1).bit_length()
        self.state = Sig("state", self.state_bits, False)
        self._multiplier()
        self._normalizer()
        self._row_wires()
        self._element()
        self._load()

    def wire(self, name: str, expr, bits: int | None = None, signed: bool = True) -> Sig:
        sig = Sig(name, bits or expr.bits, signed)
        self.statements.append(Assign(sig, expr))
        return sig

    # --- the row phase: one multiplier, one step per cycle ------------------------------------

    def _row_steps(self) -> list[dict]:
        """``[{name, a, b, a_range, b_range, updates}]``: ``a``/``b`` the multiplier's operands
        (Expr, or None: no product), ``updates`` ``[(register, key of the value)]``."""
        R_BITS, K_BITS = self.block.R_BITS, self.block.K_BITS  # Norm's fraction bits
        b, rg, R = self.block, self.ranges, self.regs
        n, acc = Ref(R["n"]), Ref(R["acc"])
        steps = []

        def step(name, a=None, bb=None, ar=(0, 0), br=(0, 0), updates=()):
            steps.append({"name": name, "a": a, "b": bb, "a_range": ar, "b_range": br,
                          "updates": list(updates)})

        if b.centred:
            step("n sum x^2", n, acc, rg["n"], rg["sq"], [("acc", "prod")])
            step("D = n sum x^2 - S^2", Ref(R["s"]), Ref(R["s"]), rg["s"], rg["s"],
                 [("acc", "acc_minus_prod")])
            step("Q = n D", n, acc, rg["n"], rg["d"], [("acc", "prod")])
        if b.eps_code:
            if b.centred:
                step("n^2", n, n, rg["n"], rg["n"], [("pw", "prod")])
                step("n^3", n, Ref(R["pw"]), rg["n"], (1, b.length ** 2), [("pw", "prod")])
                power, power_range = Ref(R["pw"]), rg["pw"]
            else:
                power, power_range = n, rg["n"]
            step(f"V = max(1, Q + E), E = round({b.eps_code} n^{b.eps_power} / "
                 f"2^{b.eps_shift})", power, Const(b.eps_code, signed_bits(0, b.eps_code)),
                 power_range, (0, b.eps_code), [("acc", "v_next")])
        else:
            step("V = max(1, Q)", updates=[("acc", "v_next")])
        for what in ("V", "n"):
            start = [("rv", "r"), ("ev", "e")] if what == "n" else []
            step(f"rsqrt30({what}): leading pair, the fit on the mantissa",
                 updates=start + [("m30", "m30_of")] * bool(b.newton) +
                 [("r", "r_first"), ("e", "lead")])
            for i in range(b.newton):
                step(f"Newton {i + 1}: r r", Ref(R["r"]), Ref(R["r"]), rg["r"], rg["r"],
                     [("tt", "prod_30")])
                step(f"Newton {i + 1}: m30 t", Ref(R["m30"]), Ref(R["tt"]), rg["m30"], rg["t"],
                     [("tt", "prod_30")])
                step(f"Newton {i + 1}: r (3 2^30 - t)", Ref(R["r"]), None, rg["r"], rg["w"],
                     [("r", "prod_31")])
        step("K = (n rn) >> (en + 6)", n, Ref(R["r"]), rg["n"], rg["r_final"],
             [("kk", "prod_k")])
        step(f"M = (r K) >> {R_BITS + K_BITS - b.m_shift}", Ref(R["rv"]), Ref(R["kk"]),
             rg["r_final"], rg["k"], [("mm", "prod_m")])
        for code, s in enumerate(steps, start=1):
            s["code"] = code
        return steps

    def _multiplier(self) -> None:
        products = [s for s in self.steps if s["a"] is not None]
        a_bits = max(signed_bits(*s["a_range"]) for s in products)
        b_bits = max(signed_bits(*s["b_range"]) for s in products)
        rounding = (1 << self.block.eps_shift) >> 1  # E's rounding adds to the product in its width
        self.prod_bits = max(signed_bits(*span(times(s["a_range"], s["b_range"]),
                                               times(s["a_range"], s["b_range"])[1] + rounding))
                             for s in products)
        self.w = Sig("w", max(signed_bits(*self.ranges["w"]), self.regs["tt"].bits)
                     if self.block.newton else 1, True)  # 3 2^30 - t
        mul_a, mul_b = Sig("mul_a", a_bits, True), Sig("mul_b", b_bits, True)
        rows, values = [], []
        for s in products:
            operand_b = Ref(self.w) if s["b"] is None else s["b"]
            values.append(s["code"])
            rows.append((self._operand(s["a"], a_bits), self._operand(operand_b, b_bits)))
        rows.append((0, 0))
        values.append(0)
        self.statements.append(Rom(self.state, (mul_a, mul_b), tuple(values), tuple(rows),
                                   "the shared multiplier's operands, by row step"))
        self.prod = self.wire("prod", mul(resize(Ref(mul_a), self.prod_bits),
                                          resize(Ref(mul_b), self.prod_bits), self.prod_bits))

    @staticmethod
    def _operand(expr, bits: int):
        """``expr`` in a multiplier slot of ``bits``: a register wider than the slot holds a
        value of the step's range there, so its low bits are the value."""
        if isinstance(expr, Const):
            return Const(expr.value, bits)
        return narrow(expr.sig, bits)

    def _normalizer(self) -> None:
        """``rsqrt30``'s argument (``V`` in ``acc``, or ``n``): the leading pair ``e``,
        ``m30 = v 2^(30 - 2e)`` and the fit's input code."""
        R_BITS = self.block.R_BITS  # Norm's fraction bits
        R, rg = self.regs, self.ranges
        acc, e_bits = R["acc"], R["e"].bits
        n_start = next(s["code"] for s in self.steps if s["name"].startswith("rsqrt30(n)"))
        self.norm_in = Sig("norm_in", acc.bits, True)
        self.statements.append(Rom(self.state, (self.norm_in,), (n_start, 0),
                                   ((resize(Ref(R["n"]), acc.bits),), (Ref(acc),)),
                                   "rsqrt30's argument: n in its start step, else V"))
        lead = Sig("lead", e_bits, False)
        choices = tuple((Cmp(">=", Ref(self.norm_in), Const(4 ** j, acc.bits)),
                         Const(j, e_bits, False)) for j in range(rg["e_max"], 0, -1))
        self.statements.append(Select(lead, choices, Const(0, e_bits, False),
                                      "the leading pair: the largest e with 4^e <= v"))
        self.lead = lead
        two_e = self.wire("two_e", Concat((Ref(lead), Const(0, 1, False))), signed=False)
        wide = self.wire("v_wide", ShiftLeft(resize(Ref(self.norm_in), acc.bits + R_BITS),
                                             R_BITS))
        self.m30_wide = self.wire("m30_wide", ShiftRight(Ref(wide), two_e))
        frac = self.block.mantissa_bits
        self.code = self.wire("code", Slice(self.m30_wide, R_BITS - frac, frac + 2, False),
                              signed=False)
        self.r0 = Sig("r0", self.block.rsqrt_bits, False)  # the fit instance's output
        r_bits = R["r"].bits
        self.r_first = self.wire("r_first", ShiftLeft(resize(ToSigned(Ref(self.r0)), r_bits),
                                                      R_BITS - (self.block.rsqrt_bits - 1)))

    def _row_wires(self) -> None:
        R_BITS, K_BITS = self.block.R_BITS, self.block.K_BITS  # Norm's fraction bits
        b, R = self.block, self.regs
        prod, acc = self.prod, R["acc"]
        self.values = {"prod": lambda bits: narrow(prod, bits)}
        if b.newton:
            three = Const(3 << R_BITS, self.w.bits)
            self.statements.append(Assign(self.w, sub(three, resize(Ref(R["tt"]), self.w.bits))))
            p30 = self.wire("prod_30", ShiftRight(Ref(prod), R_BITS))
            p31 = self.wire("prod_31", ShiftRight(Ref(prod), R_BITS + 1))
            self.values["prod_30"] = lambda bits: narrow(p30, bits)
            self.values["prod_31"] = lambda bits: narrow(p31, bits)
        ksh_bits = (self.ranges["e_max"] + 6).bit_length()
        ksh = self.wire("k_shift", add(resize(Ref(R["e"]), ksh_bits), Const(6, ksh_bits, False)),
                        signed=False)
        pk = self.wire("prod_k", ShiftRight(Ref(prod), ksh))
        pm = self.wire("prod_m", ShiftRight(Ref(prod), R_BITS + K_BITS - b.m_shift))
        self.values["prod_k"] = lambda bits: narrow(pk, bits)
        self.values["prod_m"] = lambda bits: narrow(pm, bits)
        self.values["acc_minus_prod"] = lambda bits: sub(Ref(acc), narrow(prod, acc.bits))
        q = Ref(acc)
        if b.eps_code:
            rounded = add(Ref(prod), Const(1 << (b.eps_shift - 1), prod.bits)) if b.eps_shift \
                else Ref(prod)
            eps = self.wire("eps_wide", ShiftRight(rounded, b.eps_shift))
            q = add(q, narrow(eps, acc.bits))
        v_sum = self.wire("v_sum", q)
        v_next = Sig("v_next", acc.bits, True)
        self.statements.append(Select(v_next, ((Cmp("<", Ref(v_sum), Const(1, acc.bits)),
                                                Const(1, acc.bits)),), Ref(v_sum),
                                      "V = max(1, Q + E)"))
        self.values["v_next"] = lambda bits: Ref(v_next)
        self.values["m30_of"] = lambda bits: narrow(self.m30_wide, bits)
        self.values["r_first"] = lambda bits: Ref(self.r_first)
        self.values["lead"] = lambda bits: Ref(self.lead)
        self.values["r"] = lambda bits: Ref(R["r"])
        self.values["e"] = lambda bits: Ref(R["e"])

    # --- per element: z, gamma, beta, rounding, saturation ------------------------------------

    def _element(self) -> None:
        b, rg, R = self.block, self.ranges, self.regs
        x = self.x
        if b.centred:
            nx_bits = signed_bits(*rg["nx"])
            nx = self.wire("nx", mul(resize(Ref(R["n"]), nx_bits), resize(Ref(x), nx_bits),
                                     nx_bits))
            a_bits = max(nx_bits, R["s"].bits, signed_bits(*rg["a"]))
            a = self.wire("a", sub(resize(Ref(nx), a_bits), resize(Ref(R["s"]), a_bits)))
        else:
            a = x
        p_bits = max(signed_bits(*rg["p"]), a.bits, R["mm"].bits)
        p = self.wire("p", mul(resize(Ref(a), p_bits), resize(Ref(R["mm"]), p_bits), p_bits))
        zs_bits = (b.m_shift - b.z_shift + rg["e_max"]).bit_length()
        zsh = self.wire("z_shift", add(resize(Ref(R["ev"]), zs_bits),
                                       Const(b.m_shift - b.z_shift, zs_bits, False)), signed=False)
        z_wide = self.wire("z_wide", ShiftRight(Ref(p), zsh))
        z = self.wire("z", narrow(z_wide, signed_bits(*rg["z"])))
        g = Sig("g", signed_bits(*rg["g"]), True)
        outputs, rows = (g,), [(int(v),) for v in b.gamma]
        if b.centred:
            beta = Sig("bt", signed_bits(*rg["b"]), True)
            outputs, rows = (g, beta), [(int(v), int(w)) for v, w in zip(b.gamma, b.beta)]
        self.statements.append(Rom(self.idx, outputs, tuple(range(b.length)), tuple(rows),
                                   "gamma (and beta) codes by channel"))
        acc_bits = max(signed_bits(*rg["acc"]), z.bits, g.bits)
        total = mul(resize(Ref(z), acc_bits), resize(Ref(g), acc_bits), acc_bits)
        if b.centred:
            align = b.z_shift + b.gamma_shift - b.beta_shift
            total = add(total, ShiftLeft(resize(Ref(outputs[1]), acc_bits), align))
        total = add(total, Const(1 << (b.final_shift - 1), acc_bits))
        acc2 = self.wire("total", total)
        o_wide = self.wire("o_wide", ShiftRight(Ref(acc2), b.final_shift))
        o = self.wire("o", narrow(o_wide, max(signed_bits(*rg["o"]), 2)))
        out, y = b.output, Sig("y", b.output.bits, True)
        choices = []
        if rg["o"][0] < out.min_code:
            choices.append((Cmp("<", Ref(o), Const(out.min_code, o.bits)),
                            Const(out.min_code, out.bits)))
        if rg["o"][1] > out.max_code:
            choices.append((Cmp(">", Ref(o), Const(out.max_code, o.bits)),
                            Const(out.max_code, out.bits)))
        self.statements.append(Select(y, tuple(choices), narrow(o, out.bits),
                                      "saturated to the output codes"))
        self.y = y

    def _load(self) -> None:
        R = self.regs
        dsq_bits = signed_bits(*self.ranges["dsq"])
        dsq = self.wire("dsq", mul(resize(Ref(self.din), dsq_bits),
                                   resize(Ref(self.din), dsq_bits), dsq_bits))
        n_bits = R["n"].bits
        self.load = {"s": add(Ref(R["s"]), resize(Ref(self.din), R["s"].bits)),
                     "acc": add(Ref(R["acc"]), resize(Ref(dsq), R["acc"].bits)),
                     "n": add(resize(ToSigned(Ref(self.idx)), n_bits), Const(1, n_bits))}

    # --- rendering ----------------------------------------------------------------------------

    def updates(self) -> list[tuple[int, str, list]]:
        """Per row step: ``(code, name, [(register, Expr)])``."""
        return [(s["code"], s["name"], [(reg, self.values[key](self.regs[reg].bits))
                                        for reg, key in s["updates"]]) for s in self.steps]

    def context(self, writer_class) -> dict:
        """What both templates read, every expression rendered by ``writer_class``."""
        steps = self.updates()
        reads = [Assign(Sig(f"_read{i}", e.bits, e.signed), e) for i, e in
                 enumerate([e for _, _, ups in steps for _, e in ups] + list(self.load.values()))]
        inputs = [*self.regs.values(), self.idx, self.din, self.x, self.state, self.r0]
        datapath = rtl.Datapath(inputs, [rtl.Step("unit", in_order(self.statements, inputs)),
                                         rtl.Step("reads", reads)],
                                {**{s.target.name: s.target for s in reads}, "y": self.y,
                                 "code": self.code})
        pipe = rtl.place(datapath, ())
        writer = writer_class(pipe)
        body = [line for st in pipe.datapath.steps[0].statements for line in writer.statement(st)]
        declarations = [line for st in pipe.datapath.steps[0].statements
                        for line in getattr(writer, "declarations", lambda _: [])(st)]
        b = self.block
        return {"regs": list(self.regs.values()), "partial": pipe.partial,
                "bits": {name: sig.bits for name, sig in self.regs.items()},
                "body": body, "declarations": declarations,
                "steps": [(code, name, [(reg, writer.expr(e, 0)) for reg, e in ups])
                          for code, name, ups in steps],
                "load": {k: writer.expr(e, 0) for k, e in self.load.items()},
                "state_bits": self.state_bits, "out_state": len(self.steps) + 1,
                "row_cycles": len(self.steps), "index_bits": self.index_bits,
                "length": b.length, "centred": b.centred, "newton": b.newton,
                "code_bits": b.mantissa_bits + 2, "rsqrt_bits": b.rsqrt_bits,
                "rsqrt_module_name": b.rsqrt_fit.spec.name, "prod_bits": self.prod_bits,
                "mul_bits": (self.statements[0].outputs[0].bits,
                             self.statements[0].outputs[1].bits),
                "eps_code": b.eps_code, "eps_power": b.eps_power, "eps_shift": b.eps_shift,
                "m_shift": b.m_shift, "z_shift": b.z_shift, "template": "norm"}


def in_order(statements: list, inputs: list) -> list:
    """``statements`` with each after those defining what it reads (declared before use)."""
    defined = {sig.name for sig in inputs}
    pending, ordered = list(statements), []
    while pending:
        ready = [st for st in pending if set(st.refs()) <= defined]
        if not ready:
            raise ValueError(f"a statement reads an undefined signal: {pending[0]}")
        for st in ready:
            ordered.append(st)
            defined.update(t.name for t in st.targets())
        done = {id(st) for st in ready}
        pending = [st for st in pending if id(st) not in done]
    return ordered


def context(block, writer_class) -> dict:
    """The unit of ``block`` for a template of ``writer_class``'s language."""
    return Unit(block).context(writer_class)
