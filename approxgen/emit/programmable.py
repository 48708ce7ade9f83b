"""One programmable pwl unit for many fits: breakpoints and coefficients in a register file.

``approxgen emit verilog a.json b.json --programmable``: fits of one family (pwl, all folded or
none, the same segment count and input/output widths; scales and domains may differ) share one
module whose parameters (:func:`layout`) are registers written through a load port
(``load_we``, ``load_addr``, ``load_data``), each as wide as the widest fit needs. Each fit's
*image* is the list of its integers in address order (``.hex``, and a C array for the firmware
that writes them); with an image loaded the module computes exactly that fit's golden model:

    seg = #{i : bp_i <= q}, acc = slope_seg * q + bias_seg, y = sat(acc >>> shift)

with ``bias = (intercept << intercept_shift) + 2^(shift-1)`` (:meth:`PwlModel.offsets`); a folded
fit runs this on ``h = |x|``, clamps to the half's codes ``g_min..g_max`` and mirrors
``x < 0`` as ``a + s*g + b*h`` (:class:`~approxgen.forms.folded.FoldedModel`). The same
integers drive the C kernel (:func:`render_c`): one function taking a pointer to a fit's set.
"""

from __future__ import annotations

from dataclasses import dataclass

from approxgen.emit import ExtraFile, MultiFit, check_name, comment_text, environment, rtl
from approxgen.emit.rtl import (Bit, Cast, Cmp, Const, Decoder, Neg, Ref, Rom, Select,
                                ShiftRight, Sig, Slice, Step, ToSigned, add, mul, resize)
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import signed_bits


@dataclass(frozen=True)
class Param:
    """One register of the file: ``values[k]`` is fit ``k``'s integer."""

    name: str
    bits: int
    signed: bool
    values: tuple

    @property
    def sig(self) -> Sig:
        return Sig(self.name, self.bits, self.signed)


@dataclass
class Layout:
    fits: list
    folded: bool
    segments: int
    params: list  # address order

    @property
    def data_bits(self) -> int:
        return max(p.bits for p in self.params)

    @property
    def addr_bits(self) -> int:
        return max(1, (len(self.params) - 1).bit_length())

    def image(self, k: int) -> list[int]:
        return [p.values[k] for p in self.params]

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


def _pwl(model):
    return getattr(model, "inner", None) or model


def _shape(fit) -> tuple:
    model = fit.model
    folded = getattr(model, "inner", None) is not None
    return (_pwl(model).form, folded, getattr(_pwl(model), "segments", 0), fit.spec.input.bits,
            fit.spec.input.signed, fit.spec.output.bits, fit.spec.output.signed)


def _describe(shape) -> str:
    form, folded, k, ib, isg, ob, osg = shape
    return (f"form {form}{' (folded)' if folded else ''}, {k} segments, input "
            f"{'' if isg else 'u'}int{ib}, output {'' if osg else 'u'}int{ob}")


