"""Lesson 6, value and risk: classify a portfolio into the nine-box, then test where retention money goes.

A sample portfolio of twelve segments is classified by value (the expected lifetime value of a
customer, :func:`simulation.expected_clv`) and by risk (churn a month), each split into thirds:
low, medium, high. The nine-box playbook, as the source material states it, spends the retention
budget on the customers who are worth the most and the most likely to leave: the high-value,
high-risk box. The lesson runs five ways of spending one retention budget on the same simulated
futures, the playbook among them, and reports how much customer value each adds; which one wins,
and why, is read from the runs.

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
from ..model.levers import split_budget
from ..model.scenario import Budget, Scenario, scenario_from_dict
from .base import Control, Exercise, Lesson, Outcome
from .cost_ratio import saturation_spend

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
# indices are stored as learners' predictions: new ways are added at the end
STRATEGIES = (
    "Evenly, per customer",
    "High-value third only",
    "High-risk third only",
    "By revenue at risk, all segments",
    "Nine-box playbook: high value, high risk only",
)  # described on the page
SPREAD = 3  # the model's own split: the revenue expected to leave from each segment, every segment
PLAYBOOK = 4  # the nine-box playbook: the high-value, high-risk box only
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


def in_playbook_box(frame: pd.DataFrame) -> pd.Series:
    """Whether each segment is in the high-value, high-risk box (where the playbook spends)."""
    return (frame["value"] == "high") & (frame["risk"] == "high")


def strategy_weights(strategy: int, frame: pd.DataFrame) -> dict | None:
    """Retention weights per segment for a strategy (None: the model's split by revenue at risk)."""
    if strategy == 0:
        w = frame["customers"].astype(float)
    elif strategy == 1:
        w = (frame["value"] == "high").astype(float) * frame["customers"]
    elif strategy == 2:
        w = (frame["risk"] == "high").astype(float) * frame["customers"]
    elif strategy == PLAYBOOK:
        w = in_playbook_box(frame).astype(float) * frame["customers"]
    else:
        return None
    return {name: float(x) for name, x in zip(frame["segment"], w, strict=True)}


def portfolio_scenario(budget: float, strategy: int = SPREAD) -> Scenario:
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

    Columns ``strategy, label, added, added_se, per_dollar, spend, gap, gap_se, saves, box_saves,
    box_at_risk``
    (``added`` the mean over runs of the run-by-run difference in customer equity, which
    already counts the spend; ``added_se`` its standard error; ``per_dollar`` the mean of added
    value per dollar of discounted spend, ``spend`` the mean discounted spend; ``gap`` the mean
    run-by-run difference from the strategy that adds the most and ``gap_se`` its standard
    error; ``saves`` the customers kept over the horizon, all segments, and ``box_saves`` those
    in the high-value, high-risk box;
    ``box_at_risk`` the box's churners a month expected before the programme acts).
    """
    return pd.DataFrame(list(_value_added(float(budget), int(runs), int(seed))))


@lru_cache(maxsize=64)
def _value_added(budget: float, runs: int, seed: int) -> tuple:
    # kept for the process (deterministic in its plain arguments), so choosing another strategy
    # at the same budget costs nothing; rows are read-only mappings
    none = simulate(portfolio_scenario(budget), Budget(), runs=runs, seed=seed).customer_equity
    box = in_playbook_box(classify()).to_numpy()
    rows, diffs = [], []
    for i, label in enumerate(STRATEGIES):
        s = portfolio_scenario(budget, i)
        result = simulate(s, runs=runs, seed=seed)
        diff = result.customer_equity - none
        spend = budget * result.discount_factors[:, 1:].sum(1)
        saves = result.output.saves_by_segment
        diffs.append(diff)
        rows.append(
            {
                "strategy": i,
                "label": label,
                "added": float(diff.mean()),
                "added_se": float(diff.std(ddof=1) / np.sqrt(runs)),
                "per_dollar": float((diff / spend).mean()),
                "spend": float(spend.mean()),
                "saves": float(saves.sum(1).mean()),
                "box_saves": float(saves[:, box].sum(1).mean()),
                # churners a month in the box before the programme acts, as the engine expected them
                "box_at_risk": float(result.output.at_risk_by_segment[:, box].sum(1).mean() / HORIZON),
            }
        )
    best = int(np.argmax([r["added"] for r in rows]))
    for row, diff in zip(rows, diffs, strict=True):
        gap = diff - diffs[best]
        row["gap"] = float(gap.mean())
        row["gap_se"] = float(gap.std(ddof=1) / np.sqrt(runs))
    return tuple(MappingProxyType(row) for row in rows)


def spread_box_share(budget: float) -> float:
    """Share of the budget the model's split by revenue at risk gives the high-value, high-risk box,
    in the first month (revenue expected to leave: customers x churn x revenue a customer)."""
    frame = classify()
    at_risk = (frame["customers"] * frame["churn"] * frame["revenue"]).to_numpy(dtype=float)
    shares = split_budget(budget, None, at_risk) / budget
    return float(shares[in_playbook_box(frame).to_numpy()].sum())


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
    # the way that adds the most is the lesson's conclusion, the same in every class; the amounts differ
    class_ranges = MappingProxyType({"budget": (6_000, 16_000)})
    # a smaller budget: the playbook loses $400k to $580k in a class's exercise, $750k on its own
    exercise_ranges = MappingProxyType({"budget": (18_000, 24_000, 2_000)})
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
        box = frame[in_playbook_box(frame)]
        box_ceiling = MAX_CHURN_REDUCTION * float(table["box_at_risk"][PLAYBOOK])
        figures = {
            "budget": p["budget"],
            "horizon": HORIZON,
            "chosen": chosen,
            "best": best,
            "playbook": PLAYBOOK,
            "spread": SPREAD,
            "added": table["added"].tolist(),
            "added_se": table["added_se"].tolist(),
            "per_dollar": table["per_dollar"].tolist(),
            "gap": table["gap"].tolist(),
            "gap_se": table["gap_se"].tolist(),
            "saves": table["saves"].tolist(),
            "box_saves": table["box_saves"].tolist(),
            "box_customers": int(box["customers"].sum()),
            "box_segments": box["segment"].tolist(),
            # what a customer of the box is worth: the customer-weighted mean of the segments' CLV
            "box_clv": float((box["clv"] * box["customers"]).sum() / box["customers"].sum()),
            "spend": table["spend"].tolist(),
            "box_at_risk": float(table["box_at_risk"][PLAYBOOK]),
            "box_ceiling": box_ceiling,
            "max_churn_reduction": MAX_CHURN_REDUCTION,
            # the spend a month at which the box's programme reaches 90 % of its ceiling (lesson 2)
            "box_runs_out": saturation_spend(box_ceiling, COST_PER_SAVE),
            "spread_box_share": spread_box_share(p["budget"]),
        }
        frames = {"strategies": table, "portfolio": frame, "boxes": boxes}
        return Outcome(params=p, answer=float(best), figures=figures, frames=frames, runs=runs, seed=seed)

    def exercise(self, runs=None, seed=None, inputs=None) -> Exercise:
        """Customer value the nine-box playbook adds (a loss is negative) at the exercise's budget (currency)."""
        runs, seed = self._runs_seed(runs, seed)
        i = self.exercise_inputs(inputs, {"budget": EXERCISE_BUDGET})
        added = float(value_added(i["budget"], runs, seed)["added"][PLAYBOOK])
        tolerance = EXERCISE_TOLERANCE * abs(added)
        return Exercise(
            answer=added,
            low=added - tolerance,
            high=added + tolerance,
            unit="money",
            inputs={**i, "strategy": STRATEGIES[PLAYBOOK]},
        )
