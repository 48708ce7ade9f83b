"""Snapshot: every shipped config's emitted files stay byte-identical (C header, Verilog full/lut,
pipelined, test bench, vectors). Files over :data:`INLINE_LIMIT` bytes are kept as their sha256.

Regenerate deliberately (after a change that is meant to alter output) with
``python tests/test_snapshots.py``; review the diff of ``tests/snapshots/``.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from pathlib import Path

import pytest

from approxgen.emit import c, vectors, verilog
from approxgen.errors import ApproxgenError
from conftest import CONFIGS, shipped_fit

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
INLINE_LIMIT = 8_000


@functools.lru_cache(maxsize=None)
def emitted(config: Path) -> dict[str, str]:
    """File name -> text of everything the config's fit emits."""
    result = shipped_fit(config)
    files = {"c.h": c.render(result), "vectors.hex": vectors.render(result)}
    for part in verilog.PARTS:
        try:
            files[f"{part}.v"] = verilog.render(result, part=part)
        except ApproxgenError:  # a part the form does not have
            continue
        files[f"{part}_pipe.v"] = verilog.render(result, part=part, pipeline=True)
        files[f"{part}_tb.v"] = verilog.render_testbench(result, part=part)
        files[f"{part}_pipe_tb.v"] = verilog.render_testbench(result, part=part, pipeline=True)
    return files


def stored_form(text: str) -> str:
    data = text.encode()
    if len(data) > INLINE_LIMIT:
        return f"sha256 {hashlib.sha256(data).hexdigest()}\n"
    return text


@pytest.mark.parametrize("config", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_emitted_files_are_byte_identical(config):
    folder = SNAPSHOTS / config.stem
    files = emitted(config)
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    for name, text in files.items():
        assert stored_form(text) == (folder / name).read_text(), f"{config.stem}/{name} changed"


def regenerate(configs=CONFIGS) -> None:
    for config in configs:
        folder = SNAPSHOTS / config.stem
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for name, text in emitted(config).items():
            (folder / name).write_text(stored_form(text))


if __name__ == "__main__":
    regenerate([Path(a) for a in sys.argv[1:]] or CONFIGS)
