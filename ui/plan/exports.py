"""The Plan page's files: report, workbook and per-run data, built on click; the scenario and projections."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from simulation import Scenario, compare
from simulation.io.exports import per_run_csv
from ui.plan import report as plan_report
from ui.plan import text as plan_text
from ui.shared import cache, workbook
from ui.shared.downloads import page_downloads
from ui.shared.widgets import slug


def advice(scenario: Scenario) -> list[str]:
    """The page's recommendation and, where it has one, its budget-size answer, as plain text for a file.

    Both come from the cached sweep the page shows them from (the same sentences, without Markdown).
    """
    best = cache.best_split(scenario)
    if best is None:
        return []
    share = scenario.budget.acquisition_share
    lines = [plan_text.recommendation(best, share, cache.best_against_plan(scenario, best), scenario)]
    size = cache.budget_size(scenario, best) if plan_text.spend_less(best) else None
    words = plan_text.budget_text(best, size, scenario)
    if words:
        lines.append(words)
    return [line.replace("**", "") for line in lines]


def plan_files(scenario: Scenario) -> dict[str, Callable[..., bytes | str]]:
    """Callables building the Plan page's files: ``pdf(paper)``, ``xlsx()``, ``csv()``."""
    cache.check_size(scenario, scenario.simulation.runs)

    def run():
        c = compare(scenario)
        return c.plan, None if c.identical else c.baseline

    return {
        "pdf": lambda paper="a4": plan_report.plan_report(scenario, *run(), paper=paper, advice=advice(scenario)),
        "xlsx": lambda: workbook.plan_workbook(scenario, *run()),
        "csv": lambda: per_run_csv(*run()),
    }


def plan_downloads(scenario: Scenario, key: str = "plan_kit") -> None:
    """The Plan page's report, workbook and per-run downloads."""
    page_downloads(lambda: plan_files(scenario), slug(scenario.name), key)


def scenario_downloads(scenario: Scenario, simulated: bool) -> None:
    """The scenario as TOML, and the plan's and the status quo's projections as CSV (once simulated)."""
    st.download_button(
        "Scenario (TOML)",
        data=scenario.to_toml(),
        file_name=f"{slug(scenario.name)}.toml",
        mime="application/toml",
        icon=":material/description:",
        on_click="ignore",
        help="The whole scenario as a file you can edit, keep, and open again here or with the command line.",
    )
    if not simulated:
        st.caption("The projections can be downloaded once the scenario can be simulated.")
        return
    st.download_button(
        "Projections of the plan (CSV)",
        data=cache.csv_for(scenario),
        file_name=f"{slug(scenario.name)}-plan.csv",
        mime="text/csv",
        icon=":material/table:",
        on_click="ignore",
        help="Per period and metric: mean and 5th, 25th, 50th, 75th, 95th percentiles (the command line's format).",
    )
    st.download_button(
        "Projections of the status quo (CSV)",
        data=cache.csv_for(scenario, scenario.baseline),
        file_name=f"{slug(scenario.name)}-status-quo.csv",
        mime="text/csv",
        icon=":material/table:",
        on_click="ignore",
        help="The same table for the status-quo budget.",
    )
