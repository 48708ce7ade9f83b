"""Golden test vectors: one ``$readmemh`` word per input code, computed by the golden model.

Each line holds the fields of :func:`fields` in order, each zero-padded to whole hex digits and
separated by ``_`` (``$readmemh`` ignores underscores): the input code ``x``, the output ``y`` and
the form's own fields (pwl: the ``slope`` and ``intercept`` the segment decoder selects for
``x``; quadratic: ``a``, ``b``, ``c``, ``origin``). Lines run over
every input code, ascending from the format's smallest code. The test bench
(:func:`approxgen.emit.verilog.render_testbench`) slices the same fields out of each word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen import forms
from approxgen.emit import provenance

TARGET = "vectors"  # a data file: it reserves no name


@dataclass(frozen=True)
class Field:
    name: str
    bits: int  # meaningful bits
    signed: bool  # two's complement
    lo: int  # position of the field's least significant bit in the word

    @property
    def digits(self) -> int:
        return (self.bits + 3) // 4

    @property
    def hi(self) -> int:
        return self.lo + self.bits - 1


def fields(fit) -> list[Field]:
    """The fields of a vector word, most significant first."""
    spec, model = fit.spec, fit.model
    named = [("x", spec.input.bits, spec.input.signed), ("y", spec.output.bits, spec.output.signed)]
    named += forms.of(model).vector_fields(model)
    out, lo = [], 0
    for name, bits, signed in reversed(named):
        out.append(Field(name, bits, signed, lo))
        lo += 4 * ((bits + 3) // 4)
    return out[::-1]


def word_bits(fit) -> int:
    return sum(4 * f.digits for f in fields(fit))


def golden(fit) -> dict[str, np.ndarray]:
    """Every input code and what the golden model gives for it, per field."""
    model = fit.model
    x = fit.spec.input.codes()
    values = {"x": x, "y": model.evaluate(x)}
    values.update(forms.of(model).vector_values(model, x))
    return values


def render(fit) -> str:
    """The vector file: provenance and layout as ``//`` comments, then one word per code."""
    layout = fields(fit)
    values = golden(fit)
    columns = []
    for f in layout:
        masked = values[f.name] & ((1 << f.bits) - 1)
        columns.append([format(int(v), f"0{f.digits}x") for v in masked])
    lines = [f"// {line}" for line in provenance(fit)]
    lines.append(f"// {len(values['x'])} words of {word_bits(fit)} bits, one per input code "
                 f"from {fit.spec.input.min_code} up: "
                 + "_".join(f"{f.name}[{f.bits}]" for f in layout)
                 + " (two's complement, zero-padded to hex digits)")
    lines += ["_".join(row) for row in zip(*columns)]
    return "\n".join(lines) + "\n"
