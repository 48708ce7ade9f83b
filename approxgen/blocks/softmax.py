"""The integer softmax block (issue 23, first slice): spec, golden model and metrics.

Golden model of one row ``x`` (input codes, ``n <= length``), every step an integer:

1. ``m = max x``; ``u_i = m - x_i`` (``u = -d >= 0``, at most ``2^bits - 1``).
2. ``e_i = EXP[u_i]``: an exact table of ``round_half_up(2^E * exp(-u * S_in))`` over every
   reachable ``u`` code (``E = exp_bits``), cut where it rounds to 0 (``u >= U``: ``e = 0``).
   ``exp(0) = 2^E``, so every row has ``e >= 2^E`` at its maximum.
3. ``s = sum e_i`` (``E + 1 + ceil(log2 length)`` bits; int64).
4. ``y_i = sat(floor((e_i * 2^(P+1) + s) / (2 s)))`` with ``S_out = 2^-P``: ``e_i / s`` rounded half
   up to the output grid by one integer division per element (exact: no reciprocal rounding),
   saturated to the output format (a one-hot row reaches 1.0 = ``2^P``).

The only approximation is the tables' rounding of ``exp`` (and the saturation of 1.0). With more
reachable ``u`` codes than :data:`MAX_TABLE` (int16) ``u`` splits into ``a 2^(2K) + b 2^K + c``
and ``EXP`` is the rounded product of three exact tables at ``F`` bits (int16: 512 B)
(:attr:`Softmax.low_bits`), standing in for range reduction by ln 2 and a fitted ``2^-r``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from approxgen import libm
from approxgen.blocks import Block, format_raw, parse_head
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, parse_scale, round_shift
from approxgen.spec import boolean, integer

KEYS = {"block", "name", "length", "input", "output", "exp_bits"}
MAX_LENGTH = 1 << 16
MAX_TABLE = 4096  # entries of the direct exp table; wider inputs split u into three tables
SPLIT_BITS = 5  # K: u = a 2^(2K) + b 2^K + c, the middle and low tables of 2^K entries each
TABLE_GUARD = 3  # F = E + 3 (at most 31: uint32 entries, products below 2^62) in the split tables
DEFAULT_EXP_BITS = {8: 15, 16: 24}  # per input width: int16 outputs (2^-15) need the finer exp


@dataclass(frozen=True)
class Softmax(Block):
    """An integer softmax over rows of at most ``length`` codes of ``input``."""

    name: str
    length: int
    input: IntFormat
    output: IntFormat
    exp_bits: int
    kind = "softmax"

    @property
    def out_shift(self) -> int:
        """``P`` with ``output.scale = 2^-P``."""
        return -self.output.scale_exp

    def canonical(self) -> dict:
        return {"block": self.kind, "name": self.name, "length": self.length,
                "input": format_raw(self.input), "output": format_raw(self.output),
                "exp_bits": self.exp_bits}

    def rounded_exp(self, u, bits: int | None = None) -> np.ndarray:
        """``round_half_up(2^bits * exp(-u * S_in))`` of int ``u`` codes (``bits``: ``E``),
        int64."""
        real = libm.exp(-np.asarray(u, dtype=np.float64) * self.input.scale)
        return np.floor(np.ldexp(real, self.exp_bits if bits is None else bits) + 0.5).astype(
            np.int64)

    @property
    def exp_table(self) -> np.ndarray:
        """The direct table: :meth:`rounded_exp` of ``u = 0 .. U-1`` (all > 0), int64."""
        table = self.rounded_exp(np.arange(self.span + 1))
        return table[:int(np.count_nonzero(table))]  # decreasing: the zeros are the tail

    @property
    def span(self) -> int:
        """The largest ``u = max - x``."""
        return self.input.max_code - self.input.min_code

    @property
    def low_bits(self) -> int:
        """``K``: 0 for the direct table; else ``u = a 2^(2K) + b 2^K + c``,
        ``t = round_half_up(MID[b] LO[c] / 2^F)`` and ``EXP[u] = round_half_up(HI[a] t /
        2^(2F - E))`` (three exact tables at :attr:`table_bits`, two roundings)."""
        return 0 if self.exp_table.size <= MAX_TABLE else SPLIT_BITS

    @property
    def table_bits(self) -> int:
        """``F``: the split tables' fraction bits, ``E`` + :data:`TABLE_GUARD`, at most 31."""
        return min(self.exp_bits + TABLE_GUARD, 31)

    @property
    def split_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(HI, MID, LO)``: :meth:`rounded_exp` at ``F`` bits of ``a 2^(2K)`` for every ``a``
        (0 where even ``t = 2^F`` rounds ``EXP`` to 0: ``HI[a] < 2^(F - E - 1)``; no bound
        check), of ``b 2^K`` and of ``c``."""
        k, f = SPLIT_BITS, self.table_bits
        hi = self.rounded_exp(np.arange((self.span >> 2 * k) + 1) << 2 * k, f)
        hi[hi < 1 << (f - self.exp_bits - 1)] = 0
        codes = np.arange(1 << k)
        return hi, self.rounded_exp(codes << k, f), self.rounded_exp(codes, f)

    def exp_of(self, u) -> np.ndarray:
        """``EXP[u]`` of int ``u`` codes (``0 <= u <= span``), int64: 0 past the table(s)."""
        u = np.asarray(u, dtype=np.int64)
        if not self.low_bits:
            table = self.exp_table
            return np.where(u < table.size, table[np.minimum(u, table.size - 1)], 0)
        hi, mid, lo = self.split_tables
        k, mask, f = SPLIT_BITS, (1 << SPLIT_BITS) - 1, self.table_bits
        t = round_shift(mid[(u >> k) & mask] * lo[u & mask], f)
        return round_shift(hi[u >> 2 * k] * t, 2 * f - self.exp_bits)

    def probes(self) -> list:
        """``NAME_exp_of(u)`` over every ``u = max - x`` code (its tables: every entry)."""
        from approxgen.blocks import Probe

        u = np.arange(self.span + 1, dtype=np.int64)
        return [Probe("exp_of", 32, False, f"{self.name}_exp_of(x)", u,
                      self.exp_of(u)[:, None])]

    def reach_rows(self) -> list:
        """Every ``d = x - max`` code: ``[max, max - u]`` for every ``u``, and a row of every
        input code ascending and descending (the ``length`` highest when it is shorter)."""
        lo, hi = self.input.min_code, self.input.max_code
        every = np.arange(lo, hi + 1, dtype=np.int64)[-self.length:]
        pairs = [np.array([hi, hi - u], dtype=np.int64) for u in range(hi - lo + 1)]
        return (pairs if self.length >= 2 else []) + [every, every[::-1].copy()]

    @property
    def sum_bits(self) -> int:
        """Unsigned bits of the largest row sum (every ``e = 2^E``, ``length`` of them)."""
        return self.exp_bits + 1 + math.ceil(math.log2(self.length))

    def model(self, rows) -> np.ndarray:
        """Output codes of ``rows`` (int array, shape (rows, n), ``1 <= n <= length``)."""
        x = np.asarray(rows, dtype=np.int64)
        if x.ndim != 2 or not 1 <= x.shape[1] <= self.length:
            raise ApproxgenError(f"rows must be 2-D with 1..{self.length} codes each")
        e = self.exp_of(x.max(axis=1, keepdims=True) - x)
        s = e.sum(axis=1, keepdims=True)
        y = (e * (1 << (self.out_shift + 1)) + s) // (2 * s)
        return np.minimum(y, self.output.max_code)

    def c_context(self) -> dict:
        """What ``templates/c/softmax.h.j2`` reads beyond the name and formats."""
        tables = [self.exp_table] if not self.low_bits else list(self.split_tables)
        return {"length": self.length, "exp_bits": self.exp_bits, "out_shift": self.out_shift,
                "out_max": self.output.max_code, "low_bits": self.low_bits,
                "table_bits": self.table_bits, "tables": [[str(int(v)) for v in t] for t in tables],
                "table_type": "uint16_t" if max(t[0] for t in tables) <= 0xFFFF else "uint32_t"}

    def verilog_context(self) -> dict:
        """What ``templates/verilog/softmax.v.j2`` reads beyond the name and formats: the widths
        of the streaming unit's registers and the exp table(s) as ``(code, value)`` pairs."""
        tables = [self.exp_table] if not self.low_bits else list(self.split_tables)
        quotient_bits = self.out_shift + 1  # y <= 2^P before saturation: e <= s
        largest = (1 << (self.exp_bits + quotient_bits)) + (1 << self.sum_bits)
        numerator_bits = largest.bit_length()
        return {"length": self.length, "index_bits": max(1, (self.length - 1).bit_length()),
                "exp_bits": self.exp_bits, "e_bits": self.exp_bits + 1,
                "sum_bits": self.sum_bits, "quotient_bits": quotient_bits,
                "div_bits": max(numerator_bits, self.sum_bits + quotient_bits),
                "step_bits": max(1, self.out_shift.bit_length()), "out_max": self.output.max_code,
                "low_bits": self.low_bits, "table_bits": self.table_bits,
                "tables": [[(code, int(v), int(t[0]).bit_length()) for code, v in enumerate(t)]
                           for t in tables]}

    def vhdl_context(self) -> dict:
        """What ``templates/vhdl/softmax.vhd.j2`` reads: :meth:`verilog_context`'s widths and
        tables (the VHDL unit is the same design; its exp stage is the entity NAME_exp)."""
        return self.verilog_context()

    def provenance_lines(self) -> list[str]:
        """What an emitted file states about the arithmetic."""
        if self.low_bits:
            k, f = self.low_bits, self.table_bits
            sizes = " + ".join(str(t.size) for t in self.split_tables)
            exp = (f"exp: u = a 2^{2 * k} + b 2^{k} + c, t = round_half_up(MID[b] LO[c] / 2^{f}), "
                   f"round_half_up(HI[a] t / 2^{2 * f - self.exp_bits}), exact tables at "
                   f"2^{f} of {sizes} entries")
        else:
            exp = (f"exp: exact table of {self.exp_table.size} entries, "
                   f"round_half_up(2^{self.exp_bits} exp(-u S_in)), u = max - x")
        return [exp, f"sum: {self.sum_bits} bits; y = floor((e 2^{self.out_shift + 1} + s) / "
                     f"(2 s)), saturated"]

    def exact(self, rows) -> np.ndarray:
        """The float64 softmax of the dequantized codes, in output LSB (not rounded)."""
        real = np.asarray(rows, dtype=np.float64) * self.input.scale
        e = libm.exp(real - real.max(axis=1, keepdims=True))
        return np.ldexp(e / e.sum(axis=1, keepdims=True), self.out_shift)

    def reference(self, rows) -> np.ndarray:
        """The correctly rounded float64 softmax of the dequantized codes, in output codes."""
        return np.clip(np.floor(self.exact(rows) + 0.5), self.output.min_code,
                       self.output.max_code).astype(np.int64)


