"""A small Transformer encoder with every GELU, softmax and LayerNorm integer (issue 23), written to
``benchmarks/results/encoder.md``: its output cosine against float64 beside the same model with
I-BERT's integer blocks and with quantization alone.

The model (numpy, built here): post-LN BERT layers (``x = LN(x + attention(x))``,
``x = LN(x + FFN(x))``), no mask; weights N(0, 1/fan_in) (W_q x :data:`QUERY_GAIN` so the attention
logits have a trained model's spread), biases N(0, 0.02^2), LayerNorm gamma 1 + 0.1 N(0, 1), beta
0.05 N(0, 1); fixed seed :data:`MODEL_SEED`. Inputs N(0, 1) hidden states with
:data:`OUTLIER_CHANNELS` channels 10-50x larger (the same channels in every token, as BERT's
outlier dimensions), each token scaled to unit RMS (as the embedding LayerNorm's output), one
seed per batch. Only the non-linear blocks are integer: the matmuls, residual adds and biases
stay float64. Each block's input is quantized (round half up, saturated)
to its input format and its output codes dequantized:

* ``float``: float64 throughout (the reference).
* ``quantize only``: at the same points, the float block of the dequantized input codes rounded
  half up to the output grid (the correctly rounded block; LayerNorm with the quantized gamma and
  beta): quantization without approximation.
* ``approxgen``: GELU by the shipped ``configs/gelu_int{8,16}.yaml`` fit's emitted C, softmax and
  LayerNorm by approxgen's block C, each compiled (:mod:`approxgen.native`) and called once per row.
* ``I-BERT``: i-GELU (``form: ibert``, the same formats, through its emitted C too), I-BERT's
  integer softmax and IntLayerNorm (``softmax_errors.ibert_softmax``, ``norm_errors.ibert_norm``).

Formats: int8 (softmax out uint8 2^-8) or int16 (uint16 2^-15); the GELU formats are the shipped
fit's (int8 2^-4, int16 2^-12: inputs clipped to [-8, 8)). Static power-of-two scales calibrated
on one batch (seed :data:`CALIBRATION_SEED`, float model): at each softmax and LayerNorm input and
LayerNorm output the smallest power of two whose codes hold the batch's max |value| (softmax
inputs at most 2^-14 fine, I-BERT's prescale). Usage: ``python benchmarks/bench_encoder.py``.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from approxgen import libm  # noqa: E402
from approxgen.blocks import load  # noqa: E402
from approxgen.fixedpoint import pow2_scale_holding, quantize  # noqa: E402
from norm_errors import ibert_norm  # noqa: E402
from softmax_errors import ibert_softmax  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "encoder.md"
FULL = {"layers": 2, "d_model": 128, "heads": 4, "ffn": 512, "seq": 64, "batch": 8}
EVAL_SEEDS = (1, 2, 3, 4, 5)
CALIBRATION_SEED = 1000
MODEL_SEED = 2026
QUERY_GAIN = 2.5
OUTLIER_CHANNELS = 3
SOFTMAX_OUT = {8: "2^-8", 16: "2^-15"}
VARIANTS = ("quantize only", "approxgen", "I-BERT")
KINDS = ("GELU", "softmax", "LayerNorm")


def gelu(x):
    return 0.5 * x * (1.0 + libm.erf(x / math.sqrt(2.0)))


def softmax(x):
    e = libm.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layernorm(x, gamma, beta, eps=1e-5):
    c = x - x.mean(axis=-1, keepdims=True)
    return c / np.sqrt((c * c).mean(axis=-1, keepdims=True) + eps) * gamma + beta


def make_model(size: dict, seed: int = MODEL_SEED) -> dict:
    """Random weights (the module doc's init), the outlier channels and their factors."""
    rng = np.random.default_rng(seed)
    d, f = size["d_model"], size["ffn"]

    def w(fan_in, fan_out, gain=1.0):
        return rng.normal(0.0, gain / math.sqrt(fan_in), (fan_in, fan_out))

    layers = []
    for _ in range(size["layers"]):
        layer = {"wq": w(d, d, QUERY_GAIN), "wk": w(d, d), "wv": w(d, d), "wo": w(d, d),
                 "w1": w(d, f), "w2": w(f, d)}
        layer.update({b: rng.normal(0.0, 0.02, n) for b, n in
                      (("bq", d), ("bk", d), ("bv", d), ("bo", d), ("b1", f), ("b2", d))})
        for ln in ("ln1", "ln2"):
            layer[ln] = (1.0 + 0.1 * rng.normal(size=d), 0.05 * rng.normal(size=d))
        layers.append(layer)
    channels = rng.choice(d, min(OUTLIER_CHANNELS, d), replace=False)
    factor = np.ones(d)
    factor[channels] = rng.uniform(10, 50, channels.size)
    return {**size, "layers": layers, "factor": factor}


def batch(model: dict, seed: int) -> np.ndarray:
    """Hidden states (batch, seq, d_model) of one seeded batch: N(0, 1) with the outlier
    channels' factors, each token scaled to unit RMS (as the embedding LayerNorm's output)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (model["batch"], model["seq"], model["d_model"])) * model["factor"]
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True))


def forward(model: dict, x: np.ndarray, ops) -> np.ndarray:
    """The encoder on ``x`` with ``ops`` giving ``gelu(layer, v)``, ``softmax(layer, scores)``
    and ``layernorm(layer, which, v)`` (the float ops, or a variant's)."""
    b, s, d = x.shape
    h = model["heads"]
    dh = d // h
    for i, p in enumerate(model["layers"]):
        def heads(v):
            return v.reshape(b, s, h, dh).transpose(0, 2, 1, 3)

        q, k, v = (heads(x @ p[f"w{n}"] + p[f"b{n}"]) for n in "qkv")
        probs = ops.softmax(i, q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh))
        attn = (probs @ v).transpose(0, 2, 1, 3).reshape(b, s, d) @ p["wo"] + p["bo"]
        x = ops.layernorm(i, 0, x + attn)
        x = ops.layernorm(i, 1, x + ops.gelu(i, x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"])
    return x


class FloatOps:
    """The float64 blocks; records max |value| at each block input and LayerNorm output."""

    def __init__(self, model: dict):
        self.model, self.peaks = model, {}

    def note(self, key, v):
        self.peaks[key] = max(self.peaks.get(key, 0.0), float(np.abs(v).max()))

    def gelu(self, i, v):
        return gelu(v)

    def softmax(self, i, v):
        self.note(("softmax", i), v)
        return softmax(v)

    def layernorm(self, i, which, v):
        self.note(("ln in", i, which), v)
        y = layernorm(v, *self.model["layers"][i][f"ln{which + 1}"])
        self.note(("ln out", i, which), y)
        return y


def pow2_exp(peak: float, bits: int) -> int:
    """``e`` of the smallest power-of-two scale 2^e whose signed ``bits`` codes hold ``peak``."""
    return round(math.log2(pow2_scale_holding(-peak, peak, bits, True)))


@dataclass
class Stats:
    """Per block kind, over every call: the worst and summed |error| in output LSB against the
    float op of the same real input (``err``), the worst distance in LSB from the correctly
    rounded block of the same input codes and how many outputs differ from it (``off``),
    outputs and saturated inputs counted; compiled C outputs that differ from the golden model."""

    max_err: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))
    sum_err: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))
    max_off: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    off: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    outputs: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    saturated: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    saturated_out: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    c_mismatches: int = 0
    c_outputs: int = 0

    def add(self, kind, codes, rounded, real, want, fmt, clipped):
        lsb = fmt.scale
        self.saturated_out[kind] += int(np.count_nonzero(
            (want / lsb > fmt.max_code + 0.5) | (want / lsb < fmt.min_code - 0.5)))
        err = np.abs(real - want) / lsb
        off = np.abs(codes - rounded)
        self.max_err[kind] = max(self.max_err[kind], float(err.max()))
        self.sum_err[kind] += float(err.sum())
        self.max_off[kind] = max(self.max_off[kind], int(off.max()))
        self.off[kind] += int(np.count_nonzero(off))
        self.outputs[kind] += err.size
        self.saturated[kind] += int(clipped)


