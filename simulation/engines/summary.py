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

from ..model.scenario import Budget

BRIDGE_STEPS = ("start", "new", "referred", "expansion", "winback", "lost", "end")


def bridge_totals(result) -> dict[str, float]:
    """Mean revenue run-rate bridge over the horizon: ``start + new + referred + expansion + winback - lost = end``.

    ``referred`` is there only when the scenario has referrals (a step that is always zero is left out).
    """
    p = result.paths
    bridge = {
        "start": float(p["revenue_run_rate"][:, 0].mean()),
        "new": float(p["run_rate_new"][:, 1:].sum(1).mean()),
        "referred": float(p["run_rate_referred"][:, 1:].sum(1).mean()),
        "expansion": float(p["run_rate_expansion"][:, 1:].sum(1).mean()),
        "winback": float(p["run_rate_winback"][:, 1:].sum(1).mean()),
        "lost": float(p["run_rate_lost"][:, 1:].sum(1).mean()),
        "end": float(p["revenue_run_rate"][:, -1].mean()),
    }
    if not any(seg.referral_rate for seg in result.scenario.segments):
        del bridge["referred"]
    return bridge


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
