"""Verilog-2001 emitter: full datapath, coefficient LUT part, pipelined variants, test bench.

The arithmetic is the golden model's (:mod:`approxgen.model`), rebuilt from modular arithmetic with
every wire exactly as wide as its value range needs (:func:`pwl_datapath`):

* the segment decoder compares ``x`` with the breakpoints (a thermometer code, priority-encoded
  into ``seg``; low bits of x that no breakpoint has are dropped); a case ROM maps ``seg`` to the
  coefficients;
* the full part folds the intercept shift and the rounding offset into the ROM constant
  ``bias_i = (m_i << cs) + 2^(s-1)``, so ``acc = k_i * x + bias_i`` is one multiply-add; unsigned
  inputs are zero-extended before the signed multiply; when the segments lie in aligned blocks
  the multiplier takes only x's low bits (the offset form of :func:`pwl_datapath`);
* ``y`` is ``acc[s +: R]`` (the arithmetic shift), clamped only on the sides where the value range
  can leave the output format.

:func:`pwl_datapath` is also what :mod:`approxgen.cost` estimates from, so both agree on widths.
"""

from __future__ import annotations

from approxgen import forms
from approxgen.emit import ExtraFile, Option, cell as emit_cell
from approxgen.emit import check_name, derived_name_problem, environment, provenance
from approxgen.emit import pipelined, programmable, vectors as vec
from approxgen.emit.widths import (PwlDatapath, interp_datapath, interp_region_constants, lit,
                                    pwl_datapath, quadratic_datapath)
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import signed_bits
from approxgen.forms.folded import inner_fit, plan
from approxgen.forms.quadratic import COEFFICIENTS

PARTS = ("full", "lut")

# --- the plug-in (approxgen.emit) ---------------------------------------------------------------
HELP = ("Synthesizable Verilog-2001: module NAME (combinational, x -> y), or NAME_lut "
        "(--programmable: NAME_prog with a load port, NAME the first fit's).")
OUTPUT_HELP = "Verilog file to write (default: stdout)."
OPTIONS = (
    Option("part", "--part", default="full", choices="approxgen.emit.verilog:PARTS",
                help="Verilog part. full: the whole datapath; lut: module NAME_lut, the segment "
                     "decoder and coefficient ROM alone (pwl: x -> slope, intercept; quadratic: "
                     "x -> a, b, c, origin) for an existing MAC."),
    Option("pipeline", "--pipeline", metavar="[N|auto]", flag_value="registered",
           help="Bare: the registered version (clk, rst_n synchronous clearing the valid "
                "bits, in_valid, out_valid, LATENCY). " + pipelined.PIPELINE_HELP),
    *pipelined.OPTIONS,
)
VERIFIERS = {"verilog": "approxgen.verify:verify_verilog"}
BLOCK_VERIFIERS = {"verilog": "approxgen.verify_block:verify_verilog"}

# --- names: what a fit's name must not be (asked by approxgen.emit.name_problem) ----------------
TARGET = "Verilog"
_VERILOG_KEYWORDS = frozenset("""
    always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign
    default defparam design disable edge else end endcase endconfig endfunction endgenerate
    endmodule endprimitive endspecify endtable endtask event for force forever fork function
    generate genvar highz0 highz1 if ifnone incdir include initial inout input instance integer
    join large liblist library localparam macromodule medium module nand negedge nmos nor
    noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1
    pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos real realtime reg release repeat
    rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam
    strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand
    trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor""".split())
_SYSTEMVERILOG_KEYWORDS = frozenset("""
    accept_on alias always_comb always_ff always_latch assert assume before bind bins binsof bit
    break byte chandle checker class clocking const constraint context continue cover covergroup
    coverpoint cross dist do endchecker endclass endclocking endgroup endinterface endpackage
    endprogram endproperty endsequence enum eventually expect export extends extern final
    first_match foreach forkjoin global iff ignore_bins illegal_bins implements implies import
    inside int interconnect interface intersect join_any join_none let local logic longint matches
    modport nettype new nexttime null package packed priority program property protected pure rand
    randc randcase randsequence ref reject_on restrict return s_always s_eventually s_nexttime
    s_until s_until_with sequence shortint shortreal soft solve static string strong struct super
    sync_accept_on sync_reject_on tagged this throughout timeprecision timeunit type typedef union
    unique unique0 until until_with untyped var virtual void wait_order weak wildcard with within
    """.split())