def metrics(block: Softmax, rows) -> dict:
    """Errors of the golden model on ``rows`` against :meth:`Softmax.reference`, in output LSB:
    max/mean absolute error (and against the unrounded float softmax: ``real``), mismatching
    outputs, rows whose argmax differs (first maximum),
    and the largest ``|sum y * S_out - 1|`` of the model's rows."""
    y, ref = block.model(rows), block.reference(rows)
    err = np.abs(y - ref)
    real_err = np.abs(y - block.exact(rows))
    sums = y.sum(axis=1) * block.output.scale
    return {"max_error_lsb": int(err.max()), "mean_error_lsb": float(err.mean()),
            "max_real_error_lsb": float(real_err.max()),
            "mean_real_error_lsb": float(real_err.mean()),
            "mismatches": int(np.count_nonzero(err)), "outputs": int(err.size),
            "argmax_disagreements": int(np.count_nonzero(y.argmax(1) != ref.argmax(1))),
            "max_row_sum_deviation": float(np.abs(sums - 1.0).max())}


def from_raw(raw: dict, source: str) -> Softmax:
    """A :class:`Softmax` from a raw spec mapping; errors name ``source`` and the key."""
    at, name, length, inp, out, in_bits = parse_head(raw, source, KEYS, MAX_LENGTH,
                                                     "the maximum row length")
    in_signed = boolean(inp.get("signed", True), "input.signed", at)
    in_fmt = IntFormat(in_bits, in_signed, parse_scale(inp["scale"], at("input.scale")))
    out_bits = integer(out.get("bits", 8), "output.bits", at, 2, 16)
    if boolean(out.get("signed", False), "output.signed", at):
        raise ApproxgenError("a softmax output is unsigned (signed: false)", at("output.signed"))
    out_scale = parse_scale(out.get("scale", f"2^-{out_bits}"), at("output.scale"))
    out_fmt = IntFormat(out_bits, False, out_scale)
    if out_fmt.scale_exp is None or not -32 <= out_fmt.scale_exp <= 0:
        raise ApproxgenError("must be a power of two 2^-32 .. 1", at("output.scale"))
    exp_bits = integer(raw.get("exp_bits", DEFAULT_EXP_BITS[in_bits]), "exp_bits", at, 4, 30)
    block = Softmax(name, length, in_fmt, out_fmt, exp_bits)
    if block.sum_bits + 1 > 63 or exp_bits + block.out_shift + 2 > 63:
        raise ApproxgenError("the row sum or the division would exceed 62 bits", at("exp_bits"))
    return block


