"""The expr parser evaluates the allowed vocabulary and refuses everything else."""

import numpy as np
import pytest
from scipy import special

from approxgen.errors import ApproxgenError
from approxgen.expr import compile_expr

X = np.linspace(-3, 3, 13)


@pytest.mark.parametrize("text, expected", [
    ("x * sigmoid(1.702 * x)", X * special.expit(1.702 * X)),
    ("0.5 * x * (1 + erf(x / sqrt(2)))", 0.5 * X * (1 + special.erf(X / np.sqrt(2)))),
    ("-x ** 2 + pi", -X ** 2 + np.pi),
    ("max(x, 0) + min(x, 0) * e", np.maximum(X, 0) + np.minimum(X, 0) * np.e),
    ("where(x > 0, x, expm1(x))", np.where(X > 0, X, np.expm1(X))),
    ("2", np.full_like(X, 2.0)),  # refused below: constant expressions do not use x
])
def test_expressions_evaluate(text, expected):
    if "x" not in text:
        with pytest.raises(ApproxgenError, match="must use the variable x"):
            compile_expr(text)
        return
    np.testing.assert_allclose(compile_expr(text)(X), expected)


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo pwned')",
    "x.real",
    "().__class__.__bases__",
    "open('/etc/passwd')",
    "eval('1')",
    "[x for x in y]",
    "lambda: 1",
    "x['a']",
    "'text'",
    "np.exp(x)",
    "exp(x=1)",
    "y + 1",
    "True + x",
    "x if x else 1",
])
def test_unsafe_or_unknown_expressions_are_refused(text):
    with pytest.raises(ApproxgenError, match="not allowed") as info:
        compile_expr(text, "spec.yaml: expr")
    assert info.value.where == "spec.yaml: expr"


def test_syntax_error_is_reported():
    with pytest.raises(ApproxgenError, match="not a valid expression"):
        compile_expr("x +* 2")
