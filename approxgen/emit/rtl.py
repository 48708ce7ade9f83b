"""A small register-transfer netlist rendered to both Verilog-2001 and VHDL-2008, and pipelined.

A datapath (:class:`Datapath`) is a list of named :class:`Step` s (``decode``, ``read``,
``multiply``, ``add``...), each a list of statements over fixed-width signals (:class:`Sig`):
:class:`Assign` (an expression), :class:`Select` (a priority choice), :class:`Rom` (a case
table), :class:`Decoder` (a segment decoder). Every width is the caller's exact one (the forms'
datapath functions in :mod:`approxgen.emit.verilog` compute them); the expression nodes only
extend, slice, add, multiply and compare, so both languages compute the same integers.

Pipelining (:func:`place`): a register may sit at any boundary between steps, before the first
(the input) or after the last (the output). A signal used ``k`` registers after the step that
defines it gets ``k`` delayed copies ``NAME_pJ``; every register loads when the enable is high.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

# --- signals and expressions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sig:
    name: str
    bits: int
    signed: bool


class Expr:
    """An expression of ``bits`` bits, two's complement when ``signed``."""

    bits: int
    signed: bool

    def refs(self):
        return ()


@dataclass(frozen=True)
class Ref(Expr):
    sig: Sig

    @property
    def bits(self):
        return self.sig.bits

    @property
    def signed(self):
        return self.sig.signed

    def refs(self):
        return (self.sig.name,)


@dataclass(frozen=True)
class Const(Expr):
    value: int
    bits: int
    signed: bool = True


@dataclass(frozen=True)
class Unary(Expr):
    """An expression of one operand, ``arg``, whose signals it reads."""

    arg: Expr

    def refs(self):
        return self.arg.refs()


@dataclass(frozen=True)
class Resize(Unary):
    """Sign- (signed) or zero- (unsigned) extension to ``bits`` >= the operand's."""

    bits: int

    @property
    def signed(self):
        return self.arg.signed


@dataclass(frozen=True)
class ToSigned(Unary):
    """An unsigned operand as a signed value one bit wider (zero-extended)."""

    @property
    def bits(self):
        return self.arg.bits + 1

    signed = True


@dataclass(frozen=True)
class Cast(Unary):
    """The same bits read as signed or unsigned."""

    signed: bool

    @property
    def bits(self):
        return self.arg.bits


@dataclass(frozen=True)
class Slice(Expr):
    """Bits ``lo .. lo+bits-1`` of a signal."""

    sig: Sig
    lo: int
    bits: int
    signed: bool

    def refs(self):
        return (self.sig.name,)


@dataclass(frozen=True)
class Binary(Expr):
    """``a + b``, ``a - b``, ``a & b`` or ``a * b`` (``+``/``-``/``&``: equal widths and
    signedness; ``*``: signed operands no wider than the result, which holds every product)."""

    op: str
    a: Expr
    b: Expr
    bits: int

    @property
    def signed(self):
        return self.a.signed

    def refs(self):
        return self.a.refs() + self.b.refs()


@dataclass(frozen=True)
class Neg(Unary):
    @property
    def bits(self):
        return self.arg.bits

    signed = True


@dataclass(frozen=True)
class Concat(Expr):
    """Operands high first, as an unsigned vector."""

    parts: tuple

    @property
    def bits(self):
        return sum(p.bits for p in self.parts)

    signed = False

    def refs(self):
        return tuple(n for p in self.parts for n in p.refs())


@dataclass(frozen=True)
class ShiftRight(Expr):
    """``arg >>> amount`` (arithmetic when ``arg`` is signed, else logical; ``amount`` an
    unsigned signal or a constant int)."""

    arg: Expr
    amount: object

    @property
    def bits(self):
        return self.arg.bits

    @property
    def signed(self):
        return self.arg.signed

    def refs(self):
        return self.arg.refs() + ((self.amount.name,) if isinstance(self.amount, Sig) else ())


