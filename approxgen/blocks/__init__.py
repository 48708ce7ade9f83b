"""Blocks: specs whose model is a small integer dataflow over a row (issue 23), built from
approxgen's integer primitives. A block spec has ``block:`` instead of ``function:``; this
package reads it (:func:`load`) into the block's object, which holds its golden model.

Blocks import forms, fitting and the fixed-point helpers, never the reverse; emitters may import
blocks. Registered blocks: :data:`BLOCKS` (name -> module; the module has ``from_raw``,
``sample_rows`` and ``metrics``). A block saves as a block artifact
(:mod:`approxgen.blocks.artifact`): its :meth:`Block.canonical` spec and its inner fits, which
the block module makes by :func:`inner_fit` (so reading the artifact back refits nothing).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError

FIT_KEYS = ("segments", "objective", "search")  # an inner fit's own keys a block section may set
INPUT_BITS = (8, 16)  # the width of a C type: every value of the C input type is a code
BLOCKS = {"softmax": "approxgen.blocks.softmax", "layernorm": "approxgen.blocks.norm",
          "rmsnorm": "approxgen.blocks.norm"}


def is_block_spec(raw) -> bool:
    """Whether a raw spec mapping describes a block (it has a ``block`` key)."""
    return isinstance(raw, dict) and "block" in raw


def load(raw: dict, source: str):
    """The block a raw spec mapping describes; errors name ``source`` and the key."""
    name = raw.get("block")
    if not isinstance(name, str) or name not in BLOCKS:
        raise ApproxgenError(f"unknown block {name!r} (one of {', '.join(BLOCKS)})",
                             where_of(source, "block"))
    return importlib.import_module(BLOCKS[name]).from_raw(raw, source)


_STORED_FITS: contextvars.ContextVar = contextvars.ContextVar("approxgen_stored_fits",
                                                              default=None)


def inner_fit(derived: dict, source: str):
    """The approxgen fit (:class:`approxgen.artifact.Fit`) of a spec a block derives (a raw
    spec mapping; errors name ``source``): fitted, or while a block artifact is read
    (:func:`stored_fits`) its stored fit of the same spec (then nothing is fitted)."""
    from approxgen import spec as specs

    spec = specs.resolve(derived, source)
    stored, fallback = _STORED_FITS.get() or (None, True)
    for fit in (stored or {}).values():
        if fit.spec.hash() == spec.hash():
            return fit
    if fallback:
        from approxgen.fitting import fit

        return fit(spec, progress=False)
    raise ApproxgenError(f"no inner fit of the spec the block derives ({spec.name}, spec_hash "
                         f"{spec.hash()}) is stored")  # the block names its key


@contextlib.contextmanager
def stored_fits(fits: dict, fallback: bool = False):
    """While active, :func:`inner_fit` takes its fits from ``fits`` (``{key: Fit}``); one of a
    spec none of them fits is an error, or with ``fallback`` fitted (a cache)."""
    token = _STORED_FITS.set((dict(fits), fallback))
    try:
        yield
    finally:
        _STORED_FITS.reset(token)


def format_raw(fmt) -> dict:
    """An IntFormat as a spec's ``{bits, signed, scale}`` (``"2^k"`` for a power of two)."""
    exp = fmt.scale_exp
    return {"bits": fmt.bits, "signed": fmt.signed,
            "scale": f"2^{exp}" if exp is not None else fmt.scale}


def where_of(source: str, key: str) -> str:
    """``source: key`` (a spec file) or the key alone (flags)."""
    return key if source == "<flags>" else f"{source}: {key}"


class Block:
    """The protocol of a block: ``kind`` (its ``block:`` name), ``name``, ``length`` (the
    maximum row length), ``input``/``output`` (IntFormat), ``model(rows)`` (the golden model),
    ``exact``/``reference(rows)`` (the float block), ``c_context()``, ``provenance_lines()`` and
    :meth:`inner_models`; a block with a streaming Verilog unit also has ``verilog_context()``
    (what ``templates/verilog/<kind>.v.j2`` reads), one with a VHDL unit ``vhdl_context()``
    (``templates/vhdl/<kind>.vhd.j2``)."""

    kind = ""

    def canonical(self) -> dict:
        """The block's spec with every key explicit and no file named (gamma/beta inline): the
        module's ``from_raw`` of it gives this block again (with :func:`stored_fits` of its
        :meth:`inner_fits`, without fitting). What a block artifact records."""
        raise NotImplementedError

    def metrics(self, rows) -> dict:
        """The block module's ``metrics(block, rows)``: errors of the golden model on ``rows``
        against the correctly rounded float block, in output LSB (``max_error_lsb``,
        ``mean_error_lsb``, ``mismatches``, ``outputs`` and the block's own)."""
        return importlib.import_module(BLOCKS[self.kind]).metrics(self, rows)

    def inner_models(self) -> dict:
        """The block's inner fits an emitter renders beside it: ``{context key: (model, function
        name)}`` (C: each key holds that model's header, :func:`approxgen.emit.c.render_model`)."""
        return {}

    def inner_fits(self) -> dict:
        """The inner fits (``{context key: Fit}``) an HDL emitter renders as modules beside the
        block's unit (the unit instantiates them by their spec names)."""
        return {}

    def evaluate(self, codes) -> np.ndarray:
        """The golden model of one row (1-D input codes) or of rows of one length (2-D): int64
        output codes, the same shape; what the emitted C and Verilog compute. Codes that are not
        integers of the input format, or a row longer than ``length``, are an error."""
        from approxgen.fixedpoint import integer_codes

        q = integer_codes(codes, self.input, "codes")
        if q.ndim not in (1, 2) or not 1 <= q.shape[-1] <= self.length:
            raise ApproxgenError(f"expected a row (1-D) or rows (2-D) of 1..{self.length} codes, "
                                 f"got shape {q.shape}", "codes")
        return self.model(q.reshape(-1, q.shape[-1])).astype(np.int64).reshape(q.shape)

    def probes(self) -> list:
        """The block's inner scalar functions a verifier can call in its C header, each with
        every value it checks and the golden model's results (:class:`Probe`): every code of
        each inner fit or table, and every reachable intermediate the block states."""
        return []

    def reach_rows(self) -> list:
        """Rows (1-D int64 code arrays) that reach the block's intermediates a row can show."""
        return []

    def sample_rows(self, n: int, count: int, seed: int) -> dict:
        """The block module's stated seeded and adversarial rows of length ``n``."""
        return importlib.import_module(BLOCKS[self.kind]).sample_rows(self, n, count, seed)

    def check_rows(self, seed: int = 7, count: int = 4) -> list:
        """What verification runs through the whole block: :meth:`reach_rows`, then ``count``
        of each kind of :meth:`sample_rows` at lengths 1, 2, 64, 100 and the maximum."""
        rows = list(self.reach_rows())
        for n in sorted({1, 2, 64, 100, self.length}):
            if n <= self.length:
                for batch in self.sample_rows(n, count, seed + n).values():
                    rows.extend(np.asarray(batch, dtype=np.int64))
        return rows

    def compile(self, compiler: str | None = None):
        """The block's C built by the system compiler into a cached shared library, as a numpy
        callable over rows of codes (see :func:`approxgen.native.compile_block`)."""
        from approxgen.native import compile_block

        return compile_block(self, compiler)


