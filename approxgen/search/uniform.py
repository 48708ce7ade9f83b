"""``uniform``: breakpoints that split the domain codes into equal runs."""

from __future__ import annotations

import numpy as np

from approxgen.search import SearchResult, read_options


def uniform_breakpoints(lo: int, hi: int, segments: int) -> tuple[int, ...]:
    """K-1 integer breakpoints splitting codes ``lo..hi`` into K runs of (nearly) equal length."""
    n = hi - lo + 1
    return tuple(int(lo + np.floor(i * n / segments)) for i in range(1, segments))


def options(raw: dict, where: str, objective: str) -> dict:
    return read_options(raw, {}, where)


def search(problem, options: dict, seed: int, progress: bool = False) -> SearchResult:
    read_options(options, {}, f"{problem.spec.source}: search_options")
    return SearchResult(uniform_breakpoints(problem.lo, problem.hi, problem.segments))
