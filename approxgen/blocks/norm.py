"""The integer LayerNorm and RMSNorm blocks (issue 23, second slice): spec, golden model, metrics.

Golden model of one row ``x`` of ``n`` input codes (``1 <= n <= length``; ``S_in`` the input
scale), every step an exact integer (int64; the bounds below are checked when the spec loads):

1. Numerators ``a_i``: LayerNorm ``a_i = n x_i - S`` with ``S = sum x`` (the mean is never rounded
   to a code); RMSNorm ``a_i = x_i``. ``Q = sum a_i^2``.
2. ``V = max(1, Q + E)`` with the epsilon term ``E = round_half_up(EPS n^p 2^-FE)``,
   ``EPS = round_half_up(eps / S_in^2 2^FE)`` (exact rationals; ``p = 3`` LayerNorm, ``p = 1``
   RMSNorm; ``FE`` <= 40 keeps ``EPS n^p < 2^62``): the real normalised value is
   ``z_i = a_i sqrt(n) / sqrt(V)``. ``Q + E < 2^63`` for every row of ``length`` codes (else the
   spec is refused: int16 LayerNorm reaches ``length`` 2048, int8 4096). The C computes the same
   ``Q`` in one pass as ``n (n sum x^2 - S^2)`` (an exact identity; ``n^2 max x^2 < 2^62``).
3. ``rsqrt30(v)`` for ``v >= 1``: ``v = m 4^e`` with ``m`` in [1, 4) (``e`` from the leading
   one), ``m30 = floor(m 2^30)``; the approxgen fit of the built-in ``rsqrt`` (pwl by default,
   ``rsqrt:`` overrides it) on the mantissa code ``m30 >> (30 - F)`` (``F`` fraction bits) gives
   ``r ~ 2^30 / sqrt(m)``, refined by ``newton`` integer Newton steps
   ``r = (r ((3 << 30) - ((m30 ((r r) >> 30)) >> 30))) >> 31`` (floors). Result ``(r, e)``:
   ``1 / sqrt(v) ~ r 2^-(30 + e)``.
4. Per row: ``(r, e) = rsqrt30(V)``, ``(rn, en) = rsqrt30(n)``, ``K = (n rn) >> (en + 6)`` (about
   ``sqrt(n) 2^24``), ``M = (r K) >> (54 - FM)`` (about ``2^FM sqrt(n) / sqrt(m)``).
5. Per element: ``z_i = (a_i M) >> (FM + e - FZ)`` (``z`` with ``FZ`` fraction bits, a floor),
   ``y_i = sat(round_half_up(z_i G_i + (B_i << (FZ + FG - FB)), FZ + FG - P))`` with the
   quantized ``gamma = G 2^-FG``, ``beta = B 2^-FB`` and ``S_out = 2^-P``: one rounding shift.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field
from typing import ClassVar
from fractions import Fraction

import numpy as np

from approxgen.blocks import Block, c_type_bits, fit_inner, format_raw, parse_head
from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, parse_scale, pow2_scale_holding, round_shift
from approxgen.spec import boolean, integer, number, section

KEYS = {"block", "name", "length", "input", "output", "gamma", "beta", "gamma_format",
        "beta_format", "epsilon", "rsqrt"}
RSQRT_KEYS = {"form", "segments", "objective", "newton", "mantissa_bits", "bits"}
RSQRT_DEFAULTS = {"form": "pwl", "segments": 16, "objective": "max", "newton": 2,
                  "mantissa_bits": 10, "bits": 16}
MAX_LENGTH = 4096
DEFAULT_EPSILON = {"layernorm": 1e-5, "rmsnorm": 1e-6}
R_BITS = 30  # fraction bits of rsqrt30's result and of the mantissa m30
K_BITS = 24  # fraction bits of K ~ sqrt(n)
MAX_NPY_BYTES = 1 << 20


def rsqrt30(v, rsqrt_model, fraction_bits: int, out_bits: int, newton: int):
    """``(r, e)`` with ``1 / sqrt(v) ~ r 2^-(30 + e)`` of int64 ``v >= 1`` (step 3), int64."""
    v = np.asarray(v, dtype=np.int64)
    e = np.zeros_like(v)
    for bit in range(31, -1, -1):  # e = floor(bitlength(v) - 1) / 2): the largest 4^e <= v
        e = np.where((v >> (2 * bit)) > 0, np.maximum(e, bit), e)
    two_e = 2 * e
    m30 = np.where(two_e <= R_BITS, v << np.maximum(R_BITS - two_e, 0),
                   v >> np.maximum(two_e - R_BITS, 0))
    code = m30 >> (R_BITS - fraction_bits)
    r = rsqrt_model.evaluate(code).astype(np.int64) << (R_BITS - (out_bits - 1))
    for _ in range(newton):
        t = (m30 * ((r * r) >> R_BITS)) >> R_BITS
        r = (r * ((3 << R_BITS) - t)) >> (R_BITS + 1)
    return r, e


@dataclass(frozen=True)
class Norm(Block):
    """An integer LayerNorm (``kind`` layernorm) or RMSNorm over rows of ``length`` codes."""

    R_BITS: ClassVar[int] = R_BITS  # for the HDL unit (approxgen.blocks.norm_unit)
    K_BITS: ClassVar[int] = K_BITS

    name: str
    length: int
    input: IntFormat
    output: IntFormat
    gamma: np.ndarray = field(compare=False)  # G codes, int64, length entries
    beta: np.ndarray = field(compare=False)  # B codes (zeros for RMSNorm)
    gamma_bits: int
    gamma_shift: int  # FG: gamma = G 2^-FG
    beta_bits: int
    beta_shift: int  # FB
    epsilon: float
    rsqrt_fit: object = field(compare=False)
    mantissa_bits: int
    rsqrt_bits: int
    newton: int
    kind: str = "layernorm"
    rsqrt_options: dict = field(default_factory=dict, compare=False)  # the rsqrt section in full

    @property
    def centred(self) -> bool:
        return self.kind == "layernorm"

    @property
    def out_shift(self) -> int:
        return -self.output.scale_exp

    @property
    def eps_power(self) -> int:
        return 3 if self.centred else 1

    @property
    def eps_shift(self) -> int:
        """``FE``: ``EPS n^p < 2^62`` for ``n <= length``."""
        whole = math.ceil(Fraction(self.epsilon) / Fraction(self.input.scale) ** 2) + 1
        return min(40, 61 - whole.bit_length() - (self.length ** self.eps_power).bit_length())

    @property
    def eps_code(self) -> int:
        """``EPS = round_half_up(eps / S_in^2 2^FE)`` (exact rationals)."""
        value = Fraction(self.epsilon) / Fraction(self.input.scale) ** 2 * 2 ** self.eps_shift
        return math.floor(value + Fraction(1, 2))

    def eps_term(self, n: int) -> int:
        """``E = round_half_up(EPS n^p 2^-FE)``."""
        return int(round_shift(self.eps_code * n ** self.eps_power, self.eps_shift))

    @property
    def max_numerator(self) -> int:
        """The largest ``|a_i|`` of a row of ``length`` codes."""
        span = self.input.max_code - self.input.min_code
        lo, hi = abs(self.input.min_code), abs(self.input.max_code)
        return (self.length - 1) * span if self.centred else max(lo, hi)

    @property
    def max_q(self) -> int:
        """The largest ``Q`` of a row of ``length`` codes (half at each end: LayerNorm)."""
        n = self.length
        if self.centred:
            k = n // 2
            return n * k * (n - k) * (self.input.max_code - self.input.min_code) ** 2
        return n * max(self.input.min_code ** 2, self.input.max_code ** 2)

    @property
    def m_shift(self) -> int:
        """``FM``: ``|a_i| M < 2^62``."""
        root = math.isqrt(self.length) + 1
        return min(R_BITS, 61 - self.max_numerator.bit_length() - root.bit_length())

    @property
    def z_shift(self) -> int:
        """``FZ``: ``|z| 2^FZ < 2^31`` (``|z| <= sqrt(n)``)."""
        return min(self.m_shift, 30 - (math.isqrt(self.length) + 1).bit_length())

    @property
    def final_shift(self) -> int:
        return self.z_shift + self.gamma_shift - self.out_shift

    def canonical(self) -> dict:
        """The spec in full; gamma and beta inline as their quantized values ``G 2^-FG`` (exact
        floats), with the formats that give back the same codes."""
        raw = {"block": self.kind, "name": self.name, "length": self.length,
               "input": format_raw(self.input), "output": format_raw(self.output),
               "gamma": [float(v) for v in np.ldexp(self.gamma.astype(np.float64),
                                                   -self.gamma_shift)],
               "gamma_format": {"bits": self.gamma_bits, "scale": f"2^-{self.gamma_shift}"},
               "epsilon": self.epsilon, "rsqrt": dict(self.rsqrt_options)}
        if self.centred:
            raw["beta"] = [float(v) for v in np.ldexp(self.beta.astype(np.float64),
                                                      -self.beta_shift)]
            raw["beta_format"] = {"bits": self.beta_bits, "scale": f"2^-{self.beta_shift}"}
        return raw

    def rsqrt(self, v):
        """``rsqrt30`` of int64 ``v >= 1`` with this block's fit."""
        return rsqrt30(v, self.rsqrt_fit.model, self.mantissa_bits, self.rsqrt_bits, self.newton)

    def model(self, rows) -> np.ndarray:
        """Output codes of ``rows`` (int array, shape (rows, n), ``1 <= n <= length``)."""
        x = np.asarray(rows, dtype=np.int64)
        if x.ndim != 2 or not 1 <= x.shape[1] <= self.length:
            raise ApproxgenError(f"rows must be 2-D with 1..{self.length} codes each")
        n = x.shape[1]
        a = n * x - x.sum(axis=1, keepdims=True) if self.centred else x
        v = np.maximum((a * a).sum(axis=1, keepdims=True) + self.eps_term(n), 1)
        r, e = self.rsqrt(v)
        rn, en = self.rsqrt(np.array([n]))
        k = (n * rn) >> (en + 6)
        m = (r * k) >> (R_BITS + K_BITS - self.m_shift)
        z = (a * m) >> (self.m_shift + e - self.z_shift)
        acc = z * self.gamma[:n] + (self.beta[:n] << (self.z_shift + self.gamma_shift
                                                       - self.beta_shift))
        y = round_shift(acc, self.final_shift)
        return np.clip(y, self.output.min_code, self.output.max_code)

    def exact(self, rows) -> np.ndarray:
        """The float64 block of the dequantized codes (with the quantized gamma and beta), in
        output LSB (not rounded)."""
        real = np.asarray(rows, dtype=np.float64) * self.input.scale
        n = real.shape[1]
        centre = real - real.mean(axis=1, keepdims=True) if self.centred else real
        var = (centre * centre).sum(axis=1, keepdims=True) / n
        g = np.ldexp(self.gamma[:n].astype(np.float64), -self.gamma_shift)
        b = np.ldexp(self.beta[:n].astype(np.float64), -self.beta_shift)
        return np.ldexp(centre / np.sqrt(var + self.epsilon) * g + b, self.out_shift)

    def reference(self, rows) -> np.ndarray:
        """The correctly rounded (half up) float64 block, saturated, in output codes."""
        return np.clip(np.floor(self.exact(rows) + 0.5), self.output.min_code,
                       self.output.max_code).astype(np.int64)

    def inner_models(self) -> dict:
        return {"rsqrt_header": (self.rsqrt_fit.model, f"{self.name}_rsqrt0")}

    def inner_fits(self) -> dict:
        return {"rsqrt_module": self.rsqrt_fit}

    def probes(self) -> list:
        """The rsqrt fit ``NAME_rsqrt0`` over every code of its input, and ``NAME_rsqrt30(V)``
        (``r`` and ``e``) over :func:`v_sweep`: every reachable variance range."""
        from approxgen.blocks import Probe

        fit = self.rsqrt_fit
        codes = fit.spec.input.codes().astype(np.int64)
        v = v_sweep()
        r, e = self.rsqrt(v)
        return [Probe("rsqrt fit", fit.spec.input.bits, fit.spec.input.signed,
                      f"{self.name}_rsqrt0(x)", codes, fit.model.evaluate(codes)[:, None]),
                Probe("rsqrt30", 64, False, f"{self.name}_rsqrt30(x, &ag_e)", v,
                      np.stack([r, e], axis=1), ("r", "ag_e"))]

    def verilog_context(self) -> dict:
        """What ``templates/verilog/norm.v.j2`` reads: the streaming unit's netlist
        (:mod:`approxgen.blocks.norm_unit`) in Verilog."""
        from approxgen.blocks import norm_unit
        from approxgen.emit.rtl import VerilogWriter

        return norm_unit.context(self, VerilogWriter)

    def vhdl_context(self) -> dict:
        """What ``templates/vhdl/norm.vhd.j2`` reads: the same netlist in VHDL."""
        from approxgen.blocks import norm_unit
        from approxgen.emit.rtl import VhdlWriter

        return norm_unit.context(self, VhdlWriter)

    def c_context(self) -> dict:
        return {"length": self.length, "centred": self.centred,
                "mantissa_bits": self.mantissa_bits, "rsqrt_shift": R_BITS - (self.rsqrt_bits - 1),
                "newton": self.newton, "k_bits": K_BITS, "m_shift": self.m_shift,
                "z_shift": self.z_shift, "beta_align": self.z_shift + self.gamma_shift
                - self.beta_shift, "final_shift": self.final_shift,
                "eps_power": self.eps_power, "eps_code": self.eps_code,
                "eps_shift": self.eps_shift,
                "gamma": [str(int(v)) for v in self.gamma],
                "beta": [str(int(v)) for v in self.beta],
                "gamma_type": f"int{16 if self.gamma_bits <= 16 else 32}_t",
                "beta_type": f"int{16 if self.beta_bits <= 16 else 32}_t",
                "out_min": self.output.min_code, "out_max": self.output.max_code}

    def provenance_lines(self) -> list[str]:
        fit = self.rsqrt_fit
        return [f"{self.kind}: epsilon {self.epsilon!r}, E = round_half_up({self.eps_code} n^"
                f"{self.eps_power} / 2^{self.eps_shift}) ~ eps n^{self.eps_power} / S_in^2",
                f"gamma int{self.gamma_bits} 2^-{self.gamma_shift}, beta int{self.beta_bits} "
                f"2^-{self.beta_shift}",
                f"rsqrt: approxgen fit ({fit.spec.form}, {fit.spec.segments} segments, objective "
                f"{fit.spec.objective}) on m in [1, 4) at 2^-{self.mantissa_bits}, "
                f"{self.newton} Newton step(s)",
                f"FM {self.m_shift}, FZ {self.z_shift}, final shift {self.final_shift}"]


