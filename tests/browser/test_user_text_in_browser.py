"""Names and descriptions from a share link, in a real browser: never a link, an image or formatting.

GitHub-flavoured Markdown makes a bare ``https://…``, ``www.…`` or ``a@b.co`` a live link however
it is escaped, so these tests look at the page Chromium built, not at the Markdown sent to it.
"""

from __future__ import annotations

from playwright.sync_api import expect

from simulation import scenario_from_dict
from simulation.io.sharing import QUERY_PARAM, encode_scenario
from tests.helpers import make

from .streamlit_page import wait_for_rerun, wait_for_whole_plan

NAME = "Plan https://evil.example www.x.com a@b.co [click](https://evil.example) ![](https://t.example/a.png)"
DESCRIPTION = (
    "See https://evil.example or www.x.com, write to a@b.co [click](https://evil.example) ![](https://t.example/d.png)"
)
SEGMENT = "www.x.com a@b.co https://evil.example"
SAVED = "www.x.com a@b.co [x](https://evil.example)"
# anything on the page that links or points at the hostile addresses
LIVE = "a[href*='evil.example'], a[href*='x.com'], a[href^='mailto:'], img[src*='t.example']"


def title_style(page) -> dict:
    return page.get_by_role("heading", level=1).first.evaluate(
        "h => { const s = getComputedStyle(h);"
        " return {size: s.fontSize, weight: s.fontWeight, family: s.fontFamily, padding: s.padding}; }"
    )


def test_a_shared_scenario_shows_its_name_and_description_as_typed(page, app_url):
    data = make(
        name=NAME,
        description=DESCRIPTION,
        segment={"name": SEGMENT},
        budget={"acquisition": 5000, "retention": 2000},
    )
    page.goto(f"{app_url}/?{QUERY_PARAM}={encode_scenario(scenario_from_dict(data))}")
    wait_for_whole_plan(page)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_count(1)
    expect(heading).to_have_text(NAME)
    assert heading.inner_text().strip() == NAME, f"the heading reads exactly the name: {heading.inner_text()!r}"
    expect(page.get_by_text(DESCRIPTION, exact=True)).to_be_visible()
    expect(page.get_by_text("Opened the scenario from the link.")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator(LIVE)).to_have_count(0)
    plan_title = title_style(page)

    # the Compare page quotes the scenario's name and the saved name; its title is an st.title
    page.get_by_role("link", name="Compare").click()
    wait_for_rerun(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare scenarios")
    assert title_style(page) == plan_title, "the Plan heading is styled like the other pages' titles"
    page.get_by_label("Scenario name").first.fill(SAVED)
    page.get_by_role("button", name="Save scenario").first.click()
    wait_for_rerun(page)
    # the server's library is shared by the browser tests: choose the saved name among the others
    page.get_by_role("combobox", name="Saved scenario").click()
    page.get_by_role("option", name=SAVED, exact=True).click()
    wait_for_rerun(page)
    expect(page.get_by_role("combobox", name="Saved scenario")).to_have_value(SAVED)
    page.get_by_role("button", name="Delete…").click()
    wait_for_rerun(page)
    expect(page.get_by_text(f"Delete {SAVED}? This cannot be undone.")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator(LIVE)).to_have_count(0)

    # the Optimise and Methodology pages name the scenario in their sentences
    for name in ("Optimise", "Methodology"):
        page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
        wait_for_rerun(page, settle_ms=800)
        expect(page.get_by_text(NAME).first).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.locator(LIVE)).to_have_count(0)


def test_a_portfolio_file_name_and_its_columns_are_never_links(page, app_url):
    page.goto(f"{app_url}/portfolio")
    wait_for_rerun(page)
    page.get_by_test_id("stSidebar").locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "www.x.com a@b.co.csv",
                "mimeType": "text/csv",
                "buffer": b"name,a@b.co,www.x.com\nhttps://evil.example,1,2\n",
            }
        ]
    )
    wait_for_rerun(page, settle_ms=800)
    expect(page.get_by_text("www.x.com a@b.co.csv", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("a@b.co")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator(LIVE)).to_have_count(0)
