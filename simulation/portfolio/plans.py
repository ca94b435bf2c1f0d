"""The five strategies, contact plans per class, the budget they imply, and key-account plans."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .classify import CLASSES

# strategy -> (the scenario's lever that pays for it, who it is for)
STRATEGIES: dict[str, tuple[str, str]] = {
    "acquire": ("acquisition", "high-potential prospects"),
    "develop": ("expansion", "C: low contribution, high potential (upsell)"),
    "retain": ("retention", "A and B, weighted by value at risk"),
    "win back": ("winback", "lapsed customers of high past value"),
    "hold": ("retention", "D: low and low; minimal contact, no expansion"),
}
LEVERS = ("acquisition", "retention", "expansion", "winback")
# Who each contact plan is for: the classes' active customers, lapsed customers worth winning
# back, and prospects worth acquiring.
PLAN_GROUPS = (*CLASSES, "win back", "acquire")


# The most a contact plan can keep of the customers who would leave: its programme's churn multiplier
# runs down to 1 - 1.5 x keeps (simulation.portfolio.scenario_build.churn_multiplier), which stays above 0.
MAX_KEEPS = 0.6


@dataclass(frozen=True)
class ContactPlan:
    """Contacts per year, through which channel, at what cost per contact (currency), and its effect.

    ``keeps`` is the share of the customers who would leave in a period that the plan keeps
    (0 to :data:`MAX_KEEPS`): an assumption to review, which prices the plan against the value
    it protects.
    """

    contacts_per_year: float
    channel: str
    cost_per_contact: float
    keeps: float = 0.2

    def __post_init__(self):
        for name in ("contacts_per_year", "cost_per_contact", "keeps"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise InputError(f"{name.replace('_', ' ')} must be a number, 0 or more; got {value!r}")
        if self.keeps > MAX_KEEPS:
            raise InputError(f"keeps (share of leavers kept) must be at most {MAX_KEEPS:g}; got {self.keeps!r}")

    def cost_per_year(self) -> float:
        return self.contacts_per_year * self.cost_per_contact


# Editable defaults: key accounts (A) met monthly, B's called every other month, C's developed
# in eight meetings a year, D's sent a quarterly newsletter; win-back and acquisition campaigns.
# These are the most contact a class gets by default: a class's default cadence is cut to what the
# value it protects pays for (simulation.portfolio.value.priced_defaults).
DEFAULT_PLANS: dict[str, ContactPlan] = {
    "A": ContactPlan(12, "account manager visit", 150.0, 0.3),
    "B": ContactPlan(6, "phone call and offer", 40.0, 0.2),
    "C": ContactPlan(8, "account development meeting", 100.0, 0.2),
    "D": ContactPlan(4, "newsletter", 1.0, 0.05),
    "win back": ContactPlan(3, "win-back call and offer", 60.0, 0.0),
    "acquire": ContactPlan(4, "sales visit", 120.0, 0.0),
}
KEY_ACCOUNT_COLUMNS = (
    "customer_id",
    "class",
    "strategy",
    "revenue",
    "potential",
    "risk",
    "plan_year",
    "contacts_per_year",
    "channel",
    "budget_per_year",
    "review_1",
    "review_2",
    "review_3",
    "review_4",
)


def plan_targets(classified: pd.DataFrame) -> pd.Series:
    """The contact plan each row falls under (a class for active customers, ``win back`` or ``acquire``), or ''."""
    status = classified["status"].to_numpy()
    strategy = classified["strategy"].to_numpy()
    group = np.where(status == "active", classified["class"].to_numpy(dtype=object), "")
    group = np.where((status == "lapsed") & (strategy == "win back"), "win back", group)
    group = np.where((status == "prospect") & (strategy == "acquire"), "acquire", group)
    return pd.Series(group, index=classified.index)


def budget_table(classified: pd.DataFrame, plans: dict[str, ContactPlan], periods_per_year: int) -> pd.DataFrame:
    """Per contact plan: who it covers, its strategy and lever, and its cost per year and per period."""
    plans = {**DEFAULT_PLANS, **(plans or {})}
    groups = plan_targets(classified)
    rows = []
    for group in PLAN_GROUPS:
        plan = plans[group]
        mask = groups == group
        n = int(mask.sum())
        if group in CLASSES:
            strategies = classified.loc[mask, "strategy"]
            strategy = strategies.iloc[0] if n else {"A": "retain", "B": "retain", "C": "develop", "D": "hold"}[group]
        else:
            strategy = group
        per_year = n * plan.cost_per_year()
        rows.append(
            {
                "plan": group,
                "strategy": strategy,
                "lever": STRATEGIES[strategy][0],
                "customers": n,
                "contacts_per_year": plan.contacts_per_year,
                "channel": plan.channel,
                "cost_per_contact": plan.cost_per_contact,
                "keeps": plan.keeps,
                "budget_per_year": per_year,
                "budget_per_period": per_year / periods_per_year,
            }
        )
    return pd.DataFrame(rows)


def budget_by_strategy(table: pd.DataFrame) -> pd.DataFrame:
    """Budget per period and per year of each of the five strategies."""
    g = table.groupby("strategy")[["budget_per_period", "budget_per_year", "customers"]].sum()
    g = g.reindex(list(STRATEGIES), fill_value=0.0)
    g["lever"] = [STRATEGIES[s][0] for s in g.index]
    return g.reset_index()


def lever_budgets(table: pd.DataFrame) -> dict[str, float]:
    """Budget per period of each scenario lever (acquisition, retention, expansion, win-back)."""
    sums = table.groupby("lever")["budget_per_period"].sum()
    return {lever: float(sums.get(lever, 0.0)) for lever in LEVERS}


def class_budget_shares(classified: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Each class's share of each lever's budget (rows: classes; columns: levers; 0 where a lever has none)."""
    groups = plan_targets(classified)
    cost = {row.plan: row.cost_per_contact * row.contacts_per_year for row in table.itertuples()}
    lever = {row.plan: row.lever for row in table.itertuples()}
    spend = pd.DataFrame(0.0, index=list(CLASSES), columns=list(LEVERS))
    for group in PLAN_GROUPS:
        mask = groups == group
        if not mask.any():
            continue
        per_class = classified.loc[mask, "class"].value_counts()
        for cls, n in per_class.items():
            spend.loc[cls, lever[group]] += n * cost[group]
    totals = spend.sum(axis=0)
    return spend.div(totals.where(totals > 0, 1.0), axis=1)


