"""The redefined figures: incremental marketing ROI, net CLV, realised CAC's headline, GRR/NRR on
customers who never left, and labels that say what a figure covers."""

import numpy as np
import pytest

from simulation import simulate
from simulation.engines.results import summarize
from simulation.model.closed_forms import discount_per_period, expected_clv
from simulation.model.figures import FIGURES, figure_label
from tests.helpers import scenario

ENGINES = ("vectorized", "discrete_event")


@pytest.mark.parametrize("engine", ENGINES)
def test_spend_that_buys_nothing_returns_minus_100_percent(engine):
    """Nobody churns, so retention spend saves no one: the plan equals no marketing less its spend."""
    sc = scenario(budget={"retention": 10_000}, segment={"customers": 300, "churn": 0.0})
    roi = simulate(sc, runs=20, seed=1, engine=engine).kpis["roi"]
    np.testing.assert_allclose(roi, -1.0, rtol=1e-12, err_msg="ROI of spend that buys nothing")


def test_roi_is_incremental_on_common_random_numbers():
    sc = scenario(
        budget={"acquisition": 50_000, "retention": 10_000},
        acquisition={"cost_per_customer": 800, "max_new_per_period": 100},
        segment={"customers": 2000},
    )
    result = simulate(sc, runs=50, seed=2)
    none = result.no_marketing
    assert none.budget.total == 0 and np.array_equal(none.assumptions.churn, result.assumptions.churn), "same draws"
    spend = (result.paths["spend"] * result.discount_factors).sum(1)
    expected = (result.customer_equity - none.customer_equity) / spend
    np.testing.assert_allclose(
        result.kpis["roi"], expected, rtol=1e-12, err_msg="(equity - equity with no spend) / spend"
    )
    assert np.all(result.kpis["roi"] > 0), "acquisition at a CAC far below a customer's value pays"
    again = simulate(
        sc, sc.budget.model_copy(update={"retention": 20_000}), runs=50, seed=2, assumptions=result.assumptions
    )
    assert again.no_marketing_equity is result.no_marketing_equity, "one no-marketing run per set of assumptions"


def test_clv_is_net_of_care_spend_and_cost_to_serve():
    """Homogeneous churn, constant retention r: CLV = (m - c)(1 + d) / (1 + d - r).

    m is margin net of cost to serve; c = (retention + expansion spend) / paying customer-periods.
    Retention spend with no effect (max_churn_reduction = 0) must lower CLV by exactly that c.
    """
    common = dict(
        horizon=12, segment={"customers": 1000, "churn": 0.04, "churn_heterogeneity": 0.0, "cost_to_serve": 5}
    )
    useless = scenario(
        budget={"retention": 8_000}, retention={"cost_per_save": 100, "max_churn_reduction": 0.0}, **common
    )
    free = scenario(**common)
    a, b = simulate(useless, runs=30, seed=3), simulate(free, runs=30, seed=3)
    p = a.paths
    c = 8_000 * 12 / (p["active_customers"][:, 1:] + p["churned_customers"][:, 1:]).sum(1)
    d = discount_per_period(0.1, 12)
    m = 100 * 0.5 - 5
    np.testing.assert_allclose(b.kpis["clv"], m * (1 + d) / (1 + d - 0.96), rtol=1e-9, err_msg="closed form, no spend")
    np.testing.assert_allclose(a.kpis["clv"], (m - c) * (1 + d) / (1 + d - 0.96), rtol=1e-9, err_msg="net of spend")
    assert np.all(a.kpis["clv"] < b.kpis["clv"]), "spend that keeps no one lowers CLV"
    np.testing.assert_allclose(
        a.kpis["clv"], expected_clv(m - c, 0.04, 0.0, d), rtol=1e-9, err_msg="the closed form the figure uses"
    )


def test_realised_cac_headline_is_a_ratio_of_means_and_its_band_is_per_run():
    sc = scenario(
        budget={"acquisition": 6_000},
        acquisition={"cost_per_customer": 2_000, "max_new_per_period": 50},
        segment={"customers": 100},
    )
    result = simulate(sc, runs=400, seed=4)
    acquired = result.paths["new_customers"].sum(1)
    summary = result.kpi_summary()["cac"]
    ratio_of_means = 6_000 * 24 * 400 / acquired.sum()
    assert summary["mean"] == pytest.approx(ratio_of_means, rel=1e-12), "headline: total spend / total acquired"
    per_run = result.kpis["cac"]
    assert np.nanmean(per_run) > summary["mean"], (
        "the mean of per-run ratios is biased up (Jensen), the headline is not"
    )
    assert summary["p5"] == pytest.approx(np.nanpercentile(per_run, 5)), "bands stay per run"
    assert FIGURES["cac"].headline is not None and FIGURES["npv"].headline is None, "the registry says which"


