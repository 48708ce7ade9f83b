"""PyTorch: record a model's activations, fit one calibrated approximation per layer, and run
the model with them (``pip install approxgen[torch]``).

>>> records = approxgen.torch.record(model, batches)        # hooks on GELU, SiLU, Tanh, ...
>>> fits = approxgen.torch.fit_layers(records, bits=8)      # one calibrated fit per layer
>>> approxgen.torch.replace(model, fits)                    # quantize -> integer path -> float

:func:`record` keeps a histogram per layer (bounded memory, never the tensors); :func:`replace`
swaps each recorded module for an :class:`Approximated` one whose forward quantizes its input as
:meth:`approxgen.Fit.quantize` does, runs the fit's integer path (``backend="golden"``: the golden
model's output for every input code, indexed in torch; ``backend="c"``: the emitted C, compiled by
:meth:`approxgen.Fit.compile`) and dequantizes; its backward is the straight-through gradient of
the original activation, so the model can be fine-tuned with the integer path in its forward.
Only modules are seen (``nn.GELU``...), not functional calls (``F.gelu``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field

import numpy as np

from approxgen.errors import ApproxgenError

BINS = 1 << 16  # histogram bins over [-R, R), R a power of two that grows to hold every input
MAX_CALIBRATION_SAMPLES = 1 << 20  # samples a histogram stands for when fitting (see samples())
TANH_GELU = "0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))"


def _torch():
    try:
        import torch
    except ImportError:
        raise ApproxgenError("approxgen.torch needs PyTorch: pip install approxgen[torch]",
                             "torch") from None
    return torch


def function_of(module) -> dict | None:
    """The spec keys (``function`` or ``expr``) of an activation module, None for others."""
    nn = _torch().nn
    if isinstance(module, nn.GELU):
        return {"expr": TANH_GELU} if module.approximate == "tanh" else {"function": "gelu"}
    for kind, name in ((nn.SiLU, "silu"), (nn.Tanh, "tanh"), (nn.Sigmoid, "sigmoid"),
                       (nn.Hardswish, "hswish")):
        if isinstance(module, kind):
            return {"function": name}
    return None


@dataclass
class Histogram:
    """Counts of values over :data:`BINS` equal bins of ``[-2^e, 2^e)``; ``e`` grows (pairs of
    bins merged, exactly) until every value fits, so memory stays fixed."""

    exponent: int = -20
    counts: np.ndarray = field(default_factory=lambda: np.zeros(BINS, dtype=np.int64))
    total: int = 0

    def add(self, values: np.ndarray) -> None:
        values = values[np.isfinite(values)]
        if values.size == 0:
            return
        top = float(np.max(np.abs(values)))
        while top >= math.ldexp(1.0, self.exponent):
            self.counts = np.concatenate([np.zeros(BINS // 4, dtype=np.int64),
                                          self.counts.reshape(-1, 2).sum(axis=1),
                                          np.zeros(BINS // 4, dtype=np.int64)])
            self.exponent += 1
        width = math.ldexp(2.0, self.exponent) / BINS
        index = np.floor((values + math.ldexp(1.0, self.exponent)) / width).astype(np.int64)
        self.counts += np.bincount(np.clip(index, 0, BINS - 1), minlength=BINS)
        self.total += int(values.size)

    def samples(self, limit: int = MAX_CALIBRATION_SAMPLES) -> np.ndarray:
        """Bin centres repeated by their counts, scaled down to about ``limit`` samples in all
        (every non-empty bin keeps at least one: rare outliers stay)."""
        width = math.ldexp(2.0, self.exponent) / BINS
        centres = -math.ldexp(1.0, self.exponent) + (np.arange(BINS) + 0.5) * width
        counts = self.counts
        if self.total > limit:
            counts = np.where(counts > 0, np.maximum(1, counts * limit // self.total), 0)
        return np.repeat(centres, counts)


@dataclass
class Record:
    """One activation module's inputs, as a histogram."""

    name: str  # the module's path in the model (``blocks.0.mlp.act``)
    keys: dict  # function or expr
    histogram: Histogram = field(default_factory=Histogram)


def record(model, batches) -> dict[str, Record]:
    """Run ``model`` on each batch (no gradients) with a hook on every ``nn.GELU``, ``nn.SiLU``,
    ``nn.Tanh``, ``nn.Sigmoid`` and ``nn.Hardswish``; the histogram of each one's inputs, by
    module path. A batch is a tensor or a tuple of the model's arguments."""
    torch = _torch()
    records, hooks = {}, []
    for name, module in model.named_modules():
        keys = function_of(module)
        if keys is None:
            continue
        records[name] = Record(name, keys)

        def hook(_module, inputs, _output, rec=records[name]):
            rec.histogram.add(inputs[0].detach().double().cpu().numpy().reshape(-1))
        hooks.append(module.register_forward_hook(hook))
    if not records:
        raise ApproxgenError("the model has no GELU, SiLU, Tanh, Sigmoid or Hardswish module",
                             "model")
    try:
        with torch.no_grad():
            for batch in batches:
                model(*batch) if isinstance(batch, (tuple, list)) else model(batch)
    finally:
        for handle in hooks:
            handle.remove()
    return records


