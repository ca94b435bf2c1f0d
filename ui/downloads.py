"""The download buttons of the Plan, Compare and Optimise pages: report (PDF), workbook (.xlsx), per-run data (CSV).

Each page calls one function here. Nothing is built while the page renders: every
button holds a callable that simulates and writes its file when it is clicked. The
builders (``*_files``) are plain functions of scenarios, so they are tested without a page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from simulation import Scenario, compare, simulate
from simulation.io.exports import per_run_frame

from . import cache, report, workbook
from .widgets import errors_shown, slug

log = logging.getLogger("retention_lab.app")

REPORT_LABEL = "Download report (PDF)"
WORKBOOK_LABEL = "Download workbook (.xlsx)"
PER_RUN_LABEL = "Per-run data (CSV)"
PAPER_LABEL = "Paper"
PAPERS = {"A4": "a4", "Letter": "letter"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_FLOAT_FORMAT = "%.10g"


# Builders (no widgets) -------------------------------------------------------------------------
def plan_files(scenario: Scenario) -> dict[str, Callable[..., bytes | str]]:
    """Callables building the Plan page's files: ``pdf(paper)``, ``xlsx()``, ``csv()``."""
    cache.check_size(scenario, scenario.simulation.runs)

    def run():
        c = compare(scenario)
        return c.plan, None if c.identical else c.baseline

    return {
        "pdf": lambda paper="a4": report.plan_report(scenario, *run(), paper=paper),
        "xlsx": lambda: workbook.plan_workbook(scenario, *run()),
        "csv": lambda: per_run_frame(*run()).to_csv(index=False, float_format=CSV_FLOAT_FORMAT),
    }


def compare_files(scenarios: Mapping[str, Scenario], runs: int, seed: int) -> dict[str, Callable[..., bytes | str]]:
    """Callables building the Compare page's files, every scenario on the same runs and seed."""
    for s in scenarios.values():
        cache.check_size(s, runs)

    def run():
        return {name: simulate(s, runs=runs, seed=seed) for name, s in scenarios.items()}

    def csv() -> str:
        frames = [per_run_frame(r).assign(scenario=name) for name, r in run().items()]
        table = pd.concat(frames, ignore_index=True)
        return table[["scenario", *[c for c in table.columns if c != "scenario"]]].to_csv(
            index=False, float_format=CSV_FLOAT_FORMAT
        )

    return {
        "pdf": lambda paper="a4": report.compare_report(scenarios, run(), paper=paper),
        "xlsx": lambda: workbook.compare_workbook(scenarios, run()),
        "csv": csv,
    }


def optimise_files(scenario: Scenario, split, tornado=None) -> dict[str, Callable[..., bytes | str]]:
    """Callables building the Optimise page's files: the scenario at the best split, beside its status quo."""
    best = scenario.with_budget(split.best_budget).replace(simulation={"runs": split.runs, "seed": split.seed})
    cache.check_size(best, split.runs)

    def run():
        c = compare(best)
        return c.plan, None if c.identical else c.baseline

    return {
        "pdf": lambda paper="a4": report.optimise_report(scenario, split, *run(), tornado, paper=paper),
        "xlsx": lambda: workbook.plan_workbook(best, *run(), split=split),
        "csv": lambda: per_run_frame(*run()).to_csv(index=False, float_format=CSV_FLOAT_FORMAT),
    }


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


def plan_downloads(scenario: Scenario, key: str = "plan_kit") -> None:
    """The Plan page's report, workbook and per-run downloads."""
    with errors_shown(CANNOT, FAILED):
        download_buttons(plan_files(scenario), slug(scenario.name), key)


def compare_downloads(scenarios: Mapping[str, Scenario], runs: int, seed: int, key: str = "compare_kit") -> None:
    """The Compare page's report, workbook and per-run downloads."""
    with errors_shown(CANNOT, FAILED):
        download_buttons(compare_files(scenarios, int(runs), int(seed)), "comparison", key)


def optimise_downloads(scenario: Scenario, split, tornado=None, key: str = "opt_kit") -> None:
    """The Optimise page's report, workbook and per-run downloads."""
    with errors_shown(CANNOT, FAILED):
        download_buttons(optimise_files(scenario, split, tornado), f"{slug(scenario.name)}-best-split", key)
