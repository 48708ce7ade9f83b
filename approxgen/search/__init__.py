"""Breakpoint search methods. Each is a small module with one function::

    search(problem: PwlProblem, options: dict, seed: int) -> SearchResult

that proposes integer breakpoints; the problem re-derives the coefficients and judges them on the
golden integer model. Modules are imported only when used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from approxgen.errors import ApproxgenError

SEARCHES = {
    "uniform": "approxgen.search.uniform",
}


@dataclass
class SearchResult:
    breakpoints: tuple[int, ...]
    settings: dict = field(default_factory=dict)  # recorded in the artifact
    notes: list[str] = field(default_factory=list)


def run(name: str, problem, options: dict, seed: int) -> SearchResult:
    module = importlib.import_module(SEARCHES[name])
    return module.search(problem, options, seed)


def read_options(options: dict, defaults: dict, where: str) -> dict:
    """Validate ``search_options`` against ``defaults`` (name -> default value, typed)."""
    result = dict(defaults)
    for key, value in options.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise ApproxgenError(f"unknown option {key!r} (known: {known})",
                                 f"{where}.{key}")
        want = type(defaults[key])
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or isinstance(value, bool) != (want is bool):
            raise ApproxgenError(f"expected {want.__name__}, got {value!r}", f"{where}.{key}")
        result[key] = value
    return result
