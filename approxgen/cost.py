"""Hardware cost of a fit's Verilog parts: an estimate from the widths, and Yosys when installed.

The estimate needs no tools: it counts what :mod:`approxgen.emit.verilog` instantiates (ROM bits,
comparators with their widths, the multiplier and adder widths, flip-flops), from the same
:func:`~approxgen.emit.verilog.pwl_datapath`. :func:`measure` synthesizes the emitted module with
Yosys: generic ``synth`` (cell count) and ``synth_ice40`` (LUT4 and carry counts).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from approxgen import forms, tools
from approxgen.emit import c, verilog

SYNTH_TIMEOUT = 1800  # seconds for one Yosys run (a 65536-entry int16 table takes minutes)


parts = verilog.parts  # the Verilog parts the fit's form has (full always; pwl: also lut)
estimate = verilog.estimate  # what the emitted module instantiates, counted from the widths


def describe_estimate(est: dict) -> dict:
    """The estimate as short strings, one per column."""
    comps = est["comparators"]
    by_width: dict[int, int] = {}
    for w in comps:
        by_width[w] = by_width.get(w, 0) + 1
    mul = est["multiplier"]
    return {
        "rom": f"{est['rom_words']}x{est['rom_bits'] // est['rom_words']}={est['rom_bits']}"
        if est["rom_words"] else "-",
        "comparators": " ".join(f"{n}x{w}b" for w, n in sorted(by_width.items())) or "-",
        "multiplier": " ".join(f"{m['a']}x{m['b']}->{m['product']}"
                               for m in est.get("multipliers") or [mul] if m) or "-",
        "adder": " ".join(f"{w}b" for w in est["adders"]) or "-",
        "flip_flops": str(est["flip_flops"]) if est["flip_flops"] else "-",
    }


def yosys_path() -> str | None:
    return tools.which("yosys")


def yosys_version(yosys: str | None = None) -> str | None:
    """``Yosys 0.23 (git sha1 ...)``, or None when Yosys is not installed (or will not say)."""
    yosys = yosys or yosys_path()
    return tools.version_line([yosys], "-V") if yosys else None


def measure(text: str, top: str, ice40: bool = True, yosys: str | None = None,
            timeout: float = SYNTH_TIMEOUT) -> dict:
    """Synthesize Verilog ``text`` (module ``top``): generic ``synth`` cells and, with ``ice40``,
    ``synth_ice40`` LUT4/carry counts. :class:`~approxgen.tools.ToolMissing` without Yosys,
    :class:`~approxgen.tools.ToolFailed` when it fails or takes longer than ``timeout`` s."""
    argv = [yosys] if yosys else tools.find_tool("yosys")
    with tempfile.TemporaryDirectory(prefix="approxgen-yosys-") as tmp:
        src = Path(tmp) / f"{top}.v"
        src.write_text(text)
        script = [f"read_verilog {src}", "design -save rtl", f"synth -top {top}",
                  f"tee -q -o {tmp}/synth.json stat -json"]
        if ice40:
            script += ["design -load rtl", f"synth_ice40 -top {top}",
                       f"tee -q -o {tmp}/ice40.json stat -json"]
        tools.run_tool([*argv, "-q", "-p", "; ".join(script)], f"yosys on {top}", timeout)
        out = {"cells": _stat(Path(tmp) / "synth.json")["num_cells"]}
        if ice40:
            by_type = _stat(Path(tmp) / "ice40.json")["num_cells_by_type"]
            out.update(ice40_lut4=by_type.get("SB_LUT4", 0), ice40_carry=by_type.get("SB_CARRY", 0),
                       ice40_dff=sum(n for cell, n in by_type.items()
                                     if cell.startswith("SB_DFF")))
        return out


def measure_depth(text: str, top: str, yosys: str | None = None,
                  timeout: float = SYNTH_TIMEOUT) -> dict:
    """Yosys ``synth -flatten -top TOP``: ``cells``, ``flip_flops`` (cells of a ``DFF`` type) and
    ``levels``, the longest topological path (``ltp -noff``: paths stop at flip-flops)."""
    argv = [yosys] if yosys else tools.find_tool("yosys")
    with tempfile.TemporaryDirectory(prefix="approxgen-yosys-") as tmp:
        src = Path(tmp) / f"{top}.v"
        src.write_text(text)
        log = Path(tmp) / "ltp.log"
        script = [f"read_verilog {src}", f"synth -flatten -top {top}",
                  f"tee -q -o {tmp}/synth.json stat -json", f"tee -q -o {log} ltp -noff"]
        tools.run_tool([*argv, "-q", "-p", "; ".join(script)], f"yosys on {top}", timeout)
        by_type = _stat(Path(tmp) / "synth.json")["num_cells_by_type"]
        match = re.search(r"length=(\d+)", log.read_text())
        return {"cells": sum(by_type.values()),
                "flip_flops": sum(n for cell, n in by_type.items() if "DFF" in cell.upper()),
                "levels": int(match.group(1)) if match else 0}


def _stat(path: Path) -> dict:
    return json.loads(path.read_text())["design"]


def cost(fit, pipeline: bool = False, use_yosys: bool = True, ice40: bool = True,
         stages=None) -> dict:
    """Estimate (and, when Yosys is installed and ``use_yosys``, measure) every part of ``fit``;
    ``stages`` (a register count or ``"auto"``): the ``--pipeline N`` modules, whose estimate
    counts the placed registers' flip-flops and whose measure adds the longest path."""
    yosys = yosys_path() if use_yosys else None
    rows = []
    for part in parts(fit):
        row = {"part": part, "module": verilog.module_name(fit, part),
               "pipeline": pipeline or stages is not None,
               "latency": verilog.latency(fit, part, pipeline),
               "estimate": estimate(fit, part, pipeline)}
        text = None
        if stages is not None:
            from approxgen.emit import pipelined

            plan = pipelined.plan(fit, part, stages)
            row["latency"] = plan.latency
            row["estimate"]["flip_flops"] = plan.pipe.flip_flops() + plan.latency
            row["stages"] = plan.pipe.flops_at()
            text = verilog.render(fit, part=part, stages=stages)
        if yosys:
            text = text or verilog.render(fit, part=part, pipeline=pipeline)
            row["yosys"] = measure(text, row["module"], ice40=ice40, yosys=yosys)
            if stages is not None:
                row["yosys"].update(levels=measure_depth(text, row["module"], yosys)["levels"])
        rows.append(row)
    spec, m = fit.spec, fit.metrics
    return {
        "name": spec.name, "form": spec.form,
        "segments": forms.of(fit.model).segments(fit.model),
        "input": spec.input.describe(), "output": spec.output.describe(),
        "max_error_lsb": m["max_error_lsb"], "max_abs_error": m["max_abs_error"],
        "table_bytes": c.table_bytes(fit.model),
        "kernel_bytes": _kernel_bytes(fit),
        "yosys_version": yosys_version(yosys) if yosys else None,
        "parts": rows,
    }


