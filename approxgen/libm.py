"""Elementary functions in float64 whose bits are the same on every CPU.

A fit's targets are ``f(q S_in) / S_out``; if their last bits changed from one processor to
another, so could every integer decision taken on them. They do change with the usual kernels:
numpy picks SIMD versions of ``exp``, ``log``, ``tanh``, ``sin``, ``power`` per CPU (AVX2,
AVX-512, SVML), and the C library picks FMA versions of ``exp``, ``log``, ``pow``, ``sin`` and
``atan`` per CPU too. So the functions here are built from correctly rounded operations only
(``+ - * /``, ``sqrt``, ``rint``, ``frexp``, ``ldexp``, comparisons), each a separate numpy call
(nothing can be fused), which IEEE 754 defines bit for bit: range reduction and a polynomial,
accurate to a few units in the last place (checked against the C library in the tests). ``erf``
and ``erfc`` are the C library's, element by element: glibc has one version of them on x86-64
(a test runs them with its CPU-specific variants disabled).
"""

from __future__ import annotations

import math

import numpy as np

LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 bits: k * LN2_HI is exact for |k| < 2^21
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e+00
# pi/2 in three parts of 33 bits each (fdlibm's), so n * part is exact for |n| < 2^20
PIO2 = (1.57079632673412561417e+00, 6.07710050630396597660e-11, 2.02226624871116645580e-21)
PIO2_TAIL = 8.47842766036889956997e-32
INV_PIO2 = 6.36619772367581382433e-01
EXP_MAX, EXP_MIN = 709.782712893383973096, -745.13321910194110842


def _horner(coefs, z):
    """``sum coefs[i] z^i`` by Horner's rule, one rounded operation at a time."""
    acc = np.full(np.shape(z), coefs[-1], dtype=np.float64)
    for c in coefs[-2::-1]:
        acc = acc * z + c
    return acc


_EXP_TAYLOR = [1.0 / math.factorial(n) for n in range(15)]
_EXPM1_TAYLOR = [1.0 / math.factorial(n + 1) for n in range(16)]  # expm1(r) / r
_ATANH_ODD = [1.0 / (2 * n + 3) for n in range(12)]  # (atanh(s) - s) / s^3 in s^2
_ATAN_ODD = [(-1.0) ** n / (2 * n + 1) for n in range(24)]
_SIN_ODD = [(-1.0) ** n / math.factorial(2 * n + 1) for n in range(10)]
_COS_EVEN = [(-1.0) ** n / math.factorial(2 * n) for n in range(10)]


def _arr(x):
    return np.asarray(x, dtype=np.float64)


def exp(x):
    """``e^x``: ``x = k ln 2 + r`` with ``|r| <= ln2 / 2``, Taylor to ``r^14``, ``ldexp`` by k."""
    x = _arr(x)
    with np.errstate(all="ignore"):
        xc = np.clip(np.nan_to_num(x, nan=0.0), EXP_MIN - 1, EXP_MAX + 1)
        k = np.rint(xc * INV_LN2)
        r = (xc - k * LN2_HI) - k * LN2_LO
        y = np.ldexp(_horner(_EXP_TAYLOR, r), k.astype(np.int64))
        y = np.where(x > EXP_MAX, np.inf, np.where(x < EXP_MIN, 0.0, y))
    return np.where(np.isnan(x), np.nan, y)


def expm1(x):
    """``e^x - 1``: a Taylor series near 0 (no cancellation), ``exp(x) - 1`` elsewhere."""
    x = _arr(x)
    with np.errstate(all="ignore"):
        small = np.abs(x) <= 0.34657359
        r = np.where(small, x, 0.0)
        near = r * _horner(_EXPM1_TAYLOR, r)
        far = exp(x) - 1.0
    return np.where(small, near, far)


def log(x):
    """Natural log: ``x = m 2^e`` (``frexp``), ``m`` in [sqrt(1/2), sqrt(2)), ``log m = 2 atanh(s)``
    with ``s = (m - 1) / (m + 1)``; ``-inf`` at 0, ``nan`` below."""
    x = _arr(x)
    with np.errstate(all="ignore"):
        m, e = np.frexp(np.where((x > 0) & np.isfinite(x), x, 1.0))
        low = m < 0.70710678118654752440
        m = np.where(low, m * 2.0, m)
        e = (e - low).astype(np.float64)
        f = m - 1.0
        s = f / (2.0 + f)
        z = s * s
        log_m = 2.0 * s + 2.0 * s * z * _horner(_ATANH_ODD, z)
        y = e * LN2_HI + (log_m + e * LN2_LO)
        y = np.where(x == 0, -np.inf, np.where(x == np.inf, np.inf, y))
    return np.where((x < 0) | np.isnan(x), np.nan, y)


def log1p(x):
    """``log(1 + x)``, exact for tiny ``x``: ``log(u) x / (u - 1)`` with ``u = 1 + x``."""
    x = _arr(x)
    with np.errstate(all="ignore"):
        u = 1.0 + x
        y = np.where(u == 1.0, x, log(u) * (x / (u - 1.0)))
        y = np.where(np.isinf(x) & (x > 0), np.inf, y)
    return np.where(x == -1.0, -np.inf, np.where(x < -1.0, np.nan, y))


def log2(x):
    return log(x) * INV_LN2


