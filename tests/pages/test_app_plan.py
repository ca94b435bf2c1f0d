"""The Plan page through Streamlit's AppTest, started from app.py as a user would open it."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from simulation import KPIS, PATH_METRICS, compare, scenario_from_dict
from simulation.io.presets import DEFAULT_PRESET, list_presets, load_preset
from simulation.io.sharing import QUERY_PARAM, encode_scenario
from simulation.model import edits
from ui.shared import cache, widgets

from .conftest import DEFAULT_START, start_app, start_app_warm, start_warm
from .markdown_reading import as_read, page_heading

SPLIT = "Acquisition share of the budget"
MULTIPLIER = "Acquiring a customer costs N× retaining one"
P_BEATS = "Chance the plan beats the status quo"


# Reading the page ---------------------------------------------------------------------------
def widget(elements, label: str):
    found = [w for w in elements if w.label == label]
    assert found, f"no widget labelled {label!r}; found {[w.label for w in elements]}"
    return found[0]


def labelled(elements, pattern: str):
    found = [w for w in elements if re.search(pattern, w.label)]
    assert found, f"no widget whose label matches {pattern!r}; found {[w.label for w in elements]}"
    return found[0]


def metric(at, label: str):
    return widget(at.metric, label)


def percent(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?) %", text.strip())
    assert m, f"not a percentage: {text!r}"
    return float(m[1]) / 100


SCALE = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def amount(text: str) -> float:
    """A signed figure as the page writes it: ``+€1.43M``, ``-8``, ``+0.3×``."""
    m = re.fullmatch(r"([+-]?)[^\d+-]*?([\d,]+(?:\.\d+)?)([kMBT]?)\D*", text.strip())
    assert m, f"not a figure: {text!r}"
    value = float(m[2].replace(",", "")) * SCALE[m[3]]
    return -value if m[1] == "-" else value


def errors(at) -> str:
    """The error messages as a person reads them (user text in them is in code spans)."""
    return "\n".join(as_read(e.value) for e in at.error)


def current(at):
    return at.session_state["scenario"]


def assert_clean(at) -> None:
    assert not at.exception, f"the page raised: {[e.value for e in at.exception]}"
    assert not at.error, f"the page shows errors: {errors(at)}"


def title_is(at, name: str) -> bool:
    """The page's heading reads exactly ``name``."""
    return page_heading(at) == name