def quantize_counted(v, fmt) -> tuple[np.ndarray, int]:
    """:func:`approxgen.fixedpoint.quantize` of ``v`` and how many values it saturated."""
    outside = (v / fmt.scale + 0.5 >= fmt.max_code + 1) | (v / fmt.scale + 0.5 < fmt.min_code)
    return quantize(v, fmt), int(np.count_nonzero(outside))


class IntOps:
    """One variant's integer blocks at one format: each block quantizes, runs ``codes -> codes``,
    dequantizes, and records its errors (:class:`Stats`)."""

    def __init__(self, variant: str, blocks: dict, model: dict, check: bool):
        self.variant, self.blocks, self.model, self.check = variant, blocks, model, check
        self.stats = Stats()

    def run(self, kind, rows, want, fmt_in, fmt_out, rounded, variants, golden):
        """``rounded``: the correctly rounded block of codes; ``variants``: the approxgen and
        I-BERT ``codes -> codes``; ``golden``: the golden model of the C they call, or None."""
        codes, clipped = quantize_counted(rows, fmt_in)
        exact = rounded(codes)
        run_codes = variants.get(self.variant)
        out = exact if run_codes is None else run_codes(codes).astype(np.int64)
        if self.check and golden.get(self.variant) is not None:
            self.stats.c_mismatches += int(np.count_nonzero(out != golden[self.variant](codes)))
            self.stats.c_outputs += out.size
        real = out * fmt_out.scale
        self.stats.add(kind, out, exact, real, want, fmt_out, clipped)
        return real

    def gelu(self, i, v):
        fits, compiled = self.blocks["gelu"], self.blocks["gelu c"]
        spec = fits["approxgen"].spec
        flat = v.reshape(-1)
        return self.run("GELU", flat, gelu(flat), spec.input, spec.output,
                        lambda q: quantize(gelu(q * spec.input.scale), spec.output),
                        compiled, {k: f.evaluate for k, f in fits.items()}).reshape(v.shape)

    def softmax(self, i, v):
        block, c = self.blocks[("softmax", i)]
        rows = v.reshape(-1, v.shape[-1])
        return self.run("softmax", rows, softmax(rows), block.input, block.output,
                        block.reference, {"approxgen": c,
                                          "I-BERT": lambda q: ibert_softmax(block, q)},
                        {"approxgen": block.model}).reshape(v.shape)

    def layernorm(self, i, which, v):
        block, c = self.blocks[("ln", i, which)]
        rows = v.reshape(-1, v.shape[-1])
        want = layernorm(rows, *self.model["layers"][i][f"ln{which + 1}"])
        return self.run("LayerNorm", rows, want, block.input, block.output, block.reference,
                        {"approxgen": c, "I-BERT": lambda q: ibert_norm(block, q)},
                        {"approxgen": block.model}).reshape(v.shape)


