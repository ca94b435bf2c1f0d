"""Result structures shared by both engines, the figures people read, and summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .closed_forms import expected_clv
from .scenario import Budget, Scenario

PERCENTILES = (5, 25, 50, 75, 95)
PATH_METRICS = (
    "active_customers",
    "new_customers",
    "churned_customers",
    "saved_customers",
    "upsells",
    "winbacks",
    "lapsed_customers",
    "revenue",
    "gross_profit",
    "spend",
    "contribution",
    "cumulative_contribution",
    "revenue_run_rate",
    "run_rate_new",
    "run_rate_expansion",
    "run_rate_winback",
    "run_rate_lost",
)
KPIS = (
    "revenue_total",
    "revenue_final",
    "npv",
    "customer_equity",
    "clv",
    "cac",
    "ltv_to_cac",
    "cac_payback_periods",
    "grr",
    "nrr",
    "roi",
    "active_customers_final",
)
KPI_LABELS = {
    "revenue_total": "Revenue over the horizon",
    "revenue_final": "Revenue in the last period",
    "npv": "NPV of contribution",
    "customer_equity": "Customer equity",
    "clv": "CLV of a new customer",
    "cac": "Realised CAC",
    "ltv_to_cac": "LTV:CAC",
    "cac_payback_periods": "CAC payback",
    "grr": "Gross revenue retention",
    "nrr": "Net revenue retention",
    "roi": "Marketing ROI",
    "active_customers_final": "Customers at the horizon",
}
KPI_HELP = {
    "revenue_total": "Revenue summed over every period of the horizon (not discounted).",
    "revenue_final": "Revenue earned in the last period of the horizon.",
    "npv": "Gross profit minus spend, each period discounted at the scenario's rate; "
    "the first period is discounted once.",
    "customer_equity": "NPV over the horizon plus the discounted gross profit still expected from the "
    "customers active at its end (no further spend).",
    "clv": "Expected discounted gross profit of one new customer over their life, at the churn this "
    "plan's retention programme achieves on average; upsell is not counted.",
    "cac": "Acquisition spend divided by the customers it brought in.",
    "ltv_to_cac": "CLV of a new customer divided by the realised CAC; 3 or more is the usual rule of thumb.",
    "cac_payback_periods": "Periods of a new customer's gross profit needed to repay the realised CAC.",
    "grr": "Revenue kept after one year from the customers held at the start, without expansion.",
    "nrr": "Revenue after one year from the customers held at the start, expansion included.",
    "roi": "Return on the spend: (NPV of gross profit minus NPV of spend) / NPV of spend.",
    "active_customers_final": "Active customers at the end of the horizon.",
}
KPI_KIND = {
    "revenue_total": "money",
    "revenue_final": "money",
    "npv": "money",
    "customer_equity": "money",
    "clv": "money",
    "cac": "money",
    "ltv_to_cac": "ratio",
    "cac_payback_periods": "periods",
    "grr": "percent",
    "nrr": "percent",
    "roi": "percent",
    "active_customers_final": "count",
}


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
    def kpis(self) -> dict[str, np.ndarray]:
        return _figures(self)

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


def _figures(result: SimulationResult) -> dict[str, np.ndarray]:
    """Every figure of :data:`KPIS`, run by run, as pinned in MODEL.md."""
    a, out, paths, budget = result.assumptions, result.output, result.paths, result.budget
    npv_spend = (paths["spend"] * result.discount_factors).sum(1)
    rho = np.divide(
        out.saves_by_segment,
        out.at_risk_by_segment,
        out=np.zeros_like(out.saves_by_segment),
        where=out.at_risk_by_segment > 0,
    )
    clv = expected_clv(a.margin_per_customer, a.churn, a.heterogeneity, a.discount[:, None], rho) @ a.share
    acquired = paths["new_customers"].sum(1)
    acq_spend = budget.acquisition * result.scenario.horizon
    start = out.start_run_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        cac = np.where((acquired > 0) & (acq_spend > 0), acq_spend / acquired, np.nan)
        return {
            "revenue_total": paths["revenue"].sum(1),
            "revenue_final": paths["revenue"][:, -1].copy(),
            "npv": result.npv,
            "customer_equity": result.customer_equity,
            "clv": clv,
            "cac": cac,
            "ltv_to_cac": clv / cac,
            "cac_payback_periods": cac / (a.margin_per_customer @ a.share),
            "grr": np.where(start > 0, out.year_kept_base / start, np.nan),
            "nrr": np.where(start > 0, out.year_cohort_run_rate / start, np.nan),
            "roi": np.where(npv_spend > 0, result.npv / npv_spend, np.nan),
            "active_customers_final": paths["active_customers"][:, -1].copy(),
        }
