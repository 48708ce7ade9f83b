"""Prove emitted code by running it: compile the C header, simulate the Verilog, over every input
code, and compare with the golden model (:meth:`approxgen.model.Model.evaluate`).

This is the one harness both ``approxgen verify`` and the test suite use:

* C: :func:`run_c` writes each fit's header and a program (:func:`c_harness`) that prints, for every
  input code ascending (or every value of the input's C type), the scalar result and the array
  variant's over the whole buffer, in odd-sized pieces and in place (:data:`C_VARIANTS`); it is
  compiled with strict C99 flags (:data:`C_FLAGS`), or as C++ (:data:`CXX_FLAGS`), at a chosen
  optimization level, optionally under the sanitizers. A cross compiler works too: compiled only
  (``compile_only``), or linked by its own ``link`` command and run under a ``runner`` (an
  emulator: ``qemu-arm``).
* Verilog: :func:`simulate_verilog` writes the module, its emitted self-checking test bench and the
  golden vectors, and runs them under Icarus Verilog (``iverilog -g2005`` + ``vvp``); the bench
  compares every code and reports its pass/fail count and first mismatches.
* :func:`verify` runs the targets the emitter registry declares (each emitter module's
  ``VERIFIERS``: ``c``, ``c++``, ``verilog``; :func:`verifiers`) for one fit and returns a
  :class:`Report`; a missing tool is a status
  (``skipped``), a tool that fails (compile error, crash, a bench that stops) is a one-line
  ``error`` with the tool's first error line, never a traceback. Tools run through
  :mod:`approxgen.tools` (its ``ToolMissing``, ``ToolFailed``, ``find_tool`` and ``run_tool`` are
  re-exported here).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from approxgen.companion import view as companion_view
from approxgen.emit import c as emit_c, vectors as emit_vectors, verilog as emit_verilog
from approxgen.errors import ApproxgenError
from approxgen.tools import (  # noqa: F401 (ToolFailed, ToolMissing: re-exported)
    ToolFailed, ToolMissing, find_tool, first_error, run_tool, tool_version)

C_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-pedantic")
CXX_FLAGS = ("-x", "c++", "-Wall", "-Wextra", "-Werror")
SANITIZE = ("-fsanitize=undefined,address", "-fno-sanitize-recover=all", "-g")
C_VARIANTS = ("scalar", "array", "array in pieces", "array in place")
SHOWN = 5  # mismatches kept per target


# --- comparing with the golden model --------------------------------------------------------------

@dataclass(frozen=True)
class Mismatch:
    code: int  # input code
    what: str  # the output compared: y, slope, intercept, or a C variant ("array in pieces")
    expected: int
    got: int

    def __str__(self) -> str:
        return f"q={self.code} {self.what}: expected {self.expected}, got {self.got}"


def input_values(fit, every_value: bool = False) -> np.ndarray:
    """What the harness feeds ``fit``'s code, ascending: every input code, or (``every_value``)
    every value of the input's C type (a 12-bit format: all 65536 values of ``int16_t``)."""
    fmt = fit.spec.input
    if not every_value:
        return fmt.codes()
    lo, hi = emit_c.ctype_range(fmt.bits, fmt.signed)
    return np.arange(lo, hi + 1, dtype=np.int64)


def expected(fit, values: np.ndarray) -> np.ndarray:
    """The golden model's output for each of ``values``; a value that is no input code (see
    :func:`input_values`) gets the nearest code's, as the emitted C clamps it."""
    fmt = fit.spec.input
    return fit.model.evaluate(np.clip(values, fmt.min_code, fmt.max_code))


def compare(fit, got: np.ndarray, names: Sequence[str] = ("y",),
            every_value: bool = False) -> tuple[int, list[Mismatch]]:
    """Compare ``got`` (one row per :func:`input_values` ascending, one column per name in
    ``names``) with :func:`expected`: the number of rows where any column differs, and the first
    few."""
    codes = input_values(fit, every_value)
    want = expected(fit, codes)
    got = np.asarray(got, dtype=np.int64).reshape(codes.size, len(names))
    bad = got != want[:, None]
    rows = np.flatnonzero(bad.any(axis=1))
    first = []
    for r in rows[:SHOWN]:
        columns = np.flatnonzero(bad[r])
        for value in dict.fromkeys(got[r, columns].tolist()):  # columns that agree: one entry
            what = ", ".join(names[c] for c in columns if got[r, c] == value)
            first.append(Mismatch(int(codes[r]), what, int(want[r]), int(value)))
    return int(rows.size), first[:SHOWN]


