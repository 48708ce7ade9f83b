"""Reference functions in float64, with the defaults a spec falls back on.

Each built-in knows its input ``range`` (the real interval the input format should cover, half-open
at the top; a default power-of-two scale is derived from it), whether its input is signed, and its
default fitting ``domain`` (the real interval, closed, whose codes are fitted and measured; ``None``
means every input code), and its ``symmetry`` when it has one (:class:`Symmetry`, used by
``fold``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from approxgen import libm
from approxgen.errors import ApproxgenError


@dataclass(frozen=True)
class Symmetry:
    """``f(-x) = a0 + s * f(x) + b * x`` for every x (``s`` is +1 or -1): odd (tanh: 0, -1, 0),
    point-symmetric (sigmoid: 1, -1, 0), or "minus x" (gelu, silu: 0, +1, -1)."""

    kind: str
    a0: int
    s: int
    b: int


ODD = Symmetry("odd", 0, -1, 0)
POINT_1 = Symmetry("point-symmetric", 1, -1, 0)
MINUS_X = Symmetry("minus-x", 0, 1, -1)


@dataclass(frozen=True)
class Function:
    name: str
    description: str
    evaluate: Callable[[np.ndarray], np.ndarray]
    input_range: tuple[float, float] | None = None
    input_signed: bool = True
    domain: tuple[float, float] | None = None
    expr: str | None = None
    symmetry: Symmetry | None = None

    def __reduce__(self):
        """Pickled by its fields; an expression's compiled ``evaluate`` (a closure) is compiled
        again from ``expr`` (so a spec can be sent to a worker process)."""
        if self.expr is None:
            return object.__reduce__(self)
        fields = {k: v for k, v in self.__dict__.items() if k != "evaluate"}
        return _function_of_expr, (fields,)


def _function_of_expr(fields: dict) -> Function:
    """A :class:`Function` of an expression from its fields but ``evaluate``."""
    from approxgen.expr import compile_expr

    return Function(evaluate=compile_expr(fields["expr"]), **fields)


erf, erfc = libm.erf, libm.erfc  # the C library's, element-wise (no scipy at start-up)


expit = libm.expit


def _gelu(x):
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _silu(x):
    return x * expit(x)


def _hswish(x):
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _softplus(x):
    return libm.logaddexp0(x)


def _mish(x):
    return x * libm.tanh(_softplus(x))


def _elu(x):
    return np.where(x > 0, x, libm.expm1(np.minimum(x, 0.0)))


def _recip(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / x


def _rsqrt(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / np.sqrt(x)


_BUILTINS = [
    Function("gelu", "x * Phi(x), the exact erf form", _gelu, (-8.0, 8.0), symmetry=MINUS_X),
    Function("silu", "x * sigmoid(x) (alias swish)", _silu, (-8.0, 8.0), symmetry=MINUS_X),
    Function("hswish", "x * relu6(x + 3) / 6", _hswish, (-8.0, 8.0), symmetry=MINUS_X),
    Function("sigmoid", "1 / (1 + exp(-x))", expit, (-8.0, 8.0), symmetry=POINT_1),
    Function("tanh", "tanh(x)", libm.tanh, (-4.0, 4.0), symmetry=ODD),
    Function("exp", "exp(x) on x <= 0, as in softmax after max subtraction", libm.exp,
             (-8.0, 8.0), domain=(-8.0, 0.0)),
    Function("recip", "1 / x", _recip, (0.0, 4.0), input_signed=False, domain=(0.5, 4.0)),
    Function("rsqrt", "1 / sqrt(x), as in LayerNorm", _rsqrt, (0.0, 4.0), input_signed=False,
             domain=(0.25, 4.0)),
    Function("softplus", "log(1 + exp(x))", _softplus, (-8.0, 8.0), symmetry=MINUS_X),
    Function("mish", "x * tanh(softplus(x))", _mish, (-8.0, 8.0)),
    Function("elu", "x if x > 0 else exp(x) - 1", _elu, (-8.0, 8.0)),
]
BUILTINS: dict[str, Function] = {f.name: f for f in _BUILTINS}
ALIASES = {"swish": "silu", "hardswish": "hswish", "reciprocal": "recip"}


def lookup(name: str, where: str | None = None) -> Function:
    """Return the built-in called ``name`` (or an alias of it)."""
    key = ALIASES.get(str(name).lower(), str(name).lower())
    if key not in BUILTINS:
        known = ", ".join(list(BUILTINS) + list(ALIASES))
        raise ApproxgenError(f"unknown function {name!r} (known: {known}; or give expr:)", where)
    return BUILTINS[key]


def from_expr(text: str, where: str | None = None) -> Function:
    """A custom function from a safe expression in ``x`` (see :mod:`approxgen.expr`)."""
    from approxgen.expr import compile_expr

    return Function("expr", text, compile_expr(text, where), expr=text)
