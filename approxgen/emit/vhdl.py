"""VHDL-2008 emitter: the :mod:`approxgen.emit.datapaths` netlists as entities (combinational,
pipelined with a clock enable, or AXI4-Stream), and a self-checking test bench reading the golden
vectors (`approxgen emit vectors`). The same netlist renders the pipelined Verilog
(:mod:`approxgen.emit.pipelined`), so both languages compute the golden model's integers.

Every form with a netlist (:data:`approxgen.emit.datapaths.BUILDERS`: pwl, table, quadratic,
ibert, interp, folded or not), full and lut parts where the form has them; any other is refused
in one line (:func:`approxgen.emit.datapaths.problem`).
"""

from __future__ import annotations

from approxgen.emit import derived_name_problem, environment, pipelined, rtl
from approxgen.emit.verilog import testbench_fields
from approxgen.errors import ApproxgenError

TARGET = "VHDL"
PARTS = ("full", "lut")
# VHDL-2008 reserved words (identifiers are case-insensitive: compared in lower case).
_VHDL_KEYWORDS = frozenset("""
    abs access after alias all and architecture array assert assume assume_guarantee attribute
    begin block body buffer bus case component configuration constant context cover default
    disconnect downto else elsif end entity exit fairness file for force function generate
    generic group guarded if impure in inertial inout is label library linkage literal loop map
    mod nand new next nor not null of on open or others out package parameter port postponed
    procedure process property protected pure range record register reject release rem report
    restrict restrict_guarantee return rol ror select sequence severity shared signal sla sll sra
    srl strong subtype then to transport type unaffected units until use variable vmode vprop
    vunit wait when while with xnor xor""".split())
# Names the entities, their architectures and the test bench declare or use from libraries.
_VHDL_MODULE = frozenset("""
    ieee std std_logic_1164 numeric_std math_real textio work rtl sim signed unsigned std_logic
    std_logic_vector resize to_integer to_signed to_unsigned rising_edge falling_edge uniform
    clk rst_n ce advance valid_q latency in_valid out_valid x y slope intercept s_tvalid s_tready
    s_tdata m_tvalid m_tready m_tdata codes word_bits words load v vectors_file done pass fail
    check chance dut seg therm""".split())
RESERVED = _VHDL_KEYWORDS | _VHDL_MODULE
DERIVED_SUFFIXES = ("_lut", "_tb")


def vhdl_name_problem(name: str) -> str | None:
    """Why ``name`` would break the VHDL (case-insensitively), or ``None``. Asked when VHDL is
    rendered, not when a spec is read: names valid for C and Verilog stay valid fits."""
    low = name.lower()
    if low in _VHDL_KEYWORDS:
        return "is a reserved word of VHDL-2008 (VHDL ignores case)"
    if low in _VHDL_MODULE:
        return "is a name the VHDL entity or its test bench uses itself (VHDL ignores case)"
    if "__" in name or name.endswith("_") or name.startswith("_"):
        return "is not a VHDL identifier (no leading, trailing or doubled underscore)"
    return derived_name_problem(low, DERIVED_SUFFIXES, "the VHDL of a fit named {base} defines")


def _vtype(sig) -> str:
    return rtl.vhd_type(sig)


def _context(fit, part: str, stages, handshake: bool, depth: int) -> dict:
    from approxgen.emit.verilog import _check

    problem = vhdl_name_problem(fit.spec.name)
    if problem:
        raise ApproxgenError(f"{fit.spec.name!r} {problem}", "name")
    _check(fit, part)
    p = pipelined.plan(fit, part, stages, handshake, depth)
    ctx = pipelined.context(fit, p, rtl.VhdlWriter(p.pipe))
    ctx["vtype"] = _vtype
    return ctx


def render(fit, part: str = "full", stages=0, handshake: bool = False,
           depth: int | None = None) -> str:
    """Entity ``NAME`` (``NAME_lut``): combinational with ``stages`` 0, else pipelined (or
    AXI4-Stream with ``handshake``) with ``stages`` registers or ``"auto"``."""
    return environment().get_template("vhdl/module.vhd.j2").render(
        _context(fit, part, stages, handshake, depth))


def render_testbench(fit, part: str = "full", stages=0, handshake: bool = False,
                     depth: int | None = None, seed: int = 1) -> str:
    """A self-checking VHDL-2008 test bench for :func:`render`'s entity."""
    ctx = _context(fit, part, stages, handshake, depth)
    ctx.update(testbench_fields(fit, part), seed=seed)
    return environment().get_template("vhdl/testbench.vhd.j2").render(ctx)