# --- C --------------------------------------------------------------------------------------------

def c_harness(fits, every_value: bool = False) -> str:
    """A C/C++ program including every fit's header; for each fit it writes NAME.out: per input
    code ascending (``every_value``: per value of the input's C type, :func:`input_values`), the
    :data:`C_VARIANTS` as native int64: the scalar result, the array variant's over the whole
    buffer, over odd-sized pieces (1..67 elements: blocks and tails), and in place (when the input
    and output types agree; otherwise the whole-buffer result again). Its own identifiers start
    with ``ag_``, clear of the fits' names (:mod:`approxgen.emit.c` reserves the prefix)."""
    sizes = [input_values(f, every_value).size for f in fits]
    lines = ["#include <stdio.h>", "#include <stdint.h>"]
    lines += [f'#include "{f.spec.name}.h"' for f in fits]
    lines += ["", f"static int64_t ag_rows[{max(sizes, default=1)}][4]; /* shared by the fits */"]
    calls = []
    for f, n in zip(fits, sizes):
        name, inp, out = f.spec.name, f.spec.input, f.spec.output
        in_t, out_t = emit_c.ctype(inp.bits, inp.signed), emit_c.ctype(out.bits, out.signed)
        first = int(input_values(f, every_value)[0])
        inplace = ("for (ag_i = 0; ag_i < ag_n; ++ag_i) ag_same[ag_i] = ag_x[ag_i];\n"
                   f"    {name}_array(ag_same, ag_same, ag_n);" if in_t == out_t else
                   "for (ag_i = 0; ag_i < ag_n; ++ag_i) ag_same[ag_i] = ag_full[ag_i];")
        lines.append(f"""
static int ag_run_{name}(void)
{{
    static {in_t} ag_x[{n}];
    static {out_t} ag_full[{n}], ag_part[{n}], ag_same[{n}];
    size_t ag_i, ag_len, ag_n = {n};
    FILE *ag_file;
    for (ag_i = 0; ag_i < ag_n; ++ag_i)
        ag_x[ag_i] = ({in_t})({first}LL + (long long)ag_i);
    {name}_array(ag_x, ag_full, ag_n);
    for (ag_i = 0, ag_len = 1; ag_i < ag_n; ag_i += ag_len, ag_len = ag_len % 67 + 1)
        {name}_array(ag_x + ag_i, ag_part + ag_i, ag_len < ag_n - ag_i ? ag_len : ag_n - ag_i);
    {inplace}
    for (ag_i = 0; ag_i < ag_n; ++ag_i) {{
        ag_rows[ag_i][0] = (int64_t){name}(ag_x[ag_i]);
        ag_rows[ag_i][1] = (int64_t)ag_full[ag_i];
        ag_rows[ag_i][2] = (int64_t)ag_part[ag_i];
        ag_rows[ag_i][3] = (int64_t)ag_same[ag_i];
    }}
    ag_file = fopen("{name}.out", "wb");
    if (ag_file == NULL || fwrite(ag_rows, sizeof ag_rows[0], ag_n, ag_file) != ag_n
            || fclose(ag_file) != 0) {{
        fprintf(stderr, "error: cannot write {name}.out\\n");
        return 1;
    }}
    return 0;
}}""")
        calls.append(f"    ag_status |= ag_run_{name}();")
    lines += ["", "int main(void)", "{", "    int ag_status = 0;", *calls, "    return ag_status;",
              "}", ""]
    return "\n".join(lines)


