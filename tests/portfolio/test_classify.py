"""Nine-box, A/B/C/D classes, strategies, risk, concentration, contact plans and the scenario per class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import Scenario
from simulation.errors import InputError
from simulation.portfolio.analysis import ALL, analyse
from simulation.portfolio.classify import Thresholds, concentration, level
from simulation.portfolio.columns import guess_kind, propose_mapping
from simulation.portfolio.data import read_customers
from simulation.portfolio.plans import DEFAULT_PLANS, ContactPlan
from simulation.portfolio.reading import read_path
from simulation.portfolio.scenario_build import build_scenario, segment_class

from .helpers import SAMPLES, read_text

# Eight accounts with values chosen so each lands in a known cell with thresholds 100 / 500 (both axes).
TABLE = """customer_id,revenue,potential,tenure,status,gross_margin
A1,1000,2000,12,active,0.5
B1,1200,1200,30,active,0.5
C1,100,1500,4,active,0.5
D1,50,60,8,active,0.5
M1,400,300,10,active,0.5
P1,,900,,prospect,
P2,,90,,prospect,
L1,1400,1400,6,lapsed,0.5
L2,60,70,2,lapsed,0.5
"""
CLASSES_ORDER = ("A", "B", "C", "D")
CUTS = Thresholds(contribution=(100, 500), potential=(100, 500), winback_min_value=500)


def _analysis(**kw):
    _, data = read_text(TABLE, as_of="2024-06-14")
    return analyse(data, thresholds=CUTS, **kw)


def test_levels_put_a_value_at_a_cut_in_the_upper_level():
    got = level(np.array([0, 99.99, 100, 499, 500, 1e9]), (100, 500)).tolist()
    assert got == ["low", "low", "medium", "medium", "high", "high"], got


def test_cells_classes_and_strategies():
    a = _analysis()
    c = a.customers.set_index("customer_id")
    # contribution = revenue x margin 0.5: A1 500 (high), B1 600 (high), C1 50 (low), D1 25, M1 200 (medium)
    expected = {
        "A1": ("high contribution · high potential", "A", "retain"),
        "B1": ("high contribution · high potential", "A", "retain"),
        "C1": ("low contribution · high potential", "C", "develop"),
        "D1": ("low contribution · low potential", "D", "hold"),
        "M1": ("medium contribution · medium potential", "B", "retain"),
        "P1": ("low contribution · high potential", "C", "acquire"),
        "P2": ("low contribution · low potential", "D", "no action"),
        "L1": ("high contribution · high potential", "A", "win back"),
        "L2": ("low contribution · low potential", "D", "no action"),
    }
    for cid, (cell, cls, strategy) in expected.items():
        got = (c.loc[cid, "cell"], c.loc[cid, "class"], c.loc[cid, "strategy"])
        assert got == (cell, cls, strategy), f"{cid}: expected {(cell, cls, strategy)}, got {got}"
    worth = a.lapsed_worth_winning_back()["customer_id"].tolist()
    assert worth == ["L1"], f"only L1's past contribution (700) reaches the win-back threshold (500): {worth}"


def test_edited_cell_mapping_and_thresholds_change_the_classes():
    a = _analysis(cell_class={("high", "high"): "B", ("low", "low"): "C"})
    c = a.customers.set_index("customer_id")
    assert c.loc["A1", "class"] == "B" and c.loc["A1", "strategy"] == "retain", "A1 follows the edited cell"
    assert c.loc["D1", "class"] == "C" and c.loc["D1", "strategy"] == "develop", "D1 follows the edited cell"
    with pytest.raises(InputError, match="class must be one of A, B, C, D"):
        _analysis(cell_class={("high", "high"): "E"})
    with pytest.raises(InputError, match="the first not above the second"):
        Thresholds(contribution=(500, 100), potential=(1, 2), winback_min_value=0)


def test_nine_box_counts_and_revenue():
    a = _analysis()
    box = a.nine_box.set_index(["contribution", "potential"])
    assert box.loc[("high", "high"), "customers"] == 2, "A1 and B1 are active high/high"
    assert box.loc[("high", "high"), "revenue"] == pytest.approx(2200), "revenue of A1 and B1"
    assert box.loc[("low", "high"), "prospects"] == 1, "P1 is a prospect with high potential"
    assert box["customers"].sum() == 5, "only active customers are counted as customers"
    assert box["revenue_share"].sum() == pytest.approx(1.0), "revenue shares add up to 1"


def test_concentration_top_ten_and_twenty_percent():
    share = concentration(np.array([100.0] + [1.0] * 9))
    assert share["top_10"] == pytest.approx(100 / 109), "the top customer of 10 holds 100 of 109"
    assert share["top_20"] == pytest.approx(101 / 109), "the top two hold 101 of 109"


def test_risk_is_the_fitted_conditional_churn_or_the_users():
    path = SAMPLES / "b2b_accounts.csv"
    raw = read_path(path)
    data = read_customers(raw, propose_mapping(raw.columns, guess_kind(raw.columns)))
    a = analyse(data)
    active = a.customers[a.customers["status"] == "active"]
    row = active.iloc[0]
    fit = a.fits[row["class"]]
    expected = fit.alpha / (fit.alpha + fit.beta + row["tenure"])
    assert row["risk"] == pytest.approx(expected), "risk next period = a / (a + b + tenure) of the class's fit"
    assert row["risk_source"] == f"fitted sBG, class {row['class']}", row["risk_source"]
    older = active[(active["class"] == row["class"]) & (active["tenure"] > row["tenure"])]
    assert (older["risk"] < row["risk"]).all(), "customers who stayed longer are less likely to leave"
    _, given = read_text(TABLE.replace("gross_margin", "churn_risk"), as_of="2024-06-14")
    b = analyse(given, thresholds=CUTS)
    c = b.customers.set_index("customer_id")
    assert c.loc["A1", "risk"] == 0.5 and c.loc["A1", "risk_source"] == "churn_risk column", "the user's risk wins"


def test_contact_plans_imply_the_budget():
    a = _analysis()
    table = a.budgets.set_index("plan")
    # A: A1 and B1, 12 contacts a year at 150 = 1,800 each; per month 150 each
    assert table.loc["A", "customers"] == 2, "two A customers"
    assert table.loc["A", "budget_per_period"] == pytest.approx(2 * 12 * 150 / 12), "A plan per month"
    assert table.loc["win back", "customers"] == 1 and table.loc["acquire", "customers"] == 1, "L1 and P1 targeted"
    levers = a.levers
    assert levers["retention"] == pytest.approx(table.loc[["A", "B", "D"], "budget_per_period"].sum()), (
        "retain and hold are paid from retention"
    )
    assert levers["expansion"] == pytest.approx(table.loc["C", "budget_per_period"]), "develop is expansion"
    assert levers["acquisition"] == pytest.approx(4 * 120 / 12), "one prospect, 4 visits at 120 a year"
    edited = _analysis(plans={"A": ContactPlan(4, "quarterly review", 500.0)})
    assert edited.levers["retention"] - levers["retention"] == pytest.approx(2 * (4 * 500 - 12 * 150) / 12), (
        "editing A's plan changes the retention budget by exactly its cost difference"
    )
    shares = a.budget_shares
    assert shares["retention"].sum() == pytest.approx(1.0), "class shares of a lever add up to 1"


def test_key_account_plans_are_yearly_with_quarterly_reviews():
    a = _analysis()
    plans = a.key_accounts
    assert plans["customer_id"].tolist() == ["B1", "A1", "C1"], f"A's by revenue, then important C's: {plans}"
    first = plans.iloc[0]
    assert first["plan_year"] == "2024-07-01 to 2025-06-30", first["plan_year"]
    reviews = [first[f"review_{i}"] for i in range(1, 5)]
    assert reviews == ["2024-09-30", "2024-12-31", "2025-03-31", "2025-06-30"], reviews
    assert first["budget_per_year"] == DEFAULT_PLANS["A"].cost_per_year(), "the plan's yearly budget"


def test_scenario_has_segments_per_class_with_fitted_churn():
    path = SAMPLES / "b2b_accounts.csv"
    raw = read_path(path)
    data = read_customers(raw, propose_mapping(raw.columns, "customers"))
    a = analyse(data)
    scenario = build_scenario(a, source_name="b2b [accounts](x)", currency="EUR")
    assert isinstance(scenario, Scenario), "a validated scenario"
    assert [segment_class(s.name) for s in scenario.segments] == sorted(
        segment_class(s.name) for s in scenario.segments
    ), "segments in class order"
    assert {segment_class(s.name) for s in scenario.segments} == {"A", "B", "C", "D"}, "every class"
    assert scenario.name == "Portfolio: b2b accounts x", f"the file name is made plain text: {scenario.name}"
    active = a.customers[a.customers["status"] == "active"]
    for seg in scenario.segments:
        cls = segment_class(seg.name)
        fit = a.fits[cls]
        assert seg.churn.mode == pytest.approx(fit.churn), f"{seg.name}: churn's mode is the estimate"
        assert (seg.churn.low, seg.churn.high) == pytest.approx(fit.intervals["churn"]), f"{seg.name}: 90 % interval"
    for cls in CLASSES_ORDER:
        rows = active[active["class"] == cls]
        segs = [s for s in scenario.segments if segment_class(s.name) == cls]
        assert sum(s.customers for s in segs) == len(rows), f"{cls}: customers"
    assert sum(s.new_customer_share for s in scenario.segments) == pytest.approx(1.0, abs=1e-9), "shares sum to 1"
    assert scenario.budget.retention == 0.0, "the retention plans are programmes, not the lever's budget"
    assert scenario.budget.expansion == pytest.approx(a.levers["expansion"], abs=0.01), "budget from the plans"
    in_programmes = sum(
        p.cost_per_customer * sum(s.customers for s in scenario.segments if s.name in p.covers)
        for p in scenario.programmes or []
    )
    assert in_programmes == pytest.approx(a.levers["retention"], rel=1e-12), "the retention plans' money"
    assert scenario.currency == "EUR" and scenario.period == "month", "currency and period carried"
    weights = scenario.expansion.weights
    developed = {segment_class(n) for n, w in weights.items() if w > 0}
    assert developed == {"C"}, f"develop money goes to the C's only: {weights}"
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-6), weights


def test_scenario_needs_a_churn_model():
    _, data = read_text("customer_id,revenue,tenure\n" + "".join(f"C{i},{i + 1},{i % 12}\n" for i in range(40)))
    a = analyse(data)
    assert ALL in a.fit_messages and "no customer has left yet" in a.fit_messages[ALL], a.fit_messages
    with pytest.raises(InputError, match="churn could not be fitted"):
        build_scenario(a)
    assert pd.isna(a.customers["risk"]).all(), "no risk without a churn model"
