"""Operating costs, cost to serve and referrals, in both engines.

Tolerances for means use the Monte Carlo standard error (SE) from the runs themselves; a family of
~40 correlated periods at 4.5 SE keeps a false failure below 1e-3 (Bonferroni: 40 x 6.8e-6 = 3e-4).
"""

import numpy as np
import pytest

from simulation import scenario_from_dict, simulate
from simulation.engines.paths import PATH_METRICS
from simulation.engines.results import PNL_METRICS
from tests.helpers import scenario

Z = 4.5
ENGINES = ("vectorized", "discrete_event")


def _business(**changes):
    """One segment with cost to serve, referrals, a finite market and operating costs drawn per run."""
    fields = {
        "horizon": 30,
        "operating_costs": {"low": 20_000, "high": 40_000},
        "budget": {"acquisition": 30_000, "retention": 5_000, "expansion": 2_000, "winback": 3_000},
        "acquisition": {"cost_per_customer": 1000, "max_new_per_period": 40, "market_size": 3_000},
        "expansion": {"cost_per_upsell": 200, "max_extra_upsell_rate": 0.02},
        "winback": {"cost_per_winback": 300, "max_winback_rate": 0.05},
        "segment": {"customers": 800, "cost_to_serve": 12.0, "referral_rate": 0.01, "upsell_rate": 0.01},
    }
    for key, value in changes.items():
        fields[key] = {**fields[key], **value} if isinstance(value, dict) and key != "operating_costs" else value
    return scenario(**fields)


@pytest.mark.parametrize("engine", ENGINES)
def test_operating_profit_is_contribution_less_operating_costs(engine):
    result = simulate(_business(), runs=30, seed=3, engine=engine)
    p, a = result.paths, result.assumptions
    assert set(PATH_METRICS) <= set(p), "every path is recorded"
    paying = p["active_customers"][:, 1:] + p["churned_customers"][:, 1:]
    np.testing.assert_allclose(p["cost_to_serve"][:, 1:], paying * 12.0, err_msg="cost to serve per paying customer")
    np.testing.assert_allclose(
        p["contribution"], p["gross_profit"] - p["cost_to_serve"] - p["spend"], err_msg="contribution"
    )
    np.testing.assert_allclose(
        p["operating_costs"][:, 1:],
        np.broadcast_to(a.operating_costs[:, None], (30, 30)),
        err_msg="the run's draw, every period",
    )
    assert np.all(p["operating_costs"][:, 0] == 0) and np.ptp(a.operating_costs) > 0, "uncertain, zero at period 0"
    np.testing.assert_allclose(p["operating_profit"], p["contribution"] - p["operating_costs"], err_msg="op. profit")
    k = result.kpis
    d = (1 + a.discount[:, None]) ** -np.arange(31)
    np.testing.assert_allclose(k["operating_npv"], (p["operating_profit"] * d).sum(1), err_msg="operating NPV")
    last = slice(31 - 12, 31)
    margin = p["operating_profit"][:, last].sum(1) / p["revenue"][:, last].sum(1)
    np.testing.assert_allclose(k["operating_margin_final_year"], margin, err_msg="margin over the last 12 months")


def test_year_by_year_pnl_adds_up():
    result = simulate(_business(horizon=30), runs=50, seed=4)
    years = result.year_summary()
    assert list(years.columns) == ["year", "metric", "mean", "p5", "p50", "p95"], "columns"
    assert set(years["metric"]) == set(PNL_METRICS) - {"programme_costs"}, "every P&L line (no programmes here)"
    assert sorted(set(years["year"])) == [1, 2, 3], "30 months are years 1, 2 and a half year 3"
    for metric in set(PNL_METRICS) - {"programme_costs"}:
        rows = years[years.metric == metric]
        total = result.paths[metric].sum(1).mean()
        np.testing.assert_allclose(rows["mean"].sum(), total, rtol=1e-9, err_msg=f"{metric}: years add to the horizon")
        assert np.all(rows["p5"] <= rows["p50"] + 1e-9) and np.all(rows["p50"] <= rows["p95"] + 1e-9), metric
    op = years.set_index(["metric", "year"])["mean"]
    lines = op["gross_profit"] - op["cost_to_serve"] - op["spend"] - op["operating_costs"]
    np.testing.assert_allclose(op["operating_profit"], lines, rtol=1e-9, err_msg="operating profit, year by year")


