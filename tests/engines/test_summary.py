"""Summaries of results, and comparisons run by run."""

import numpy as np
import pandas as pd

from simulation import compare
from simulation.engines.summary import BRIDGE_STEPS, Comparison, ResultSummary, beat_matrix
from tests.helpers import scenario


def test_beat_matrix_counts_strict_wins_run_by_run():
    kpis = {"A": np.array([1.0, 2.0, 3.0, 4.0]), "B": np.array([0.0, 2.0, 5.0, 1.0])}
    matrix = beat_matrix(kpis)
    assert matrix.loc["A", "B"] == 0.5, "A is strictly ahead in runs 1 and 4"
    assert matrix.loc["B", "A"] == 0.25, "B is strictly ahead in run 3 only; run 2 is a tie"
    assert pd.isna(matrix.loc["A", "A"]), "a scenario is not compared with itself"


def test_summary_keeps_the_figures_and_a_bridge_that_adds_up():
    sc = scenario(budget={"acquisition": 20_000, "retention": 5_000})
    comparison = compare(sc, runs=50, seed=3)
    summary = ResultSummary.of(comparison.plan, ("revenue",))
    assert set(summary.bridge) == set(BRIDGE_STEPS) - {"referred"}, "every step; no referral step without referrals"
    b = summary.bridge
    assert abs(b["start"] + b["new"] + b["expansion"] + b["winback"] - b["lost"] - b["end"]) < 1e-6 * b["start"], (
        "the bridge adds up"
    )
    assert np.array_equal(summary.kpis["npv"], comparison.plan.kpis["npv"]), "figures kept run by run"


def test_a_plan_against_itself_has_no_chance_of_beating_it():
    sc = scenario(budget={"acquisition": 20_000, "retention": 5_000})
    same = compare(sc, runs=20, seed=1)
    assert same.identical, "no baseline budget: the status quo is the plan"
    assert same.p_beats_baseline is None, "a plan does not beat itself; the chance is undefined"
    summaries = Comparison(ResultSummary.of(same.plan, ("revenue",)), ResultSummary.of(same.baseline, ("revenue",)))
    assert summaries.identical and summaries.p_beats_baseline is None, "summaries compare like results"


def test_the_bridge_adds_up_with_referrals():
    sc = scenario(
        budget={"acquisition": 20_000, "retention": 5_000},
        acquisition={"cost_per_customer": 1000, "max_new_per_period": 100, "market_size": 50_000},
        segment={"referral_rate": 0.01},
    )
    plan = compare(sc, runs=50, seed=3).plan
    b = ResultSummary.of(plan, ("revenue",)).bridge
    assert b["referred"] > 0, "referred customers add revenue"
    total = b["start"] + b["new"] + b["referred"] + b["expansion"] + b["winback"] - b["lost"]
    assert abs(total - b["end"]) < 1e-6 * b["start"], "the bridge adds up with the referral step"
