"""A transaction log gets a purchase model: BG/NBD and Gamma-Gamma in ``fit``, value and risk, the holdout check."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.portfolio import PortfolioSettings, analyse_portfolio
from simulation.portfolio.btyd import rfm, transactions
from simulation.portfolio.btyd_sample import simulate_purchases
from simulation.portfolio.pipeline import SCENARIO_PERIODS

from .cdnow import AS_OF, cdnow_csv, cdnow_purchases
from .test_btyd import PUBLISHED_BGNBD, PUBLISHED_LL, PUBLISHED_SPEND


def _three_significant(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def cdnow_file(tmp_path_factory):
    return cdnow_csv(tmp_path_factory.mktemp("cdnow") / "cdnow.csv")


@pytest.fixture(scope="module")
def cdnow_result(cdnow_file):
    return analyse_portfolio(cdnow_file, PortfolioSettings(period="week", as_of=AS_OF))


def test_fit_command_reports_the_published_cdnow_estimates(cdnow_file, capsys):
    code = main(["fit", str(cdnow_file), "--period", "week", "--as-of", AS_OF, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, f"fit failed: {err}"
    doc = json.loads(out)
    assert len(doc["fits"]) == 1, f"one purchase model for the whole log, got {len(doc['fits'])}"
    fit = doc["fits"][0]
    assert fit["model"] == "bg/nbd", f"a transaction log gets the BG/NBD model, got {fit.get('model')!r}"
    assert fit["customers"] == 2357, f"all 2,357 customers (those whose only purchase was free too), got {fit}"
    for key, published in {**PUBLISHED_BGNBD, **PUBLISHED_SPEND}.items():
        got = fit[key]
        assert _three_significant(got) == _three_significant(published), f"{key}: {got}, published {published}"
        lo, hi = fit["intervals"][key]
        assert lo < got < hi, f"{key}: interval {lo}-{hi} must hold the estimate {got}"
    assert round(fit["log_likelihood"], 1) == PUBLISHED_LL, f"log-likelihood {fit['log_likelihood']}, published -9582.4"


def test_fit_command_keeps_the_sbg_fits_of_a_customer_table(capsys):
    from .helpers import SAMPLES

    assert main(["fit", str(SAMPLES / "b2b_accounts.csv"), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert all("model" not in f and "alpha" in f and "beta" in f for f in doc["fits"]), "customer tables: sBG"


def test_purchases_after_the_as_of_date_are_held_out(cdnow_result):
    customers = cdnow_result.data.customers
    calibration = cdnow_purchases()
    calibration = calibration[(calibration["date"] <= AS_OF) & (calibration["amount"] > 0)]
    assert customers["purchases"].sum() == len(calibration), (
        f"the customers' rows count {customers['purchases'].sum()} purchases, the log has {len(calibration)} by "
        "the as-of date"
    )
    assert any("held out" in note for note in cdnow_result.data.notes), "the page says purchases were held out"


def _log_with_a_big_newcomer(rng=5) -> bytes:
    """A simulated shop, one frequent buyer of long standing and one newcomer who spent a lot once, yesterday."""
    log = simulate_purchases(
        400, r=0.8, alpha=8.0, a=0.8, b=3.0, p=6.0, q=4.0, gamma=100.0, days=364, joining_days=300, rng=rng
    )
    log["date"] = pd.to_datetime(log["date"]).dt.normalize()
    end = pd.Timestamp("1997-12-30")
    regular = pd.DataFrame(
        {"customer_id": "regular", "date": pd.date_range("1997-01-07", end, freq="14D"), "amount": 40.0}
    )
    newcomer = pd.DataFrame({"customer_id": ["newcomer"], "date": [end], "amount": [400.0]})
    frame = pd.concat([log, regular, newcomer], ignore_index=True)
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    return frame.to_csv(index=False).encode()


def test_transaction_customers_are_valued_by_expected_purchases_and_spend():
    result = analyse_portfolio(
        _log_with_a_big_newcomer(), PortfolioSettings(period="month", as_of="1997-12-31"), name="shop.csv"
    )
    analysis = result.analysis
    assert analysis.purchase_model is not None, f"a purchase model is fitted: {analysis.purchase_message}"
    c = analysis.customers.set_index("customer_id")
    regular, newcomer = c.loc["regular"], c.loc["newcomer"]
    # revenue per active period ranks the newcomer first (400 in one month against about 87 a month)
    assert newcomer["contribution"] < regular["contribution"], (
        f"one purchase yesterday ({newcomer['contribution']:.2f} per month expected) must not outrank a customer "
        f"buying every two weeks for a year ({regular['contribution']:.2f})"
    )
    value = analysis.purchase_model.frame
    for who in ("regular", "newcomer"):
        expected = value.loc[who, "expected_purchases"] * value.loc[who, "expected_spend"]
        assert c.loc[who, "expected_value"] == pytest.approx(expected), f"{who}: value = purchases x spend x margin"
        assert c.loc[who, "contribution"] == pytest.approx(expected / 12), f"{who}: contribution is per month of a year"
    active = c[c["status"] == "active"]
    assert (active["risk_source"] == "BG/NBD: chance already lapsed, 1 - P(alive)").all(), "risk from the model"
    np.testing.assert_allclose(
        active["risk"], 1 - active["p_alive"], err_msg="risk of a transaction-log customer is 1 - P(alive)"
    )
    assert active.loc["regular", "risk"] < 0.05, f"a customer buying every two weeks is alive: {active.loc['regular']}"


def test_risk_rises_with_time_since_the_last_purchase():
    result = analyse_portfolio(
        _log_with_a_big_newcomer(), PortfolioSettings(period="month", as_of="1997-12-31"), name="shop.csv"
    )
    fit = result.analysis.purchase_model.fit
    gone_quiet = [1 - float(fit.p_alive(3, t_x, 12.0)) for t_x in (11.0, 8.0, 5.0, 2.0)]
    assert np.all(np.diff(gone_quiet) > 0), f"3 purchases, the last longer ago: risk must rise, got {gone_quiet}"


def test_holdout_compares_predicted_and_actual_repeat_purchases(cdnow_result):
    check = cdnow_result.analysis.holdout
    assert check is not None and len(check) == 39, "the CDNOW log runs 39 whole weeks past 1997-09-30"
    later = transactions(cdnow_purchases())
    later = later[later["date"] > AS_OF]
    assert check["actual"].sum() == len(later), (
        f"actual repeat purchases {check['actual'].sum()} must be the {len(later)} transactions after the as-of date"
    )
    fit = cdnow_result.analysis.purchase_model.fit
    data = rfm(cdnow_purchases(), AS_OF, 7.0)
    total = float(fit.expected_purchases(39, data.x, data.t_x, data.T).sum())
    assert check["predicted"].sum() == pytest.approx(total, rel=1e-9), "the weekly forecasts add up to 39 weeks'"
    assert check["predicted_cumulative"].iloc[-1] == pytest.approx(check["actual_cumulative"].iloc[-1], rel=0.2), (
        "the model's 39-week forecast should be within 20 % of what the customers did"
    )


def test_no_holdout_when_the_log_ends_at_the_as_of_date(cdnow_file):
    result = analyse_portfolio(cdnow_file, PortfolioSettings(period="week"))
    assert result.analysis.holdout is None, "nothing after the as-of date: no holdout check"


def test_a_weekly_analysis_is_not_simulated_as_a_weekly_scenario(cdnow_result):
    assert "week" not in SCENARIO_PERIODS
    with pytest.raises(Exception, match="month, quarter or year"):
        cdnow_result.scenario()


def test_weeks_are_seven_days_and_start_on_monday():
    from simulation.portfolio.data import whole_periods
    from simulation.portfolio.transactions import revenue_by_period

    count, exact = whole_periods(
        np.array(["1997-01-01", "1997-01-01", "1997-01-01"], dtype="datetime64[ns]"),
        np.array(["1997-01-08", "1997-01-14", "1997-01-15"], dtype="datetime64[ns]"),
        "week",
    )
    assert count.tolist() == [1, 1, 2] and exact.tolist() == [True, False, True], f"weeks {count}, exact {exact}"
    dates = np.array(["1997-09-28", "1997-09-29", "1997-10-05"], dtype="datetime64[ns]")  # Sunday, Monday, Sunday
    frame = revenue_by_period(dates, np.array([1.0, 2.0, 4.0]), np.array(["x", "y", "z"]), "week")
    assert frame["period_start"].dt.day_name().eq("Monday").all(), f"weeks start on Monday: {frame}"
    assert frame["revenue"].tolist() == [1.0, 6.0], f"Sunday ends a week, Monday starts one: {frame}"


def test_portfolio_json_carries_the_purchase_model_and_the_holdout(cdnow_file, capsys, tmp_path):
    argv = ["portfolio", str(cdnow_file), "--as-of", AS_OF, "--format", "json", "--out", str(tmp_path / "s.toml")]
    assert main(argv) == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    assert doc["purchase_model"]["model"] == "bg/nbd", f"the purchase model is in the document: {doc.keys()}"
    assert len(doc["holdout"]) == 8, f"8 whole months after 1997-09-30: {len(doc['holdout'])}"
    assert {"period", "start", "actual", "predicted"} <= set(doc["holdout"][0]), doc["holdout"][0]
