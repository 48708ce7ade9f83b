"""``form: interp``: an interpolated node table (linear interpolation between stored nodes on a
power-of-two grid, as CMSIS-NN's int16 activations), storing only the node values.

The input code is clamped to the domain codes ``lo..hi`` and taken as the offset ``u = q - lo``.
The offsets are cut into regions; region ``r`` starts at offset ``start_r`` (``start_0 = 0``) and
has its own node step ``2^g_r``; its nodes are ``v[first_r], v[first_r + 1], ...`` at offsets
``start_r + j 2^g_r``, and its last node is the next region's first (every region but the last
spans a multiple of its step; the last one has one node past ``hi``). For an offset in region r::

    d   = u - start_r;  k = first_r + (d >> g_r);  t = d & (2^g_r - 1)
    acc = v_k 2^g_r + (v_{k+1} - v_k) t + 2^(g_r + F - 1)      # the rounding folded in
    y   = sat(acc >> (g_r + F))                                 # floor shift

Nodes are stored with ``F`` fraction bits (``v = y 2^F``) in the node type (int16/uint16 when the
output is at most 16 bits, else int32/uint32, signed like the output): ``F`` is as many fraction
bits as that type holds over the target's range with one LSB to spare (0 for a full-range 16-bit
output). ``acc`` is a convex combination of two nodes times ``2^g``, so its range follows from the
nodes' (:meth:`InterpModel.widths`). Fitting: :mod:`approxgen.fit.interp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, saturate, signed_bits
from approxgen.forms import MAX_ACC_BITS, Form, json_int, json_ints

NODE_BITS = (16, 32)
MAX_STEP_BITS = 30


@dataclass(frozen=True)
class InterpWidths:
    """Exact value bounds over every input code, and the C/Verilog widths derived from them."""

    diff: tuple[int, int]  # v_{k+1} - v_k
    product: tuple[int, int]  # (v_{k+1} - v_k) * t
    acc: tuple[int, int]  # v_k 2^g + product + rounding
    shifted: tuple[int, int]  # acc >> (g + F), before saturation

    def bits(self, name: str) -> int:
        return signed_bits(*getattr(self, name))


@dataclass(frozen=True)
class InterpModel:
    input: IntFormat
    output: IntFormat
    lo_code: int
    hi_code: int
    starts: tuple[int, ...]  # region start offsets (u = q - lo_code); starts[0] == 0
    steps: tuple[int, ...]  # g_r: region r's node step is 2^g_r codes
    frac: int  # F: fraction bits of the nodes
    node_bits: int  # 16 or 32
    node_signed: bool
    nodes: tuple[int, ...]

    form = "interp"

    @property
    def codes(self) -> int:
        return self.hi_code - self.lo_code + 1

    @property
    def segments(self) -> int:
        """Intervals between nodes (the node count less one)."""
        return len(self.nodes) - 1

    @property
    def regions(self) -> int:
        return len(self.starts)

    def firsts(self) -> tuple[int, ...]:
        """The index of each region's first node."""
        out, k = [0], 0
        for r in range(self.regions - 1):
            k += (self.starts[r + 1] - self.starts[r]) >> self.steps[r]
            out.append(k)
        return tuple(out)

    def nodes_needed(self) -> int:
        """How many nodes the regions address (the last region has one past ``hi``)."""
        return self.firsts()[-1] + ((self.codes - 1 - self.starts[-1]) >> self.steps[-1]) + 2

    def node_range(self) -> tuple[int, int]:
        """The values the node type holds."""
        if self.node_signed:
            return -(1 << (self.node_bits - 1)), (1 << (self.node_bits - 1)) - 1
        return 0, (1 << self.node_bits) - 1

    def intermediates(self, q) -> dict[str, np.ndarray]:
        """Every intermediate of the arithmetic for codes ``q`` (int64 arrays)."""
        q = np.clip(np.asarray(q, dtype=np.int64), self.lo_code, self.hi_code)
        u = q - self.lo_code
        r = np.searchsorted(np.asarray(self.starts, dtype=np.int64), u, side="right") - 1
        g = np.asarray(self.steps, dtype=np.int64)[r]
        d = u - np.asarray(self.starts, dtype=np.int64)[r]
        k = np.asarray(self.firsts(), dtype=np.int64)[r] + (d >> g)
        t = d & ((np.int64(1) << g) - 1)
        nodes = np.asarray(self.nodes, dtype=np.int64)
        a, b = nodes[k], nodes[k + 1]
        s = g + self.frac
        product = (b - a) * t
        acc = (a << g) + product + ((np.int64(1) << s) >> 1)
        shifted = acc >> s
        return {"u": u, "region": r, "k": k, "t": t, "a": a, "b": b, "diff": b - a,
                "product": product, "acc": acc, "shifted": shifted,
                "y": saturate(shifted, self.output)}

    def evaluate(self, q) -> np.ndarray:
        return self.intermediates(q)["y"]

    def segment_index(self, q) -> np.ndarray:
        """The interval (left node index) of each code."""
        return self.intermediates(q)["k"]

    def widths(self) -> InterpWidths:
        v = self.intermediates(np.arange(self.lo_code, self.hi_code + 1, dtype=np.int64))
        span = lambda name: (int(v[name].min()), int(v[name].max()))  # noqa: E731
        return InterpWidths(span("diff"), span("product"), span("acc"), span("shifted"))

    def to_json(self) -> dict:
        return {"form": "interp", "lo_code": self.lo_code, "hi_code": self.hi_code,
                "starts": list(self.starts), "steps": list(self.steps), "frac": self.frac,
                "node_bits": self.node_bits, "node_signed": self.node_signed,
                "nodes": list(self.nodes), "acc_bits": self.widths().bits("acc")}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "InterpModel":
        signed = data.get("node_signed")
        if not isinstance(signed, bool):
            raise ApproxgenError("model.node_signed must be true or false")
        model = cls(inp, out, json_int(data, "lo_code"), json_int(data, "hi_code"),
                    tuple(json_ints(data, "starts")), tuple(json_ints(data, "steps")),
                    json_int(data, "frac"), json_int(data, "node_bits"), signed,
                    tuple(json_ints(data, "nodes")))
        model.check()
        if json_int(data, "acc_bits") != model.widths().bits("acc"):
            raise ApproxgenError("model.acc_bits does not match the nodes")
        return model

    def check(self) -> None:
        """Raise ApproxgenError if the integers break the contract (layout, ranges, widths)."""
        if not (self.input.min_code <= self.lo_code <= self.hi_code <= self.input.max_code):
            raise ApproxgenError("interp lo_code..hi_code must lie in the input code range")
        if self.node_bits not in NODE_BITS:
            raise ApproxgenError(f"interp node_bits must be one of {NODE_BITS}")
        if not 0 <= self.frac < self.node_bits:
            raise ApproxgenError(f"interp frac must be in 0..{self.node_bits - 1}")
        if not self.starts or len(self.steps) != len(self.starts) or self.starts[0] != 0:
            raise ApproxgenError("interp needs one step per region and starts[0] == 0")
        edges = (*self.starts, self.codes)
        if any(b <= a for a, b in zip(edges, edges[1:])):
            raise ApproxgenError("interp region starts must rise strictly below the code count")
        if any(not 0 <= g <= MAX_STEP_BITS for g in self.steps):
            raise ApproxgenError(f"interp steps must be in 0..{MAX_STEP_BITS}")
        if any(g + self.frac > MAX_ACC_BITS - self.node_bits - 2 for g in self.steps):
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
    name = "interp"
    model_class = InterpModel
    segmented = True
    fits_bytes = True
    verilog_parts = ("full",)
    spec_keys = frozenset({"segments", "search", "objective", "max_error_lsb"})

    def fit(self, spec, progress: bool, weights=None):
        from approxgen.fit.interp import fit_interp

        return fit_interp(spec, progress)

    def disagreement(self, model, spec) -> str | None:
        lo, hi = spec.domain
        if (model.lo_code, model.hi_code) != (lo, hi):
            return f"the model covers codes {model.lo_code}..{model.hi_code}, the domain {lo}..{hi}"
        if spec.segments != "auto" and model.segments > spec.segments:
            return f"{model.segments} intervals, the spec allows {spec.segments}"
        return None

    def provenance_line(self, fit) -> str:
        return super().provenance_line(fit).replace(" segments,", " intervals,", 1)

    def summary_suffix(self, fit) -> str:
        return super().summary_suffix(fit).replace(" segments,", " intervals,", 1)

    def shape(self, model) -> str:
        return f"interp, {len(model.nodes)} nodes"

    def integers_line(self, model, spec) -> str:
        w = model.widths()
        kind = f"{'' if model.node_signed else 'u'}int{model.node_bits}"
        regions = ", ".join(f"{model.starts[r]}+: 2^{g}" for r, g in enumerate(model.steps))
        return (f"{len(model.nodes)} nodes {kind} with {model.frac} fraction bits; "
                f"{model.regions} region{'s' if model.regions > 1 else ''} (offset: step) "
                f"{regions}; accumulator {w.bits('acc')} b")

    def row_columns(self) -> list[tuple[str, int]]:
        return [("node", 12)]

    def row_values(self, model, segment: int) -> dict[str, int]:
        return {"node": int(model.nodes[segment])}

    def boundaries(self, model) -> tuple[int, ...]:
        return tuple(model.lo_code + s for s in model.starts[1:])

    def part_problem(self, part: str) -> str | None:
        if part == "lut":
            return ("an interp table has no per-segment coefficients: each code reads two "
                    "neighbouring nodes of one node ROM; emit the full part (it holds the ROM)")
        return super().part_problem(part)

    def c_context(self, model, segment_search: str) -> dict:
        from approxgen.emit.c import interp_context

        return interp_context(model)

    def latency(self, part: str) -> int:
        return 2

    def verilog_context(self, fit, part: str, pipeline: bool) -> dict:
        from approxgen.emit.verilog import interp_context

        return interp_context(fit, pipeline)

    def vector_fields(self, model) -> list[tuple[str, int, bool]]:
        return []

    def estimate(self, fit, part: str, pipeline: bool, est: dict) -> dict:
        from approxgen.emit.verilog import interp_datapath

        d = interp_datapath(fit.model)
        n = len(fit.model.nodes)
        est.update(rom_words=2 * n, rom_bits=2 * n * d["v_bits"])  # two read ports
        est["comparators"] = [fit.spec.input.bits + 1] * d["input_clamps"] \
            + [d["u_bits"]] * (fit.model.regions - 1) \
            + [d["shifted_bits"]] * (int(d["clamp_lo"]) + int(d["clamp_hi"]))
        est["multiplier"] = {"a": d["diff_bits"], "b": d["t_bits"] + 1,
                             "product": d["product_bits"]}
        est["adders"] = [d["u_bits"] + 1, d["diff_bits"], d["acc_bits"]]
        if pipeline:
            est["flip_flops"] = (2 * d["v_bits"] + d["t_bits"] + d["region_bits"]
                                 + fit.spec.output.bits + 2)
        return est


FORM = InterpForm()
