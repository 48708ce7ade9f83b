"""A safe parser for custom function expressions such as ``x * sigmoid(1.702 * x)``.

The expression is parsed with :mod:`ast` and walked node by node into a numpy evaluator; nothing is
ever passed to ``eval``. Only numbers, the variable ``x``, the constants ``pi`` and ``e``, the
arithmetic operators and the functions in :data:`FUNCTIONS` are accepted.
"""

from __future__ import annotations

import ast
import operator
from typing import Callable

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.functions import erf as _erf, erfc as _erfc, expit as _expit



FUNCTIONS: dict[str, Callable] = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
    "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "sin": np.sin, "cos": np.cos,
    "atan": np.arctan, "erf": _erf, "erfc": _erfc, "sigmoid": _expit,
    "min": np.minimum, "max": np.maximum, "clip": np.clip, "where": np.where,
}
CONSTANTS = {"pi": np.pi, "e": np.e}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


def compile_expr(text: str, where: str | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Parse ``text`` into a vectorized function of ``x``; raise ApproxgenError if unsafe/invalid."""
    if not isinstance(text, str) or not text.strip():
        raise ApproxgenError("expr must be a non-empty string", where)
    if len(text) > 2000:
        raise ApproxgenError("expr is too long (over 2000 characters)", where)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ApproxgenError(f"expr is not a valid expression: {exc.msg}", where) from None
    build = _Builder(where)
    fn = build.node(tree.body)
    if not build.uses_x:
        raise ApproxgenError("expr must use the variable x", where)

    def evaluate(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(x), dtype=np.float64), np.shape(x)).copy()

    return evaluate


class _Builder:
    def __init__(self, where):
        self.where = where
        self.uses_x = False

    def refuse(self, what: str):
        allowed = ", ".join(sorted(FUNCTIONS))
        raise ApproxgenError(f"{what} is not allowed (use x, numbers, pi, e, + - * / ** "
                             f"and the functions {allowed})", self.where)

    def node(self, node):  # noqa: C901 - one branch per accepted node type
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                self.refuse(f"the constant {node.value!r}")
            value = float(node.value)
            return lambda x: value
        if isinstance(node, ast.Name):
            if node.id == "x":
                self.uses_x = True
                return lambda x: x
            if node.id in CONSTANTS:
                value = CONSTANTS[node.id]
                return lambda x: value
            self.refuse(f"the name {node.id!r}")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op, left, right = _BINARY[type(node.op)], self.node(node.left), self.node(node.right)
            return lambda x: op(left(x), right(x))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            op, operand = _UNARY[type(node.op)], self.node(node.operand)
            return lambda x: op(operand(x))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            op = _COMPARE[type(node.ops[0])]
            left, right = self.node(node.left), self.node(node.comparators[0])
            return lambda x: op(left(x), right(x))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                self.refuse(f"calling {name!r}")
            if node.keywords:
                self.refuse("a keyword argument")
            func, args = FUNCTIONS[node.func.id], [self.node(a) for a in node.args]
            if not args:
                self.refuse(f"calling {node.func.id!r} without arguments")
            return lambda x: func(*(a(x) for a in args))
        self.refuse(f"'{ast.unparse(node)}'")
