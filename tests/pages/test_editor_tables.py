"""The "All assumptions" editor's tables: built from a scenario and read back into one."""

from __future__ import annotations

import pytest

from simulation import ScenarioError
from simulation.model import edits
from simulation.model.distributions import Distribution
from ui.plan import editor_tables
from ui.shared import state


def _general(s):
    return {
        "name": s.name,
        "description": s.description,
        "period": s.period,
        "horizon": s.horizon,
        "currency": s.currency,
        "runs": s.simulation.runs,
        "seed": str(s.simulation.seed),
    }


def _tables(s):
    return editor_tables.budgets_frame(s), editor_tables.levers_frame(s), editor_tables.segments_frame(s)


def test_editor_tables_read_back_to_the_same_scenario(test_scenario):
    budgets, levers, segments = _tables(test_scenario)
    again = editor_tables.scenario_from_editor(test_scenario, _general(test_scenario), budgets, levers, segments)
    assert again == test_scenario, "an untouched editor must not change the scenario"


def test_editor_keeps_the_status_quo_following_the_plan():
    from simulation.io.presets import load_preset

    s = load_preset().model_copy(update={"baseline_budget": None})
    budgets, levers, segments = _tables(s)
    budgets.loc["Plan", "Acquisition"] = 1000.0
    edited = editor_tables.scenario_from_editor(s, _general(s), budgets, levers, segments)
    assert edited.baseline_budget is None, "an untouched status quo should keep following the plan"


def test_editor_applies_ranges_weights_and_new_segments(test_scenario):
    budgets, levers, segments = _tables(test_scenario)
    levers.loc["acquisition.market_size", "Value"] = "50000"
    segments.loc[0, "churn"] = "0.03 / 0.04 / 0.06"
    segments.loc[0, "retention"] = 2.0
    segments.loc[1, "retention"] = 1.0
    edited = editor_tables.scenario_from_editor(test_scenario, _general(test_scenario), budgets, levers, segments)
    assert edited.acquisition.market_size == 50000, "the market size was not applied"
    assert edited.segments[0].churn == Distribution(low=0.03, mode=0.04, high=0.06), "the range was not applied"
    assert edited.retention.weights == {"Key": 2.0, "Core": 1.0}, f"weights: {edited.retention.weights}"


def test_editor_collects_every_problem_with_its_field(test_scenario):
    budgets, levers, segments = _tables(test_scenario)
    general = _general(test_scenario) | {"seed": "x", "horizon": 0}
    levers.loc["retention.cost_per_save", "Value"] = "-3"
    segments.loc[0, "gross_margin"] = "1.5"
    segments.loc[1, "churn"] = "often"
    with pytest.raises(ScenarioError) as info:
        editor_tables.scenario_from_editor(test_scenario, general, budgets, levers, segments)
    paths = {path for path, _ in info.value.problems}
    for expected in ("simulation.seed", "horizon", "retention.cost_per_save", "segments[0].gross_margin"):
        assert expected in paths, f"{expected} not reported; got {sorted(paths)}"
    assert "segments[1].churn" in paths, f"the unreadable churn is not reported; got {sorted(paths)}"
    assert sum(path == "segments[1].churn" for path, _ in info.value.problems) == 1, "reported twice"


def test_problems_name_the_segment_as_well_as_its_number(test_scenario):
    with pytest.raises(ScenarioError) as info:
        edits.with_segment_average(test_scenario, "churn", 0.9, "new")
    lines = state.describe_problems(info.value.problems, test_scenario.to_dict())
    assert any(line.startswith("segment 2 (Core) · churn") for line in lines), lines


def test_one_assumption_can_be_set_by_its_path(test_scenario):
    churn = {"low": 0.02, "mode": 0.03, "high": 0.05}
    changed = edits.with_value(test_scenario, "segments[1].churn", churn)
    assert changed.segments[1].churn.as_dict() == churn, "the segment's churn is the distribution given"
    assert changed.segments[0] == test_scenario.segments[0], "the other segment is unchanged"
    assert edits.with_value(test_scenario, "retention.cost_per_save", 500.0).retention.cost_per_save == 500.0
    assert edits.with_value(test_scenario, "operating_costs", 1e5).operating_costs == 1e5, "a scenario-level field"
    with pytest.raises(ScenarioError) as info:
        edits.with_value(test_scenario, "segments[0].churn", {"low": 0.5, "high": 1.5})
    assert "segments[0].churn" in str(info.value.problems), info.value.problems
