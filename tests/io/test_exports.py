"""Per-run data, the year-by-year P&L and the wide projections, and `run --per-run` end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import compare, scenario_from_dict, simulate
from simulation.cli import main
from simulation.io.exports import STATUS_QUO_PREFIX, per_run_frame, projections_wide
from simulation.model.figures import KPIS
from simulation.model.programmes import scenario_programmes
from tests.helpers import scenario as make_scenario


@pytest.fixture(scope="module")
def comparison():
    s = make_scenario(
        name="Exports",
        horizon=30,  # two and a half years: the last year is partial
        budget={"acquisition": 20000, "retention": 10000},
        baseline_budget={"acquisition": 30000, "retention": 0},
        segment={"churn": {"low": 0.03, "mode": 0.05, "high": 0.08}, "revenue_per_customer": {"mean": 100, "sd": 10}},
        simulation={"runs": 200, "seed": 3},
    )
    return compare(s)


def test_per_run_rows_hold_each_futures_draws_and_figures(comparison):
    plan, base = comparison.plan, comparison.baseline
    frame = per_run_frame(plan, base)
    assert len(frame) == plan.runs, f"one row per future expected, got {len(frame)}"
    assert np.array_equal(frame["segments.A.churn"], plan.assumptions.churn[:, 0]), "churn column is not the draws"
    assert frame["segments.A.churn"].std() > 0, "a distribution's draws should vary between futures"
    assert np.allclose(frame["segments.A.revenue_per_customer"], plan.assumptions.revenue[:, 0]), "revenue draws"
    for key in KPIS:
        assert np.allclose(frame[key], plan.figure(key), equal_nan=True), f"{key} differs from the result's figure"
        assert np.allclose(frame[STATUS_QUO_PREFIX + key], base.figure(key), equal_nan=True), f"status quo {key}"
    assert np.allclose(frame["npv_gain"], comparison.difference("npv")), "npv_gain is not plan minus status quo"


def test_per_run_refuses_a_status_quo_on_other_futures(comparison):
    other = simulate(comparison.plan.scenario, comparison.plan.scenario.baseline, runs=100, seed=3)
    with pytest.raises(ValueError, match="runs and seed"):
        per_run_frame(comparison.plan, other)


def test_year_summary_adds_up_to_the_horizon(comparison):
    plan = comparison.plan
    years = plan.year_summary().pivot(index="year", columns="metric", values="mean")
    assert list(years.index) == [1, 2, 3], f"30 months should give 3 years, got {list(years.index)}"
    assert plan.year_spans == [(1, 12), (13, 24), (25, 30)], f"the last year holds 6 months, got {plan.year_spans}"
    total_revenue = plan.paths["revenue"].sum(1).mean()
    assert years["revenue"].sum() == pytest.approx(total_revenue, rel=1e-12), "years do not add up to the horizon"
    assert years["spend"].iloc[0] == pytest.approx(12 * 30000), "spend is 12 months of the budget"
    assert years["contribution"].to_numpy() == pytest.approx(
        (years["gross_profit"] - years["cost_to_serve"] - years["spend"]).to_numpy()
    ), "contribution is gross profit minus cost to serve and spend"
    assert years["operating_profit"].to_numpy() == pytest.approx(
        (years["contribution"] - years["operating_costs"]).to_numpy()
    ), "operating profit is contribution minus operating costs"


def test_projections_wide_has_a_column_per_metric(comparison):
    wide = projections_wide(comparison.plan, "p50")
    long = comparison.plan.path_summary()
    assert len(wide) == comparison.plan.scenario.horizon + 1, "one row per period 0..horizon"
    got = wide.loc[wide["period"] == 7, "revenue"].item()
    want = long[(long["period"] == 7) & (long["metric"] == "revenue")]["p50"].item()
    assert got == want, f"period 7 median revenue {got} != {want}"
    with pytest.raises(ValueError, match="statistic"):
        projections_wide(comparison.plan, "p99")


def test_cli_per_run_writes_the_csv(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(comparison_toml())
    out = tmp_path / "runs.csv"
    assert (
        main(["run", str(path), "--runs", "50", "--seed", "9", "--per-run", str(out), "--out", str(tmp_path / "p.csv")])
        == 0
    )
    frame = pd.read_csv(out)
    assert len(frame) == 50, f"50 futures expected, got {len(frame)}"
    assert {"run", "npv", "segments.A.churn", STATUS_QUO_PREFIX + "npv", "npv_gain"} <= set(frame.columns), (
        f"columns missing: {sorted(frame.columns)}"
    )
    bad = main(["run", str(path), "--runs", "50", "--per-run", str(tmp_path / "no" / "such" / "dir.csv")])
    err = capsys.readouterr().err
    assert bad == 2 and "--per-run" in err and "Traceback" not in err, f"bad --per-run path: exit {bad}, {err!r}"


def comparison_toml() -> str:
    s = make_scenario(
        name="CLI per run",
        budget={"acquisition": 20000, "retention": 10000},
        baseline_budget={"acquisition": 30000, "retention": 0},
        segment={"churn": {"low": 0.03, "high": 0.08}},
    )
    return s.to_toml()


def test_per_run_rows_hold_each_programmes_draws_as_the_engines_drew_them():
    data = make_scenario(horizon=12, simulation={"runs": 50, "seed": 4}).to_dict()
    data["programmes"] = [
        {"name": "Loyalty tier", "churn_multiplier": {"low": 0.6, "high": 0.9}, "revenue_multiplier": 0.98},
        {"name": "Contact plan", "churn_multiplier": 0.9, "revenue_multiplier": {"mean": 1.02, "sd": 0.01}},
        {"name": "Switched off", "churn_multiplier": {"low": 0.1, "high": 0.2}, "enabled": False},
    ]
    data["price_change"] = {"change": 0.1, "applies_to": "new", "churn_elasticity": {"low": -0.5, "high": 2.0}}
    result = simulate(scenario_from_dict(data))
    frame = per_run_frame(result)
    arrays = scenario_programmes(result.scenario, result.assumptions, result.seed)
    for i, name in enumerate(("Loyalty tier", "Contact plan")):
        churn, revenue = frame[f"programmes.{name}.churn_multiplier"], frame[f"programmes.{name}.revenue_multiplier"]
        assert np.array_equal(churn, arrays.churn[i]), f"{name}: the churn multipliers the engine used"
        assert np.array_equal(revenue, arrays.revenue[i]), f"{name}: the revenue multipliers the engine used"
    assert frame["programmes.Loyalty tier.churn_multiplier"].between(0.6, 0.9).all(), "drawn within the range"
    assert frame["programmes.Loyalty tier.churn_multiplier"].std() > 0, "a range varies between futures"
    assert (frame["programmes.Loyalty tier.revenue_multiplier"] == 0.98).all(), "a plain multiplier is constant"
    elasticity = frame["price_change.churn_elasticity"]
    assert elasticity.between(-0.5, 2.0).all() and elasticity.std() > 0, "the elasticity as drawn, run by run"
    np.testing.assert_allclose(1.0 + elasticity * 0.1, arrays.join_churn, rtol=1e-12, err_msg="the churn response")
    assert not any("Switched off" in c for c in frame.columns), "a programme switched off draws nothing"
    plain = per_run_frame(simulate(make_scenario(horizon=12, simulation={"runs": 50, "seed": 4})))
    assert not any(c.startswith(("programmes.", "price_change.")) for c in plain.columns), "none without them"
