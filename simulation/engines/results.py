"""Result structures shared by both engines, and their summaries (the figures are in model.figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..model.figures import FIGURES, KPIS
from ..model.scenario import Budget, Scenario
from .paths import PATH_METRICS

PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class EngineOutput:
    """What an engine returns: per-run paths, shape (runs, horizon + 1), and valuation inputs."""

    paths: dict[str, np.ndarray]
    active_by_segment: np.ndarray  # (runs, horizon + 1, segments)
    residual_value: np.ndarray  # value at the horizon of customers still active, undiscounted
    start_run_rate: np.ndarray  # revenue per period of the customers held at period 0
    year_kept_base: np.ndarray  # their base revenue still active after one year
    year_cohort_run_rate: np.ndarray  # their revenue, expansion included, after one year
    saves_by_segment: np.ndarray  # churns prevented over the horizon, (runs, segments)
    at_risk_by_segment: np.ndarray  # churners expected without retention, (runs, segments)
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SimulationResult:
    """One scenario under one budget: per-run paths and figures, and what made them.

    ``paths`` maps every metric of :data:`PATH_METRICS` to a (runs, horizon + 1)
    array; ``kpis`` (computed on first use) maps every figure of :data:`KPIS` to a
    (runs,) array, NaN where a figure is undefined in a run (no acquisition, say).
    """

    scenario: Scenario
    budget: Budget
    engine: str
    runs: int
    seed: int
    paths: dict[str, np.ndarray]
    assumptions: object = field(repr=False)
    output: EngineOutput = field(repr=False)

    @property
    def periods(self) -> np.ndarray:
        return np.arange(self.scenario.horizon + 1)

    @property
    def active_by_segment(self) -> np.ndarray:
        return self.output.active_by_segment

    @cached_property
    def discount_factors(self) -> np.ndarray:
        """(runs, horizon + 1) factors ``(1 + d) ** -t``."""
        return (1.0 + self.assumptions.discount[:, None]) ** -self.periods[None, :]

    @cached_property
    def npv(self) -> np.ndarray:
        return (self.paths["contribution"] * self.discount_factors).sum(1)

    @cached_property
    def customer_equity(self) -> np.ndarray:
        return self.npv + self.output.residual_value * self.discount_factors[:, -1]

    @cached_property
    def _figure_cache(self) -> dict[str, np.ndarray]:
        return {}

    def figure(self, key: str) -> np.ndarray:
        """One figure of :data:`KPIS`, run by run (computed once)."""
        cache = self._figure_cache
        if key not in cache:
            cache[key] = FIGURES[key].compute(self)
        return cache[key]

    @property
    def kpis(self) -> dict[str, np.ndarray]:
        return {key: self.figure(key) for key in KPIS}

    def path_summary(self, metrics=PATH_METRICS) -> pd.DataFrame:
        """Long table ``period, metric, mean, p5, p25, p50, p75, p95``."""
        frames = []
        for metric in metrics:
            values = self.paths[metric]
            q = np.percentile(values, PERCENTILES, axis=0)
            frame = pd.DataFrame({"period": self.periods, "metric": metric, "mean": values.mean(0)})
            for p, row in zip(PERCENTILES, q, strict=True):
                frame[f"p{p}"] = row
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def kpi_summary(self) -> dict[str, dict[str, float | None]]:
        """``{kpi: {mean, p5, p50, p95}}``; None where a figure is undefined in every run."""
        return {name: summarize(values) for name, values in self.kpis.items()}


def summarize(values: np.ndarray) -> dict[str, float | None]:
    """Mean and 5th, 50th and 95th percentiles, ignoring runs where the figure is undefined."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(finite, (5, 50, 95))
    return {"mean": float(finite.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def build_result(scenario, budget, engine, seed, assumptions, output: EngineOutput) -> SimulationResult:
    """Add the money paths (spend, contribution, cumulative contribution) to an engine's output."""
    paths = dict(output.paths)
    spend = np.full_like(paths["revenue"], budget.total)
    spend[:, 0] = 0.0
    paths["spend"] = spend
    paths["contribution"] = paths["gross_profit"] - spend
    paths["cumulative_contribution"] = np.cumsum(paths["contribution"], axis=1)
    return SimulationResult(
        scenario=scenario,
        budget=budget,
        engine=engine,
        runs=assumptions.runs,
        seed=seed,
        paths=paths,
        assumptions=assumptions,
        output=output,
    )