def important_c(classified: pd.DataFrame, contribution_high: float) -> np.ndarray:
    """C customers who would be high contributors at their potential: tomorrow's A's."""
    margin = classified["margin_used"].to_numpy(dtype=float)
    return (
        (classified["status"].to_numpy() == "active")
        & (classified["class"].to_numpy() == "C")
        & (classified["potential"].to_numpy(dtype=float) * margin >= contribution_high)
    )


def key_account_plans(
    classified: pd.DataFrame, plans: dict[str, ContactPlan], contribution_high: float, as_of: pd.Timestamp | None
) -> pd.DataFrame:
    """Yearly key-account plans, reviewed quarterly, for every A customer and the important C's.

    The plan year starts on the first day of the month after the data's date (today when the
    data has none); the four reviews are at the end of each quarter of that year.
    """
    plans = {**DEFAULT_PLANS, **(plans or {})}
    keys = ((classified["status"] == "active") & (classified["class"] == "A")).to_numpy() | important_c(
        classified, contribution_high
    )
    rows = classified.loc[keys].sort_values(["class", "revenue"], ascending=[True, False])
    base = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    start = (base + pd.offsets.MonthBegin(1)).normalize()
    reviews = [(start + pd.DateOffset(months=3 * q)) - pd.Timedelta(days=1) for q in (1, 2, 3, 4)]
    out = pd.DataFrame(
        {
            "customer_id": rows["customer_id"].to_numpy(),
            "class": rows["class"].to_numpy(),
            "strategy": rows["strategy"].to_numpy(),
            "revenue": rows["revenue"].to_numpy(),
            "potential": rows["potential"].to_numpy(),
            "risk": rows["risk"].to_numpy() if "risk" in rows else np.nan,
            "plan_year": f"{start.date()} to {(start + pd.DateOffset(years=1) - pd.Timedelta(days=1)).date()}",
            "contacts_per_year": rows["class"].map({k: p.contacts_per_year for k, p in plans.items()}).to_numpy(),
            "channel": rows["class"].map({k: p.channel for k, p in plans.items()}).to_numpy(),
            "budget_per_year": rows["class"].map({k: p.cost_per_year() for k, p in plans.items()}).to_numpy(),
        }
    )
    for i, day in enumerate(reviews, start=1):
        out[f"review_{i}"] = str(day.date())
    return out[list(KEY_ACCOUNT_COLUMNS)]