def _kernel_bytes(fit) -> dict | None:
    """The whole compiled C kernel's bytes on the spec's ``bytes_target`` (None: tables)."""
    if fit.spec.bytes_target == "tables":
        return None
    from approxgen.budget import whole_bytes

    return whole_bytes(fit.model, fit.spec)


def format_table(report: dict) -> str:
    """A fixed-width table of :func:`cost`'s report (deterministic)."""
    head = (f"{report['name']}: {report['form']}"
            + (f", {report['segments']} segments" if report["segments"] else "")
            + f", input {report['input']}, output {report['output']}; max error "
            f"{report['max_error_lsb']:.4f} LSB ({report['max_abs_error']:.6g} real); C tables "
            f"{report['table_bytes']} bytes")
    cols = ["part", "rom (words x bits)", "comparators", "multiplier", "adder", "flip-flops"]
    measured = report["yosys_version"] is not None
    if measured:
        cols += ["cells", "ice40 LUT4", "ice40 carry"]
    rows = []
    for row in report["parts"]:
        e = describe_estimate(row["estimate"])
        cells = [row["module"], e["rom"], e["comparators"], e["multiplier"], e["adder"],
                 e["flip_flops"]]
        if measured:
            y = row["yosys"]
            cells += [str(y["cells"]), str(y.get("ice40_lut4", "-")),
                      str(y.get("ice40_carry", "-"))]
        rows.append(cells)
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa
    lines = [head, line(cols), line(["-" * w for w in widths])] + [line(r) for r in rows]
    if report.get("kernel_bytes"):
        from approxgen.footprint import describe

        lines.append(f"C kernel: {describe(report['kernel_bytes'])}")
    if measured:
        lines.append(f"measured: {report['yosys_version']}, `synth` cells and `synth_ice40` "
                     f"LUT4/carry")
    else:
        lines.append("estimate only: yosys not installed (or --no-yosys)")
    if report["parts"][0]["pipeline"]:
        lines.append("pipelined: " + ", ".join(
            f"{r['module']} latency {r['latency']}"
            + (f" ({', '.join(f'{k} {n} FF' for k, n in r['stages'].items())})"
               if "stages" in r else "")
            + (f", longest path {r['yosys']['levels']} levels"
               if "levels" in r.get("yosys", {}) else "")
            for r in report["parts"]))
    return "\n".join(lines)
