"""Summaries of results, and comparisons run by run."""

import numpy as np
import pandas as pd
import pytest

from simulation import compare, scenario_from_dict, simulate
from simulation.engines.summary import (
    BRIDGE_STEPS,
    Comparison,
    ResultSummary,
    beat_matrix,
    bridge_runs,
    bridge_totals,
)
from simulation.model.programmes import multiplier_draws
from tests.helpers import all_levers, scenario


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
    assert set(summary.bridge) == set(BRIDGE_STEPS) - {"referred", "programmes", "price"}, (
        "every step; no referral, programme or price step without them"
    )
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


# Programmes, price changes and seasons ---------------------------------------------------------
ENGINES = ("vectorized", "discrete_event")
DESK = 1.02  # a second programme's revenue multiplier, over every segment
SEASON = [1.3, 1.0, 0.9, 1.0, 1.1, 1.0, 0.8, 1.0, 1.0, 1.2, 1.0, 0.9]


def _effects(multiplier, price, applies_to="all", runs=40, **changes):
    """Two segments with every lever funded; a programme over A with revenue ``multiplier`` (a number or a
    distribution), a price change, seasons on churn and acquisition, and referrals."""
    data = all_levers(runs=runs, **changes).to_dict()
    data["segments"][0]["referral_rate"] = 0.01
    data["programmes"] = [
        {"name": "Loyalty tier", "covers": "A", "revenue_multiplier": multiplier, "churn_multiplier": 0.8,
         "revenue_share": 0.02, "phase_in": 4},
        {"name": "Service desk", "covers": "all", "revenue_multiplier": DESK, "start": 10},
        {"name": "Switched off", "revenue_multiplier": 3.0, "enabled": False},
    ]  # fmt: skip
    data["price_change"] = {"change": price, "applies_to": applies_to, "churn_elasticity": {"low": 0.5, "high": 2}}
    data["seasonality"] = {"churn": SEASON, "acquisition": SEASON[::-1], "first": 4}
    if applies_to == "new":
        data["price_change"].pop("start", None)
    else:
        data["price_change"]["start"] = 6
    return scenario_from_dict(data)


def _total(steps: dict) -> float:
    signs = {"lost": -1.0, "end": 0.0}
    return sum(signs.get(key, 1.0) * value for key, value in steps.items())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("multiplier", "price", "applies_to"),
    [
        (1.08, 0.05, "all"),  # both add
        (0.9, -0.1, "all"),  # both take away
        ({"low": 0.85, "high": 1.15}, 0.2, "new"),  # either way by run; new customers pay more
        (1.1, -0.3, "new"),  # new customers pay less
    ],
)
def test_the_bridge_adds_up_with_programmes_prices_and_seasons(engine, multiplier, price, applies_to):
    sc = _effects(multiplier, price, applies_to, runs=40 if engine == "vectorized" else 10)
    result = simulate(sc, runs=sc.simulation.runs, seed=5, engine=engine)
    runs = bridge_runs(result)
    assert list(runs) == list(BRIDGE_STEPS), f"every step, in order: {list(runs)}"
    scale = runs["start"].mean()
    assert np.abs(_total(runs) - runs["end"]).max() < 1e-9 * scale, "the steps add up to the end in every run"
    means = bridge_totals(result)
    assert abs(_total(means) - means["end"]) < 1e-9 * scale, "the mean steps add up to the mean end"
    # the end is what the customers active at the horizon pay: the list run rate under the factors in force
    listed = result.output.end_run_rate_by_segment
    np.testing.assert_allclose(
        listed.sum(1), result.paths["revenue_run_rate"][:, -1], rtol=1e-12, err_msg="segments' end run rates add up"
    )
    drawn = multiplier_draws(sc.programmes[0], "revenue_multiplier", 5, result.runs)
    programme_factor = np.stack([drawn * DESK, np.full(result.runs, DESK)], axis=1)  # both at full effect
    price_factor = 1.0 + price if applies_to == "all" else 1.0
    paid = (listed * programme_factor).sum(1) * price_factor
    np.testing.assert_allclose(runs["end"], paid, rtol=1e-12, err_msg="the end is what the customers then pay")
    expected_programmes = (listed * (programme_factor - 1.0)).sum(1)
    np.testing.assert_allclose(runs["programmes"], expected_programmes, rtol=1e-12, atol=1e-9 * scale)
    if applies_to == "new":
        joined = result.paths["run_rate_new"][:, 1:].sum(1) + result.paths["run_rate_referred"][:, 1:].sum(1)
        expected_price = joined * (1.0 - 1.0 / (1.0 + price))
    else:
        expected_price = (listed * programme_factor).sum(1) * price
    np.testing.assert_allclose(runs["price"], expected_price, rtol=1e-12, atol=1e-9 * scale)
    assert np.sign(means["price"]) == np.sign(price), "a price rise adds to the run rate, a cut takes away"
    if not isinstance(multiplier, dict):
        assert np.sign(means["programmes"]) == np.sign(multiplier * DESK - 1.0), "the programmes' effect has its sign"


def test_a_bridge_without_programmes_or_price_is_the_run_rate_bridge_it_was():
    sc = all_levers(runs=30, seasonality={"churn": SEASON})  # a season moves flows, not prices: no new step
    result = compare(sc, runs=30, seed=2).plan
    b = bridge_totals(result)
    assert set(b) == {"start", "new", "expansion", "winback", "lost", "end"}, f"no programme or price step: {b}"
    assert b["end"] == float(result.paths["revenue_run_rate"][:, -1].mean()), "the end is the run-rate path's"
    assert b["new"] == float(result.paths["run_rate_new"][:, 1:].sum(1).mean()), "new customers as recorded"


def test_programmes_without_a_revenue_effect_add_no_step():
    data = all_levers(runs=20).to_dict()
    data["programmes"] = [{"name": "Calls", "churn_multiplier": 0.8, "cost_per_customer": 2}]
    data["price_change"] = {"change": 0.0, "churn_elasticity": 1.0}
    b = bridge_totals(simulate(scenario_from_dict(data), runs=20, seed=1))
    assert "programmes" not in b and "price" not in b, f"a step that is always zero is left out: {b}"