def identifier(path: str) -> str:
    """A valid fit name from a module path (``blocks.0.act`` -> ``blocks_0_act``)."""
    name = re.sub(r"\W", "_", path) or "act"
    name = name if re.match(r"[A-Za-z_]", name) else f"act_{name}"
    if len(name) > 63:
        name = f"{name[:46]}_{hashlib.sha256(path.encode()).hexdigest()[:16]}"
    return name


def fit_layers(records: dict[str, Record], bits: int = 8, cache: bool = True,
               **spec_keys) -> dict:
    """One calibrated fit per recorded layer (``spec_keys`` laid over each: ``form="table"``,
    ``calibration="absmax"``...), by module path. Fits are cached on disk (under
    :func:`approxgen.native.cache_dir`'s parent) by their keys and the samples' digest."""
    import approxgen
    from approxgen.native import cache_dir

    fits = {}
    for path, rec in records.items():
        samples = rec.histogram.samples()
        if samples.size == 0:
            raise ApproxgenError("no input recorded (was the module run?)", path)
        keys = {**rec.keys, "name": identifier(path), "bits": bits, **spec_keys}
        digest = hashlib.sha256(json.dumps(keys, sort_keys=True).encode() + approxgen.__version__
                                .encode() + samples.tobytes()).hexdigest()[:24]
        stored = cache_dir().parent / "fits" / f"{keys['name']}-{digest}.json"
        if cache and stored.is_file():
            fits[path] = approxgen.load(stored)
            continue
        spec = {k: v for k, v in keys.items() if k in ("function", "expr")}
        fits[path] = approxgen.fit(spec, calibrate=samples,
                                   **{k: v for k, v in keys.items() if k not in spec})
        if cache:
            stored.parent.mkdir(parents=True, exist_ok=True)
            fits[path].save(stored)
    return fits


def _module_class():
    torch = _torch()

    class _StraightThrough(torch.autograd.Function):
        """Forward: the integer path's values; backward: the original activation's gradient."""

        @staticmethod
        def forward(ctx, x, y, original):
            ctx.save_for_backward(x)
            ctx.original = original
            return y

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            with torch.enable_grad():
                xx = x.detach().requires_grad_(True)
                (gx,) = torch.autograd.grad(ctx.original(xx), xx, grad)
            return gx, None, None

    class Approximated(torch.nn.Module):
        """An activation run through a fit's integer path (see the module docstring)."""

        def __init__(self, fit, original, backend: str = "golden"):
            super().__init__()
            if backend not in ("golden", "c"):
                raise ApproxgenError(f"backend must be golden or c, got {backend!r}", "backend")
            self.fit, self.original, self.backend = fit, original, backend
            fmt = fit.spec.input
            self.lo, self.hi, self.scale = fmt.min_code, fmt.max_code, fmt.scale
            codes = fmt.codes()
            self.register_buffer("table", torch.from_numpy(fit.evaluate(codes)), persistent=False)
            self.compiled = fit.compile() if backend == "c" else None

        def codes(self, x):
            """Input codes of ``x`` as :meth:`approxgen.Fit.quantize` computes them (float64)."""
            q = torch.floor(x.detach().double() / self.scale + 0.5)
            return torch.clamp(q, self.lo, self.hi).to(torch.int64)

        def integer(self, q):
            if self.compiled is None:
                return self.table[q - self.lo]
            return torch.from_numpy(self.compiled(q.cpu().numpy()).astype(np.int64)).to(q.device)

        def forward(self, x):
            y = (self.integer(self.codes(x)).double() * self.fit.spec.output.scale).to(x.dtype)
            return _StraightThrough.apply(x, y, self.original)

        def extra_repr(self) -> str:
            return f"{self.fit.spec.name}, {self.fit.spec.form}, backend={self.backend}"

    return Approximated


_CLASS = None


def approximated(fit, original, backend: str = "golden"):
    """An :class:`Approximated` module of ``fit`` standing for ``original``."""
    global _CLASS
    if _CLASS is None:
        _CLASS = _module_class()
    return _CLASS(fit, original, backend)


def replace(model, fits: dict, backend: str = "golden"):
    """Replace each module named in ``fits`` (module path -> Fit) by its :class:`Approximated`
    module, in place; returns ``model``."""
    for path, fit in fits.items():
        parent_path, _, child = path.rpartition(".")
        try:
            parent = model.get_submodule(parent_path)
            original = getattr(parent, child)
        except AttributeError:
            raise ApproxgenError("no such module in the model", path) from None
        setattr(parent, child, approximated(fit, original, backend))
    return model
