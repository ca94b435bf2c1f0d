"""The year-by-year P&L as people read it: the engine's table (``SimulationResult.year_summary``), written out.

Nothing here computes a line: revenue, gross profit, cost to serve, marketing spend,
contribution, operating costs and operating profit per year, with each year's 90 % range,
all come from the result, so the page, the PDF, the workbook and ``run --format json`` show
one table. A year's range is the range of that year's totals across futures (percentiles of
periods cannot be added up).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simulation import SimulationResult
from simulation.engines.paths import PNL_LABELS, PNL_METRICS
from ui.shared import style

PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
LINES_NOTE = (
    "Contribution = gross profit − cost to serve − marketing spend (− programme costs, where the plan runs "
    "programmes); operating profit = contribution − operating costs."
)
RANGE_NOTE = f"The average of the simulated futures, and in brackets the range that holds 90 % of them. {LINES_NOTE}"
REPORT_NOTE = f"The average of the simulated futures, and under it the range that holds 90 % of them. {LINES_NOTE}"


@dataclass(frozen=True)
class YearTable:
    """The engine's P&L of one run: ``summary`` (long: ``year, metric, mean, p5, p50, p95``) and each year's periods."""

    summary: pd.DataFrame
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, result: SimulationResult) -> YearTable:
        return cls(result.year_summary(), tuple(result.year_spans))


def year_label(year: int, first: int, last: int, period: str) -> str:
    """``Year 1``, or ``Year 5 (months 49–54)`` for a short last year."""
    if last - first + 1 == PERIODS_PER_YEAR[period]:
        return f"Year {year}"
    span = f"{period} {first}" if first == last else f"{period}s {first}–{last}"
    return f"Year {year} ({span})"


def _cells(table: YearTable, period: str, text) -> pd.DataFrame:
    """One row per year, one column per P&L line, each cell ``text(row)`` of the engine's summary row."""
    summary = table.summary.set_index(["year", "metric"])
    present = set(table.summary["metric"])
    lines = [m for m in PNL_METRICS if m in present]  # programme costs only where the plan runs programmes
    rows = []
    for year, (first, last) in enumerate(table.spans, start=1):
        row = {"Year": year_label(year, first, last, period)}
        for metric in lines:
            row[PNL_LABELS[metric]] = text(summary.loc[(year, metric)])
        rows.append(row)
    return pd.DataFrame(rows, columns=["Year", *(PNL_LABELS[m] for m in lines)])


def display_table(table: YearTable, currency: str, period: str) -> pd.DataFrame:
    """The page's table, read like a P&L statement: one row per line, one column per year.

    Each cell is the year's average and, in brackets, its 90 % range, as text.
    """
    money = lambda x: style.money(x, currency)  # noqa: E731
    by_year = _cells(table, period, lambda r: f"{money(r['mean'])} ({money(r['p5'])} to {money(r['p95'])})")
    statement = by_year.set_index("Year").T
    statement.columns.name = None
    return statement.rename_axis("Line").reset_index()


def report_table(table: YearTable, currency: str, period: str) -> pd.DataFrame:
    """The PDF's table: the average, and the 90 % range on a second line of the cell."""
    money = lambda x: style.money(x, currency)  # noqa: E731
    return _cells(table, period, lambda r: f"{money(r['mean'])}\n{money(r['p5'])} to {money(r['p95'])}")


def workbook_frame(table: YearTable, period: str) -> pd.DataFrame:
    """The workbook's sheet: one row per year and line with the average, 5th, 50th and 95th percentile as numbers."""
    frame = table.summary.sort_values("year", kind="stable").reset_index(drop=True)
    labels = {year: year_label(year, a, b, period) for year, (a, b) in enumerate(table.spans, start=1)}
    frame.insert(1, "Year label", frame["year"].map(labels))
    frame["metric"] = frame["metric"].map(PNL_LABELS)
    return frame.rename(
        columns={"year": "Year", "metric": "Line", "mean": "Average", "p5": "5th percentile", "p50": "Median",
                 "p95": "95th percentile"}
    )  # fmt: skip
