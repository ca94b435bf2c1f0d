"""Lesson 1, the leaky bucket: a base with constant acquisition and churn levels off at A / c.

Every period ``A`` new customers join (in expectation) and a share ``c`` of the customers
leaves. The customers billed in a period (last period's survivors plus this period's new
ones) then tend to ``A / c``: at the level ``N``, ``N (1 - c) + A = N`` gives ``N = A / c``.
Churn is the same for everyone here (heterogeneity 0); lesson 4 shows what mixed churn adds.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..engines.runner import simulate
from ..model.scenario import Scenario, scenario_from_dict
from .base import Control, Exercise, Lesson, Outcome

START_CUSTOMERS = 200
CAC = 500.0  # cost of a new customer at low spend; only fixes the budget that buys A a period
SETTLED = 1e-3  # the horizon is long enough for the start's distance to the ceiling to fall below this share
MORE_NEW, LESS_CHURN = 1.2, 0.8  # the two comparisons: 20 % more new customers, 20 % less churn
EXERCISE_NEW, EXERCISE_CHURN = 60, 0.04
EXERCISE_TOLERANCE = 0.05  # answers within 5 % of the simulated level count as right


def horizon_for(churn: float) -> int:
    """Periods after which ``(1 - churn) ** t`` is below :data:`SETTLED` (at most 600)."""
    return min(600, math.ceil(math.log(SETTLED) / math.log1p(-churn)))


def acquisition_spend(new_per_period: float) -> tuple[float, float]:
    """Budget and ceiling at which the acquisition lever delivers ``new_per_period`` in expectation.

    With the ceiling at twice the target, ``C (1 - exp(-s / (C cac))) = A`` gives
    ``s = C cac ln 2``; the engine then draws Binomial(C, 1/2) new customers a period.
    """
    ceiling = 2.0 * new_per_period
    return ceiling * CAC * math.log(2.0), ceiling


def bucket_scenario(new_per_period: float, churn: float, name: str = "Lesson 1: the leaky bucket") -> Scenario:
    """One segment of identical customers, a fixed number of new ones a month, nothing spent on keeping them."""
    spend, ceiling = acquisition_spend(new_per_period)
    return scenario_from_dict(
        {
            "name": name,
            "description": (
                f"{new_per_period:g} new customers a month in expectation, {churn:.1%} of customers leave each month; "
                "everyone alike (no mix of loyal and flighty customers)."
            ),
            "period": "month",
            "horizon": horizon_for(churn),
            "currency": "USD",
            "budget": {"acquisition": spend},
            "baseline_budget": {"acquisition": spend},
            "acquisition": {"cost_per_customer": CAC, "max_new_per_period": ceiling},
            "segments": [
                {
                    "name": "Customers",
                    "customers": START_CUSTOMERS,
                    "revenue_per_customer": 50.0,
                    "gross_margin": 0.7,
                    "churn": churn,
                    "churn_heterogeneity": 0.0,
                }
            ],
            "simulation": {"runs": 200, "seed": 11},
        }
    )


def billed(result) -> np.ndarray:
    """Customers billed in each period 1..H, per run: last period's survivors plus this period's new ones."""
    p = result.paths
    return p["active_customers"][:, :-1] + p["new_customers"][:, 1:] + p["winbacks"][:, 1:]


def simulate_level(new_per_period: float, churn: float, runs: int, seed: int) -> dict:
    """The simulated level of the base, its Monte Carlo standard error, and the mean path."""
    scenario = bucket_scenario(new_per_period, churn)
    result = simulate(scenario, runs=runs, seed=seed)
    served = billed(result)
    final = served[:, -1]
    return {
        "level": float(final.mean()),
        # final values of independent runs: the standard error of their mean is sd / sqrt(runs)
        "level_se": float(final.std(ddof=1) / math.sqrt(runs)),
        "path": served.mean(0),
        "p5": np.percentile(served, 5, axis=0),
        "p95": np.percentile(served, 95, axis=0),
        "end_of_month": float(result.paths["active_customers"][:, -1].mean()),
        "horizon": scenario.horizon,
    }


class LeakyBucket(Lesson):
    key = "leaky_bucket"
    number = 1
    title = "The leaky bucket"
    controls = (
        Control("new_per_month", "New customers a month", 20, 500, 100, 10, "count"),
        Control("churn", "Customers who leave each month", 0.02, 0.15, 0.05, 0.005, "share"),
    )
    prediction_unit = "count"
    prediction_range = (0.0, 1_000_000.0)
    # a class's level (new / churn, 2,400 to 6,667) is at least a fifth above the lesson's own 2,000
    class_ranges = MappingProxyType({"new_per_month": (120, 200), "churn": (0.03, 0.05)})
    # a class's exercise levels off at 300 to 833 customers, the exercise on its own at 1,500
    exercise_ranges = MappingProxyType({"new_per_month": (30, 50, 5), "churn": (0.06, 0.1, 0.01)})
    runs = 200
    seed = 11

    def scenario(self, params=None):
        p = self.params(params)
        return bucket_scenario(p["new_per_month"], p["churn"])

    def run(self, params=None, runs=None, seed=None) -> Outcome:
        p = self.params(params)
        runs, seed = self._runs_seed(runs, seed)
        new, churn = p["new_per_month"], p["churn"]
        own = simulate_level(new, churn, runs, seed)
        more = simulate_level(new * MORE_NEW, churn, runs, seed)
        less = simulate_level(new, churn * LESS_CHURN, runs, seed)
        level = own["level"]
        path = own["path"]
        # 90 % of the way from the start to the level, whether the base grows or shrinks towards it
        reach = np.flatnonzero(np.abs(path - START_CUSTOMERS) >= 0.9 * abs(level - START_CUSTOMERS))
        frames = {
            "paths": pd.concat(
                [
                    pd.DataFrame({"series": label, "period": np.arange(1, len(r["path"]) + 1), "customers": r["path"]})
                    for label, r in (
                        ("Your setting", own),
                        (f"{MORE_NEW - 1:.0%} more new customers", more),
                        (f"{1 - LESS_CHURN:.0%} less churn", less),
                    )
                ],
                ignore_index=True,
            ),
        }
        figures = {
            "new_per_month": new,
            "churn": churn,
            "start": START_CUSTOMERS,
            "level": level,
            "level_se": own["level_se"],
            "rule": new / churn,
            "end_of_month": own["end_of_month"],
            "months_to_90": int(reach[0]) + 1 if reach.size else None,
            "horizon": own["horizon"],
            "level_more_new": more["level"],
            "level_less_churn": less["level"],
            "gain_more_new": more["level"] / level - 1,
            "gain_less_churn": less["level"] / level - 1,
            "more_new": MORE_NEW,
            "less_churn": LESS_CHURN,
        }
        return Outcome(params=p, answer=level, figures=figures, frames=frames, runs=runs, seed=seed)

    def exercise(self, runs=None, seed=None, inputs=None) -> Exercise:
        runs, seed = self._runs_seed(runs, seed)
        i = self.exercise_inputs(inputs, {"new_per_month": EXERCISE_NEW, "churn": EXERCISE_CHURN})
        level = simulate_level(i["new_per_month"], i["churn"], runs, seed)["level"]
        return Exercise(
            answer=level,
            low=level * (1 - EXERCISE_TOLERANCE),
            high=level * (1 + EXERCISE_TOLERANCE),
            unit="count",
            inputs=i,
        )
