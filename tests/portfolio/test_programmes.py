"""A classified portfolio's contact plans become programmes: each retention class's plan covers the class's
tenure bands, costs what the Portfolio page shows, keeps its share of leavers in the engine, and the
scenario written by ``python -m simulation portfolio`` loads and runs with ``run`` and ``programmes``."""

from __future__ import annotations

import json
import math
from math import comb

import numpy as np
import pytest
from scipy.stats import triang

from simulation import load_scenario, scenario_from_dict, simulate
from simulation.cli import main
from simulation.decide.programme_value import without_all
from simulation.model.distributions import Distribution
from simulation.portfolio import PortfolioSettings, analyse_portfolio
from simulation.portfolio.plans import ContactPlan
from simulation.portfolio.scenario_build import KEEPS_SPREAD, TODAY, programme_name, segment_class

from .helpers import SAMPLES

B2B = SAMPLES / "b2b_accounts.csv"
# A's default plan is cut to no contact on the sample (it does not pay), so A gets a plan of its own: a
# quarterly visit keeping 30 % of the A's who would leave; D keeps its default newsletter (5 %).
A_PLAN = ContactPlan(4.0, "account manager visit", 150.0, 0.3)


@pytest.fixture(scope="module")
def b2b():
    return analyse_portfolio(B2B, PortfolioSettings(plans={"A": A_PLAN}))


def _class_of(programme) -> str:
    return segment_class(programme.covers[0])


def test_each_retention_plan_is_a_programme_over_its_class_that_costs_what_the_page_shows(b2b):
    a = b2b.analysis
    scenario = b2b.scenario()
    pricing = a.pricing.set_index("class")
    programmes = {_class_of(p): p for p in scenario.programmes}
    assert set(programmes) == {"A", "D"}, "A's and D's plans cost something; B's has no contact, C's is develop"
    for cls, p in programmes.items():
        plan = a.plans[cls]
        assert p.name == programme_name(cls, plan.channel) == f"Contact plan {cls}: {plan.channel}", p.name
        bands = [s.name for s in scenario.segments if segment_class(s.name) == cls]
        assert p.covers == bands and len(bands) == 3, f"{cls}: every tenure band of the class, no other"
        customers = sum(s.customers for s in scenario.segments if s.name in bands)
        assert customers == pricing.loc[cls, "customers"], f"{cls}: the class's customers"
        assert p.cost_per_customer == pytest.approx(plan.cost_per_year() / 12, rel=1e-12), "a year's cost / 12"
        assert p.cost_per_customer * customers == pytest.approx(pricing.loc[cls, "cost_per_period"], rel=1e-12), (
            f"{cls}: the programme costs the plan's cost per month shown on the page"
        )
        m = p.churn_multiplier
        assert isinstance(m, Distribution), "the share kept is a judgement, carried as a range"
        assert (m.low, m.mode, m.high) == pytest.approx(
            (1 - plan.keeps * (1 + KEEPS_SPREAD), 1 - plan.keeps, 1 - plan.keeps * (1 - KEEPS_SPREAD))
        ), m
        assert (m.low + m.mode + m.high) / 3 == pytest.approx(1 - plan.keeps), "its mean keeps the stated share"
        assert (p.start, p.phase_in, p.fixed_cost, p.revenue_share, p.revenue_multiplier) == (1, 1, 0.0, 0.0, 1.0)


def test_every_plans_money_is_counted_once(b2b):
    """Retention plans in the programmes, develop / win-back / acquisition plans in their levers' budgets."""
    a = b2b.analysis
    scenario = b2b.scenario()
    budgets = a.budgets.set_index("plan")
    assert scenario.budget.retention == 0.0, "the retention lever no longer carries the plans"
    assert scenario.budget.expansion == pytest.approx(budgets.loc["C", "budget_per_period"], abs=0.01), "develop"
    assert scenario.budget.winback == pytest.approx(budgets.loc["win back", "budget_per_period"], abs=0.01)
    assert scenario.budget.acquisition == pytest.approx(budgets.loc["acquire", "budget_per_period"], abs=0.01)
    retention = budgets[budgets["lever"] == "retention"]["budget_per_period"].sum()
    in_programmes = sum(
        p.cost_per_customer * sum(s.customers for s in scenario.segments if s.name in p.covers)
        for p in scenario.programmes
    )
    assert in_programmes == pytest.approx(retention, rel=1e-12), "the retention plans' money, all in programmes"
    assert scenario.retention.weights is None and scenario.retention.cost_per_save == 200.0, "the model's lever"
    assert scenario.baseline == TODAY, "the status quo is today's spend on the levers"


def test_a_plan_of_no_contact_is_no_programme_and_one_that_keeps_nobody_costs_its_money():
    plans = {"A": ContactPlan(0.0, "visit", 150.0, 0.3), "B": ContactPlan(2.0, "call <b>", 40.0, 0.0)}
    result = analyse_portfolio(B2B, PortfolioSettings(plans=plans))
    scenario = result.scenario()
    programmes = {_class_of(p): p for p in scenario.programmes}
    assert "A" not in programmes, "no contact: no cost, no effect, no programme"
    b = programmes["B"]
    assert b.churn_multiplier == 1.0 and b.cost_per_customer == pytest.approx(80.0 / 12), b
    assert b.name == "Contact plan B: call b", "a channel's markup is not carried into the name"


def test_a_long_channel_still_gives_a_programme_name_within_its_limit():
    name = programme_name("A", "x" * 200)
    assert name.startswith("Contact plan A: ") and len(name) == 60, name
    assert programme_name("B", "!!!") == "Contact plan B: contact", "a channel of symbols only"


