"""The Plan page's controls and the assumptions editor, as pure functions of a scenario."""

from __future__ import annotations

import pytest

from simulation import ScenarioError
from simulation.model.distributions import Distribution, central
from ui import controls


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.012, "0.012"),
        (150000.0, "150000"),
        (1e-05, "1e-05"),
        (Distribution(low=0.008, high=0.016), "0.008 .. 0.016"),
        (Distribution(low=0.008, mode=0.012, high=0.016), "0.008 / 0.012 / 0.016"),
        (Distribution(mean=0.012, sd=0.002), "0.012 ± 0.002"),
    ],
)
def test_param_text_round_trips_exactly(value, text):
    assert controls.format_param(value) == text, f"{value!r} written as {controls.format_param(value)!r}"
    parsed = controls.parse_param(text, "x")
    expected = value.as_dict() if isinstance(value, Distribution) else value
    assert parsed == expected, f"{text!r} read back as {parsed!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.008 to 0.016", {"low": 0.008, "high": 0.016}),
        ("0.008–0.016", {"low": 0.008, "high": 0.016}),
        ("1,500", 1500.0),
        ("0.012 +/- 0.002", {"mean": 0.012, "sd": 0.002}),
        ("", None),
    ],
)
def test_param_text_accepts_common_spellings(text, expected):
    assert controls.parse_param(text, "x") == expected, f"{text!r}"


def test_unreadable_param_text_names_the_field():
    with pytest.raises(ScenarioError) as info:
        controls.parse_param("about two percent", "segments[1].churn")
    (path, message), *_ = info.value.problems
    assert path == "segments[1].churn" and "got 'about two percent'" in message, info.value.problems


def test_split_and_total_move_only_what_they_should(test_scenario):
    split = controls.with_split(test_scenario, 0.25)
    assert split.budget.total == pytest.approx(test_scenario.budget.total), "the split must keep the total"
    assert controls.acquisition_share(split.budget) == pytest.approx(0.25), "the split was not applied"
    assert split.baseline == test_scenario.baseline, "the status quo must not move with the plan"
    total = controls.with_total(split, 30000)
    assert total.budget.total == pytest.approx(30000) and controls.acquisition_share(total.budget) == pytest.approx(
        0.25
    ), f"the total must keep the split: {total.budget}"
    with pytest.raises(ScenarioError):
        controls.with_split(test_scenario, 1.5)


def test_total_below_the_fixed_levers_is_refused(test_scenario):
    with_fixed = test_scenario.with_budget(test_scenario.budget.model_copy(update={"expansion": 5000.0}))
    with pytest.raises(ScenarioError) as info:
        controls.with_total(with_fixed, 1000)
    assert "expansion and win-back" in info.value.problems[0][1], info.value.problems


def test_cost_multiplier_scales_the_range_and_keeps_its_shape(test_scenario):
    assert controls.cost_multiplier(test_scenario) == pytest.approx(25), "triangular 20/25/30 has centre 25"
    moved = controls.with_cost_multiplier(test_scenario, 10)
    assert controls.cost_multiplier(moved) == pytest.approx(10), "the centre should reach the target"
    dist = moved.acquisition.cost_multiplier
    assert (dist.low, dist.mode, dist.high) == pytest.approx((8, 10, 12)), f"the range should scale: {dist}"


def test_cost_multiplier_with_a_given_cac_scales_the_cac(test_scenario):
    data = test_scenario.to_dict()
    data["acquisition"] = {"cost_per_customer": 4000.0, "max_new_per_period": 80}
    with_cac = test_scenario.replace(acquisition=data["acquisition"])
    assert controls.cost_multiplier(with_cac) == pytest.approx(10), "4000 / 400"
    moved = controls.with_cost_multiplier(with_cac, 20)
    assert moved.acquisition.cost_per_customer == pytest.approx(8000), "the CAC should double"
    assert moved.acquisition.cost_multiplier is None, "a scenario gives a multiple or a CAC, not both"


def test_segment_average_scales_every_segment_by_one_factor(test_scenario):
    before = [central(s.revenue_per_customer) for s in test_scenario.segments]
    old = controls.segment_average(test_scenario, "revenue_per_customer")
    moved = controls.with_segment_average(test_scenario, "revenue_per_customer", old * 1.1)
    after = [central(s.revenue_per_customer) for s in moved.segments]
    assert controls.segment_average(moved, "revenue_per_customer") == pytest.approx(old * 1.1), "target missed"
    assert [a / b for a, b in zip(after, before, strict=True)] == pytest.approx([1.1, 1.1]), "segments scaled apart"


def test_segment_average_from_zero_sets_every_segment(test_scenario):
    zero = controls.with_segment_average(test_scenario, "upsell_rate", 0.0)
    assert controls.segment_average(zero, "upsell_rate") == 0.0, "the average should reach zero"
    back = controls.with_segment_average(zero, "upsell_rate", 0.01)
    assert [s.upsell_rate for s in back.segments] == [0.01, 0.01], "from zero every segment gets the target"


def test_out_of_range_average_names_the_segment(test_scenario):
    with pytest.raises(ScenarioError) as info:
        controls.with_segment_average(test_scenario, "churn", 0.9, "new")
    paths = [path for path, _ in info.value.problems]
    assert "segments[1].churn" in paths, f"the Core segment's churn should be named: {info.value.problems}"
    lines = controls.describe_problems(info.value.problems, test_scenario.to_dict())
    assert any(line.startswith("segment 2 (Core) · churn") for line in lines), lines


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
    return controls.budgets_frame(s), controls.levers_frame(s), controls.segments_frame(s)


def test_editor_tables_read_back_to_the_same_scenario(test_scenario):
    budgets, levers, segments = _tables(test_scenario)
    again = controls.scenario_from_editor(test_scenario, _general(test_scenario), budgets, levers, segments)
    assert again == test_scenario, "an untouched editor must not change the scenario"


def test_editor_keeps_the_status_quo_following_the_plan():
    from simulation.io.presets import load_preset

    s = load_preset().model_copy(update={"baseline_budget": None})
    budgets, levers, segments = _tables(s)
    budgets.loc["Plan", "Acquisition"] = 1000.0
    edited = controls.scenario_from_editor(s, _general(s), budgets, levers, segments)
    assert edited.baseline_budget is None, "an untouched status quo should keep following the plan"


def test_editor_applies_ranges_weights_and_new_segments(test_scenario):
    budgets, levers, segments = _tables(test_scenario)
    levers.loc["acquisition.market_size", "Value"] = "50000"
    segments.loc[0, "churn"] = "0.03 / 0.04 / 0.06"
    segments.loc[0, "retention"] = 2.0
    segments.loc[1, "retention"] = 1.0
    edited = controls.scenario_from_editor(test_scenario, _general(test_scenario), budgets, levers, segments)
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
        controls.scenario_from_editor(test_scenario, general, budgets, levers, segments)
    paths = {path for path, _ in info.value.problems}
    for expected in ("simulation.seed", "horizon", "retention.cost_per_save", "segments[0].gross_margin"):
        assert expected in paths, f"{expected} not reported; got {sorted(paths)}"
    assert "segments[1].churn" in paths, f"the unreadable churn is not reported; got {sorted(paths)}"
    assert sum(path == "segments[1].churn" for path, _ in info.value.problems) == 1, "reported twice"
