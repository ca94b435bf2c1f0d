"""The Compare page through AppTest: saving, reopening, renaming, duplicating, deleting, comparing."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.io.storage import ScenarioStore
from simulation.model import edits
from ui.shared import cache

from .conftest import start_app_warm
from .markdown_reading import as_read
from .test_app_plan import SPLIT, current, errors, percent, widget

COMPARE = "pages/compare.py"
PLAN = "pages/plan.py"


def to_compare(at):
    at.switch_page(COMPARE).run()
    assert not at.exception, f"the Compare page raised: {[e.value for e in at.exception]}"
    return at


def save(at, name: str, replace: bool = False):
    widget(at.text_input, "Scenario name").set_value(name)
    if replace:
        widget(at.checkbox, "Replace a saved scenario with the same name").check()
    widget(at.button, "Save scenario").click().run()
    assert not at.exception, "saving must not raise"
    return at


def successes(at) -> str:
    return "\n".join(as_read(s.value) for s in at.success)


def test_compare_page_renders_with_an_empty_library(app):
    to_compare(app)
    assert not app.error, f"unexpected errors: {errors(app)}"
    assert any("Nothing saved yet" in i.value for i in app.info), "an empty library should say so"


def test_save_reopen_rename_duplicate_and_delete(app):
    widget(app.slider, SPLIT).set_value(50.0).run()
    saved_plan = current(app)
    to_compare(app)
    save(app, "Retention push")
    assert "Saved as Retention push." in successes(app), f"no confirmation: {successes(app)!r}"
    store = ScenarioStore()
    assert store.names() == ["Retention push"], f"the library holds {store.names()}"
    assert store.load("Retention push") == saved_plan, "the saved scenario differs from the plan"

    # change the plan, then reopen the saved one into it
    app.switch_page(PLAN).run()
    widget(app.slider, SPLIT).set_value(80.0).run()
    to_compare(app)
    widget(app.selectbox, "Saved scenario").select("Retention push")
    widget(app.button, "Open in Plan").click().run()
    assert not app.exception, "opening must not raise"
    assert current(app) == saved_plan, "opening should restore the saved scenario exactly"
    assert widget(app.slider, SPLIT).value == 50.0, "the Plan page should show the reopened split"

    to_compare(app)
    widget(app.selectbox, "Saved scenario").select("Retention push")
    widget(app.text_input, "New name").set_value("Retention push, v2")
    widget(app.button, "Rename").click().run()
    assert store.names() == ["Retention push, v2"], f"after renaming the library holds {store.names()}"
    assert store.load("Retention push, v2") == saved_plan, "renaming must not change the scenario"

    widget(app.button, "Duplicate").click().run()
    assert store.names() == ["Retention push, v2", "Retention push, v2 (copy)"], f"got {store.names()}"

    widget(app.selectbox, "Saved scenario").select("Retention push, v2 (copy)")
    widget(app.button, "Delete…").click().run()
    assert any("cannot be undone" in w.value for w in app.warning), "deleting should ask for confirmation"
    assert len(store.names()) == 2, "nothing should be deleted before the confirmation"
    widget(app.button, "Yes, delete it").click().run()
    assert not app.exception, "deleting must not raise"
    assert store.names() == ["Retention push, v2"], f"after deleting the library holds {store.names()}"


def test_taken_name_gets_a_message_and_keeps_the_first_scenario(app):
    first = current(app)
    to_compare(app)
    save(app, "Plan A")
    app.switch_page(PLAN).run()
    widget(app.slider, SPLIT).set_value(30.0).run()
    to_compare(app)
    save(app, "plan a")
    assert "already called 'Plan A'" in errors(app), f"no message for the taken name: {errors(app)!r}"
    assert ScenarioStore().load("Plan A") == first, "a refused save must not touch the saved scenario"
    save(app, "Plan A", replace=True)
    assert ScenarioStore().load("Plan A") == current(app), "replacing should store the new scenario"


def test_bad_name_gets_a_message(app):
    to_compare(app)
    save(app, "x" * 100)
    assert "at most 80" in errors(app), f"no message for the long name: {errors(app)!r}"
    assert ScenarioStore().names() == [], "nothing should be saved under a bad name"


def test_side_by_side_figures_and_probabilities(test_scenario):
    at = start_app_warm(test_scenario)
    widget(at.slider, SPLIT).set_value(30.0).run()
    to_compare(at)
    save(at, "Retention heavy")
    at.switch_page(PLAN).run()
    widget(at.slider, SPLIT).set_value(90.0).run()
    to_compare(at)
    save(at, "Acquisition heavy")
    widget(at.multiselect, "Scenarios to compare").set_value(["Retention heavy", "Acquisition heavy"]).run()
    store = ScenarioStore()
    saved = {name: store.load(name) for name in ("Retention heavy", "Acquisition heavy")}
    assert not at.exception and not at.error, f"comparison failed: {errors(at)}"

    frames = [d.value for d in at.dataframe]
    matrix = next(f for f in frames if list(f.columns) == ["Retention heavy", "Acquisition heavy"] and len(f) == 2)
    # At a cost multiple of 25 the retention-heavy plan beats the acquisition-heavy one in every run
    # (see test_app_plan); with 400 runs the share's standard error is at most 0.025.
    p = percent(matrix.loc["Retention heavy", "Acquisition heavy"])
    assert p >= 0.95, f"the retention-heavy plan should come out ahead almost always; got {p}"
    assert percent(matrix.loc["Acquisition heavy", "Retention heavy"]) == pytest.approx(1 - p), "ties are impossible"

    def chances():
        table = next(d.value for d in at.dataframe if "Chance of reaching the target" in d.value.columns)
        return dict(zip(table["Scenario"], table["Chance of reaching the target"], strict=True))

    target = next(n for n in at.number_input if n.label.startswith("Revenue target"))
    target.set_value(0.0).run()
    assert chances() == {"Retention heavy": 100.0, "Acquisition heavy": 100.0}, (
        f"a zero target is always met: {chances()}"
    )
    target = next(n for n in at.number_input if n.label.startswith("Revenue target"))
    target.set_value(1e12).run()
    assert chances() == {"Retention heavy": 0.0, "Acquisition heavy": 0.0}, f"a huge target is never met: {chances()}"
    # A target between the two plans' median final revenues is met more often by the plan with the higher median.
    medians = {n: float(np.median(cache.summary(s, runs=400, seed=7).kpis["revenue_final"])) for n, s in saved.items()}
    target = next(n for n in at.number_input if n.label.startswith("Revenue target"))
    target.set_value(round(sum(medians.values()) / 2)).run()
    higher = max(medians, key=medians.get)
    lower = min(medians, key=medians.get)
    assert chances()[higher] > 50 > chances()[lower], f"the target splits the two medians: {chances()}, {medians}"


def test_compare_uses_the_same_random_numbers_for_every_scenario(test_scenario):
    # Two scenarios that share every assumption and budget must give identical runs: a difference would
    # mean the comparison is not on common random numbers.
    renamed = test_scenario.replace(name="Same plan, other title")
    a = cache.summary(test_scenario, runs=200, seed=3)
    b = cache.summary(renamed, runs=200, seed=3)
    assert np.array_equal(a.kpis["npv"], b.kpis["npv"]), "shared assumptions should give identical runs"
    other = edits.with_split(test_scenario, 0.3)
    c = cache.summary(other, runs=200, seed=3)
    corr = np.corrcoef(a.kpis["revenue_final"], c.kpis["revenue_final"])[0, 1]
    assert corr > 0.5, f"runs of two budgets should move together on common random numbers; corr = {corr:.2f}"


def test_a_scenarios_compare_column_is_its_plan_pages_figures(test_scenario):
    """Each scenario keeps its own runs and seed; who comes out ahead is counted on common futures."""
    from ui.shared import widgets

    at = start_app_warm(test_scenario)
    own = {
        "Seed 7": test_scenario.replace(name="Seed 7"),
        "Seed 8, more retention": edits.with_split(test_scenario, 0.3).replace(
            name="Seed 8, more retention", simulation={"runs": 300, "seed": 8}
        ),
    }
    store = ScenarioStore()
    for name, s in own.items():
        store.save(name, s)
    to_compare(at)
    widget(at.multiselect, "Scenarios to compare").set_value(list(own)).run()
    assert not at.exception and not at.error, f"comparison failed: {errors(at)}"
    table = next(
        d.value
        for d in at.dataframe
        if list(d.value.columns) == list(own) and len(d.value) == len(widgets.COMPARE_KPIS)
    )
    for name, s in own.items():
        plan = cache.plan_figures(s).plan  # what the Plan page shows for this scenario
        want = [widgets.figure_cell(k, plan.kpis[k], s) for k in widgets.COMPARE_KPIS]
        assert list(table[name]) == want, f"{name}: Compare shows {list(table[name])}, its Plan page {want}"
    note = " ".join(c.value for c in at.caption)
    assert "Seed 8, more retention: 300 futures, seed 8" in note, f"the page says whose futures it shows: {note}"
    assert "common futures (seed 7)" in note, f"the matrix says it is on common futures: {note}"


def test_a_database_server_that_cannot_be_reached_is_a_message_not_a_traceback(app, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nothing listens on: the server is down
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("RETENTION_LAB_DATABASE_URL", f"postgresql://lab@127.0.0.1:{port}/retention_lab")
    to_compare(app)
    assert "cannot be reached just now; nothing was changed" in errors(app), f"no clear message: {errors(app)}"
    save(app, "While the server is down")
    assert "cannot be reached just now" in errors(app), f"a save says so too: {errors(app)}"
    monkeypatch.delenv("RETENTION_LAB_DATABASE_URL")  # a library that can be reached again
    save(app, "Reachable again")
    assert "Saved as Reachable again." in successes(app), f"the session goes on: {successes(app)!r}"
