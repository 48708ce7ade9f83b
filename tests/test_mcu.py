"""The C headers on microcontrollers: cross-compiled for Cortex-M0 and M4 (arm-none-eabi-gcc),
each call's stack within 128 bytes (-fstack-usage), no library call for a table read (M0 has no
unaligned loads: no memcpy), and the harness run under qemu-arm over every code of an int8 and
an int16 fit, bit-exact; on the host, any APPROXGEN_BLOCK gives the same results."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import CONFIGS, fit_raw, require_tool, shipped_fit

from approxgen import verify
from approxgen.emit import c as emit_c

STACK_LIMIT = 128  # bytes per call on Cortex-M
# qemu-arm runs Linux-user binaries: an M-profile object is linked against the A-profile Thumb
# run-time (its semihosting is qemu-user's), the profile mismatch allowed; the M code runs as is
LINK = "arm-none-eabi-gcc -march=armv7-a -mthumb --specs=rdimon.specs -Wl,--no-warn-mismatch"
SHIPPED = {c.stem: c for c in CONFIGS}


@pytest.fixture(scope="module")
def kernels():
    """Shipped fits of each form and width, and int16 interp fits of both orders."""
    fits = [shipped_fit(SHIPPED[n]) for n in ("gelu_int8", "gelu_table_int8", "gelu_int16",
                                               "silu_int16", "tanh_int8")]
    fmt = {"input": {"bits": 16, "scale": "2^-12"}, "output": {"bits": 16, "scale": "2^-15"}}
    for order in (1, 2):
        fits.append(fit_raw(name=f"tanh16_interp{order}", function="tanh", form="interp",
                            order=order, **fmt))
    fits.append(fit_raw(name="tanh16_quadratic", function="tanh", form="quadratic",
                        segments=8, search="uniform", **fmt))
    return fits


def _wrappers(f) -> str:
    """A translation unit calling a fit's scalar and array function from functions of its own
    (what firmware would link)."""
    name = f.spec.name
    in_t = emit_c.ctype(f.spec.input.bits, f.spec.input.signed)
    out_t = emit_c.ctype(f.spec.output.bits, f.spec.output.signed)
    return (f'#include "{name}.h"\n'
            f"void ag_array(const {in_t} *x, {out_t} *y, size_t n) {{ {name}_array(x, y, n); }}\n"
            f"{out_t} ag_one({in_t} x) {{ return {name}(x); }}\n")


@pytest.mark.parametrize("cpu,opt", [("cortex-m0", "-Os"), ("cortex-m4", "-Os"),
                                     ("cortex-m4", "-O2")])
def test_cortex_m_stack_and_no_library_loads(kernels, cpu, opt, tmp_path):
    cc = require_tool("arm-none-eabi-gcc")
    nm = require_tool("arm-none-eabi-nm")
    for f in kernels:
        name = f.spec.name
        (tmp_path / f"{name}.h").write_text(emit_c.render(f))
        source = tmp_path / f"{name}.c"
        source.write_text(_wrappers(f))
        obj = source.with_suffix(".o")
        subprocess.run([cc, f"-mcpu={cpu}", "-mthumb", opt, *verify.C_FLAGS, "-fstack-usage",
                        "-c", source, "-o", obj], check=True, cwd=tmp_path)
        frames = {}
        for line in source.with_suffix(".su").read_text().splitlines():
            where, size, kind = line.split("\t")
            assert kind == "static", line  # no variable-length frame
            frames[where.rsplit(":", 1)[-1]] = int(size)
        # a wrapper's frame plus every header function left out of line: a bound on its chain
        helpers = sum(size for fn, size in frames.items() if not fn.startswith("ag_"))
        assert max(frames["ag_one"], frames["ag_array"]) + helpers <= STACK_LIMIT, (name, frames)
        undefined = re.findall(r"^\s+U (\S+)$", subprocess.run(
            [nm, obj], check=True, capture_output=True, text=True).stdout, re.M)
        # run-time helpers of 64-bit arithmetic only (M0's multiply, shifts): no memcpy & co.
        assert all(s.startswith("__aeabi_l") for s in undefined), (name, undefined)


@pytest.mark.parametrize("cpu", ["cortex-m0", "cortex-m4"])
def test_harness_under_qemu_on_every_code(cpu, tmp_path):
    cc = require_tool("arm-none-eabi-gcc")
    require_tool("qemu-arm")
    fits = [shipped_fit(SHIPPED["gelu_int8"]), shipped_fit(SHIPPED["silu_int16"])]
    report = verify.verify(fits[0], ["c"], tmp_path / "a", cc=f"{cc} -mcpu={cpu} -mthumb",
                           runner="qemu-arm", link=LINK)
    assert report.ok(strict=True) and report.results[0].codes == 256, report.table()
    got = verify.run_c(fits, tmp_path / "b", f"{cc} -mcpu={cpu} -mthumb", runner="qemu-arm",
                       link=LINK)
    for f in fits:
        assert verify.compare(f, got[f.spec.name], verify.C_VARIANTS) == (0, [])
    assert got[fits[1].spec.name].shape[0] == 65536


def test_compile_only_with_a_cross_compiler(tmp_path):
    cc = require_tool("arm-none-eabi-gcc")
    f = shipped_fit(SHIPPED["gelu_int16"])
    report = verify.verify(f, ["c"], tmp_path, cc=f"{cc} -mcpu=cortex-m0 -mthumb",
                           compile_only=True)
    assert [r.status for r in report.results] == ["compiled"] and report.ok(strict=True)
    assert "compiled (not run)" in report.table() and (tmp_path / "c" / "harness.o").exists()
    assert not (tmp_path / "c" / "harness").exists()


@pytest.mark.parametrize("block", [1, 3])
def test_any_block_size_gives_the_same_results(kernels, block, tmp_path):
    require_tool("cc")
    got = verify.run_c(kernels, tmp_path, "cc", extra_flags=[f"-DAPPROXGEN_BLOCK={block}"])
    for f in kernels:
        assert verify.compare(f, got[f.spec.name], verify.C_VARIANTS) == (0, []), f.spec.name


def test_verify_command_line_cross_compiles_and_refuses_nonsense(tmp_path):
    cc = require_tool("arm-none-eabi-gcc")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "approxgen", "verify", "gelu", "--bits", "8",
                               "--no-verilog", *args], capture_output=True, text=True,
                              cwd=tmp_path)
    done = run("--cc", f"{cc} -mcpu=cortex-m0 -mthumb", "--compile-only", "--strict")
    assert done.returncode == 0 and "compiled (not run)" in done.stdout, done.stderr
    for args, flag in ((["--compile-only", "--runner", "qemu-arm"], "--compile-only"),
                       (["--runner", ""], "--runner"), (["--link", "'a"], "--link")):
        bad = run(*args)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and flag in bad.stderr
    missing = run("--runner", "no-such-emulator-here")
    assert missing.returncode == 1 and "skipped: no-such-emulator-here not found" in missing.stdout