@dataclass(frozen=True)
class ShiftLeft(ShiftRight):
    """``arg <<< amount`` in ``arg``'s width."""


@dataclass(frozen=True)
class OnesMagnitude(Expr):
    """``x ^ {N{sign}}`` read unsigned: ``|x|`` for ``x >= 0``, ``|x| - 1`` for ``x < 0`` (one
    level of XOR instead of a negation's carry chain)."""

    sig: Sig

    @property
    def bits(self):
        return self.sig.bits

    signed = False

    def refs(self):
        return (self.sig.name,)


def add(a: Expr, b: Expr) -> Binary:
    return Binary("+", a, b, a.bits)


def sub(a: Expr, b: Expr) -> Binary:
    return Binary("-", a, b, a.bits)


def mul(a: Expr, b: Expr, bits: int) -> Binary:
    return Binary("*", a, b, bits)


def resize(e: Expr, bits: int) -> Expr:
    return e if e.bits == bits else Resize(e, bits)


# --- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cmp:
    """``a OP b`` for ``OP`` in ``>= > < <=`` (equal widths and signedness)."""

    op: str
    a: Expr
    b: Expr

    def refs(self):
        return self.a.refs() + self.b.refs()


@dataclass(frozen=True)
class Bit:
    """Bit ``index`` of a signal is one."""

    sig: Sig
    index: int

    def refs(self):
        return (self.sig.name,)


# --- statements --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assign:
    target: Sig
    expr: Expr
    comment: str = ""

    def targets(self):
        return (self.target,)

    def refs(self):
        return self.expr.refs()


@dataclass(frozen=True)
class Select:
    """``target = first expr whose condition holds, else default``."""

    target: Sig
    choices: tuple  # ((condition, expr), ...)
    default: Expr
    comment: str = ""

    def targets(self):
        return (self.target,)

    def refs(self):
        return tuple(n for c, e in self.choices for n in c.refs() + e.refs()) + \
            self.default.refs()


@dataclass(frozen=True)
class Rom:
    """``targets[j] = rows[sel][j]``: one row per selector value ``values[i]`` of constants
    (ints) or expressions (a register file read); selector values not listed take ``rows[-1]``."""

    selector: Sig
    outputs: tuple  # Sigs
    values: tuple  # selector values (ints)
    rows: tuple  # per value, one int per output
    comment: str = ""

    def targets(self):
        return self.outputs

    def refs(self):
        return (self.selector.name,) + tuple(n for row in self.rows for v in row
                                             if isinstance(v, Expr) for n in v.refs())

    def full(self) -> bool:
        return len(self.values) == 1 << self.selector.bits


@dataclass(frozen=True)
class Decoder:
    """``seg`` = how many of the ascending ``thresholds`` are <= ``key``: a thermometer code of
    parallel compares (``therm``), turned into binary by an AND-OR of its edges (log depth)."""

    seg: Sig
    therm: Sig
    key: Expr
    thresholds: tuple  # Exprs as wide and signed as key
    comment: str = ""
    alt_when: Bit | None = None  # where this bit is one, compare with alt instead
    alt: tuple = ()

    def targets(self):
        return (self.therm, self.seg)

    def refs(self):
        extra = self.alt_when.refs() if self.alt_when else ()
        return self.key.refs() + tuple(n for t in self.thresholds + self.alt
                                       for n in t.refs()) + extra

    def bit_terms(self) -> list[list[tuple[int, int | None]]]:
        """Per bit j of seg: the (one, zero) therm indices whose AND terms OR into it."""
        k = len(self.thresholds)
        out = []
        for j in range(self.seg.bits):
            terms = []
            for m in itertools.count(1, 2):
                one = m << j
                if one > k:
                    break
                zero = (m + 1) << j
                terms.append((one - 1, zero - 1 if zero <= k else None))
            out.append(terms)
        return out


# --- a datapath and its pipeline ---------------------------------------------------------------