@dataclass(frozen=True)
class Probe:
    """One scalar function of a block's C header checked over ``values`` (int64): ``call``, a C
    expression of ``x`` (an ``arg_bits``-bit integer, ``arg_signed`` or not) that may set the
    ``int`` ``ag_e``;
    ``columns``: the C expressions read after it (the call's result first, e.g.
    ``("r", "ag_e")``); ``expected``: the golden model's, int64 (values, len(columns))."""

    what: str
    arg_bits: int
    arg_signed: bool
    call: str
    values: np.ndarray
    expected: np.ndarray
    columns: tuple = ("r",)


def parse_head(raw: dict, source: str, keys: set, max_length: int, what: str):
    """What every block spec has: ``(at, name, length, input, output, input bits)`` with
    ``input``/``output`` the raw sections; unknown keys, a bad name, a missing or out-of-range
    ``length`` (``what`` it means) and input bits other than 8 or 16 are refused."""
    from approxgen.spec import integer, name_problem, section

    def at(key: str) -> str:
        return where_of(source, key)

    kind = raw["block"]
    unknown = sorted(set(map(str, raw)) - keys)
    if unknown:
        raise ApproxgenError(f"unknown key {unknown[0]!r} for a {kind} block (known: "
                             f"{', '.join(sorted(keys))})", at(unknown[0]))
    name = raw.get("name", kind)
    problem = name_problem(name)
    if problem:
        raise ApproxgenError(f"{name!r} {problem}", at("name"))
    if "length" not in raw:
        raise ApproxgenError(f"a {kind} block needs length ({what})", at("length"))
    length = integer(raw["length"], "length", at, 1, max_length, what)
    inp = section(raw, "input", {"bits", "signed", "scale"}, at)
    out = section(raw, "output", {"bits", "signed", "scale"}, at)
    in_bits = c_type_bits(inp.get("bits", 8), "input.bits", at)
    if "scale" not in inp:
        raise ApproxgenError(f"a {kind} block needs input.scale", at("input"))
    return at, name, length, inp, out, in_bits


def fit_inner(raw: dict, key: str, keys: set, defaults: dict, derived: dict, source: str, at):
    """The approxgen fit of a block's inner function (:func:`inner_fit`): ``derived`` (a spec
    mapping without the fit's own keys) with ``form``, ``segments``, ``objective`` and
    ``search`` from ``defaults`` overridden by the spec's ``key:`` section (only those the form
    reads); returns ``(fit, options)`` with ``options`` the section in full (what the block's
    canonical spec states). Fit errors name ``key.KEY``."""
    from approxgen import spec as specs

    opts = {**defaults, **specs.section(raw, key, keys, at)}
    given = raw.get(key) or {}
    read = specs.form_keys(opts["form"]) if opts["form"] in specs.FORMS else {"segments"}
    fit_keys = {k: opts[k] for k in FIT_KEYS if k in opts and (k in given or k in read)}
    prefix = where_of(source, "")
    try:
        result = inner_fit({**derived, "form": opts["form"], **fit_keys}, source)
    except ApproxgenError as exc:
        where = exc.where or ""
        sub = where[len(prefix):] if where.startswith(prefix) else where
        raise ApproxgenError(exc.message, at(f"{key}.{sub}" if sub else key)) from None
    options = {**{k: v for k, v in opts.items() if k not in FIT_KEYS and k != "form"},
               "form": result.spec.form, **{k: getattr(result.spec, k) for k in fit_keys}}
    return result, options


def c_type_bits(value, key: str, at) -> int:
    """``value`` as the bits of a full C type: 8 or 16 (every value of the type is a code)."""
    from approxgen.spec import integer

    bits = integer(value, key, at, *INPUT_BITS)
    if bits not in INPUT_BITS:
        raise ApproxgenError(f"must be {' or '.join(map(str, INPUT_BITS))}, got {bits}", at(key))
    return bits
