"""Decode cost in the fit (spec key ``decode_slack``): breakpoints on the C decoder's grid.

The C header finds a code's segment with a bucket table over the top input bits
(:func:`approxgen.emit.c.bucket_plan`); where every breakpoint lies on its grid (a multiple of
``2^6`` codes from the least input code) the table needs no compare, and the array variant
runs up to 3x faster. After the search, :func:`on_grid` moves each breakpoint to a grid point
next to it (the nearer first, then, one breakpoint at a time, the other one where that costs
less) and keeps the moved set when its max error (measured on every domain code, as the fit
summary measures it) is at most ``decode_slack`` LSB above the searched one's and within
``max_error_lsb`` where the searched one was.
"""

from __future__ import annotations

from approxgen.metrics import measure, target


def on_grid(spec, problem, evaluation):
    """``(evaluation, note)`` with the breakpoints on the decoder's grid, or None (no slack,
    no grid for this count, already on it, or it costs more than the slack)."""
    from approxgen.emit.c import decoder_grid

    grid = decoder_grid(spec.input, problem.segments)
    if not spec.decode_slack or grid is None or spec.objective == "rounding":
        return None
    origin = spec.input.min_code
    points = evaluation.breakpoints
    if all((b - origin) % grid == 0 for b in points):
        return None
    codes = spec.domain_codes()
    reference = target(spec, codes)

    def error(ev) -> float:
        return measure(problem.model(ev).evaluate(codes), reference, spec.output)["max_error_lsb"]

    def neighbours(b: int) -> tuple[int, int]:
        below = origin + (b - origin) // grid * grid
        return below, below + grid

    nearest = [min(neighbours(b), key=lambda g: (abs(g - b), g)) for b in points]
    if not problem.is_valid(nearest):
        return None
    best = problem.evaluate(nearest)
    for i, b in enumerate(points):  # the other grid point of each, where it costs less
        other = [g for g in neighbours(b) if g != nearest[i]][0]
        moved = [*best.breakpoints[:i], other, *best.breakpoints[i + 1:]]
        if problem.is_valid(moved):
            candidate = problem.evaluate(moved)
            if candidate.objective < best.objective:
                best = candidate
    searched, snapped = error(evaluation), error(best)
    budget = spec.max_error_lsb
    if snapped > searched + spec.decode_slack or (budget is not None and snapped > budget
                                                    >= searched):
        return None  # beyond the slack, or it would break the error budget the search met
    note = (f"decode_slack {spec.decode_slack:g}: breakpoints on the C decoder's {grid}-code "
            f"grid (no compare in its bucket table), max error {snapped:.4f} LSB against the "
            f"searched {searched:.4f}")
    return best, note