@dataclass
class Step:
    """A named group of statements: registers go between steps (:func:`max_depth` estimates a
    stage's logic levels from its statements)."""

    name: str
    statements: list = field(default_factory=list)


@dataclass
class Datapath:
    """Steps from the input port ``x`` to the output ports (``outputs``: port name -> Sig)."""

    inputs: list  # Sigs (ports)
    steps: list
    outputs: dict

    @property
    def boundaries(self) -> list[str]:
        """Where a register may go: ``input``, after each step, the last being ``output``."""
        return ["input"] + [f"after {s.name}" for s in self.steps[:-1]] + ["output"]


@dataclass(frozen=True)
class Register:
    target: Sig  # NAME_pJ
    source: Sig  # NAME or NAME_p(J-1)
    stage: int


@dataclass
class Pipeline:
    """A datapath with registers at ``cuts`` (boundary indices): :attr:`latency` cycles."""

    datapath: Datapath
    cuts: tuple
    signals: list  # every combinational Sig, in order
    registers: list
    stage_of: dict  # statement id -> stage
    resolve: dict  # (name, stage) -> the name to read there
    partial: frozenset = frozenset()  # signals (and copies) some bits of which nothing reads

    @property
    def latency(self) -> int:
        return len(self.cuts)

    def name_at(self, name: str, stage: int) -> str:
        return self.resolve.get((name, stage), name)

    def stage_of_step(self, index: int) -> int:
        return sum(1 for c in self.cuts if c <= index)

    def flip_flops(self) -> int:
        return sum(r.target.bits for r in self.registers)

    def flops_at(self) -> dict[str, int]:
        """Flip-flops of every register boundary (without the valid bit)."""
        names = self.datapath.boundaries
        by_stage = {c: 0 for c in self.cuts}
        order = sorted(self.cuts)
        for r in self.registers:
            by_stage[order[r.stage - 1]] += r.target.bits
        return {names[c]: n for c, n in sorted(by_stage.items())}


def choose_cuts(datapath: Datapath, registers: int) -> tuple[int, ...]:
    """The ``registers`` boundaries that minimize the deepest stage's estimated levels (ties:
    the output register first, then the input's, then the later boundaries)."""
    slots = len(datapath.steps) + 1
    if registers > slots:
        raise ValueError(registers)
    best = None
    for cuts in itertools.combinations(range(slots), registers):
        key = (max_depth(datapath, cuts), (slots - 1) not in cuts, 0 not in cuts,
               [-c for c in cuts])
        if best is None or key < best[0]:
            best = (key, cuts)
    return best[1]


# Logic-level estimates, calibrated on Yosys `synth -flatten` + `ltp -noff` of int8/int16 fits:
# an adder, subtracter or compare of b bits ~ b/2 + 2 levels (carry lookahead), an a x b
# multiplier ~ a + b (by a constant: ~ an adder), a mux 1 level, a variable shift 2 per amount bit.
def add_levels(bits: int) -> int:
    return bits // 2 + 2


def expr_levels(e, arrival) -> int:
    """When ``e``'s value is ready, given ``arrival(name)`` of the signals it reads."""
    if isinstance(e, Ref):
        return arrival(e.sig.name)
    if isinstance(e, Const):
        return 0
    if isinstance(e, (Resize, ToSigned, Cast)):
        return expr_levels(e.arg, arrival)
    if isinstance(e, (Slice, OnesMagnitude)):
        return arrival(e.sig.name) + (1 if isinstance(e, OnesMagnitude) else 0)
    if isinstance(e, Concat):
        return max(expr_levels(p, arrival) for p in e.parts)
    if isinstance(e, Neg):
        return expr_levels(e.arg, arrival) + add_levels(e.bits)
    if isinstance(e, ShiftRight):
        amount = e.amount
        extra = 2 * amount.bits if isinstance(amount, Sig) else 0
        ready = arrival(amount.name) if isinstance(amount, Sig) else 0
        return max(expr_levels(e.arg, arrival), ready) + extra
    if isinstance(e, Binary):
        ready = max(expr_levels(e.a, arrival), expr_levels(e.b, arrival))
        if e.op == "&":
            return ready + 1
        if e.op == "*":
            if isinstance(e.a, Const) or isinstance(e.b, Const):
                return ready + 2 * add_levels(e.bits)
            return ready + e.a.bits + e.b.bits
        return ready + add_levels(e.bits)
    raise TypeError(e)


