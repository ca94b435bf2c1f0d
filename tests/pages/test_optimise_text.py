"""The Optimise page's sentences, read as a person reads them."""

from __future__ import annotations

import re

import pytest

from simulation.decide import optimize_split
from tests.helpers import scenario
from ui.optimise import text as words


@pytest.fixture(scope="module")
def result():
    sc = scenario(budget={"acquisition": 40_000, "retention": 10_000}, horizon=24)
    return optimize_split(sc, runs=120, seed=5, grid=11)


def _money(text: str) -> float:
    """A money amount as written (``$1.23M``, ``$45.6k``, ``$950``) read back into a number."""
    m = re.search(r"\$([0-9][0-9,.]*)([kMB]?)", text)
    assert m, f"no money amount in {text!r}"
    return float(m[1].replace(",", "")) * {"": 1, "k": 1e3, "M": 1e6, "B": 1e9}[m[2]]


def test_answer_states_the_split_and_the_budget_it_implies(result):
    text = words.answer_text(result)
    assert text.startswith(f"Put {round(result.best_share * 100)} % of the budget into acquisition"), text
    amount = _money(text.split("about", 1)[1])
    assert amount == pytest.approx(result.best_budget.acquisition, rel=0.01), "the acquisition spend as read"


def test_spans_and_percentages_read_as_whole_percents():
    assert words.pct(0.12) == "12 %", "a share as a whole percent"
    assert words.span(0.551, 0.549) == "at 55 %", "two shares that round alike are one figure"
    assert words.span(0.55, 0.7) == "between 55 % and 70 %"
    assert words.points_text(0.2) == "less than a point"
    assert words.points_text(1.0) == "at most 1 point"
    assert words.points_text(3.2) == "at most 3 points"


def test_signed_text_gives_the_direction_and_the_unit():
    assert words.signed_text(-1500.0, "money", "USD").startswith("-"), "a loss reads negative"
    assert words.signed_text(0.03, "percent", "USD") == "+3 pts", "a change in probability is in points"
    assert words.signed_text(float("nan"), "money", "USD") is None, "no figure, no text"


def test_noise_text_names_the_runs_and_the_range(result):
    text = words.noise_text(result)
    assert f"{result.runs:,} simulated futures" in text, text
    lo, hi = result.best_share_range
    assert words.pct(lo) in text and words.pct(hi) in text, text


def test_plan_text_compares_the_plan_with_the_best(result):
    text = words.plan_text(result, "money")
    assert text is not None and f"Your plan puts {words.pct(result.plan_share)} into acquisition" in text, text


def test_next_dollar_reads_the_marginal_returns(result):
    value, _, caption = words.next_dollar(result, "retention", 24)
    assert value == f"{result.marginal.retention_units_per_1000:.3g} churns prevented", value
    assert f"${result.marginal.retention_return:.2f} back per $1 spent" in caption, caption


def test_budget_size_text_points_the_way_to_widen_the_range(result):
    obj = result.objective_info
    top = words.budget_size_text(2e5, 1e4, 2e5, 0.5, obj, "USD", "month")
    assert "still rises at the top" in top, top
    bottom = words.budget_size_text(1e4, 1e4, 2e5, 0.5, obj, "USD", "month")
    assert "highest at the bottom" in bottom, bottom
    middle = words.budget_size_text(5e4, 1e4, 2e5, 0.5, obj, "USD", "month")
    assert "stops paying at about" in middle and "50 %" in middle, middle
