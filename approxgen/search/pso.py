"""``pso``: particle swarm over breakpoint positions (pyswarms ``GlobalBestPSO``).

A particle is K relative segment widths (a representation without the sorting ambiguity of raw
positions); their cumulative sums place K-1 real positions in code units, which
:func:`~approxgen.search.snap_breakpoints` maps to sorted, distinct integer breakpoints on the code
grid. Its fitness is the objective after
the per-segment integer coefficient solve, evaluated for the whole swarm in one call
(:meth:`PwlProblem.objectives`). pyswarms draws from numpy's global random state: it is seeded
from the spec seed for the run and restored afterwards, so runs are reproducible and callers'
random state is left alone. Independent restarts and a final local polish guard against the
narrow basins of minimax objectives.

On wide ``max`` problems (:attr:`PwlProblem.rough`: above 256 codes, e.g. 12- or 16-bit
inputs) the fitness is the rough
per-segment cost (:meth:`PwlProblem.rough_costs`: an integer line on the golden pipeline found in
one vectorized pass, never below the optimum), the default sizes are smaller (``WIDE``), and the
polish (:func:`~approxgen.search.refine`) finishes on the exact segment costs (every breakpoint
re-placed against a shared bound, within windows scaled to its segments).
"""

from __future__ import annotations

import contextlib
from unittest import mock

import numpy as np

from approxgen.search import (BestTracker, Option, SearchResult, finish, progress_bar,
                              sized_options,
                              read_options,
                              snap_breakpoints)

WIDTH_MIN = 0.05  # a particle holds K relative segment widths in [WIDTH_MIN, 1]
OPTIONS = {
    "particles": Option(24, 2, 1000, "swarm size"),
    "iterations": Option(80, 1, 100_000, "iterations per swarm"),
    "restarts": Option(1, 0, 100, "further independent swarms (the best over all wins)"),
    "inertia": Option(0.6, 0.0, 2.0, "w"),
    "cognitive": Option(1.4, 0.0, 4.0, "c1"),
    "social": Option(1.6, 0.0, 4.0, "c2"),
    "patience": Option(20, 0, 100_000, "stop after this many iterations without improvement "
                                        "(0: never)"),
    "tiebreak": Option(0.01, 0.0, 1.0, "weight of the mean segment cost added to a max "
                                       "objective while flying"),
    "polish": Option(True, doc="finish with a local search moving single breakpoints"),
}

# defaults on wide problems (rough costs; the polish's re-placement makes a restart not pay)
WIDE = {"particles": 16, "iterations": 50, "restarts": 0}


def options(raw: dict, where: str, objective: str) -> dict:
    return read_options(raw, OPTIONS, where)


def search(problem, options_: dict, seed: int, progress: bool = False) -> SearchResult:
    opts = options(options_, f"{problem.spec.source}: search_options", problem.objective)
    opts = sized_options(problem, options_, opts, WIDE)
    dims = problem.segments
    if dims == 1:
        return SearchResult((), {**opts, "evaluations": 0})
    rng = np.random.default_rng(seed)
    tracker = BestTracker(problem, rough=problem.rough)
    swarms = opts["restarts"] + 1
    with progress_bar(swarms * opts["iterations"], "pso", progress) as bar:
        def fitness(swarm: np.ndarray) -> np.ndarray:
            bar.update()
            return tracker(decode(problem, swarm), opts["tiebreak"])

        for run in range(swarms):
            init = rng.uniform(WIDTH_MIN, 1.0, size=(opts["particles"], dims))
            if run == 0:
                init[0] = 1.0  # uniform breakpoints
            with _seeded_global_numpy(int(rng.integers(2**32))), _quiet_pyswarms():
                from pyswarms.single import GlobalBestPSO

                optimizer = GlobalBestPSO(
                    n_particles=opts["particles"], dimensions=dims,
                    options={"w": opts["inertia"], "c1": opts["cognitive"], "c2": opts["social"]},
                    bounds=(np.full(dims, WIDTH_MIN), np.ones(dims)), init_pos=init,
                    ftol=1e-12 if opts["patience"] else -np.inf,
                    ftol_iter=max(opts["patience"], 1))
                optimizer.optimize(fitness, iters=opts["iterations"], verbose=False)
    best, settings, notes = finish(tracker, opts, "swarm")
    return SearchResult(best, {**opts, **settings}, notes)


def decode(problem, swarm: np.ndarray) -> np.ndarray:
    """Particles (relative segment widths) to integer breakpoints on the code grid."""
    ends = np.cumsum(swarm, axis=1)
    positions = problem.lo - 0.5 + problem.n_codes * ends[:, :-1] / ends[:, -1:]
    return snap_breakpoints(positions, problem.lo, problem.hi)


@contextlib.contextmanager
def _seeded_global_numpy(seed: int):
    """Seed numpy's global random state for the block, then restore the caller's state."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def _quiet_pyswarms():
    """pyswarms' Reporter (created at import and on construction) reconfigures the root logger
    and opens ./report.log; skip that logging set-up for the block (with ``verbose=False``
    nothing is logged anyway)."""
    import logging.config

    with mock.patch.object(logging.config, "dictConfig", lambda config: None):
        yield
