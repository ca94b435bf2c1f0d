"""Hostile links and files on the pages: shown as typed, refused with a message, never a traceback.

User text may reach Markdown only inside a code span: anywhere else GitHub-flavoured Markdown makes
a bare address (``https://…``, ``www.…``, ``a@b.co``) a live link, escaped or not.
"""

from __future__ import annotations

import json

import pytest

from simulation import scenario_from_dict
from tests.helpers import make
from tests.pages.conftest import empty_caches, start_app, start_app_warm  # noqa: F401 - the fixture clears Streamlit's caches
from tests.pages.markdown_reading import as_read, live_user_text, page_heading
from tests.pages.test_app_compare import save, to_compare
from tests.pages.test_app_plan import ALL_CARDS, SPLIT, open_more_figures, widget

HOSTILE_NAME = "Plan https://evil.example www.x.com a@b.co [click](https://evil.example) ![](https://t.example/a.png)"
HOSTILE_SEGMENT = "www.x.com a@b.co https://evil.example"
HOSTILE_DESCRIPTION = "See https://evil.example or www.x.com, write to a@b.co ![](https://t.example/d.png) *loud*"
# what must never stand outside a code span in a page's Markdown
NEEDLES = ("evil.example", "x.com", "a@b.co", "t.example")


def errors(at) -> str:
    return "\n".join(as_read(e.value) for e in at.error)


def hostile(**changes):
    """A scenario whose name, description and segment name hold addresses, a link and an image."""
    data = make(name=HOSTILE_NAME, description=HOSTILE_DESCRIPTION, segment={"name": HOSTILE_SEGMENT}, **changes)
    return scenario_from_dict(data)


def assert_nothing_live(at, where: str) -> None:
    assert not at.exception, f"{where}: the page raised: {at.exception}"
    live = live_user_text(at, NEEDLES)
    assert not live, f"{where}: user text outside a code span in Markdown: {live}"


def test_a_shared_name_and_description_render_as_typed():
    at = start_app_warm(hostile())
    assert_nothing_live(at, "the Plan page")
    assert page_heading(at) == HOSTILE_NAME, f"the heading reads exactly the name: {page_heading(at)!r}"
    assert not at.title, f"the heading is not a Markdown title: {[t.value for t in at.title]}"
    # the description is shown with st.text, which never reads Markdown: exactly as typed
    texts = [t.value for t in at.text if "t.example" in t.value]
    assert texts == [HOSTILE_DESCRIPTION], f"the description is plain text: {texts}"


def test_a_segment_name_in_the_assumption_picker_is_never_live():
    at = start_app_warm(hostile())
    at.session_state["plan_assumptions_open"] = True
    at.run()
    next(s for s in at.selectbox if s.label == "Assumption").set_value("segments[0].churn").run()
    assert_nothing_live(at, "the assumption picker")
    labels = [as_read(c.label) for c in at.get("button_group")]
    assert any(HOSTILE_SEGMENT in label for label in labels), f"the picker names the segment: {labels}"


@pytest.mark.parametrize("budget", [{"acquisition": 0, "retention": 0}, {"acquisition": 5000, "retention": 2000}])
@pytest.mark.parametrize("page", ["pages/optimise.py", "pages/methodology.py"])
def test_names_on_the_optimise_and_methodology_pages_are_never_live(page, budget):
    at = start_app_warm(hostile(budget=budget))
    at.switch_page(page).run()
    assert_nothing_live(at, page)
    shown = " ".join(as_read(text) for text in (*[m.value for m in at.markdown], *[m.value for m in at.caption]))
    shown += " ".join(as_read(i.value) for i in at.info)
    assert HOSTILE_NAME in shown, f"{page} names the scenario as typed"


def test_saved_names_are_never_live_on_the_compare_page():
    saved = "www.x.com a@b.co [x](https://evil.example)"
    at = to_compare(start_app_warm(hostile()))
    assert_nothing_live(at, "Compare, empty library")
    save(at, saved)
    assert_nothing_live(at, "Compare, saved")
    save(at, saved)  # the name is taken: the refusal quotes it
    assert "already called" in errors(at), errors(at)
    assert_nothing_live(at, "Compare, name taken")
    widget(at.button, "Duplicate").click().run()
    assert_nothing_live(at, "Compare, duplicated")
    widget(at.text_input, "New name").set_value("https://evil.example/renamed")
    widget(at.button, "Rename").click().run()
    assert_nothing_live(at, "Compare, renamed")
    at.switch_page("pages/plan.py").run()
    widget(at.slider, SPLIT).set_value(50.0).run()
    to_compare(at)
    assert_nothing_live(at, "Compare, side by side")
    assert at.dataframe, "two different scenarios are compared"
    widget(at.button, "Delete…").click().run()
    assert_nothing_live(at, "Compare, confirming a delete")
    assert any(saved in as_read(w.value) or "evil.example" in as_read(w.value) for w in at.warning), (
        "the delete question names the scenario"
    )