def layout(fits, where=None) -> Layout:
    """The register file serving every fit (``where``: the fits' file names, for errors)."""
    where = list(where or [f.spec.name for f in fits])
    if not fits:
        raise ApproxgenError("--programmable needs at least one fit", "--programmable")
    first = _shape(fits[0])
    if first[0] != "pwl":
        raise ApproxgenError(f"the programmable unit is pwl only; this fit is form {first[0]}",
                             where[0])
    names = [check_name(f) for f in fits]
    for f, w, name in zip(fits, where, names):
        if _shape(f) != first:
            raise ApproxgenError(f"{_describe(_shape(f))} does not match {where[0]}'s "
                                 f"{_describe(first)}: one programmable unit serves one shape",
                                 w)
        if names.count(name) > 1:
            raise ApproxgenError(f"two fits are named {name!r}: each image is named after its fit",
                                 w)
    folded, k = first[1], first[2]
    pwls = [_pwl(f.model) for f in fits]
    h_spec = pwls[0].input

    def signed_param(name, values):
        values = tuple(int(v) for v in values)
        return Param(name, signed_bits(min(values), max(values)), True, values)

    params = [Param(f"bp{i}", h_spec.bits, h_spec.signed, tuple(m.breakpoints[i] for m in pwls))
              for i in range(k - 1)]
    slope_bits = max(signed_bits(min(m.slopes), max(m.slopes)) for m in pwls)
    bias_bits = max(signed_bits(min(m.offsets()), max(m.offsets())) for m in pwls)
    params += [Param(f"slope{i}", slope_bits, True, tuple(m.slopes[i] for m in pwls))
               for i in range(k)]
    params += [Param(f"bias{i}", bias_bits, True, tuple(m.offsets()[i] for m in pwls))
               for i in range(k)]
    shifts = tuple(m.shift for m in pwls)
    params.append(Param("shift", max(1, max(shifts).bit_length()), False, shifts))
    if folded:
        params += [signed_param("g_min", (m.output.min_code for m in pwls)),
                   signed_param("g_max", (m.output.max_code for m in pwls)),
                   signed_param("fold_a", (f.model.a for f in fits)),
                   Param("fold_neg", 1, False, tuple(int(f.model.s < 0) for f in fits)),
                   signed_param("fold_b", (f.model.b for f in fits))]
    return Layout(list(fits), folded, k, params)


def datapath(lay: Layout) -> rtl.Datapath:
    """The combinational datapath from ``x`` and the registers to ``y``."""
    spec = lay.fits[0].spec
    inp, out = spec.input, spec.output
    x = Sig("x", inp.bits, inp.signed)
    regs = [p.sig for p in lay.params]
    reg = {p.name: p.sig for p in lay.params}
    steps = []
    key = x
    if lay.folded:
        neg = Sig("x_neg", 1, False)
        key = Sig("x_abs", inp.bits, False)
        steps.append(Step("fold", [
            rtl.Assign(neg, Slice(x, inp.bits - 1, 1, False)),
            Select(key, ((Bit(x, inp.bits - 1), Cast(Neg(Ref(x)), False)),), Cast(Ref(x), False),
                   "|x|")]))
    k = lay.segments
    slope, bias, shift = reg["slope0"], reg["bias0"], reg["shift"]
    sel_slope = Sig("slope_sel", slope.bits, True)
    sel_bias = Sig("bias_sel", bias.bits, True)
    if k > 1:
        seg = Sig("seg", max(1, (k - 1).bit_length()), False)
        therm = Sig("therm", k - 1, False)
        steps.append(Step("decode", [Decoder(seg, therm, Ref(key),
                                             tuple(Ref(reg[f"bp{i}"]) for i in range(k - 1)),
                                             "seg = how many loaded breakpoints are <= x")]))
        steps.append(Step("read", [Rom(seg, (sel_slope, sel_bias), tuple(range(k)),
                                       tuple((Ref(reg[f"slope{i}"]), Ref(reg[f"bias{i}"]))
                                             for i in range(k)),
                                       "the selected segment's registers")]))
    else:
        steps.append(Step("read", [rtl.Assign(sel_slope, Ref(slope)),
                                   rtl.Assign(sel_bias, Ref(bias))]))
    operand = Ref(key) if key.signed else ToSigned(Ref(key))
    product_bits = slope.bits + operand.bits
    acc_bits = max(product_bits, bias.bits) + 1
    product = Sig("product", product_bits, True)
    acc = Sig("acc", acc_bits, True)
    shifted = Sig("shifted", acc_bits, True)
    steps.append(Step("multiply", [rtl.Assign(product, mul(Ref(sel_slope), operand,
                                                            product_bits))]))
    add_sts = [rtl.Assign(acc, add(resize(Ref(product), acc_bits),
                                   resize(Ref(sel_bias), acc_bits)), "accumulate (exact)"),
               rtl.Assign(shifted, ShiftRight(Ref(acc), shift), "acc >>> shift")]
    y = Sig("y_c", out.bits, out.signed)
    if lay.folded:
        wide = max(f.model.wide_bits() for f in lay.fits)
        g_acc = Sig("g_acc", acc_bits, True)
        g_bits = max(wide, reg["g_min"].bits)
        add_sts.append(Select(g_acc, (
            (Cmp(">", Ref(shifted), resize(Ref(reg["g_max"]), acc_bits)),
             resize(Ref(reg["g_max"]), acc_bits)),
            (Cmp("<", Ref(shifted), resize(Ref(reg["g_min"]), acc_bits)),
             resize(Ref(reg["g_min"]), acc_bits))), Ref(shifted),
            "g: saturated to the half's loaded codes g_min..g_max"))
        steps.append(Step("add", add_sts))
        g = Sig("g_wide", g_bits, True)
        h = Sig("h_wide", g_bits, True)
        sg = Sig("sg", g_bits, True)
        mirrored = Sig("mirrored", g_bits, True)
        chosen = Sig("unfolded", g_bits, True)
        g_expr = resize(Ref(g_acc), g_bits) if g_bits >= acc_bits else \
            Slice(g_acc, 0, g_bits, True)
        sts = [rtl.Assign(g, g_expr), rtl.Assign(h, resize(ToSigned(Ref(key)), g_bits)),
               Select(sg, ((Bit(reg["fold_neg"], 0), Neg(Ref(g))),), Ref(g)),
               rtl.Assign(mirrored, add(add(resize(Ref(reg["fold_a"]), g_bits), Ref(sg)),
                                        mul(resize(Ref(reg["fold_b"]), g_bits), Ref(h), g_bits)),
                          "the mirrored side: a + s*g + b*|x|"),
               Select(chosen, ((Bit(Sig("x_neg", 1, False), 0), Ref(mirrored)),), Ref(g))]
        sts += _saturate_out(chosen, out, y)
        steps.append(Step("unfold", sts))
    else:
        add_sts += _saturate_out(shifted, out, y)
        steps.append(Step("add", add_sts))
    return rtl.Datapath([x, *regs], steps, {"y": y})


