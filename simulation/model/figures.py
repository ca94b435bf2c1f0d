"""The figures people read: one registry of each figure's name, unit, help, direction and definition.

Pages, exports, the command line and the optimiser all read a figure from here, so they
agree by construction. Each figure is computed run by run from a simulation result (see
:class:`simulation.engines.results.SimulationResult`) as pinned in MODEL.md; ``compute``
returns a (runs,) array, NaN where the figure is undefined in a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .closed_forms import expected_clv

KINDS = ("money", "count", "percent", "ratio", "periods")


@dataclass(frozen=True)
class Figure:
    """One figure: ``key`` in exports, ``label`` in full, ``short`` on a card, its unit ``kind``."""

    key: str
    label: str
    short: str
    kind: str
    help: str
    compute: Callable
    higher_is_better: bool = True


def _revenue_total(r):
    return r.paths["revenue"].sum(1)


def _revenue_final(r):
    return r.paths["revenue"][:, -1].copy()


def _npv(r):
    return r.npv


def _customer_equity(r):
    return r.customer_equity


def _clv(r):
    a, out = r.assumptions, r.output
    rho = np.divide(
        out.saves_by_segment,
        out.at_risk_by_segment,
        out=np.zeros_like(out.saves_by_segment),
        where=out.at_risk_by_segment > 0,
    )
    return expected_clv(a.margin_per_customer, a.churn, a.heterogeneity, a.discount[:, None], rho) @ a.share


def _cac(r):
    acquired = r.paths["new_customers"].sum(1)
    acq_spend = r.budget.acquisition * r.scenario.horizon
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((acquired > 0) & (acq_spend > 0), acq_spend / acquired, np.nan)


def _ltv_to_cac(r):
    return r.figure("clv") / r.figure("cac")


def _cac_payback(r):
    a = r.assumptions
    margin = a.margin_per_customer @ a.share
    with np.errstate(divide="ignore", invalid="ignore"):
        # a new customer who brings no margin never pays back: undefined, not infinite
        return np.where(margin > 0, r.figure("cac") / margin, np.nan)


def _grr(r):
    start = r.output.start_run_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start > 0, r.output.year_kept_base / start, np.nan)


def _nrr(r):
    start = r.output.start_run_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start > 0, r.output.year_cohort_run_rate / start, np.nan)


def _roi(r):
    npv_spend = (r.paths["spend"] * r.discount_factors).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(npv_spend > 0, r.npv / npv_spend, np.nan)


def _active_final(r):
    return r.paths["active_customers"][:, -1].copy()


FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure(
            "revenue_total",
            "Revenue over the horizon",
            "Revenue, horizon",
            "money",
            "Revenue summed over every period of the horizon (not discounted).",
            _revenue_total,
        ),
        Figure(
            "revenue_final",
            "Revenue in the last period",
            "Final revenue",
            "money",
            "Revenue earned in the last period of the horizon.",
            _revenue_final,
        ),
        Figure(
            "npv",
            "NPV of contribution",
            "NPV",
            "money",
            "Gross profit minus spend, each period discounted at the scenario's rate; "
            "the first period is discounted once.",
            _npv,
        ),
        Figure(
            "customer_equity",
            "Customer equity",
            "Customer equity",
            "money",
            "NPV over the horizon plus the discounted gross profit still expected from the "
            "customers active at its end (no further spend).",
            _customer_equity,
        ),
        Figure(
            "clv",
            "CLV of a new customer",
            "CLV, new customer",
            "money",
            "Expected discounted gross profit of one new customer over their life, at the churn this "
            "plan's retention programme achieves on average; upsell is not counted.",
            _clv,
        ),
        Figure(
            "cac",
            "Realised CAC",
            "Realised CAC",
            "money",
            "Acquisition spend divided by the customers it brought in.",
            _cac,
            higher_is_better=False,
        ),
        Figure(
            "ltv_to_cac",
            "LTV:CAC",
            "LTV:CAC",
            "ratio",
            "CLV of a new customer divided by the realised CAC; 3 or more is the usual rule of thumb.",
            _ltv_to_cac,
        ),
        Figure(
            "cac_payback_periods",
            "CAC payback",
            "CAC payback",
            "periods",
            "Periods of a new customer's gross profit needed to repay the realised CAC.",
            _cac_payback,
            higher_is_better=False,
        ),
        Figure(
            "grr",
            "Gross revenue retention",
            "GRR, first year",
            "percent",
            "Revenue kept after one year from the customers held at the start, without expansion.",
            _grr,
        ),
        Figure(
            "nrr",
            "Net revenue retention",
            "NRR, first year",
            "percent",
            "Revenue after one year from the customers held at the start, expansion included.",
            _nrr,
        ),
        Figure(
            "roi",
            "Marketing ROI",
            "Marketing ROI",
            "percent",
            "Return on the spend: (NPV of gross profit minus NPV of spend) / NPV of spend.",
            _roi,
        ),
        Figure(
            "active_customers_final",
            "Customers at the horizon",
            "Final customers",
            "count",
            "Active customers at the end of the horizon.",
            _active_final,
        ),
    )
}
KPIS = tuple(FIGURES)


def figure(key: str) -> Figure:
    """The figure named ``key``."""
    return FIGURES[key]
