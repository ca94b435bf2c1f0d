"""The Portfolio page in a real browser: open an example, change a threshold, simulate, land on Plan."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .streamlit_page import wait_for_rerun


def test_example_to_classes_to_a_plan_with_each_class_in_tenure_bands(page, app_url):
    page.goto(f"{app_url}/portfolio")
    wait_for_rerun(page)
    expect(page.get_by_role("heading", name="Your own customers")).to_be_visible()

    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="B2B accounts and prospects (customer table)").click()
    wait_for_rerun(page)
    expect(page.get_by_text("2,679 active customers", exact=True)).to_be_visible()
    grid = page.get_by_text("Classes and their strategy")
    expect(grid).to_be_visible()

    high = page.get_by_label("Contribution: high from (USD)")
    high.fill("2000")
    page.get_by_role("button", name="Apply thresholds and classes").click()
    wait_for_rerun(page)
    expect(high).to_have_value("2000.00")
    expect(page.get_by_test_id("stException")).to_have_count(0)

    page.get_by_role("tab", name="Simulate and download").click()
    page.get_by_role("button", name="Simulate this portfolio").click()
    wait_for_rerun(page)
    expect(page.get_by_role("heading", name="Portfolio: b2b_accounts")).to_be_visible()
    expect(page.get_by_text(re.compile(r"customers in \d+ segments"))).to_be_visible()
    expect(page.get_by_text(re.compile("each class in tenure bands"))).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