def test_ratio_headlines_are_ratios_of_means():
    """Final-year operating margin and LTV:CAC follow realised CAC's convention: a ratio of means over
    futures (docs/MODEL.md), not a mean of each future's ratio; their bands stay per run."""
    sc = scenario(
        operating_costs={"low": 20_000, "high": 60_000},
        budget={"acquisition": 6_000},
        acquisition={"cost_per_customer": 2_000, "max_new_per_period": 50},
        segment={"customers": 300, "revenue_per_customer": {"low": 50, "high": 150}},
    )
    result = simulate(sc, runs=400, seed=4)
    last = slice(-12, None)
    profit = result.paths["operating_profit"][:, last].sum(1)
    revenue = result.paths["revenue"][:, last].sum(1)
    summary = result.kpi_summary()
    margin = summary["operating_margin_final_year"]
    assert margin["mean"] == pytest.approx(profit.sum() / revenue.sum(), rel=1e-12), (
        "headline: operating profit over revenue, each summed over futures"
    )
    per_run = result.kpis["operating_margin_final_year"]
    assert abs(per_run.mean() - margin["mean"]) > 1e-3, "the mean of per-run margins differs here"
    assert margin["p5"] == pytest.approx(np.percentile(per_run, 5)), "bands stay per run"
    ltv = summary["ltv_to_cac"]
    assert ltv["mean"] == pytest.approx(summary["clv"]["mean"] / summary["cac"]["mean"], rel=1e-12), (
        "LTV:CAC's headline is the ratio of the CLV and CAC headlines"
    )
    for key in ("operating_margin_final_year", "ltv_to_cac"):
        assert "ratio of" in FIGURES[key].help, f"{key}'s definition says how its headline is made"


@pytest.mark.parametrize("engine", ENGINES)
def test_grr_counts_a_customer_lost_and_won_back_as_lost(engine):
    """With no retention spend the churn of customers who never left does not depend on win-back
    (common random numbers per class in one engine, per customer in the other), so GRR is identical
    run by run with and without a win-back programme that does bring people back; so is NRR in the
    per-customer engine, whose upsells are per customer too (the vectorised engine draws a
    segment's upsells as one total, so its NRR is only equal in distribution)."""
    common = dict(
        horizon=18,
        winback={"cost_per_winback": 50, "max_winback_rate": 0.5},
        segment={"customers": 400, "churn": 0.08, "upsell_rate": 0.02},
    )
    plain = simulate(scenario(**common), runs=30, seed=5, engine=engine)
    back = simulate(scenario(budget={"winback": 20_000}, **common), runs=30, seed=5, engine=engine)
    assert np.all(back.paths["winbacks"][:, 1:13].sum(1) > 0), "customers are won back within the first year"
    np.testing.assert_array_equal(back.kpis["grr"], plain.kpis["grr"], err_msg="GRR: won back is still lost")
    if engine == "discrete_event":
        np.testing.assert_array_equal(back.kpis["nrr"], plain.kpis["nrr"], err_msg="NRR: won back is still lost")
    held = plain.paths["revenue_run_rate"][:, 0]
    assert np.all(back.kpis["nrr"] * held <= back.paths["revenue_run_rate"][:, 12] + 1e-6), "NRR leaves out returners"


def test_retention_figures_over_a_short_horizon_say_so():
    sc = scenario(horizon=6, segment={"customers": 500})
    assert figure_label("grr", sc) == "Gross revenue retention over the horizon (6 months, less than a year)"
    assert FIGURES["nrr"].short_for(sc) == "NRR, 6 months", FIGURES["nrr"].short_for(sc)
    year = scenario(horizon=24)
    assert FIGURES["grr"].short_for(year) == "GRR, first year", "a year or more: the first year"
    result = simulate(sc, runs=20, seed=1)
    kept = result.active_by_segment[:, 6, 0] * 100.0 / (500 * 100.0)
    np.testing.assert_allclose(result.kpis["grr"], kept, err_msg="over the 6 months, not a year")


def test_every_figure_has_a_label_unit_and_help():
    for key, fig in FIGURES.items():
        assert fig.key == key and fig.label and fig.short and fig.help, key
        assert fig.kind in ("money", "count", "percent", "ratio", "periods"), key
        assert len(fig.short) <= 20, f"{key}: short label fits a card"
    assert {"operating_npv", "operating_margin_final_year"} <= set(FIGURES), "operating figures are registered"


def test_a_figure_undefined_in_some_futures_has_no_headline():
    """Fifty nearly homogeneous segments at the lowest discount rate: CLV is a number in every future (2F1
    gave NaN in most); a figure that is undefined in some futures is shown as undefined, not averaged
    over the others."""
    segments = [
        {"name": f"S{i}", "customers": 50, "revenue_per_customer": 100, "churn": 0.01 + 0.0002 * i,
         "churn_heterogeneity": 0.001}
        for i in range(50)
    ]  # fmt: skip
    sc = scenario(discount_rate=0.001, budget={"retention": 2_000}, segments=segments)
    result = simulate(sc, runs=10, seed=1)
    assert np.all(np.isfinite(result.kpis["clv"])), "CLV is finite in every future"
    assert result.kpi_summary()["clv"]["mean"] is not None, "and has a headline"
    partly = np.array([1.0, np.nan, 3.0])
    assert summarize(partly)["mean"] is None, "a mean over the futures where a figure is defined is refused"
    assert summarize(np.array([1.0, np.inf]))["mean"] is None, "an infinite value is undefined too"
    assert summarize(np.array([1.0, 3.0]))["mean"] == 2.0, "a figure defined in every future has its mean"
