"""``form: table``: the correctly rounded exact table, ``y = T[clamp(q, lo, hi) - lo]`` over the
domain codes (a ROM in Verilog, a ``static const`` array in C)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.fixedpoint import IntFormat
from approxgen.forms import Form, json_int, json_ints


@dataclass(frozen=True)
class TableModel:
    """The exact table: ``values[i]`` is the output code of input code ``lo_code + i`` (the
    correctly rounded f over the domain codes); codes outside clamp to the nearest end."""

    input: IntFormat
    output: IntFormat
    lo_code: int
    values: tuple[int, ...]

    form = "table"

    @property
    def hi_code(self) -> int:
        return self.lo_code + len(self.values) - 1

    def evaluate(self, q) -> np.ndarray:
        q = np.asarray(q, dtype=np.int64)
        table = np.asarray(self.values, dtype=np.int64)
        return table[np.clip(q, self.lo_code, self.hi_code) - self.lo_code]

    def to_json(self) -> dict:
        return {"form": "table", "lo_code": self.lo_code, "values": list(self.values)}

    @classmethod
    def from_json(cls, data: dict, inp: IntFormat, out: IntFormat) -> "TableModel":
        model = cls(inp, out, json_int(data, "lo_code"), tuple(json_ints(data, "values")))
        model.check()
        return model

    def check(self) -> None:
        if not self.values:
            raise ApproxgenError("table has no values")
        if self.lo_code < self.input.min_code or self.hi_code > self.input.max_code:
            raise ApproxgenError("table codes lie outside the input code range")
        if min(self.values) < self.output.min_code or max(self.values) > self.output.max_code:
            raise ApproxgenError("a table value does not fit the output format")


class TableForm(Form):
    """The ``table`` plug-in: the correctly rounded :class:`TableModel` (no search)."""

    name = "table"
    model_class = TableModel

    def fit(self, spec, progress: bool, weights=None):
        from approxgen.metrics import correctly_rounded

        floor = correctly_rounded(spec.reference(spec.domain_codes()), spec.output)
        model = TableModel(spec.input, spec.output, spec.domain[0], tuple(int(v) for v in floor))
        return model, {"method": "table", "seed": spec.seed, "settings": {}, "notes": []}

    def disagreement(self, model, spec) -> str | None:
        lo, hi = spec.domain
        if (model.lo_code, model.hi_code) != (lo, hi):
            return f"the table covers codes {model.lo_code}..{model.hi_code}, the domain {lo}..{hi}"
        return None

    def provenance_line(self, fit) -> str:
        return "form table (correctly rounded)"

    def integers_line(self, model, spec) -> str:
        return f"{len(model.values)} table entries of {spec.output.bits} b"

    def markdown_lines(self, fit) -> list[str]:
        return [f"- form: table (correctly rounded), {len(fit.model.values)} entries of "
                f"{fit.spec.output.bits} b"]

    def segment_table(self, fit) -> str:
        m = fit.model
        return f"table of {len(m.values)} entries, codes {m.lo_code}..{m.hi_code}"


FORM = TableForm()
