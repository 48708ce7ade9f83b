"""VHDL-2008 emitter: the :mod:`approxgen.emit.datapaths` netlists as entities (combinational,
pipelined with a clock enable, or AXI4-Stream), and a self-checking test bench reading the golden
vectors (`approxgen emit vectors`). The same netlist renders the pipelined Verilog
(:mod:`approxgen.emit.pipelined`), so both languages compute the golden model's integers.

Every form with a netlist (:data:`approxgen.emit.datapaths.BUILDERS`: pwl, table, quadratic,
ibert, interp, folded or not), full and lut parts where the form has them; any other is refused
in one line (:func:`approxgen.emit.datapaths.problem`).
"""

from __future__ import annotations

import re

from approxgen.emit import ExtraFile, Option, derived_name_problem, environment, pipelined, rtl
from approxgen.emit.verilog import _check, testbench_fields
from approxgen.errors import ApproxgenError

# --- the plug-in (approxgen.emit) ---------------------------------------------------------------
TARGET = "VHDL"
HELP = "Synthesizable VHDL-2008: entity NAME (combinational, x -> y), or NAME_lut."
OUTPUT_HELP = "VHDL file to write (default: stdout)."
OPTIONS = (
    Option("part", "--part", default="full", choices="approxgen.emit.verilog:PARTS",
           help="The part: full (the whole datapath) or lut (entity NAME_lut, the decoder and "
                "coefficient ROM alone)."),
    Option("pipeline", "--pipeline", metavar="N|auto", help=pipelined.PIPELINE_HELP),
    *pipelined.OPTIONS,
)
VERIFIERS = {"vhdl": "approxgen.emit.vhdl:verify"}
BLOCK_VERIFIERS = {"vhdl": "approxgen.verify_block:verify_vhdl"}
BLOCK_SUFFIX = ".vhd"  # approxgen build of a block spec: NAME.vhd (render_block)
summary = pipelined.summary  # the stderr line of a pipelined entity: its latency and registers
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


# The identifiers a unit declares: signals, constants and types (lists too), instance labels.
_DECLARED_RE = re.compile(r"^\s*(?:(?:signal|constant|type)\s+([\w, ]+?)\s*(?::|\bis\b)|"
                          r"(\w+)\s*:\s*entity)", re.M)


def declared(text: str) -> set[str]:
    """The identifiers VHDL ``text`` declares (see :data:`_DECLARED_RE`), in lower case."""
    return {name.strip().lower() for m in _DECLARED_RE.finditer(text)
            for name in (m.group(1) or m.group(2)).split(",")}


def renders_block(block) -> bool:
    """Whether ``block`` has a streaming VHDL unit (it declares ``vhdl_context()``)."""
    return hasattr(block, "vhdl_context")


def render_block(block) -> str:
    """The streaming VHDL-2008 unit of a block: ``templates/vhdl/<block>.vhd.j2`` (entity NAME,
    AXI4-Stream in and out, one row framed by ``tlast``), the inner fits' entities before it."""
    from approxgen.emit import render_block_unit

    problem = vhdl_name_problem(block.name)
    if problem:
        raise ApproxgenError(f"{block.name!r} {problem}", "name")
    text = render_block_unit(block, {**block.vhdl_context(), "vtype": _vtype,
                                     "ulit": lambda v, bits: rtl.vhd_lit(v, bits, False)},
                             render, "vhdl/{}.vhd.j2")
    if block.name.lower() in declared(text):
        raise ApproxgenError(f"{block.name!r} is a name the VHDL unit uses itself (VHDL "
                             "ignores case)", "name")
    return text


def _vtype(sig) -> str:
    return rtl.vhd_type(sig)


def _stages(pipeline, stages, handshake: bool):
    """The register count (or ``"auto"``) of ``--pipeline`` / ``stages``: bare, 1; none, 0
    (1 with ``handshake``)."""
    registered, stages = pipelined.split(pipeline, stages)
    if registered:
        return 1
    return (1 if handshake else 0) if stages is None else stages


def _context(fit, part: str, stages, handshake: bool, depth: int) -> dict:
    problem = vhdl_name_problem(fit.spec.name)
    if problem:
        raise ApproxgenError(f"{fit.spec.name!r} {problem}", "name")
    _check(fit, part)
    p = pipelined.plan(fit, part, stages, handshake, depth)
    ctx = pipelined.context(fit, p, rtl.VhdlWriter(p.pipe))
    ctx["vtype"] = _vtype
    return ctx


