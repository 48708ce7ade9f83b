"""The Python API: fit, load and emit without the command line.

>>> import approxgen
>>> fit = approxgen.fit("gelu", bits=8, segments=8)
>>> y = fit.apply([-1.0, 0.5, 2.0])        # float -> input codes -> integer model -> float
>>> header = approxgen.emit(fit, "c")
>>> sm = approxgen.block({"block": "softmax", "length": 64, "input": {"scale": "2^-4"}})
>>> y = sm.evaluate([3, -2, 7])             # the block's golden model on one row of codes
>>> unit = approxgen.emit(sm, "verilog")

Keys are those of a spec file (nested mappings allowed, e.g. ``input={"bits": 8}``); they are laid
over the spec with :func:`approxgen.spec.merge` and validated by :func:`approxgen.spec.resolve`, the
path every spec takes. Errors are :class:`~approxgen.errors.ApproxgenError` naming the key.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from approxgen.errors import ApproxgenError

if TYPE_CHECKING:  # the library loads on first use: importing the API imports no numpy
    from approxgen.artifact import Fit

SOURCE = "approxgen.fit()"


def fit(function_or_spec: str | Path | dict, *, calibrate: Any = None,
        calibration: str | None = None, progress: bool = False, **keys: Any) -> Fit:
    """Fit a built-in function name, a spec mapping or a spec file (``.yaml``/``.yml``).

    ``keys`` are spec keys laid over it (``segments=16``, ``input={"bits": 16}``); ``bits=N``
    sets both input and output widths unless ``input``/``output`` give them. ``calibrate``: samples
    of the function's input (an array, or a ``.npy``/``.npz``/``.txt`` path) that pick the input
    scale, output scale and domain not given explicitly (see :mod:`approxgen.calibrate`);
    ``calibration``: ``absmax``, ``percentile:P``, ``mse`` or ``output-mse``. A spec's own
    ``calibrate:``/``calibration:`` keys apply unless these are given.
    """
    from approxgen import blocks, fitting, spec as specs

    raw, source = spec_source(function_or_spec)
    if blocks.is_block_spec(raw):
        raise ApproxgenError("a block spec is read with approxgen.block(), not fitted",
                             blocks.where_of(source, "block"))
    raw = specs.merge(raw, overrides(keys))
    return fitting.plan(raw, source, calibrate, calibration).fit(progress=progress)


def spec_source(target: str | Path | dict, source: str = SOURCE) -> tuple[dict, str]:
    """A raw spec mapping and the source its errors name, from a name, a mapping or a file
    (``source`` names keys of a function name or a mapping; ``"<flags>"`` names CLI flags)."""
    if isinstance(target, dict):
        return dict(target), source
    if isinstance(target, Path) or (isinstance(target, str)
                                    and target.endswith((".yaml", ".yml", ".json"))):
        if str(target).endswith(".json"):
            raise ApproxgenError("an artifact is loaded with approxgen.load(), not fitted",
                                 str(target))
        from approxgen.spec import load_yaml

        return load_yaml(target), str(target)
    if isinstance(target, str):
        return {"function": target}, source
    raise ApproxgenError(f"expected a function name, a spec mapping or a spec path, got "
                         f"{type(target).__name__}", f"{SOURCE}: function_or_spec")


def overrides(keys: dict) -> dict:
    """Keyword keys as dotted spec keys: nested mappings become ``input.bits`` and so on."""
    dotted: dict = {}
    if keys.get("bits") is not None:
        dotted["input.bits"] = dotted["output.bits"] = keys["bits"]
    for key, value in keys.items():
        if key == "bits":
            continue
        if isinstance(value, dict) and key in ("input", "output"):
            dotted.update({f"{key}.{sub}": v for sub, v in value.items()})
        else:
            dotted[key] = value
    return dotted


def block(spec: str | Path | dict):
    """The block (:mod:`approxgen.blocks`: softmax, layernorm, rmsnorm) a block spec mapping or
    file describes, or a block artifact (``.json``, from ``approxgen fit -o`` or
    :func:`approxgen.blocks.artifact.save`; read back, nothing refitted): ``evaluate(codes)`` is
    its golden model, ``approxgen.emit(block, "c")`` its code. A mapping's relative
    ``gamma``/``beta`` paths are the current directory's."""
    from approxgen import blocks

    if isinstance(spec, (str, Path)) and str(spec).endswith(".json"):
        from approxgen.blocks import artifact as block_artifact

        return block_artifact.load(spec)
    if isinstance(spec, str) and not spec.endswith((".yaml", ".yml")):
        raise ApproxgenError(f"expected a block spec mapping, a .yaml path or a block artifact "
                             f"(.json), got {spec!r}", "approxgen.block(): spec")
    raw, source = spec_source(spec, "approxgen.block()")
    if not blocks.is_block_spec(raw):
        raise ApproxgenError("not a block spec (it has no block key): fit it with "
                             "approxgen.fit()", source)
    return blocks.load(raw, source)


def load(path: str | Path) -> Fit:
    """Read and fully re-validate an artifact written by ``Fit.save`` or ``approxgen fit -o``:
    a Fit, or for a block artifact the block (nothing is refitted)."""
    from approxgen.blocks import artifact

    return artifact.load_any(path)


def load_vectors(path: str | Path, fit: Fit | None = None) -> dict:
    """The fields of a file ``emit vectors`` wrote: :func:`approxgen.native.load_vectors`."""
    from approxgen import artifact
    from approxgen.native import load_vectors as read

    return read(artifact._path(path, "load_vectors(path)"), fit)


def emit(fit: Fit, target: str, **options: Any) -> str:
    """Render ``fit`` as the text of ``target``, a name of the emitter registry
    (:data:`approxgen.emit.EMITTERS`: ``"c"``, ``"verilog"``, ``"vectors"``...); ``options`` are
    the emitter's own (c: ``segment_search``, ``export``; verilog: ``part``, ``pipeline``).
    ``fit`` may be a block (:func:`block`): its emitters' code, no options."""
    from approxgen.artifact import Fit
    from approxgen.blocks import Block
    from approxgen.emit import block_renderer, get as emitter

    if isinstance(fit, Block):
        if options:
            raise ApproxgenError(f"a block takes no {target} options, got "
                                 f"{', '.join(sorted(options))}", "options")
        return block_renderer(emitter(target), fit, "target")(fit)
    if not isinstance(fit, Fit):
        raise ApproxgenError(f"expected a Fit (from approxgen.fit or approxgen.load) or a "
                             f"block (approxgen.block), got {type(fit).__name__}", "fit")

    render = emitter(target).render
    signature = inspect.signature(render)
    try:
        signature.bind(fit, **options)
    except TypeError as exc:
        raise ApproxgenError(f"bad options for {target}: {exc}", "options") from None
    for key, value in options.items():  # an option has its default's type: pipeline=True
        default = signature.parameters[key].default
        if isinstance(default, (bool, str)) and type(value) is not type(default):
            raise ApproxgenError(f"expected a {type(default).__name__}, got {value!r}", key)
    try:
        return render(fit, **options)
    except ApproxgenError as exc:  # emitters name CLI flags (--part): name the option instead
        if exc.where and exc.where.startswith("--"):
            raise ApproxgenError(exc.message, exc.where[2:].replace("-", "_")) from None
        raise
