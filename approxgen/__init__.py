"""approxgen: quantization-aware integer approximations of Transformer non-linearities.

The package fits integer-only approximations (piecewise-linear LUTs, exact tables) of functions
such as GELU or exp on a fixed-point input grid, and renders them as C and Verilog that match one
Python golden model bit for bit.

Python API (see :mod:`approxgen.api`): ``approxgen.fit(...) -> Fit``, ``approxgen.load(path)``,
``approxgen.emit(fit, target)``, ``approxgen.block(spec)`` (softmax, LayerNorm, RMSNorm blocks),
``approxgen.Fit``, ``approxgen.ApproxgenError``. They are loaded
on first use, so ``import approxgen`` stays cheap (no numpy).
"""

import sys
import types

from approxgen.errors import ApproxgenError
from approxgen.version import __version__

__all__ = ["ApproxgenError", "Fit", "block", "emit", "fit", "load", "load_vectors",
           "__version__"]


# approxgen.fit(...), approxgen.emit(...), ...: functions of api.py
_API = ("fit", "emit", "load", "load_vectors", "block")


class _Package(types.ModuleType):
    """``approxgen.fit`` and ``approxgen.emit`` are the API's functions (:mod:`approxgen.api`),
    though subpackages share their names: importing one would set the attribute to the module,
    so that is not done (the subpackage is ``sys.modules["approxgen.fit"]``, which every
    ``from approxgen.fit... import`` reads)."""

    def __setattr__(self, name, value):
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in _API:
        from approxgen import api

        value = getattr(api, name)
        globals()[name] = value  # from now on a plain attribute
        return value
    if name == "torch":  # the optional PyTorch integration (pip install approxgen[torch])
        import importlib

        return importlib.import_module("approxgen.torch")
    if name == "Fit":
        from approxgen.artifact import Fit

        return Fit
    raise AttributeError(f"module 'approxgen' has no attribute {name!r}")
