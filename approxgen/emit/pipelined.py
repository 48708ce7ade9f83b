"""Pipelined and streaming modules from the :mod:`approxgen.emit.datapaths` netlists.

``stages`` registers sit at the datapath's boundaries (:func:`approxgen.emit.rtl.choose_cuts`:
the placement that minimizes the deepest stage's estimated logic levels; ``"auto"``: the fewest
registers whose deepest stage is estimated at most ``depth`` levels). Every register loads on
``advance``:

* plain (``handshake=False``): ports ``clk, rst_n, ce, in_valid, x, out_valid, y``;
  ``advance = ce``; ``out_valid`` follows ``in_valid`` by LATENCY enabled cycles;
* ``handshake=True``: AXI4-Stream ports ``s_tvalid, s_tready, s_tdata, s_tlast, m_tvalid,
  m_tready, m_tdata, m_tlast`` (TLAST travels with its word; TDATA padded to whole bytes: input
  pad bits ignored, output pad bits zero), plus
  ``clk, rst_n, ce`` (the stream's ACLKEN: transfers happen on rising edges with ``ce`` high);
  ``advance = ce & (m_tready | ~m_tvalid)`` and ``s_tready = advance``: the
  whole pipeline stalls while the consumer holds off a valid output (no combinational path
  from ``s_tvalid``; ``s_tready`` follows ``m_tready`` combinationally).

``rst_n`` (synchronous, active low) clears the valid bits only.
"""

from __future__ import annotations

from dataclasses import dataclass

from approxgen.emit import Option, check_name, datapaths, provenance, rtl
from approxgen.errors import ApproxgenError

PIPELINE_HELP = ("N: N registers at the datapath's stage boundaries (input, segment decode, "
                 "coefficient read, multiply, add/shift/saturate), placed for the shallowest "
                 "stage, with a clock enable ce; auto: the fewest registers whose stages are "
                 "estimated at most --depth logic levels. Ports clk, rst_n, ce, in_valid, "
                 "out_valid; LATENCY in the module.")
# The render options both HDL emitters declare beside --part and --pipeline.
OPTIONS = (
    Option("handshake", "--handshake", default=False, is_flag=True,
           help="AXI4-Stream ports (s_tvalid/s_tready/s_tdata, m_tvalid/m_tready/m_tdata, ce "
                "as ACLKEN) with back-pressure; needs --pipeline N >= 1 (default 1)."),
    Option("depth", "--depth", type=int, metavar="LEVELS",
           help="Logic levels per stage that --pipeline auto aims at (default 32, an "
                "estimate)."),
)

DEFAULT_DEPTH = 32  # logic levels per stage that --pipeline auto aims at (an estimate)


@dataclass
class Plan:
    """A fit's part as a placed pipeline, with what the templates need."""

    pipe: rtl.Pipeline
    module: str
    handshake: bool
    outputs: list  # (port, Sig at the output stage's name)

    @property
    def latency(self) -> int:
        return self.pipe.latency


def parse_stages(value) -> int | str:
    """``--pipeline`` as given: a count of registers (``0..``) or ``"auto"``."""
    if value == "auto":
        return "auto"
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = -1
    if isinstance(value, bool) or n < 0 or str(n) != str(value).strip():
        raise ApproxgenError(f"must be a number of registers (0, 1, 2...) or auto, "
                             f"got {value!r}", "--pipeline")
    return n


def split(pipeline, stages=None) -> tuple[bool, int | str | None]:
    """``(registered, stages)`` from ``--pipeline`` (``None``/``False``: combinational; bare,
    ``True`` or ``"registered"``: the single-register version; ``N`` or ``"auto"``: ``N``
    registers) and an explicit ``stages`` (the API's, which wins)."""
    if stages is not None or pipeline in (None, False):
        return False, stages
    if pipeline is True or pipeline == "registered":
        return True, None
    return False, parse_stages(pipeline)