def figures(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


# The chance card and the headline figures; the others are built when "More figures" is opened.
CARDS = 1 + len(widgets.PRIMARY_KPIS)
ALL_CARDS = 1 + len(widgets.HEADLINE_KPIS)


def open_more_figures(at):
    """Open the "More figures" expander (its cards are built only while it is open) and rerun."""
    at.session_state["plan_more_figures"] = True
    return at.run()


# Rendering ----------------------------------------------------------------------------------
def test_default_page_renders_the_default_preset():
    at = start_app()
    assert_clean(at)
    assert title_is(at, load_preset(DEFAULT_PRESET).name), "the app should open on the default preset"
    assert len(at.metric) == CARDS, f"expected the chance card and the headline figures, got {len(at.metric)}"
    open_more_figures(at)
    assert_clean(at)
    assert len(at.metric) == ALL_CARDS, f"opened, More figures adds the others: got {len(at.metric)}"
    assert "operating_npv" in widgets.PRIMARY_KPIS and "operating_npv" in widgets.HEADLINE_KPIS, (
        "operating profit is a headline figure now that the model has it"
    )


def test_key_widgets_have_their_stable_labels(app):
    assert_clean(app)
    widget(app.slider, SPLIT)
    widget(app.slider, MULTIPLIER)
    widget(app.metric, P_BEATS)
    widget(app.text_input, "Scenario name")
    widget(app.button, "Save scenario")
    assert any(h.value == "Share this scenario" for h in app.subheader), "the share heading is missing"
    assert "?s=v1." in app.code[0].value, f"the share link is not in the code block: {app.code[0].value[:80]}"
    labels = {b.label for b in app.get("download_button")}
    for label in ("Scenario (TOML)", "Projections of the plan (CSV)", "PNG", "SVG"):
        assert label in labels, f"download {label!r} missing; found {sorted(labels)}"


def test_controls_show_the_scenario(app, test_scenario):
    assert widget(app.slider, SPLIT).value == 90.0, "54k of 60k on acquisition is a 90 % share"
    assert widget(app.slider, MULTIPLIER).value == 25.0, "the triangular 20/25/30 multiple has centre 25"
    churn = labelled(app.number_input, r"^Churn per month").value
    expected = edits.segment_average(test_scenario, "churn", "new") * 100
    assert churn == pytest.approx(expected, abs=1e-3), f"churn control {churn} should show {expected:.3f} %"


# The main question ----------------------------------------------------------------------------
def test_retention_pays_when_acquisition_is_dear_and_not_when_it_is_cheap(app):
    # Derivation of the margins (400 runs, seed 7, common random numbers): at 25x, 30 % to acquisition
    # gives a median NPV gain of about +1.4M against the status quo with a run-to-run sd of about
    # 0.24M, so the median's standard error (about 1.25 * 0.24M / sqrt(400) = 0.015M) cannot flip its
    # sign, and the plan wins in every run (the share's SE is at most sqrt(0.25 / 400) = 0.025). At 2x
    # the same split loses about 1.5M (sd 0.47M) and wins in no run.
    widget(app.slider, SPLIT).set_value(30.0).run()
    assert_clean(app)
    assert current(app).budget.acquisition_share == pytest.approx(0.30), "the split did not reach the plan"
    dear = {
        "p": percent(metric(app, P_BEATS).value),
        "npv": amount(metric(app, "NPV").delta),
        "customers": amount(metric(app, "Final customers").delta),
    }
    assert dear["p"] >= 0.95, f"at 25x, more retention should beat the status quo almost always; got {dear['p']}"
    assert dear["npv"] > 0, f"at 25x, more retention should raise NPV against the status quo; got {dear['npv']}"
    assert dear["customers"] > 0, f"at 25x, more retention should keep more customers; got {dear['customers']}"

    widget(app.slider, MULTIPLIER).set_value(2.0).run()
    assert_clean(app)
    assert edits.cost_multiplier(current(app)) == pytest.approx(2.0), "the multiple did not reach the plan"
    cheap_p = percent(metric(app, P_BEATS).value)
    cheap_npv = amount(metric(app, "NPV").delta)
    assert cheap_p <= 0.05, f"at 2x, moving the budget to retention should rarely win; got {cheap_p}"
    assert cheap_npv < 0, f"at 2x, moving the budget to retention should lower NPV; got {cheap_npv}"
    assert cheap_npv < dear["npv"], "cheaper acquisition should make the retention-heavy plan look worse"


def test_plan_equal_to_status_quo_says_so(app):
    assert metric(app, P_BEATS).value == "—", "a plan identical to the status quo has nothing to beat"
    assert any("budget is the status quo" in m.value for m in app.markdown), "the page should say why"


def test_total_budget_keeps_the_split(app):
    labelled(app.text_input, r"^Total budget per month").set_value("120,000").run()
    assert_clean(app)
    budget = current(app).budget
    assert (budget.acquisition, budget.retention) == pytest.approx((108000, 12000)), f"got {budget}"


def test_churn_control_scales_every_segment_and_keeps_the_ranges(app, test_scenario):
    before = {s.name: s.churn for s in test_scenario.segments}
    old = edits.segment_average(test_scenario, "churn", "new")
    labelled(app.number_input, r"^Churn per month").set_value(round(old * 150, 3)).run()
    assert_clean(app)
    factor = round(old * 150, 3) / 100 / old
    for seg in current(app).segments:
        was = before[seg.name]
        assert seg.churn.kind == was.kind, f"{seg.name}: the churn range lost its form"
        assert seg.churn.low == pytest.approx(was.low * factor), f"{seg.name}: low not scaled by {factor:.4f}"
        assert seg.churn.high == pytest.approx(was.high * factor), f"{seg.name}: high not scaled by {factor:.4f}"


def test_churn_control_stops_where_every_segment_stays_valid(app, test_scenario):
    # Core's churn range tops out at 7 %; scaling it past 100 % is impossible, so the control stops there.
    from ui.plan import controls as plan_controls

    average = edits.segment_average(test_scenario, "churn", "new")
    limit = average / 0.07 * 100 * 0.999
    _, allowed = plan_controls.rate_allowed(test_scenario, plan_controls.K_CHURN)
    assert allowed == pytest.approx(limit, abs=1e-3), f"the churn control should stop at {limit:.3f} %"
    labelled(app.number_input, r"^Churn per month").set_value(allowed).run()
    assert_clean(app)
    top = max(s.churn.high for s in current(app).segments)
    assert top < 1, f"at the control's end every churn range should stay below 100 %; the top is {top}"


def test_a_churn_above_the_limit_is_explained(app, test_scenario):
    from ui.plan import controls as plan_controls

    _, allowed = plan_controls.rate_allowed(test_scenario, plan_controls.K_CHURN)
    labelled(app.number_input, r"^Churn per month").set_value(99.0).run()
    assert not app.exception, "a value above the limit must not raise"
    message = errors(app)
    assert "Churn was not changed" in message, f"the message should name the field: {message!r}"
    assert f"to {allowed:g} %" in message, f"the message should say what is allowed ({allowed:g} %): {message!r}"
    assert current(app) == test_scenario, "a rejected value must leave the scenario as it was"
    shown = labelled(app.number_input, r"^Churn per month").value
    assert shown == pytest.approx(
        average_churn := round(edits.segment_average(test_scenario, "churn", "new") * 100, 3)
    ), f"the box shows the scenario's churn again ({average_churn}), not {shown}"


def test_a_typed_amount_that_is_not_one_is_explained_in_business_words(app, test_scenario):
    labelled(app.text_input, r"^Total budget per month").set_value("lots").run()
    assert not app.exception, "a bad value must not raise"
    message = errors(app)
    assert "The total budget was not changed" in message, f"no message for the bad amount: {message!r}"
    assert "250,000" in message, f"the message should say how to type an amount: {message!r}"
    assert not re.search(r"\bbudget\.|\w+\.\w+:", message), f"the message should not name field paths: {message!r}"
    assert current(app) == test_scenario, "a rejected value must leave the scenario as it was"
    assert labelled(app.text_input, r"^Total budget per month").value == "60,000", "the box should show the plan again"


# Opening scenarios ----------------------------------------------------------------------------
def test_bad_upload_shows_the_problems_and_keeps_the_scenario(app, test_scenario):
    bad = (
        test_scenario.to_toml()
        .replace("gross_margin = 0.8", "gross_margin = 1.8")
        .replace('currency = "EUR"', 'currency = "EUR"\ncolour = "blue"')
    )
    app.file_uploader[0].set_value(("broken.toml", bad.encode(), "application/toml")).run()
    assert not app.exception, "a bad file must not raise"
    message = errors(app)
    assert "broken.toml" in message and "could not be opened" in message, f"no message for the bad file: {message!r}"
    assert "gross_margin" in message and "Key" in message, f"the bad field is not named: {message!r}"
    assert "colour" in message and "unknown field" in message, f"the unknown key is not named: {message!r}"
    assert current(app) == test_scenario, "a bad file must leave the scenario as it was"
    assert len(app.metric) == CARDS, "the page should keep working after a bad file"


def test_unreadable_upload_says_it_is_not_toml(app):
    app.file_uploader[0].set_value(("notes.toml", b"this is = = not toml", "application/toml")).run()
    assert not app.exception, "an unreadable file must not raise"
    assert "not valid TOML" in errors(app), f"got {errors(app)!r}"


def test_good_json_upload_opens_it(app, test_scenario):
    data = test_scenario.replace(name="From a JSON file", horizon=24).to_dict()
    app.file_uploader[0].set_value(("plan.json", json.dumps(data).encode(), "application/json")).run()
    assert_clean(app)
    assert title_is(app, "From a JSON file"), "the uploaded scenario should replace the current one"
    assert current(app).horizon == 24, "the uploaded scenario's fields should be used"


# Sharing ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "token",
    ["v1.this-is-not-a-scenario", "v7.abc", "nonsense", ""],
    ids=["damaged", "unknown-version", "no-version", "empty"],
)
def test_broken_share_link_shows_a_message_and_opens_the_default(token):
    # the link opens the default preset: the engine results of the session's first default start serve it
    at = start_warm(DEFAULT_START, lambda: start_app(token=token))
    assert not at.exception, f"a broken link must not raise: {at.exception}"
    assert "could not be opened" in errors(at), f"no message for link {token!r}: {errors(at)!r}"
    assert title_is(at, load_preset(DEFAULT_PRESET).name), "a broken link should fall back to the default"
    assert len(at.metric) == CARDS, "the page should work after a broken link"


