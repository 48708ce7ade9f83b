"""A pwl fitting problem: the domain codes, their targets, and the cost of a set of breakpoints.

Search methods only propose breakpoints; :meth:`PwlProblem.evaluate` re-derives the integer
coefficients of every segment (memoized by segment, so a search revisiting segments pays once)
and returns the objective the golden model will really show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from approxgen.fit.arithmetic import PwlArithmetic
from approxgen.fit.segment import SegmentFit, solve_segment
from approxgen.model import PwlModel
from approxgen.spec import Spec


@dataclass(frozen=True)
class Evaluation:
    """The objective of a breakpoint set: ``max`` LSB error, or ``mse`` in LSB^2."""

    breakpoints: tuple[int, ...]
    objective: float
    segments: tuple[SegmentFit, ...]


class PwlProblem:
    def __init__(self, spec: Spec, segments: int):
        self.spec = spec
        self.segments = segments
        self.objective = spec.objective
        self.arith = PwlArithmetic.for_spec(spec, segments)
        self.codes = spec.domain_codes()
        self.targets = spec.reference(self.codes) / spec.output.scale
        self.lo, self.hi = spec.domain  # breakpoints lie in (lo, hi]
        self._cache: dict[tuple[int, int], SegmentFit] = {}

    @property
    def n_codes(self) -> int:
        return self.codes.size

    def segment(self, first: int, last: int) -> SegmentFit:
        """The best integer coefficients for domain codes ``first..last`` (inclusive)."""
        key = (first, last)
        hit = self._cache.get(key)
        if hit is None:
            i, j = first - self.lo, last - self.lo + 1
            hit = solve_segment(self.arith, self.codes[i:j], self.targets[i:j], self.objective)
            self._cache[key] = hit
        return hit

    def evaluate(self, breakpoints) -> Evaluation:
        bps = tuple(int(b) for b in breakpoints)
        edges = (self.lo, *bps, self.hi + 1)
        fits = tuple(self.segment(a, b - 1) for a, b in zip(edges, edges[1:]))
        if self.objective == "max":
            value = max(f.cost for f in fits)
        else:
            value = sum(f.cost for f in fits) / self.n_codes
        return Evaluation(bps, value, fits)

    def is_valid(self, breakpoints) -> bool:
        bps = np.asarray(breakpoints, dtype=np.int64)
        return (bps.size == self.segments - 1 and bool(np.all(np.diff(bps) > 0))
                and (bps.size == 0 or (bps[0] > self.lo and bps[-1] <= self.hi)))

    def model(self, evaluation: Evaluation) -> PwlModel:
        """The golden model of an evaluated breakpoint set, with its declared widths."""
        from approxgen.fixedpoint import signed_bits

        slopes = tuple(f.slope for f in evaluation.segments)
        intercepts = tuple(f.intercept for f in evaluation.segments)
        spec = self.spec
        slope_bits = (spec.slope_format.bits if spec.slope_format
                      else signed_bits(min(slopes), max(slopes)))
        intercept_bits = (spec.intercept_format.bits if spec.intercept_format
                          else signed_bits(min(intercepts), max(intercepts)))
        model = PwlModel(spec.input, spec.output, evaluation.breakpoints, slopes, intercepts,
                         self.arith.shift, self.arith.intercept_shift, slope_bits, intercept_bits)
        model.check()
        return model