# The modules' and the test bench's own names: ports, wires, parameters, tasks, the instance.
_VERILOG_MODULE = frozenset("""
    x y clk rst_n in_valid out_valid slope intercept seg x_key slope_rom bias_rom intercept_rom
    slope_s1 bias_s1 intercept_s1 x_s1 x_operand product acc shifted y_rom y_s1 y_s2 valid_q
    a b c origin a_rom b_rom c_rom offset_rom origin_rom a_s1 b_s1 c_s1 offset_s1 origin_s1 x_wide
    x_clamped d_full d_rom d_s1 d_operand p1 p1_shifted h p2 A_BITS B_BITS C_BITS OFFSET_BITS
    ORIGIN_BITS D_BITS P1_BITS H_BITS P2_BITS S1 x_abs t u poly erf sum v x_neg p z z_ln2 r
    IN_BITS OUT_BITS SEG_BITS KEY_SHIFT SLOPE_BITS PRODUCT_BITS BIAS_BITS ACC_BITS SHIFT LOW_BITS
    SHIFTED_BITS LATENCY INTERCEPT_BITS INTERCEPT_SHIFT CODES WORD_BITS vectors path pass fail
    check load_vectors cycle sent got sent_at i dut u_full start first mask rnd du d_high k0 k1
    step_g shift_s
    v0 v1 diff_full diff t_full t_operand sh_full v0_s1 diff_s1 t_s1 g_s1 s_s1 rnd_s1 U_BITS
    K_BITS V_BITS DIFF_BITS T_BITS G_BITS S_BITS y_half y_wide WIDE_BITS""".split())
RESERVED = _VERILOG_KEYWORDS | _SYSTEMVERILOG_KEYWORDS | _VERILOG_MODULE
DERIVED_SUFFIXES = ("_lut", "_tb", "_half")  # modules NAME_lut, NAME_tb, NAME_half (folded)


def name_problem(name: str) -> str | None:
    """Why ``name`` would break the Verilog (or a SystemVerilog tool reading it), or ``None``: a
    keyword, a name the modules or the test bench use inside, or a derived module name."""
    if name in _VERILOG_KEYWORDS or name in _SYSTEMVERILOG_KEYWORDS:
        return ("is a keyword of " +
                ("Verilog-2001" if name in _VERILOG_KEYWORDS else "SystemVerilog"))
    if name in _VERILOG_MODULE:
        return "is a name the Verilog module or its test bench uses itself"
    return derived_name_problem(name, DERIVED_SUFFIXES,
                                "the Verilog of a fit named {base} defines module")


def extend(name: str, have: int, want: int) -> str:
    """Signal ``name`` (``have`` bits) sign-extended to ``want >= have`` bits."""
    if want == have:
        return name
    sign = f"{name}[{have - 1}]"
    fill = sign if want - have == 1 else f"{{{want - have}{{{sign}}}}}"
    return f"{{{fill}, {name}}}"


def renders_block(block) -> bool:
    """Whether ``block`` has a streaming Verilog unit (it declares ``verilog_context()``)."""
    return hasattr(block, "verilog_context")


def render_block(block) -> str:
    """The streaming Verilog unit of a block: ``templates/verilog/<block>.v.j2`` (module NAME,
    AXI4-Stream in and out, one row framed by ``tlast``)."""
    from approxgen.emit import render_block_unit

    return render_block_unit(block, {**block.verilog_context(), "zext": zero_extend, "lit": lit},
                             render, "verilog/{}.v.j2")


def zero_extend(expr: str, have: int, want: int) -> str:
    """``expr`` (``have`` bits) zero-extended to ``want >= have`` bits."""
    return expr if want == have else f"{{{want - have}'d0, {expr}}}"


def module_name(fit, part: str = "full") -> str:
    """``NAME`` for the full part, ``NAME_lut`` for the lut part."""
    return check_name(fit) + ("_lut" if part == "lut" else "")


def _check(fit, part: str) -> None:
    if part not in PARTS:
        raise ApproxgenError(f"unknown part {part!r} (known: {', '.join(PARTS)})", "--part")
    problem = cell(forms.of(fit.model)).part_problem(part)
    if problem:
        raise ApproxgenError(problem, "--part")


def latency(fit, part: str, pipeline: bool) -> int:
    """Clock cycles from ``in_valid`` to ``out_valid`` (0: combinational)."""
    if not pipeline:
        return 0
    return cell(forms.of(fit.model)).latency(part)


def _context(fit, part: str, pipeline: bool, module: str | None = None,
             lines: list[str] | None = None) -> dict:
    spec, model = fit.spec, fit.model
    inp, out = spec.input, spec.output
    ctx = {
        "provenance": provenance(fit) if lines is None else lines,
        "module": module or module_name(fit, part), "part": part,
        "pipeline": pipeline, "latency": latency(fit, part, pipeline),
        "in_bits": inp.bits, "in_signed": inp.signed, "out_bits": out.bits,
        "out_signed": out.signed, "lit": lit,
        "out_lit": lambda v: lit(v, out.bits, out.signed),
    }
    ctx.update(cell(forms.of(model)).verilog_context(fit, part, pipeline))
    return ctx


