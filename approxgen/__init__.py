"""approxgen: quantization-aware integer approximations of Transformer non-linearities.

The package fits integer-only approximations (piecewise-linear LUTs, exact tables) of functions
such as GELU or exp on a fixed-point input grid, and renders them as C and Verilog that match one
Python golden model bit for bit.

Python API (see :mod:`approxgen.api`): ``approxgen.fit(...) -> Fit``, ``approxgen.load(path)``,
``approxgen.emit(fit, target)``, ``approxgen.Fit``, ``approxgen.ApproxgenError``. They are loaded
on first use, so ``import approxgen`` stays cheap (no numpy).
"""

import sys
import types

from approxgen.errors import ApproxgenError

__version__ = "0.1.0"
__all__ = ["ApproxgenError", "Fit", "emit", "fit", "load", "load_vectors", "__version__"]


class _FitPackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        """``approxgen.fit(...)``: :func:`approxgen.api.fit`."""
        from approxgen import api

        return api.fit(*args, **kwargs)


class _EmitPackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        """``approxgen.emit(...)``: :func:`approxgen.api.emit`."""
        from approxgen import api

        return api.emit(*args, **kwargs)


_CALLABLE = {"fit": _FitPackage, "emit": _EmitPackage}


class _Package(types.ModuleType):
    """The subpackages ``approxgen.fit`` and ``approxgen.emit`` share their names with the API
    calls; importing one sets the attribute, so each is made callable as it is set."""

    def __setattr__(self, name, value):
        if name in _CALLABLE and type(value) is types.ModuleType:
            value.__class__ = _CALLABLE[name]
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in _CALLABLE:
        import importlib

        return importlib.import_module(f"approxgen.{name}")
    if name in ("load", "load_vectors"):
        from approxgen import api

        return getattr(api, name)
    if name == "torch":  # the optional PyTorch integration (pip install approxgen[torch])
        import importlib

        return importlib.import_module("approxgen.torch")
    if name == "Fit":
        from approxgen.artifact import Fit

        return Fit
    raise AttributeError(f"module 'approxgen' has no attribute {name!r}")
