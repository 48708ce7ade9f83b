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
from approxgen.emit import cell as emit_cell
from approxgen.emit import provenance
from approxgen.forms.quadratic import COEFFICIENTS

TARGET = "vectors"  # a data file: it reserves no name
HELP = ("Golden vectors ($readmemh) for every input code: x, y (pwl: slope, intercept;\n"
        "    quadratic: a, b, c, origin).")
OUTPUT_HELP = "Vector file to write (default: stdout)."


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
    named += cell(forms.of(model)).vector_fields(model)
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
    values.update(cell(forms.of(model)).vector_values(model, x))
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


BUILD_FILES = ((".hex", render),)  # approxgen build: NAME.hex


# --- the fields of each form -----------------------------------------------------------------

class FormVectors:
    """The vector fields of one form beyond ``x`` and ``y`` (filed under its
    :attr:`~approxgen.forms.Form.key` in :data:`CELLS`; the default: none)."""

    def __init__(self, form):
        self.form = form

    def vector_fields(self, model) -> list[tuple[str, int, bool]]:
        """Extra vector fields after x and y: (name, bits, signed)."""
        return []

    def vector_values(self, model, x: np.ndarray) -> dict[str, np.ndarray]:
        """Values of :meth:`vector_fields` for every code ``x``."""
        return {}


class PwlVectors(FormVectors):
    def vector_fields(self, model) -> list[tuple[str, int, bool]]:
        return [("slope", model.slope_bits, True), ("intercept", model.intercept_bits, True)]

    def vector_values(self, model, x: np.ndarray) -> dict[str, np.ndarray]:
        idx = model.segment_index(x)
        return {"slope": np.asarray(model.slopes, dtype=np.int64)[idx],
                "intercept": np.asarray(model.intercepts, dtype=np.int64)[idx]}


class QuadraticVectors(FormVectors):
    def vector_fields(self, model) -> list[tuple[str, int, bool]]:
        return [*((k, getattr(model, f"{k}_bits"), True) for k in COEFFICIENTS),
                ("origin", model.input.bits, model.input.signed)]

    def vector_values(self, model, x: np.ndarray) -> dict[str, np.ndarray]:
        idx = model.segment_index(x)
        values = {k: np.asarray(getattr(model, k), dtype=np.int64)[idx] for k in COEFFICIENTS}
        values["origin"] = np.asarray(model.origins, dtype=np.int64)[idx]
        return values


class FoldedVectors(FormVectors):
    """A folded model: the inner form's fields, at ``h = |x|``."""

    def __init__(self, form):
        super().__init__(form)
        self.inner = cell(form.inner)

    def vector_fields(self, model) -> list[tuple[str, int, bool]]:
        return self.inner.vector_fields(model.inner)  # the half's, at h = |x|

    def vector_values(self, model, x: np.ndarray) -> dict[str, np.ndarray]:
        return self.inner.vector_values(model.inner, np.abs(np.asarray(x, dtype=np.int64)))


# The fields of each form, by its key; a form without an entry has no vectors (emit.unsupported).
CELLS = {"pwl": PwlVectors, "table": FormVectors, "quadratic": QuadraticVectors,
         "ibert": FormVectors, "interp": FormVectors, "folded": FoldedVectors}


def cell(form) -> FormVectors:
    """The vector fields of ``form`` (a Form plug-in), or the one refusal where there is none."""
    return emit_cell(CELLS, form, TARGET)
