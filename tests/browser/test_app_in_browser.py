"""The app as a person uses it: move the split, save a scenario, open a share link elsewhere."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import expect

from ui.shared.widgets import SHARE_LINK_LABEL

from .streamlit_page import P_BEATS, metric, open_plan, wait_for_rerun, wait_for_whole_plan

SPLIT = "Acquisition share of the budget"
NPV = "NPV"


def test_moving_the_split_updates_the_headline_figures(page, app_url, artifacts):
    open_plan(page, app_url)
    before = metric(page, NPV).inner_text()
    slider = page.get_by_role("slider", name=SPLIT)
    slider.focus()
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(5):
            page.keyboard.press("ArrowLeft")
        wait_for_rerun(page)
        timings.append(time.perf_counter() - start)
    expect(metric(page, NPV)).not_to_have_text(before)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    (artifacts / "slider_timings.json").write_text(json.dumps({"seconds_from_keypress_to_rerun_end": timings}))


def test_saving_a_scenario_lists_it(page, app_url):
    open_plan(page, app_url)
    page.get_by_label("Scenario name").fill("Browser test plan")
    page.get_by_role("button", name="Save scenario").click()
    wait_for_rerun(page)
    expect(page.get_by_text(re.compile("Saved .*Browser test plan"))).to_be_visible()
    page.get_by_role("link", name="Compare").click()
    wait_for_rerun(page)
    # the library's selector; the comparison does not preselect it, as it is the current scenario again
    expect(page.get_by_role("combobox", name="Saved scenario")).to_have_value("Browser test plan")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def share_link(page) -> str:
    """The Plan page's share link, as its popover shows it (opened if it is closed)."""
    box = page.get_by_test_id("stCode").filter(has_text="http")
    if not box.count() or not box.first.is_visible():
        page.get_by_role("button", name=SHARE_LINK_LABEL).click()
    return box.first.inner_text().strip()


def test_share_link_reopens_the_same_figures(page, browser, app_url, artifacts):
    open_plan(page, app_url)
    slider = page.get_by_role("slider", name=SPLIT)
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    wait_for_rerun(page)

    def reading():
        figures = {label: metric(page, label).inner_text() for label in (NPV, P_BEATS)}
        return figures, share_link(page)

    # quick presses coalesce into several reruns: read once the figures and the link stop changing
    figures, link = reading()
    for _ in range(20):
        page.wait_for_timeout(500)
        wait_for_rerun(page)
        again = reading()
        if again == (figures, link):
            break
        figures, link = again
    assert link.startswith("http"), f"the share link is a URL: {link!r}"

    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(60_000)
        fresh.goto(link)
        wait_for_whole_plan(fresh)
        for label, value in figures.items():
            expect(metric(fresh, label)).to_have_text(value)
        expect(fresh.get_by_test_id("stException")).to_have_count(0)
        fresh.screenshot(path=str(artifacts / "share_link_reopened.png"), full_page=True)
    finally:
        other.close()


def test_a_page_link_works_on_a_server_that_has_just_started(page, cold_app_url):
    """Opened first by its own URL, a page still gets the app's navigation and the shared scenario."""
    page.goto(f"{cold_app_url}/compare")
    wait_for_rerun(page)
    expect(page.get_by_role("heading", name="Compare scenarios")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Plan", exact=True)).to_be_visible()
    expect(nav.get_by_text("app", exact=True)).to_have_count(0)
    assert page.url.rstrip("/").endswith("/compare"), f"the session stays on the page it asked for: {page.url}"
    expect(page.get_by_test_id("stException")).to_have_count(0)