def mac_expressions(d: PwlDatapath, out, sfx: str) -> dict:
    """The accumulate, shift and saturate expressions of the full part (see the module doc)."""
    acc = extend(f"bias{sfx}", d.bias_bits, d.acc_bits)
    if d.multiply:
        acc = f"{extend('product', d.product_bits, d.acc_bits)} + {acc}"
    r, y = saturate_expr(d.shifted_bits, d.clamp_lo, d.clamp_hi, out)
    return {"acc_expr": acc, "shifted_bits": r, "y_expr": y}


def render(fit, part: str = "full", pipeline: bool = False, stages=None,
           handshake: bool = False, depth: int | None = None) -> str:
    """The synthesizable module (``NAME`` or ``NAME_lut``) as Verilog-2001 text; with ``stages``
    (registers, or ``"auto"`` for ``depth`` levels per stage) the pipelined module with a clock
    enable, streaming with ``handshake`` (:mod:`approxgen.emit.pipelined`)."""
    _check(fit, part)
    pipeline, stages = pipelined.split(pipeline, stages)
    if stages is not None or handshake:
        return pipelined.render_verilog(fit, part, 1 if stages is None else stages, handshake,
                                        depth)
    return environment().get_template(cell(forms.of(fit.model)).verilog_template(part)).render(
        _context(fit, part, pipeline))


def testbench_fields(fit, part: str) -> dict:
    """The vector layout the test benches read and the fields they compare for ``part``."""
    widths = cell(forms.of(fit.model)).testbench_checked(fit.model, part)
    layout = {f.name: f for f in vec.fields(fit)}
    return dict(fields=layout, checked=[layout[n] for n in widths], widths=widths,
                word_bits=vec.word_bits(fit),
                codes=1 << fit.spec.input.bits, min_code=fit.spec.input.min_code,
                vectors_file=f"{fit.spec.name}.hex")


def render_testbench(fit, part: str = "full", pipeline: bool = False, stages=None,
                     handshake: bool = False, depth: int | None = None, seed: int = 1) -> str:
    """A self-checking test bench for :func:`render`'s module, fed by :mod:`vectors`' file
    (pipelined/streaming: random ce drops and idles from ``seed``, stalls with ``handshake``)."""
    _check(fit, part)
    pipeline, stages = pipelined.split(pipeline, stages)
    if stages is not None or handshake:
        ctx = pipelined.testbench_context(fit, part, 1 if stages is None else stages,
                                          handshake, depth, seed)
    else:
        ctx = dict(_context(fit, part, pipeline), stream=False)
    ctx.update(testbench_fields(fit, part))
    return environment().get_template("verilog/testbench.v.j2").render(ctx)


EXTRA_FILES = (ExtraFile("testbench", "--testbench", render_testbench,
                         "Also write a self-checking test bench here; it reads the vectors of "
                         "`emit vectors` (NAME.hex or +vectors=PATH; --programmable: every "
                         "NAME.hex and NAME_image.hex)."),)
MULTI_FIT = programmable.VERILOG_UNIT  # emit verilog A.json B.json --programmable: NAME_prog
summary = pipelined.summary  # the stderr line of a pipelined module: its latency and registers
BUILD_FILES = ((".v", render), ("_tb.v", render_testbench))  # approxgen build: NAME.v, _tb.v
BLOCK_SUFFIX = ".v"  # approxgen build of a block spec: NAME.v (render_block)


# --- form quadratic ------------------------------------------------------------------------------


def saturate_expr(shifted_bits: int, clamp_lo: bool, clamp_hi: bool, out) -> tuple[int, str]:
    """``(bits used of shifted, y expression)``: ``shifted`` clamped to the output codes on the
    sides its range can leave them."""
    clamped = clamp_hi or clamp_lo
    # Without saturation only the output's bits of the shifted value are needed.
    r = shifted_bits if clamped else min(shifted_bits, out.bits)
    y = extend("shifted", r, out.bits) if r <= out.bits else f"shifted[{out.bits - 1}:0]"
    if clamp_lo:
        y = f"(shifted < {lit(out.min_code, r)}) ? {lit(out.min_code, out.bits, out.signed)} : {y}"
    if clamp_hi:
        y = f"(shifted > {lit(out.max_code, r)}) ? {lit(out.max_code, out.bits, out.signed)} : {y}"
    return r, y


