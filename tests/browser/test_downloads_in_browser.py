"""Downloads as a person gets them: click the report button in a real browser and read the PDF that arrives."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from ui.shared.downloads import REPORT_LABEL, WORKBOOK_LABEL

from .streamlit_page import metric, open_plan
from .test_app_in_browser import NPV


def test_the_plan_report_downloads_with_the_figures_on_the_page(page, app_url, tmp_path):
    open_plan(page, app_url)
    title = page.locator("h1").first.inner_text().strip()
    npv = metric(page, NPV).inner_text().strip()
    revenue = metric(page, "Final revenue").inner_text().strip()
    button = page.get_by_role("button", name=REPORT_LABEL)
    button.scroll_into_view_if_needed()
    expect(page.get_by_role("button", name=WORKBOOK_LABEL)).to_be_visible()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith("-report-a4.pdf"), f"file name {download.suggested_filename!r}"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), "the download is not a PDF"
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1, f"the report should be one page, got {len(reader.pages)}"
    text = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    assert title in text, f"the scenario's title {title!r} is not in the report"
    assert npv in text and revenue in text, (
        f"the page shows NPV {npv} and final revenue {revenue}; the report: {text[:400]!r}"
    )
