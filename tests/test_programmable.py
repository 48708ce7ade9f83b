"""The programmable pwl unit: one Verilog module and one C kernel for several fits; each fit's
image, loaded through the load port (or passed by pointer), is bit-exact with its fit over every
input code (Icarus, gcc); Verilator lint; incompatible fits refused in one line."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from approxgen.cli import main
from approxgen.emit import programmable, vectors
from approxgen.errors import ApproxgenError
from conftest import CONFIGS, fit_raw, require_tool, shipped_fit


def family(fold: str):
    """GELU int8, 8 segments, at three input scales (different integers, one shape)."""
    return [fit_raw(function="gelu", input={"bits": 8, "signed": True, "scale": s},
                    output={"bits": 8}, form="pwl", segments=8, fold=fold,
                    name=f"gelu_{fold}_{i}")
            for i, s in enumerate(("2^-4", "2^-5", "2^-6"))]


@pytest.mark.parametrize("fold", ["none", "auto"])
def test_every_image_every_code(tmp_path, fold):
    fits = family(fold)
    assert {type(f.model).__name__ for f in fits} == {"FoldedModel" if fold == "auto"
                                                      else "PwlModel"}
    assert len({tuple(programmable.layout(fits).image(k)) for k in range(3)}) == 3
    check_unit(tmp_path, fits)


def test_int16_shipped(tmp_path):
    """The shipped int16 GELU and SiLU (folded pwl, 32 segments) share one unit: each image
    over every one of the 65536 codes, in Verilog and in C."""
    fits = [shipped_fit(next(c for c in CONFIGS if c.name == name))
            for name in ("gelu_int16.yaml", "silu_int16.yaml")]
    check_unit(tmp_path, fits)


def check_unit(tmp_path, fits):
    """Icarus over every code of every image, Verilator lint, the C kernel under gcc."""
    require_tool("iverilog"), require_tool("vvp")
    inp = fits[0].spec.input
    codes = 1 << inp.bits
    module = programmable.module_name(programmable.layout(fits))
    (tmp_path / f"{module}.v").write_text(programmable.render_verilog(fits))
    (tmp_path / "tb.v").write_text(programmable.render_testbench(fits))
    for name, text in programmable.images(fits):
        (tmp_path / name).write_text(text)
    for f in fits:
        (tmp_path / f"{f.spec.name}.hex").write_text(vectors.render(f))
    subprocess.run(["iverilog", "-g2005", "-Wall", "-o", "sim", f"{module}.v", "tb.v"],
                   cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0 and f"{codes * len(fits)} passed, 0 failed" in out.stdout, \
        out.stdout[-2000:]
    verilator = require_tool("verilator")
    lint = subprocess.run([verilator, "--lint-only", "-Wall", f"{module}.v"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert lint.returncode == 0 and not lint.stderr.strip(), lint.stderr
    # the C kernel: one function, a pointer to each fit's set
    cc = require_tool("gcc")
    (tmp_path / "p.h").write_text(programmable.render_c(fits))
    ctype = f"int{8 if inp.bits <= 8 else 16}_t"
    loops = "".join(f'for (long q = {inp.min_code}; q <= {inp.max_code}; q++) printf("%d\\n", '
                    f'(int){module}(&{f.spec.name}_coefs, ({ctype})q));\n' for f in fits)
    (tmp_path / "m.c").write_text(f'#include <stdio.h>\n#include "p.h"\nint main(void) {{\n'
                                  f'{loops}return 0;\n}}\n')
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "m.c",
                    "-o", "m"], cwd=tmp_path, check=True, capture_output=True)
    got = [int(v) for v in subprocess.run(["./m"], cwd=tmp_path, capture_output=True,
                                          text=True, check=True).stdout.split()]
    want = np.concatenate([f.model.evaluate(f.spec.input.codes()) for f in fits])
    assert got == want.tolist()


def test_refusals(tmp_path):
    g8 = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int8.yaml"))
    g16 = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_int16.yaml"))
    table = shipped_fit(next(c for c in CONFIGS if c.name == "gelu_table_int8.yaml"))
    with pytest.raises(ApproxgenError, match="does not match a.json's form pwl"):
        programmable.layout([g8, g16], ["a.json", "b.json"])
    with pytest.raises(ApproxgenError, match="pwl only"):
        programmable.layout([table])
    paths = []
    for f in (g8, g16):
        paths.append(str(tmp_path / f"{f.spec.name}.json"))
        f.save(paths[-1])
    out = tmp_path / "u.v"
    for args in (["verilog", *paths, "--programmable"], ["verilog", *paths],
                 ["verilog", paths[0], "--programmable", "--pipeline", "2"],
                 ["c", *paths, "--programmable"]):
        r = CliRunner().invoke(main, ["emit", *args, "-o", str(out)])
        assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
        assert not out.exists()
