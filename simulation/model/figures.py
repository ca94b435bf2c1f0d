"""The figures people read: one registry of each figure's name, unit, help, direction and definition.

Pages, exports, the command line and the optimiser all read a figure from here, so they
agree by construction. Each figure is computed run by run from a simulation result (see
:class:`simulation.engines.results.SimulationResult`) as pinned in docs/MODEL.md (section 8); ``compute``
returns a (runs,) array, NaN where the figure is undefined in a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .closed_forms import expected_clv

KINDS = ("money", "count", "percent", "ratio", "periods")


@dataclass(frozen=True)
class Figure:
    """One figure: ``key`` in exports, ``label`` in full, ``short`` on a card, its unit ``kind``.

    ``headline`` computes the one number shown for the figure when it is not the mean of the
    per-run values. Every ratio's headline is a ratio of means (realised CAC: total spend over
    runs / total acquired; a mean of per-run ratios is biased up when a run acquires few); its
    bands stay per run.
    ``labels`` gives the labels for a scenario when they depend on it (GRR over a horizon
    shorter than a year).
    """

    key: str
    label: str
    short: str
    kind: str
    help: str
    compute: Callable
    higher_is_better: bool = True
    headline: Callable | None = None
    labels: Callable | None = None

    def headline_of(self, result) -> float | None:
        """The headline number for ``result``: ``headline(result)``, else the mean over runs.

        None when it cannot be computed: a mean over only the runs where the figure is defined
        would describe other futures than the ones simulated.
        """
        if self.headline is not None:
            value = float(self.headline(result))
        else:
            values = np.asarray(result.figure(self.key), dtype=float)
            value = float(values.mean()) if values.size and np.all(np.isfinite(values)) else math.nan
        return value if math.isfinite(value) else None

    def label_for(self, scenario) -> str:
        """The full label, for ``scenario``."""
        return self.labels(scenario)[0] if self.labels is not None else self.label

    def short_for(self, scenario) -> str:
        """The short label, for ``scenario``."""
        return self.labels(scenario)[1] if self.labels is not None else self.short


def _revenue_total(r):
    return r.paths["revenue"].sum(1)


def _revenue_final(r):
    return r.paths["revenue"][:, -1].copy()


def _npv(r):
    return r.npv


def _customer_equity(r):
    return r.customer_equity


def _operating_npv(r):
    return r.operating_npv


def _last_year(r, metric):
    window = min(r.scenario.periods_per_year, r.scenario.horizon)
    return r.paths[metric][:, -window:].sum(1)


def _operating_margin_final_year(r):
    revenue = _last_year(r, "revenue")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(revenue > 0, _last_year(r, "operating_profit") / revenue, np.nan)


def _operating_margin_ratio_of_means(r):
    revenue = float(_last_year(r, "revenue").sum())
    return float(_last_year(r, "operating_profit").sum()) / revenue if revenue > 0 else math.nan


def care_spend_per_customer(r) -> np.ndarray:
    """Retention + expansion spend per paying customer per period, averaged over the horizon, (runs,).

    Customers paying in period t are those active at its end plus those who left in it.
    """
    paying = (r.paths["active_customers"][:, 1:] + r.paths["churned_customers"][:, 1:]).sum(1)
    spend = (r.budget.retention + r.budget.expansion) * r.scenario.horizon
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(paying > 0, spend / paying, 0.0)


def net_margin_per_new_customer(r) -> np.ndarray:
    """A new customer's margin per period net of cost to serve and of the plan's care spend,
    (runs, segments): the ``m_s - c`` of the CLV in docs/MODEL.md."""
    return r.assumptions.net_margin_per_customer - care_spend_per_customer(r)[:, None]


def _clv(r):
    a, out = r.assumptions, r.output
    rho = np.divide(
        out.saves_by_segment,
        out.at_risk_by_segment,
        out=np.zeros_like(out.saves_by_segment),
        where=out.at_risk_by_segment > 0,
    )
    margin = net_margin_per_new_customer(r)
    return expected_clv(margin, a.churn, a.heterogeneity, a.discount[:, None], rho) @ a.share


def _acquisition_spend(r):
    return r.budget.acquisition * r.scenario.horizon


def _cac(r):
    acquired = r.paths["new_customers"].sum(1)
    acq_spend = _acquisition_spend(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((acquired > 0) & (acq_spend > 0), acq_spend / acquired, np.nan)


def _cac_ratio_of_means(r):
    acquired = float(r.paths["new_customers"].sum())
    spend = _acquisition_spend(r) * r.runs
    return spend / acquired if acquired > 0 and spend > 0 else math.nan


def _ltv_to_cac(r):
    return r.figure("clv") / r.figure("cac")


def _ltv_to_cac_ratio_of_means(r):
    clv, cac = r.headline("clv"), r.headline("cac")
    return clv / cac if clv is not None and cac is not None else math.nan


def _cac_payback(r):
    per_period = net_margin_per_new_customer(r) @ r.assumptions.share
    with np.errstate(divide="ignore", invalid="ignore"):
        # a new customer who brings no net margin never pays back: undefined, not infinite
        return np.where(per_period > 0, r.figure("cac") / per_period, np.nan)


def _grr(r):
    start = r.output.start_run_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start > 0, r.output.year_kept_base / start, np.nan)


def _nrr(r):
    start = r.output.start_run_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start > 0, r.output.year_cohort_run_rate / start, np.nan)


def _retention_window(scenario) -> tuple[str, str]:
    """``("the first year", "first year")``, or the horizon when it is shorter than a year."""
    if scenario.horizon >= scenario.periods_per_year:
        return "over the first year", "first year"
    h = scenario.horizon
    unit = scenario.period + ("s" if h != 1 else "")
    return f"over the horizon ({h} {unit}, less than a year)", f"{h} {unit}"


def _grr_labels(scenario):
    long, short = _retention_window(scenario)
    return f"Gross revenue retention {long}", f"GRR, {short}"


def _nrr_labels(scenario):
    long, short = _retention_window(scenario)
    return f"Net revenue retention {long}", f"NRR, {short}"


def _revenue_final_labels(scenario):
    return f"Revenue in {scenario.period} {scenario.horizon}, the last of the horizon", "Final revenue"


def _active_final_labels(scenario):
    return f"Customers at the end of {scenario.period} {scenario.horizon}, the last of the horizon", "Final customers"


def _payback_labels(scenario):
    return f"CAC payback, in {scenario.period}s", "CAC payback"


def _roi(r):
    gained = r.customer_equity - r.no_marketing_equity
    spend = r.marketing_npv
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spend > 0, gained / spend, np.nan)


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
            labels=_revenue_final_labels,
        ),
        Figure(
            "npv",
            "NPV of contribution",
            "NPV",
            "money",
            "Gross profit minus cost to serve minus marketing spend, each period discounted at the "
            "scenario's rate; the first period is discounted once.",
            _npv,
        ),
        Figure(
            "customer_equity",
            "Customer equity",
            "Customer equity",
            "money",
            "NPV over the horizon plus the discounted gross profit, net of cost to serve, still expected "
            "from the customers active at its end (no further spend).",
            _customer_equity,
        ),
        Figure(
            "clv",
            "CLV of a new customer",
            "CLV, new customer",
            "money",
            "Expected discounted margin of one new customer over their life, at the churn this plan's "
            "retention programme achieves on average: gross profit less cost to serve and less the "
            "plan's retention and expansion spend per customer per period; upsell is not counted.",
            _clv,
        ),
        Figure(
            "cac",
            "Realised CAC",
            "Realised CAC",
            "money",
            "Acquisition spend divided by the customers it brought in (referred customers, who cost "
            "nothing, are not counted). The headline is total spend over total customers acquired "
            "across all simulated futures; the range is that of each future's own ratio.",
            _cac,
            higher_is_better=False,
            headline=_cac_ratio_of_means,
        ),
        Figure(
            "ltv_to_cac",
            "LTV:CAC",
            "LTV:CAC",
            "ratio",
            "CLV of a new customer divided by the realised CAC; 3 or more is the usual rule of thumb. The "
            "headline is the ratio of the two headlines (a ratio of means over all simulated futures); the "
            "range is that of each future's own ratio.",
            _ltv_to_cac,
            headline=_ltv_to_cac_ratio_of_means,
        ),
        Figure(
            "cac_payback_periods",
            "CAC payback",
            "CAC payback",
            "periods",
            "Periods of a new customer's margin (net of cost to serve and of the plan's retention and "
            "expansion spend per customer) needed to repay the realised CAC.",
            _cac_payback,
            higher_is_better=False,
            labels=_payback_labels,
        ),
        Figure(
            "grr",
            "Gross revenue retention",
            "GRR, first year",
            "percent",
            "Revenue kept after one year (or the horizon, if shorter) from the customers held at the "
            "start who never left, without expansion; a customer lost and won back counts as lost.",
            _grr,
            labels=_grr_labels,
        ),
        Figure(
            "nrr",
            "Net revenue retention",
            "NRR, first year",
            "percent",
            "Revenue after one year (or the horizon, if shorter) from the customers held at the start "
            "who never left, expansion included; a customer lost and won back counts as lost.",
            _nrr,
            labels=_nrr_labels,
        ),
        Figure(
            "roi",
            "Marketing ROI",
            "Marketing ROI",
            "percent",
            "What the marketing spend adds: customer equity of the plan minus customer equity of the "
            "same business with no marketing spend at all (same simulated futures), divided by the "
            "NPV of the spend. Spend that buys nothing returns -100 %.",
            _roi,
        ),
        Figure(
            "operating_npv",
            "NPV of operating profit",
            "Operating NPV",
            "money",
            "Operating profit (gross profit minus cost to serve, marketing spend and operating costs), "
            "each period discounted at the scenario's rate.",
            _operating_npv,
        ),
        Figure(
            "operating_margin_final_year",
            "Operating margin, final year",
            "Op. margin, last yr",
            "percent",
            "Operating profit divided by revenue over the last year of the horizon (the whole horizon "
            "if it is shorter than a year). The headline is the ratio of means: operating profit over "
            "revenue, each summed over all simulated futures; the range is that of each future's own ratio.",
            _operating_margin_final_year,
            headline=_operating_margin_ratio_of_means,
        ),
        Figure(
            "active_customers_final",
            "Customers at the horizon",
            "Final customers",
            "count",
            "Active customers at the end of the horizon.",
            _active_final,
            labels=_active_final_labels,
        ),
    )
}
KPIS = tuple(FIGURES)


def figure_label(key: str, scenario) -> str:
    """The full label of figure ``key`` for ``scenario``."""
    return FIGURES[key].label_for(scenario)


def figure(key: str) -> Figure:
    """The figure named ``key``."""
    return FIGURES[key]
