"""Lesson 5, the stage of the business: as the market fills up, the best split moves to retention.

The reachable market is fixed: the customers already won plus the prospects not yet won.
Early on the base is small (retention has few customers to act on, so it saturates at a small
spend) and the market is open (acquisition's ceiling is high); late, the base is large and the
prospects are few (acquisition's ceiling shrinks as they are won). The optimiser
(:func:`simulation.decide.optimize_split`) finds the best split of one budget at each stage,
all splits on the same random numbers. Near the best the NPV is flat: the lesson reports the
splits within noise of the best and those within :data:`~simulation.decide.FLAT_TOLERANCE` of
its NPV, grades the exercise against both, and shows what the best split does to the base.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..decide import FLAT_TOLERANCE, optimize_split
from ..engines.runner import simulate
from ..model.scenario import Scenario, scenario_from_dict
from .base import Control, Exercise, Lesson, Outcome

MARKET = 20_000  # customers plus prospects
BUDGET = 40_000.0
HORIZON = 36
GRID = 11
STAGES = tuple(round(0.05 + 0.15 * i, 2) for i in range(7))  # 5 %, 20 %, ..., 95 % of the market won
EXERCISE_STAGE, EXERCISE_MULTIPLIER = 0.2, 15.0


def stage_scenario(won: float, multiplier: float) -> Scenario:
    """A business that has won ``won`` of a market of 20,000, with 40,000 a month to split."""
    customers = round(won * MARKET)
    return scenario_from_dict(
        {
            "name": "Lesson 5: the stage of the business",
            "description": (
                f"{customers:,} customers, {MARKET - customers:,} prospects left to win; "
                f"acquiring a customer costs {multiplier:g}x a save."
            ),
            "period": "month",
            "horizon": HORIZON,
            "currency": "USD",
            "budget": {"acquisition": BUDGET / 2, "retention": BUDGET / 2},
            "acquisition": {"cost_multiplier": multiplier, "max_new_per_period": 300.0,
                            "market_size": float(max(MARKET - customers, 1))},
            "retention": {"cost_per_save": 200.0, "max_churn_reduction": 0.5},
            "segments": [
                {"name": "Customers", "customers": customers, "revenue_per_customer": 100.0, "gross_margin": 0.75,
                 "churn": 0.04, "churn_heterogeneity": 0.1}
            ],
            "simulation": {"runs": 200, "seed": 15},
        }
    )  # fmt: skip


@lru_cache(maxsize=256)
def best_split(won: float, multiplier: float, runs: int, seed: int) -> dict:
    """The optimiser's best acquisition share at one stage, the splits within noise of it (``low,
    high``) and the splits whose NPV is within :data:`~simulation.decide.FLAT_TOLERANCE` of it
    (``near_low, near_high``).

    Kept for the process (deterministic in its plain arguments): the curve over the stages
    is shared by every setting of the stage control.
    """
    result = optimize_split(stage_scenario(won, multiplier), "npv", grid=GRID, runs=runs, seed=seed)
    lo, hi = result.best_share_range
    near_lo, near_hi = result.near_best_range
    # read-only: the cached value is shared by every caller in the process
    return MappingProxyType(
        {"best": float(result.best_share), "low": float(lo), "high": float(hi), "near_low": float(near_lo),
         "near_high": float(near_hi), "npv": float(result.best_value)}
    )  # fmt: skip


@lru_cache(maxsize=256)
def base_at_best(won: float, multiplier: float, runs: int, seed: int) -> MappingProxyType:
    """Customers at the start and, mean over the runs, at the horizon when the budget is split the best way."""
    best = best_split(won, multiplier, runs, seed)["best"]
    s = stage_scenario(won, multiplier)
    result = simulate(s.with_budget(s.budget.with_split(BUDGET, best)), runs=runs, seed=seed)
    active = result.paths["active_customers"]
    return MappingProxyType(
        {"start": float(active[:, 0].mean()), "end": float(active[:, -1].mean()),
         "end_se": float(active[:, -1].std(ddof=1) / np.sqrt(runs))}
    )  # fmt: skip


def accepted_range(own: dict) -> tuple[float, float]:
    """Splits that count as right: within noise of the best, or near it (the union of the two ranges)."""
    return min(own["low"], own["near_low"]), max(own["high"], own["near_high"])


class Stage(Lesson):
    key = "stage"
    number = 5
    title = "The stage of the business"
    controls = (
        Control("won", "Share of the market already your customers", 0.05, 0.95, 0.5, 0.05, "share"),
        Control("multiplier", "Acquiring a customer costs N× a save", 1, 30, 7, 1, "multiple"),
    )
    prediction_unit = "share"
    prediction_range = (0.0, 1.0)
    # an earlier stage and cheaper customers: a best share of 54 % to 78 % against the lesson's own 28 %
    class_ranges = MappingProxyType({"won": (0.2, 0.35), "multiplier": (4, 6)})
    # a class's exercise at a late stage: best 0 % (0 % to 30 % accepted), on its own 51 % (20 % to 70 %)
    exercise_ranges = MappingProxyType({"won": (0.7, 0.8, 0.05)})
    # 100 runs: every split is compared on the same futures, so the paired differences that rank
    # them are precise (the band of splits within noise stays a few points wide) and the curve of
    # seven stages is computed in about half a second
    runs = 100
    seed = 15

    def scenario(self, params=None):
        p = self.params(params)
        s = stage_scenario(p["won"], p["multiplier"])
        best = best_split(round(p["won"], 4), float(p["multiplier"]), self.runs, self.seed)["best"]
        return s.with_budget(s.budget.with_split(BUDGET, best))

    def run(self, params=None, runs=None, seed=None) -> Outcome:
        p = self.params(params)
        runs, seed = self._runs_seed(runs, seed)
        won, multiplier = p["won"], p["multiplier"]
        own = dict(best_split(round(won, 4), float(multiplier), runs, seed))
        base = base_at_best(round(won, 4), float(multiplier), runs, seed)
        rows = [dict(won=s, **best_split(s, float(multiplier), runs, seed)) for s in STAGES]
        curve = pd.DataFrame(rows)
        early, late = curve.iloc[0], curve.iloc[-1]
        figures = {
            "won": won,
            "multiplier": multiplier,
            "customers": round(won * MARKET),
            "prospects": MARKET - round(won * MARKET),
            "market": MARKET,
            "budget": BUDGET,
            "horizon": HORIZON,
            "best": own["best"],
            "low": own["low"],
            "high": own["high"],
            "near_low": own["near_low"],
            "near_high": own["near_high"],
            "flat_tolerance": FLAT_TOLERANCE,
            "customers_start": base["start"],
            "customers_end": base["end"],
            "customers_end_se": base["end_se"],
            "early_won": float(early["won"]),
            "early_best": float(early["best"]),
            "early_low": float(early["low"]),
            "early_high": float(early["high"]),
            "late_won": float(late["won"]),
            "late_best": float(late["best"]),
            "late_low": float(late["low"]),
            "late_high": float(late["high"]),
            "half_point": _crossing(curve),
        }
        frames = {"curve": curve, "point": pd.DataFrame([dict(won=won, **own)])}
        return Outcome(params=p, answer=own["best"], figures=figures, frames=frames, runs=runs, seed=seed)

    def exercise(self, runs=None, seed=None, inputs=None) -> Exercise:
        runs, seed = self._runs_seed(runs, seed)
        i = self.exercise_inputs(inputs, {"won": EXERCISE_STAGE, "multiplier": EXERCISE_MULTIPLIER})
        own = dict(best_split(round(i["won"], 4), EXERCISE_MULTIPLIER, runs, seed))
        low, high = accepted_range(own)
        return Exercise(
            answer=own["best"],
            low=low,
            high=high,
            unit="share",
            inputs=i,
        )


def _crossing(curve: pd.DataFrame) -> float | None:
    """The first stage (share of the market won) from which on the best share is below half the budget."""
    at_least_half = np.flatnonzero(curve["best"].to_numpy() >= 0.5)
    first = at_least_half[-1] + 1 if at_least_half.size else 0
    return float(curve["won"].iloc[first]) if first < len(curve) else None
