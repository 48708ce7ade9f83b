"""Blocks: specs whose model is a small integer dataflow over a row (issue 23), built from
approxgen's integer primitives. A block spec has ``block:`` instead of ``function:``; this
package reads it (:func:`load`) into the block's object, which holds its golden model.

Blocks import forms, fitting and the fixed-point helpers, never the reverse; emitters may import
blocks. Registered blocks: :data:`BLOCKS` (name -> module; the module has ``from_raw``).
"""

from __future__ import annotations

import importlib

from approxgen.errors import ApproxgenError

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


def where_of(source: str, key: str) -> str:
    """``source: key`` (a spec file) or the key alone (flags)."""
    return key if source == "<flags>" else f"{source}: {key}"


class Block:
    """The protocol of a block: ``kind`` (its ``block:`` name), ``name``, ``length`` (the
    maximum row length), ``input``/``output`` (IntFormat), ``model(rows)`` (the golden model),
    ``exact``/``reference(rows)`` (the float block), ``c_context()``, ``provenance_lines()`` and
    :meth:`inner_models`; a block with a streaming Verilog unit also has ``verilog_context()``
    (what ``templates/verilog/<kind>.v.j2`` reads)."""

    kind = ""

    def inner_models(self) -> dict:
        """The block's inner fits an emitter renders beside it: ``{context key: (model, function
        name)}`` (C: each key holds that model's header, :func:`approxgen.emit.c.render_model`)."""
        return {}

    def inner_fits(self) -> dict:
        """The inner fits (``{context key: Fit}``) an HDL emitter renders as modules beside the
        block's unit (the unit instantiates them by their spec names)."""
        return {}

    def compile(self, compiler: str | None = None):
        """The block's C built by the system compiler into a cached shared library, as a numpy
        callable over rows of codes (see :func:`approxgen.native.compile_block`)."""
        from approxgen.native import compile_block

        return compile_block(self, compiler)


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


def c_type_bits(value, key: str, at) -> int:
    """``value`` as the bits of a full C type: 8 or 16 (every value of the type is a code)."""
    from approxgen.spec import integer

    bits = integer(value, key, at, *INPUT_BITS)
    if bits not in INPUT_BITS:
        raise ApproxgenError(f"must be {' or '.join(map(str, INPUT_BITS))}, got {bits}", at(key))
    return bits
