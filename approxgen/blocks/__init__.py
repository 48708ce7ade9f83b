"""Blocks: specs whose model is a small integer dataflow over a row (issue 23), built from
approxgen's integer primitives. A block spec has ``block:`` instead of ``function:``; this
package reads it (:func:`load`) into the block's object, which holds its golden model.

Blocks import forms, fitting and the fixed-point helpers, never the reverse; emitters may import
blocks. Registered blocks: :data:`BLOCKS` (name -> module; the module has ``from_raw``).
"""

from __future__ import annotations

import importlib

from approxgen.errors import ApproxgenError

BLOCKS = {"softmax": "approxgen.blocks.softmax"}


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
    maximum row length), ``input``/``output`` (IntFormat) and ``model(rows)``."""

    kind = ""
