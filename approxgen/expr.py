"""A safe parser for custom function expressions such as ``x * sigmoid(1.702 * x)``.

The expression is parsed with :mod:`ast` and walked node by node into a numpy evaluator (its
elementary functions come from :mod:`approxgen.libm`: the same bits on every CPU); nothing is
ever passed to ``eval``. Only numbers, the variable ``x``, the constants ``pi`` and ``e``, the
arithmetic operators and the functions in :data:`FUNCTIONS` are accepted.
"""

from __future__ import annotations

import ast
from typing import Callable

import numpy as np

from approxgen import libm
from approxgen.errors import ApproxgenError
from approxgen.libm import erf as _erf, erfc as _erfc, expit as _expit

# name -> (function, number of arguments): each takes exactly these positional arguments.
SIGNATURES: dict[str, tuple[Callable, int]] = {
    "exp": (libm.exp, 1), "expm1": (libm.expm1, 1), "log": (libm.log, 1),
    "log1p": (libm.log1p, 1), "log2": (libm.log2, 1), "sqrt": (np.sqrt, 1), "abs": (np.abs, 1),
    "sign": (np.sign, 1), "floor": (np.floor, 1), "ceil": (np.ceil, 1), "tanh": (libm.tanh, 1),
    "sinh": (libm.sinh, 1), "cosh": (libm.cosh, 1), "sin": (libm.sin, 1), "cos": (libm.cos, 1),
    "atan": (libm.atan, 1),
    "erf": (_erf, 1), "erfc": (_erfc, 1), "sigmoid": (_expit, 1),
    "min": (np.minimum, 2), "max": (np.maximum, 2), "clip": (np.clip, 3),
    "where": (np.where, 3),
}
FUNCTIONS: dict[str, Callable] = {name: fn for name, (fn, _) in SIGNATURES.items()}
CONSTANTS = {"pi": np.pi, "e": np.e}
MAX_DEPTH = 100  # nesting of the expression tree (a deeper one is refused, not recursed into)
_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.true_divide, ast.Pow: libm.power}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
_COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater,
            ast.GtE: np.greater_equal}


def compile_expr(text: str, where: str | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Parse ``text`` into a vectorized function of ``x``; raise ApproxgenError if unsafe/invalid.

    Everything is computed in float64 (a comparison gives 1.0 or 0.0). Sub-expressions without
    ``x`` are computed once here and must be finite real numbers (``1/0``, ``10.0**400``,
    ``(-1)**0.5`` are refused)."""
    if not isinstance(text, str) or not text.strip():
        raise ApproxgenError("expr must be a non-empty string", where)
    if len(text) > 2000:
        raise ApproxgenError("expr is too long (over 2000 characters)", where)
    if not all(ch.isprintable() or ch in "\n\t" for ch in text):
        raise ApproxgenError("expr holds a control character", where)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ApproxgenError(f"expr is not a valid expression: {exc.msg}", where) from None
    except (RecursionError, MemoryError):
        raise ApproxgenError("expr is nested too deeply", where) from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ApproxgenError(f"expr is nested more than {MAX_DEPTH} levels deep", where)
    build = _Builder(where)
    fn = build.node(tree.body)
    if not build.uses_x:
        raise ApproxgenError("expr must use the variable x", where)

    def evaluate(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(x), dtype=np.float64), np.shape(x)).copy()

    return evaluate


def _depth(root) -> int:
    """Depth of an AST, iteratively (a hostile one must not exhaust the stack)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


class _Const:
    """A folded constant sub-expression (a finite float64)."""

    def __init__(self, value):
        self.value = np.float64(value)

    def __call__(self, x):
        return self.value


class _Builder:
    def __init__(self, where):
        self.where = where
        self.uses_x = False

    def refuse(self, what: str):
        allowed = ", ".join(sorted(FUNCTIONS))
        raise ApproxgenError(f"{what} is not allowed (use x, numbers, pi, e, + - * / ** "
                             f"and the functions {allowed})", self.where)

    def combine(self, node, func, parts):
        """``func`` of the parts; folded now (and checked finite) when no part depends on x."""
        if all(isinstance(p, _Const) for p in parts):
            with np.errstate(all="ignore"):
                value = np.asarray(func(*(p.value for p in parts)))
            if value.dtype.kind not in "biuf" or not np.all(np.isfinite(value)):
                raise ApproxgenError(f"the constant '{ast.unparse(node)}' is not a finite real "
                                     f"number", self.where)
            return _Const(value.astype(np.float64))
        return lambda x: func(*(p(x) for p in parts))

    def node(self, node):  # noqa: C901 - one branch per accepted node type
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                self.refuse(f"the constant {node.value!r}")
            try:
                value = float(node.value)
            except OverflowError:
                value = float("inf")
            if not np.isfinite(value):
                raise ApproxgenError(f"the constant {ast.unparse(node)[:40]} is not a finite "
                                     f"float64 number", self.where)
            return _Const(value)
        if isinstance(node, ast.Name):
            if node.id == "x":
                self.uses_x = True
                return lambda x: x
            if node.id in CONSTANTS:
                return _Const(CONSTANTS[node.id])
            self.refuse(f"the name {node.id!r}")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            parts = [self.node(node.left), self.node(node.right)]
            return self.combine(node, _BINARY[type(node.op)], parts)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return self.combine(node, _UNARY[type(node.op)], [self.node(node.operand)])
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            op = _COMPARE[type(node.ops[0])]
            parts = [self.node(node.left), self.node(node.comparators[0])]
            return self.combine(node, lambda a, b: op(a, b).astype(np.float64), parts)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                self.refuse(f"calling {name!r}")
            if node.keywords:
                self.refuse("a keyword argument")
            if any(isinstance(a, ast.Starred) for a in node.args):
                self.refuse("a starred argument")
            func, count = SIGNATURES[node.func.id]
            if len(node.args) != count:
                raise ApproxgenError(f"{node.func.id}() takes exactly {count} argument"
                                     f"{'s' if count > 1 else ''} ({node.func.id}"
                                     f"({', '.join('abc'[:count])})), got {len(node.args)}",
                                     self.where)
            if node.func.id == "where":
                func = _where
            return self.combine(node, func, [self.node(a) for a in node.args])
        self.refuse(f"'{ast.unparse(node)}'")


def _where(cond, a, b):
    """``where(c, a, b)``: ``a`` where ``c`` is non-zero (true), else ``b``."""
    return np.where(np.asarray(cond) != 0, a, b)