def make_blocks(model: dict, peaks: dict, bits: int, gelu_fits: dict, work: Path) -> dict:
    """The blocks of one format: softmax per layer, LayerNorm per layer and position (their
    calibrated scales, the model's gamma/beta), each with its compiled C; the GELU fits."""
    import approxgen

    blocks = {"gelu": {"approxgen": gelu_fits[bits]}}
    spec = gelu_fits[bits].spec
    blocks["gelu"]["I-BERT"] = approxgen.fit(
        "gelu", form="ibert", name=f"ibert_gelu{bits}",
        input={"bits": bits, "signed": True, "scale": spec.input.scale},
        output={"bits": bits, "signed": True, "scale": spec.output.scale})
    blocks["gelu c"] = {v: blocks["gelu"][v].compile() for v in ("approxgen", "I-BERT")}
    for i, layer in enumerate(model["layers"]):
        exp = max(-14, pow2_exp(peaks[("softmax", i)], bits))
        sm = load({"block": "softmax", "name": f"enc_sm{bits}_{i}", "length": model["seq"],
                   "input": {"bits": bits, "signed": True, "scale": f"2^{exp}"},
                   "output": {"bits": bits, "signed": False, "scale": SOFTMAX_OUT[bits]}},
                  "<benchmark>")
        blocks[("softmax", i)] = (sm, sm.compile())
        for which in (0, 1):
            gamma, beta = layer[f"ln{which + 1}"]
            name = f"enc_ln{bits}_{i}_{which}"
            np.save(work / f"{name}_g.npy", gamma)
            np.save(work / f"{name}_b.npy", beta)
            ln = load({"block": "layernorm", "name": name, "length": model["d_model"],
                       "input": {"bits": bits, "scale":
                                 f"2^{pow2_exp(peaks[('ln in', i, which)], bits)}"},
                       "output": {"bits": bits, "scale":
                                  f"2^{pow2_exp(peaks[('ln out', i, which)], bits)}"},
                       "gamma": str(work / f"{name}_g.npy"),
                       "beta": str(work / f"{name}_b.npy")}, "<benchmark>")
            blocks[("ln", i, which)] = (ln, ln.compile())
    return blocks


def cosine(a, b, axis=None):
    return np.sum(a * b, axis=axis) / np.sqrt(np.sum(a * a, axis=axis) * np.sum(b * b, axis=axis))


def shipped_gelu_fits() -> dict:
    from approxgen import spec as specs
    from approxgen.fitting import fit

    paths = {bits: ROOT / "configs" / f"gelu_int{bits}.yaml" for bits in (8, 16)}
    return {bits: fit(specs.resolve(specs.load_yaml(p), str(p)), progress=False)
            for bits, p in paths.items()}


