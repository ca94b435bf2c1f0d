"""Scenario edits in business terms, and scenario numbers as text."""

from __future__ import annotations

import pytest

from simulation import ScenarioError
from simulation.model import edits, param_text
from simulation.model.distributions import Distribution, central


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
    assert param_text.format_param(value) == text, f"{value!r} written as {param_text.format_param(value)!r}"
    parsed = param_text.parse_param(text, "x")
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
    assert param_text.parse_param(text, "x") == expected, f"{text!r}"


def test_unreadable_param_text_names_the_field():
    with pytest.raises(ScenarioError) as info:
        param_text.parse_param("about two percent", "segments[1].churn")
    (path, message), *_ = info.value.problems
    assert path == "segments[1].churn" and "got 'about two percent'" in message, info.value.problems


def test_split_and_total_move_only_what_they_should(test_scenario):
    split = edits.with_split(test_scenario, 0.25)
    assert split.budget.total == pytest.approx(test_scenario.budget.total), "the split must keep the total"
    assert split.budget.acquisition_share == pytest.approx(0.25), "the split was not applied"
    assert split.baseline == test_scenario.baseline, "the status quo must not move with the plan"
    total = edits.with_total(split, 30000)
    assert total.budget.total == pytest.approx(30000) and total.budget.acquisition_share == pytest.approx(
        0.25
    ), f"the total must keep the split: {total.budget}"
    with pytest.raises(ScenarioError):
        edits.with_split(test_scenario, 1.5)


def test_total_below_the_fixed_levers_is_refused(test_scenario):
    with_fixed = test_scenario.with_budget(test_scenario.budget.model_copy(update={"expansion": 5000.0}))
    with pytest.raises(ScenarioError) as info:
        edits.with_total(with_fixed, 1000)
    assert "expansion and win-back" in info.value.problems[0][1], info.value.problems


def test_cost_multiplier_scales_the_range_and_keeps_its_shape(test_scenario):
    assert edits.cost_multiplier(test_scenario) == pytest.approx(25), "triangular 20/25/30 has centre 25"
    moved = edits.with_cost_multiplier(test_scenario, 10)
    assert edits.cost_multiplier(moved) == pytest.approx(10), "the centre should reach the target"
    dist = moved.acquisition.cost_multiplier
    assert (dist.low, dist.mode, dist.high) == pytest.approx((8, 10, 12)), f"the range should scale: {dist}"


def test_cost_multiplier_with_a_given_cac_scales_the_cac(test_scenario):
    data = test_scenario.to_dict()
    data["acquisition"] = {"cost_per_customer": 4000.0, "max_new_per_period": 80}
    with_cac = test_scenario.replace(acquisition=data["acquisition"])
    assert edits.cost_multiplier(with_cac) == pytest.approx(10), "4000 / 400"
    moved = edits.with_cost_multiplier(with_cac, 20)
    assert moved.acquisition.cost_per_customer == pytest.approx(8000), "the CAC should double"
    assert moved.acquisition.cost_multiplier is None, "a scenario gives a multiple or a CAC, not both"


def test_segment_average_scales_every_segment_by_one_factor(test_scenario):
    before = [central(s.revenue_per_customer) for s in test_scenario.segments]
    old = edits.segment_average(test_scenario, "revenue_per_customer")
    moved = edits.with_segment_average(test_scenario, "revenue_per_customer", old * 1.1)
    after = [central(s.revenue_per_customer) for s in moved.segments]
    assert edits.segment_average(moved, "revenue_per_customer") == pytest.approx(old * 1.1), "target missed"
    assert [a / b for a, b in zip(after, before, strict=True)] == pytest.approx([1.1, 1.1]), "segments scaled apart"


def test_segment_average_from_zero_sets_every_segment(test_scenario):
    zero = edits.with_segment_average(test_scenario, "upsell_rate", 0.0)
    assert edits.segment_average(zero, "upsell_rate") == 0.0, "the average should reach zero"
    back = edits.with_segment_average(zero, "upsell_rate", 0.01)
    assert [s.upsell_rate for s in back.segments] == [0.01, 0.01], "from zero every segment gets the target"


def test_out_of_range_average_names_the_segment(test_scenario):
    with pytest.raises(ScenarioError) as info:
        edits.with_segment_average(test_scenario, "churn", 0.9, "new")
    paths = [path for path, _ in info.value.problems]
    assert "segments[1].churn" in paths, f"the Core segment's churn should be named: {info.value.problems}"


def test_the_budget_knows_its_core_and_its_split():
    from simulation.model.scenario import Budget

    b = Budget(acquisition=30, retention=10, expansion=5, winback=2)
    assert (b.core, b.fixed, b.total) == (40, 7, 47), "core = acquisition + retention; fixed = expansion + win-back"
    assert b.acquisition_share == pytest.approx(0.75), "the share is of the core, not of the total"
    assert Budget(expansion=5).acquisition_share is None, "nothing to split has no share"
    assert Budget(retention=10).acquisition_share == 0.0 and Budget(acquisition=1).acquisition_share == 1.0
