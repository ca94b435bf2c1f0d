"""A new session's Plan page: the top part first, the rest when the browser asks; more figures only when opened."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from simulation.io.sharing import QUERY_PARAM, encode_scenario
from simulation.model.figures import FIGURES
from ui.shared import cache, widgets

from .conftest import APP, APP_TIMEOUT, start_app
from .test_app_plan import assert_clean

MORE = "More figures: customer equity, ROI, CLV, LTV:CAC, payback, retention"
PLAN_MORE = "plan_more_figures"


def first_run(scenario) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.query_params[QUERY_PARAM] = encode_scenario(scenario)
    return at.run()


def cards(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def answers(at) -> list[str]:
    return [i.value for i in at.info if "The best split for NPV puts" in i.value]


def test_the_first_run_draws_the_answer_controls_and_figures_and_asks_for_the_rest(test_scenario):
    cache.best_split(test_scenario)  # another session worked out this model's best split
    at = first_run(test_scenario)
    assert_clean(at)
    assert at.get("bidi_component"), "the first run should mount the signal the browser answers after drawing"
    headline = {FIGURES[k].short for k in widgets.available(widgets.PRIMARY_KPIS)}
    assert set(cards(at)) == headline | {"Chance the plan beats the status quo"}, f"cards: {set(cards(at))}"
    assert answers(at), "a best split already worked out is shown with the first figures"
    assert [s.label for s in at.slider] == ["Acquisition share of the budget"], "the split is the one slider at first"
    # the address bar holds the share link from the first run
    assert at.query_params[QUERY_PARAM] == encode_scenario(test_scenario)
    # charts, the year table, the sidebar's controls and the downloads come in the next run
    assert not at.get("vega_lite_chart") and not at.dataframe and not at.get("download_button")
    assert not at.sidebar.selectbox and not at.sidebar.number_input


def test_the_next_run_draws_the_whole_page_with_the_same_figures(test_scenario):
    at = first_run(test_scenario)
    first = cards(at)
    at.run()
    assert_clean(at)
    assert not at.get("bidi_component"), "the signal is mounted once per session"
    assert cards(at) == first, "the whole page shows the figures the first part showed"
    assert len(at.get("vega_lite_chart")) >= 4 and len(at.dataframe) == 1, "the charts and the year table"
    assert at.sidebar.selectbox and at.sidebar.number_input and at.get("download_button")


def test_a_session_that_moved_on_never_draws_only_the_top_again(test_scenario):
    at = start_app(test_scenario)
    at.switch_page("pages/compare.py").run()
    at.switch_page("pages/plan.py").run()
    assert_clean(at)
    assert not at.get("bidi_component") and at.get("vega_lite_chart"), "the Plan page's first run was earlier"


def test_more_figures_are_built_only_when_opened(app):
    (more,) = [e for e in app.expander if e.label == MORE]
    assert not more.metric, "closed, the expander holds no cards (eight cards cost the browser on every rerun)"
    app.session_state[PLAN_MORE] = True
    app.run()
    assert_clean(app)
    (more,) = [e for e in app.expander if e.label == MORE]
    shown = {m.label for m in more.metric}
    assert shown == {FIGURES[k].short for k in widgets.available(widgets.MORE_KPIS)}, f"more figures: {shown}"


def test_a_new_sweep_waits_for_the_rest_of_the_page(test_scenario, monkeypatch):
    """About 21 engine runs: the figures and, on the next run, the charts come first; the answer is filled last."""
    at = first_run(test_scenario)
    assert not answers(at) and at.get("bidi_component"), "the first run should not wait for a new sweep"
    order = []
    real_sweep, real_spec = cache.best_split, cache.chart_spec
    monkeypatch.setattr(cache, "SWEEPS_DONE", set())  # as if the sweep were not done: it runs again, after the charts
    monkeypatch.setattr(cache, "best_split", lambda *a: order.append("sweep") or real_sweep(*a))
    monkeypatch.setattr(cache, "chart_spec", lambda *a, **k: order.append("chart") or real_spec(*a, **k))
    at.run()
    assert_clean(at)
    assert answers(at), "the whole page has the answer"
    assert order[-1] == "sweep" and "chart" in order, f"the sweep should come after the charts: {order}"


def test_until_the_sweep_is_done_the_answer_box_says_it_is_being_worked_out(test_scenario):
    """A new total's sweep runs after the figures: meanwhile the box never holds an answer for another budget."""
    from ui.plan import text as plan_text

    at = first_run(test_scenario)  # nothing worked out yet: the first run stops before the sweep
    assert not answers(at), "no answer before the sweep"
    assert plan_text.WORKING_OUT in [i.value for i in at.info], "the box says the answer is being worked out"
    at.run()
    assert answers(at) and plan_text.WORKING_OUT not in [i.value for i in at.info], "then the answer replaces it"
