"""Tables for analysis outside the app: each simulated future's assumptions and figures, and the year-by-year P&L.

Everything here is plain pandas from a :class:`~simulation.engines.results.SimulationResult`
(no Streamlit), so the pages, the report, the workbook and the command line write the
same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engines.results import SimulationResult
from ..model.figures import KPIS
from ..model.programmes import MULTIPLIERS, elasticity_draws, multiplier_draws, running_programmes
from .cells import to_csv

# Assumptions drawn once per run, lever by lever: (column, attribute of Assumptions).
LEVER_ASSUMPTIONS = (
    ("acquisition.cac", "cac"),
    ("acquisition.max_new_per_period", "max_new"),
    ("acquisition.market_size", "market"),
    ("retention.cost_per_save", "cost_per_save"),
    ("retention.max_churn_reduction", "max_churn_reduction"),
    ("expansion.cost_per_upsell", "cost_per_upsell"),
    ("expansion.max_extra_upsell_rate", "max_extra_upsell_rate"),
    ("winback.cost_per_winback", "cost_per_winback"),
    ("winback.max_winback_rate", "max_winback_rate"),
    ("operating_costs", "operating_costs"),
)
SEGMENT_DRAWS = (
    ("revenue_per_customer", "revenue"),
    ("gross_margin", "margin"),
    ("churn", "churn"),
    ("churn_heterogeneity", "heterogeneity"),
    ("upsell_rate", "upsell_rate"),
    ("upsell_uplift", "uplift"),
    ("cost_to_serve", "cost_to_serve"),
    ("referral_rate", "referral_rate"),
)
STATUS_QUO_PREFIX = "status_quo."
# The year-by-year table: (column, path summed over the year's periods, or None for a stock at year end).


def per_run_frame(plan: SimulationResult, baseline: SimulationResult | None = None) -> pd.DataFrame:
    """One row per simulated future: its sampled assumptions, then its headline figures.

    Parameters
    ----------
    plan : SimulationResult
        The plan's result.
    baseline : SimulationResult, optional
        The status quo on the same runs and seed (common random numbers): its figures
        follow as ``status_quo.<figure>``, and ``npv_gain`` is the plan's NPV minus the
        status quo's in the same future.

    Returns
    -------
    DataFrame
        ``run`` (0-based), ``discount_rate_per_period``, every lever assumption
        (``acquisition.cac`` is the cost per new customer at low spend, after the
        multiplier), ``operating_costs`` (per period, the draw behind ``operating_npv``),
        every segment assumption as ``segments.<name>.<field>``, each running programme's
        multipliers as ``programmes.<name>.churn_multiplier`` and ``.revenue_multiplier``, a price
        change's ``price_change.churn_elasticity``, then every figure of
        :data:`~simulation.model.figures.KPIS` by its key. Undefined figures are NaN.
    """
    a = plan.assumptions
    columns: dict[str, np.ndarray] = {"run": np.arange(plan.runs)}
    columns["discount_rate_per_period"] = np.asarray(a.discount, dtype=float)
    for name, attr in LEVER_ASSUMPTIONS:
        columns[name] = np.asarray(getattr(a, attr), dtype=float)
    for j, segment in enumerate(plan.scenario.segments):
        for name, attr in SEGMENT_DRAWS:
            columns[f"segments.{segment.name}.{name}"] = np.asarray(getattr(a, attr)[:, j], dtype=float)
    columns.update(programme_draws(plan.scenario, plan.runs, plan.seed))
    for key in KPIS:
        columns[key] = np.asarray(plan.figure(key), dtype=float)
    if baseline is not None:
        if baseline.runs != plan.runs or baseline.seed != plan.seed:
            raise ValueError("the status quo must be run on the plan's runs and seed to be compared future by future")
        for key in KPIS:
            columns[STATUS_QUO_PREFIX + key] = np.asarray(baseline.figure(key), dtype=float)
        columns["npv_gain"] = columns["npv"] - columns[STATUS_QUO_PREFIX + "npv"]
    return pd.DataFrame(columns)


def programme_draws(scenario, runs: int, seed: int) -> dict[str, np.ndarray]:
    """Each running programme's churn and revenue multiplier and a price change's churn elasticity, per run,
    as the engines drew them (the same streams, so the same values)."""
    out = {}
    for programme in running_programmes(scenario):
        for field in MULTIPLIERS:
            out[f"programmes.{programme.name}.{field}"] = multiplier_draws(programme, field, seed, runs)
    if scenario.price_change is not None:
        out["price_change.churn_elasticity"] = elasticity_draws(scenario.price_change, seed, runs)
    return out


def per_run_csv(plan: SimulationResult, baseline: SimulationResult | None = None) -> str:
    """:func:`per_run_frame` as CSV text (undefined figures as empty cells)."""
    return to_csv(per_run_frame(plan, baseline))


def projections_wide(result: SimulationResult, statistic: str = "mean") -> pd.DataFrame:
    """Per-period projections in wide form: one row per period, one column per path metric.

    ``statistic`` is ``"mean"`` or a percentile column of
    :meth:`~simulation.engines.results.SimulationResult.path_summary` (``"p50"``, ...).
    """
    long = result.path_summary()
    if statistic not in long.columns or statistic in ("period", "metric"):
        raise ValueError(f"statistic must be mean, p5, p25, p50, p75 or p95; got {statistic!r}")
    wide = long.pivot(index="period", columns="metric", values=statistic)
    return wide[list(dict.fromkeys(long["metric"]))].reset_index()