def quadratic_context(fit, part: str, pipeline: bool) -> dict:
    model, inp = fit.model, fit.spec.input
    q = quadratic_datapath(model)
    sfx = "_s1" if pipeline else "_rom"
    ctx = {"q": q, "model": model, "lo_lit": lit(model.lo_code, inp.bits + 1),
           "x_wide_expr": extend("x", inp.bits, inp.bits + 1) if inp.signed
           else "$signed({1'b0, x})",
           "hi_lit": lit(model.hi_code, inp.bits + 1),
           "d_expr": lambda xc: (f"{extend(xc, inp.bits + 1, inp.bits + 2)} - "
                                 f"{extend('origin_rom', q['origin_bits'], inp.bits + 2)}"),
           "clamp_x_lo": model.lo_code > inp.min_code, "clamp_x_hi": model.hi_code < inp.max_code,
           "decoder": [(i, lit(t, inp.bits, inp.signed))
                       for i, t in enumerate(model.breakpoints, start=1)]}
    if part == "lut":
        ctx["rom"] = [(i, {"a": lit(a, model.a_bits), "b": lit(b, model.b_bits),
                           "c": lit(c, model.c_bits),
                           "origin": lit(o, inp.bits, inp.signed)})
                      for i, (a, b, c, o) in enumerate(zip(model.a, model.b, model.c,
                                                           model.origins))]
        return ctx
    ctx["rom"] = [(i, {"a": lit(a, q["a_bits"]), "b": lit(b, q["b_bits"]),
                       "offset": lit(c, q["offset_bits"]),
                       "origin": lit(o, q["origin_bits"])})
                  for i, (a, b, c, o) in enumerate(zip(model.a, model.b, model.offsets(),
                                                       model.origins))]
    p1s = "p1[P1_BITS-1:S1]" if model.inner_shift < q["p1_bits"] else "p1[P1_BITS-1]"
    ctx["h_expr"] = (f"{extend('p1_shifted', q['p1_shifted_bits'], q['h_bits'])} + "
                     f"{extend('b' + sfx, q['b_bits'], q['h_bits'])}")
    ctx["p1_shifted_expr"] = p1s
    ctx["acc_expr"] = (f"{extend('p2', q['p2_bits'], q['acc_bits'])} + "
                       f"{extend('offset' + sfx, q['offset_bits'], q['acc_bits'])}")
    ctx["shifted_bits"], ctx["y_expr"] = saturate_expr(q["shifted_bits"], q["clamp_lo"],
                                                       q["clamp_hi"], fit.spec.output)
    return ctx


# --- form ibert ----------------------------------------------------------------------------------

def ibert_context(model) -> dict:
    """The I-BERT datapath as a list of wires ``(bits, name, expression)``: each as wide as its
    value range over every input code (widened to its operands', so every operation is exact and
    lint-clean), from :meth:`approxgen.forms.ibert.IbertModel.ranges`."""
    inp, out = model.input, model.output
    rng, bits = model.ranges(), model.bits()
    n = inp.bits + 1
    wires: list[tuple[int, str, str]] = []

    def wire(name: str, width: int, expr: str) -> int:
        wires.append((width, name, expr))
        return width

    wx = wire("x_wide", n, extend("x", inp.bits, n) if inp.signed else "$signed({1'b0, x})")
    if model.kind == "gelu":
        wire("x_abs", n, f"(x_wide < {lit(0, n)}) ? -x_wide : x_wide")
        wire("t", n, f"(x_abs > {lit(-model.q_b, n)}) ? {lit(-model.q_b, n)} : x_abs")
        wu = wire("u", max(bits["u"], n), f"{extend('t', n, max(bits['u'], n))} + "
                                           f"{lit(model.q_b, max(bits['u'], n))}")
        wl = max(bits["L"], wu)
        wire("poly", wl, f"{extend('u', wu, wl)} * {extend('u', wu, wl)} + {lit(model.q_c, wl)}")
        we = wire("erf", max(bits["erf"], wl),
                  f"(x_wide < {lit(0, n)}) ? -{extend('poly', wl, max(bits['erf'], wl))} : "
                  f"{extend('poly', wl, max(bits['erf'], wl))}")
        ws = wire("sum", max(bits["s"], we), f"{extend('erf', we, max(bits['s'], we))} + "
                                              f"{lit(model.q_1, max(bits['s'], we))}")
        wv = max(bits["v"], ws, wx)
        wire("v", wv, f"{extend('x_wide', wx, wv)} * {extend('sum', ws, wv)}")
    else:
        zmax = rng["z"][1]
        zb = max(1, zmax.bit_length())
        wire("x_neg", n, f"(x_wide > {lit(0, n)}) ? {lit(0, n)} : x_wide")
        wire("p", n, "-x_neg")
        wires.append((-zb, "z", _reverse_chain(zmax, zb, n, model.q_1, "z")))
        wire("z_ln2", n, _reverse_chain(zmax, zb, n, model.q_1, "zq"))
        wire("r", n, "x_neg + z_ln2")
        wu = wire("u", max(bits["u"], n), f"{extend('r', n, max(bits['u'], n))} + "
                                           f"{lit(model.q_b, max(bits['u'], n))}")
        wl = max(bits["L"], wu)
        wire("poly", wl, f"{extend('u', wu, wl)} * {extend('u', wu, wl)} + {lit(model.q_c, wl)}")
        wv = wire("v", wl, "poly >>> z")
    m_bits = signed_bits(model.multiplier, model.multiplier)
    shifted_bits = bits["shifted"]
    wa = max(bits["acc"], wv, m_bits, model.shift + shifted_bits)
    rounding = (1 << (model.shift - 1)) if model.shift else 0
    wire("acc", wa, f"{extend('v', wv, wa)} * {lit(model.multiplier, wa)} + {lit(rounding, wa)}")
    r = rng["shifted"]
    used, y = saturate_expr(shifted_bits, r[0] < out.min_code, r[1] > out.max_code, out)
    return {"model": model, "wires": wires, "acc_bits": wa, "shift": model.shift,
            "shifted_bits": used, "y_expr": y}


