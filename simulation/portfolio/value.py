"""Contact plans priced against the value they protect.

A class's **contribution at risk** is the contribution its active customers are expected to stop
paying over the planning horizon because they leave: each customer of tenure tau pays m per
period while active, and under the class's fitted sBG model is still active before period t with
probability S(tau + t - 1) / S(tau), so the discounted contribution at risk is

    sum_i m_i sum_{t=1..H} (1 - S(tau_i + t - 1) / S(tau_i)) / (1 + d)^t.

A plan that keeps a share ``keeps`` of the customers who would leave protects about ``keeps``
times that (first order in the churn it removes); it **pays** when its discounted cost over the
horizon is at most the value it protects. A class's default cadence is capped by the same rule:
at most the contacts per year whose cost the protected value covers (whole contacts, rounded down).

The retention plans become the scenario's programmes (:mod:`simulation.portfolio.scenario_build`):
each multiplies its class's churn by 1 - ``keeps`` and costs its plan's cost per customer, so the
simulator spends the plans' money and keeps the plans' customers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .classify import CLASSES
from .fit import SBGFit
from .plans import ContactPlan

RETENTION = "retention"


def discount_factors(horizon_periods: int, discount_rate_year: float, periods_per_year: int) -> np.ndarray:
    """``1 / (1 + d) ** t`` for t = 1 ... horizon, d the yearly rate converted to the period."""
    d = (1.0 + discount_rate_year) ** (1.0 / periods_per_year) - 1.0
    return (1.0 + d) ** -np.arange(1, horizon_periods + 1, dtype=float)


def still_active(fit: SBGFit, tenure: np.ndarray, periods: int) -> np.ndarray:
    """(customers, periods + 1): chance each customer of ``tenure`` is still active after 0 ... periods more."""
    tenure = np.asarray(tenure, dtype=float)[:, None]
    t = np.arange(periods + 1, dtype=float)[None, :]
    return fit.survival(tenure + t) / fit.survival(tenure)


def year_churn(fit: SBGFit, tenure, periods_per_year: int) -> np.ndarray:
    """Each customer's chance of leaving within the next year, from the fit and their tenure."""
    tenure = np.atleast_1d(np.asarray(tenure, dtype=float))
    return 1.0 - fit.survival(tenure + periods_per_year) / fit.survival(tenure)


def class_value(customers: pd.DataFrame, fit_for, discount: np.ndarray, periods_per_year: int) -> pd.DataFrame:
    """Per class: active customers, contribution per period, churners expected next period and next year,
    and the discounted contribution at risk over ``discount.size`` periods (NaN without a fit)."""
    active = customers[customers["status"] == "active"]
    horizon = discount.size
    rows = []
    for cls in CLASSES:
        part = active[active["class"] == cls]
        fit = fit_for(cls)
        row = {"class": cls, "customers": len(part), "contribution": float(part["contribution"].sum())}
        if fit is None or part.empty:
            row |= {"churners_next_period": math.nan, "leavers_next_year": math.nan, "at_risk": math.nan}
        else:
            tenure = part["tenure"].to_numpy(dtype=float)
            alive = still_active(fit, tenure, horizon - 1)
            lost = (1.0 - alive) @ discount  # discounted periods not paid, per customer
            row |= {
                "churners_next_period": float(fit.risk(tenure).sum()),
                "leavers_next_year": float(year_churn(fit, tenure, periods_per_year).sum()),
                "at_risk": float(part["contribution"].to_numpy(dtype=float) @ lost),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def affordable_contacts(plan: ContactPlan, protected: float, customers: int, discount: np.ndarray, ppy: int) -> float:
    """Most whole contacts per year, up to the plan's own, whose discounted cost is covered by ``protected``."""
    if customers <= 0 or plan.cost_per_contact <= 0 or not math.isfinite(protected):
        return plan.contacts_per_year
    cost_per_yearly_contact = customers * plan.cost_per_contact / ppy * float(discount.sum())
    return float(min(plan.contacts_per_year, max(math.floor(protected / cost_per_yearly_contact + 1e-9), 0)))


def priced_defaults(
    defaults: dict[str, ContactPlan],
    given: dict[str, ContactPlan],
    value: pd.DataFrame,
    levers: dict[str, str],
    discount: np.ndarray,
    ppy: int,
) -> dict[str, ContactPlan]:
    """The contact plans: the ones ``given``, and each retention class's default capped to what it protects."""
    plans = dict(defaults)
    by_class = value.set_index("class")
    for cls in CLASSES:
        if cls in given or levers.get(cls) != RETENTION:
            continue
        plan = defaults[cls]
        protected = plan.keeps * float(by_class.loc[cls, "at_risk"])
        contacts = affordable_contacts(plan, protected, int(by_class.loc[cls, "customers"]), discount, ppy)
        plans[cls] = ContactPlan(contacts, plan.channel, plan.cost_per_contact, plan.keeps)
    return {**plans, **given}


def pricing_table(
    value: pd.DataFrame, plans: dict[str, ContactPlan], levers: dict[str, str], discount: np.ndarray, ppy: int
) -> pd.DataFrame:
    """Per class: its plan's cost per period and over the horizon beside the value it protects.

    Columns ``class, lever, customers, cost_per_period, plan_cost, at_risk, keeps, protected, pays,
    churners_next_period, saves_per_period, cost_per_save``; ``pays`` is True when the plan costs at
    most what it protects, False when more, None when the class has no fit or no customers.
    """
    rows = []
    factor = float(discount.sum())
    for r in value.to_dict("records"):
        cls, at_risk, churners = r["class"], r["at_risk"], r["churners_next_period"]
        plan = plans[cls]
        cost = r["customers"] * plan.cost_per_year() / ppy
        protected = plan.keeps * at_risk
        lever = levers.get(cls, RETENTION)
        saves = plan.keeps * churners if cost > 0 and lever == RETENTION else 0.0  # only retention money buys saves
        known = r["customers"] > 0 and math.isfinite(at_risk)
        rows.append(
            {
                "class": cls,
                "lever": lever,
                "customers": r["customers"],
                "cost_per_period": cost,
                "plan_cost": cost * factor,
                "at_risk": at_risk,
                "keeps": plan.keeps,
                "protected": protected,
                "pays": (cost * factor <= protected + 1e-9) if known else None,
                "churners_next_period": churners,
                "saves_per_period": saves,
                "cost_per_save": cost / saves if saves > 0 else math.nan,
            }
        )
    return pd.DataFrame(rows)
