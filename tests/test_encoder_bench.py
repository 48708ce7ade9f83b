"""The encoder benchmark (``benchmarks/bench_encoder.py``) at a tiny size: approxgen's variant runs
the compiled C of every GELU, softmax and LayerNorm call and equals the golden model on every
output, and the cosines are what the README's table claims they can be."""

import sys

import numpy as np
import pytest

from approxgen.native import Compiled, CompiledBlock
from conftest import ROOT, require_tool, shipped_fit

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_encoder  # noqa: E402

TINY = {"layers": 1, "d_model": 32, "heads": 2, "ffn": 64, "seq": 8, "batch": 2}
MARGIN = 1e-6  # approxgen int16 may trail quantization alone by at most this much cosine


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    require_tool("cc")
    mp = pytest.MonkeyPatch()
    mp.setenv("APPROXGEN_CACHE", str(tmp_path_factory.mktemp("cache")))
    fits = {bits: shipped_fit(ROOT / "configs" / f"gelu_int{bits}.yaml") for bits in (8, 16)}
    try:
        yield bench_encoder.run(TINY, seeds=(1, 2), gelu_fits=fits)
    finally:
        mp.undo()


def test_approxgen_runs_the_compiled_c_equal_to_the_golden_model(results):
    for bits in (8, 16):
        r = results[(bits, "approxgen")]
        st = r["stats"]
        assert st.c_outputs == sum(st.outputs.values()) > 0  # every block output came from C
        assert st.c_mismatches == 0
        blocks = r["blocks"]
        assert all(isinstance(c, Compiled) for c in blocks["gelu c"].values())
        assert all(isinstance(v[1], CompiledBlock) and v[1].path.is_file()
                   for k, v in blocks.items() if isinstance(k, tuple))
    # not the correctly rounded path in disguise: the int16 GELU fit is off by 1 LSB somewhere
    assert results[(16, "approxgen")]["stats"].off["GELU"] > 0
    assert results[(16, "quantize only")]["stats"].off == dict.fromkeys(bench_encoder.KINDS, 0)


def test_cosines_and_the_int16_margin(results):
    for r in results.values():
        assert all(0.0 < c <= 1.0 + 1e-12 for c in r["cos"])
        assert 0.0 < r["token_cos_min"] <= 1.0 + 1e-12 and r["max_abs"] > 0
    ours, alone = results[(16, "approxgen")], results[(16, "quantize only")]
    assert np.mean(ours["cos"]) >= np.mean(alone["cos"]) - MARGIN
    # the margin tells the blocks apart: I-BERT's (its GELU 75 LSB off at 2^-12) is outside it
    assert np.mean(results[(16, "I-BERT")]["cos"]) < np.mean(alone["cos"]) - MARGIN
    lines = bench_encoder.table(results, TINY, (1, 2), 0.0)
    assert sum(line.startswith("| int") for line in lines) == 2 * len(results)
