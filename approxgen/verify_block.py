"""Prove a block's emitted code (:mod:`approxgen.blocks`) by running it, bit for bit against its
golden model: a row space cannot be enumerated, so each target checks (a) every code of the
block's inner fits and tables, (b) the reachable intermediates the block states and (c) its seeded
and adversarial rows.

* C: :func:`run_c` writes the block's header and a harness (:func:`c_harness`) that calls each of
  the block's :meth:`~approxgen.blocks.Block.probes` (its inner scalar functions: (a), (b)) over
  their values and the block's function over :meth:`~approxgen.blocks.Block.check_rows` ((b),
  (c)), apart and in place (same-width types); compiled with :func:`approxgen.verify.c_flags`.
* Verilog: :func:`simulate_rows` streams the check rows through the unit under Icarus with
  seeded producer gaps and consumer stalls (:data:`TESTBENCH` compares every output beat); the
  inner fits' modules are simulated with their own benches over every code
  (:func:`approxgen.verify.simulate_verilog`).
* VHDL: :func:`simulate_rows_vhdl` streams the same rows through the unit under GHDL
  (:data:`VHDL_TESTBENCH`) and runs ``ghdl --synth``; the inner fits' entities are checked over
  every code by the VHDL emitter's own verifier (:func:`approxgen.emit.vhdl.verify`).

Which targets a block has is what the emitter modules declare (``BLOCK_VERIFIERS``,
:func:`verifiers`); :func:`verify` returns an :class:`approxgen.verify.Report`.
"""

from __future__ import annotations

import importlib
import re
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from approxgen.emit import block_renderer, c as emit_c, verilog as emit_verilog
from approxgen.errors import ApproxgenError
from approxgen.verify import (SHOWN, Mismatch, Report, TargetResult, ToolFailed, c_flags,
                              compile_c, find_tool, run_tool, simulate_verilog, tool_version,
                              verdict)

# Feeds in.hex ({last, data} words) through the unit and compares every output beat with out.hex
# ({last, y} words); STALLS: seeded s_tvalid gaps and m_tready stalls ($random, SEED).
TESTBENCH = r"""`timescale 1ns/1ps
module tb;
    reg clk = 1'b0, rst_n = 1'b0, s_tvalid = 1'b0, m_tready = 1'b0;
    wire s_tready, m_tvalid, m_tlast;
    wire [IN_BITS-1:0] s_tdata;
    wire s_tlast;
    wire [OUT_BITS-1:0] m_tdata;
    reg [IN_BITS:0] in_mem [0:N_IN-1];
    reg [OUT_BITS:0] out_mem [0:N_IN-1];
    integer in_i = 0, out_i = 0, errors = 0, cycle = 0, seed = SEED;
    wire [31:0] next_i = in_i + (s_tvalid && s_tready);
    assign s_tdata = in_mem[in_i][IN_BITS-1:0];
    assign s_tlast = in_mem[in_i][IN_BITS];
    DUT dut (.clk(clk), .rst_n(rst_n), .s_tvalid(s_tvalid), .s_tready(s_tready),
             .s_tdata(s_tdata), .s_tlast(s_tlast), .m_tvalid(m_tvalid), .m_tready(m_tready),
             .m_tdata(m_tdata), .m_tlast(m_tlast));
    always #5 clk = ~clk;
    initial begin
        $readmemh("in.hex", in_mem);
        $readmemh("out.hex", out_mem);
        repeat (2) @(posedge clk);
        rst_n <= 1'b1;
    end
    always @(posedge clk) if (rst_n) begin
        cycle <= cycle + 1;
        in_i <= next_i;
        if (!s_tvalid || s_tready)
            s_tvalid <= next_i < N_IN && (STALLS == 0 || ($random(seed) & 3) != 0);
        m_tready <= STALLS == 0 || ($random(seed) % 3) != 0;
        if (m_tvalid && m_tready) begin
            if ({m_tlast, m_tdata} !== out_mem[out_i]) begin
                errors = errors + 1;
                if (errors <= SHOWN)
                    $display("MISMATCH %0d: got %0h want %0h", out_i, {m_tlast, m_tdata},
                             out_mem[out_i]);
            end
            out_i <= out_i + 1;
            if (out_i == N_IN - 1) begin
                $display("DONE errors %0d cycles %0d", errors, cycle + 1);
                $finish;
            end
        end
        if (cycle > 400 * N_IN) begin
            $display("TIMEOUT at output %0d", out_i);
            $finish;
        end
    end
endmodule
"""


