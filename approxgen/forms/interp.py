"""``form: interp``: an interpolated node table (nodes on a power-of-two grid, as CMSIS-NN's int16
activations), storing only the node values; ``order`` 1 interpolates linearly between two
neighbouring nodes, ``order`` 2 quadratically through three.

The input code is clamped to the codes ``lo..hi`` (the domain's, or fewer: a flat end of the
domain is left to the clamp, see :mod:`approxgen.fit.interp`) and taken as the offset
``u = q - lo``.
The offsets are cut into regions; region ``r`` starts at offset ``start_r`` (``start_0 = 0``) and
has its own node step ``2^g_r``; its nodes are ``v[first_r], v[first_r + 1], ...`` at offsets
``start_r + j 2^g_r``. Order 1: a region's last node is the next region's first (every region but
the last spans a multiple of its step; the last one has one node past ``hi``). Order 2: each
region owns its nodes, its intervals plus two. For an offset in region r::

    d = u - start_r;  k = first_r + (d >> g_r);  t = d & (2^g_r - 1);  v_j = node_j + base
    order 1:  acc = v_k 2^g + (v_{k+1} - v_k) t + 2^(g + F - 1)        # the rounding folded in
              y   = sat(acc >> (g + F))                                 # floor shift
    order 2:  d1 = v_{k+1} - v_k;  d2 = v_{k+2} - 2 v_{k+1} + v_k;  S = 2^g
              acc = t (2 d1 S + d2 (t - S)) + 2^(2g + F)        # (Newton forward) x 2^(2g+1)
              y   = sat((v_k + (acc >> (2g + 1))) >> F)

Order 2 is ``floor((v_k 2^(2g+1) + t (2 d1 S + d2 (t - S)) + 2^(2g+F)) / 2^(2g+1+F))``, one
rounding of the exact quadratic ``v_k + (t/S) d1 + (t/S)(t/S - 1)/2 d2``, written so the
accumulator does not carry ``v_k``.

Nodes are stored with ``F`` fraction bits (``v = y 2^F``) in the node type (16 bits whenever the
target's range fits, else 32), plus a constant ``base`` (so a range such as sigmoid's half, 0.5..1,
gets the fraction bits of a full 16-bit type). The exact value range of every intermediate over
every code gives the widths (:meth:`InterpModel.widths`). Fitting: :mod:`approxgen.fit.interp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, saturate, signed_bits
from approxgen.forms import (COMPANION_KEY, MAX_ACC_BITS, RANGE_REDUCTION_KEY, Form, Key,
                             json_int, json_ints)

NODE_BITS = (16, 32)
ORDERS = (1, 2)
MAX_REGIONS = 8  # regions of node steps, at most (spec key max_regions: fewer, faster C)
MAX_STEP_BITS = 30
MAX_BASE = 1 << 40


def quadratic(v0, v1, v2, t, g, frac: int) -> dict:
    """Order 2's arithmetic (int64, broadcasting): nodes ``v0, v1, v2``, offsets ``t`` in the
    interval, step ``2^g``; ``shifted`` is the value before saturation."""
    d1, d2 = v1 - v0, v2 - 2 * v1 + v0
    size = np.int64(1) << g
    inner = 2 * d1 * size + d2 * (t - size)
    product = t * inner
    acc = product + (np.int64(1) << (2 * g + frac))
    total = v0 + (acc >> (2 * g + 1))
    return {"a": v0, "b": v1, "c": v2, "diff": d1, "d2": d2, "inner": inner,
            "product": product, "acc": acc, "total": total, "shifted": total >> frac}


@dataclass(frozen=True)
class InterpWidths:
    """Exact value bounds over every input code, and the C/Verilog widths derived from them.
    Order 1 leaves ``d2``, ``inner`` and ``total`` at (0, 0)."""

    diff: tuple[int, int]  # d1 = v_{k+1} - v_k
    product: tuple[int, int]  # order 1: d1 t; order 2: t (2 d1 S + d2 (t - S))
    acc: tuple[int, int]  # product + rounding (order 1 also + v_k 2^g): the one floor shift
    shifted: tuple[int, int]  # the value saturated: acc >> (g + F), order 2 total >> F
    d2: tuple[int, int] = (0, 0)  # v_{k+2} - 2 v_{k+1} + v_k
    inner: tuple[int, int] = (0, 0)  # 2 d1 S + d2 (t - S)
    total: tuple[int, int] = (0, 0)  # v_k + (acc >> (2g + 1))

    def bits(self, name: str) -> int:
        return signed_bits(*getattr(self, name))


@dataclass(frozen=True)
class InterpModel:
    """The interpolated node table (see the module doc): input codes clamped to ``lo_code..
    hi_code``; the offset ``u = q - lo_code`` falls in region r (from ``starts[r]``) whose nodes
    are ``2^steps[r]`` codes apart; ``nodes`` are stored in ``node_bits`` (signed or not, with
    ``base`` added in the arithmetic) with ``frac`` fraction bits; ``order`` 1 interpolates
    linearly between two neighbouring nodes, 2 quadratically through three; the result is
    rounded half up to the output format and saturated."""

    input: IntFormat
    output: IntFormat
    lo_code: int
    hi_code: int
    starts: tuple[int, ...]  # region start offsets (u = q - lo_code); starts[0] == 0
    steps: tuple[int, ...]  # g_r: region r's node step is 2^g_r codes
    frac: int  # F: fraction bits of the nodes
    node_bits: int  # 16 or 32
    node_signed: bool
    nodes: tuple[int, ...]  # stored values; the arithmetic uses node + base
    order: int = 1
    base: int = 0

    form = "interp"

    @property
    def codes(self) -> int:
        return self.hi_code - self.lo_code + 1

    @property
    def segments(self) -> int:
        """Intervals between nodes (the node count less one per region and order)."""
        return len(self.nodes) - (1 if self.order == 1 else 2 * self.regions)

    @property
    def regions(self) -> int:
        return len(self.starts)

    def region_nodes(self) -> tuple[int, ...]:
        """How many nodes each region addresses (order 1: the last shares the next's first)."""
        ends = (*self.starts[1:], self.codes)
        out = []
        for r, (a, b, g) in enumerate(zip(self.starts, ends, self.steps)):
            intervals = -(-(b - a) >> g)
            last = r == self.regions - 1
            out.append(intervals + 2 if self.order == 2 else (b - a) >> g if not last
                       else ((b - 1 - a) >> g) + 2)
        return tuple(out)

    def firsts(self) -> tuple[int, ...]:
        """The index of each region's first node."""
        counts = self.region_nodes()
        return tuple(int(v) for v in np.concatenate([[0], np.cumsum(counts[:-1])]))

    def nodes_needed(self) -> int:
        """How many nodes the regions address."""
        return sum(self.region_nodes())

    def node_range(self) -> tuple[int, int]:
        """The values the node type holds (stored, before the base)."""
        if self.node_signed:
            return -(1 << (self.node_bits - 1)), (1 << (self.node_bits - 1)) - 1
        return 0, (1 << self.node_bits) - 1

    def values(self) -> np.ndarray:
        """The node values the arithmetic uses (stored + base), int64."""
        return np.asarray(self.nodes, dtype=np.int64) + self.base

    def intermediates(self, q) -> dict[str, np.ndarray]:
        """Every intermediate of the arithmetic for codes ``q`` (int64 arrays)."""
        q = np.clip(np.asarray(q, dtype=np.int64), self.lo_code, self.hi_code)
        u = q - self.lo_code
        r = np.searchsorted(np.asarray(self.starts, dtype=np.int64), u, side="right") - 1
        g = np.asarray(self.steps, dtype=np.int64)[r]
        d = u - np.asarray(self.starts, dtype=np.int64)[r]
        k = np.asarray(self.firsts(), dtype=np.int64)[r] + (d >> g)
        t = d & ((np.int64(1) << g) - 1)
        v = self.values()
        out = {"u": u, "region": r, "k": k, "t": t}
        if self.order == 1:
            a, b = v[k], v[k + 1]
            s = g + self.frac
            product = (b - a) * t
            acc = (a << g) + product + ((np.int64(1) << s) >> 1)
            shifted = acc >> s
            out.update(a=a, b=b, diff=b - a, product=product, acc=acc)
        else:
            terms = quadratic(v[k], v[k + 1], v[k + 2], t, g, self.frac)
            shifted = terms.pop("shifted")
            out.update(terms)
        out.update(shifted=shifted, y=saturate(shifted, self.output))
        return out

    def evaluate(self, q) -> np.ndarray:
        return self.intermediates(q)["y"]

    def segment_index(self, q) -> np.ndarray:
        """The interval of each code (its region's intervals counted before it)."""
        v = self.intermediates(q)
        if self.order == 1:
            return v["k"]
        return v["k"] - 2 * v["region"]

    def widths(self) -> InterpWidths:
        v = self.intermediates(np.arange(self.lo_code, self.hi_code + 1, dtype=np.int64))
        span = lambda name: (int(v[name].min()), int(v[name].max())) if name in v \
            else (0, 0)  # noqa: E731
        return InterpWidths(span("diff"), span("product"), span("acc"), span("shifted"),
                            span("d2"), span("inner"), span("total"))

    def to_json(self) -> dict:
        extra = {**({"order": self.order} if self.order != 1 else {}),  # absent: linear
                 **({"base": self.base} if self.base else {})}
        return {"form": "interp", "lo_code": self.lo_code, "hi_code": self.hi_code,
                "starts": list(self.starts), "steps": list(self.steps), "frac": self.frac,
                "node_bits": self.node_bits, "node_signed": self.node_signed,
                "nodes": list(self.nodes), **extra, "acc_bits": self.widths().bits("acc")}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "InterpModel":
        signed = data.get("node_signed")
        if not isinstance(signed, bool):
            raise ApproxgenError("model.node_signed must be true or false")
        order = json_int(data, "order") if "order" in data else 1  # older artifacts: linear
        base = json_int(data, "base") if "base" in data else 0
        model = cls(inp, out, json_int(data, "lo_code"), json_int(data, "hi_code"),
                    tuple(json_ints(data, "starts")), tuple(json_ints(data, "steps")),
                    json_int(data, "frac"), json_int(data, "node_bits"), signed,
                    tuple(json_ints(data, "nodes")), order, base)
        model.check()
        if json_int(data, "acc_bits") != model.widths().bits("acc"):
            raise ApproxgenError("model.acc_bits does not match the nodes")
        return model

    def check(self) -> None:
        """Raise ApproxgenError if the integers break the contract (layout, ranges, widths)."""
        if self.order not in ORDERS:
            raise ApproxgenError(f"interp order must be one of {ORDERS}")
        if not (self.input.min_code <= self.lo_code <= self.hi_code <= self.input.max_code):
            raise ApproxgenError("interp lo_code..hi_code must lie in the input code range")
        if self.node_bits not in NODE_BITS:
            raise ApproxgenError(f"interp node_bits must be one of {NODE_BITS}")
        if not 0 <= self.frac < self.node_bits:
            raise ApproxgenError(f"interp frac must be in 0..{self.node_bits - 1}")
        if not abs(self.base) <= MAX_BASE:
            raise ApproxgenError(f"interp base must be within +-2^{MAX_BASE.bit_length() - 1}")
        if not self.starts or len(self.steps) != len(self.starts) or self.starts[0] != 0:
            raise ApproxgenError("interp needs one step per region and starts[0] == 0")
        edges = (*self.starts, self.codes)
        if any(b <= a for a, b in zip(edges, edges[1:])):
            raise ApproxgenError("interp region starts must rise strictly below the code count")
        if any(not 0 <= g <= MAX_STEP_BITS for g in self.steps):
            raise ApproxgenError(f"interp steps must be in 0..{MAX_STEP_BITS}")
        # the golden model's int64 must hold the accumulator with the longest step
        vbits = self.node_bits if not self.base else max(self.node_bits,
                                                         abs(self.base).bit_length()) + 1
        if any((g + self.frac + vbits + 2 if self.order == 1 else 2 * g + self.frac + vbits + 4)
               > MAX_ACC_BITS for g in self.steps):
            raise ApproxgenError(f"an interp accumulator would need more than {MAX_ACC_BITS} "
                                 f"bits")
        if any((b - a) % (1 << g) for a, b, g in zip(self.starts, self.starts[1:], self.steps)):
            raise ApproxgenError("every interp region but the last must span a multiple of its "
                                 "step")
        if len(self.nodes) != self.nodes_needed():
            raise ApproxgenError(f"interp needs {self.nodes_needed()} nodes for its regions, "
                                 f"got {len(self.nodes)}")
        lo, hi = self.node_range()
        if min(self.nodes) < lo or max(self.nodes) > hi:
            raise ApproxgenError(f"an interp node does not fit its {self.node_bits}-bit type")


class InterpForm(Form):
    """The ``interp`` plug-in: :class:`InterpModel`, its node layout and values fitted by
    :mod:`approxgen.fit.interp`; its own keys ``order`` and ``max_regions``; it meets
    ``max_bytes`` itself."""

    name = "interp"
    model_class = InterpModel
    segmented = True
    fits_bytes = True
    keys = (Key("order", "--order", "Form interp: 1 interpolates linearly between two nodes, 2 "
                                    "quadratically through three; auto (default) fits both and "
                                    "keeps the better for the objective.",
                default="auto", choices=("auto", 1, 2), implicit=1),
            Key("max_regions", "--max-regions",
                "Form interp: at most this many regions of node steps (1-8, default 8); fewer "
                "regions make the C faster (each costs a clamp and two shifts per element), "
                "usually for a little more error or more nodes.", lo=1, hi=MAX_REGIONS),
            COMPANION_KEY, RANGE_REDUCTION_KEY)
    spec_keys = frozenset({"segments", "search", "objective", "max_error_lsb",
                           *(k.name for k in keys)})
    fitter = "approxgen.fit.interp:fit_form"

    def search_refusal(self, search: str) -> str | None:
        if search not in ("exact", "uniform"):
            return (f"form interp places its nodes itself: search exact (regions) or uniform "
                    f"(one step), not {search}")
        return None

    def disagreement(self, model, spec) -> str | None:
        lo, hi = spec.domain
        if not lo <= model.lo_code <= model.hi_code <= hi:
            return (f"the model clamps to codes {model.lo_code}..{model.hi_code}, outside the "
                    f"domain {lo}..{hi}")
        if spec.order not in (None, "auto") and model.order != spec.order:
            return f"order {model.order}, the spec asks for order {spec.order}"
        if spec.segments != "auto" and model.segments > spec.segments:
            return f"{model.segments} intervals, the spec allows {spec.segments}"
        if spec.max_regions is not None and model.regions > spec.max_regions:
            return f"{model.regions} regions, the spec allows {spec.max_regions}"
        return None

    def provenance_line(self, fit) -> str:
        return super().provenance_line(fit).replace(" segments,", " intervals,", 1)

    def summary_suffix(self, fit) -> str:
        return super().summary_suffix(fit).replace(" segments,", " intervals,", 1)

    def shape(self, model) -> str:
        return f"interp order {model.order}, {len(model.nodes)} nodes"

    def integers_line(self, model, spec) -> str:
        w = model.widths()
        kind = f"{'' if model.node_signed else 'u'}int{model.node_bits}"
        regions = ", ".join(f"{model.starts[r]}+: 2^{g}" for r, g in enumerate(model.steps))
        base = f" + {model.base}" if model.base else ""
        flat = ("" if (model.lo_code, model.hi_code) == tuple(spec.domain) else
                f"codes {model.lo_code}..{model.hi_code} (the flat ends beyond: clamped); ")
        return (f"order {model.order}: {len(model.nodes)} nodes {kind}{base} with "
                f"{model.frac} fraction bits; {flat}"
                f"{model.regions} region{'s' if model.regions > 1 else ''} (offset: step) "
                f"{regions}; accumulator {w.bits('acc')} b")

    def row_columns(self) -> list[tuple[str, int]]:
        return [("node", 12)]

    def row_values(self, model, segment: int) -> dict[str, int]:
        return {"node": int(model.nodes[segment])}

    def boundaries(self, model) -> tuple[int, ...]:
        return tuple(model.lo_code + s for s in model.starts[1:])


FORM = InterpForm()