def metrics(block: Norm, rows) -> dict:
    """Errors of the golden model on ``rows`` against :meth:`Norm.reference`, in output LSB."""
    y, ref = block.model(rows), block.reference(rows)
    err = np.abs(y - ref)
    return {"max_error_lsb": int(err.max()), "mean_error_lsb": float(err.mean()),
            "max_real_error_lsb": float(np.abs(y - block.exact(rows)).max()),
            "mismatches": int(np.count_nonzero(err)), "outputs": int(err.size),
            "correctly_rounded": float(1.0 - np.count_nonzero(err) / err.size)}


def load_vector(path, length: int, key: str, source: str, at) -> np.ndarray:
    """A 1-D float .npy of exactly ``length`` finite values (no pickles; at most 1 MiB),
    resolved relative to the spec file, or a list of them inline."""
    from approxgen.safeload import read_file

    if isinstance(path, list):
        if len(path) != length:
            raise ApproxgenError(f"holds {len(path)} values, the block's length is {length}",
                                 at(key))
        return np.array([number(v, f"{key}[{i}]", at) for i, v in enumerate(path)],
                        dtype=np.float64)
    if not isinstance(path, str) or not path:
        raise ApproxgenError(f"expected the path of a .npy file or a list of numbers, got "
                             f"{path!r}", at(key))
    base = os.path.dirname(source) if source not in ("<flags>", "<stdin>") else ""
    full = os.path.join(base, path) if not os.path.isabs(path) else path
    data = read_file(full, f"{key} file {path}", MAX_NPY_BYTES, at(key))
    try:
        value = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ApproxgenError(f"{path} is not a .npy array file ({str(exc)[:60]})",
                             at(key)) from None
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.ndim != 1:
        raise ApproxgenError(f"{path} must hold a 1-D float array", at(key))
    if value.size != length:
        raise ApproxgenError(f"{path} holds {value.size} values, the block's length is {length}",
                             at(key))
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)):
        raise ApproxgenError(f"{path} holds a value that is not finite", at(key))
    return value