def cond_levels(c, arrival) -> int:
    if isinstance(c, Bit):
        return arrival(c.sig.name)
    return max(expr_levels(c.a, arrival), expr_levels(c.b, arrival)) + add_levels(c.a.bits)


def statement_levels(st, arrival) -> int:
    """When ``st``'s targets are ready."""
    if isinstance(st, Assign):
        return expr_levels(st.expr, arrival)
    if isinstance(st, Select):
        ready = max([expr_levels(st.default, arrival)]
                    + [max(cond_levels(c, arrival), expr_levels(e, arrival))
                       for c, e in st.choices])
        return ready + len(st.choices)
    if isinstance(st, Rom):
        ready = max([arrival(st.selector.name)] + [expr_levels(v, arrival) for row in st.rows
                                                   for v in row if isinstance(v, Expr)])
        return ready + 2 * st.selector.bits + 2
    if isinstance(st, Decoder):
        ready = max([expr_levels(st.key, arrival)]
                    + [expr_levels(t, arrival) for t in st.thresholds + st.alt]
                    + ([arrival(st.alt_when.sig.name)] if st.alt_when else []))
        return ready + add_levels(st.key.bits) + st.seg.bits + (1 if st.alt_when else 0)
    raise TypeError(st)


def max_depth(datapath: Datapath, cuts) -> int:
    """The estimated logic levels of the deepest stage with registers at ``cuts``: the signals'
    arrival times through the statements, starting again at 0 after every register."""
    stage_of = {s.name: 0 for s in datapath.inputs}
    ready = {s.name: 0 for s in datapath.inputs}
    deepest = 0
    for i, step in enumerate(datapath.steps):
        stage = sum(1 for c in cuts if c <= i)

        def arrival(name, stage=stage):
            return ready.get(name, 0) if stage_of.get(name, stage) == stage else 0
        for st in step.statements:
            done = statement_levels(st, arrival)
            deepest = max(deepest, done)
            for t in st.targets():
                ready[t.name], stage_of[t.name] = done, stage
    return deepest


def auto_cuts(datapath: Datapath, depth: int) -> tuple[int, ...]:
    """The fewest registers (at least one) whose deepest stage is estimated at <= ``depth``
    levels; where no placement meets it (one step alone is deeper), the fewest that reach the
    shallowest estimate any placement has."""
    slots = len(datapath.steps) + 1
    placements = [choose_cuts(datapath, n) for n in range(1, slots + 1)]
    floor = min(max_depth(datapath, cuts) for cuts in placements)
    return next(cuts for cuts in placements if max_depth(datapath, cuts) <= max(depth, floor))


def bit_reads(node):
    """``(name, lo, hi)`` of every signal bit range an expression, condition or statement
    reads."""
    if isinstance(node, (Ref, OnesMagnitude)):
        sig = node.sig
        return [(sig.name, 0, sig.bits - 1)]
    if isinstance(node, Slice):
        return [(node.sig.name, node.lo, node.lo + node.bits - 1)]
    if isinstance(node, Bit):
        return [(node.sig.name, node.index, node.index)]
    if isinstance(node, Const):
        return []
    if isinstance(node, ShiftRight):
        amount = node.amount
        return bit_reads(node.arg) + ([(amount.name, 0, amount.bits - 1)]
                                      if isinstance(amount, Sig) else [])
    if isinstance(node, Unary):
        return bit_reads(node.arg)
    if isinstance(node, (Binary, Cmp)):
        return bit_reads(node.a) + bit_reads(node.b)
    if isinstance(node, Concat):
        return [r for p in node.parts for r in bit_reads(p)]
    if isinstance(node, Assign):
        return bit_reads(node.expr)
    if isinstance(node, Select):
        return [r for c, e in node.choices for r in bit_reads(c) + bit_reads(e)] + \
            bit_reads(node.default)
    if isinstance(node, Rom):
        return [(node.selector.name, 0, node.selector.bits - 1)] + \
            [r for row in node.rows for v in row if isinstance(v, Expr) for r in bit_reads(v)]
    if isinstance(node, Decoder):
        return bit_reads(node.key) + [r for t in node.thresholds + node.alt
                                      for r in bit_reads(t)] + \
            (bit_reads(node.alt_when) if node.alt_when else [])
    raise TypeError(node)


