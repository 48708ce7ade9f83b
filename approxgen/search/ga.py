"""``ga``: genetic search over breakpoint sets with DEAP (GQA-LUT's method).

An individual is a sorted list of K-1 integer breakpoints on the code grid. Each generation uses
DEAP's tournament selection and uniform crossover (aligned by breakpoint rank), then the
**rounding mutation**: breakpoints move by Gaussian steps (half of the time as changes of segment
widths, which later breakpoints follow) and are rounded to the code grid. With a large input scale few codes fall in each segment and such moves collapse
breakpoints onto the same code (GQA-LUT's breakpoint deviation); the mutation then pushes them to
neighbouring free codes, so every individual stays sorted, distinct and on the grid. Coefficients
are re-derived by the segment solver for every changed individual; a whole generation is scored
in one call (:meth:`PwlProblem.objectives`). DEAP's operators draw from Python's global ``random``:
it is seeded from the spec seed for the run and restored afterwards.

On wide ``max`` problems (:attr:`PwlProblem.rough`: above 256 codes, e.g. 12- or 16-bit
inputs) it flies on the rough
fitness with smaller defaults (``WIDE``) and ends with the same polish as
:mod:`approxgen.search.pso` (see there).
"""

from __future__ import annotations

import contextlib
import random

import numpy as np

from approxgen.errors import ApproxgenError
from approxgen.search import (BestTracker, Option, SearchResult, finish, progress_bar,
                              sized_options,
                              read_options,
                              snap_breakpoints)
from approxgen.search.uniform import uniform_breakpoints

OPTIONS = {
    "population": Option(64, 2, 10_000, "individuals per generation"),
    "generations": Option(150, 1, 100_000, "generations per run"),
    "restarts": Option(1, 0, 100, "further independent populations (the best over all wins)"),
    "crossover": Option(0.6, 0.0, 1.0, "probability that a pair is crossed"),
    "mutation": Option(0.4, 0.0, 1.0, "probability that an individual is mutated"),
    "gene_mutation": Option(0.3, 0.0, 1.0, "probability that a breakpoint of a mutated "
                                           "individual moves"),
    "sigma": Option(0.25, 0.0, 10.0, "std of a move, as a fraction of the mean segment width"),
    "tournament": Option(3, 1, 10_000, "tournament size, at most the population"),
    "elite": Option(2, 0, 9_999, "individuals kept as they are, fewer than the population"),
    "patience": Option(40, 0, 100_000, "end a run after this many generations without "
                                       "improvement (0: never)"),
    "tiebreak": Option(0.01, 0.0, 1.0, "weight of the mean segment cost added to a max "
                                       "objective"),
    "polish": Option(True, doc="finish with a local search moving single breakpoints"),
}

# defaults on wide problems (rough costs; the polish's re-placement makes a restart not pay)
WIDE = {"population": 32, "generations": 100, "restarts": 0}


def options(raw: dict, where: str, objective: str) -> dict:
    opts = read_options(raw, OPTIONS, where)
    if opts["tournament"] > opts["population"]:
        raise ApproxgenError(f"expected at most the population ({opts['population']}), got "
                             f"{opts['tournament']}", f"{where}.tournament")
    if opts["elite"] >= opts["population"]:
        raise ApproxgenError(f"expected fewer than the population ({opts['population']}), got "
                             f"{opts['elite']}", f"{where}.elite")
    return opts

def rounding_mutation(individual, lo: int, hi: int, sigma: float, indpb: float):
    """GQA-LUT's rounding mutation, in place: each breakpoint (or, half of the time, each segment
    width, shifting every later breakpoint) moves with probability ``indpb`` by ``N(0, sigma)``
    codes; the result is rounded to the code grid, and breakpoints that collide (or leave
    ``(lo, hi]``) are pushed to neighbouring free codes."""
    steps = [random.gauss(0.0, sigma) if random.random() < indpb else 0.0 for _ in individual]
    if random.random() < 0.5:  # a segment's width changes: every later breakpoint follows
        steps = list(np.cumsum(steps))
    moved = [b + step for b, step in zip(individual, steps)]
    individual[:] = [int(b) for b in snap_breakpoints([moved], lo, hi)[0]]
    return (individual,)