def _vector_format(raw, key, values, at) -> tuple[int, int]:
    """``(bits, FRAC)`` of a gamma/beta format: ``bits`` (default 16) and ``scale`` (a power of
    two; default the finest one holding ``max |value|``, at most 1, at least 2^-24)."""
    fmt = section(raw, key, {"bits", "scale"}, at)
    bits = integer(fmt.get("bits", 16), f"{key}.bits", at, 2, 24)
    if "scale" in fmt:
        exp = IntFormat(bits, True, parse_scale(fmt["scale"], at(f"{key}.scale"))).scale_exp
        if exp is None or not -40 <= exp <= 0:
            raise ApproxgenError("must be a power of two 2^-40 .. 1", at(f"{key}.scale"))
        return bits, -exp
    absmax = float(np.max(np.abs(values)))
    exp = max(-24, round(math.log2(pow2_scale_holding(-absmax, absmax, bits, True))))
    if exp > 0:
        vector = key.split("_")[0]
        raise ApproxgenError(f"max |{vector}| = {absmax:g} does not fit {bits} signed bits at "
                             f"a scale <= 1 (give {key}.bits)", at(vector))
    return bits, -exp


def _quantize(values, bits: int, frac: int, key: str, at) -> np.ndarray:
    codes = np.floor(np.ldexp(values, frac) + 0.5)
    lim = 1 << (bits - 1)
    if np.any(codes >= lim) or np.any(codes < -lim):
        raise ApproxgenError(f"a value does not fit {bits} signed bits at scale 2^-{frac}",
                             at(key))
    return codes.astype(np.int64)