def _reverse_chain(zmax: int, zb: int, n: int, q_ln2: int, what: str) -> str:
    """``z = floor(p / q_ln2)`` (or ``z * q_ln2``): a priority chain of compares, largest first."""
    terms = []
    for j in range(zmax, 0, -1):
        value = f"{zb}'d{j}" if what == "z" else lit(j * q_ln2, n)
        terms.append(f"(p >= {lit(j * q_ln2, n)}) ? {value} :")
    terms.append(f"{zb}'d0" if what == "z" else lit(0, n))
    return "\n        ".join(terms)


# --- form interp ---------------------------------------------------------------------------------


def interp_context(fit, pipeline: bool) -> dict:
    model, inp = fit.model, fit.spec.input
    d = interp_datapath(model)
    ub, kb, ab = d["u_bits"], d["k_bits"], d["acc_bits"]
    shift, rnd = interp_region_constants(model)
    regions = [{"start": lit(s, ub, False), "first": lit(k, kb, False),
                "g": lit(g, d["g_bits"], False), "s": lit(shift(g), d["s_bits"], False),
                "mask": lit(((1 << g) - 1) & ((1 << ub) - 1), ub, False),
                "rnd": lit(rnd(g), ab)}
               for s, g, k in zip(model.starts, model.steps, model.firsts())]
    shifted_bits, y_expr = saturate_expr(d["shifted_bits"], d["clamp_lo"], d["clamp_hi"],
                                         fit.spec.output)
    zext = lambda name, have, want: (name if have == want  # noqa: E731
                                     else f"{{{want - have}'d0, {name}}}")
    sfx = "_s1" if pipeline else ""
    return {
        "d": d, "model": model, "regions": regions,
        "rom": [(lit(k, kb, False), lit(int(v), d["v_bits"]))
                for k, v in enumerate(model.values())],
        "x_wide_expr": extend("x", inp.bits, inp.bits + 1) if inp.signed
        else "$signed({1'b0, x})",
        "clamp_x_lo": model.lo_code > inp.min_code, "clamp_x_hi": model.hi_code < inp.max_code,
        "lo_lit": lit(model.lo_code, inp.bits + 1), "hi_lit": lit(model.hi_code, inp.bits + 1),
        "lo_wide": lit(model.lo_code, inp.bits + 2),
        "k_expr": f"first + {zext('d_high', ub, kb)}",
        "diff_expr": f"{extend('v1', d['v_bits'], d['v_bits'] + 1)} - "
                     f"{extend('v0', d['v_bits'], d['v_bits'] + 1)}",
        "acc_expr": f"({extend('v0' + sfx, d['v_bits'], ab)} <<< "
                    f"{'g_s1' if pipeline else 'step_g'}) + "
                    f"{extend('product', d['product_bits'], ab)} + rnd{sfx}",
        "v_wide": {f"v{i}": extend(f"v{i}", d["v_bits"], ab) for i in range(3)},
        "t_wide": zext("t" + sfx, d["t_bits"], ab), "one": lit(1, ab),
        "shifted_bits": shifted_bits, "y_expr": y_expr,
    }


# --- folded fits ---------------------------------------------------------------------------------

def folded_context(fit, half_fit, half_form) -> dict:
    """The folded module: ``NAME_half`` (the inner form's full part on ``h = |x|``) and the
    reconstruction ``NAME`` (see :mod:`approxgen.forms.folded`), every wire as wide as
    ``wide_range`` needs."""
    model, out = fit.model, fit.spec.output
    name = check_name(fit)
    half_module, half_text = _half(fit, half_fit, half_form, "full", False,
                                   f"{name} below reconstructs the whole")
    wide = model.wide_bits()
    lo, hi = model.wide_range()
    g_bits, in_bits = model.inner.output.bits, fit.spec.input.bits
    g_term = "y_wide" if model.s > 0 else "-y_wide"
    expr = f"{lit(model.a, wide)} {'+' if model.s > 0 else '-'} y_wide" if model.a else g_term
    if model.b:
        expr += (f" {'-' if model.b < 0 else '+'} "
                 + (f"{lit(abs(model.b), wide)} * x_wide" if abs(model.b) != 1 else "x_wide"))
    r, y = saturate_expr(wide, lo < out.min_code, hi > out.max_code, out)
    return {"half_text": half_text, "half_module": half_module, "g_bits": g_bits,
            "wide_bits": wide, "shifted_bits": r, "y_expr": y,
            "g_wide_expr": extend("y_half", g_bits, wide),
            "h_wide_expr": f"$signed({{{wide - in_bits}'d0, x_abs}})",
            "negative": expr}


