"""The Plan page's programmes box: its sentences are true of their numbers, and it adds, edits, switches
and removes programmes through the scenario's validation."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from simulation import parse_scenario
from simulation.decide.programme_value import ProgrammeValue
from simulation.model.programmes import Programme
from ui.plan import programmes as box
from ui.shared import cache, style
from ui.shared.safe_text import code

from .conftest import start_app
from .markdown_reading import as_read
from .test_app_plan import assert_clean, current, widget

MONEY = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@st.composite
def values(draw):
    runs = draw(st.integers(min_value=10, max_value=5000))
    better = draw(st.integers(min_value=0, max_value=runs))
    mean = draw(st.one_of(MONEY, st.sampled_from([0.0, 0.49, -0.49, 0.5, -0.5, 1.0, -1.0])))
    low, high = sorted(draw(st.lists(MONEY, min_size=2, max_size=2)))
    return ProgrammeValue("Loyalty", "all", "operating_npv", mean, low, mean, high, better / runs, 10.0, runs)


@given(values(), st.sampled_from(["USD", "EUR", "JPY"]))
def test_a_contribution_sentence_says_what_its_numbers_say(value, currency):
    text = box.contribution_text(value, currency)
    tiny = style.money(abs(value.mean), currency) == style.money(0.0, currency)
    assert ("adds " in text) == (value.mean > 0 and not tiny), text
    assert ("takes " in text) == (value.mean < 0 and not tiny), text
    assert ("less than" in text) == tiny, text
    if not tiny:
        assert style.money(abs(value.mean), currency) in text, "the average it quotes is the average's"
    assert f"between {style.money(value.p5, currency)} and {style.money(value.p95, currency)}" in text
    better = re.search(r"better with it in ([\d,]+) of ([\d,]+) futures", text)
    count = int(better[1].replace(",", ""))
    assert count == round(value.share_positive * value.runs) and int(better[2].replace(",", "")) == value.runs
    pays = value.mean > 0 and 2 * count > value.runs
    assert ("**it pays**" in text) == pays and ("does not pay" in text) == (not pays), text


def test_the_thresholds_of_paying_are_strict():
    at_half = ProgrammeValue("P", "all", "npv", 10.0, -1.0, 5.0, 20.0, 0.5, 1.0, 100)
    assert "does not pay" in box.contribution_text(at_half, "USD"), "half the futures is not more than half"
    zero = ProgrammeValue("P", "all", "npv", 0.0, -1.0, 0.0, 1.0, 0.9, 1.0, 100)
    assert "does not pay" in box.contribution_text(zero, "USD") and "less than $1" in box.contribution_text(zero, "USD")


def test_costs_and_coverage_in_words():
    p = Programme(name="Tier", covers=["A", "B"], fixed_cost=1200, cost_per_customer=3, revenue_share=0.02)
    assert as_read(box.covers_text(p)) == "segments A and B"
    assert (
        box.costs_text(p, "EUR", "month")
        == "€1.20k per month + €3 per covered customer per month + 2.0 % of their revenue"
    )
    assert box.costs_text(Programme(name="Free"), "EUR", "month") == "nothing"
    assert box.covers_text(Programme(name="All")) == "every segment"


PROGRAMMES = """
[[programmes]]
name = "Key care"
covers = "Key"
cost_per_customer = 20
churn_multiplier = { low = 0.6, high = 0.8 }
"""


def _open(scenario):
    at = start_app(scenario)
    at.session_state[box.K_OPEN] = True
    at.run()
    assert_clean(at)
    return at


def test_the_box_lists_each_programme_with_its_contribution_and_switches_it(test_scenario):
    scenario = parse_scenario(test_scenario.to_toml() + PROGRAMMES).replace(simulation={"runs": 60, "seed": 7})
    at = _open(scenario)
    said = " ".join(as_read(m.value) for m in at.markdown)
    (value,) = cache.programme_values(current(at))
    assert as_read(box.contribution_text(value, current(at).currency)) in said, said
    widget(at.toggle, "On").set_value(False).run()
    assert_clean(at)
    assert [p.enabled for p in current(at).programmes] == [False], "switched off, kept in the scenario"
    assert "Switched off" in " ".join(c.value for c in at.caption)
    at.button(key="plan_programme_remove_0_Key care").click().run()
    assert_clean(at)
    assert current(at).programmes is None, "removed"


def test_the_box_adds_a_programme_and_names_a_bad_value(test_scenario):
    at = _open(test_scenario.replace(simulation={"runs": 60, "seed": 7}))
    widget(at.text_input, "Name").set_value("Loyalty tier")
    widget(at.number_input, "Share of their revenue (a discount, %)").set_value(2.0)
    at.button(key="plan_programme_None_apply").click().run()
    assert_clean(at)
    (added,) = current(at).programmes
    assert added.name == "Loyalty tier" and added.revenue_share == 0.02 and added.covers == "all"
    assert "Programme costs" in at.dataframe[0].value["Line"].tolist(), "its cost has its own line in the P&L"
    widget(at.selectbox, "Programme").set_value(box.NEW).run()
    widget(at.text_input, "Name").set_value("Loyalty tier")  # the name is taken
    at.button(key="plan_programme_None_apply").click().run()
    assert any("programme names must be unique" in as_read(e.value) for e in at.error), [e.value for e in at.error]
    assert len(current(at).programmes) == 1, "a bad programme leaves the scenario as it was"


def _seek_result(**changes):
    from simulation.decide.seek import SeekResult

    base = dict(
        target="npv", level=1e6, confidence=0.8, solve="programme_effect", value=-0.25, low=-0.3, high=-0.2,
        reachable=True, best_level=1.01e6, current=-0.1, runs=1000, seed=1, programme="Key care",
    )  # fmt: skip
    return SeekResult(**{**base, **changes})


@given(
    value=st.floats(min_value=-0.99, max_value=1.0, allow_nan=False),
    current=st.floats(min_value=-0.99, max_value=1.0, allow_nan=False),
    reachable=st.booleans(),
)
def test_goal_seeking_a_programmes_effect_reads_true(value, current, reachable):
    from tests.helpers import scenario as make_scenario
    from ui.plan import text as plan_text

    text = as_read(
        plan_text.seek_text(_seek_result(value=value, current=current, reachable=reachable), make_scenario())
    )
    assert "programme Key care" in text, text
    if not reachable:
        assert text.startswith("**Out of reach**"), text
        return
    if round(abs(value - current) * 1000) == 0:
        assert text.startswith("**Nothing to change**"), text
        return
    shown = style.percent(abs(value), 1)
    if round(abs(value) * 1000) == 0:
        assert "leaving its customers' churn as it is**" in text, text
    else:
        assert f"churn {'lower' if value < 0 else 'higher'} by {shown}**" in text, text
    assert "The scenario assumes programme Key care" in text


def test_the_what_does_it_take_box_offers_each_programmes_effect(test_scenario):
    from ui.plan import seek as seek_box

    scenario = parse_scenario(test_scenario.to_toml() + PROGRAMMES)
    assert seek_box.solve_choices(scenario)[-1] == "programme_effect:Key care"
    assert seek_box.solve_words("programme_effect:Key care") == "the effect of programme Key care on churn"
    off = scenario.replace(programmes=[{**scenario.programmes[0].model_dump(), "enabled": False}])
    assert not any(c.startswith("programme_effect") for c in seek_box.solve_choices(off))


def test_the_reports_key_assumptions_name_the_running_programmes():
    from simulation.io.presets import load_preset
    from ui.shared import report

    rows = dict(map(tuple, report.assumption_rows(load_preset("wholesale_loyalty"))))
    assert rows["Programmes"] == "Loyalty tier; Contact plan, A; Contact plan, B and C"
    assert "Programmes" not in dict(map(tuple, report.assumption_rows(load_preset())))


def test_a_hostile_programme_name_is_shown_as_typed(test_scenario):
    hostile = "www.evil.example **bold** [x](https://evil.example)"
    scenario = parse_scenario(test_scenario.to_toml()).replace(
        simulation={"runs": 20, "seed": 7},
        programmes=[{"name": hostile, "covers": "Key", "churn_multiplier": 0.9, "fixed_cost": 10.0}],
    )
    at = _open(scenario)
    quoted = [m.value for m in at.markdown if "evil" in m.value]
    assert quoted, "the programme is listed"
    for text in quoted:
        assert hostile not in text.replace(code(hostile), ""), f"the name only inside a code span: {text}"
        assert as_read(text).count(hostile) >= 1