def c_flags(cxx: bool = False, sanitize: bool = False, extra: Sequence[str] = (),
            opt: str | None = None) -> list[str]:
    """The flags :func:`run_c` compiles with: strict C99 (or C++), the optimization level
    ``opt`` (default ``-O2``, or ``-O1`` with ``sanitize``), the sanitizers with ``sanitize``,
    then ``extra``."""
    base = CXX_FLAGS if cxx else C_FLAGS
    level = opt or ("-O1" if sanitize else "-O2")
    return [*base, level, *(SANITIZE if sanitize else ()), *extra]


def compile_c(cc: str | Sequence[str], flags: Sequence[str], source: Path, output: Path,
              compile_only: bool = False, link: str | Sequence[str] | None = None) -> Path:
    """Compile ``source`` (headers found next to it) into ``output``; :class:`ToolMissing` or
    :class:`ToolFailed` (with the compiler's first error line) when that fails. ``link``: a
    command of its own linking the object (a cross compiler's run-time for an emulator, e.g.
    ``arm-none-eabi-gcc -mthumb --specs=rdimon.specs``), instead of ``cc`` in one step."""
    argv = find_tool(cc)
    if link is not None and not compile_only:
        obj = compile_c(argv, flags, source, output.with_suffix(".o"), compile_only=True)
        linker = find_tool(link)
        run_tool([*linker, obj, "-o", output], f"{Path(linker[0]).name} (link) {obj.name}")
        return output
    run_tool([*argv, *flags, "-I", source.parent, *(["-c"] if compile_only else []), source,
              "-o", output], f"{Path(argv[0]).name} {source.name}")
    return output


def run_c(fits, workdir: str | Path, cc: str | Sequence[str] = "cc", cxx: bool = False,
          sanitize: bool = False, extra_flags: Sequence[str] = (),
          segment_search: str | Mapping[str, str] = "auto", every_value: bool = False,
          opt: str | None = None, compile_only: bool = False,
          runner: str | Sequence[str] | None = None,
          link: str | Sequence[str] | None = None) -> dict[str, np.ndarray] | None:
    """Render every fit's header into ``workdir`` with ``segment_search`` (one for all, or per
    fit name), write :func:`c_harness` (``every_value``: over every value of the input's C type),
    compile it (:func:`c_flags`; ``link``: see :func:`compile_c`), run it (under ``runner``, an
    emulator command, when given); ``{name: int64 array (values, 4)}``, the columns
    :data:`C_VARIANTS`, the rows :func:`input_values` ascending; ``compile_only``: compile the
    harness to an object and return None. Names must be unique. A sanitizer report is
    :class:`ToolFailed`."""
    directory = Path(workdir).resolve()  # the tools run inside it
    directory.mkdir(parents=True, exist_ok=True)
    for f in fits:
        search = segment_search if isinstance(segment_search, str) \
            else segment_search.get(f.spec.name, "auto")
        (directory / f"{f.spec.name}.h").write_text(emit_c.render(f, search))
    source = directory / "main.c"
    source.write_text(c_harness(fits, every_value))
    flags = c_flags(cxx, sanitize, extra_flags, opt)
    if compile_only:
        compile_c(cc, flags, source, directory / "harness.o", compile_only=True)
        return None
    exe = compile_c(cc, flags, source, directory / "harness", link=link)
    for f in fits:
        (directory / f"{f.spec.name}.out").unlink(missing_ok=True)
    prefix = find_tool(runner) if runner is not None else []
    result = run_tool([*prefix, exe], "the compiled harness" + (" under " + Path(prefix[0]).name
                                                               if prefix else ""),
                      timeout=600 if prefix else 300, cwd=directory)
    if "runtime error" in result.stderr or "Sanitizer" in result.stderr:
        raise ToolFailed(f"the compiled harness: {first_error(result.stderr)}", result.stderr)
    outputs = {}
    for f in fits:
        path = directory / f"{f.spec.name}.out"
        got = np.fromfile(path, dtype=np.int64) if path.exists() else np.empty(0, np.int64)
        if got.size != input_values(f, every_value).size * len(C_VARIANTS):
            raise ToolFailed(f"the compiled harness wrote no complete result for {f.spec.name}")
        outputs[f.spec.name] = got.reshape(-1, len(C_VARIANTS))
    return outputs