def _saturate_out(value: Sig, out, y: Sig) -> list:
    hi, lo = Const(out.max_code, value.bits), Const(out.min_code, value.bits)
    base = Slice(value, 0, out.bits, out.signed)
    return [Select(y, ((Cmp(">", Ref(value), hi), Const(out.max_code, out.bits, out.signed)),
                       (Cmp("<", Ref(value), lo), Const(out.min_code, out.bits, out.signed))),
                   base, "saturation to the output codes")]


def module_name(lay: Layout) -> str:
    return f"{check_name(lay.fits[0])}_prog"


def _context(lay: Layout, writer_class) -> dict:
    pipe = rtl.place(datapath(lay), ())
    writer = writer_class(pipe)
    body = []
    for step in pipe.datapath.steps:
        body.append(("step", step.name))
        for st in step.statements:
            body.append(("statement", writer.statement(st)))
    from approxgen.emit import provenance

    spec = lay.fits[0].spec
    return {"module": module_name(lay), "layout": lay, "params": lay.params, "body": body,
            "provenance": provenance(lay.fits[0])[:1] + [line for f in lay.fits
                                                         for line in provenance(f)[1:3]],
            "x": Sig("x", spec.input.bits, spec.input.signed),
            "y": Sig("y", spec.output.bits, spec.output.signed), "y_name": "y_c",
            "writer": writer, "fits": [(check_name(f), comment_text(_describe(_shape(f))))
                                       for f in lay.fits],
            "mask": lambda v, bits: format(v & ((1 << bits) - 1), f"0{(bits + 3) // 4}x")}


def render_verilog(fits, where=None) -> str:
    """The programmable module ``FIRST_prog`` as Verilog-2001 text."""
    lay = layout(fits, where)
    return environment().get_template("verilog/programmable.v.j2").render(
        _context(lay, rtl.VerilogWriter))