def test_tampered_share_link_is_caught(test_scenario):
    token = encode_scenario(test_scenario)
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    at = start_app(token=tampered)
    assert not at.exception, "a tampered link must not raise"
    assert "could not be opened" in errors(at), f"no message for the tampered link: {errors(at)!r}"


def test_share_link_reopens_the_same_scenario_and_figures(app):
    widget(app.slider, SPLIT).set_value(55.0).run()
    assert_clean(app)
    link = app.code[0].value
    token = parse_qs(urlsplit(link).query)[QUERY_PARAM][0]
    other = start_app(token=token)
    assert_clean(other)
    assert current(other) == current(app), "the link should carry the whole scenario"
    assert figures(other) == figures(app), "the link should reproduce every headline figure"


def test_pending_split_from_another_page_is_applied_once(test_scenario):
    from streamlit.testing.v1 import AppTest

    from .conftest import APP, APP_TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.query_params[QUERY_PARAM] = encode_scenario(test_scenario)
    at.session_state["pending_split"] = 0.4
    at.run()
    assert_clean(at)
    assert current(at).budget.acquisition_share == pytest.approx(0.4), "the suggested split was not applied"
    assert "pending_split" not in at.session_state, "the suggestion should be consumed"
    assert widget(at.slider, SPLIT).value == 40.0, "the slider should show the applied split"


