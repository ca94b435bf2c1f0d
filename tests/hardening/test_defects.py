"""The seven defects of the hardening review, each reproduced as it was reported.

Every test here fails on the code before the fix: by timing out (the endless Binomial draw), by an
exception other than a message naming a field, or by a wrong or unbounded message.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation import ScenarioError, compare, parse_scenario, scenario_from_dict
from simulation.decide import optimize_split
from simulation.errors import InputError
from simulation.io.sharing import SharingError, decode_scenario, encode_scenario
from simulation.model.closed_forms import beta_classes
from simulation.model.limits import MAX_SIMULATION_STEPS, PATH_STEPS, WorkLimitError
from simulation.numerics.keyed_random import binomial_array
from tests.hardening.invariants import assert_sound
from tests.helpers import make

ROOT = Path(__file__).resolve().parents[2]


def problems(data) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return info.value.problems


def issue_example(max_new: float, seed: int) -> dict:
    """The scenario of defect 1: one small segment, large budgets, a huge acquisition ceiling."""
    return {
        "name": "Defect 1",
        "budget": {"acquisition": 1_134_181, "retention": 1_134_181},
        "acquisition": {"max_new_per_period": max_new, "cost_multiplier": 53.87},
        "retention": {"cost_per_save": 736.57},
        "segments": [{"name": "A", "customers": 485, "revenue_per_customer": 100, "churn": 0.01}],
        "simulation": {"runs": 10, "seed": seed},
    }


# 1. The engine never loops for ever ---------------------------------------------------------------


@pytest.mark.timeout(120)
def test_binomial_with_huge_n_and_tiny_p_ends_with_the_right_mean():
    # The draw that hung: n = 5e17 potential deals, each closing with probability 5.7e-17.
    # 2,000 draws of a Binomial with mean 28.5 have a mean within 5 sd (5 x sqrt(28.5 / 2000)
    # = 0.60) of 28.5 except with probability below 1e-6.
    n, p, draws = 5 * 10**17, 5.7e-17, 2000
    values = binomial_array(np.uint64(7), np.full(draws, n, dtype=np.int64), np.full(draws, p))
    assert abs(values.mean() - n * p) < 5 * np.sqrt(n * p / draws), f"mean {values.mean()} far from {n * p}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("n", "p"), [(2**62, 0.3), (2**62, 1e-18), (10**9, 1 - 1e-7), (31, 0.9999999999)])
def test_binomial_at_extreme_arguments_ends_inside_its_support(n, p):
    values = binomial_array(np.uint64(3), np.full(200, n, dtype=np.int64), np.full(200, p))
    assert (values >= 0).all() and (values <= n).all(), f"Binomial({n}, {p}) outside [0, n]"
    assert abs(values.mean() - n * p) <= 10 * np.sqrt(n * p * (1 - p) / 200) + 1, "mean far from n p"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("seed", [42, 7335])
def test_issue_scenario_is_refused_by_name_and_its_largest_valid_form_runs(seed):
    found = problems(issue_example(5e17, seed))
    assert [p for p, _ in found] == ["acquisition.max_new_per_period"], f"refused by field: {found}"
    assert "1e+09" in found[0][1], f"the message says the allowed range: {found}"
    comparison = compare(scenario_from_dict(issue_example(1e9, seed)))
    assert_sound(comparison.plan)
    assert_sound(comparison.baseline)


# 2. One work limit ----------------------------------------------------------------------------------


def _oversized() -> dict:
    data = make(horizon=600, simulation={"runs": 2000, "seed": 1})
    data["segments"] = [dict(data["segments"][0], name=f"S{i}") for i in range(50)]
    return data


def test_simulation_beyond_the_limit_is_refused_before_any_work():
    scenario = scenario_from_dict(_oversized())
    with pytest.raises(WorkLimitError) as info:
        compare(scenario)
    message = str(info.value)
    assert message.startswith("simulation.runs:"), f"names the field: {message}"
    fit = MAX_SIMULATION_STEPS // (600 * (50 + PATH_STEPS))
    assert f"use {fit:,} runs or fewer" in message, f"says what to reduce: {message}"


def test_optimiser_sweep_beyond_the_limit_is_refused():
    data = make(horizon=600, simulation={"runs": 500, "seed": 1})
    data["segments"] = [dict(data["segments"][0], name=f"S{i}") for i in range(50)]
    with pytest.raises(WorkLimitError, match="reduce the grid or the runs"):
        optimize_split(scenario_from_dict(data), grid=201)


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "simulation", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_cli_runs_are_bounded_by_the_schema(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(make()))
    done = _cli("run", str(path), "--runs", "1000000000")
    assert done.returncode == 2, f"exit 2, got {done.returncode}: {done.stderr}"
    assert "--runs" in done.stderr and "100,000 or less" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_cli_refuses_an_oversized_scenario_with_the_field_to_change(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_oversized()))
    done = _cli("run", str(path))
    assert done.returncode == 2 and "simulation.runs:" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


# 3. Inputs that crashed ----------------------------------------------------------------------------


def test_null_inside_a_distribution_names_the_field():
    found = problems(make(segment={"churn": {"low": None, "high": 0.1}}))
    assert found and found[0][0] == "segments[0].churn" and "low must be a number" in found[0][1], found


def test_list_as_a_segment_name_names_the_field():
    found = problems(make(segment={"name": ["a", "b"]}, retention={"weights": {"A": 1}}))
    assert "segments[0].name" in [p for p, _ in found], found


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("[" * 100_000 + "]" * 100_000, "json"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "json"),
        ("a = " + "[" * 100_000 + "]" * 100_000, "toml"),
    ],
)
def test_deep_nesting_is_a_message(text, fmt):
    with pytest.raises(ScenarioError, match="nest"):
        parse_scenario(text, fmt)


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_an_integer_of_thousands_of_digits_is_a_message(fmt):
    data = make()
    text = json.dumps(data).replace('"customers": 10000', '"customers": ' + "9" * 5000)
    if fmt == "toml":
        text = (
            parse_scenario(json.dumps(data), "json").to_toml().replace("customers = 10000", "customers = " + "9" * 5000)
        )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, fmt)
    assert "digits" in info.value.describe() and len(info.value.describe()) < 300, info.value.describe()


def test_a_four_hundred_digit_number_is_refused_by_field():
    found = problems(make(segment={"revenue_per_customer": 10**400}))
    assert found[0][0] == "segments[0].revenue_per_customer" and "401 digits" in found[0][1], found


def test_byte_order_mark_is_skipped():
    text = parse_scenario(json.dumps(make()), "json").to_toml()
    scenario = parse_scenario("\ufeff".encode() + text.encode(), "toml")
    assert scenario.name == "Test", "a file saved with a byte-order mark opens"


# 4. Degenerate churn mixes -------------------------------------------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("churn", "phi"), [(1e-17, 0.2), (1e-300, 0.5), (0.9999999999999999, 0.72), (0.5, 0.999)])
def test_extreme_churn_runs_and_is_sound(churn, phi):
    scenario = scenario_from_dict(make(segment={"churn": churn, "churn_heterogeneity": phi}))
    comparison = compare(scenario, runs=20)
    assert_sound(comparison.plan)


def test_heterogeneity_next_to_one_is_refused_by_name():
    found = problems(make(segment={"churn_heterogeneity": 0.9999999999999999}))
    assert found == [("segments[0].churn_heterogeneity", "must be in [0, 0.999]; got 0.9999999999999999")], found


def test_gauss_jacobi_rules_are_finite_for_every_valid_mix():
    churn = np.array([0, 1e-300, 1e-17, 1e-12, 1e-9, 0.01, 0.5, 1 - 1e-12, 0.9999999999999999])
    phi = np.array([0, 1e-10, 0.2, 0.72, 0.999])
    c, p = np.meshgrid(churn, phi, indexing="ij")
    nodes, weights = beta_classes(c, p, 40.0, 16)
    assert np.isfinite(nodes).all() and np.isfinite(weights).all(), "rules are finite"
    assert np.allclose(weights.sum(-1), 1.0) and (weights >= 0).all(), "weights are a distribution"


# 5. NaN, infinity, overflow ------------------------------------------------------------------------


@pytest.mark.parametrize("sd", [float("nan"), float("inf")])
def test_normal_with_non_finite_sd_is_refused(sd):
    found = problems(make(segment={"revenue_per_customer": {"mean": 100, "sd": sd}}))
    assert found == [("segments[0].revenue_per_customer", "sd must be a finite number")], found


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("budget", "acquisition", 1.7e308),
        ("acquisition", "max_new_per_period", 1e18),
        ("acquisition", "market_size", 1e12),
        ("retention", "cost_per_save", 1e300),
        ("segment", "upsell_uplift", 1e308),
        ("segment", "revenue_per_customer", 1e300),
    ],
)
def test_every_field_has_a_finite_upper_bound(section, field, value):
    data = make(segment={field: value}) if section == "segment" else make(**{section: {field: value}})
    paths = [p for p, _ in problems(data)]
    expected = f"segments[0].{field}" if section == "segment" else f"{section}.{field}"
    assert paths == [expected], f"refused by name: {paths}"


@pytest.mark.timeout(180)
def test_largest_valid_values_give_sound_results():
    data = make(
        budget={"acquisition": 1e12, "retention": 1e12, "expansion": 1e12, "winback": 1e12},
        acquisition={"cost_per_customer": 1e-3, "max_new_per_period": 1e9, "market_size": 1e9},
        segment={"customers": 100_000_000, "revenue_per_customer": 1e9, "upsell_rate": 1, "upsell_uplift": 10},
        horizon=60,
    )
    comparison = compare(scenario_from_dict(data), runs=10)
    assert_sound(comparison.plan)
    assert comparison.plan.paths["active_customers"].min() >= 0, "never fewer than no customers"


# 6. Plain-text names --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["A\u202eB", "A\u200bB", "A\x07B", "A\u2066B"])
@pytest.mark.parametrize("where", ["name", "segment", "currency"])
def test_invisible_and_control_characters_are_refused_in_names(bad, where):
    data = make(segment={"name": bad}) if where == "segment" else make(**{where: bad[:8]})
    paths = [p for p, _ in problems(data)]
    assert paths == [{"name": "name", "segment": "segments[0].name", "currency": "currency"}[where]], paths


@pytest.mark.parametrize("currency", ["www.x.co", "WWW.X.CO", "a www.xy"])
def test_a_currency_cannot_be_a_web_address(currency):
    # it is printed inside Markdown beside every amount, where "www.x.co" would be a live link
    assert [p for p, _ in problems(make(currency=currency))] == ["currency"], f"{currency!r} refused"
    assert scenario_from_dict(make(currency="kr.")).currency == "kr.", "a symbol with a dot is still a currency"


def test_description_keeps_line_breaks_but_not_bidi_overrides():
    assert scenario_from_dict(make(description="line one\nline two")).description.count("\n") == 1, "newline kept"
    assert [p for p, _ in problems(make(description="evil \u202e text"))] == ["description"], "override refused"


# 7. Bounded messages, field paths, exact tokens -----------------------------------------------------


def test_a_long_value_is_not_echoed():
    found = problems(make(description="x" * 500_153, currency="y" * 100_000))
    text = ScenarioError(found).describe()
    assert len(text) < 600, f"message of {len(text):,} characters"
    assert "500,153" not in text or "characters" in text, text


def test_a_long_unknown_key_is_not_echoed():
    data = make()
    data["k" * 100_000] = 1
    text = ScenarioError(problems(data)).describe()
    assert len(text) < 1000, f"message of {len(text):,} characters"


def test_cross_field_problems_have_a_field_path():
    data = make(retention={"weights": {"Nobody": 1.0}})
    data["segments"][0]["new_customer_share"] = 0.5
    found = problems(data)
    assert all(path for path, _ in found), f"every problem has a path: {found}"
    assert {p for p, _ in found} == {"retention.weights", "segments.new_customer_share"}, found


@pytest.mark.parametrize("garbage", ["A", "AA", "AAA", "AAAA", "AAAAAAAA", "_-_-"])
def test_share_token_with_trailing_garbage_is_refused(garbage):
    token = encode_scenario(scenario_from_dict(make()))
    with pytest.raises(InputError):
        decode_scenario(token + garbage)
    assert decode_scenario(token).name == "Test", "the link itself still opens"


def test_share_token_with_deep_json_is_a_message():
    import base64
    import zlib

    payload = zlib.compress(("[" * 100_000 + "]" * 100_000).encode(), 9)
    token = "v1." + base64.urlsafe_b64encode(payload).decode().rstrip("=")
    with pytest.raises(SharingError):
        decode_scenario(token)


def test_an_unknown_empty_key_has_a_quoted_path():
    data = make()
    data[""] = 1
    assert [p for p, _ in problems(data)] == ['""'], "an empty key is named, quoted"


def test_a_budget_with_nothing_to_split_by_gives_zero_not_nan():
    # found by the long fuzz run: no customers and no churn, a retention budget of 1.8e8
    data = make(budget={"retention": 179_769_314.0}, segment={"customers": 0, "revenue_per_customer": 0, "churn": 0})
    comparison = compare(scenario_from_dict(data), runs=10)
    assert_sound(comparison.plan)


def test_payback_without_margin_is_undefined_not_infinite():
    # found by the long fuzz run: revenue 0 makes CAC / margin infinite
    data = make(budget={"acquisition": 164.0}, segment={"customers": 0, "revenue_per_customer": 0, "churn": 0})
    payback = compare(scenario_from_dict(data), runs=10).plan.kpis["cac_payback_periods"]
    assert np.isnan(payback).all(), f"payback without margin is undefined: {payback}"


def test_a_budget_split_by_a_subnormal_value_stays_finite():
    # found by the long fuzz run: churn 5e-324 makes the value at risk subnormal and amount / value overflow
    data = make(budget={"retention": 179_769_314.0}, segment={"customers": 0, "revenue_per_customer": 0, "churn": 0})
    data["segments"].append({"name": "B", "customers": 1, "revenue_per_customer": 1.0, "churn": 5e-324})
    comparison = compare(scenario_from_dict(data), runs=10)
    assert_sound(comparison.plan)


def test_a_spend_below_a_cent_is_refused():
    # found by the long fuzz run: a status-quo budget of 5e-324 made the return on spend infinite
    found = problems(make(baseline_budget={"acquisition": 5e-324}))
    assert found == [("baseline_budget.acquisition", "must be 0 or at least 0.01; got 5e-324")], found
