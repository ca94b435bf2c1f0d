"""The consultant's kit on the pages: report, workbook and per-run downloads; the Compare inputs and checks."""

from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl import load_workbook
from pypdf import PdfReader

from simulation.io.storage import ScenarioStore
from ui.plan import exports as plan_exports
from ui.shared import downloads

from .conftest import start_app
from .test_app_compare import PLAN, save, to_compare
from .test_app_optimise import _open as open_optimise
from .test_app_plan import SPLIT, errors, widget

KIT = (downloads.REPORT_LABEL, downloads.WORKBOOK_LABEL, downloads.PER_RUN_LABEL)


def download_labels(at) -> set[str]:
    return {b.label for b in at.get("download_button")}


def assert_kit(at, where: str) -> None:
    labels = download_labels(at)
    for label in KIT:
        assert label in labels, f"{where}: download {label!r} missing; found {sorted(labels)}"
    papers = [w for w in at.get("button_group") if getattr(w, "label", None) == downloads.PAPER_LABEL]
    assert papers, f"{where}: the paper size control is missing"


def test_plan_page_offers_the_kit(app):
    assert_kit(app, "Plan")


def test_plan_files_hold_the_figures_the_page_shows(app, test_scenario):
    shown = {m.label: m.value for m in app.metric}
    files = plan_exports.plan_files(test_scenario)
    pdf = files["pdf"]("letter")
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    for label, value in shown.items():
        if label.startswith("Chance"):
            continue  # the plan is its own status quo here: the card shows a dash, the report says so in words
        assert value in text, f"the page shows {label} = {value!r}; the report does not"
    captions = [c.value for c in app.caption if c.value.startswith("90 %: ")]
    for caption in captions:
        lo, hi = caption.removeprefix("90 %: ").split(" – ")
        assert f"{lo} – {hi}" in text, f"the page's range {caption!r} is not in the report"
    book = load_workbook(io.BytesIO(files["xlsx"]()))
    assert "P&L by year" in book.sheetnames, f"workbook sheets: {book.sheetnames}"
    runs = pd.read_csv(io.StringIO(files["csv"]()))
    assert len(runs) == test_scenario.simulation.runs, f"one row per future expected, got {len(runs)}"


def test_the_plan_pdf_carries_the_recommendation_and_the_budget_answer(app, test_scenario):
    from ui.plan import text as plan_text

    boxes = [i.value for i in app.info if i.value != plan_text.WORKING_OUT]
    assert len(boxes) == 2, f"the page should show the recommendation and the budget answer: {boxes}"
    assert boxes[1].startswith("**Spend less**"), f"the test scenario's budget is too large: {boxes[1]!r}"
    pdf = plan_exports.plan_files(test_scenario)["pdf"]("a4")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1, f"the report stays on one page, got {len(reader.pages)}"
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    for box in boxes:
        words = re.sub(r"\s+", " ", box.replace("**", ""))
        assert words in text, f"the page says {words!r}; the report does not:\n{text}"


def test_compare_shows_what_differs_and_offers_the_kit(test_scenario):
    at = start_app(test_scenario)
    widget(at.slider, SPLIT).set_value(30.0).run()
    to_compare(at)
    save(at, "Retention heavy")
    at.switch_page(PLAN).run()
    widget(at.slider, SPLIT).set_value(90.0).run()
    to_compare(at)
    save(at, "Acquisition heavy")
    widget(at.multiselect, "Scenarios to compare").set_value(["Retention heavy", "Acquisition heavy"]).run()
    assert not at.exception and not at.error, f"comparison failed: {errors(at)}"
    inputs = next(d.value for d in at.dataframe if "Acquisition share" in d.value.index)
    assert list(inputs.columns) == ["Retention heavy", "Acquisition heavy"], f"columns: {list(inputs.columns)}"
    assert list(inputs.loc["Acquisition share"]) == ["30 %", "90 %"], (
        f"split row: {list(inputs.loc['Acquisition share'])}"
    )
    assert_kit(at, "Compare")


def test_compare_refuses_a_scenario_against_itself(test_scenario):
    at = start_app(test_scenario)
    to_compare(at)
    save(at, "Same as the plan")
    widget(at.multiselect, "Scenarios to compare").set_value(["Current scenario (from Plan)", "Same as the plan"]).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert "is the same scenario as" in errors(at), f"no refusal for a scenario against itself: {errors(at)!r}"
    assert downloads.REPORT_LABEL not in download_labels(at), "nothing to download for a refused comparison"


def test_compare_refuses_mixed_currencies(test_scenario):
    ScenarioStore().save("In dollars", test_scenario.replace(currency="USD"))
    at = start_app(test_scenario)
    to_compare(at)
    widget(at.multiselect, "Scenarios to compare").set_value(["Current scenario (from Plan)", "In dollars"]).run()
    assert not at.exception, f"the page raised: {at.exception}"
    message = errors(at)
    assert "different currencies" in message and "EUR" in message and "USD" in message, f"message: {message!r}"


def test_optimise_page_offers_the_kit():
    at = open_optimise()
    assert_kit(at, "Optimise")
    assert not at.error, f"errors on the Optimise page: {errors(at)}"


# Short links ------------------------------------------------------------------------------------
def open_short(token: str):
    from streamlit.testing.v1 import AppTest

    from .conftest import APP, APP_TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.query_params["k"] = token
    at.run()
    assert not at.exception, f"opening a short link raised: {at.exception}"
    return at


def test_a_short_link_from_the_page_reopens_the_scenario(app, test_scenario):
    from simulation.io.short_links import ShortLinks
    from ui.plan import short_link as short_link_view

    widget(app.slider, SPLIT).set_value(40.0).run()
    widget(app.button, short_link_view.BUTTON_LABEL).click().run()
    assert not app.exception, f"making a short link raised: {app.exception}"
    link = next(c.value for c in app.code if "?k=" in c.value)
    assert len(link) < 80, f"the short link is {len(link)} characters: {link}"
    token = link.split("?k=", 1)[1]
    shared = app.session_state["scenario"]
    again = open_short(token)
    assert again.session_state["scenario"] == shared, "the short link opened a different scenario"
    assert "Opened the scenario from the short link" in " ".join(s.value for s in again.success), "no confirmation"

    ShortLinks().delete(token)
    gone = open_short(token)
    assert "was deleted" in errors(gone), f"a deleted link should say so: {errors(gone)!r}"


def test_a_hostile_short_link_gets_a_message_and_the_default_example():
    at = open_short("<script>alert(1)</script>")
    assert "could not be opened" in errors(at) and "damaged" in errors(at), f"message: {errors(at)!r}"
    assert at.session_state["scenario"].name, "the default example is open"


def _oversized_downloads():
    import streamlit as st

    from simulation.io.presets import load_preset
    from ui.plan import exports as plan_exports

    big = load_preset("saas_mid_market").replace(simulation={"runs": 100_000, "seed": 1}, horizon=600)
    plan_exports.plan_downloads(big)
    st.write("still running")


def test_downloads_for_a_scenario_too_big_to_simulate_get_a_message():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_oversized_downloads, default_timeout=30).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert "cannot be made" in errors(at) and "simulation.runs" in errors(at), f"message: {errors(at)!r}"
    assert downloads.REPORT_LABEL not in download_labels(at), "no buttons for a scenario that cannot run"
    assert any("still running" in m.value for m in at.markdown), "the page goes on after the message"
