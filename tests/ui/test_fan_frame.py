"""The fan charts' frame, built from the columns' arrays, is the frame the straightforward pandas code builds."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation import simulate
from simulation.engines.summary import CHART_METRICS
from simulation.io.presets import load_preset
from ui.shared import charts


def straightforward(summaries, metric, first_period=0):
    frames = []
    for name, summary in summaries.items():
        rows = summary[(summary["metric"] == metric) & (summary["period"] >= first_period)].drop(columns="metric")
        rows.insert(0, "series", name)
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def summaries():
    scenario = load_preset("telecom_base")
    plan = simulate(scenario, runs=50, seed=3, count_saved=False)
    baseline = simulate(scenario, scenario.baseline, runs=50, seed=3, count_saved=False)
    return {"Plan": plan.path_summary(CHART_METRICS), "Status quo": baseline.path_summary()}


@pytest.mark.parametrize("metric", [*CHART_METRICS, "saved_customers"])
@pytest.mark.parametrize("start", ["first", "second", "last"])
def test_fan_frame_is_the_straightforward_frame(summaries, metric, start):
    """From period 0 (stocks), from period 1 (flows) and from the last period alone: the same frame."""
    last = int(summaries["Plan"]["period"].max())
    first_period = {"first": 0, "second": 1, "last": last}[start]
    for chosen in (summaries, {"Plan": summaries["Plan"]}, {"Status quo": summaries["Status quo"]}):
        if metric not in set(next(iter(chosen.values()))["metric"]):
            continue
        pd.testing.assert_frame_equal(
            charts.fan_frame(chosen, metric, first_period),
            straightforward(chosen, metric, first_period),
            check_exact=True,
        )


def test_fan_frame_needs_a_summary():
    with pytest.raises(ValueError, match="at least one summary"):
        charts.fan_frame({}, "revenue")