# --- Verilog --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerilogFiles:
    module: str
    dut: Path
    testbench: Path
    vectors: Path


@dataclass
class SimResult:
    """What the emitted test bench reported: codes passed and failed, the first mismatches."""

    passed: int
    failed: int
    first: list[Mismatch]
    log: str

    @property
    def codes(self) -> int:
        return self.passed + self.failed


def write_verilog(fit, workdir: str | Path, part: str = "full", pipeline: bool = False,
                  **hdl) -> VerilogFiles:
    """Write NAME.v, NAME_tb.v (the emitted self-checking bench) and NAME.hex (golden vectors);
    ``hdl``: the pipeline's render options (``handshake``, ``depth``)."""
    directory = Path(workdir).resolve()  # the tools run inside it
    directory.mkdir(parents=True, exist_ok=True)
    name = emit_verilog.module_name(fit, part)
    files = VerilogFiles(name, directory / f"{name}.v", directory / f"{name}_tb.v",
                         directory / f"{name}.hex")
    files.dut.write_text(emit_verilog.render(fit, part=part, pipeline=pipeline, **hdl))
    files.testbench.write_text(emit_verilog.render_testbench(fit, part=part, pipeline=pipeline,
                                                             **hdl))
    files.vectors.write_text(emit_vectors.render(fit))
    return files


def compile_verilog(files: VerilogFiles, iverilog: str | Sequence[str] = "iverilog") -> Path:
    """``iverilog -g2005 -Wall`` the module and its bench into NAME.vvp next to them."""
    sim = files.dut.with_suffix(".vvp")
    run_tool([*find_tool(iverilog), "-g2005", "-Wall", "-o", sim, files.dut, files.testbench],
             f"iverilog {files.dut.name}")
    return sim


_COUNT_RE = re.compile(r"^(\w+): (\d+) passed, (\d+) failed$", re.M)
_MISMATCH_RE = re.compile(r"^MISMATCH x=(-?\d+):(.*)$", re.M)
_FIELD_RE = re.compile(r"(\w+)=(-?\d+) \(expected (-?\d+)\)")


def run_testbench(sim: Path, vectors: Path, module: str,
                  vvp: str | Sequence[str] = "vvp") -> SimResult:
    """Run a compiled bench on ``vectors``; :class:`ToolFailed` when it stops without its count
    (a wrong vectors file, a broken valid protocol, a crash)."""
    run = run_tool([*find_tool(vvp), "-n", sim, f"+vectors={vectors}"], f"vvp {sim.name}",
                   timeout=600, check=False, cwd=sim.parent)
    log = run.stdout + run.stderr
    count = next((m for m in _COUNT_RE.finditer(run.stdout) if m.group(1) == module), None)
    if count is None:
        raise ToolFailed(f"test bench of {module} stopped (status {run.returncode}): "
                         f"{first_error(log)}", log)
    passed, failed = int(count.group(2)), int(count.group(3))
    if (run.returncode != 0) != (failed != 0):
        raise ToolFailed(f"test bench of {module} exited with status {run.returncode} after "
                         f"{failed} failures: {first_error(log)}", log)
    first = [Mismatch(int(m.group(1)), what, int(expected), int(got))
             for m in _MISMATCH_RE.finditer(run.stdout)
             for what, got, expected in _FIELD_RE.findall(m.group(2))]
    return SimResult(passed, failed, first[:SHOWN], log)


def simulate_verilog(fit, workdir: str | Path, part: str = "full", pipeline: bool = False,
                     iverilog: str | Sequence[str] = "iverilog",
                     vvp: str | Sequence[str] = "vvp", **hdl) -> SimResult:
    """Write, compile and run the module with its emitted bench over every input code."""
    files = write_verilog(fit, workdir, part, pipeline, **hdl)
    return run_testbench(compile_verilog(files, iverilog), files.vectors, files.module, vvp)


# --- verify: one fit, every target ----------------------------------------------------------------