def _half(fit, half_fit, half_form, part: str, pipeline: bool, role: str) -> tuple[str, str]:
    """``(module name, Verilog text)`` of the half's ``part``: ``NAME_half`` / ``NAME_half_lut``."""
    name = check_name(fit)
    module = f"{name}_half" + ("_lut" if part == "lut" else "")
    ctx = _context(half_fit, part, pipeline, module,
                   [f"{module}: the half of {name}, g(h) for h = |x| >= 0 (f not saturated); "
                    f"{role}."])
    return module, environment().get_template(half_form.verilog_template(part)).render(ctx)


def folded_lut_context(fit, half_fit, half_form, pipeline: bool, fold: str) -> dict:
    """The lut part of a folded fit: ``NAME_half_lut`` (the half's decoder and coefficient ROM)
    on ``h = |x|`` behind ``NAME_lut``, whose ports are those of the half's lut part with a
    signed ``x``. The MAC outside computes ``g`` from ``h`` and the coefficients, then the
    reconstruction ``y(-h) = fold`` (:meth:`approxgen.forms.folded.Plan.formula`)."""
    model = fit.model
    name = check_name(fit)
    half_module, half_text = _half(fit, half_fit, half_form, "lut", pipeline,
                                   f"{name}_lut below feeds it |x|")
    checked = half_form.testbench_checked(model.inner, "lut")
    ports = [(n, bits, signed) for n, bits, signed
             in vec.cell(forms.of(model.inner)).vector_fields(model.inner)
             if n in checked]
    return {"half_text": half_text, "half_module": half_module, "ports": ports,
            "g_bits": model.inner.output.bits, "wide_bits": model.wide_bits(), "fold": fold}


# --- the Verilog of each form ----------------------------------------------------------------

class FormVerilog:
    """The Verilog of one form (filed under its :attr:`~approxgen.forms.Form.key` in
    :data:`CELLS`): its parts, templates, contexts, latency, what its test bench checks, and the
    hardware it instantiates (:meth:`estimate`). ``form``: the Form plug-in."""

    def __init__(self, form):
        self.form = form

    verilog_parts: tuple[str, ...] = ("full",)

    missing_parts: dict[str, str] = {}  # part -> why this form has none (for the refusal)

    def verilog_template(self, part: str) -> str:
        return f"verilog/{self.form.name}{'_lut' if part == 'lut' else ''}.v.j2"

    def part_problem(self, part: str) -> str | None:
        """Why this form has no Verilog ``part`` (None when it has), with the form's reason
        (:attr:`missing_parts`) when it gives one."""
        if part in self.verilog_parts:
            return None
        why = self.missing_parts.get(part)
        return f"the {self.form.name} form has no {part} part" + (f": {why}" if why else "")

    def latency(self, part: str) -> int:
        """Pipelined latency (clock cycles) of ``part``."""
        return 1

    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        raise NotImplementedError

    def testbench_checked(self, model, part: str) -> dict[str, int]:
        """Vector fields the test bench compares for ``part`` -> their widths."""
        return {"y": model.output.bits}

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        """Fill the hardware estimate ``est`` (keys of :func:`approxgen.cost.estimate`)."""
        raise NotImplementedError


class SegmentedVerilog(FormVerilog):
    """A segment decoder and coefficient ROM: the lut part alone, or feeding the datapath of the
    full part (two cycles when pipelined; the lut part one)."""

    verilog_parts = ("full", "lut")

    def latency(self, part: str) -> int:
        return 2 if part == "full" else 1