def live(datapath: Datapath) -> Datapath:
    """``datapath`` without the statements whose results nothing reads."""
    wanted = {sig.name for sig in datapath.outputs.values()}
    kept = []
    for step in reversed(datapath.steps):
        statements = []
        for st in reversed(step.statements):
            if any(t.name in wanted for t in st.targets()):
                statements.append(st)
                wanted |= set(st.refs())
        kept.append(Step(step.name, statements[::-1]))
    return Datapath(datapath.inputs, kept[::-1], datapath.outputs)


def partial_reads(datapath: Datapath) -> set[str]:
    """Signals (inputs included) some bits of which no statement or output reads."""
    sigs = {s.name: s for s in datapath.inputs}
    read: dict[str, set[int]] = {}
    for step in datapath.steps:
        for st in step.statements:
            sigs.update((t.name, t) for t in st.targets())
            for name, lo, hi in bit_reads(st):
                read.setdefault(name, set()).update(range(lo, hi + 1))
    for sig in datapath.outputs.values():
        read.setdefault(sig.name, set()).update(range(sig.bits))
    return {name for name, sig in sigs.items()
            if not set(range(sig.bits)) <= read.get(name, set())}


def place(datapath: Datapath, cuts) -> Pipeline:
    """Registers at ``cuts``: the delayed copies every late use of a signal needs (statements
    whose results nothing reads are dropped first)."""
    datapath = live(datapath)
    cuts = tuple(sorted(cuts))
    stage_of_step = [sum(1 for c in cuts if c <= i) for i in range(len(datapath.steps))]
    defined: dict[str, tuple[Sig, int]] = {s.name: (s, 0) for s in datapath.inputs}
    stage_of, signals, needed = {}, [], {}
    for i, step in enumerate(datapath.steps):
        for st in step.statements:
            stage_of[id(st)] = stage_of_step[i]
            for name in st.refs():
                needed[name] = max(needed.get(name, 0), stage_of_step[i])
            for t in st.targets():
                defined[t.name] = (t, stage_of_step[i])
                signals.append(t)
    out_stage = len(cuts)
    for sig in datapath.outputs.values():
        needed[sig.name] = max(needed.get(sig.name, 0), out_stage)
    partial = partial_reads(datapath)
    registers, resolve = [], {}
    for name, (sig, stage) in defined.items():
        source = sig
        for j in range(stage + 1, needed.get(name, stage) + 1):
            target = Sig(f"{name}_p{j}", sig.bits, sig.signed)
            registers.append(Register(target, source, j))
            resolve[(name, j)] = target.name
            if name in partial:
                partial.add(target.name)
            source = target
    return Pipeline(datapath, cuts, signals, registers, stage_of, resolve, frozenset(partial))


# --- Verilog ----------------------------------------------------------------------------------


