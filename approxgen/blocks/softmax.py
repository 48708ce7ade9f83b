"""The integer softmax block (issue 23): spec, golden model and metrics.

Golden model of one row ``x`` (input codes, ``n <= length``), every step an integer:

1. ``m = max x``; ``u_i = m - x_i`` (``u = -d >= 0``, at most ``2^bits - 1``).
2. ``e_i = EXP(u_i)``, ``exp(-u S_in)`` by range reduction by ln 2 (:meth:`Softmax.exp_of`):
   ``z = u C`` with ``C = round_half_up(S_in / ln 2 2^F)`` (``F``: ``C`` in [2^30, 2^31)), so
   ``exp(-u S_in) ~ 2^-(z 2^-F)``; ``k = z >> F`` (a shift), ``r`` the top ``R`` bits of the
   fraction (``(z >> (F - R)) & (2^R - 1)``) and ``t`` the next :data:`RESIDUAL_BITS`;
   ``g = EXP2(r) ~ 2^G 2^-(r 2^-R)``, the approxgen fit of ``2^-x`` on [0, 1) (a derived Spec,
   quadratic by default, overridable under ``exp:``; ``G`` = its output fraction bits);
   ``h = g - ((g t L) >> (16 + R + T))`` with ``L = round_half_up(2^16 ln 2)``: the first-order
   ``2^-t ~ 1 - t ln 2`` of the residual (floors); ``e = round_half_up(h / 2^(k + G - E))`` at
   ``E = exp_bits < G``, computed as ``((h >> (k + G - E - 1)) + 1) >> 1`` (the same value),
   0 when ``k > E + 1`` (``h < 2^(G+1)`` rounds to 0 there).
3. ``s = sum e_i`` (:attr:`Softmax.sum_bits` bits; int64).
4. ``y_i = sat(floor((e_i * 2^(P+1) + s) / (2 s)))`` with ``S_out = 2^-P``: ``e_i / s`` rounded half
   up to the output grid by one integer division per element (exact: no reciprocal rounding),
   saturated to the output format (a one-hot row reaches 1.0 = ``2^P``).

The approximations: the fit of ``2^-r`` (about 2^-21 relative with the defaults), ``C``'s and
the residual's rounding (below 2^-24 relative), ``e``'s rounding at ``2^E``, and the saturation
of 1.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np

from approxgen import libm
from approxgen.blocks import Block, fit_inner, format_raw, parse_head
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import LN2, IntFormat, ln2_reduction, parse_scale
from approxgen.spec import boolean, integer

KEYS = {"block", "name", "length", "input", "output", "exp_bits", "exp"}
EXP_KEYS = {"form", "segments", "objective", "search", "fraction_bits", "bits"}
EXP_DEFAULTS = {"form": "quadratic", "segments": 16, "objective": "max", "search": "uniform",
                "fraction_bits": 12, "bits": 26}
MAX_LENGTH = 1 << 16
DEFAULT_EXP_BITS = 24  # exp(0) ~ 2^24: the row sum's rounding stays far below 2^-P of a sum
MAX_CACHE = 1024  # the C keeps a row's EXP values on the stack up to this length (4 KiB)
C_BITS = 31  # C = round(S_in / ln 2 2^F) in [2^30, 2^31)
RESIDUAL_BITS = 12  # T: the fraction bits below r that the first-order correction reads
LN2_BITS = 16  # L = round_half_up(2^16 ln 2)


@dataclass(frozen=True)
class Softmax(Block):
    """An integer softmax over rows of at most ``length`` codes of ``input``."""

    name: str
    length: int
    input: IntFormat
    output: IntFormat
    exp_bits: int
    exp_fit: object = field(compare=False)  # the approxgen fit of 2^-x on [0, 1)
    fraction_bits: int  # R
    exp_options: dict = field(default_factory=dict, compare=False)  # the exp section in full
    kind = "softmax"

    @property
    def out_shift(self) -> int:
        """``P`` with ``output.scale = 2^-P``."""
        return -self.output.scale_exp

    def canonical(self) -> dict:
        """The spec in full (the ``exp:`` section with every option)."""
        return {"block": self.kind, "name": self.name, "length": self.length,
                "input": format_raw(self.input), "output": format_raw(self.output),
                "exp_bits": self.exp_bits, "exp": dict(self.exp_options)}

    @property
    def span(self) -> int:
        """The largest ``u = max - x``."""
        return self.input.max_code - self.input.min_code

    @property
    def z_shift(self) -> int:
        """``F``: ``C = round_half_up(S_in / ln 2 2^F)`` lies in [2^30, 2^31)."""
        return ln2_reduction(self.input.scale, C_BITS)[0]

    @property
    def z_scale(self) -> int:
        """``C``."""
        return ln2_reduction(self.input.scale, C_BITS)[1]

    @property
    def ln2_code(self) -> int:
        """``L = round_half_up(2^16 ln 2)``."""
        return math.floor(LN2 * 2 ** LN2_BITS + Fraction(1, 2))

    @property
    def fit_shift(self) -> int:
        """``G``: the fit's output fraction bits (``2^-0 = 2^G``)."""
        return -self.exp_fit.spec.output.scale_exp

    def exp_of(self, u) -> np.ndarray:
        """``EXP(u)`` of int ``u`` codes (``0 <= u <= span``), int64 (step 2)."""
        u = np.asarray(u, dtype=np.int64)
        f, r_bits, g_bits, e_bits = self.z_shift, self.fraction_bits, self.fit_shift, self.exp_bits
        z = u * self.z_scale
        k = z >> f
        r = (z >> (f - r_bits)) & ((1 << r_bits) - 1)
        t = (z >> (f - r_bits - RESIDUAL_BITS)) & ((1 << RESIDUAL_BITS) - 1)
        g = self.exp_fit.model.evaluate(r).astype(np.int64)
        h = g - ((g * t * self.ln2_code) >> (LN2_BITS + r_bits + RESIDUAL_BITS))
        shift = np.minimum(k, e_bits + 1) + g_bits - e_bits
        e = ((h >> (shift - 1)) + 1) >> 1  # round_half_up(h / 2^shift), shift >= 1
        return np.where(k > e_bits + 1, 0, e)

    @property
    def max_k(self) -> int:
        """The largest ``k`` (that of ``u = span``)."""
        return (self.span * self.z_scale) >> self.z_shift

    @cached_property
    def exp_max(self) -> int:
        """The largest ``EXP(u)`` over every ``u`` code (computed once)."""
        return int(self.exp_of(np.arange(self.span + 1)).max())

    def inner_models(self) -> dict:
        return {"exp_header": (self.exp_fit.model, f"{self.name}_exp2")}

    def inner_fits(self) -> dict:
        return {"exp_module": self.exp_fit}

    def probes(self) -> list:
        """The exp fit ``NAME_exp2`` over every code of its input, ``NAME_exp_of(u)`` (the
        whole exp stage) over every ``u = max - x`` code, and ``NAME_quotient(e, s)`` (the
        output stage) over :meth:`quotient_probe_values` (the sums' range)."""
        from approxgen.blocks import Probe

        fit = self.exp_fit
        codes = fit.spec.input.codes().astype(np.int64)
        u = np.arange(self.span + 1, dtype=np.int64)
        probes = [Probe("exp fit", fit.spec.input.bits, False, f"{self.name}_exp2(x)", codes,
                        fit.model.evaluate(codes).astype(np.int64)[:, None]),
                  Probe("exp_of", 32, False, f"{self.name}_exp_of(x)", u, self.exp_of(u)[:, None])]
        pairs = self.quotient_probe_values()
        if pairs is not None:
            sb = self.sum_bits
            e, s = pairs >> sb, pairs & ((1 << sb) - 1)
            probes.append(Probe("quotient", 64, False, f"{self.name}_quotient(x >> {sb}, x & "
                                f"((UINT64_C(1) << {sb}) - 1u))", pairs,
                                self.quotient(e, s)[:, None]))
        return probes

    def reach_rows(self) -> list:
        """Every ``d = x - max`` code: ``[max, max - u]`` for every ``u``, and a row of every
        input code ascending and descending (the ``length`` highest when it is shorter)."""
        lo, hi = self.input.min_code, self.input.max_code
        every = np.arange(lo, hi + 1, dtype=np.int64)[-self.length:]
        pairs = [np.array([hi, hi - u], dtype=np.int64) for u in range(hi - lo + 1)]
        return (pairs if self.length >= 2 else []) + [every, every[::-1].copy()]

    @property
    def sum_bits(self) -> int:
        """Unsigned bits of the largest row sum (``length`` times :attr:`exp_max`)."""
        return (self.exp_max * self.length).bit_length()

    def model(self, rows) -> np.ndarray:
        """Output codes of ``rows`` (int array, shape (rows, n), ``1 <= n <= length``)."""
        x = np.asarray(rows, dtype=np.int64)
        if x.ndim != 2 or not 1 <= x.shape[1] <= self.length:
            raise ApproxgenError(f"rows must be 2-D with 1..{self.length} codes each")
        e = self.exp_of(x.max(axis=1, keepdims=True) - x)
        return self.quotient(e, e.sum(axis=1, keepdims=True))

    def quotient(self, e, s) -> np.ndarray:
        """``y = sat(floor((e 2^(P+1) + s) / (2 s)))`` of int64 ``e`` and sums ``s >= 1``."""
        y = (np.asarray(e, dtype=np.int64) * (1 << (self.out_shift + 1)) + s) // (2 * s)
        return np.minimum(y, self.output.max_code)

    def quotient_probe_values(self, seed: int = 5) -> np.ndarray | None:
        """``(e << sum_bits) | s`` over the sums' range ``EXP(0) .. length EXP(0)`` (every
        all-equal row's ``n EXP(0)``, every power of two +-1, seeded values) with ``e`` in 0, 1,
        ``EXP(0)``, ``s / 2``, ``s - 1``, ``s`` and both sides of rounding boundaries; None when
        the pair does not fit 63 bits."""
        top, sb, most = int(self.exp_of(np.array([0]))[0]), self.sum_bits, self.exp_max
        if most.bit_length() + sb > 63:
            return None
        lo, hi = top, top * self.length
        rng = np.random.default_rng(seed)
        sums = {top * n for n in range(1, self.length + 1)}
        sums |= {(1 << j) + d for j in range(sb + 1) for d in (-1, 0, 1)}
        sums |= {int(v) for v in rng.integers(lo, hi + 1, 2000)}
        pairs = []
        p1 = self.out_shift + 1
        for s in sorted(v for v in sums if lo <= v <= hi):
            es = {0, 1, top, s >> 1, s - 1, s}
            for k in rng.integers(0, 1 << self.out_shift, 2).tolist():
                edge = -(-(2 * k + 1) * s >> p1)  # the least e with y > k
                es |= {edge - 1, edge}
            pairs += [(e << sb) | s for e in es if 0 <= e <= min(s, most)]
        return np.array(sorted(pairs), dtype=np.int64)

    def exp_context(self) -> dict:
        """The exp stage's constants, for both templates."""
        r_bits, f = self.fraction_bits, self.z_shift
        return {"z_scale": self.z_scale, "z_shift": f, "fraction_bits": r_bits,
                "residual_bits": RESIDUAL_BITS, "residual_shift": f - r_bits - RESIDUAL_BITS,
                "ln2_code": self.ln2_code, "correction_shift": LN2_BITS + r_bits + RESIDUAL_BITS,
                "fit_shift": self.fit_shift, "exp_bits": self.exp_bits,
                "exp_name": self.exp_fit.spec.name, "fit_bits": self.exp_fit.spec.output.bits,
                "z_bits": (self.span * self.z_scale).bit_length(), "max_k": self.max_k}

    def c_context(self) -> dict:
        """What ``templates/c/softmax.h.j2`` reads beyond the name and formats."""
        return {**self.exp_context(), "length": self.length, "out_shift": self.out_shift,
                "out_max": self.output.max_code, "sum_bits": self.sum_bits,
                "cache": self.length <= MAX_CACHE}

    def verilog_context(self) -> dict:
        """What ``templates/verilog/softmax.v.j2`` reads beyond the name and formats: the exp
        stage's constants and the widths of the streaming unit's registers."""
        quotient_bits = self.out_shift + 1  # y <= 2^P before saturation: e <= s
        largest = (self.exp_max << quotient_bits) + (1 << self.sum_bits)
        numerator_bits = largest.bit_length()
        e_bits = self.exp_max.bit_length()
        return {**self.exp_context(), "length": self.length,
                "index_bits": max(1, (self.length - 1).bit_length()),
                "e_bits": e_bits, "exp_max": self.exp_max, "sum_bits": self.sum_bits,
                "quotient_bits": quotient_bits,
                "div_bits": max(numerator_bits, self.sum_bits + quotient_bits),
                "step_bits": max(1, self.out_shift.bit_length()), "out_max": self.output.max_code}

    def vhdl_context(self) -> dict:
        """What ``templates/vhdl/softmax.vhd.j2`` reads: :meth:`verilog_context` (the VHDL
        unit is the same design; its exp stage is the entity NAME_exp)."""
        return self.verilog_context()

    def provenance_lines(self) -> list[str]:
        """What an emitted file states about the arithmetic."""
        c = self.exp_context()
        fit = self.exp_fit.spec
        return [f"exp: z = u {c['z_scale']} (S_in / ln 2 at 2^-{c['z_shift']}), k = z >> "
                f"{c['z_shift']}, r = top {c['fraction_bits']} fraction bits, t = next "
                f"{RESIDUAL_BITS}; g = {fit.name}(r) ~ 2^{c['fit_shift']} 2^-r (approxgen fit: "
                f"{fit.form}, {fit.segments} segments, objective {fit.objective})",
                f"exp: h = g - ((g t {c['ln2_code']}) >> {c['correction_shift']}), e = "
                f"round_half_up(h / 2^(k + {c['fit_shift'] - self.exp_bits})) (0 when k > "
                f"{self.exp_bits + 1}; k <= {self.max_k}), exp(0) ~ 2^{self.exp_bits}",
                f"sum: {self.sum_bits} bits; y = floor((e 2^{self.out_shift + 1} + s) / "
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
    max/mean absolute error (and against the unrounded float softmax: ``real``; ``unsaturated``:
    over the outputs whose correctly rounded value the output format holds), mismatching
    outputs, saturated outputs (the correctly rounded value above the output maximum), rows
    whose argmax differs (first maximum), and the largest ``|sum y * S_out - 1|`` of the
    model's rows."""
    y, ref, exact = block.model(rows), block.reference(rows), block.exact(rows)
    err = np.abs(y - ref)
    real_err = np.abs(y - exact)
    held = np.floor(exact + 0.5) <= block.output.max_code
    sums = y.sum(axis=1) * block.output.scale
    return {"max_error_lsb": int(err.max()), "mean_error_lsb": float(err.mean()),
            "max_real_error_lsb": float(real_err.max()),
            "mean_real_error_lsb": float(real_err.mean()),
            "max_unsaturated_real_error_lsb": float(real_err[held].max()),
            "saturated": int(np.count_nonzero(~held)),
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
    exp_fit, r_bits, exp_options = _exp_fit(raw, name, source, at)
    g_bits = -exp_fit.spec.output.scale_exp
    exp_bits = integer(raw.get("exp_bits", min(DEFAULT_EXP_BITS, g_bits - 1)), "exp_bits", at, 4,
                       g_bits - 1, f"below the exp fit's {g_bits} fraction bits (exp.bits - 1)")
    block = Softmax(name, length, in_fmt, out_fmt, exp_bits, exp_fit, r_bits, exp_options)
    if block.z_shift < r_bits + RESIDUAL_BITS:
        raise ApproxgenError(f"too coarse for the exp's range reduction (S_in / ln 2 2^"
                             f"{r_bits + RESIDUAL_BITS} < 2^30)", at("input.scale"))
    if block.sum_bits + 1 > 63 or block.exp_max.bit_length() + block.out_shift + 2 > 63:
        raise ApproxgenError("the row sum or the division would exceed 62 bits", at("exp_bits"))
    return block


def _exp_fit(raw, name: str, source: str, at):
    """``(fit, R, options)``: the approxgen fit of ``2^-x`` on [0, 1) at input scale ``2^-R`` (unsigned
    ``R`` bits), output unsigned ``exp.bits`` at ``2^-(bits - 1)`` (a derived Spec)."""
    from approxgen.spec import section

    given = section(raw, "exp", EXP_KEYS, at)
    r_bits = integer(given.get("fraction_bits", EXP_DEFAULTS["fraction_bits"]),
                     "exp.fraction_bits", at, 4, 16)
    bits = integer(given.get("bits", EXP_DEFAULTS["bits"]), "exp.bits", at, 8, 31)
    derived = {"expr": "2 ** (-x)", "name": f"{name}_exp2",
               "input": {"bits": r_bits, "signed": False, "scale": f"2^-{r_bits}"},
               "domain": [0.0, 1.0 - 2.0 ** -r_bits],
               "output": {"bits": bits, "signed": False, "scale": f"2^-{bits - 1}"}}
    result, options = fit_inner(raw, "exp", EXP_KEYS, EXP_DEFAULTS, derived, source, at)
    g = result.model.evaluate(np.arange(1 << r_bits)).astype(np.int64)
    if np.any(g <= 0):
        raise ApproxgenError("the exp fit reaches 0 on [0, 1)", at("exp"))
    return result, r_bits, {**options, "fraction_bits": r_bits, "bits": bits}


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