def run(size: dict = FULL, seeds=EVAL_SEEDS, gelu_fits: dict | None = None,
        formats=(8, 16), check: bool = True) -> dict:
    """``{(bits, variant): {"cos": [per batch], "token_cos_min", "max_abs", "stats", "blocks"}}``
    over the batches of ``seeds`` (``check``: compare every compiled C call with its golden
    model)."""
    gelu_fits = gelu_fits or shipped_gelu_fits()
    model = make_model(size)
    calibration = FloatOps(model)
    forward(model, batch(model, CALIBRATION_SEED), calibration)
    references = {seed: forward(model, batch(model, seed), FloatOps(model)) for seed in seeds}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for bits in formats:
            blocks = make_blocks(model, calibration.peaks, bits, gelu_fits, Path(tmp))
            for variant in VARIANTS:
                ops = IntOps(variant, blocks, model, check)
                cos, token_min, max_abs = [], 1.0, 0.0
                for seed in seeds:
                    ref = references[seed]
                    got = forward(model, batch(model, seed), ops)
                    cos.append(float(cosine(got, ref)))
                    token_min = min(token_min, float(cosine(got, ref, axis=-1).min()))
                    max_abs = max(max_abs, float(np.abs(got - ref).max()))
                results[(bits, variant)] = {"cos": cos, "token_cos_min": token_min,
                                            "max_abs": max_abs, "stats": ops.stats,
                                            "blocks": blocks}
    return results


def table(results: dict, size: dict, seeds, seconds: float) -> list[str]:
    lines = [f"Measured by `python benchmarks/bench_encoder.py` ({size['layers']} post-LN "
             f"encoder layers, d_model {size['d_model']}, {size['heads']} heads, FFN "
             f"{size['ffn']}, sequence {size['seq']}, {size['batch']} sequences per batch; "
             f"random weights N(0, 1/fan_in), W_q x {QUERY_GAIN}, seed {MODEL_SEED}; inputs "
             f"N(0, 1) with {OUTLIER_CHANNELS} channels 10-50x larger, each token at unit RMS; "
             f"{len(seeds)} seeded "
             f"batches; static power-of-two scales: the smallest holding the max |value| of one "
             f"other batch; only GELU, softmax "
             f"and LayerNorm integer, the matmuls float64; cosine of the final hidden state "
             f"against float64 (as 1 - cosine), per batch (mean, worst) and per token (worst); "
             f"max abs err of the final hidden state over every batch; \"C = golden\": "
             f"compiled C outputs (approxgen's GELU, softmax and LayerNorm, I-BERT's GELU) "
             f"compared with the golden model on every call; {seconds:.0f} s CPU):", "",
             "| format | variant | 1 - cosine, mean | 1 - cosine, worst batch | "
             "1 - cosine, worst token | max abs err | saturated block inputs / outputs | "
             "C = golden |",
             "|---|---|---|---|---|---|---|---|"]
    for (bits, variant), r in results.items():
        st = r["stats"]
        total = sum(st.outputs.values())
        sat = (f"{100 * sum(st.saturated.values()) / total:.3f}% / "
               f"{100 * sum(st.saturated_out.values()) / total:.3f}%")
        c_check = (f"{st.c_mismatches} off / {st.c_outputs:,}" if st.c_outputs else "-")
        lines.append(f"| int{bits} | {variant} | {1 - np.mean(r['cos']):.2e} | "
                     f"{1 - min(r['cos']):.2e} | {1 - r['token_cos_min']:.2e} | "
                     f"{r['max_abs']:.4f} | {sat} | "
                     f"{c_check} |")
    lines += ["", "Per block, over every call: max / mean |error| in output LSB against the "
              "float op of the same real input (input quantization included), and the largest "
              "distance in LSB from the correctly rounded block of the same input codes with "
              "the share of outputs that differ from it (approximation alone):", "",
              "| format | variant | " + " | ".join(f"{k} err max / mean | {k} off max / share"
                                                  for k in KINDS) + " |",
              "|---|---|" + "---|---|" * len(KINDS)]
    for (bits, variant), r in results.items():
        st = r["stats"]
        cells = " | ".join(f"{st.max_err[k]:.2f} / {st.sum_err[k] / st.outputs[k]:.3f} | "
                           f"{st.max_off[k]} / {100 * st.off[k] / st.outputs[k]:.3f}%"
                           for k in KINDS)
        lines.append(f"| int{bits} | {variant} | {cells} |")
    return lines


def main() -> None:
    start = time.process_time()
    results = run()
    lines = table(results, FULL, EVAL_SEEDS, time.process_time() - start)
    RESULT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
