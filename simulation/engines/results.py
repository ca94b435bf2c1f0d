"""Result structures shared by both engines, and their summaries (the figures are in model.figures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..model.figures import FIGURES, KPIS
from ..model.programmes import programme_key
from ..model.scenario import Budget, Scenario
from .paths import PATH_METRICS, PNL_METRICS, pnl_metrics  # noqa: F401 - PNL_METRICS re-exported

PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class EngineOutput:
    """What an engine returns: per-run paths, shape (runs, horizon + 1), and valuation inputs."""

    paths: dict[str, np.ndarray]
    active_by_segment: np.ndarray  # (runs, horizon + 1, segments)
    end_run_rate_by_segment: np.ndarray  # (runs, segments) run-rate revenue of the customers active at the horizon
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
    engine_options: dict = field(default_factory=dict, repr=False)

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
    def operating_npv(self) -> np.ndarray:
        return (self.paths["operating_profit"] * self.discount_factors).sum(1)

    @cached_property
    def marketing_npv(self) -> np.ndarray:
        """NPV of the four budgets over the horizon, per run."""
        return (self.paths["spend"] * self.discount_factors).sum(1)

    @cached_property
    def no_marketing(self) -> SimulationResult:
        """The same scenario with all four budgets at zero, on the same assumptions and random numbers."""
        if self.budget.total == 0:
            return self
        from .runner import simulate

        return simulate(
            self.scenario,
            Budget(),
            runs=self.runs,
            seed=self.seed,
            engine=self.engine,
            assumptions=self.assumptions,
            **self.engine_options,
        )

    @property
    def no_marketing_equity(self) -> np.ndarray:
        """Customer equity per run with no marketing spend (see :func:`no_marketing_equity`)."""
        if self.budget.total == 0:
            return self.customer_equity
        run = lambda: self.no_marketing  # noqa: E731
        return no_marketing_equity(self.scenario, self.assumptions, self.seed, self.engine, run, **self.engine_options)

    @property
    def year_ends(self) -> np.ndarray:
        """Last period of each year of the horizon (the last year may be shorter)."""
        per_year, horizon = self.scenario.periods_per_year, self.scenario.horizon
        return np.unique(np.minimum(np.arange(per_year, horizon + per_year, per_year), horizon))

    @property
    def year_spans(self) -> list[tuple[int, int]]:
        """First and last period of each year of the horizon (the last year may be shorter)."""
        ends = self.year_ends.tolist()
        return [(first, last) for first, last in zip([1, *(e + 1 for e in ends[:-1])], ends, strict=True)]

    def yearly(self, metric: str) -> np.ndarray:
        """A flow path summed over each year of the horizon, (runs, years)."""
        cumulative = np.cumsum(self.paths[metric], axis=1)
        ends = cumulative[:, self.year_ends]
        return np.diff(ends, axis=1, prepend=0.0)

    def year_summary(self, metrics=None) -> pd.DataFrame:
        """The year-by-year P&L: long table ``year, metric, mean, p5, p50, p95`` (year 1 = the first year).

        ``metrics`` default to the scenario's P&L lines (:func:`~simulation.engines.paths.pnl_metrics`).

        Each line is summed over the year's periods run by run, then summarised over runs, so the
        90 % range of operating profit is the range of the sum, not the sum of ranges.
        """
        metrics = tuple(pnl_metrics(self.scenario) if metrics is None else metrics)
        # every line at once: (lines, runs, years), summed and summarised as :meth:`yearly` does one line
        cumulative = np.cumsum(np.stack([self.paths[m] for m in metrics]), axis=2)
        values = np.diff(cumulative[:, :, self.year_ends], axis=2, prepend=0.0)
        years = values.shape[2]
        return _long_table(
            "year", np.arange(1, years + 1), metrics, values.mean(1), percentiles_over_runs(values, (5, 50, 95))
        )

    @cached_property
    def _figure_cache(self) -> dict[str, np.ndarray]:
        return {}

    def figure(self, key: str) -> np.ndarray:
        """One figure of :data:`KPIS`, run by run (computed once); NaN where undefined, never infinite."""
        cache = self._figure_cache
        if key not in cache:
            values = np.asarray(FIGURES[key].compute(self), dtype=float)
            cache[key] = np.where(np.isfinite(values), values, np.nan)
        return cache[key]

    @property
    def kpis(self) -> dict[str, np.ndarray]:
        return {key: self.figure(key) for key in KPIS}

    def path_summary(self, metrics=PATH_METRICS) -> pd.DataFrame:
        """Long table ``period, metric, mean, p5, p25, p50, p75, p95``."""
        metrics = tuple(metrics)
        values = np.stack([self.paths[m] for m in metrics])  # (metrics, runs, periods)
        means = np.stack([self.paths[m].mean(0) for m in metrics])
        return _long_table("period", self.periods, metrics, means, percentiles_over_runs(values, PERCENTILES))

    def headline(self, key: str) -> float | None:
        """The figure's headline: the mean over runs, or the registry's own rule (a ratio of means, say)."""
        return FIGURES[key].headline_of(self)

    def kpi_summary(self) -> dict[str, dict[str, float | None]]:
        """``{kpi: {mean, p5, p50, p95}}``; None where a figure is undefined in any run.

        ``mean`` is the figure's headline (:meth:`headline`): for a figure whose headline is a
        ratio of means, such as realised CAC, the ratio of the totals over runs, while the
        percentiles stay those of the per-run values.
        """
        out = {}
        for name, values in self.kpis.items():
            summary = summarize(values)
            if FIGURES[name].headline is not None:
                summary["mean"] = self.headline(name)
            out[name] = summary
        return out


def percentiles_over_runs(values: np.ndarray, percentiles) -> dict[str, np.ndarray]:
    """``{"p5": ..., ...}``: each percentile over runs (axis 1) of ``values`` (metrics, runs, columns).

    The same numbers as ``np.percentile(values[i], percentiles, axis=0)`` for every metric ``i`` (a
    percentile depends only on the sorted values of its column), computed in one pass: each column is
    sorted once, contiguous, and the percentiles are read from the sorted columns.
    """
    columns = np.ascontiguousarray(values.transpose(0, 2, 1))  # (metrics, columns, runs), a copy
    columns.sort(axis=-1)
    q = np.percentile(columns, percentiles, axis=-1)  # (percentiles, metrics, columns)
    return {f"p{p}": row for p, row in zip(percentiles, q, strict=True)}


def _long_table(index: str, labels: np.ndarray, metrics: tuple[str, ...], means, quantiles: dict) -> pd.DataFrame:
    """One long frame ``index, metric, mean, p...``: the rows of each metric in turn, over ``labels``."""
    count = len(labels)
    frame = {
        index: np.tile(np.asarray(labels), len(metrics)),
        "metric": np.repeat(np.array(metrics, dtype=object), count),
        "mean": np.asarray(means, dtype=float).reshape(-1),
    }
    frame.update({name: row.reshape(-1) for name, row in quantiles.items()})
    return pd.DataFrame(frame)


def summarize(values: np.ndarray) -> dict[str, float | None]:
    """Mean and 5th, 50th and 95th percentiles over runs; all None when the figure is undefined in any run.

    A figure that cannot be computed in some futures is shown as undefined, never summarised over
    the futures where it can (which would quietly describe another set of futures).
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0 or finite.size < values.size:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(finite, (5, 50, 95))
    return {"mean": float(finite.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def no_marketing_equity(scenario, assumptions, seed: int, engine: str = "vectorized", _run=None, **options):
    """Customer equity per run of ``scenario`` with all four budgets at zero, on ``assumptions``.

    The counterfactual of marketing ROI. It depends on the assumptions, not on the budget, so it is
    computed once per set of assumptions (and engine, seed, horizon) and kept with them: every
    budget run on the same draws (a moved slider, the optimiser's splits, the status quo) reuses it,
    and a cache that keeps the assumptions keeps it too. With no budget nothing is saved, so whether
    saved customers are counted (``count_saved``) does not change it.
    """
    options = {k: v for k, v in options.items() if k != "count_saved"}
    key = ("no marketing equity", engine, seed, scenario.horizon, scenario.period, tuple(sorted(options.items())))
    key += (programme_key(scenario),)  # the programmes run in the counterfactual too

    def run():
        if _run is not None:
            return _run().customer_equity
        from .runner import simulate

        return simulate(
            scenario, Budget(), runs=assumptions.runs, seed=seed, engine=engine, assumptions=assumptions, **options
        ).customer_equity

    return assumptions.cached(key, run)


def build_result(
    scenario, budget, engine, seed, assumptions, output: EngineOutput, engine_options: dict | None = None
) -> SimulationResult:
    """Add the money paths to an engine's output.

    Per period: spend (the four budgets), contribution = gross profit - cost to serve - spend -
    programme costs,
    operating costs (the run's draw), operating profit = contribution - operating costs, and
    cumulative contribution; all zero at period 0.
    """
    paths = dict(output.paths)
    spend = np.full_like(paths["revenue"], budget.total)
    spend[:, 0] = 0.0
    paths["spend"] = spend
    paths["contribution"] = paths["gross_profit"] - paths["cost_to_serve"] - spend - paths["programme_costs"]
    operating = np.repeat(np.asarray(assumptions.operating_costs, dtype=float)[:, None], spend.shape[1], axis=1)
    operating[:, 0] = 0.0
    paths["operating_costs"] = operating
    paths["operating_profit"] = paths["contribution"] - operating
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
        engine_options=dict(engine_options or {}),
    )