@pytest.mark.parametrize("engine", ENGINES)
def test_referrals_join_their_referrers_segment_and_use_up_the_market(engine):
    two = _business(budget={"winback": 0}).to_dict()
    two["segments"][0]["new_customer_share"] = 1.0
    two["segments"].append({**two["segments"][0], "name": "B", "referral_rate": 0.0, "new_customer_share": 0.0})
    sc = scenario_from_dict(two)
    result = simulate(sc, runs=40, seed=8, engine=engine)
    p = result.paths
    flow = (
        p["active_customers"][:, :-1]
        + p["new_customers"][:, 1:]
        + p["referred_customers"][:, 1:]
        + p["winbacks"][:, 1:]
        - p["churned_customers"][:, 1:]
    )
    assert np.array_equal(p["active_customers"][:, 1:], flow), "active = before + new + referred + won back - churned"
    assert np.all(p["referred_customers"].sum(1) > 0), "referrals happen"
    b = result.active_by_segment[:, :, 1]
    assert np.all(np.diff(b, axis=1) <= 0), "segment B gets no new, referred or won-back customers: it only shrinks"
    joined = p["new_customers"].sum(1) + p["referred_customers"].sum(1)
    assert np.all(joined <= 3_000), "paid and referred customers together never exceed the market"
    revenue = p["revenue_run_rate"][:, :-1] + p["run_rate_new"][:, 1:] + p["run_rate_referred"][:, 1:]
    revenue += p["run_rate_winback"][:, 1:]
    np.testing.assert_allclose(p["revenue"][:, 1:], revenue, rtol=1e-9, err_msg="referred customers pay at once")


def test_mean_referrals_follow_the_rate_and_the_market_left():
    """E[referred at t] = rate x E[active at t - 1 x prospects left / market], checked period by period."""
    sc = _business(budget={"acquisition": 0, "retention": 0}, segment={"customers": 2000, "referral_rate": 0.02})
    runs = 2000
    p = simulate(sc, runs=runs, seed=6).paths
    referred = p["referred_customers"][:, 1:]
    before = np.cumsum(referred, axis=1) - referred
    expected_each = 0.02 * p["active_customers"][:, :-1] * (3_000 - before) / 3_000
    diff = referred - expected_each
    se = diff.std(0, ddof=1) / np.sqrt(runs)
    assert np.all(np.abs(diff.mean(0)) <= Z * se + 1e-9), f"referrals off the rate: {np.abs(diff.mean(0) / se).max()}"


def test_event_log_has_referrals():
    from simulation.engines.discrete_event import EVENTS

    result = simulate(_business(), runs=3, seed=2, engine="discrete_event", record_events=True)
    events = result.output.extras["events"]
    assert "referred" in EVENTS, "a referred event"
    counts = events[events.event == "referred"].groupby("run", observed=True).size()
    for r in range(3):
        assert counts.get(r, 0) == result.paths["referred_customers"][r].sum(), f"run {r}: one event per referral"


def test_engines_agree_on_referrals_when_many_join_each_period():
    """Only customers active at the end of the last period refer: this period's joiners do not yet.

    A thousand paid customers a period join a base of a hundred, so an engine that let them refer in
    the period they join would count about 100 referrals a period too many. The engines use their own
    chance, so the difference of their mean referrals has standard error sqrt(var_a / n + var_b / n);
    six periods at the normal quantile 1 - 1e-3 / 12 (3.35) keep a false failure below 1e-3
    (Bonferroni).
    """
    sc = scenario(
        horizon=6,
        budget={"acquisition": 1e7},
        acquisition={"cost_per_customer": 100, "max_new_per_period": 1_000, "market_size": 1e7},
        segment={"customers": 100, "churn": 0.05, "referral_rate": 0.1},
    )
    runs = 100
    des = simulate(sc, runs=runs, seed=4, engine="discrete_event").paths["referred_customers"][:, 1:]
    vec = simulate(sc, runs=runs, seed=4).paths["referred_customers"][:, 1:]
    se = np.sqrt(des.var(0, ddof=1) / runs + vec.var(0, ddof=1) / runs)
    z = 3.35
    gap = np.abs(des.mean(0) - vec.mean(0))
    assert np.all(gap <= z * se), (
        f"referred customers per period: discrete-event {des.mean(0).round(1)}, vectorised {vec.mean(0).round(1)}"
    )