def search(problem, options_: dict, seed: int, progress: bool = False) -> SearchResult:
    from deap import base, creator, tools

    opts = options(options_, f"{problem.spec.source}: search_options", problem.objective)
    opts = sized_options(problem, options_, opts, WIDE)
    runs = opts["restarts"] + 1
    dims, lo, hi = problem.segments - 1, problem.lo, problem.hi
    if dims == 0:
        return SearchResult((), {**opts, "evaluations": 0})
    if not hasattr(creator, "ApproxgenFitness"):
        creator.create("ApproxgenFitness", base.Fitness, weights=(-1.0,))
        creator.create("ApproxgenIndividual", list, fitness=creator.ApproxgenFitness)
    sigma = max(0.5, opts["sigma"] * problem.n_codes / problem.segments)
    toolbox = base.Toolbox()
    toolbox.register("mate", tools.cxUniform, indpb=0.5)
    toolbox.register("mutate", rounding_mutation, lo=lo, hi=hi, sigma=sigma,
                     indpb=opts["gene_mutation"])
    toolbox.register("select", tools.selTournament, tournsize=opts["tournament"])
    tracker = BestTracker(problem, rough=problem.rough)

    def evaluate(individuals) -> None:
        fresh = [ind for ind in individuals if not ind.fitness.valid]
        if fresh:
            scores = tracker(np.array(fresh, dtype=np.int64), opts["tiebreak"])
            for ind, score in zip(fresh, scores):
                ind.fitness.values = (float(score),)

    def repair(ind) -> None:
        ind[:] = [int(b) for b in snap_breakpoints([ind], lo, hi)[0]]

    rng = np.random.default_rng(seed)
    generations = 0
    with _seeded_random(seed), progress_bar(runs * opts["generations"], "ga", progress) as bar:
        for run in range(opts["restarts"] + 1):
            starts = np.sort(rng.uniform(lo + 0.5, hi + 0.5, size=(opts["population"], dims)),
                             axis=1)
            starts = snap_breakpoints(starts, lo, hi)
            if run == 0:
                starts[0] = uniform_breakpoints(lo, hi, problem.segments)
            population = [creator.ApproxgenIndividual(int(b) for b in row) for row in starts]
            evaluate(population)
            best, stale = np.inf, 0
            for _ in range(opts["generations"]):
                generations += 1
                population = _generation(population, toolbox, opts, repair)
                evaluate(population)
                bar.update()
                run_best = min(ind.fitness.values[0] for ind in population)
                stale = stale + 1 if run_best >= best else 0
                best = min(best, run_best)
                if opts["patience"] and stale >= opts["patience"]:
                    break
    best, settings, notes = finish(tracker, opts, "population")
    return SearchResult(best, {**opts, **settings, "generations_run": generations}, notes)


def _generation(population, toolbox, opts, repair) -> list:
    """Elites, then tournament-selected offspring crossed and mutated (fitness cleared)."""
    from deap import tools

    elite = [toolbox.clone(ind) for ind in tools.selBest(population, opts["elite"])]
    offspring = [toolbox.clone(ind)
                 for ind in toolbox.select(population, len(population) - len(elite))]
    for a, b in zip(offspring[::2], offspring[1::2]):
        if random.random() < opts["crossover"]:
            toolbox.mate(a, b)
            repair(a), repair(b)
            del a.fitness.values, b.fitness.values
    for ind in offspring:
        if random.random() < opts["mutation"]:
            toolbox.mutate(ind)
            del ind.fitness.values
    return elite + offspring


@contextlib.contextmanager
def _seeded_random(seed: int):
    """Seed Python's global ``random`` (DEAP's source) for the block, then restore it."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)
