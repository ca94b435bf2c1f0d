"""Lesson 4, why long-time customers look loyal: a cohort's retention rises though no one changes.

Each customer keeps their own churn probability for life, drawn from a Beta distribution
with mean ``churn`` and polarisation ``heterogeneity``. The flighty leave first, so the
survivors are more and more the loyal ones and the cohort's retention rate rises period
after period (Fader and Hardie's shifted-beta-geometric model). Projecting with the average
churn of the first year then under-counts the survivors of later years.

References
----------
Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
    Journal of Interactive Marketing 21(1), 76-90.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from ..engines.runner import simulate
from ..model.scenario import Scenario, scenario_from_dict
from .base import Control, Exercise, Lesson, Outcome

COHORT = 10_000  # customers of the cohort whose curve is drawn: large enough that chance barely shows
PER_THOUSAND = 1000
HORIZON = 60
ASK_AT = 36  # the prediction asks for the survivors after three years
YEAR = 12
TIMELINE_CUSTOMERS = 40
TIMELINE_HORIZON = 36
EXERCISE_HETEROGENEITY = 0.1
EXERCISE_MONTH = 24
EXERCISE_TOLERANCE = 0.05  # answers within 5 % of the simulated survivors count as right


def cohort_scenario(churn: float, heterogeneity: float, customers: int = COHORT, horizon: int = HORIZON,
                    programmes: bool = False) -> Scenario:  # fmt: skip
    """One cohort of new customers and nothing more; with ``programmes``, small retention,
    upsell and win-back programmes run, so that every kind of event happens to someone."""
    budget = {"retention": 300.0, "winback": 300.0, "expansion": 300.0} if programmes else {}
    return scenario_from_dict(
        {
            "name": "Lesson 4: why long-time customers look loyal",
            "description": (
                f"One cohort of {customers:,} customers who join together; a new customer leaves with probability "
                f"{churn:.1%} a month on average, and customers differ (polarisation {heterogeneity:g})."
            ),
            "period": "month",
            "horizon": horizon,
            "currency": "USD",
            "budget": budget,
            "baseline_budget": budget,
            "retention": {"cost_per_save": 150.0, "max_churn_reduction": 0.3},
            "expansion": {"cost_per_upsell": 200.0, "max_extra_upsell_rate": 0.02},
            "winback": {"cost_per_winback": 300.0, "max_winback_rate": 0.05},
            "segments": [
                {
                    "name": "Cohort",
                    "customers": customers,
                    "revenue_per_customer": 40.0,
                    "gross_margin": 0.7,
                    "churn": churn,
                    "churn_heterogeneity": heterogeneity,
                    "tenure": 0,
                    "upsell_rate": 0.01 if programmes else 0.0,
                }
            ],
            "simulation": {"runs": 100, "seed": 14},
        }
    )


def cohort_curve(churn: float, heterogeneity: float, runs: int, seed: int) -> pd.DataFrame:
    """Survival and period-to-period retention of the simulated cohort (means over runs).

    Also the standard errors that say what is chance: ``survival_se`` of the mean survival,
    ``change_se`` of the change in retention since the first period (from each run's own
    retention, paired; runs with no one left at the period before are left out) and
    ``projection_gap_se`` of the gap between the survival projected from the first year's
    average churn and the survival simulated (each run's own, paired).
    """
    result_paths = simulate(cohort_scenario(churn, heterogeneity), runs=runs, seed=seed).paths
    runs_active = result_paths["active_customers"].astype(float)
    active = runs_active.mean(0)
    survival = active / COHORT
    retention = np.full(active.shape, np.nan)
    retention[1:] = active[1:] / active[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        own = runs_active[:, 1:] / runs_active[:, :-1]
    change = own - own[:, [0]]
    known = np.isfinite(change).sum(0)
    change_se = np.full(active.shape, np.nan)
    change_se[1:] = np.where(known > 1, np.nanstd(np.where(np.isfinite(change), change, np.nan), axis=0, ddof=1)
                             / np.sqrt(np.maximum(known, 1)), np.inf)  # fmt: skip
    own_survival = runs_active / COHORT
    gap = average_churn_projection(own_survival[:, [YEAR]], np.arange(active.size)) - own_survival
    return pd.DataFrame({
        "period": np.arange(active.size), "survival": survival, "retention": retention,
        "survival_se": own_survival.std(0, ddof=1) / np.sqrt(runs), "change_se": change_se,
        "projection_gap_se": gap.std(0, ddof=1) / np.sqrt(runs),
    })  # fmt: skip


def timeline(churn: float, heterogeneity: float, seed: int) -> pd.DataFrame:
    """The lives of a few dozen customers from the discrete-event engine, one row per event.

    Columns ``customer, period, event`` (``joined`` at period 0, then ``expanded``,
    ``saved``, ``churned``, ``won_back``) and ``end``: for each customer's spells on the
    books, the period the spell ends (a row with event ``spell``, ``period`` its start).
    """
    scenario = cohort_scenario(churn, heterogeneity, TIMELINE_CUSTOMERS, TIMELINE_HORIZON, programmes=True)
    result = simulate(scenario, runs=1, seed=seed, engine="discrete_event", record_events=True)
    events = result.output.extras["events"]
    rows = [{"customer": c, "period": 0, "event": "joined", "end": np.nan} for c in range(TIMELINE_CUSTOMERS)]
    rows += [
        {"customer": int(e.customer_id), "period": int(e.period), "event": str(e.event), "end": np.nan}
        for e in events.itertuples()
    ]
    frame = pd.DataFrame(rows)
    spells = []
    for customer, own in frame.groupby("customer"):
        start = 0
        for e in own.sort_values("period").itertuples():
            if e.event == "churned":
                spells.append({"customer": customer, "period": start, "event": "spell", "end": e.period})
                start = None
            elif e.event == "won_back":
                start = e.period
        if start is not None:
            spells.append({"customer": customer, "period": start, "event": "spell", "end": TIMELINE_HORIZON})
    frame = pd.concat([frame, pd.DataFrame(spells)], ignore_index=True)
    # customers listed by how long their first spell lasted: the flighty at the top
    first_end = frame[frame.event == "spell"].groupby("customer")["end"].min()
    order = first_end.sort_values(kind="stable").index
    frame["row"] = frame["customer"].map({c: i + 1 for i, c in enumerate(order)})
    return frame.sort_values(["row", "period"], ignore_index=True)


def average_churn_projection(survival_at_year: float, t: np.ndarray) -> np.ndarray:
    """Survival projected with the first year's average churn: ``S(12) ** (t / 12)``."""
    return survival_at_year ** (np.asarray(t, dtype=float) / YEAR)


class Loyalty(Lesson):
    key = "loyalty"
    number = 4
    title = "Why long-time customers look loyal"
    controls = (
        Control("heterogeneity", "How much customers differ (polarisation)", 0.0, 0.8, 0.3, 0.05, "ratio",
                "0 = everyone has the same chance of leaving; towards 1 = a mix of very loyal and very flighty"),
        Control("churn", "A new customer's chance of leaving a month", 0.02, 0.15, 0.08, 0.005, "share"),
    )  # fmt: skip
    prediction_unit = "count"
    prediction_range = (0.0, float(PER_THOUSAND))
    # lower churn, more polarised: 720 to 900 survivors against the lesson's own 564
    class_ranges = MappingProxyType({"heterogeneity": (0.4, 0.7), "churn": (0.04, 0.06)})
    # a class's exercise: 550 to 700 survivors after two years, the exercise on its own 372
    exercise_ranges = MappingProxyType({"heterogeneity": (0.15, 0.25, 0.05), "churn": (0.05, 0.06, 0.005)})
    runs = 100
    seed = 14

    def scenario(self, params=None):
        p = self.params(params)
        return cohort_scenario(p["churn"], p["heterogeneity"], customers=1000)

    def run(self, params=None, runs=None, seed=None) -> Outcome:
        p = self.params(params)
        runs, seed = self._runs_seed(runs, seed)
        churn, phi = p["churn"], p["heterogeneity"]
        curve = cohort_curve(churn, phi, runs, seed)
        s = curve.set_index("period")
        year = float(s.loc[YEAR, "survival"])
        curve["projected"] = average_churn_projection(year, curve["period"])
        curve["alike"] = (1.0 - churn) ** curve["period"]
        at = float(s.loc[ASK_AT, "survival"])
        projected = float(average_churn_projection(year, ASK_AT))
        figures = {
            "churn": churn,
            "heterogeneity": phi,
            "survivors": at * PER_THOUSAND,
            "projected_survivors": projected * PER_THOUSAND,
            "alike_survivors": (1.0 - churn) ** ASK_AT * PER_THOUSAND,
            "projection_error": projected / at - 1.0,
            "first_year_churn": 1.0 - year ** (1.0 / YEAR),
            "retention_first": float(s.loc[1, "retention"]),
            "retention_year_2": float(s.loc[EXERCISE_MONTH, "retention"]),
            "retention_final": float(s.loc[HORIZON, "retention"]),
            "retention_year_2_se": float(s.loc[EXERCISE_MONTH, "change_se"]),
            "retention_final_se": float(s.loc[HORIZON, "change_se"]),
            "survivors_se": float(s.loc[ASK_AT, "survival_se"]) * PER_THOUSAND,
            "projection_gap_se": float(s.loc[ASK_AT, "projection_gap_se"]) * PER_THOUSAND,
            "survivors_final": float(s.loc[HORIZON, "survival"]) * PER_THOUSAND,
            "projected_final": float(average_churn_projection(year, HORIZON)) * PER_THOUSAND,
            "ask_at": ASK_AT,
            "cohort": COHORT,
            "year_2_month": EXERCISE_MONTH,
            "horizon": HORIZON,
        }
        frames = {"cohort": curve, "timeline": timeline(churn, phi, seed)}
        return Outcome(params=p, answer=at * PER_THOUSAND, figures=figures, frames=frames, runs=runs, seed=seed)

    def exercise(self, runs=None, seed=None, inputs=None) -> Exercise:
        """Survivors of 1,000 after 24 months at the exercise's polarisation and the default churn."""
        runs, seed = self._runs_seed(runs, seed)
        i = self.exercise_inputs(inputs, {"heterogeneity": EXERCISE_HETEROGENEITY, "churn": self.defaults()["churn"]})
        churn = i["churn"]
        curve = cohort_curve(churn, i["heterogeneity"], runs, seed).set_index("period")
        answer = float(curve.loc[EXERCISE_MONTH, "survival"]) * PER_THOUSAND
        return Exercise(answer=answer, low=answer * (1 - EXERCISE_TOLERANCE), high=answer * (1 + EXERCISE_TOLERANCE),
                        unit="count", inputs={**i, "month": EXERCISE_MONTH})  # fmt: skip
