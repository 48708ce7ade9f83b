"""Bytes counted whole: the read-only footprint of a fit's compiled C kernel on a named target.

The header of a model is compiled as firmware would link it: one function of external linkage
calling ``NAME_array`` (the buffer kernel a layer calls; its tail is the scalar function),
``-ffunction-sections -fdata-sections``, so each function and table sits in a section of its
own. From the object file (``size -A``):

* ``tables``: the ``.rodata`` sections of the header's own ``static const`` arrays;
* ``constants``: every other read-only data section (vector constants, jump tables);
* ``code``: the ``.text`` sections (on Arm with their literal pools).

Unwind tables (``.eh_frame``, ``.ARM.exidx``) and notes are not counted. :data:`TARGETS`: the host
compiler at ``-O2`` (``cc``), or ``arm-none-eabi-gcc -Os`` for a Cortex-M core (Thumb,
``APPROXGEN_BLOCK`` 1 there). ``bytes_target: tables`` (the default) counts the tables alone,
without compiling (:func:`approxgen.emit.c.table_bytes`).
"""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

from approxgen import tools
from approxgen.emit import c as emit_c
from approxgen.errors import ApproxgenError

# target -> (compiler and its flags, the size tool)
TARGETS = {
    "host": (("cc", "-O2"), "size"),
    "cortex-m0": (("arm-none-eabi-gcc", "-mcpu=cortex-m0", "-mthumb", "-Os"),
                  "arm-none-eabi-size"),
    "cortex-m4": (("arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-Os"),
                  "arm-none-eabi-size"),
    "cortex-m7": (("arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-Os"),
                  "arm-none-eabi-size"),
}
BYTES_TARGETS = ("tables", *TARGETS)  # the spec key bytes_target
NAME = "kernel"  # the function's name in the compiled header
_SECTION_RE = re.compile(r"^(\.\S+)\s+(\d+)\s+\d+\s*$", re.M)
_NOT_COUNTED = (".comment", ".note", ".eh_frame", ".ARM.exidx", ".ARM.extab", ".ARM.attributes",
                ".group", ".debug", ".bss")


def kernel_source(model, segment_search: str = "auto",
                  companion: str | None = None) -> tuple[str, str]:
    """``(header, translation unit)``: the header of ``model`` named :data:`NAME` and the unit
    defining ``NAME_kernel(x, y, n)``, which calls its array variant; with a ``companion``
    (:mod:`approxgen.companion`) also ``NAME_COMPANION_kernel``, calling the companion's: the
    pair, its shared tables counted once."""
    in_t = emit_c.ctype(model.input.bits, model.input.signed)
    out_t = emit_c.ctype(model.output.bits, model.output.signed)
    entries = [NAME] + ([f"{NAME}_{companion}"] if companion not in (None, "none") else [])
    unit = f'#include "{NAME}.h"\n' + "".join(
        f"void {entry}_kernel(const {in_t} *x, {out_t} *y, size_t n);\n"
        f"void {entry}_kernel(const {in_t} *x, {out_t} *y, size_t n)\n"
        f"{{\n    {entry}_array(x, y, n);\n}}\n" for entry in entries)
    return emit_c.render_model(model, segment_search, NAME, companion), unit


def footprint(model, target: str, segment_search: str = "auto",
              companion: str | None = None) -> dict:
    """``{"target", "tables", "constants", "code", "total", "compiler"}`` (bytes) of ``model``'s
    kernel compiled for ``target`` (:data:`BYTES_TARGETS`; ``tables``: the tables alone, no
    compiler), with its ``companion``'s (:func:`kernel_source`).
    :class:`~approxgen.tools.ToolMissing` / ``ToolFailed`` when the compiler is not there or
    fails."""
    if target not in BYTES_TARGETS:
        raise ApproxgenError(f"unknown bytes target {target!r} (one of "
                             f"{', '.join(BYTES_TARGETS)})")
    if target == "tables":
        size = emit_c.table_bytes(model, segment_search)
        return {"target": target, "tables": size, "constants": 0, "code": 0, "total": size,
                "compiler": None}
    header, unit = kernel_source(model, segment_search, companion)
    return dict(_compiled(header, unit, target), target=target)


@functools.lru_cache(maxsize=256)
def _compiled(header: str, unit: str, target: str) -> dict:
    """The section sizes of ``unit`` (including ``header``) compiled for ``target``."""
    command, size_tool = TARGETS[target]
    cc = tools.find_tool(list(command[:1]))
    sizer = tools.find_tool([size_tool])
    flags = [*command[1:], "-ffunction-sections", "-fdata-sections",
             "-fno-asynchronous-unwind-tables"]
    with tempfile.TemporaryDirectory(prefix="approxgen-bytes-") as tmp:
        directory = Path(tmp)
        (directory / f"{NAME}.h").write_text(header)
        source = directory / f"{NAME}.c"
        source.write_text(unit)
        obj = directory / f"{NAME}.o"
        tools.run_tool([*cc, *flags, "-I", directory, "-c", source, "-o", obj],
                       f"{Path(cc[0]).name} (bytes of {target})")
        listing = tools.run_tool([*sizer, "-A", "-d", obj], f"{Path(sizer[0]).name}").stdout
    counts = {"tables": 0, "constants": 0, "code": 0}
    for section, size in _SECTION_RE.findall(listing):
        if section.startswith(_NOT_COUNTED) or not int(size):
            continue
        if section.startswith(".text"):
            counts["code"] += int(size)
        elif section.startswith(f".rodata.{NAME}_"):
            counts["tables"] += int(size)
        else:  # .rodata, .rodata.cst16, .data (none expected): read-only constants
            counts["constants"] += int(size)
    version = tools.tool_version(cc)
    return dict(counts, total=sum(counts.values()),
                compiler=" ".join([version, *command[1:]]))


def describe(row: dict) -> str:
    """``1234 B on cortex-m4 (512 tables + 0 constants + 722 code; arm-none-eabi-gcc 12.2 -Os)``."""
    if row["compiler"] is None:
        return f"{row['total']} B of tables"
    return (f"{row['total']} B on {row['target']} ({row['tables']} tables + {row['constants']} "
            f"constants + {row['code']} code; {row['compiler']})")
