"""The objective over total budget x split, and the best split and objective for each total."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engines.runner import runs_and_seed
from ..engines.vectorized import CLASSES_PER_COHORT
from ..errors import InputError
from ..model import limits
from ..model.assumptions import Assumptions, draw_assumptions
from ..model.scenario import Scenario
from ..numerics.executor import Executor, resolve
from .objectives import DEFAULT_GRID, MAX_SPLITS_AT_ONCE, Objective, check_request, share_key, total_to_split
from .search import Evaluator, SplitInputs, inputs_key, split_values


@dataclass(frozen=True)
class MapRow:
    """One total budget swept over the grid of splits (no refinement)."""

    total: float
    shares: np.ndarray
    values: np.ndarray  # the objective at each split
    best_share: float  # the best grid split (the map's resolution)
    best_value: float


def sweep_total(
    scenario: Scenario,
    total: float,
    objective: str = "npv",
    target: float | None = None,
    grid: int = DEFAULT_GRID,
    runs: int | None = None,
    seed: int | None = None,
    *,
    assumptions: Assumptions | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
) -> MapRow:
    """The objective at every grid split of one acquisition + retention total (one row of the map)."""
    runs, seed = runs_and_seed(scenario, runs, seed)
    obj = check_request(objective, target, grid, runs)
    limits.check_request(
        scenario, runs, int(grid), f"one budget total's sweep of {int(grid)} splits", "the grid or the runs"
    )
    ev = Evaluator(scenario, obj, target, total_to_split(scenario, total), runs, seed, assumptions, workers, executor)
    shares = _grid(grid)
    ev.evaluate(shares)
    return _row(obj, target, ev.total, shares, [ev.values[s] for s in shares])


def _grid(grid: int) -> list[float]:
    return [share_key(s) for s in np.linspace(0.0, 1.0, int(grid))]


def _row(obj: Objective, target, total: float, shares: list[float], per_run: list[np.ndarray]) -> MapRow:
    keys = np.array([float(obj.key_of(v, target)) for v in per_run])
    i = int(np.argmax(keys))
    values = np.array([float(obj.score(v, target)) for v in per_run])
    return MapRow(
        total=total,
        shares=np.asarray(shares),
        values=values,
        best_share=float(shares[i]),
        best_value=float(values[i]),
    )


@dataclass(frozen=True)
class BudgetMap:
    """The objective over acquisition + retention total x acquisition share."""

    objective: str
    rows: tuple[MapRow, ...]

    def frame(self) -> pd.DataFrame:
        """Long table ``total, acquisition_share, value``."""
        return pd.DataFrame(
            {
                "total": np.repeat([r.total for r in self.rows], [r.shares.size for r in self.rows]),
                "acquisition_share": np.concatenate([r.shares for r in self.rows]),
                "value": np.concatenate([r.values for r in self.rows]),
            }
        )

    def best_frame(self) -> pd.DataFrame:
        """``total, best_share, best_value`` for every total (best split at the grid's resolution)."""
        return pd.DataFrame(
            {
                "total": [r.total for r in self.rows],
                "best_share": [r.best_share for r in self.rows],
                "best_value": [r.best_value for r in self.rows],
            }
        )

    def best_total(self) -> float:
        """The total whose best split has the highest objective."""
        best = self.best_frame()
        return float(best["total"].iloc[int(np.argmax(best["best_value"].to_numpy()))])


def default_totals(total: float, low: float = 0.25, high: float = 2.0, count: int = 11) -> np.ndarray:
    """``count`` totals from ``low`` to ``high`` times the given total."""
    return np.linspace(low * total, high * total, count)


def budget_map(
    scenario: Scenario,
    totals: Sequence[float],
    objective: str = "npv",
    target: float | None = None,
    grid: int = DEFAULT_GRID,
    runs: int | None = None,
    seed: int | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
) -> BudgetMap:
    """The objective for every total in ``totals`` and every grid split, on common random numbers.

    Every cell (a total and a split) is one unit of work for ``executor`` (default: this
    machine, or the Dask cluster named by ``RETENTION_LAB_DASK_SCHEDULER``); the draws are
    made once and shared by all of them. ``progress(done, count)`` is called from the
    calling thread as cells finish (``count`` = totals x grid).
    """
    runs, seed = runs_and_seed(scenario, runs, seed)
    obj = check_request(objective, target, grid, runs)
    totals = [float(x) for x in totals]
    limits.check_request(
        scenario,
        runs,
        len(totals) * int(grid),
        f"the budget map of {len(totals)} totals × {int(grid)} splits",
        "the totals, the grid or the runs",
    )
    if not totals:
        raise InputError("totals: give at least one total budget")
    totals = [total_to_split(scenario, x) for x in totals]
    assumptions = draw_assumptions(scenario, runs, seed)
    assumptions.latent_classes(CLASSES_PER_COHORT)
    inputs = SplitInputs(scenario, runs, seed, assumptions, obj.metric)
    shares = _grid(grid)
    cells = [(x, s) for x in totals for s in shares]
    at_once = MAX_SPLITS_AT_ONCE if workers is None else workers
    values = resolve(executor).map(
        split_values, cells, inputs, key=inputs_key(inputs), progress=progress, max_workers=at_once
    )
    n = len(shares)
    rows = [_row(obj, target, x, shares, values[i * n : (i + 1) * n]) for i, x in enumerate(totals)]
    return BudgetMap(objective=obj.key, rows=tuple(rows))