def image_hex(lay: Layout, k: int) -> str:
    """Fit ``k``'s image: one ``load_data`` word per address, hex, two's complement."""
    bits = lay.data_bits
    from approxgen.emit import provenance

    lines = [f"// {check_name(lay.fits[k])}: {len(lay.params)} words of {bits} bits for "
             f"{module_name(lay)} (address order: {', '.join(p.name for p in lay.params)})"]
    lines += [f"// {line}" for line in provenance(lay.fits[k])[:3]]
    lines += [format(v & ((1 << bits) - 1), f"0{(bits + 3) // 4}x") for v in lay.image(k)]
    return "\n".join(lines) + "\n"


def images(fits, where=None) -> list[tuple[str, str]]:
    """``(file name, text)`` of every fit's ``NAME_image.hex``."""
    lay = layout(fits, where)
    return [(f"{check_name(f)}_image.hex", image_hex(lay, k)) for k, f in enumerate(lay.fits)]


def render_testbench(fits, where=None) -> str:
    """A test bench that loads every fit's image through the load port and checks ``y`` over
    every code against that fit's vectors (``NAME_image.hex`` and ``NAME.hex``)."""
    from approxgen.emit import vectors as vec

    lay = layout(fits, where)
    ctx = _context(lay, rtl.VerilogWriter)
    spec = lay.fits[0].spec
    ctx.update(codes=1 << spec.input.bits, in_bits=spec.input.bits,
               checks=[(check_name(f), {fl.name: fl for fl in vec.fields(f)}, vec.word_bits(f))
                       for f in lay.fits])
    return environment().get_template("verilog/programmable_tb.v.j2").render(ctx)


def render_c(fits, where=None) -> str:
    """A C99 header: ``FIRST_prog_coefs`` (one fit's integers), the kernel
    ``FIRST_prog(const FIRST_prog_coefs *c, x)``, and every fit's coefficient set and image."""
    lay = layout(fits, where)
    ctx = _context(lay, rtl.VerilogWriter)
    ctx.update(images=[(check_name(f), lay.image(k)) for k, f in enumerate(lay.fits)],
               c_sets=[(check_name(f), _c_set(lay, k)) for k, f in enumerate(lay.fits)],
               y_max=lay.fits[0].spec.output.max_code, y_min=lay.fits[0].spec.output.min_code)
    return environment().get_template("c/programmable.h.j2").render(ctx)


def _c_set(lay: Layout, k: int) -> dict:
    values = {p.name: p.values[k] for p in lay.params}
    n = lay.segments
    return {"bp": [values[f"bp{i}"] for i in range(n - 1)],
            "slope": [values[f"slope{i}"] for i in range(n)],
            "bias": [values[f"bias{i}"] for i in range(n)], "shift": values["shift"],
            **({key: values[key] for key in ("g_min", "g_max", "fold_a", "fold_neg", "fold_b")}
               if lay.folded else {})}


# --- the plug-in side: `emit verilog|c A.json B.json --programmable` (approxgen.emit.MultiFit) ---

UNIT_HELP = ("Several fits of one shape (pwl, all folded or none, one segment count and "
             "input/output width; scales and domains may differ): one unit taking each fit's "
             "coefficient set (see README, 'Pipelines, streams, VHDL').")


def _combinational_full(part: str = "full", pipeline=None, stages=None, handshake: bool = False,
                        **_) -> None:
    if pipeline not in (None, False) or stages is not None or handshake or part != "full":
        raise ApproxgenError("--programmable is the combinational full part: no --pipeline, "
                             "--handshake or --part lut", "--programmable")


def _verilog_unit(fits, targets, **options) -> str:
    _combinational_full(**options)
    return render_verilog(fits, targets)


VERILOG_UNIT = MultiFit("programmable", "--programmable", UNIT_HELP, _verilog_unit, files=(
    ExtraFile("testbench", "--testbench", lambda fits, targets, **_: render_testbench(fits, targets),
              "a test bench loading every image"),
    ExtraFile("images", "--images", lambda fits, targets, **_: images(fits, targets),
              "With --programmable: write every fit's image NAME_image.hex here.",
              directory=True)))
C_UNIT = MultiFit("programmable", "--programmable", UNIT_HELP,
                  lambda fits, targets, **_: render_c(fits, targets))