def render(fit, part: str = "full", pipeline=None, stages=None, handshake: bool = False,
           depth: int | None = None) -> str:
    """Entity ``NAME`` (``NAME_lut``): combinational with ``stages`` 0, else pipelined (or
    AXI4-Stream with ``handshake``) with ``stages`` registers or ``"auto"`` (``pipeline``: the
    CLI's ``--pipeline`` value)."""
    return environment().get_template("vhdl/module.vhd.j2").render(
        _context(fit, part, _stages(pipeline, stages, handshake), handshake, depth))


def render_testbench(fit, part: str = "full", pipeline=None, stages=None,
                     handshake: bool = False, depth: int | None = None, seed: int = 1) -> str:
    """A self-checking VHDL-2008 test bench for :func:`render`'s entity."""
    ctx = _context(fit, part, _stages(pipeline, stages, handshake), handshake, depth)
    ctx.update(testbench_fields(fit, part), seed=seed)
    return environment().get_template("vhdl/testbench.vhd.j2").render(ctx)


EXTRA_FILES = (ExtraFile("testbench", "--testbench", render_testbench,
                         "Also write a self-checking VHDL-2008 test bench here; it reads the "
                         "vectors of `emit vectors` (generic vectors_file, default NAME.hex)."),)
BUILD_FILES = ((".vhd", render), ("_tb.vhd", render_testbench))  # approxgen build


# --- approxgen verify --target vhdl: GHDL over every input code --------------------------------

_COUNT_RE = re.compile(r"(\w+): (\d+) passed, (\d+) failed")
_MISMATCH_RE = re.compile(r"MISMATCH at code index (\d+)((?: \w+=-?\d+)+)")


def verify(fit, target: str, directory, options: dict):
    """The ``vhdl`` target: the ``options["part"]`` entity (``--pipeline``, ``--handshake`` as
    given) analysed, elaborated and run with its test bench under GHDL (VHDL-2008) over every
    input code; ``ghdl --synth`` must accept the entity too."""
    from approxgen import verify as checks
    from approxgen.emit import vectors as vec
    from approxgen.emit.verilog import module_name
    from approxgen.tools import ToolFailed, find_tool, run_tool, tool_version

    part = options.get("part", "full")
    keys = {k: options.get(k) for k in ("pipeline", "handshake", "depth")}
    keys["handshake"] = bool(keys["handshake"])

    def run(result) -> None:
        ghdl = find_tool("ghdl")
        result.tool = tool_version(ghdl)
        directory.mkdir(parents=True, exist_ok=True)
        name = module_name(fit, part)
        for file, text in ((f"{name}.vhd", render(fit, part, **keys)),
                           (f"{name}_tb.vhd", render_testbench(fit, part, **keys)),
                           (f"{name}.hex", vec.render(fit))):
            (directory / file).write_text(text)
        for args in (["-a", "--std=08", f"{name}.vhd", f"{name}_tb.vhd"],
                     ["-e", "--std=08", f"{name}_tb"]):
            run_tool([*ghdl, *args], f"ghdl {args[0]} {name}", cwd=directory)
        sim = run_tool([*ghdl, "-r", "--std=08", f"{name}_tb", "--ieee-asserts=disable-at-0"],
                       f"ghdl -r {name}_tb", timeout=600, check=False, cwd=directory)
        log = sim.stdout + sim.stderr
        count = next((m for m in _COUNT_RE.finditer(log) if m.group(1) == name), None)
        if count is None:
            raise ToolFailed(f"test bench of {name} stopped (status {sim.returncode})", log)
        passed, failed = int(count.group(2)), int(count.group(3))
        result.codes, result.mismatches = passed + failed, failed
        golden, low = vec.golden(fit), fit.spec.input.min_code
        result.first = [checks.Mismatch(low + int(m.group(1)), what, int(golden[what][int(
            m.group(1))]), int(got)) for m in _MISMATCH_RE.finditer(log)
            for what, got in re.findall(r"(\w+)=(-?\d+)", m.group(2))][:checks.SHOWN]
        if result.codes != fit.spec.input.codes().size:
            raise ToolFailed(f"the test bench checked {result.codes} codes, not every one")
        run_tool([*ghdl, "--synth", "--std=08", f"{name}.vhd", "-e", name],
                 f"ghdl --synth {name}", cwd=directory)

    stages = _stages(keys["pipeline"], None, keys["handshake"])
    label = " ".join([target, *(["lut"] if part == "lut" else []),
                      *(["pipelined"] if stages else []),
                      *(["stream"] if keys["handshake"] else [])])
    return checks.verdict(checks.TargetResult(label, "pass"), run)
