"""The Portfolio verdict's sentences are true of the numbers they quote: both signs, at and around each threshold."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from simulation.decide.programme_value import ProgrammeValue
from ui.portfolio import verdict_text
from ui.portfolio.verdict import churn_frame, pricing_frame, programme_frame
from ui.shared import precision
from ui.shared.style import money, percent, points

money_amounts = st.floats(min_value=0, max_value=1e9, allow_nan=False)
shares = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(money_amounts, money_amounts)
@example(0.0, 100.0)
@example(100.0, 100.0)
@example(100.0, 100.004)
@example(100.01, 100.0)
@example(99.99, 100.0)
def test_a_plan_is_said_to_cost_more_than_it_saves_exactly_when_it_does(cost, protected):
    text = verdict_text.pricing_sentence("A", cost, protected, "USD", 5)
    assert money(protected, "USD") in text, text
    if cost <= 0:
        assert "no contact" in text and "costs more" not in text, text
    elif abs(cost - protected) < verdict_text.CENT:
        assert "costs as much as it can save" in text, text
    elif cost > protected:
        assert "**it costs more than it can save**" in text and money(cost - protected, "USD") in text, text
    else:
        assert "costs less than it can save" in text and money(protected - cost, "USD") in text, text


@given(shares, shares, st.floats(-1e7, 1e7), st.floats(0, 1e6), st.floats(1e5, 1e9))
@example(0.5, 0.5, 0.0, 1.0, 1e6)  # the same split
@example(0.40, 0.45, 10.0, 100.0, 1e6)  # within noise
@example(0.40, 0.45, 5000.0, 10.0, 1e6)  # under 1 % of NPV
@example(0.45, 0.40, 50_000.0, 10.0, 1e6)  # a gain, towards retention
@example(0.40, 0.45, 50_000.0, 10.0, 1e6)  # a gain, towards acquisition
def test_the_split_verdict_is_the_plan_pages_judgement_of_the_same_numbers(plan, best, gain, se, best_value):
    text = verdict_text.split_sentence(plan, best, (min(plan, best), best), gain, se, best_value, "USD", 8000, "month")
    apart = round(best * 100) - round(plan * 100)
    verdict = precision.closeness(apart, gain, se, best_value, is_money=True)
    assert f"puts **{percent(best, 0)}** into acquisition" in text and f"put {percent(plan, 0)}." in text, text
    assert f"budgets ({money(8000, 'USD')} per month;" in text, "the total split, the programmes outside it"
    expected = {
        precision.SAME: "is at the best",
        precision.NOISE: "within noise of the best",
        precision.IMMATERIAL: "as good as the best in practice",
        precision.GAIN: "**Move ",
    }[verdict]
    assert expected in text, (verdict, text)
    if verdict in (precision.IMMATERIAL, precision.GAIN):
        side = "acquisition" if apart > 0 else "retention"
        assert f"{points(abs(apart) / 100)} to {side}" in text, text
        assert money(gain, "USD") in text, text


@st.composite
def programme_runs(draw):
    runs = draw(st.integers(1, 100_000))
    better = draw(st.one_of(st.integers(0, runs), st.sampled_from([runs // 2, runs // 2 + 1, (runs + 1) // 2])))
    mean = draw(st.one_of(st.floats(-1e8, 1e8), st.sampled_from([0.0, 0.004, -0.004, 0.006, -0.006, 1.0, -1.0])))
    low, high = sorted(draw(st.lists(st.floats(-1e8, 1e8), min_size=2, max_size=2)))
    return draw(st.integers(1, 20)), mean, low, high, min(better, runs), runs


@given(programme_runs(), st.sampled_from(["USD", "EUR", "JPY"]))
@example((1, 10.0, -1.0, 20.0, 50, 100), "USD")  # half the futures: not more than half
@example((1, 10.0, -1.0, 20.0, 51, 100), "USD")  # just more than half
@example((2, 0.0, -1.0, 1.0, 90, 100), "USD")  # no change on average
@example((3, -250.0, -900.0, 100.0, 70, 100), "EUR")  # better in most futures, worse on average
def test_what_the_programmes_add_reads_as_its_numbers(case, currency):
    count, mean, low, high, better, runs = case
    text = verdict_text.programmes_sentence(count, mean, low, high, better, runs, currency)
    tiny = money(abs(mean), currency) == money(0.0, currency)
    assert ("add " in text) == (mean > 0 and not tiny), text
    assert ("take " in text) == (mean < 0 and not tiny), text
    assert ("by less than" in text) == tiny, text
    if not tiny:
        assert money(abs(mean), currency) in text, "the average it quotes is the average's"
    assert f"between {money(low, currency)} and {money(high, currency)}" in text, text
    assert f"in {better:,} of {runs:,} futures" in text, text
    pays = mean > 0 and 2 * better > runs
    assert ("**the contact plans pay**" in text) == pays, text
    assert ("**the contact plans do not pay**" in text) == (not pays), text
    assert ("its programme" in text) == (count == 1) and ((f"their {count:,} programmes" in text) == (count > 1))


@given(shares, st.floats(-1e8, 1e8), st.floats(-1e8, 1e8))
@example(0.5, -1.0, 1.0)
@example(0.504, -1.0, 1.0)
@example(0.506, -1.0, 1.0)
@example(0.494, -1.0, 1.0)
@example(0.0, -5.0, -1.0)
@example(1.0, 1.0, 5.0)
def test_the_chance_of_beating_todays_spend_reads_as_shown(p, low, high):
    text = verdict_text.beats_sentence(p, low, high, "USD")
    shown = percent(p, 0)
    assert f"**{shown}** of futures" in text, text
    number = float(shown.removesuffix(" %"))
    if number > 50:
        assert "more likely than not to beat" in text, text
    elif number < 50:
        assert "more likely to fall short of" in text, text
    else:
        assert "as likely to beat as to fall short of" in text, text
    assert f"{money(low, 'USD')} to {money(high, 'USD')}" in text, text


@given(st.integers(1, 10**6), shares, shares, shares)
@example(1000, 0.025, 0.025, 0.038)
@example(1000, 0.0249, 0.025, 0.038)
@example(1000, 0.0244, 0.025, 0.038)
@example(1000, 0.0381, 0.025, 0.038)
@example(1000, 0.0386, 0.025, 0.038)
def test_last_years_churn_is_placed_against_the_range_as_shown(customers, observed, low, high):
    low, high = min(low, high), max(low, high)
    left = round(observed * customers)
    text = verdict_text.churn_check_sentence(left, customers, observed, low, high)
    o, lo, hi = (float(percent(x).removesuffix(" %")) for x in (observed, low, high))
    assert f"{percent(low)} to {percent(high)}" in text and f"({percent(observed)})" in text, text
    if o < lo:
        assert "**below the simulated range**" in text, text
    elif o > hi:
        assert "**above the simulated range**" in text, text
    else:
        assert "**inside the simulated range**" in text, text


def test_the_tables_read_as_formatted_text():
    pricing = pd.DataFrame(
        {
            "class": ["A", "B"],
            "customers": [1200, 0],
            "cost_per_period": [1500.0, 0.0],
            "plan_cost": [71_000.0, 0.0],
            "at_risk": [250_000.0, math.nan],
            "keeps": [0.3, 0.2],
            "protected": [75_000.0, math.nan],
            "pays": [True, None],
        }
    )
    frame = pricing_frame(pricing, "EUR", "month")
    assert list(frame.iloc[0]) == ["A", "1,200", money(1500.0, "EUR"), money(71_000.0, "EUR"),
                                   money(250_000.0, "EUR"), "30 %", money(75_000.0, "EUR"),
                                   "may pay: ask the simulator"]  # fmt: skip
    assert frame.iloc[1]["verdict"] == "not priced (no fit)", frame.iloc[1].to_dict()
    check = pd.DataFrame(
        {"class": ["A"], "customers": [2283], "left": [66], "observed": [66 / 2283], "expected": [0.0304],
         "simulated": [0.0311], "low": [0.0254], "high": [0.0377]}
    )  # fmt: skip
    row = churn_frame(check).iloc[0].to_dict()
    assert row["active a year ago"] == "2,283" and row["observed churn"] == "2.9 %", row
    assert row["simulated 90 % range"] == "2.5 % to 3.8 %", row
    assert np.all([isinstance(v, str) for v in row.values()]), row
    values = [
        ProgrammeValue("Contact plan A: visit", "A tenure 0-11 months", "operating_npv", 47_000.0, -1.2e5, 4e4,
                       2.6e5, 0.619, 245_070.5, 1000),
        ProgrammeValue("Contact plan D: newsletter", "D tenure 0-11 months", "operating_npv", -3_700.0, -11_070.0,
                       -4_229.0, 5_032.0, 0.5, 12_644.6, 1000),
    ]  # fmt: skip
    frame = programme_frame(values, "EUR")
    assert list(frame.iloc[0]) == ["Contact plan A: visit", money(47_000.0, "EUR"),
                                   f"{money(-1.2e5, 'EUR')} to {money(2.6e5, 'EUR')}", "619 of 1,000",
                                   money(245_070.5, "EUR"), "pays"]  # fmt: skip
    assert frame.iloc[1]["verdict"] == "does not pay" and frame.iloc[1]["futures better with it"] == "500 of 1,000"