def test_a_scenario_compared_with_itself_is_refused_without_live_names():
    at = to_compare(start_app_warm(hostile()))
    save(at, "a@b.co")
    widget(at.multiselect, "Scenarios to compare").set_value(["Current scenario (from Plan)", "a@b.co"]).run()
    assert "is the same scenario as" in errors(at), f"the refusal is shown: {errors(at)!r}"
    assert_nothing_live(at, "Compare, the same scenario twice")


def test_a_named_workspace_is_never_live():
    at = to_compare(start_app_warm(hostile()))
    widget(at.text_input, "Workspace name").set_value("www.x.com a@b.co")
    widget(at.text_input, "Passphrase").set_value("correct horse battery")
    widget(at.checkbox, "Create this workspace").check()
    widget(at.button, "Open workspace").click().run()
    assert_nothing_live(at, "Compare, named workspace")
    assert any("www.x.com a@b.co" in as_read(e.label) for e in at.expander), [e.label for e in at.expander]


def test_a_deeply_nested_upload_is_a_message():
    at = start_app_warm(scenario_from_dict(make()))
    deep = ("[" * 50_000 + "]" * 50_000).encode()
    at.file_uploader[0].set_value(("deep.json", deep, "application/json")).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert "deep.json could not be opened" in errors(at), errors(at)


@pytest.mark.parametrize("content", [b"= broken", b'name = "x"'], ids=["unreadable", "incomplete"])
def test_an_uploaded_file_name_is_never_live(content):
    at = start_app_warm(scenario_from_dict(make()))
    name = "[x](https://evil.example) www.x.com a@b.co.toml"
    at.file_uploader[0].set_value((name, content, "application/toml")).run()
    assert f"{name} could not be opened" in errors(at), errors(at)
    assert_nothing_live(at, "a refused upload")


def test_an_oversized_scenario_names_the_runs_on_the_page():
    data = make(horizon=600, simulation={"runs": 2000, "seed": 1})
    data["segments"] = [dict(data["segments"][0], name=f"S{i}") for i in range(50)]
    at = start_app(scenario_from_dict(data))
    assert not at.exception, f"the page raised: {at.exception}"
    assert "simulation.runs" in errors(at) and "runs or fewer" in errors(at), errors(at)
    assert "failed unexpectedly" not in errors(at), errors(at)


@pytest.mark.parametrize(("churn", "phi"), [(1e-17, 0.2), (0.9999999999999999, 0.72)])
def test_extreme_churn_gives_figures_not_a_failure(churn, phi):
    at = start_app(scenario_from_dict(make(segment={"churn": churn, "churn_heterogeneity": phi})))
    assert not at.exception, f"the page raised: {at.exception}"
    assert not at.error, f"the page shows errors: {errors(at)}"
    open_more_figures(at)
    assert not at.exception and not at.error, f"with More figures open: {at.exception} {errors(at)}"
    assert len(at.metric) == ALL_CARDS, "every figure is shown"


def test_an_upload_over_the_size_limit_is_a_message():
    at = start_app_warm(scenario_from_dict(make()))
    big = json.dumps({**make(), "description": "x" * 1_100_000}).encode()
    at.file_uploader[0].set_value(("big.json", big, "application/json")).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert "1,000,000 bytes" in errors(at) and len(errors(at)) < 500, errors(at)[:300]


def test_an_oversized_scenario_names_the_runs_on_the_optimise_page():
    data = make(horizon=600, simulation={"runs": 2000, "seed": 1}, budget={"acquisition": 5000, "retention": 5000})
    data["segments"] = [dict(data["segments"][0], name=f"S{i}") for i in range(50)]
    at = start_app(scenario_from_dict(data))
    at.switch_page("pages/optimise.py").run()
    assert not at.exception, f"the Optimise page raised: {at.exception}"
    assert "simulation.runs" in errors(at), f"names the runs: {errors(at)[:300]}"
    assert "failed unexpectedly" not in errors(at), errors(at)