def plan(fit, part: str, stages, handshake: bool = False, depth: int | None = None) -> Plan:
    """Place ``stages`` registers (or ``"auto"``: for ``depth`` levels a stage, default
    :data:`DEFAULT_DEPTH`) in ``fit``'s ``part`` (refusals: one line)."""
    depth = DEFAULT_DEPTH if depth is None else depth
    problem = datapaths.problem(fit)
    if problem:
        raise ApproxgenError(problem, "form")
    dp = datapaths.build(fit, part)
    slots = len(dp.steps) + 1
    stages = parse_stages(stages)
    if stages == "auto":
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise ApproxgenError(f"--depth must be a positive number of logic levels, got "
                                 f"{depth!r}", "--depth")
        cuts = rtl.auto_cuts(dp, depth)
    else:
        if stages > slots:
            raise ApproxgenError(f"{stages} registers: this datapath has {slots} register "
                                 f"places ({', '.join(dp.boundaries)})", "--pipeline")
        cuts = rtl.choose_cuts(dp, stages)
    if handshake and not cuts:
        raise ApproxgenError("--handshake needs at least one register (--pipeline 1 or more)",
                             "--handshake")
    pipe = rtl.place(dp, cuts)
    outputs = [(port, sig, pipe.name_at(sig.name, pipe.latency))
               for port, sig in dp.outputs.items()]
    return Plan(pipe, check_name(fit) + ("_lut" if part == "lut" else ""), handshake, outputs)


def tdata_bits(bits: int) -> int:
    """AXI4-Stream TDATA is whole bytes."""
    return 8 * ((bits + 7) // 8)


def context(fit, p: Plan, writer) -> dict:
    """What the module templates (Verilog and VHDL) need."""
    pipe = p.pipe
    dp = pipe.datapath
    body = []
    for i, step in enumerate(dp.steps):
        if not step.statements:
            continue
        body.append(("step", f"{step.name} (stage {pipe.stage_of_step(i)})"))
        for st in step.statements:
            body.append(("statement", writer.statement(st)))
    out_bits = sum(sig.bits for _, sig, _ in p.outputs)
    return {
        "provenance": provenance(fit), "module": p.module, "latency": p.latency,
        "pipelined": p.latency > 0, "handshake": p.handshake,
        "x": dp.inputs[0], "outputs": p.outputs, "out_bits": out_bits,
        "s_bits": tdata_bits(dp.inputs[0].bits), "m_bits": tdata_bits(out_bits),
        "signals": pipe.signals, "registers": pipe.registers, "body": body,
        "stages": list(pipe.flops_at().items()), "writer": writer, "partial": pipe.partial,
    }


def stage_summary(p: Plan) -> str:
    """``LATENCY 3: registers after decode (12 FF), after multiply (30 FF), output (8 FF)``."""
    if not p.latency:
        return "combinational (LATENCY 0)"
    where = ", ".join(f"{name} ({n} FF)" for name, n in p.pipe.flops_at().items())
    return f"LATENCY {p.latency}: registers at {where}, plus {p.latency} valid bits"


def summary(fit, part: str = "full", pipeline=None, stages=None, handshake: bool = False,
            depth: int | None = None, **_) -> str | None:
    """``MODULE: LATENCY n: registers at...`` for a pipelined or streaming module (the line
    ``emit`` prints on stderr), else ``None``."""
    registered, stages = split(pipeline, stages)
    if not (stages or handshake):
        return None
    p = plan(fit, part, 1 if stages is None else stages, handshake, depth)
    return f"{p.module}: {stage_summary(p)}"


def render_verilog(fit, part: str = "full", stages=1, handshake: bool = False,
                   depth: int | None = None) -> str:
    """The pipelined (or streaming) module as Verilog-2001 text."""
    from approxgen.emit import environment

    p = plan(fit, part, stages, handshake, depth)
    if not p.latency:
        raise ApproxgenError("--pipeline 0 is the combinational module (omit --pipeline)",
                             "--pipeline")
    return environment().get_template("verilog/pipelined.v.j2").render(
        context(fit, p, rtl.VerilogWriter(p.pipe)))


def testbench_context(fit, part: str, stages, handshake: bool, depth: int, seed: int) -> dict:
    """What the stream branch of ``verilog/testbench.v.j2`` needs (plus the vector fields)."""
    from approxgen.emit.widths import lit

    p = plan(fit, part, stages, handshake, depth)
    ctx = context(fit, p, rtl.VerilogWriter(p.pipe))
    inp = fit.spec.input
    ctx.update(stream=True, pipeline=True, in_bits=inp.bits, in_signed=inp.signed, lit=lit,
               seed=seed)
    return ctx