def _fits_year_kept(analysis, cls: str, keeps: float, periods: int = 12) -> float:
    """The share of the class's expected leavers in ``periods`` that a churn multiplier 1 - keeps (triangular over
    keeps x (1 -/+ spread)) keeps, from the class's sBG fit on each customer's own tenure: a customer of tenure tau
    has churn p ~ Beta(a, b + tau), stays a year with E[(1 - m p)^12] = sum_j C(12, j) (-m)^j E[p^j]."""
    fit = analysis.fit_for(cls)
    c = analysis.customers
    tau = c[(c["status"] == "active") & (c["class"] == cls)]["tenure"].to_numpy(float)
    mu = np.ones((periods + 1, tau.size))
    for j in range(1, periods + 1):
        mu[j] = mu[j - 1] * (fit.alpha + j - 1) / (fit.alpha + fit.beta + tau + j - 1)

    def leavers(m: float) -> float:
        return float((1 - sum(comb(periods, j) * (-m) ** j * mu[j] for j in range(periods + 1))).sum())

    lo, mode, hi = 1 - keeps * (1 + KEEPS_SPREAD), 1 - keeps, 1 - keeps * (1 - KEEPS_SPREAD)
    grid = triang.ppf((np.arange(1000) + 0.5) / 1000, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    return 1 - float(np.mean([leavers(m) for m in grid])) / leavers(1.0)


def _kept(with_, without, cols, periods):
    """The share of the class's leavers in ``periods`` kept, and its standard error over the runs (delta method on
    the ratio of sums of paired differences)."""
    gone1 = with_.active_by_segment[:, 0, cols].sum(1) - with_.active_by_segment[:, periods, cols].sum(1)
    gone0 = without.active_by_segment[:, 0, cols].sum(1) - without.active_by_segment[:, periods, cols].sum(1)
    share = 1 - gone1.sum() / gone0.sum()
    se = np.std(gone0 - gone1 - share * gone0, ddof=1) / math.sqrt(gone0.size) / gone0.mean()
    return float(share), float(se)


def test_a_class_programme_keeps_its_share_of_the_class_leavers(b2b):
    """Simulated churn of each class with its programme against without it, on common random numbers.

    At today's spend (no campaign, so nobody joins and the leavers are today's customers'). Monte Carlo
    error: the standard error of the kept share over the runs (delta method, paired runs); 4 of them. In the
    first month the programme keeps its share of the month's leavers exactly in expectation. Over the first
    year it keeps fewer of the year's leavers (A: about 25 % for 30 %), because the leavers it keeps in one
    month include customers likely to leave later; the share the class's fits give on each customer's own
    tenure is the check, with 5 % (relative) more for the bands, which carry one tenure each and churn as a
    range around the fit (their year churn is within 4 % of the fits').
    """
    a = b2b.analysis
    data = b2b.scenario().to_dict()
    data["horizon"], data["budget"] = 12, data["baseline_budget"]
    scenario = scenario_from_dict(data)
    runs = 2000
    with_ = simulate(scenario, runs=runs, seed=5)
    without = simulate(without_all(scenario), runs=runs, seed=5)
    for p in scenario.programmes:
        cls = _class_of(p)
        keeps = a.plans[cls].keeps
        cols = [i for i, s in enumerate(scenario.segments) if s.name in p.covers]
        month, month_se = _kept(with_, without, cols, 1)
        assert abs(month - keeps) < 4 * month_se, f"{cls}: first month kept {month:.4f} ± {month_se:.4f} of {keeps}"
        year, year_se = _kept(with_, without, cols, 12)
        want = _fits_year_kept(a, cls, keeps)
        assert 0.7 * keeps < want < keeps, f"{cls}: the fits keep {want:.4f} of the year's leavers for {keeps}"
        assert abs(year - want) < 4 * year_se + 0.05 * want, f"{cls}: first year kept {year:.4f} ± {year_se:.4f}"
        assert year < keeps - 4 * year_se, f"{cls}: fewer than {keeps} of the year's leavers, as the fits say"
    # nobody joins at today's spend, so the first month's programme costs are the plans' costs shown on the page
    page = a.pricing[a.pricing["class"].isin([_class_of(p) for p in scenario.programmes])]["cost_per_period"].sum()
    np.testing.assert_allclose(with_.paths["programme_costs"][:, 1], page, rtol=1e-12)
    assert not without.paths["programme_costs"].any(), "switched off, the programmes cost nothing"


def test_the_portfolio_command_writes_programmes_that_run_and_are_valued(tmp_path, capsys):
    toml = tmp_path / "portfolio.toml"
    assert main(["portfolio", str(B2B), "--out", str(toml), "--format", "json", "--runs", "50"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "[[programmes]]" in toml.read_text(encoding="utf-8"), "the scenario file lists the programmes"
    scenario = load_scenario(toml)
    assert [p.name for p in scenario.programmes] == ["Contact plan D: newsletter"], "on the sample, D's pays"
    pricing = {row["class"]: row for row in doc["pricing"]}
    (record,) = doc["programmes"]
    assert record["class"] == "D" and record["programme"] == "Contact plan D: newsletter", record
    assert record["cost_per_period"] == pytest.approx(pricing["D"]["cost_per_period"], rel=1e-12), record
    assert main(["run", str(toml), "--runs", "50", "--format", "json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run, "run prints its results"
    assert main(["programmes", str(toml), "--runs", "50", "--format", "json"]) == 0
    values = json.loads(capsys.readouterr().out)
    rows = values if isinstance(values, list) else values["programmes"]
    assert [v["name"] for v in rows] == ["Contact plan D: newsletter"], rows
    assert rows[0]["cost"] > 0 and rows[0]["runs"] == 50, rows[0]