class Writer:
    """What both languages' writers share: a signal's name at a stage, constants, ROM values."""

    def __init__(self, pipe: Pipeline):
        self.pipe = pipe

    @staticmethod
    def literal(value: int, bits: int, signed: bool) -> str:
        raise NotImplementedError

    def name(self, sig_name: str, stage: int) -> str:
        return self.pipe.name_at(sig_name, stage)

    def value(self, v, sig: Sig, s: int) -> str:
        """A ROM entry: a constant (int) or an expression (a register file read)."""
        return self.expr(v, s) if isinstance(v, Expr) else self.literal(v, sig.bits, sig.signed)

    def leaf(self, e: Expr, s: int) -> str | None:
        """A signal or a constant (the same in both languages but for the literal's form)."""
        if isinstance(e, Ref):
            return self.name(e.sig.name, s)
        if isinstance(e, Const):
            return self.literal(e.value, e.bits, e.signed)
        return None

    def expr(self, e: Expr, s: int) -> str:
        raise NotImplementedError


def v_lit(value: int, bits: int, signed: bool) -> str:
    from approxgen.emit.widths import lit

    return lit(value, bits, signed)


class VerilogWriter(Writer):
    """Verilog text of a pipeline's expressions and statements at their stages."""

    literal = staticmethod(v_lit)

    def expr(self, e: Expr, s: int) -> str:
        leaf = self.leaf(e, s)
        if leaf is not None:
            return leaf
        if isinstance(e, Resize):
            inner = self.expr(e.arg, s)
            pad = e.bits - e.arg.bits
            if not e.arg.signed:
                return f"{{{pad}'d0, {inner}}}"
            if isinstance(e.arg, ToSigned):  # zero-extended: the sign bit is 0
                return f"$signed({{{pad + 1}'d0, {self.expr(e.arg.arg, s)}}})"
            if not isinstance(e.arg, (Ref, Slice)):
                raise TypeError("sign-extend a named signal")
            sign = f"{inner}[{e.arg.bits - 1}]"
            fill = sign if pad == 1 else f"{{{pad}{{{sign}}}}}"
            return f"$signed({{{fill}, {inner}}})"
        if isinstance(e, ToSigned):
            return f"$signed({{1'b0, {self.expr(e.arg, s)}}})"
        if isinstance(e, Cast):
            return f"{'$signed' if e.signed else '$unsigned'}({self.expr(e.arg, s)})"
        if isinstance(e, Slice):
            n = self.name(e.sig.name, s)
            if e.lo == 0 and e.bits == e.sig.bits:
                text = n
            elif e.bits == 1:
                text = f"{n}[{e.lo}]"
            else:
                text = f"{n}[{e.lo + e.bits - 1}:{e.lo}]"
            return f"$signed({text})" if e.signed else text
        if isinstance(e, Binary):
            return f"({self.expr(e.a, s)} {e.op} {self.expr(e.b, s)})"
        if isinstance(e, Neg):
            return f"-{self.expr(e.arg, s)}"
        if isinstance(e, Concat):
            return "{" + ", ".join(self.expr(p, s) for p in e.parts) + "}"
        if isinstance(e, ShiftRight):
            amount = (self.name(e.amount.name, s) if isinstance(e.amount, Sig)
                      else str(e.amount))
            op = "<<<" if isinstance(e, ShiftLeft) else ">>>"
            return f"({self.expr(e.arg, s)} {op} {amount})"
        if isinstance(e, OnesMagnitude):
            n = self.name(e.sig.name, s)
            return f"$unsigned({n} ^ {{{e.bits}{{{n}[{e.bits - 1}]}}}})"
        raise TypeError(e)

    def cond(self, c, s: int) -> str:
        if isinstance(c, Bit):
            return f"{self.name(c.sig.name, s)}[{c.index}]"
        return f"{self.expr(c.a, s)} {c.op} {self.expr(c.b, s)}"

    @staticmethod
    def decl(sig: Sig, kind: str = "wire") -> str:
        return f"{kind} {'signed ' if sig.signed else ''}[{sig.bits - 1}:0] {sig.name};"

    def declare(self, sig: Sig, kind: str = "wire") -> list[str]:
        """The declaration, inside a lint waiver when some bits are never read (low bits of
        an accumulator a shift drops, bits a decoder compares without)."""
        line = self.decl(sig, kind)
        if sig.name in self.pipe.partial:
            return ["// verilator lint_off UNUSED", line, "// verilator lint_on UNUSED"]
        return [line]

    def statement(self, st) -> list[str]:
        s = self.pipe.stage_of[id(st)]
        lines = [f"// {st.comment}"] if st.comment else []
        if isinstance(st, Assign):
            lines += self.declare(st.target)
            lines.append(f"assign {st.target.name} = {self.expr(st.expr, s)};")
        elif isinstance(st, Select):
            lines += self.declare(st.target)
            body = [f"{self.cond(c, s)} ? {self.expr(e, s)} :" for c, e in st.choices]
            body.append(f"{self.expr(st.default, s)};")
            lines.append(f"assign {st.target.name} = " + "\n    ".join(body))
        elif isinstance(st, Rom):
            sel = self.name(st.selector.name, s)
            lines += [line for o in st.outputs for line in self.declare(o, "reg")]
            lines += ["always @* begin", f"    case ({sel})"]
            for value, row in zip(st.values, st.rows):
                label = v_lit(value & ((1 << st.selector.bits) - 1), st.selector.bits, False)
                sets = " ".join(f"{o.name} = {self.value(v, o, s)};"
                                for o, v in zip(st.outputs, row))
                lines.append(f"        {label}: begin {sets} end")
            if not st.full():
                sets = " ".join(f"{o.name} = {self.value(v, o, s)};"
                                for o, v in zip(st.outputs, st.rows[-1]))
                lines.append(f"        default: begin {sets} end")
            lines += ["    endcase", "end"]
        elif isinstance(st, Decoder):
            key = self.expr(st.key, s)
            lines += self.declare(st.therm) + self.declare(st.seg)
            for i, t in enumerate(st.thresholds):
                bound = self.expr(t, s)
                if st.alt_when is not None:
                    bound = f"({self.cond(st.alt_when, s)} ? {self.expr(st.alt[i], s)} : {bound})"
                lines.append(f"assign {st.therm.name}[{i}] = {key} >= {bound};")
            for j, terms in enumerate(st.bit_terms()):
                ors = [f"{st.therm.name}[{a}]" if b is None
                       else f"({st.therm.name}[{a}] & ~{st.therm.name}[{b}])" for a, b in terms]
                lines.append(f"assign {st.seg.name}[{j}] = {' | '.join(ors)};")
        else:
            raise TypeError(st)
        return lines


