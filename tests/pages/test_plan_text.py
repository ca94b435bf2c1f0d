"""The Plan page's sentences, tables and control limits, read as a person reads them."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from simulation import simulate
from simulation.decide import optimize_split
from simulation.engines.paths import PNL_LABELS, pnl_metrics
from simulation.model import edits
from simulation.model.distributions import central
from tests.helpers import scenario
from ui.optimise import text as optimise_text
from ui.plan import controls as plan_controls
from ui.plan import text as plan_text
from ui.shared import pnl, precision, style

from .markdown_reading import as_read


@pytest.fixture(scope="module")
def base():
    sc = scenario(budget={"acquisition": 40_000, "retention": 10_000}, horizon=24)
    return sc, optimize_split(sc, runs=120, seed=5, grid=11)


def _gains(mean: float, sd: float, n: int = 1000) -> np.ndarray:
    """Run-by-run gains with exactly this mean and standard deviation (so the verdict is known)."""
    z = np.random.default_rng(3).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


# One rule for precision ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("apart", "gain", "se", "verdict"),
    [
        (0, 5e6, 1.0, precision.SAME),
        (12, 10.0, 10.0, precision.NOISE),  # half the 2-SE threshold
        (12, 34_600.0, 4_150.0, precision.IMMATERIAL),  # beyond noise, but 0.04 % of 77.6M
        (12, 2e6, 1e5, precision.GAIN),
        (3, 1.0, math.nan, precision.NOISE),
    ],
)
def test_closeness_separates_noise_from_an_immaterial_and_a_real_gain(apart, gain, se, verdict):
    assert precision.closeness(apart, gain, se, 77.6e6, True) == verdict, f"{gain} ± {se} should be {verdict}"


def test_a_tiny_gain_on_a_large_npv_is_not_presented_as_a_win(base):
    sc, best = base
    plan = best.best_share - 0.12
    text = plan_text.recommendation(dataclasses.replace(best, best_value=77.6e6), plan, _gains(34_600, 131_000), sc)
    assert "as good as the best in practice" in text, f"a 0.04 % difference should not read as a win: {text}"
    assert "Moving" not in text.split("**")[1], f"the sentence should not lead with a move: {text}"
    assert "moving 12 points to acquisition adds" in text, f"the move should say which way: {text}"


def test_a_real_gain_says_how_many_points_which_way_and_how_often(base):
    sc, best = base
    plan = round(best.best_share * 100 + 12) / 100
    if plan > 1:
        plan = round(best.best_share * 100 - 12) / 100
    gains = _gains(abs(best.best_value) * 0.05 + 1000, abs(best.best_value) * 0.01)
    text = plan_text.recommendation(best, plan, gains, sc)
    side = "retention" if plan > best.best_share else "acquisition"
    assert f"**Moving 12 points to {side} adds" in text, f"the move should be stated in points: {text}"
    assert "better in 100 % of 1,000 futures" in text, f"how often it is better: {text}"
    assert "The best split for NPV puts" in text and "Why:" in text, f"best split and reason missing: {text}"


def test_a_noisy_difference_says_within_noise(base):
    sc, best = base
    text = plan_text.recommendation(best, best.best_share - 0.05, _gains(10.0, 1000.0), sc)
    assert "within noise of the best" in text, text


def test_one_point_is_singular(base):
    sc, best = base
    # one point below the best as the page rounds it (the best share may fall on a half point)
    plan = (round(best.best_share * 100) - 1) / 100 if best.best_share > 0.01 else 0.01
    gains = _gains(abs(best.best_value) * 0.05 + 1000, 1.0)
    text = plan_text.recommendation(best, plan, gains, sc)
    assert "1 point " in text and "1 points" not in text, f"one point, not one points: {text}"


# Why: from the optimiser's marginal returns ---------------------------------------------------
def test_lever_fill_inverts_the_saturating_response():
    # units = C (1 - exp(-x)): at x = 3 the next 1,000 buys 1000 exp(-3) / m units; the fill is 1 - exp(-3)
    m = 250.0
    units_per_1000 = 1000 * math.exp(-3) / m
    assert plan_text.lever_fill(units_per_1000, m) == pytest.approx(1 - math.exp(-3), rel=1e-12), "fill"
    assert plan_text.lever_fill(10.0, 0.0) != plan_text.lever_fill(10.0, 0.0), "no cost, no fill (NaN)"


def test_why_names_retention_as_the_limit_when_it_is_saturated(base):
    sc, best = base
    cost = central(sc.retention.cost_per_save)
    saturated = dataclasses.replace(
        best.marginal, share=0.5, retention_units_per_1000=1000 * 0.05 / cost, acquisition_units_per_1000=0.5
    )
    text = plan_text.why_text(dataclasses.replace(best, marginal=saturated), sc)
    assert "retention is funded to 95 % of what it can do" in text, text
    assert "churners it can reach are the limit" in text, text


# The outcome view -----------------------------------------------------------------------------
def test_gain_bins_cover_every_future_and_never_straddle_zero():
    gain = np.random.default_rng(1).normal(2e5, 3e5, 4000)
    rows = plan_text.gain_bins(gain)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0), "the bins should hold every future"
    for r in rows:
        assert not (r["start"] < 0 < r["end"]), f"a bin straddles zero: {r}"
        assert (r["side"] == "Loss") == (r["end"] <= 0), f"a bin's side should follow its sign: {r}"
    loss = sum(r["share"] for r in rows if r["side"] == "Loss")
    assert loss == pytest.approx(np.mean(gain < 0), abs=1e-12), "the red bars should hold the losing futures"


def test_loss_text_states_the_chance_of_a_loss():
    gain = np.array([-2.0e6, -1.0e5, 3e5, 4e5] * 25)
    text = plan_text.loss_text(gain, "USD")
    assert "**50 %**" in text and "$2.00M" in text, text
    assert "all 100 futures" in plan_text.loss_text(np.ones(100), "USD")


# Year by year ---------------------------------------------------------------------------------
def test_year_labels_say_when_a_year_is_short():
    assert pnl.year_label(3, 25, 30, "month") == "Year 3 (months 25–30)", "a short last year says which months"
    assert pnl.year_label(3, 25, 25, "month") == "Year 3 (month 25)", "a one-period year names its period"
    assert pnl.year_label(1, 1, 4, "quarter") == "Year 1"


def test_year_table_reads_as_money_with_its_range(test_scenario):
    result = simulate(test_scenario.replace(horizon=25, currency="EUR"), runs=60, seed=2)
    table = pnl.display_table(pnl.YearTable.of(result), "EUR", "month")
    assert list(table.columns) == ["Line", "Year 1", "Year 2", "Year 3 (month 25)"], list(table.columns)
    assert table["Line"].tolist() == [PNL_LABELS[m] for m in pnl_metrics(test_scenario)], table["Line"].tolist()
    cell = re.compile(r"-?€[\d.,]+[kMB]? \(-?€[\d.,]+[kMB]? to -?€[\d.,]+[kMB]?\)")
    for column in table.columns[1:]:
        assert all(cell.fullmatch(x) for x in table[column]), f"{column}: {table[column].tolist()}"


# Controls -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [("200,000", 200_000), ("200 000", 200_000), ("250k", 250_000), ("$1.5M", 1.5e6), ("950", 950), ("12.5", 12.5)],
)
def test_amounts_are_read_as_people_type_them(text, value):
    assert plan_controls.parse_amount(text) == pytest.approx(value), f"{text!r} should read as {value}"


@pytest.mark.parametrize("text", ["lots", "", "1,2,3k!", "k"])
def test_text_that_is_not_an_amount_is_refused(text):
    with pytest.raises(ValueError):
        plan_controls.parse_amount(text)


def test_multiplier_slider_starts_where_the_range_stays_valid():
    sc = scenario(acquisition={"cost_per_customer": None, "cost_multiplier": {"low": 4, "mode": 6, "high": 10}})
    mc = plan_controls.multiplier_control(sc)
    assert (mc.value, mc.which) == (6, "mode"), f"the slider shows the file's mode: {mc}"
    assert mc.low == pytest.approx(1.5), "scaling 4..10 by 1.5/6 puts its low end at the bound of 1"
    moved = edits.with_cost_multiplier(sc, mc.low * mc.per_stated)
    assert moved.acquisition.cost_multiplier.low == pytest.approx(1.0), "the slider's low end is applicable"
    assert moved.acquisition.cost_multiplier.mode == pytest.approx(1.5), "and the mode lands on the slider's value"


def test_multiplier_message_is_in_business_words():
    sc = scenario()
    from simulation import ScenarioError

    exc = ScenarioError([("segments[0].churn", "distribution high must be in [0, 1); got 1.2")])
    text = plan_text.control_problem("plan_churn", 120.0, exc, sc)
    assert text.startswith("**Churn was not changed.**"), text
    assert "churn of segment A" in as_read(text), f"the segment is named in words: {text}"
    assert "segments[" not in text and "distribution high" not in text, f"no field paths: {text}"


def test_optimise_page_says_within_1_percent_rather_than_a_win(base):
    _, best = base
    plan = best.plan_share
    points = best.points.copy()
    row = (points["acquisition_share"] - plan).abs() < 1e-9
    points.loc[row, "diff_se"] = 4_150.0
    tiny = dataclasses.replace(
        best, points=points, best_minus_plan=34_600.0, best_value=77.6e6, p_best_beats_plan=0.57, best_share=plan + 0.12
    )
    text = optimise_text.plan_text(tiny, "money")
    assert "as good as the best in practice" in text and "under 1 %" in text, text
    noisy = dataclasses.replace(tiny, best_minus_plan=5_000.0)
    assert "within noise of the best" in optimise_text.plan_text(noisy, "money")


def test_long_runs_say_how_long_they_take():
    assert optimise_text.sweep_wait_text(None, 41, 5000).endswith("futures…"), "no estimate before any timing"
    assert "(about 26 s)" in optimise_text.sweep_wait_text(26.4, 41, 5000)
    assert "(about 2 min)" in optimise_text.sweep_wait_text(130, 41, 5000)
    assert style.duration(200) == "3 min" and style.duration(4.2) == "4 s"


@pytest.mark.parametrize("text", ["1,5M", "1,50,000", "12,5k", "2 50k"])
def test_a_decimal_comma_is_refused_not_read_as_thousands(text):
    with pytest.raises(plan_controls.ControlError, match="use a dot for a decimal"):
        plan_controls.parse_amount(text)


def test_an_amount_in_another_currency_is_refused():
    assert plan_controls.parse_amount("$300k", "USD") == 300_000, "the scenario's own sign is read"
    assert plan_controls.parse_amount("USD 300k", "USD") == 300_000, "the scenario's own code is read"
    with pytest.raises(plan_controls.ControlError, match="in €, this scenario in USD"):
        plan_controls.parse_amount("€300k", "USD")


@pytest.mark.parametrize(
    ("key", "text", "words"),
    [
        ("plan_total", "1,5M", "use a dot for a decimal"),
        ("plan_total", "€300k", "in €, this scenario in USD"),
        ("plan_total", "-5", "cannot be negative"),
        ("plan_status_quo_total", "-5", "cannot be negative"),
        ("plan_revenue", "-5", "cannot be negative"),
    ],
)
def test_each_refused_amount_names_the_field_and_what_is_allowed(key, text, words):
    sc = scenario(currency="USD")
    with pytest.raises(plan_controls.ControlError) as caught:
        plan_controls._amount(text, sc)
    message = plan_text.control_problem(key, text, caught.value, sc)
    assert message.startswith(f"**{plan_text.CONTROL_NAMES[key]} was not changed.**"), message
    assert words in message, f"{words!r} should be in {message!r}"
    assert "expansion and win-back" not in message, f"a negative amount is not about expansion: {message!r}"


def test_a_budget_far_beyond_the_revenue_gets_a_note():
    sc = scenario(currency="USD")
    assert plan_controls.plausibility_note("plan_total", 200_000, sc) is None, "an ordinary budget gets no note"
    note = plan_controls.plausibility_note("plan_total", plan_controls.parse_amount("1000B"), sc)
    assert note and "The total budget is $1.00T per month" in note, f"a trillion a month gets a note: {note!r}"
