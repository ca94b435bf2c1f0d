"""Whether a smaller budget does better: the acquisition + retention total with the highest mean NPV, below today's.

When the next unit of currency returns less than it costs on both levers, spending less raises
NPV. How much less is found on the same simulated futures as the plan: the core budget
(acquisition + retention) is scaled down over a grid at a fixed split, then refined between
the best grid point's neighbours. The gain is measured run by run against today's total, so
its noise is the paired standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engines.runner import runs_and_seed
from ..model import limits
from ..model.assumptions import Assumptions
from ..model.scenario import Scenario
from ..numerics.parallel import parallel_map
from .objectives import total_to_split
from .search import SplitInputs, split_values

GRID = 11  # 0, 10 %, ..., 100 % of today's core budget
REFINE_POINTS = 4  # between the best grid point's neighbours


@dataclass(frozen=True)
class BudgetSize:
    """The core budget with the highest mean NPV at or below today's, at a fixed split.

    ``gain`` is NPV at ``best_total`` minus NPV at ``total``, run by run on the same futures;
    ``totals`` and ``means`` are every total evaluated and its mean NPV.
    """

    share: float
    total: float
    best_total: float
    gain: np.ndarray
    totals: tuple[float, ...]
    means: tuple[float, ...]

    @property
    def mean_gain(self) -> float:
        return float(self.gain.mean())

    @property
    def se(self) -> float:
        """Standard error of :attr:`mean_gain` (paired, run by run)."""
        return float(self.gain.std(ddof=1) / math.sqrt(self.gain.size)) if self.gain.size > 1 else math.inf

    @property
    def p_better(self) -> float:
        """Share of futures in which the smaller budget's NPV is higher."""
        return float(np.mean(self.gain > 0))

    @property
    def best_value(self) -> float:
        """Mean NPV at :attr:`best_total`."""
        return self.means[self.totals.index(self.best_total)]

    @property
    def cut(self) -> float:
        """The share of today's core budget the smaller one saves (0 when today's is best)."""
        return 1.0 - self.best_total / self.total if self.total > 0 else 0.0


def smaller_budget(
    scenario: Scenario,
    share: float,
    *,
    total: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    assumptions: Assumptions | None = None,
) -> BudgetSize:
    """The core budget (acquisition + retention per period) at or below ``total`` with the highest mean NPV.

    Parameters
    ----------
    scenario : Scenario
        The scenario; expansion and win-back budgets are held fixed.
    share : float
        The acquisition share of the core, held fixed (the best split at today's total).
    total : float, optional
        Today's core budget; default the scenario's.
    runs, seed : int, optional
        Default the scenario's ``[simulation]`` settings.
    assumptions : Assumptions, optional
        Draws to reuse (from this scenario, runs and seed), so every total runs on the same futures.
    """
    runs, seed = runs_and_seed(scenario, runs, seed)
    total = total_to_split(scenario, total)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1]; got {share}")
    limits.check_request(
        scenario, runs, GRID + REFINE_POINTS, f"the search over {GRID + REFINE_POINTS} budget sizes", "the runs"
    )
    if assumptions is None:
        from ..engines.runner import shared_draws

        assumptions = shared_draws(scenario, runs, seed)
    inputs = SplitInputs(scenario, runs, seed, assumptions, "npv")
    values: dict[float, np.ndarray] = {}

    def evaluate(totals) -> None:
        todo = sorted({round(float(t), 6) for t in totals} - set(values))
        found = parallel_map(lambda t: split_values(inputs, (t, share)), todo)
        values.update(zip(todo, found, strict=True))

    grid = [total * i / (GRID - 1) for i in range(GRID)]
    evaluate(grid)
    best = max(values, key=lambda t: values[t].mean())
    step = total / (GRID - 1)
    low, high = max(best - step, 0.0), min(best + step, total)
    evaluate(np.linspace(low, high, REFINE_POINTS + 2)[1:-1])
    best = max(values, key=lambda t: values[t].mean())
    today = values[round(float(total), 6)]
    ordered = sorted(values)
    return BudgetSize(
        share=float(share),
        total=float(total),
        best_total=float(best),
        gain=values[best] - today,
        totals=tuple(ordered),
        means=tuple(float(values[t].mean()) for t in ordered),
    )