@dataclass
class TargetResult:
    """One target's verdict: ``status`` is ``pass``, ``fail`` (mismatches), ``compiled`` (compile
    only: the header compiled, nothing ran), ``error`` (the tool failed: ``message``) or
    ``skipped`` (``message``: which tool is missing)."""

    target: str
    status: str
    tool: str = ""
    codes: int = 0
    mismatches: int = 0
    first: list[Mismatch] = field(default_factory=list)
    message: str = ""


@dataclass
class Report:
    name: str
    codes: int
    results: list[TargetResult]
    what: str = ""  # what was checked; default: every input code

    def ok(self, strict: bool = False) -> bool:
        """Every checked target matched, at least one was checked; ``strict``: none skipped."""
        statuses = [r.status for r in self.results]
        allowed = {"pass", "compiled"} | (set() if strict else {"skipped"})
        return bool({"pass", "compiled"} & set(statuses)) and set(statuses) <= allowed

    def table(self) -> str:
        cols = ["target", "tool", "codes", "mismatches", "verdict"]
        verdicts = {"pass": "ok", "fail": "MISMATCH", "error": "ERROR",
                    "compiled": "compiled (not run)"}
        rows = [[r.target, r.tool or "-", str(r.codes) if r.status in ("pass", "fail") else "-",
                 str(r.mismatches) if r.status in ("pass", "fail") else "-",
                 verdicts.get(r.status) or f"skipped: {r.message}"] for r in self.results]
        widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
        right = (2, 3)

        def line(cells):
            return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        what = self.what or f"every input code ({self.codes})"
        lines = [f"{self.name}: {what} against the golden model",
                 line(cols), line(["-" * w for w in widths]), *(line(row) for row in rows)]
        if all(r.status == "skipped" for r in self.results):
            lines.append("nothing was checked: no tool found")
        for r in self.results:
            if r.status == "error":
                lines.append(f"{r.target}: {r.message}")
            lines += [f"{r.target}: {m}" for m in r.first]
            if r.mismatches > len({m.code for m in r.first}):
                lines.append(f"{r.target}: {r.mismatches} codes differ in all")
        return "\n".join(lines)


def verifiers() -> dict[str, tuple[str, str]]:
    """Every ``verify`` target -> ``(its emitter, "module:function" running it)``: what the
    emitter modules of :data:`approxgen.emit.EMITTERS` declare (``VERIFIERS``), in that order."""
    from approxgen.emit import EMITTERS, get

    return {name: (target, runner) for target in EMITTERS
            for name, runner in getattr(get(target), "VERIFIERS", {}).items()}


def verify(fit, targets: Sequence[str] = ("c", "verilog"), workdir: str | Path | None = None,
           cc: str = "cc", cxx: str = "c++", cflags: Sequence[str] = (), part: str = "full",
           pipeline: bool = False, segment_search: str = "auto", compile_only: bool = False,
           runner: str | None = None, link: str | None = None, **emitter_options) -> Report:
    """Run ``fit``'s emitted code over every input code on each target (``c``: strict C99 with
    ``cc``; ``c++``: the header compiled as C++ with ``cxx``; both with ``segment_search``
    (:data:`approxgen.emit.c.SEGMENT_SEARCHES`); ``verilog``: the ``part`` module,
    ``pipeline``d or not, under Icarus; any other target an emitter declares, :func:`verifiers`,
    with its render options in ``emitter_options``) and compare with ``fit.model``. C and C++:
    ``compile_only`` compiles the harness and runs nothing; ``runner`` (an emulator command) runs
    it, linked by ``link`` when given (see :func:`run_c`). ``workdir`` keeps the generated files
    (default: a temporary directory). Bad arguments raise ApproxgenError; tool problems are
    statuses in the :class:`Report`."""
    import importlib

    from approxgen.emit import get as emitter

    known = verifiers()
    unknown = [t for t in targets if t not in known]
    if unknown or not targets:
        raise ApproxgenError(f"unknown target {unknown[0]!r} (use {', '.join(known)})"
                             if unknown else "no target to verify")
    options = {"cc": cc, "cxx": cxx, "cflags": cflags, "part": part, "pipeline": pipeline,
               "segment_search": segment_search, "compile_only": compile_only,
               "runner": runner, "link": link, **emitter_options}
    for target in dict.fromkeys(known[t][0] for t in targets):  # bad input before any tool runs
        module = emitter(target)
        module.render(fit, **{o.name: options.get(o.name, o.default)
                              for o in getattr(module, "OPTIONS", ())})
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="approxgen-verify-") as tmp:
            return verify(fit, targets, tmp, cc, cxx, cflags, part, pipeline, segment_search,
                          compile_only, runner, link, **emitter_options)
    results = []
    for target in targets:
        module, function = known[target][1].split(":")
        run = getattr(importlib.import_module(module), function)
        results.append(run(fit, target, Path(workdir) / target.replace("+", "x"), options))
    return Report(fit.spec.name, int(fit.spec.input.codes().size), results)