def test_two_sessions_never_share_a_scenario(test_scenario):
    first, second = start_app(test_scenario), start_app(test_scenario)
    widget(first.slider, SPLIT).set_value(20.0).run()
    second.run()
    assert current(first).budget.acquisition_share == pytest.approx(0.2), "first session not moved"
    assert current(second).budget.acquisition_share == pytest.approx(0.9), "second session was changed"
    assert widget(second.slider, SPLIT).value == 90.0, "the other session's slider moved"


# All assumptions ------------------------------------------------------------------------------
def open_assumptions(at):
    at.session_state["plan_assumptions_open"] = True
    return at.run()


def test_assumptions_editor_is_built_only_when_opened(app):
    assert not [b for b in app.button if b.label == "Apply changes"], "a closed editor should not be built"
    open_assumptions(app)
    assert_clean(app)
    widget(app.button, "Apply changes")


def test_assumptions_editor_applies_valid_changes(app):
    open_assumptions(app)
    labelled(app.number_input, r"^Horizon").set_value(24)
    widget(app.text_input, "Title").set_value("Shorter horizon")
    widget(app.button, "Apply changes").click().run()
    assert_clean(app)
    assert current(app).horizon == 24, "the edited horizon was not applied"
    assert title_is(app, "Shorter horizon"), "the edited title was not applied"


def test_assumptions_editor_names_every_bad_field(app, test_scenario):
    open_assumptions(app)
    widget(app.text_input, "Title").set_value("")
    widget(app.text_input, "Seed").set_value("seven")
    widget(app.button, "Apply changes").click().run()
    assert not app.exception, "bad edits must not raise"
    message = errors(app)
    assert "Not applied" in message, f"no message for the rejected edit: {message!r}"
    assert "name" in message, f"the empty title is not named: {message!r}"
    assert "simulation.seed" in message and "whole number" in message, f"the bad seed is not named: {message!r}"
    assert current(app) == test_scenario, "a rejected edit must leave the scenario as it was"


