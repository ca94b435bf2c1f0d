"""Compact summaries of simulation results, and comparisons run by run on common random numbers.

A :class:`ResultSummary` keeps what pages, reports and exports show of one scenario under
one budget (percentiles per period, the revenue bridge, one value per run of every figure):
small enough to cache and send, and enough to compare. :class:`Comparison` works on full
results and on summaries alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.distributions import Distribution, central
from ..model.programmes import running_programmes, scenario_programmes
from ..model.scenario import Budget

BRIDGE_STEPS = ("start", "new", "referred", "expansion", "winback", "lost", "programmes", "price", "end")


def bridge_runs(result) -> dict[str, np.ndarray]:
    """The revenue run-rate bridge over the horizon in each run: ``start + new + referred + expansion +
    winback - lost + programmes + price = end``.

    The run rate is what the customers then active pay per period. ``new``, ``referred``, ``expansion``,
    ``winback`` and ``lost`` are the run-rate revenue customers bring or take as they join, expand, come
    back or leave, at the prices they were signed at before any price change. ``programmes`` is what
    the programmes in force at the horizon add to (or take from) what the customers then active pay,
    through their revenue multipliers; ``price`` is what a price change adds: on everyone's revenue at
    the horizon (``applies_to = "all"``, after the programmes), or on each joiner's revenue as they join
    (``"new"``). ``referred`` is there only when the scenario has referrals, ``programmes`` only when a
    running programme has a revenue multiplier other than 1, ``price`` only when a price changes (a
    step that is always zero is left out); without programmes or a price change ``end`` is the
    run-rate path's last value, as it always was.
    """
    p, scenario = result.paths, result.scenario
    steps = {
        "start": p["revenue_run_rate"][:, 0],
        "new": p["run_rate_new"][:, 1:].sum(1),
        "referred": p["run_rate_referred"][:, 1:].sum(1),
        "expansion": p["run_rate_expansion"][:, 1:].sum(1),
        "winback": p["run_rate_winback"][:, 1:].sum(1),
        "lost": p["run_rate_lost"][:, 1:].sum(1),
    }
    end = p["revenue_run_rate"][:, -1]
    effects = programme_revenue_effects(result)
    for key, amount in effects.items():
        steps[key] = amount
        end = end + amount
    price = scenario.price_change
    if price is not None and price.change != 0 and price.applies_to == "new":
        join_price = scenario_programmes(scenario, result.assumptions, result.seed).join_price
        for key in ("new", "referred"):
            at_old_prices = steps[key] / join_price
            steps["price"] = steps.get("price", 0.0) + (steps[key] - at_old_prices)
            steps[key] = at_old_prices
    steps["end"] = end
    if not any(seg.referral_rate for seg in scenario.segments):
        del steps["referred"]
    return {key: steps[key] for key in BRIDGE_STEPS if key in steps}


def programme_revenue_effects(result) -> dict[str, np.ndarray]:
    """Per run, what the running programmes (``"programmes"``) and a price change for everyone
    (``"price"``) add to the run rate of the customers active at the horizon, through the revenue
    factors in force then; a programme's factor is taken before the price's. Empty without either."""
    scenario = result.scenario
    revenue_effect = any(
        central(p.revenue_multiplier) != 1 or isinstance(p.revenue_multiplier, Distribution)
        for p in running_programmes(scenario)
    )
    price = scenario.price_change
    price_effect = price is not None and price.change != 0 and price.applies_to == "all"
    if not (revenue_effect or price_effect):
        return {}
    arrays = scenario_programmes(scenario, result.assumptions, result.seed)
    listed = result.output.end_run_rate_by_segment  # (runs, segments)
    H = scenario.horizon
    factors = [
        1.0 + arrays.cover[i][None, :] * arrays.ramp[i, H] * (arrays.revenue[i][:, None] - 1.0)
        for i in range(arrays.cover.shape[0])
    ]
    # the price for everyone is the engines' last programme (see programme_arrays)
    price_factor = factors.pop() if price is not None and price.applies_to == "all" else np.ones_like(listed)
    programme_factor = np.prod(factors, axis=0) if factors else np.ones_like(listed)
    out = {}
    if revenue_effect:
        out["programmes"] = (listed * (programme_factor - 1.0)).sum(1)
    if price_effect:
        out["price"] = (listed * programme_factor * (price_factor - 1.0)).sum(1)
    return out


def bridge_totals(result) -> dict[str, float]:
    """The mean over runs of :func:`bridge_runs`: the steps add up exactly, as they do run by run."""
    return {key: float(values.mean()) for key, values in bridge_runs(result).items()}


# The paths whose percentiles the app keeps of a run (its charts); with the figures, the bridge and the
# year-by-year P&L, what a moved slider computes besides the engine's run.
CHART_METRICS = ("revenue", "active_customers", "cumulative_contribution")


@dataclass(frozen=True)
class ResultSummary:
    """What is shown of one scenario under one budget.

    ``paths``: long percentiles ``period, metric, mean, p5, p25, p50, p75, p95``; ``bridge``:
    :func:`bridge_totals`; ``kpis``: one value per run for every figure (NaN where undefined).
    """

    budget: Budget
    runs: int
    seed: int
    paths: pd.DataFrame
    bridge: dict[str, float]
    kpis: dict[str, np.ndarray]

    @classmethod
    def of(cls, result, metrics) -> ResultSummary:
        """The summary of a :class:`~simulation.engines.results.SimulationResult` for the path ``metrics``."""
        return cls(
            budget=result.budget,
            runs=result.runs,
            seed=result.seed,
            paths=result.path_summary(metrics),
            bridge=bridge_totals(result),
            kpis={name: np.asarray(values, dtype=float) for name, values in result.kpis.items()},
        )


@dataclass(frozen=True)
class Comparison:
    """A plan and its status quo on common random numbers: full results or summaries (anything with
    ``kpis`` and ``budget``)."""

    plan: object
    baseline: object

    def difference(self, kpi: str) -> np.ndarray:
        """Run-by-run difference plan minus status quo."""
        return self.plan.kpis[kpi] - self.baseline.kpis[kpi]

    @property
    def identical(self) -> bool:
        return self.plan.budget == self.baseline.budget

    @property
    def p_beats_baseline(self) -> float | None:
        """Share of runs in which the plan's NPV is higher than the status quo's; None when they are the same plan."""
        if self.identical:
            return None
        return float(np.mean(self.difference("npv") > 0))


def beat_matrix(kpis: dict[str, np.ndarray]) -> pd.DataFrame:
    """P(row beats column) run by run: the share of runs in which the row's figure is strictly higher.

    ``kpis`` maps a scenario name to one figure per run, all from the same seed and runs
    (common random numbers); the diagonal is NaN.
    """
    names = list(kpis)
    table = pd.DataFrame(np.nan, index=names, columns=names, dtype=float)
    for a in names:
        for b in names:
            if a != b:
                table.loc[a, b] = float(np.mean(kpis[a] > kpis[b]))
    return table
