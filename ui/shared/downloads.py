"""The download buttons every page shares: report (PDF), workbook (.xlsx), per-run data (CSV).

Nothing is built while the page renders: every button holds a callable that simulates and
writes its file when it is clicked. Each page's builders (``files``, in the page's folder)
are plain functions of scenarios, so they are tested without a page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import streamlit as st

from ui.shared.widgets import errors_shown

log = logging.getLogger("retention_lab.app")

REPORT_LABEL = "Download report (PDF)"
WORKBOOK_LABEL = "Download workbook (.xlsx)"
PER_RUN_LABEL = "Per-run data (CSV)"
PAPER_LABEL = "Paper"
PAPERS = {"A4": "a4", "Letter": "letter"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Buttons ---------------------------------------------------------------------------------------
def download_buttons(files: Mapping[str, Callable], stem: str, key: str) -> None:
    """The three download buttons (and the paper size for the report), each file built on click."""
    with st.container(horizontal=True, gap="small", vertical_alignment="bottom"):
        paper = st.segmented_control(
            PAPER_LABEL, list(PAPERS), default="A4", key=f"{key}_paper", help="Paper size of the PDF report"
        )
        size = PAPERS.get(paper or "A4", "a4")
        st.download_button(
            REPORT_LABEL,
            data=lambda: files["pdf"](size),
            file_name=f"{stem}-report-{size}.pdf",
            mime="application/pdf",
            key=f"{key}_pdf",
            on_click="ignore",
            icon=":material/picture_as_pdf:",
            help="One page: the question and the answer, headline figures with their ranges, the charts, "
            "the year-by-year table, the key assumptions, the method, and the seed to reproduce it.",
        )
        st.download_button(
            WORKBOOK_LABEL,
            data=files["xlsx"],
            file_name=f"{stem}.xlsx",
            mime=XLSX_MIME,
            key=f"{key}_xlsx",
            on_click="ignore",
            icon=":material/table_view:",
            help="Excel: P&L by year, projections per period, the comparison of figures, and every assumption.",
        )
        st.download_button(
            PER_RUN_LABEL,
            data=files["csv"],
            file_name=f"{stem}-per-run.csv",
            mime="text/csv",
            key=f"{key}_csv",
            on_click="ignore",
            icon=":material/dataset:",
            help="One row per simulated future: the assumptions it drew and its headline figures "
            "(for driver analysis in a spreadsheet).",
        )


CANNOT = "The report and exports cannot be made for this scenario."
FAILED = "The report and exports could not be prepared."


def page_downloads(build: Callable[[], Mapping[str, Callable]], stem: str, key: str) -> None:
    """A page's report, workbook and per-run downloads, or a message when its files cannot be built."""
    with errors_shown(CANNOT, FAILED):
        download_buttons(build(), stem, key)
