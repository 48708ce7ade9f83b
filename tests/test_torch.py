"""approxgen.torch on a small Transformer built here (random weights, fixed seed): record, fit
per layer (cached), replace (golden model in torch, or the compiled C: equal on every code),
forward equal to the golden model, backward through the straight-through gradient."""

import copy
import os

import numpy as np
import pytest

import approxgen
from conftest import require_module, require_tool


torch = require_module("torch", "approxgen[torch]")
from approxgen import torch as integration  # noqa: E402


class Block(torch.nn.Module):
    """Attention, then a GELU MLP and a SiLU-gated MLP (as in BERT and in LLaMA)."""

    def __init__(self, width=16):
        super().__init__()
        self.attention = torch.nn.MultiheadAttention(width, 2, batch_first=True)
        self.norm = torch.nn.LayerNorm(width)
        self.up, self.act, self.down = (torch.nn.Linear(width, 32), torch.nn.GELU(),
                                        torch.nn.Linear(32, width))
        self.gate, self.value, self.silu = (torch.nn.Linear(width, 32), torch.nn.Linear(width, 32),
                                            torch.nn.SiLU())
        self.out, self.squash = torch.nn.Linear(32, width), torch.nn.Tanh()

    def forward(self, x):
        x = self.norm(x + self.attention(x, x, x, need_weights=False)[0])
        x = x + self.down(self.act(self.up(x)))
        return self.squash(x + self.out(self.silu(self.gate(x)) * self.value(x)))


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    os.environ["APPROXGEN_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    torch.manual_seed(0)
    model = torch.nn.Sequential(Block(), Block()).eval()
    batches = [torch.randn(2, 5, 16) * 2 for _ in range(3)]
    records = integration.record(model, batches)
    fits = integration.fit_layers(records, bits=8, calibration="absmax")
    return model, batches, records, fits


def test_record_keeps_a_histogram_of_every_activation(setting):
    model, batches, records, _ = setting
    assert sorted(records) == [f"{b}.{a}" for b in "01" for a in ("act", "silu", "squash")]
    assert records["0.act"].keys == {"function": "gelu"}
    assert records["1.silu"].keys == {"function": "silu"}
    assert all(r.histogram.total == 3 * 2 * 5 * 32 for n, r in records.items() if "squash" not in n)
    assert all(r.histogram.counts.size == integration.BINS for r in records.values())
    assert not any(m._forward_hooks for m in model.modules())  # hooks removed


def test_fits_are_calibrated_per_layer_and_cached(setting):
    _, _, records, fits = setting
    assert fits["0.act"].spec.name == "act_0_act"
    assert {f.spec.name for f in fits.values()} == {integration.identifier(n) for n in records}
    assert all(f.calibration["method"] == "absmax" for f in fits.values())
    again = integration.fit_layers(records, bits=8, calibration="absmax")
    assert all(again[n].dumps() == fits[n].dumps() for n in fits)


def test_replaced_model_runs_the_integer_path_forward_and_backward(setting):
    require_tool("cc")
    model, batches, _, fits = setting
    golden = integration.replace(copy.deepcopy(model), fits)
    native = integration.replace(copy.deepcopy(model), fits, backend="c")
    for name, fit in fits.items():  # both backends agree on every code
        module, other = golden.get_submodule(name), native.get_submodule(name)
        codes = torch.from_numpy(fit.spec.input.codes())
        assert torch.equal(module.integer(codes), other.integer(codes))
    seen = {}

    def keep(module, inputs, output):
        seen.setdefault(module.fit_path, (inputs[0], output))
    for name in fits:
        golden.get_submodule(name).fit_path = name
        golden.get_submodule(name).register_forward_hook(keep)
    x = batches[0].clone().requires_grad_(True)
    out = golden(x)
    assert torch.equal(out, native(x))
    for name, (inp, got) in seen.items():  # each layer's output is the golden model's
        want = fits[name].apply(inp.detach().double().numpy()).astype(np.float32)
        assert torch.equal(got, torch.from_numpy(want)), name
    cosine = torch.nn.functional.cosine_similarity(out.flatten(), model(x).flatten(), dim=0)
    assert 0.95 < float(cosine.detach()) < 1.0
    out.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    weight = golden[0].up.weight.grad
    assert weight is not None and weight.abs().sum() > 0


def test_the_gradient_is_the_original_activations(setting):
    _, _, _, fits = setting
    module = integration.approximated(fits["0.act"], torch.nn.GELU())
    x = torch.linspace(-3, 3, 101, requires_grad=True)
    module(x).sum().backward()
    ref = torch.linspace(-3, 3, 101, requires_grad=True)
    torch.nn.GELU()(ref).sum().backward()
    assert torch.equal(x.grad, ref.grad)
    with pytest.raises(approxgen.ApproxgenError, match="backend"):
        integration.approximated(fits["0.act"], torch.nn.GELU(), backend="fast")


def test_the_readme_example_runs(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("\n## Use it from PyTorch / ONNX\n"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