# --- VHDL ------------------------------------------------------------------------------------


def vhd_type(sig_or_bits, signed: bool | None = None) -> str:
    bits, signed = ((sig_or_bits.bits, sig_or_bits.signed) if isinstance(sig_or_bits, Sig)
                    else (sig_or_bits, signed))
    return f"{'signed' if signed else 'unsigned'}({bits - 1} downto 0)"


def vhd_lit(value: int, bits: int, signed: bool) -> str:
    """A qualified bit-string: any width (VHDL integers stop at 32 bits)."""
    word = format(value & ((1 << bits) - 1), f"0{bits}b")
    return f"{'signed' if signed else 'unsigned'}'(\"{word}\")"


class VhdlWriter(Writer):
    """VHDL-2008 text of a pipeline's expressions and statements at their stages."""

    literal = staticmethod(vhd_lit)

    def expr(self, e: Expr, s: int) -> str:
        leaf = self.leaf(e, s)
        if leaf is not None:
            return leaf
        if isinstance(e, Resize):
            return f"resize({self.expr(e.arg, s)}, {e.bits})"
        if isinstance(e, ToSigned):
            return f"signed('0' & {self.expr(e.arg, s)})"
        if isinstance(e, Cast):
            return f"{'signed' if e.signed else 'unsigned'}({self.expr(e.arg, s)})"
        if isinstance(e, Slice):
            n = self.name(e.sig.name, s)
            kind = "signed" if e.signed else "unsigned"
            if e.lo == 0 and e.bits == e.sig.bits:
                return f"{kind}({n})" if e.signed != e.sig.signed else n
            return f"{kind}({n}({e.lo + e.bits - 1} downto {e.lo}))"
        if isinstance(e, Binary):
            op = {"&": "and"}.get(e.op, e.op)
            text = f"{self.expr(e.a, s)} {op} {self.expr(e.b, s)}"
            return f"resize({text}, {e.bits})" if e.op == "*" else f"({text})"
        if isinstance(e, Neg):
            return f"(-{self.expr(e.arg, s)})"
        if isinstance(e, Concat):
            return "unsigned'(" + " & ".join(
                f"unsigned({self.expr(p, s)})" for p in e.parts) + ")"
        if isinstance(e, ShiftRight):
            amount = (f"to_integer({self.name(e.amount.name, s)})" if isinstance(e.amount, Sig)
                      else str(e.amount))
            fn = "shift_left" if isinstance(e, ShiftLeft) else "shift_right"
            return f"{fn}({self.expr(e.arg, s)}, {amount})"
        if isinstance(e, OnesMagnitude):
            n = self.name(e.sig.name, s)
            kind = "signed" if e.sig.signed else "unsigned"
            return f"unsigned({n} xor {kind}'({e.bits - 1} downto 0 => {n}({e.bits - 1})))"
        raise TypeError(e)

    def cond(self, c, s: int) -> str:
        if isinstance(c, Bit):
            return f"{self.name(c.sig.name, s)}({c.index}) = '1'"
        op = "/=" if c.op == "!=" else c.op
        return f"{self.expr(c.a, s)} {op} {self.expr(c.b, s)}"

    @staticmethod
    def decl(sig: Sig) -> str:
        return f"signal {sig.name} : {vhd_type(sig)};"

    def declarations(self, st) -> list[str]:
        return [self.decl(t) for t in st.targets()]

    def statement(self, st) -> list[str]:
        s = self.pipe.stage_of[id(st)]
        lines = [f"-- {st.comment}"] if st.comment else []
        if isinstance(st, Assign):
            lines.append(f"{st.target.name} <= {self.expr(st.expr, s)};")
        elif isinstance(st, Select):
            body = [f"{self.expr(e, s)} when {self.cond(c, s)} else" for c, e in st.choices]
            body.append(f"{self.expr(st.default, s)};")
            lines.append(f"{st.target.name} <= " + "\n    ".join(body))
        elif isinstance(st, Rom):
            sel = self.name(st.selector.name, s)
            lines += ["process (all)", "begin", f"    case to_integer({sel}) is"]
            for value, row in zip(st.values, st.rows):
                sets = " ".join(f"{o.name} <= {self.value(v, o, s)};"
                                for o, v in zip(st.outputs, row))
                lines.append(f"        when {value} => {sets}")
            sets = " ".join(f"{o.name} <= {self.value(v, o, s)};"
                            for o, v in zip(st.outputs, st.rows[-1]))
            lines.append(f"        when others => {sets}")
            lines += ["    end case;", "end process;"]
        elif isinstance(st, Decoder):
            key = self.expr(st.key, s)
            for i, t in enumerate(st.thresholds):
                test = f"{key} >= {self.expr(t, s)}"
                if st.alt_when is not None:
                    when = self.cond(st.alt_when, s)
                    test = (f"({when} and {key} >= {self.expr(st.alt[i], s)}) or "
                            f"(not ({when}) and {test})")
                lines.append(f"{st.therm.name}({i}) <= '1' when {test} else '0';")
            for j, terms in enumerate(st.bit_terms()):
                ors = [f"{st.therm.name}({a})" if b is None
                       else f"({st.therm.name}({a}) and not {st.therm.name}({b}))"
                       for a, b in terms]
                lines.append(f"{st.seg.name}({j}) <= {' or '.join(ors)};")
        else:
            raise TypeError(st)
        return lines