def sample_rows(block: Softmax, n: int, count: int, seed: int) -> dict[str, np.ndarray]:
    """The stated test rows of length ``n`` (name -> int64 array of shape (rows, n)): seeded
    logit-like rows (normal, std 1, 2 and 4 in real units; ``+outliers``: 2% of the elements
    plus 8 std), and the adversarial rows (all equal, one hot, all minimum, one huge outlier:
    the maximum code among small logits)."""
    rng = np.random.default_rng(seed)
    fmt = block.input
    lo, hi = fmt.min_code, fmt.max_code

    def codes(real):
        return np.clip(np.floor(real / fmt.scale + 0.5), lo, hi).astype(np.int64)

    rows = {}
    for std in (1, 2, 4):
        base = rng.normal(0.0, std, (count, n))
        rows[f"logits std {std}"] = codes(base)
        spikes = rng.random((count, n)) < 0.02
        rows[f"logits std {std} +outliers"] = codes(base + spikes * 8 * std)
    rows["all equal"] = np.full((3, n), [[lo], [0], [hi]], dtype=np.int64)
    hot = np.full((2, n), lo, dtype=np.int64)
    hot[0, 0], hot[1, n - 1] = hi, 0
    rows["one hot"] = hot
    rows["all minimum"] = np.full((1, n), lo, dtype=np.int64)
    outlier = codes(rng.normal(0.0, 1.0, (1, n)))
    outlier[0, n // 2] = hi
    rows["one huge outlier"] = outlier
    return rows
