"""Lesson 6, value and risk: classify a portfolio into the nine-box, then test where retention money goes.

A sample portfolio of twelve segments is classified by value (the expected lifetime value of a
customer, :func:`simulation.expected_clv`) and by risk (churn a month), each split into thirds:
low, medium, high. The nine-box playbook recommends spending retention money where value and
risk are both high (value at risk). The lesson then runs four ways of spending one retention
budget on the same simulated futures and reports how much customer value each adds.

The classification here is the lesson's own simple value x risk split by thirds of the sample; it
is not the Portfolio page's model.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..engines.runner import simulate
from ..model.closed_forms import discount_per_period, expected_clv
from ..model.scenario import Budget, Scenario, scenario_from_dict
from .base import Control, Exercise, Lesson, Outcome

# name, customers, revenue per month, churn per month: a plausible mix, labelled as an example
PORTFOLIO = (
    ("Enterprise A", 120, 900.0, 0.006),
    ("Enterprise B", 90, 1100.0, 0.025),
    ("Enterprise C", 60, 800.0, 0.06),
    ("Mid-market A", 400, 250.0, 0.008),
    ("Mid-market B", 350, 300.0, 0.03),
    ("Mid-market C", 300, 220.0, 0.07),
    ("Small A", 1200, 60.0, 0.01),
    ("Small B", 1500, 50.0, 0.035),
    ("Small C", 1000, 45.0, 0.09),
    ("Starter A", 2500, 15.0, 0.012),
    ("Starter B", 3000, 12.0, 0.04),
    ("Starter C", 2000, 10.0, 0.1),
)
MARGIN = 0.75
HETEROGENEITY = 0.1
DISCOUNT = 0.10  # per year
HORIZON = 36
COST_PER_SAVE = 150.0
MAX_CHURN_REDUCTION = 0.4
TIERS = ("low", "medium", "high")
STRATEGIES = ("Evenly", "Most valuable", "Highest churn", "Value at risk")  # described on the page
RECOMMENDED = 3
EXERCISE_BUDGET = 30_000.0
EXERCISE_TOLERANCE = 0.10


def classify() -> pd.DataFrame:
    """Each segment's value (CLV of a customer), risk (churn a month) and nine-box class.

    Tiers are thirds of the sample: the four lowest, middle and highest values (and risks).
    """
    frame = pd.DataFrame(PORTFOLIO, columns=["segment", "customers", "revenue", "churn"])
    d = float(discount_per_period(DISCOUNT, 12))
    frame["clv"] = expected_clv(frame["revenue"].to_numpy() * MARGIN, frame["churn"].to_numpy(), HETEROGENEITY, d)
    frame["value"] = pd.qcut(frame["clv"].rank(method="first"), 3, labels=TIERS).astype(str)
    frame["risk"] = pd.qcut(frame["churn"].rank(method="first"), 3, labels=TIERS).astype(str)
    frame["box"] = frame["value"] + " value, " + frame["risk"] + " risk"
    return frame


def strategy_weights(strategy: int, frame: pd.DataFrame) -> dict | None:
    """Retention weights per segment for a strategy (None: the model's split by value at risk)."""
    if strategy == 0:
        w = frame["customers"].astype(float)
    elif strategy == 1:
        w = (frame["value"] == "high").astype(float) * frame["customers"]
    elif strategy == 2:
        w = (frame["risk"] == "high").astype(float) * frame["customers"]
    else:
        return None
    return {name: float(x) for name, x in zip(frame["segment"], w, strict=True)}


def portfolio_scenario(budget: float, strategy: int = RECOMMENDED) -> Scenario:
    frame = classify()
    weights = strategy_weights(strategy, frame)
    retention = {"cost_per_save": COST_PER_SAVE, "max_churn_reduction": MAX_CHURN_REDUCTION}
    if weights is not None:
        retention["weights"] = weights
    return scenario_from_dict(
        {
            "name": "Lesson 6: value and risk",
            "description": f"Twelve segments; {budget:,.0f} a month on retention, spent: {STRATEGIES[strategy]}.",
            "period": "month",
            "horizon": HORIZON,
            "currency": "USD",
            "discount_rate": DISCOUNT,
            "budget": {"retention": budget},
            "baseline_budget": {},
            "retention": retention,
            "segments": [
                {
                    "name": name,
                    "customers": n,
                    "revenue_per_customer": rev,
                    "gross_margin": MARGIN,
                    "churn": churn,
                    "churn_heterogeneity": HETEROGENEITY,
                }
                for name, n, rev, churn in PORTFOLIO
            ],
            "simulation": {"runs": 200, "seed": 16},
        }
    )


def value_added(budget: float, runs: int, seed: int) -> pd.DataFrame:
    """Customer value each strategy adds over spending nothing, on the same simulated futures.

    Columns ``strategy, label, added, added_se, per_dollar`` (``added`` the mean over runs of the
    run-by-run difference in customer equity, which already counts the spend; ``added_se`` its
    standard error; ``per_dollar`` the mean of added value per dollar of discounted spend).
    """
    return pd.DataFrame(list(_value_added(float(budget), int(runs), int(seed))))


@lru_cache(maxsize=64)
def _value_added(budget: float, runs: int, seed: int) -> tuple:
    # kept for the process (deterministic in its plain arguments), so choosing another strategy
    # at the same budget costs nothing; rows are read-only mappings
    none = simulate(portfolio_scenario(budget), Budget(), runs=runs, seed=seed).customer_equity
    rows = []
    for i, label in enumerate(STRATEGIES):
        s = portfolio_scenario(budget, i)
        result = simulate(s, runs=runs, seed=seed)
        diff = result.customer_equity - none
        spend = budget * result.discount_factors[:, 1:].sum(1)
        row = {
            "strategy": i,
            "label": label,
            "added": float(diff.mean()),
            "added_se": float(diff.std(ddof=1) / np.sqrt(runs)),
            "per_dollar": float((diff / spend).mean()),
        }
        rows.append(MappingProxyType(row))
    return tuple(rows)


class ValueRisk(Lesson):
    key = "value_risk"
    number = 6
    title = "Value and risk"
    controls = (
        Control(
            "strategy", "How the retention budget is spent", 0, len(STRATEGIES) - 1, 0, 1, "choice", options=STRATEGIES
        ),
        Control("budget", "Retention budget a month", 2_000, 40_000, 10_000, 2_000, "money"),
    )
    prediction_unit = "choice"
    prediction_options = STRATEGIES
    prediction_range = (0.0, float(len(STRATEGIES) - 1))
    runs = 100  # five runs of twelve segments: about half a second; strategies share their futures
    seed = 16

    def scenario(self, params=None):
        p = self.params(params)
        return portfolio_scenario(p["budget"], int(p["strategy"]))

    def run(self, params=None, runs=None, seed=None) -> Outcome:
        p = self.params(params)
        runs, seed = self._runs_seed(runs, seed)
        chosen = round(p["strategy"])
        table = value_added(p["budget"], runs, seed)
        best = int(table["added"].idxmax())
        frame = classify()
        boxes = frame.groupby(["value", "risk"], as_index=False).agg(segments=("segment", "count"),
                                                                      customers=("customers", "sum"))  # fmt: skip
        figures = {
            "budget": p["budget"],
            "chosen": chosen,
            "best": best,
            "recommended": RECOMMENDED,
            "added": table["added"].tolist(),
            "added_se": table["added_se"].tolist(),
            "per_dollar": table["per_dollar"].tolist(),
            "chosen_vs_best": float(table["added"][chosen] / table["added"][best] - 1.0) if best != chosen else 0.0,
            "recommended_vs_best": float(table["added"][RECOMMENDED] / table["added"][best] - 1.0),
            "retain_box_customers": int(frame.loc[(frame.value == "high") & (frame.risk == "high"), "customers"].sum()),
            "retain_box_segments": frame.loc[(frame.value == "high") & (frame.risk == "high"), "segment"].tolist(),
        }
        frames = {"strategies": table, "portfolio": frame, "boxes": boxes}
        return Outcome(params=p, answer=float(best), figures=figures, frames=frames, runs=runs, seed=seed)

    def exercise(self, runs=None, seed=None) -> Exercise:
        """Customer value the nine-box strategy adds at the exercise's budget (currency)."""
        runs, seed = self._runs_seed(runs, seed)
        added = float(value_added(EXERCISE_BUDGET, runs, seed)["added"][RECOMMENDED])
        return Exercise(
            answer=added,
            low=added * (1 - EXERCISE_TOLERANCE),
            high=added * (1 + EXERCISE_TOLERANCE),
            unit="money",
            inputs={"budget": EXERCISE_BUDGET, "strategy": STRATEGIES[RECOMMENDED]},
        )