def model_rows(block, rows: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The golden model of each row (rows of one length go through the model together)."""
    out: list = [None] * len(rows)
    for n in sorted({r.size for r in rows}):
        at = [i for i, r in enumerate(rows) if r.size == n]
        for i, y in zip(at, block.model(np.stack([rows[i] for i in at]))):
            out[i] = np.asarray(y, dtype=np.int64)
    return out


# --- C --------------------------------------------------------------------------------------------

def c_harness(block) -> str:
    """A C program including NAME.h: probe K reads ``probeK.in`` (int64 values) and writes
    ``probeK.out`` (int64 columns per value); then ``rows.in`` (records: int64 n, n int64 codes)
    through ``NAME(x, y, n)`` apart and, with same-width types, in place, into ``rows.out`` (int64
    per element: apart, in place). Its identifiers start with ``ag_``."""
    name, inp, out = block.name, block.input, block.output
    in_t, out_t = emit_c.ctype(inp.bits, inp.signed), emit_c.ctype(out.bits, out.signed)
    in_place = (f"for (ag_i = 0; ag_i < ag_n; ++ag_i) ag_z[ag_i] = ({out_t})0;\n"
                f"        {name}(ag_x, ({out_t} *)(void *)ag_x, ag_n);\n"
                f"        for (ag_i = 0; ag_i < ag_n; ++ag_i) ag_z[ag_i] = (({out_t} *)(void *)"
                f"ag_x)[ag_i];" if inp.bits == out.bits else
                "for (ag_i = 0; ag_i < ag_n; ++ag_i) ag_z[ag_i] = ag_y[ag_i];")
    lines = ["#include <stdio.h>", "#include <stdint.h>", "#include <stddef.h>",
             f'#include "{name}.h"', "",
             "static int ag_fail(const char *ag_what)", "{",
             '    fprintf(stderr, "error: cannot use %s\\n", ag_what);', "    return 1;", "}"]
    calls = []
    for k, probe in enumerate(block.probes()):
        arg_t = emit_c.ctype(probe.arg_bits, probe.arg_signed)
        reads = "\n".join(f"        ag_c[{j}] = (int64_t)({c});"
                          for j, c in enumerate(probe.columns))
        lines.append(f"""
static int ag_probe{k}(void)
{{
    int64_t ag_v, ag_c[{len(probe.columns)}];
    FILE *ag_in = fopen("probe{k}.in", "rb"), *ag_out = fopen("probe{k}.out", "wb");
    if (ag_in == NULL || ag_out == NULL)
        return ag_fail("probe{k}");
    while (fread(&ag_v, sizeof ag_v, 1, ag_in) == 1) {{
        {arg_t} x = ({arg_t})ag_v;
        int ag_e = 0;
        int64_t r = (int64_t)({probe.call});
{reads}
        (void)ag_e;
        if (fwrite(ag_c, sizeof ag_c, 1, ag_out) != 1)
            return ag_fail("probe{k}.out");
    }}
    fclose(ag_in);
    return fclose(ag_out) != 0 ? ag_fail("probe{k}.out") : 0;
}}""")
        calls.append(f"    ag_status |= ag_probe{k}();")
    lines.append(f"""
static int ag_rows(void)
{{
    static {in_t} ag_x[{block.length}];
    static {out_t} ag_y[{block.length}], ag_z[{block.length}];
    int64_t ag_len, ag_v, ag_o[2];
    size_t ag_i, ag_n;
    FILE *ag_in = fopen("rows.in", "rb"), *ag_out = fopen("rows.out", "wb");
    if (ag_in == NULL || ag_out == NULL)
        return ag_fail("rows");
    while (fread(&ag_len, sizeof ag_len, 1, ag_in) == 1) {{
        if (ag_len < 1 || ag_len > {block.length})
            return ag_fail("rows.in");
        ag_n = (size_t)ag_len;
        for (ag_i = 0; ag_i < ag_n; ++ag_i) {{
            if (fread(&ag_v, sizeof ag_v, 1, ag_in) != 1)
                return ag_fail("rows.in");
            ag_x[ag_i] = ({in_t})ag_v;
        }}
        {name}(ag_x, ag_y, ag_n);
        {in_place}
        for (ag_i = 0; ag_i < ag_n; ++ag_i) {{
            ag_o[0] = (int64_t)ag_y[ag_i];
            ag_o[1] = (int64_t)ag_z[ag_i];
            if (fwrite(ag_o, sizeof ag_o, 1, ag_out) != 1)
                return ag_fail("rows.out");
        }}
    }}
    fclose(ag_in);
    return fclose(ag_out) != 0 ? ag_fail("rows.out") : 0;
}}""")
    lines += ["", "int main(void)", "{", "    int ag_status = 0;", *calls,
              "    ag_status |= ag_rows();", "    return ag_status;", "}", ""]
    return "\n".join(lines)


def run_c(block, rows: Sequence[np.ndarray], workdir: str | Path, cc: str | Sequence[str] = "cc",
          extra_flags: Sequence[str] = ()) -> tuple[list[np.ndarray], np.ndarray]:
    """Write NAME.h and :func:`c_harness` into ``workdir``, compile (strict C99, -O2), run:
    ``(per probe: int64 (values, columns), int64 (row elements, 2): apart, in place)``."""
    directory = Path(workdir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{block.name}.h").write_text(emit_c.render_block(block))
    source = directory / "main.c"
    source.write_text(c_harness(block))
    probes = block.probes()
    for k, probe in enumerate(probes):
        probe.values.astype(np.int64).tofile(directory / f"probe{k}.in")
    np.concatenate([np.concatenate([[r.size], r]) for r in rows] or [np.empty(0)]) \
        .astype(np.int64).tofile(directory / "rows.in")
    outs = [directory / f"probe{k}.out" for k in range(len(probes))] + [directory / "rows.out"]
    for path in outs:
        path.unlink(missing_ok=True)
    exe = compile_c(cc, c_flags(extra=extra_flags), source, directory / "harness")
    run_tool([exe], "the compiled harness", cwd=directory)

    def read(path: Path, columns: int, count: int) -> np.ndarray:
        got = np.fromfile(path, dtype=np.int64) if path.exists() else np.empty(0, np.int64)
        if got.size != columns * count:
            raise ToolFailed(f"the compiled harness wrote no complete {path.name}")
        return got.reshape(count, columns)

    got = [read(outs[k], len(p.columns), p.values.size) for k, p in enumerate(probes)]
    return got, read(outs[-1], 2, sum(r.size for r in rows))


def verify_c(block, target: str, directory: Path, options: dict) -> TargetResult:
    """The ``c`` target of a block: :func:`run_c` compared with the golden model."""
    def run(result: TargetResult) -> None:
        compiler = find_tool(options["cc"])
        result.tool = tool_version(compiler)
        rows = block.check_rows()
        probes, got_rows = run_c(block, rows, directory, compiler, options["cflags"])
        for probe, got in zip(block.probes(), probes):
            bad = np.flatnonzero((got != probe.expected).any(axis=1))
            result.codes += probe.values.size
            result.mismatches += bad.size
            result.first += [Mismatch(int(probe.values[i]), probe.what,
                                      int(probe.expected[i, 0]), int(got[i, 0])) for i in bad]
        count, first = compare_rows(block, rows, got_rows, ("row", "row in place"))
        result.codes += got_rows.shape[0]
        result.mismatches += count
        result.first = (result.first + first)[:SHOWN]

    return verdict(TargetResult(target, "pass"), run)


def compare_rows(block, rows, got: np.ndarray, names: Sequence[str]) -> tuple[int, list]:
    """Elements of ``rows`` where any column of ``got`` (one row per element) differs from the
    golden model, and the first few (``code``: the input code)."""
    want = np.concatenate(model_rows(block, rows))
    codes = np.concatenate(rows)
    bad = got != want[:, None]
    first = [Mismatch(int(codes[i]), f"{names[j]} element {i}", int(want[i]), int(got[i, j]))
             for i in np.flatnonzero(bad.any(axis=1))[:SHOWN] for j in np.flatnonzero(bad[i])]
    return int(bad.any(axis=1).sum()), first[:SHOWN]


# --- Verilog --------------------------------------------------------------------------------------

_DONE_RE = re.compile(r"^DONE errors (\d+) cycles (\d+)$", re.M)
_BEAT_RE = re.compile(r"^MISMATCH (\d+): got ([0-9a-fx]+) want ([0-9a-fx]+)$", re.M)


def stream_words(block, rows: Sequence[np.ndarray], framed: Sequence[bool] | None = None):
    """What a stream bench feeds and expects for ``rows``: ``(in words, out words, codes)``,
    each word ``(last, the code's bits)``; ``framed``: per row, whether its last element carries
    ``tlast`` (default all); the output's last element always does."""
    b, o = block.input.bits, block.output.bits
    ins, outs, codes = [], [], []
    for row, y, last_framed in zip(rows, model_rows(block, rows), framed or [True] * len(rows)):
        for i, (x, v) in enumerate(zip(row.tolist(), y.tolist())):
            last = i == len(row) - 1
            ins.append((int(last and last_framed), x & ((1 << b) - 1)))
            outs.append((int(last), v & ((1 << o) - 1)))
            codes.append(x)
    return ins, outs, codes


def _bench_result(block, log: str, done, beats, codes, base: int) -> tuple[int, list, int]:
    """``(mismatching beats, the first few, cycles)`` from a bench's log (``done``/``beats``:
    its DONE and MISMATCH patterns; values in ``base``, ``{last, data}`` words)."""
    found = done.search(log)
    if found is None:
        raise ToolFailed(f"test bench of {block.name} stopped: {log.strip()[-200:]}", log)
    mask = (1 << block.output.bits) - 1
    first = [Mismatch(codes[int(i)], f"beat {i}", int(want, base) & mask, int(got, base) & mask)
             for i, got, want in beats.findall(log)]
    return int(found.group(1)), first, int(found.group(2))


def simulate_rows(block, rows: Sequence[np.ndarray], workdir: str | Path, stalls: bool = True,
                  seed: int = 1, framed: Sequence[bool] | None = None,
                  iverilog: str = "iverilog", vvp: str = "vvp") -> tuple[int, list, int]:
    """Stream ``rows`` through the block's unit under Icarus (:data:`TESTBENCH`; ``framed``:
    per row, whether its last element carries ``tlast``; default all): ``(mismatching output
    beats, the first few, cycles)``; :class:`ToolFailed` when the bench stops without its count."""
    directory = Path(workdir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    b, o = block.input.bits, block.output.bits
    ins, outs, codes = stream_words(block, rows, framed)
    (directory / "in.hex").write_text("".join(f"{(last << b) | v:x}\n" for last, v in ins))
    (directory / "out.hex").write_text("".join(f"{(last << o) | v:x}\n" for last, v in outs))
    (directory / f"{block.name}.v").write_text(block_renderer(emit_verilog, block)(block))
    bench = TESTBENCH
    for key, value in {"IN_BITS": b, "OUT_BITS": o, "N_IN": len(ins), "SEED": seed,
                       "STALLS": int(stalls), "SHOWN": SHOWN, "DUT": block.name}.items():
        bench = bench.replace(key, str(value))
    (directory / "tb.v").write_text(bench)
    run_tool([*find_tool(iverilog), "-g2005", "-Wall", "-o", "sim", "tb.v", f"{block.name}.v"],
             f"iverilog {block.name}.v", cwd=directory)
    run = run_tool([*find_tool(vvp), "-n", "sim"], "vvp sim", timeout=600, cwd=directory)
    return _bench_result(block, run.stdout, _DONE_RE, _BEAT_RE, codes, 16)


def verify_unit(block, target: str, directory: Path, tool, inner, simulate) -> TargetResult:
    """One HDL target of a block: ``tool()`` (its version line; finds the tools), ``inner(fit,
    directory) -> (codes, mismatches, first)`` over every code of each inner fit, then
    ``simulate(block, rows, directory)`` (:func:`simulate_rows`' result) over the check rows."""
    def run(result: TargetResult) -> None:
        result.tool = tool()
        for key, fit in block.inner_fits().items():
            codes, mismatches, first = inner(fit, directory / key)
            result.codes += codes
            result.mismatches += mismatches
            result.first += first
        rows = block.check_rows()
        failed, first, _ = simulate(block, rows, directory / "unit")
        result.codes += sum(r.size for r in rows)
        result.mismatches += failed
        result.first = (result.first + first)[:SHOWN]

    return verdict(TargetResult(target, "pass"), run)


def verify_verilog(block, target: str, directory: Path, options: dict) -> TargetResult:
    """The ``verilog`` target of a block: every inner fit's module over every code with its own
    bench, then the check rows through the unit with seeded stalls."""
    def tool() -> str:
        find_tool("vvp")
        return tool_version(find_tool("iverilog"), "-V")

    def inner(fit, workdir):
        sim = simulate_verilog(fit, workdir)
        if sim.codes != fit.spec.input.codes().size:
            raise ToolFailed(f"the test bench of {fit.spec.name} checked {sim.codes} codes, "
                             "not every one")
        return sim.codes, sim.failed, sim.first

    return verify_unit(block, target, directory, tool, inner, simulate_rows)


# --- VHDL ---------------------------------------------------------------------------------------

# The same bench in VHDL-2008 (entity ag_tb): in.txt / out.txt hold "last code-bits" per line
# (decimal); generics N_IN, STALLS, SEED; every output beat compared, the counts reported.
VHDL_TESTBENCH = """library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.all;
use std.textio.all;

entity ag_tb is
    generic (N_IN : positive := 1; STALLS : natural := 1; SEED : positive := 1);
end entity ag_tb;

architecture sim of ag_tb is
    type words is array (natural range <>) of integer;
    impure function load(path : string) return words is
        file f : text open read_mode is path;
        variable l : line;
        variable v : words(0 to 2 * N_IN - 1);
    begin
        for i in 0 to N_IN - 1 loop
            readline(f, l);
            read(l, v(2 * i));
            read(l, v(2 * i + 1));
        end loop;
        return v;
    end function;
    constant ins : words := load("in.txt");
    constant outs : words := load("out.txt");
    signal clk : std_logic := '0';
    signal rst_n, s_tvalid, m_tready : std_logic := '0';
    signal s_tready, s_tlast, m_tvalid, m_tlast : std_logic;
    signal s_tdata : std_logic_vector(IN_BITS - 1 downto 0);
    signal m_tdata : std_logic_vector(OUT_BITS - 1 downto 0);
    signal in_i : natural := 0;
    signal finished : boolean := false;
begin
    dut: entity work.DUT port map (clk => clk, rst_n => rst_n, s_tvalid => s_tvalid,
        s_tready => s_tready, s_tdata => s_tdata, s_tlast => s_tlast, m_tvalid => m_tvalid,
        m_tready => m_tready, m_tdata => m_tdata, m_tlast => m_tlast);
    clk <= not clk after 5 ns when not finished;
    rst_n <= '1' after 25 ns;
    s_tdata <= std_logic_vector(to_unsigned(ins(2 * in_i + 1), IN_BITS)) when in_i < N_IN
               else (others => '0');
    s_tlast <= '1' when in_i < N_IN and ins(2 * in_i) = 1 else '0';

    process (clk)
        variable s1 : positive := SEED;
        variable s2 : positive := 7;
        variable chance : real;
        variable next_i, out_i, errors, cycle : natural := 0;
        variable want : integer;
    begin
        if rising_edge(clk) and rst_n = '1' and not finished then
            cycle := cycle + 1;
            next_i := in_i;
            if s_tvalid = '1' and s_tready = '1' then
                next_i := in_i + 1;
            end if;
            in_i <= next_i;
            if s_tvalid = '0' or s_tready = '1' then
                uniform(s1, s2, chance);
                s_tvalid <= '1' when next_i < N_IN and (STALLS = 0 or chance < 0.75) else '0';
            end if;
            uniform(s1, s2, chance);
            m_tready <= '1' when STALLS = 0 or chance < 0.67 else '0';
            if m_tvalid = '1' and m_tready = '1' then
                want := outs(2 * out_i) * 2 ** OUT_BITS + outs(2 * out_i + 1);
                if (m_tlast = '1') /= (outs(2 * out_i) = 1)
                   or to_integer(unsigned(m_tdata)) /= outs(2 * out_i + 1) then
                    errors := errors + 1;
                    if errors <= SHOWN then
                        report "MISMATCH " & integer'image(out_i) & ": got " & integer'image(
                            to_integer(unsigned'(m_tlast & unsigned(m_tdata)))) & " want "
                            & integer'image(want);
                    end if;
                end if;
                out_i := out_i + 1;
                if out_i = N_IN then
                    report "DONE errors " & integer'image(errors) & " cycles "
                        & integer'image(cycle);
                    finished <= true;
                end if;
            end if;
            if cycle > 400 * N_IN then
                report "TIMEOUT at output " & integer'image(out_i);
                finished <= true;
            end if;
        end if;
    end process;
end architecture sim;
"""
_VHDL_DONE_RE = re.compile(r"DONE errors (\d+) cycles (\d+)")
_VHDL_BEAT_RE = re.compile(r"MISMATCH (\d+): got (\d+) want (\d+)")


def simulate_rows_vhdl(block, rows: Sequence[np.ndarray], workdir: str | Path,
                       stalls: bool = True, seed: int = 1, framed: Sequence[bool] | None = None,
                       ghdl: str = "ghdl", synth: bool = True) -> tuple[int, list, int]:
    """:func:`simulate_rows` through the block's VHDL unit under GHDL (VHDL-2008,
    :data:`VHDL_TESTBENCH`); with ``synth``, ``ghdl --synth`` must accept the unit too."""
    from approxgen.emit import vhdl as emit_vhdl

    directory = Path(workdir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    ins, outs, codes = stream_words(block, rows, framed)
    for name, words in (("in.txt", ins), ("out.txt", outs)):
        (directory / name).write_text("".join(f"{last} {v}\n" for last, v in words))
    unit = f"{block.name}.vhd"
    (directory / unit).write_text(block_renderer(emit_vhdl, block)(block))
    bench = VHDL_TESTBENCH
    for key, value in {"IN_BITS": block.input.bits, "OUT_BITS": block.output.bits,
                       "SHOWN": SHOWN, "DUT": block.name}.items():
        bench = bench.replace(key, str(value))
    (directory / "ag_tb.vhd").write_text(bench)
    tool = find_tool(ghdl)
    for args in (["-a", "--std=08", unit, "ag_tb.vhd"], ["-e", "--std=08", "ag_tb"]):
        run_tool([*tool, *args], f"ghdl {args[0]} {unit}", cwd=directory)
    run = run_tool([*tool, "-r", "--std=08", "ag_tb", f"-gN_IN={len(ins)}",
                    f"-gSTALLS={int(stalls)}", f"-gSEED={seed}", "--ieee-asserts=disable-at-0",
                    "--max-stack-alloc=0"],  # the words of long rows: no stack limit
                   "ghdl -r ag_tb", timeout=600, cwd=directory)
    result = _bench_result(block, run.stdout + run.stderr, _VHDL_DONE_RE, _VHDL_BEAT_RE, codes,
                           10)
    if synth:
        run_tool([*tool, "--synth", "--std=08", unit, "-e", block.name],
                 f"ghdl --synth {block.name}", cwd=directory)
    return result


def verify_vhdl(block, target: str, directory: Path, options: dict) -> TargetResult:
    """The ``vhdl`` target of a block: every inner fit's entity over every code (as ``verify
    --target vhdl`` of a fit), then the check rows through the unit with seeded stalls under
    GHDL, and ``ghdl --synth`` of the unit."""
    from approxgen.emit import vhdl as emit_vhdl
    from approxgen.tools import ToolMissing

    def inner(fit, workdir):
        result = emit_vhdl.verify(fit, target, workdir, {"part": "full"})
        if result.status in ("skipped", "error"):
            raise (ToolMissing if result.status == "skipped" else ToolFailed)(result.message)
        return result.codes, result.mismatches, result.first

    return verify_unit(block, target, directory, lambda: tool_version(find_tool("ghdl")), inner,
                       simulate_rows_vhdl)


# --- verify: one block, every target --------------------------------------------------------------

def verifiers() -> dict[str, tuple[str, str]]:
    """Every block ``verify`` target -> ``(its emitter, "module:function")``: what the emitter
    modules declare (``BLOCK_VERIFIERS``)."""
    from approxgen.emit import EMITTERS, get

    return {name: (target, runner) for target in EMITTERS
            for name, runner in getattr(get(target), "BLOCK_VERIFIERS", {}).items()}


def check_targets(block, targets: Sequence[str]) -> dict[str, tuple[str, str]]:
    """:func:`verifiers`, after refusing (ApproxgenError, at ``--target``) a target no emitter
    checks for a block or whose emitter cannot render ``block``."""
    from approxgen.emit import get as emitter

    known = verifiers()
    unknown = [t for t in targets if t not in known]
    if unknown or not targets:
        raise ApproxgenError(f"a block spec has no {unknown[0]} target (use "
                             f"{', '.join(known)})" if unknown else "no target to verify",
                             "--target")
    for target in dict.fromkeys(known[t][0] for t in targets):
        block_renderer(emitter(target), block, "--target")
    return known


def verify(block, targets: Sequence[str] = ("c", "verilog"), workdir: str | Path | None = None,
           cc: str = "cc", cflags: Sequence[str] = ()) -> Report:
    """Run ``block``'s emitted code on each target (:func:`verifiers`) over its probes and check
    rows and compare with its golden model. A target no emitter can check for a block, or an
    emitter that cannot render this block, is ApproxgenError; tool problems are statuses."""
    known = check_targets(block, targets)
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="approxgen-verify-") as tmp:
            return verify(block, targets, tmp, cc, cflags)
    options = {"cc": cc, "cflags": cflags}
    results = []
    for target in targets:
        module, function = known[target][1].split(":")
        run = getattr(importlib.import_module(module), function)
        results.append(run(block, target, Path(workdir) / target, options))
    probes = sum(p.values.size for p in block.probes())
    return Report(block.name, probes, results,
                  what="inner codes, reachable intermediates and check rows")
