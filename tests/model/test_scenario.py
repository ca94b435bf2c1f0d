"""Scenario files: validation (every problem named by field), defaults, loading and round trips."""

import json

import pytest

from simulation import Budget, ScenarioError, load_scenario, parse_scenario, scenario_from_dict
from simulation.io.presets import list_presets, load_preset
from simulation.model.distributions import Distribution
from simulation.model.scenario import Acquisition, Segment, bounds_of
from tests.helpers import make


def problems_of(data):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return info.value.problems


def paths_of(data):
    return [path for path, _ in problems_of(data)]


def test_minimal_scenario_gets_defaults():
    sc = parse_scenario(
        """
name = "Minimal"
[budget]
acquisition = 1000
[[segments]]
name = "All"
customers = 100
revenue_per_customer = 50
churn = 0.03
"""
    )
    assert sc.period == "month" and sc.horizon == 60, "period and horizon default to 60 months"
    assert sc.budget.retention == 0 and sc.budget.expansion == 0, "unnamed levers default to no spend"
    assert sc.baseline == sc.budget, "no baseline_budget means the status quo is the plan itself"
    assert sc.shares == [1.0], "a single segment takes every new customer"
    assert sc.cac_central == pytest.approx(7 * 200), "CAC defaults to 7 x the default cost per save"
    assert sc.simulation.runs == 1000, "runs default to 1,000"


def test_unknown_key_is_named_with_allowed_keys():
    probs = problems_of(make(bogus=1, segment={"churm": 0.1}))
    messages = dict(probs)
    assert "bogus" in messages and "unknown field" in messages["bogus"], f"unknown top-level key named: {probs}"
    assert "segments[0].churm" in messages, f"a typo inside a segment is named by its path: {probs}"
    assert "churn" in messages["segments[0].churm"], "the message lists the allowed keys"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"horizon": "sixty"}, "horizon"),
        ({"horizon": 0}, "horizon"),
        ({"period": "week"}, "period"),
        ({"budget": {"acquisition": -1}}, "budget.acquisition"),
        ({"budget": {"retention": "lots"}}, "budget.retention"),
        ({"segment": {"churn": 1.5}}, "segments[0].churn"),
        ({"segment": {"gross_margin": -0.1}}, "segments[0].gross_margin"),
        ({"segment": {"customers": 10.5}}, "segments[0].customers"),
        ({"segment": {"churn_heterogeneity": 1.0}}, "segments[0].churn_heterogeneity"),
        ({"retention": {"max_churn_reduction": 1.2}}, "retention.max_churn_reduction"),
        ({"acquisition": {"max_new_per_period": 0}}, "acquisition.max_new_per_period"),
        ({"segments": []}, "segments"),
        ({"simulation": {"runs": 1}}, "simulation.runs"),
    ],
)
def test_wrong_type_or_out_of_range_is_named(change, path):
    paths = paths_of(make(**change))
    assert path in paths, f"expected a problem at {path}, got {paths}"


def test_every_problem_is_listed_at_once():
    data = make(horizon=-1, budget={"acquisition": -5}, segment={"churn": 2, "new_customer_share": 0.4})
    data["segments"].append(dict(data["segments"][0], name="B", churn=0.1, new_customer_share=0.4))
    paths = paths_of(data)
    for expected in ("horizon", "budget.acquisition", "segments[0].churn", "segments.new_customer_share"):
        assert expected in paths, f"{expected} missing from {paths}"


def test_shares_must_sum_to_one():
    data = make()
    data["segments"][0]["new_customer_share"] = 0.7
    data["segments"].append(dict(data["segments"][0], name="B", new_customer_share=0.2))
    probs = problems_of(data)
    assert any(p == "segments.new_customer_share" and "sum to 1" in m for p, m in probs), probs


def test_shares_all_or_none():
    data = make()
    data["segments"][0]["new_customer_share"] = 1.0
    data["segments"].append(dict(data["segments"][0], name="B"))
    del data["segments"][1]["new_customer_share"]
    probs = problems_of(data)
    assert any("every segment or for none" in m for _, m in probs), probs


def test_cac_given_both_ways_is_rejected():
    probs = problems_of(make(acquisition={"cost_multiplier": 7, "cost_per_customer": 1000}))
    assert any(p == "acquisition" and "not both" in m for p, m in probs), probs


