"""The best split of many scenarios at once: one unit of work per scenario."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..engines.results import PERCENTILES
from ..model.scenario import Scenario
from ..numerics.executor import Executor, local_executor, resolve
from .objectives import DEFAULT_GRID, check_request
from .search import SplitResult, optimize_split


@dataclass(frozen=True)
class BatchRequest:
    """What every scenario of a batch is optimised for (None: each scenario's own setting)."""

    objective: str = "npv"
    target: float | None = None
    grid: int = DEFAULT_GRID
    runs: int | None = None
    seed: int | None = None


def batch_unit(request: BatchRequest, scenario: Scenario) -> SplitResult:
    """Unit of work: one scenario's best split, found where the unit runs, on one core."""
    r = request
    return optimize_split(scenario, r.objective, r.target, r.grid, r.runs, r.seed, executor=local_executor())


def optimize_batch(
    scenarios: Sequence[Scenario],
    request: BatchRequest,
    *,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> list[SplitResult]:
    """:func:`optimize_split` for every scenario, in order.

    Each scenario is one unit of work for ``executor`` (default: this machine, one scenario
    per core; or the Dask cluster named by ``RETENTION_LAB_DASK_SCHEDULER``). A scenario's
    result is the same as :func:`optimize_split` on its own. ``progress(done, count)`` is
    called from the calling thread as scenarios finish.
    """
    for sc in scenarios:
        runs = sc.simulation.runs if request.runs is None else request.runs
        check_request(request.objective, request.target, request.grid, runs)
    return resolve(executor).map(batch_unit, list(scenarios), request, progress=progress)


def batch_frame(results: Sequence[SplitResult], sources: Sequence[str]) -> pd.DataFrame:
    """One row per evaluated split of every scenario, with the scenario's best split repeated.

    Columns: ``source, scenario, objective, runs, seed, total, best_share, best_value,
    best_share_low, best_share_high, acquisition_share, value, mean, p5 ... p95,
    diff_from_best, diff_se, within_noise, on_grid``.
    """
    frames = []
    for source, r in zip(sources, results, strict=True):
        points = r.points
        head = pd.DataFrame(
            {
                "source": source,
                "scenario": r.scenario_name,
                "objective": r.objective,
                "runs": r.runs,
                "seed": r.seed,
                "total": r.total,
                "best_share": r.best_share,
                "best_value": r.best_value,
                "best_share_low": r.best_share_range[0],
                "best_share_high": r.best_share_range[1],
            },
            index=points.index,
        )
        columns = ["acquisition_share", "value", "mean", *(f"p{p}" for p in PERCENTILES)]
        columns += ["diff_from_best", "diff_se", "within_noise", "on_grid"]
        frames.append(pd.concat([head, points[columns]], axis=1))
    return pd.concat(frames, ignore_index=True)