class PwlVerilog(SegmentedVerilog):
    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        model, inp = fit.model, fit.spec.input
        d = pwl_datapath(model)
        key_bits = inp.bits - d.key_shift
        ctx = {"d": d, "model": model,
               "decoder": [(i, lit(t >> d.key_shift, key_bits, inp.signed))
                           for i, t in enumerate(model.breakpoints, start=1)]}
        if part == "lut":
            ctx["rom"] = [(i, {"slope": lit(k, model.slope_bits),
                               "intercept": lit(m, model.intercept_bits)})
                          for i, (k, m) in enumerate(zip(model.slopes, model.intercepts))]
        else:
            ctx["rom"] = [(i, {"slope": lit(k, d.slope_bits), "bias": lit(c, d.bias_bits)})
                          for i, (k, c) in enumerate(zip(model.slopes, d.bias))]
            ctx.update(mac_expressions(d, fit.spec.output, "_s1" if pipeline else "_rom"))
        return ctx

    def testbench_checked(self, model, part: str) -> dict[str, int]:
        if part == "lut":
            return {"slope": model.slope_bits, "intercept": model.intercept_bits}
        return super().testbench_checked(model, part)

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        model, in_bits, out_bits = fit.model, fit.spec.input.bits, fit.spec.output.bits
        d = pwl_datapath(model)
        k = model.segments
        est["comparators"] = [in_bits - d.key_shift] * (k - 1)  # x >>> c >= breakpoint >>> c
        if part == "lut":
            word = model.slope_bits + model.intercept_bits
            est.update(rom_words=k, rom_bits=k * word)
            est["flip_flops"] = (word + 1) if pipeline else 0
            return est
        word = (d.slope_bits if d.multiply else 0) + d.bias_bits
        est.update(rom_words=k, rom_bits=k * word)
        if d.multiply:
            est["multiplier"] = {"a": d.slope_bits, "b": d.x_bits, "product": d.product_bits}
        est["adders"] = [d.acc_bits]
        est["comparators"] += [d.shifted_bits] * (int(d.clamp_hi) + int(d.clamp_lo))
        if pipeline:
            x_reg = d.low_bits or in_bits
            stage1 = (x_reg + d.slope_bits if d.multiply else 0) + d.bias_bits
            est["flip_flops"] = stage1 + out_bits + self.latency(part)
        return est


class TableVerilog(FormVerilog):
    missing_parts = {"lut": "a table has no coefficients to feed a multiply-accumulate (the lut "
                            "part exists for segmented forms); emit the full part (it is the ROM)"}

    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        inp, model = fit.spec.input, fit.model
        codes = inp.codes()
        return {"rom": [(format(int(q) & ((1 << inp.bits) - 1), f"0{(inp.bits + 3) // 4}x"),
                         int(y)) for q, y in zip(codes, model.evaluate(codes))]}

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        in_bits, out_bits = fit.spec.input.bits, fit.spec.output.bits
        est.update(rom_words=1 << in_bits, rom_bits=(1 << in_bits) * out_bits)
        est["flip_flops"] = (out_bits + 1) if pipeline else 0
        return est


class QuadraticVerilog(SegmentedVerilog):
    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        return quadratic_context(fit, part, pipeline)

    def testbench_checked(self, model, part: str) -> dict[str, int]:
        if part == "lut":
            return {**{k: getattr(model, f"{k}_bits") for k in COEFFICIENTS},
                    "origin": model.input.bits}
        return super().testbench_checked(model, part)

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        model, in_bits, out_bits = fit.model, fit.spec.input.bits, fit.spec.output.bits
        q = quadratic_datapath(model)
        k = model.segments
        est["comparators"] = [q["clamp_bits"]] * q["input_clamps"] + [in_bits] * (k - 1)
        if part == "lut":
            word = model.a_bits + model.b_bits + model.c_bits
            est.update(rom_words=k, rom_bits=k * word)
            est["flip_flops"] = (word + 1) if pipeline else 0
            return est
        word = q["a_bits"] + q["b_bits"] + q["offset_bits"] + q["origin_bits"]
        est.update(rom_words=k, rom_bits=k * word)
        est["multiplier"] = {"a": q["a_bits"], "b": q["d_bits"] + 1, "product": q["p1_bits"]}
        est["adders"] = [q["d_bits"] + 1, q["h_bits"], q["acc_bits"]]
        est["multipliers"] = [est["multiplier"],
                              {"a": q["h_bits"], "b": q["d_bits"] + 1, "product": q["p2_bits"]}]
        est["comparators"] += [q["shifted_bits"]] * (int(q["clamp_hi"]) + int(q["clamp_lo"]))
        if pipeline:
            est["flip_flops"] = (q["a_bits"] + q["b_bits"] + q["offset_bits"] + q["d_bits"]
                                 + out_bits + self.latency(part))
        return est


class IbertVerilog(FormVerilog):
    missing_parts = {"lut": "the lut part is a segment decoder and coefficient ROM feeding an "
                            "existing multiply-accumulate, and I-BERT has neither (one polynomial "
                            "whose constants the input scale fixes); emit the full part"}

    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        return ibert_context(fit.model)

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        model, bits = fit.model, fit.model.bits()
        in_bits = model.input.bits
        if model.kind == "gelu":
            muls = [(bits["u"], bits["u"], bits["L"]), (in_bits + 1, bits["s"], bits["v"])]
            adders = [bits["u"], bits["L"], bits["s"]]
            comps = [in_bits + 1]
        else:
            zmax = model.ranges()["z"][1]
            muls = [(bits["u"], bits["u"], bits["L"])]
            adders = [bits["r"], bits["u"], bits["L"]]
            comps = [in_bits + 1] * zmax
        muls.append((bits["v"], signed_bits(model.multiplier, model.multiplier), bits["acc"]))
        est["multipliers"] = [{"a": a, "b": b, "product": p} for a, b, p in muls]
        est["multiplier"] = est["multipliers"][-1]
        est["adders"] = adders + [bits["acc"]]
        r = model.ranges()["shifted"]
        out = model.output
        est["comparators"] = comps + [bits["shifted"]] * (int(r[0] < out.min_code)
                                                          + int(r[1] > out.max_code))
        est["flip_flops"] = (out.bits + 1) if pipeline else 0
        return est