def test_duplicate_segment_names_and_unknown_weights():
    data = make(retention={"weights": {"Z": 1}})
    data["segments"].append(dict(data["segments"][0]))
    probs = problems_of(data)
    assert any("repeated: A" in m for _, m in probs), f"duplicate names reported: {probs}"


def test_weights_must_name_segments():
    probs = problems_of(make(retention={"weights": {"Z": 1}}))
    assert any(p == "retention.weights" and "unknown segment" in m for p, m in probs), probs


@pytest.mark.parametrize(
    ("churn", "fragment"),
    [
        ({"low": 0.1}, "a distribution is"),
        ({"low": 0.2, "high": 0.1}, "low <= high"),
        ({"low": 0.1, "mode": 0.3, "high": 0.2}, "low <= mode <= high"),
        ({"mean": 0.1, "sd": -1}, "sd must be 0 or more"),
        ({"low": 0.1, "high": 1.5}, "distribution high must be"),
        ({"low": "x", "high": 0.2}, "low"),
        ("0.1", "must be a number"),
    ],
)
def test_malformed_distribution(churn, fragment):
    probs = problems_of(make(segment={"churn": churn}))
    assert any(p == "segments[0].churn" and fragment in m for p, m in probs), f"{fragment!r} not in {probs}"


def test_distributions_are_parsed():
    sc = scenario_from_dict(make(segment={"churn": {"low": 0.03, "mode": 0.05, "high": 0.1}}))
    churn = sc.segments[0].churn
    assert isinstance(churn, Distribution) and churn.kind == "triangular", "a {low, mode, high} table is triangular"
    assert churn.expected == pytest.approx(0.06), "triangular mean is (low + mode + high) / 3"


def test_syntax_errors_are_reported_not_raised():
    with pytest.raises(ScenarioError) as info:
        parse_scenario("name = ")
    assert "not valid TOML" in info.value.describe(), "TOML syntax errors get a message"
    with pytest.raises(ScenarioError) as info:
        parse_scenario("{", fmt="json")
    assert "not valid JSON" in info.value.describe(), "JSON syntax errors get a message"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(b"\xff\xfe", fmt="toml")
    assert "UTF-8" in info.value.describe(), "binary files get a message"


def test_json_is_accepted_and_toml_round_trips(tmp_path):
    data = make(segment={"churn": {"low": 0.03, "high": 0.06}}, retention={"weights": {"A": 1}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    sc = load_scenario(path)
    again = parse_scenario(sc.to_toml())
    assert again == sc, "a scenario written as TOML reads back identical"
    assert again.canonical_json() == sc.canonical_json(), "canonical JSON is stable"


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.toml")
    assert "cannot read" in info.value.describe(), "a missing file is reported, not raised as OSError"


def test_scenario_is_frozen():
    sc = scenario_from_dict(make())
    with pytest.raises(Exception, match="frozen"):
        sc.horizon = 3


def test_presets_are_valid_and_round_trip():
    keys = list_presets()
    assert len(keys) >= 4, f"at least four presets ship: {keys}"
    assert keys[0] == "saas_mid_market", "the default preset comes first"
    periods = set()
    for key in keys:
        sc = load_preset(key)
        periods.add(sc.period)
        assert parse_scenario(sc.to_toml()) == sc, f"{key} round-trips through TOML"
    assert {"month", "quarter"} <= periods, "presets cover monthly and quarterly planning"
    default = load_preset()
    assert len(default.segments) == 4 and default.horizon == 60 and default.period == "month", (
        "the default preset has 4 segments and 60 monthly periods"
    )


def test_with_split_keeps_other_levers():
    sc = scenario_from_dict(make(budget={"acquisition": 600, "retention": 400, "expansion": 50}))
    b = sc.budget.with_split(1000, 0.25)
    assert (b.acquisition, b.retention, b.expansion) == (pytest.approx(237.5), pytest.approx(712.5), 50), (
        "with_split divides the total less the other levers"
    )


def test_bounds_are_read_from_the_schema_also_for_optional_fields():
    assert bounds_of(Acquisition, "cost_multiplier").lo == 1, "the cost multiple's bounds are in the schema"
    share = bounds_of(Segment, "new_customer_share")
    assert (share.lo, share.hi) == (0, 1), f"the share is in [0, 1]: {share}"
    churn = bounds_of(Segment, "churn")
    assert (churn.lo, churn.hi, churn.hi_open) == (0, 1, True), f"churn is in [0, 1): {churn}"
    assert bounds_of(Budget, "acquisition").lo == 0, "budgets are non-negative"