def tanh(x):
    """``expm1(2|x|) / (expm1(2|x|) + 2)``, with the sign of ``x``; 1 beyond |x| = 22."""
    x = _arr(x)
    a = np.abs(x)
    with np.errstate(all="ignore"):
        e = expm1(2.0 * np.minimum(a, 22.0))
        t = np.where(a >= 22.0, 1.0, e / (e + 2.0))
    return np.where(np.isnan(x), np.nan, np.copysign(t, x))


def _half_exp(a):
    """``e^a / 2`` for ``a >= 22`` (where ``e^-a`` no longer counts), as ``(e^(a/2) / 2) e^(a/2)``
    so it overflows only where the result does."""
    with np.errstate(all="ignore"):
        half = exp(0.5 * a)
        return (0.5 * half) * half


def sinh(x):
    x = _arr(x)
    a = np.abs(x)
    with np.errstate(all="ignore"):
        e = expm1(np.minimum(a, 22.0))
        h = np.where(a < 22.0, 0.5 * (e + e / (e + 1.0)), _half_exp(a))
    return np.where(np.isnan(x), np.nan, np.copysign(h, x))


def cosh(x):
    x = _arr(x)
    a = np.abs(x)
    with np.errstate(all="ignore"):
        e = exp(np.minimum(a, 22.0))
        return np.where(a < 22.0, 0.5 * (e + 1.0 / e), _half_exp(a))


def _quadrant(x):
    """``x = n pi/2 + r`` with ``|r| <~ pi/4``: ``(n mod 4, r)`` (Cody and Waite's reduction;
    exact while ``|n| < 2^20``, deterministic beyond)."""
    with np.errstate(all="ignore"):
        n = np.rint(x * INV_PIO2)
        r = x - n * PIO2[0]
        r = r - n * PIO2[1]
        r = r - n * PIO2[2]
        r = r - n * PIO2_TAIL
    return np.mod(n, 4.0).astype(np.int64), r


def _sin_cos(r):
    z = r * r
    return r * _horner(_SIN_ODD, z), _horner(_COS_EVEN, z)


def sin(x):
    x = _arr(x)
    finite = np.isfinite(x)
    n, r = _quadrant(np.where(finite, x, 0.0))
    s, c = _sin_cos(r)
    y = np.choose(n, [s, c, -s, -c])
    return np.where(finite, np.where(x == 0, x, y), np.nan)


def cos(x):
    x = _arr(x)
    finite = np.isfinite(x)
    n, r = _quadrant(np.where(finite, x, 0.0))
    s, c = _sin_cos(r)
    y = np.choose(n, [c, -s, -c, s])
    return np.where(finite, y, np.nan)


def atan(x):
    """``atan``: ``|x| > 1`` by ``pi/2 - atan(1/|x|)``, then ``t > tan(pi/8)`` by
    ``pi/4 + atan((t - 1) / (t + 1))``, the odd series on ``|u| <= tan(pi/8)``."""
    x = _arr(x)
    a = np.abs(x)
    with np.errstate(all="ignore"):
        big = a > 1.0
        t = np.where(big, 1.0 / np.where(big, a, 1.0), a)
        mid = t > 0.41421356237309504880
        u = np.where(mid, (t - 1.0) / (t + 1.0), t)
        base = np.where(mid, math.pi / 4, 0.0)
        v = base + u * _horner(_ATAN_ODD, u * u)
        y = np.where(big, math.pi / 2 - v, v)
    return np.where(np.isnan(x), np.nan, np.copysign(y, x))


def power(a, b):
    """``a ** b``: by multiplications (each one rounded) for integer ``|b| <= 1024``,
    ``exp(b log a)`` otherwise; numpy's values at the edges (``nan`` for a negative base and a
    non-integer exponent, ``inf`` for 0 to a negative power)."""
    a, b = np.broadcast_arrays(_arr(a), _arr(b))
    with np.errstate(all="ignore"):
        integer = (b == np.rint(b)) & (np.abs(b) <= 1024)
        n = np.where(integer, np.abs(b), 0).astype(np.int64)
        result, base = np.ones(a.shape), a.copy()
        for _ in range(11):  # binary exponentiation, 2^11 > 1024
            result = np.where(n & 1, result * base, result)
            base = base * base
            n = n >> 1
        by_mult = np.where(b < 0, 1.0 / result, result)
        general = exp(b * log(np.abs(a)))
        odd = integer & (np.mod(np.abs(b), 2.0) == 1.0)
        general = np.where((a < 0) & ~integer & np.isfinite(b), np.nan,
                           np.where((a < 0) & odd, -general, general))
        general = np.where(a == 0, np.where(b < 0, np.inf, np.where(b == 0, 1.0, 0.0)),
                           general)
    return np.where(integer, by_mult, general)


def logaddexp0(x):
    """``log(1 + e^x)`` without overflow: ``max(x, 0) + log1p(e^-|x|)``."""
    x = _arr(x)
    return np.maximum(x, 0.0) + log1p(exp(-np.abs(x)))


_ERF = np.frompyfunc(math.erf, 1, 1)
_ERFC = np.frompyfunc(math.erfc, 1, 1)


def erf(x):
    """The error function, the C library's element by element (scipy would cost ~0.4 s of
    imports to every command that loads an artifact)."""
    return np.asarray(_ERF(_arr(x)), dtype=np.float64)


def erfc(x):
    return np.asarray(_ERFC(_arr(x)), dtype=np.float64)


def expit(x):
    """The logistic sigmoid 1 / (1 + e^-x), without overflow: e^-|x| only."""
    x = np.asarray(x, dtype=np.float64)
    e = exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
