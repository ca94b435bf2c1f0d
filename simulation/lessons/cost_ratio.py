"""Lesson 2, "acquiring a customer costs 5-25x keeping one": what a dollar buys on each side.

At low spend a dollar buys ``1 / cost`` units on either side, so retention wins by the cost
ratio. But retention can only act on the customers who would leave this period: its
ceiling is ``max_churn_reduction`` times the expected churners, while acquisition's is
the market's new customers a period. Both follow the one saturating response of
:func:`simulation.model.levers.response`; the retention programme runs out first.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..engines.runner import simulate
from ..model.levers import response
from ..model.scenario import Budget, Scenario, scenario_from_dict
from .base import Control, Exercise, Lesson, Outcome

CUSTOMERS = 2000
CHURN = 0.03
COST_PER_SAVE = 200.0
MAX_CHURN_REDUCTION = 0.5
MAX_NEW = 300.0
HORIZON = 12
FIRST_DOLLARS = 1000.0  # "what the first $1,000 buys"
SATURATED = 0.9  # "runs out": the spend at which a lever delivers 90 % of its ceiling
EXERCISE_TOLERANCE = 0.10
CURVE_POINTS = 121


def ratio_scenario(budget: float, multiplier: float, acquisition_share: float = 0.0,
                   customers: float = CUSTOMERS) -> Scenario:  # fmt: skip
    """A base of ``customers`` (2,000 by default), the budget split between acquisition and retention."""
    return scenario_from_dict(
        {
            "name": "Lesson 2: what a dollar buys",
            "description": (
                f"Acquiring a customer costs {multiplier:g}x a save; {budget:,.0f} a month to spend "
                f"({acquisition_share:.0%} on acquisition)."
            ),
            "period": "month",
            "horizon": HORIZON,
            "currency": "USD",
            "budget": {"acquisition": budget * acquisition_share, "retention": budget * (1 - acquisition_share)},
            "acquisition": {"cost_multiplier": multiplier, "max_new_per_period": MAX_NEW},
            "retention": {"cost_per_save": COST_PER_SAVE, "max_churn_reduction": MAX_CHURN_REDUCTION},
            "segments": [
                {
                    "name": "Customers",
                    "customers": int(customers),
                    "revenue_per_customer": 100.0,
                    "gross_margin": 0.7,
                    "churn": CHURN,
                    "churn_heterogeneity": 0.0,
                }
            ],
            "simulation": {"runs": 200, "seed": 12},
        }
    )


def saturation_spend(ceiling: float, cost: float, share: float = SATURATED) -> float:
    """Spend at which the response reaches ``share`` of its ceiling: ``-ceiling cost ln(1 - share)``."""
    return -ceiling * cost * math.log1p(-share)


def one_sided(budget: float, multiplier: float, runs: int, seed: int, customers: float = CUSTOMERS) -> dict:
    """The whole budget on retention, then on acquisition, on the same random numbers."""
    scenario = ratio_scenario(budget, multiplier, customers=customers)
    keep = simulate(scenario, Budget(retention=budget), runs=runs, seed=seed)
    win = simulate(scenario, Budget(acquisition=budget), runs=runs, seed=seed)
    # churners a month the programme could act on (expected before it acts), as the engine computed them
    at_risk = float(keep.output.at_risk_by_segment.sum(1).mean() / HORIZON)
    return {
        "saves": float(keep.paths["saved_customers"][:, 1:].mean()),
        "new": float(win.paths["new_customers"][:, 1:].mean()),
        "at_risk": at_risk,
        "scenario": scenario,
    }


class CostRatio(Lesson):
    key = "cost_ratio"
    number = 2
    title = "Acquiring costs 5-25× keeping"
    controls = (
        Control("budget", "Budget a month", 5_000, 200_000, 100_000, 5_000, "money"),
        Control("multiplier", "Acquiring a customer costs N× a save", 1, 50, 7, 1, "multiple"),
        Control("customers", "Customers today", 500, 5_000, CUSTOMERS, 100, "count"),
    )
    prediction_unit = "count"
    prediction_range = (0.0, 100_000.0)
    # a larger base keeps more (39 to 53 a month against 28), and acquisition still wins more at the budget
    class_ranges = MappingProxyType({"customers": (2_800, 3_800), "multiplier": (5, 6)})
    # a larger base: a class's programme runs out at 40 % to 90 % more spend than the exercise on its own
    exercise_ranges = MappingProxyType({"customers": (2_800, 3_800, 100)})
    runs = 200
    seed = 12

    def scenario(self, params=None):
        p = self.params(params)
        return ratio_scenario(p["budget"], p["multiplier"], 0.5, p["customers"])

    def run(self, params=None, runs=None, seed=None) -> Outcome:
        p = self.params(params)
        runs, seed = self._runs_seed(runs, seed)
        budget, multiplier = p["budget"], p["multiplier"]
        sides = one_sided(budget, multiplier, runs, seed, p["customers"])
        cac = multiplier * COST_PER_SAVE
        keep_ceiling = MAX_CHURN_REDUCTION * sides["at_risk"]
        spend = np.linspace(0.0, max(2.0 * budget, 1.2 * saturation_spend(keep_ceiling, COST_PER_SAVE)), CURVE_POINTS)
        curves = pd.concat(
            [
                pd.DataFrame({"side": "Retention: customers kept", "spend": spend,
                              "units": response(spend, keep_ceiling, COST_PER_SAVE)}),
                pd.DataFrame({"side": "Acquisition: customers won", "spend": spend,
                              "units": response(spend, MAX_NEW, cac)}),
            ],
            ignore_index=True,
        )  # fmt: skip
        ahead = response(spend, MAX_NEW, cac) > response(spend, keep_ceiling, COST_PER_SAVE)
        crossing = spend[np.argmax(ahead)]
        figures = {
            "budget": budget,
            "multiplier": multiplier,
            "customers": p["customers"],
            "cac": cac,
            "cost_per_save": COST_PER_SAVE,
            "first_dollars": FIRST_DOLLARS,
            "first_saves": float(response(FIRST_DOLLARS, keep_ceiling, COST_PER_SAVE)),
            "first_new": float(response(FIRST_DOLLARS, MAX_NEW, cac)),
            "saves": sides["saves"],
            "new": sides["new"],
            "naive_saves": budget / COST_PER_SAVE,
            "at_risk": sides["at_risk"],
            "keep_ceiling": keep_ceiling,
            "win_ceiling": MAX_NEW,
            "max_churn_reduction": MAX_CHURN_REDUCTION,
            "keep_runs_out": saturation_spend(keep_ceiling, COST_PER_SAVE),
            "win_runs_out": saturation_spend(MAX_NEW, cac),
            "crossing": float(crossing) if crossing > 0 else None,
            # acquisition wins more than retention keeps at every positive spend of the curves
            "ahead_throughout": bool(ahead[1:].all()),
            "curve_max": float(spend[-1]),
        }
        return Outcome(params=p, answer=sides["saves"], figures=figures, frames={"curves": curves},
                       runs=runs, seed=seed)  # fmt: skip

    def exercise(self, runs=None, seed=None, inputs=None) -> Exercise:
        """At what monthly retention spend does the programme reach 90 % of what it can do?"""
        runs, seed = self._runs_seed(runs, seed)
        p = self.defaults()
        i = self.exercise_inputs(inputs, {"customers": float(p["customers"])})
        at_risk = one_sided(p["budget"], p["multiplier"], runs, seed, i["customers"])["at_risk"]
        answer = saturation_spend(MAX_CHURN_REDUCTION * at_risk, COST_PER_SAVE)
        return Exercise(answer=answer, low=answer * (1 - EXERCISE_TOLERANCE), high=answer * (1 + EXERCISE_TOLERANCE),
                        unit="money", inputs={"share": SATURATED, **i})  # fmt: skip
