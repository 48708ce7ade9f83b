"""range_reduction: exp2 against the plain fit (issue 23 section 1): exp on int16 input (scale
2^-11, domain -16..0) to uint16 (2^-16), form quadratic, 16 segments. Max error over every
domain code, C table bytes, ns/element (gcc -O2, every code in random order; kernel_timing).
Writes benchmarks/results/range_reduction.md."""

from __future__ import annotations

from pathlib import Path

import approxgen.api as api
from approxgen.emit.c import header_table_bytes, render
from approxgen.metrics import measure
from kernel_timing import measure as time_kernels

SPEC = {"function": "exp", "input": {"bits": 16, "signed": True, "scale": "2^-11"},
        "output": {"bits": 16, "signed": False, "scale": "2^-16"}, "domain": [-16, 0],
        "form": "quadratic", "segments": 16}
RESULT = Path(__file__).resolve().parent / "results" / "range_reduction.md"


def main() -> None:
    rows, kernels = [], []
    for label, extra in (("none", {}), ("exp2", {"range_reduction": "exp2"})):
        fit = api.fit({**SPEC, "name": f"exp_rr_{label}", **extra})
        codes = fit.spec.domain_codes()
        err = measure(fit.model.evaluate(codes), fit.spec.reference(codes), fit.spec.output)
        header = render(fit)
        rows.append((label, err["max_error_lsb"], err["mse"], header_table_bytes(header)))
        kernels.append((label, header, fit.spec.name, "int16_t", "uint16_t"))
    timing = time_kernels(kernels, callgrind=False)
    lines = ["exp, int16 (2^-11, domain -16..0) -> uint16 (2^-16), quadratic 16 segments; "
             "errors over every domain code (32769), gcc -O2 x86-64, ns/element:",
             "", "| range_reduction | max error (LSB) | MSE (real) | C table bytes | "
             "array ns/el | scalar ns/el |", "|---|---|---|---|---|---|"]
    for label, max_err, mse, size in rows:
        t = timing[label]
        lines.append(f"| {label} | {max_err:.3f} | {mse:.3g} | {size} | {t['array_ns']:.2f} | "
                     f"{t['scalar_ns']:.2f} |")
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
