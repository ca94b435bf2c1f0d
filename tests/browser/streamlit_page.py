"""What every browser test does with a Streamlit page: wait for a run to end, read a figure card, open the Plan page."""

from __future__ import annotations

from playwright.sync_api import expect

P_BEATS = "Chance the plan beats the status quo"
SETTLED = "[data-testid='stApp'][data-test-script-state='notRunning']"
# The Plan page's last element: it is drawn by the run the browser asks for after the first figures.
WHOLE_PLAN = "How the model works"


def wait_for_rerun(page, settle_ms: int = 200, timeout_ms: int = 60_000) -> None:
    """Streamlit marks the app 'notRunning' when a script run ends; give a rerun time to start first."""
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector(SETTLED, timeout=timeout_ms)


def metric(page, label: str):
    """The value of the figure card labelled ``label``."""
    card = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.first.get_by_test_id("stMetricValue")


def wait_for_whole_plan(page) -> None:
    """The Plan page draws its top part first (ui/first_paint.py); wait for the rest and for the run to end."""
    expect(page.get_by_test_id("stPageLink").get_by_text(WHOLE_PLAN)).to_be_visible(timeout=60_000)
    wait_for_rerun(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def open_plan(page, url: str) -> None:
    """Open the Plan page at ``url`` and wait for the whole page."""
    page.goto(url)
    expect(metric(page, P_BEATS)).to_be_visible(timeout=60_000)
    wait_for_whole_plan(page)