def verify_c(fit, target: str, directory: Path, options: dict) -> TargetResult:
    """The ``c`` (strict C99, ``options["cc"]``) or ``c++`` (``options["cxx"]``) target: the
    header compiled with ``options["cflags"]`` and ``options["segment_search"]``, run (under
    ``options["runner"]``, linked by ``options["link"]``, when given), or with
    ``options["compile_only"]`` only compiled (status ``compiled``)."""
    def run(result: TargetResult) -> None:
        compiler = find_tool(options["cc"] if target == "c" else options["cxx"])
        result.tool = tool_version(compiler)
        got = run_c([fit], directory, compiler, cxx=target == "c++",
                    extra_flags=options["cflags"], segment_search=options["segment_search"],
                    compile_only=options.get("compile_only", False),
                    runner=options.get("runner"), link=options.get("link"))
        if got is None:
            result.status = "compiled"
            return
        got = got[fit.spec.name]
        result.codes = got.shape[0]
        result.mismatches, result.first = compare(fit, got, C_VARIANTS)
        pair = companion_view(fit)
        if pair is not None:  # its functions, in the same header, over every code too
            got = run_c([pair], directory / "companion", compiler, cxx=target == "c++",
                        extra_flags=options["cflags"],
                        segment_search=options["segment_search"],
                        runner=options.get("runner"), link=options.get("link"))
            bad, first = compare(pair, got[pair.spec.name],
                                 tuple(f"{pair.model.name} {v}" for v in C_VARIANTS))
            result.mismatches += bad
            result.first = (result.first + first)[:SHOWN]

    return verdict(TargetResult(target, "pass"), run)


def verify_verilog(fit, target: str, directory: Path, options: dict) -> TargetResult:
    """The ``verilog`` target: the ``options["part"]`` module (``options["pipeline"]``d or not)
    simulated with its test bench under Icarus."""
    part, pipeline = options["part"], options["pipeline"]
    hdl = {"handshake": bool(options.get("handshake")), "depth": options.get("depth")}

    def run(result: TargetResult) -> None:
        result.tool = tool_version(find_tool("iverilog"), "-V")
        find_tool("vvp")
        sim = simulate_verilog(fit, directory, part, pipeline, **hdl)
        result.codes, result.mismatches, result.first = sim.codes, sim.failed, sim.first
        if sim.codes != fit.spec.input.codes().size:
            raise ToolFailed(f"the test bench checked {sim.codes} codes, not every one")

    label = " ".join([target, *(["lut"] if part == "lut" else []),
                      *(["pipelined"] if pipeline else []),
                      *(["stream"] if hdl["handshake"] else [])])
    return verdict(TargetResult(label, "pass"), run)


def verdict(result: TargetResult, run) -> TargetResult:
    """``result`` after ``run(result)`` filled it: ``skipped`` for a missing tool, ``error``
    for a failing one, else ``fail`` on a mismatch or the status ``run`` left (``pass``, or
    ``compiled``: compiled only)."""
    try:
        run(result)
    except ToolMissing as exc:
        result.status, result.message = "skipped", str(exc)
    except ToolFailed as exc:
        result.status, result.message = "error", str(exc)
    else:
        result.status = "fail" if result.mismatches else result.status
    return result