def _rsqrt_fit(raw, kind: str, name: str, source: str, at):
    """The approxgen fit of the built-in rsqrt on the mantissa grid (a derived Spec,
    :func:`approxgen.blocks.fit_inner`), its grid, its options in full."""
    given = section(raw, "rsqrt", RSQRT_KEYS, at)
    newton = integer(given.get("newton", RSQRT_DEFAULTS["newton"]), "rsqrt.newton", at, 0, 4)
    frac = integer(given.get("mantissa_bits", RSQRT_DEFAULTS["mantissa_bits"]),
                   "rsqrt.mantissa_bits", at, 4, 14)
    bits = integer(given.get("bits", RSQRT_DEFAULTS["bits"]), "rsqrt.bits", at, 8, 24)
    derived = {"function": "rsqrt", "name": f"{name}_rsqrt0",
               "input": {"bits": frac + 2, "signed": False, "scale": f"2^-{frac}"},
               "domain": [1.0, 4.0 - 2.0 ** -frac],
               "output": {"bits": bits, "signed": False, "scale": f"2^-{bits - 1}"}}
    result, options = fit_inner(raw, "rsqrt", RSQRT_KEYS, RSQRT_DEFAULTS, derived, source, at)
    codes = np.arange(1 << frac, 4 << frac)
    r = result.model.evaluate(codes).astype(np.int64)
    if np.any(r <= 0) or np.any(r >= 1 << bits):
        raise ApproxgenError("the rsqrt fit leaves (0, 1] on the mantissa grid", at("rsqrt"))
    return result, frac, bits, newton, {**options, "newton": newton, "mantissa_bits": frac,
                                        "bits": bits}


