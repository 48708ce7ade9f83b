"""``form: ibert``: I-BERT's integer-only GELU and exp (Kim et al., 2021, "I-BERT: Integer-only
BERT Quantization"), side by side with approxgen's own forms.

Constants come from the input scale ``S`` exactly as the paper's I-POLY defines them: for
``a(x + b)^2 + c`` on ``(q, S)``, ``q_b = floor(b / S)``, ``q_c = floor(c / (a S^2))``, result
scale ``a S^2``.

* i-GELU (``a = -0.2888, b = -1.769, c = 1``): the erf polynomial runs on ``x / sqrt 2``
  (``S_e = S_in / sqrt 2``): ``t = min(|q|, -q_b)``, ``L = (t + q_b)^2 + q_c``, ``erf = sgn(q) L``
  (scale ``S_erf = a S_e^2``), ``q_1 = floor(1 / S_erf)``, ``g = q (erf + q_1)`` at scale
  ``S_in S_erf / 2``.
* i-exp (``a = 0.3585, b = 1.353, c = 0.344``; ``x <= 0``, codes above 0 are clamped to 0):
  ``q_ln2 = floor(ln 2 / S)``, ``z = floor(-q / q_ln2)``, ``r = q + z q_ln2``,
  ``L = (r + q_b)^2 + q_c``, ``e = L >> z`` at scale ``a S^2``.

The result is requantized to the output format with one integer multiply and a rounding shift,
``y = sat((v m + 2^(k-1)) >> k)``, ``m / 2^k`` the ratio of the scales (``m`` of the output's bits
+ :data:`M_BITS`, at most 31, and within the int64 golden model). Used on int8 codes directly the
constants are coarse (``q_b`` of a few tens); the benchmark reports what that gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat, fits_signed, saturate, signed_bits
from approxgen.forms import MAX_ACC_BITS, Form, json_int

GELU = (-0.2888, -1.769, 1.0)
EXP = (0.3585, 1.353, 0.344)
KINDS = ("gelu", "exp")
M_BITS = 8  # the multiplier's bits beyond the output's: its rounding costs <= 2^-M_BITS LSB


@dataclass(frozen=True)
class IbertModel:
    """I-BERT's integer-only ``kind`` (gelu or exp, Kim et al. 2021): the second-order
    polynomial constants ``q_b``, ``q_c`` and ``q_1`` the input scale fixes, and the requantize
    ``y = sat((v * multiplier + 2^(shift-1)) >> shift)`` into the output format (see the module
    doc for ``v``)."""

    input: IntFormat
    output: IntFormat
    kind: str  # "gelu" or "exp"
    q_b: int
    q_c: int
    q_1: int  # gelu: floor(1 / S_erf); exp: q_ln2
    multiplier: int  # m
    shift: int  # k

    form = "ibert"

    def intermediates(self, q) -> dict[str, np.ndarray]:
        """Every intermediate for codes ``q`` (int64 arrays); ``v`` is the unrequantized value."""
        q = np.asarray(q, dtype=np.int64)
        out: dict[str, np.ndarray] = {}
        if self.kind == "gelu":
            neg = q < 0
            t = np.minimum(np.abs(q), -self.q_b)
            u = t + self.q_b
            L = u * u + self.q_c
            erf = np.where(neg, -L, L)
            s = erf + self.q_1
            v = q * s
            out.update(t=t, u=u, L=L, erf=erf, s=s)
        else:
            qn = np.minimum(q, 0)
            z = (-qn) // self.q_1
            r = qn + z * self.q_1
            u = r + self.q_b
            L = u * u + self.q_c
            v = L >> np.minimum(z, MAX_ACC_BITS)
            out.update(qn=qn, z=z, r=r, u=u, L=L)
        rounding = (1 << (self.shift - 1)) if self.shift else 0
        acc = v * self.multiplier + rounding
        shifted = acc >> self.shift
        out.update(v=v, acc=acc, shifted=shifted, y=saturate(shifted, self.output))
        return out

    def evaluate(self, q) -> np.ndarray:
        return self.intermediates(q)["y"]

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Exact (min, max) of every intermediate over every input code."""
        v = self.intermediates(self.input.codes())
        return {k: (int(a.min()), int(a.max())) for k, a in v.items() if k != "y"}

    def bits(self) -> dict[str, int]:
        return {k: signed_bits(*r) for k, r in self.ranges().items()}

    def to_json(self) -> dict:
        return {"form": "ibert", "kind": self.kind, "q_b": self.q_b, "q_c": self.q_c,
                "q_1": self.q_1, "multiplier": self.multiplier, "shift": self.shift,
                "acc_bits": self.bits()["acc"]}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "IbertModel":
        kind = data.get("kind")
        if kind not in KINDS:
            raise ApproxgenError(f"model.kind must be one of {', '.join(KINDS)}")
        model = cls(inp, out, kind, *(json_int(data, k) for k in ("q_b", "q_c", "q_1",
                                                                     "multiplier", "shift")))
        model.check()
        return model

    def check(self) -> None:
        if not fits_signed([self.q_b, self.q_c, self.q_1, self.multiplier], 32 + MAX_ACC_BITS // 2):
            raise ApproxgenError("ibert constants must be below 2^62 in magnitude")
        if not 0 <= self.shift <= MAX_ACC_BITS:
            raise ApproxgenError(f"ibert shift must be in 0..{MAX_ACC_BITS}")
        if self.kind == "exp" and self.q_1 < 1:
            raise ApproxgenError("ibert exp needs q_ln2 >= 1 (an input scale below ln 2)")
        if self.kind == "gelu" and self.q_b > 0:
            raise ApproxgenError("ibert gelu needs q_b <= 0")
        if max(self.bits().values()) > MAX_ACC_BITS:
            raise ApproxgenError(f"an intermediate would need more than {MAX_ACC_BITS} bits")


def constants(kind: str, inp: IntFormat, out: IntFormat) -> IbertModel:
    """The paper's integer constants for input scale ``inp.scale`` and the requantization."""
    if kind == "gelu":
        a, b, c = GELU
        s = inp.scale / math.sqrt(2.0)
        s_erf = a * s * s
        q_b, q_c = math.floor(b / s), math.floor(c / s_erf)
        q_1 = math.floor(1.0 / s_erf)
        scale = inp.scale * s_erf / 2.0
    else:
        a, b, c = EXP
        s = inp.scale
        q_1 = math.floor(math.log(2.0) / s)
        if q_1 < 1:
            raise ApproxgenError("ibert exp needs an input scale below ln 2")
        q_b, q_c = math.floor(b / s), math.floor(c / (a * s * s))
        scale = a * s * s
    ratio = scale / out.scale
    base = IbertModel(inp, out, kind, q_b, q_c, q_1, 0, 0)
    v_lo, v_hi = base.ranges()["v"]
    v_max = max(abs(v_lo), abs(v_hi), 1)
    shift = 0
    for k in range(MAX_ACC_BITS, -1, -1):
        m = round(ratio * 2.0 ** k)
        product = v_max * abs(m)
        if abs(m) < 1 << min(31, out.bits + M_BITS) and signed_bits(-product, product) + 1 \
                <= MAX_ACC_BITS:
            shift = k
            break
    model = IbertModel(inp, out, kind, q_b, q_c, q_1, round(ratio * 2.0 ** shift), shift)
    model.check()
    return model


class IbertForm(Form):
    """The ``ibert`` plug-in: I-BERT's closed-form :class:`IbertModel` (gelu and exp only; never
    folded)."""

    foldable = False  # a fixed closed form over the whole range
    name = "ibert"
    model_class = IbertModel

    def supports(self, function) -> bool:
        return not function.expr and function.name in KINDS

    def fit(self, spec, progress: bool, weights=None):
        fn = spec.function
        if not self.supports(fn):
            raise ApproxgenError(f"form ibert computes I-BERT's {' and '.join(KINDS)}, not "
                                 f"{fn.expr and 'an expr' or fn.name}", spec.at("form"))
        model = constants(fn.name, spec.input, spec.output)
        return model, {"method": "ibert", "seed": spec.seed, "settings": {}, "notes": []}

    def disagreement(self, model, spec) -> str | None:
        try:
            expected = constants(model.kind, spec.input, spec.output)
        except ApproxgenError as exc:
            return exc.message
        if spec.function.name != model.kind or model != expected:
            return "the constants are not I-BERT's for this spec's function and scales"
        return None

    def provenance_line(self, fit) -> str:
        return f"form ibert (I-BERT integer-only {fit.model.kind}, Kim et al. 2021)"

    def integers_line(self, model, spec) -> str:
        return (f"q_b {model.q_b}, q_c {model.q_c}, {'q_1' if model.kind == 'gelu' else 'q_ln2'} "
                f"{model.q_1}, requantize * {model.multiplier} >> {model.shift}, accumulator "
                f"{model.bits()['acc']} b")

    def markdown_lines(self, fit) -> list[str]:
        return [f"- form: {self.provenance_line(fit)[5:]}",
                f"- integers: {self.integers_line(fit.model, fit.spec)}"]

    def segment_table(self, fit) -> str:
        return self.integers_line(fit.model, fit.spec)


FORM = IbertForm()