# Every preset, oversized scenarios, exports ---------------------------------------------------
@pytest.mark.parametrize("key", list_presets())
def test_every_preset_opens_cleanly(key):
    at = start_app_warm()
    widget(at.selectbox, "Start from an example").select(key).run()
    assert_clean(at)
    assert title_is(at, load_preset(key).name), f"choosing {key} should open it"
    open_more_figures(at)
    assert_clean(at)
    assert len(at.metric) == ALL_CARDS, f"{key}: figures are missing"


def test_oversized_scenario_gets_a_message_not_a_stall(test_scenario):
    huge = test_scenario.replace(horizon=600, simulation={"runs": 100_000, "seed": 1})
    at = start_app(huge)
    assert not at.exception, "an oversized scenario must not raise"
    message = errors(at)
    assert "simulation.runs" in message and "runs or fewer" in message, f"no actionable message: {message!r}"
    assert any(e.label == "All assumptions" for e in at.expander), "the editor must stay available to shrink it"
    assert not at.metric, "no figures should be shown for a scenario that was not simulated"


def test_projections_csv_has_the_command_line_format(test_scenario):
    csv = cache.csv_for(test_scenario)()
    lines = csv.splitlines()
    assert lines[0] == "period,metric,mean,p5,p25,p50,p75,p95", f"header: {lines[0]}"
    assert len(lines) - 1 == len(PATH_METRICS) * (test_scenario.horizon + 1), "one row per metric and period"


def test_cached_figures_equal_the_models_own_comparison(test_scenario):
    # The app caches each budget on its own and reuses one set of assumption draws for all of them;
    # the figures must still be exactly those of simulation.compare, run by run.
    plan = edits.with_split(test_scenario, 0.5)
    cached, direct = cache.plan_figures(plan), compare(plan)
    assert cached.p_beats_baseline == direct.p_beats_baseline, "the chance of beating the status quo differs"
    for kpi in KPIS:
        for mine, theirs in ((cached.plan, direct.plan), (cached.baseline, direct.baseline)):
            assert np.array_equal(mine.kpis[kpi], theirs.kpis[kpi], equal_nan=True), f"{kpi} differs run by run"


def test_revenue_bridge_adds_up(test_scenario):
    bridge = cache.plan_figures(edits.with_split(test_scenario, 0.5)).plan.bridge
    total = bridge["start"] + bridge["new"] + bridge["expansion"] + bridge["winback"] - bridge["lost"]
    assert total == pytest.approx(bridge["end"], rel=1e-9), f"the bridge does not close: {bridge}"


def test_the_page_bridge_of_a_plan_with_programmes_has_their_step_and_adds_up():
    data = load_preset("wholesale_loyalty").to_dict()
    data["simulation"] = {"runs": 60, "seed": 3}
    figures = cache.plan_figures(scenario_from_dict(data))
    for who, bridge in (("plan", figures.plan.bridge), ("status quo", figures.baseline.bridge)):
        assert "programmes" in bridge and "price" not in bridge, f"{who}: a revenue multiplier, no price change"
        total = sum(-v if k == "lost" else v for k, v in bridge.items() if k != "end")
        assert total == pytest.approx(bridge["end"], rel=1e-12), f"{who}: the bridge does not close: {bridge}"


def test_the_status_quo_budget_is_edited_beside_the_plan(app, test_scenario):
    box = widget(app.text_input, f"Status quo budget per {test_scenario.period} ({test_scenario.currency})")
    assert box.value == "60,000", f"the status quo's total as read: {box.value!r}"
    box.set_value("80k").run()
    assert_clean(app)
    s = current(app)
    assert s.baseline.total == pytest.approx(80_000), "the status quo's total follows the box"
    assert s.baseline.acquisition_share == pytest.approx(0.9), "the status quo keeps its own split"
    assert s.budget.total == pytest.approx(60_000), "the plan is unchanged"
    assert widget(app.text_input, box.label).value == "80,000", "the box shows the amount in the house format"