def from_raw(raw: dict, source: str) -> Norm:
    """A :class:`Norm` from a raw spec mapping; errors name ``source`` and the key."""
    kind = raw["block"]
    keys = KEYS - ({"beta", "beta_format"} if kind == "rmsnorm" else set())
    at, name, length, inp, out, in_bits = parse_head(raw, source, keys, MAX_LENGTH,
                                                     "the row length")
    if not boolean(inp.get("signed", True), "input.signed", at):
        raise ApproxgenError(f"a {kind} input is signed (signed: true)", at("input.signed"))
    in_fmt = IntFormat(in_bits, True, parse_scale(inp["scale"], at("input.scale")))
    out_bits = c_type_bits(out.get("bits", in_bits), "output.bits", at)
    if not boolean(out.get("signed", True), "output.signed", at):
        raise ApproxgenError(f"a {kind} output is signed (signed: true)", at("output.signed"))
    out_fmt = IntFormat(out_bits, True, parse_scale(out.get("scale", "2^-4"), at("output.scale")))
    if out_fmt.scale_exp is None or not -24 <= out_fmt.scale_exp <= 8:
        raise ApproxgenError("must be a power of two 2^-24 .. 2^8", at("output.scale"))
    eps = number(raw.get("epsilon", DEFAULT_EPSILON[kind]), "epsilon", at)
    if not 0 <= eps <= 1:
        raise ApproxgenError(f"must be in 0 .. 1, got {eps!r}", at("epsilon"))
    gamma = load_vector(raw["gamma"], length, "gamma", source, at) if raw.get("gamma") \
        is not None else np.ones(length)
    beta = load_vector(raw["beta"], length, "beta", source, at) if raw.get("beta") \
        is not None else np.zeros(length)
    g_bits, g_frac = _vector_format(raw, "gamma_format", gamma, at)
    b_bits, b_frac = _vector_format(raw, "beta_format", beta, at)
    rsqrt_fit, frac, r_bits, newton, options = _rsqrt_fit(raw, kind, name, source, at)
    block = Norm(name, length, in_fmt, out_fmt,
                 _quantize(gamma, g_bits, g_frac, "gamma", at),
                 _quantize(beta, b_bits, b_frac, "beta", at),
                 g_bits, g_frac, b_bits, b_frac, eps, rsqrt_fit, frac, r_bits, newton, kind,
                 options)
    _check_widths(block, at)
    return block