class InterpVerilog(FormVerilog):
    verilog_parts = ("full",)

    def part_problem(self, part: str) -> str | None:
        if part == "lut":
            return ("an interp table has no per-segment coefficients: each code reads two "
                    "neighbouring nodes of one node ROM; emit the full part (it holds the ROM)")
        return super().part_problem(part)

    def latency(self, part: str) -> int:
        return 2

    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        return interp_context(fit, pipeline)

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        d = interp_datapath(fit.model)
        n, ports = len(fit.model.nodes), fit.model.order + 1
        est.update(rom_words=ports * n, rom_bits=ports * n * d["v_bits"])  # a read port a node
        est["comparators"] = [fit.spec.input.bits + 1] * d["input_clamps"] \
            + [d["u_bits"]] * (fit.model.regions - 1) \
            + [d["shifted_bits"]] * (int(d["clamp_lo"]) + int(d["clamp_hi"]))
        if fit.model.order == 1:
            est["multiplier"] = {"a": d["diff_bits"], "b": d["t_bits"] + 1,
                                 "product": d["product_bits"]}
            est["adders"] = [d["u_bits"] + 1, d["diff_bits"], d["acc_bits"]]
        else:  # d2 (t - 2^g), then t times the inner term
            est["multiplier"] = {"a": d["acc_bits"], "b": d["acc_bits"],
                                 "product": d["acc_bits"]}
            est["adders"] = [d["u_bits"] + 1] + [d["acc_bits"]] * 6
        if pipeline:
            est["flip_flops"] = ((2 * d["v_bits"] if fit.model.order == 1 else 3 * d["acc_bits"])
                                 + d["t_bits"] + d["region_bits"] + fit.spec.output.bits + 2)
        return est


class FoldedVerilog(FormVerilog):
    """A folded model: the inner form's Verilog on ``h = |x|``, plus the
    reconstruction."""

    def __init__(self, form):
        super().__init__(form)
        self.inner = cell(form.inner)
        self.verilog_parts = self.inner.verilog_parts  # lut: the half's decoder and ROM on |x|

    def verilog_template(self, part: str) -> str:
        return "verilog/folded_lut.v.j2" if part == "lut" else "verilog/folded.v.j2"

    def part_problem(self, part: str) -> str | None:
        return self.inner.part_problem(part)

    def latency(self, part: str) -> int:
        return self.inner.latency(part) if part == "lut" else 1

    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        if part == "lut":
            return folded_lut_context(fit, inner_fit(fit), self.inner, pipeline,
                                              plan(fit.spec).formula())
        return folded_context(fit, inner_fit(fit), self.inner)

    def testbench_checked(self, model, part: str) -> dict[str, int]:
        if part == "lut":
            return self.inner.testbench_checked(model.inner, part)
        return {"y": model.output.bits}

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        if part == "lut":  # the half's decoder and ROM, behind |x|
            est = self.inner.estimate(inner_fit(fit), part, pipeline, est)
            est["adders"] = list(est["adders"]) + [fit.spec.input.bits]
            return est
        est = self.inner.estimate(inner_fit(fit), "full", False, est)
        model = fit.model
        bits = model.wide_bits()
        est["adders"] = list(est["adders"]) + [fit.spec.input.bits, bits]  # |x|, reconstruction
        est["comparators"] = list(est["comparators"]) + [bits, bits]  # saturation
        if pipeline:
            est["flip_flops"] = fit.spec.output.bits + 1
        return est


# The Verilog of each form, by its key; a form without an entry has none (emit.unsupported).
CELLS = {"pwl": PwlVerilog, "table": TableVerilog, "quadratic": QuadraticVerilog,
         "ibert": IbertVerilog, "interp": InterpVerilog, "folded": FoldedVerilog}


def cell(form) -> FormVerilog:
    """The Verilog of ``form`` (a Form plug-in), or the one refusal where there is none."""
    return emit_cell(CELLS, form, TARGET)


def parts(fit) -> list[str]:
    """The Verilog parts ``fit``'s form has (``full`` always; pwl: also ``lut``)."""
    return list(cell(forms.of(fit.model)).verilog_parts)


def estimate(fit, part: str = "full", pipeline: bool = False) -> dict:
    """What the module of ``part`` instantiates, counted from the widths (no tools): the keys
    of :func:`approxgen.cost.estimate`."""
    est = {"rom_words": 0, "rom_bits": 0, "comparators": [], "multiplier": None, "adders": [],
           "flip_flops": 0}
    return cell(forms.of(fit.model)).estimate(fit, part, pipeline, est)
