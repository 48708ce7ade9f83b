"""``approxgen import model.onnx``: one spec per activation of a QDQ-quantized ONNX graph.

Found: ``Gelu``, ``Sigmoid``, ``Tanh``, ``HardSwish``, ``Mul(x, Sigmoid(x))`` (SiLU) and the
erf-based GELU subgraph ``x * 0.5 * (1 + Erf(x / sqrt(2)))`` (in any order of its two Muls),
each between a ``DequantizeLinear`` (its input's scale, zero point and type) and a
``QuantizeLinear`` (its output's). The integer contract has no zero points yet: a nonzero one is
refused, naming the node. Needs the ``onnx`` package (``pip install approxgen[onnx]``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from approxgen.errors import ApproxgenError

DIRECT = {"Gelu": "gelu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hswish"}
INT_TYPES = {"int8": (8, True), "uint8": (8, False), "int16": (16, True), "uint16": (16, False)}


def _onnx():
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError:
        raise ApproxgenError("importing ONNX needs the onnx package: pip install approxgen[onnx]",
                             "import") from None
    return onnx


class Graph:
    """The nodes of a graph by the tensors they produce and consume, and its constants."""

    def __init__(self, graph, onnx):
        self.nodes = list(graph.node)
        self.producer = {out: n for n in self.nodes for out in n.output}
        self.consumers: dict[str, list] = {}
        for n in self.nodes:
            for name in n.input:
                self.consumers.setdefault(name, []).append(n)
        self.constants = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
        for n in self.nodes:
            if n.op_type == "Constant":
                for attr in n.attribute:
                    if attr.name == "value":
                        self.constants[n.output[0]] = onnx.numpy_helper.to_array(attr.t)

    def constant(self, name: str) -> float | None:
        value = self.constants.get(name)
        return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None

    def only_consumer(self, name: str, op: str):
        users = self.consumers.get(name, [])
        return users[0] if len(users) == 1 and users[0].op_type == op else None


def _erf_gelu(g: Graph, erf) -> tuple[str, str, list] | None:
    """(input x, output, nodes) of the erf GELU subgraph around ``erf``, or None."""
    head = g.producer.get(erf.input[0])
    if head is None or head.op_type not in ("Div", "Mul"):
        return None
    want = math.sqrt(2.0) if head.op_type == "Div" else 1 / math.sqrt(2.0)
    c = g.constant(head.input[1])
    if c is None or not math.isclose(c, want, rel_tol=1e-3):
        return None
    x = head.input[0]
    add = g.only_consumer(erf.output[0], "Add")
    if add is None or g.constant(add.input[1] if add.input[0] == erf.output[0]
                                 else add.input[0]) != 1.0:
        return None
    nodes, current, have_x, have_half = [head, erf, add], add.output[0], False, False
    for _ in range(2):
        mul = g.only_consumer(current, "Mul")
        if mul is None:
            return None
        other = mul.input[1] if mul.input[0] == current else mul.input[0]
        if other == x:
            have_x = True
        elif g.constant(other) == 0.5:
            have_half = True
        elif (g.producer.get(other) is not None and g.producer[other].op_type == "Mul"
              and set(g.producer[other].input) >= {x} and not have_x):  # (0.5 x) * (1 + erf)
            inner = g.producer[other]
            half = inner.input[1] if inner.input[0] == x else inner.input[0]
            if g.constant(half) != 0.5:
                return None
            nodes += [inner, mul]
            return x, mul.output[0], nodes
        else:
            return None
        nodes.append(mul)
        current = mul.output[0]
    return (x, current, nodes) if have_x and have_half else None


def activations(g: Graph) -> list[tuple[str, str, str, str]]:
    """(node name, function, input tensor, output tensor) of each activation found."""
    found = []
    for index, n in enumerate(g.nodes):
        label = n.name or f"{n.op_type}_{index}"
        if n.op_type in DIRECT:
            if n.op_type == "Sigmoid":  # x * Sigmoid(x) is SiLU
                mul = g.only_consumer(n.output[0], "Mul")
                if mul is not None and set(mul.input) == {n.input[0], n.output[0]}:
                    found.append((mul.name or label, "silu", n.input[0], mul.output[0]))
                    continue
            found.append((label, DIRECT[n.op_type], n.input[0], n.output[0]))
        elif n.op_type == "Erf":
            match = _erf_gelu(g, n)
            if match:
                found.append((match[2][-1].name or label, "gelu", match[0], match[1]))
    return found


def _format(g: Graph, node: str, scale_name: str, zero_name: str | None, side: str) -> dict:
    scale = g.constant(scale_name)
    if scale is None or not scale > 0:
        raise ApproxgenError(f"the {side} scale is not one positive constant (per-tensor "
                             f"quantization only)", node)
    zero = g.constants.get(zero_name) if zero_name else None
    kind = "uint8" if zero is None else str(zero.dtype)
    if kind not in INT_TYPES:
        raise ApproxgenError(f"the {side} type {kind} is not one of {', '.join(INT_TYPES)}", node)
    if zero is not None and int(zero.reshape(-1)[0]) != 0:
        raise ApproxgenError(f"the {side} zero point is {int(zero.reshape(-1)[0])}: approxgen's "
                             f"integer contract has no zero points yet (symmetric formats "
                             f"only)", node)
    bits, signed = INT_TYPES[kind]
    return {"bits": bits, "signed": signed, "scale": scale}


def specs_of(path: str | Path) -> list[tuple[str, dict]]:
    """(name, raw spec) of each activation of the QDQ model at ``path``."""
    from approxgen.torch import identifier

    onnx = _onnx()
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises DecodeError, ValueError, OSError...
        raise ApproxgenError(f"not a readable ONNX model ({type(exc).__name__})",
                             str(path)) from None
    g = Graph(model.graph, onnx)
    out = []
    for node, function, x, y in activations(g):
        dq = g.producer.get(x)
        q = g.only_consumer(y, "QuantizeLinear")
        if dq is None or dq.op_type != "DequantizeLinear" or q is None:
            raise ApproxgenError("not between DequantizeLinear and QuantizeLinear (a QDQ graph "
                                 "is needed for its scales)", f"{path}: node {node}")
        where = f"{path}: node {node}"
        spec = {"function": function,
                "input": _format(g, where, dq.input[1], dq.input[2] if len(dq.input) > 2
                                 else None, "input"),
                "output": _format(g, where, q.input[1], q.input[2] if len(q.input) > 2
                                  else None, "output")}
        out.append((identifier(node), spec))
    if not out:
        raise ApproxgenError("no supported activation found (Gelu, Sigmoid, Tanh, HardSwish, "
                             "x * Sigmoid(x), the erf GELU)", str(path))
    return out


def write_specs(path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write ``NAME.yaml`` per activation into ``out_dir`` (validated first; nothing written
    on any error); the paths written."""
    import yaml

    from approxgen import spec as specs
    from approxgen.outputs import write_all

    found = specs_of(path)
    names = [name for name, _ in found]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ApproxgenError(f"two activations are named {duplicate}", str(path))
    files = []
    for name, raw in found:
        specs.resolve({"name": name, **raw}, f"{path}: node {name}")
        text = f"# from {Path(path).name}, node {name}\n" + yaml.safe_dump(
            {"name": name, **raw}, sort_keys=False)
        files.append((str(Path(out_dir) / f"{name}.yaml"), text))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_all(files, inputs=[str(path)])
    return [Path(f) for f, _ in files]