def _check_widths(block: Norm, at) -> None:
    """Every intermediate of the maximal row stays inside int64 (Python ints: exact)."""
    limit = 1 << 63
    if block.eps_shift < 0:
        raise ApproxgenError("epsilon / input.scale^2 is too large for int64", at("epsilon"))
    if block.max_q + block.eps_term(block.length) >= limit:
        raise ApproxgenError(f"the variance sum of a row of {block.length} int"
                             f"{block.input.bits} codes (Q up to {block.max_q:.3e} plus the "
                             f"epsilon term) would overflow int64", at("length"))
    if block.length ** 2 * max(block.input.min_code ** 2, block.input.max_code ** 2) >= 1 << 62:
        raise ApproxgenError("n sum x^2 would exceed 62 bits", at("length"))
    if block.m_shift < 8:
        raise ApproxgenError("the per-element product a M would keep under 8 bits of M",
                             at("length"))
    if block.final_shift < 1:
        raise ApproxgenError("finer than gamma_format and z allow (the final shift < 1)",
                             at("output.scale"))
    align = block.z_shift + block.gamma_shift - block.beta_shift
    if align < 0:
        raise ApproxgenError(f"beta_format 2^-{block.beta_shift} is finer than the product "
                             f"(2^-{block.z_shift + block.gamma_shift})", at("beta_format"))
    acc = (1 << 31) * (1 << (block.gamma_bits - 1)) + (1 << (block.beta_bits - 1 + align))
    if acc >= 1 << 62:
        raise ApproxgenError("z G + beta would exceed 62 bits", at("beta_format"))


def v_sweep(seed: int = 5) -> np.ndarray:
    """Every power-of-four boundary (and of two) +-1 over 1 .. 2^63 - 1, and seeded values,
    ascending, int64."""
    edges = [(1 << k) + d for k in range(63) for d in (-1, 0, 1)]
    rng = np.random.default_rng(seed)
    seeded = [int(rng.integers(1, 1 << 62)) >> int(rng.integers(0, 62)) for _ in range(2000)]
    values = sorted({v for v in edges + seeded + [(1 << 63) - 1] if 1 <= v < 1 << 63})
    return np.array(values, dtype=np.int64)


def sample_rows(block: Norm, n: int, count: int, seed: int) -> dict[str, np.ndarray]:
    """The stated test rows of length ``n``: seeded hidden states (normal, std 1 in real units;
    ``+outlier channels``: 1% of the channels, at least one, 10-50x larger, the same channels
    in every row; ``low variance``: a mean of 1 with std 1.5 codes), and the adversarial rows
    (all equal, one hot, all minimum, all maximum, one huge outlier)."""
    rng = np.random.default_rng(seed)
    fmt = block.input
    lo, hi = fmt.min_code, fmt.max_code

    def codes(real):
        return np.clip(np.floor(real / fmt.scale + 0.5), lo, hi).astype(np.int64)

    base = rng.normal(0.0, 1.0, (count, n))
    channels = rng.choice(n, max(1, n // 100), replace=False)
    factor = np.ones(n)
    factor[channels] = rng.uniform(10, 50, channels.size)
    rows = {"hidden": codes(base), "hidden +outlier channels": codes(base * factor),
            "low variance": codes(1.0 + rng.normal(0.0, 1.5, (count, n)) * fmt.scale)}
    rows["all equal"] = np.full((3, n), [[lo], [0], [hi]], dtype=np.int64)
    hot = np.zeros((2, n), dtype=np.int64)
    hot[0, 0], hot[1, n - 1] = hi, lo
    rows["one hot"] = hot
    rows["all minimum"] = np.full((1, n), lo, dtype=np.int64)
    rows["all maximum"] = np.full((1, n), hi, dtype=np.int64)
    outlier = codes(rng.normal(0.0, 1.0, (1, n)))
    outlier[0, n // 2] = hi
    rows["one huge outlier"] = outlier
    return rows
