"""The Excel workbook (.xlsx): year-by-year P&L, per-period projections, the comparison and the assumptions.

Written with openpyxl (no Streamlit): each table on its own sheet with a bold, frozen
header row, number formats in the scenario's currency, percentages as percentages, and
column widths that fit. Numbers are stored as numbers, so the workbook is ready for
formulas and pivot tables.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from simulation import Scenario, SimulationResult
from simulation.io.cells import safe_text_cell
from simulation.io.exports import projections_wide
from simulation.model.distributions import Distribution
from simulation.model.figures import FIGURES, KPIS
from ui.shared import pnl, style

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
DIFFERS_FILL = PatternFill("solid", fgColor="FDF0D5")
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
RATIO_FORMAT = '0.0"×"'
PERIODS_FORMAT = "0.0"
MONEY_PATHS = {"revenue", "gross_profit", "spend", "contribution", "cumulative_contribution"}
MONEY_PATHS |= {"revenue_run_rate", "run_rate_new", "run_rate_expansion", "run_rate_winback", "run_rate_lost"}
MAX_WIDTH = 60


def money_format(currency: str) -> str:
    """An Excel number format for whole amounts in ``currency``: ``"$"#,##0``, ``"€"#,##0``."""
    symbol = style.currency_symbol(currency).replace('"', "")
    return f'"{symbol}"#,##0;-"{symbol}"#,##0'


def _kind_format(kind: str, currency: str) -> str:
    return {
        "money": money_format(currency),
        "percent": PERCENT_FORMAT,
        "ratio": RATIO_FORMAT,
        "periods": PERIODS_FORMAT,
    }.get(kind, COUNT_FORMAT)


def _cell_value(x):
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return safe_text_cell(x)


def write_sheet(wb: Workbook, title: str, frame: pd.DataFrame, formats: Mapping[str, str] | None = None, fills=None):
    """One sheet from a frame: bold frozen header, per-column number formats, fitted widths.

    Every text cell, the header's too, goes through :func:`~simulation.io.cells.safe_text_cell`:
    a name a spreadsheet would run as a formula is stored as text.

    ``fills`` is an optional list (one per row) of fills for whole rows, or None.
    """
    ws = wb.create_sheet(title)
    formats = formats or {}
    columns = [str(c) for c in frame.columns]
    ws.append([safe_text_cell(c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(frame.itertuples(index=False)):
        ws.append([_cell_value(x) for x in row])
        if fills is not None and fills[i] is not None:
            for cell in ws[i + 2]:
                cell.fill = fills[i]
    for j, name in enumerate(columns, start=1):
        fmt = formats.get(name)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = fmt
        values = [name, *(str(v) for v in frame.iloc[:, j - 1].head(200))]
        width = max(len(v) for v in values) if fmt is None else max(len(name), 12)
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), MAX_WIDTH)
    ws.freeze_panes = "B2"
    return ws


def pnl_frame(result: SimulationResult) -> pd.DataFrame:
    """The year-by-year P&L as the engine summarises it: one row per year and line, the average and percentiles."""
    return pnl.workbook_frame(pnl.YearTable.of(result), result.scenario.period)


def pnl_formats(currency: str) -> dict[str, str]:
    money = money_format(currency)
    return {column: money for column in ("Average", "5th percentile", "Median", "95th percentile")}


def projection_formats(frame: pd.DataFrame, currency: str) -> dict[str, str]:
    money = money_format(currency)
    return {c: money if c in MONEY_PATHS else COUNT_FORMAT for c in frame.columns if c != "period"}


def figures_frame(results: Mapping[str, SimulationResult], scenario: Scenario) -> pd.DataFrame:
    """Every figure of each series: median, 5th and 95th percentile (undefined runs left out)."""
    rows = []
    for key in KPIS:
        fig = FIGURES[key]
        row = {"Figure": fig.label_for(scenario), "Unit": _unit(fig.kind, scenario)}
        for name, result in results.items():
            values = np.asarray(result.figure(key), dtype=float)
            finite = values[np.isfinite(values)]
            if finite.size:
                p5, p50, p95 = np.percentile(finite, (5, 50, 95))
            else:
                p5 = p50 = p95 = math.nan
            row[f"{name}: median"] = p50
            row[f"{name}: 5th pct"] = p5
            row[f"{name}: 95th pct"] = p95
        rows.append(row)
    return pd.DataFrame(rows)


def _unit(kind: str, scenario: Scenario) -> str:
    return {
        "money": scenario.currency,
        "percent": "%",
        "ratio": "ratio",
        "periods": f"{scenario.period}s",
    }.get(kind, "count")


def write_figures(wb: Workbook, title: str, frame: pd.DataFrame, scenario: Scenario) -> None:
    ws = write_sheet(wb, title, frame)
    for r, key in enumerate(KPIS, start=2):
        fmt = _kind_format(FIGURES[key].kind, scenario.currency)
        for c in range(3, frame.shape[1] + 1):
            ws.cell(row=r, column=c).number_format = fmt
    for c in range(3, frame.shape[1] + 1):
        ws.column_dimensions[get_column_letter(c)].width = max(len(str(frame.columns[c - 1])) + 2, 14)


def assumptions_frame(scenario: Scenario) -> pd.DataFrame:
    """Every scenario field by its path, with a distribution's parameters in their own columns."""
    rows = []

    def walk(value, path: str) -> None:
        if isinstance(value, Distribution):
            rows.append({"Field": path, "Value": value.expected, "Distribution": value.kind, **value.as_dict()})
        elif isinstance(value, dict) and set(value) in ({"low", "high"}, {"low", "mode", "high"}, {"mean", "sd"}):
            walk(Distribution.model_validate(value), path)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{path}[{item.get('name', '?')}]" if isinstance(item, dict) else path)
        else:
            rows.append({"Field": path, "Value": value, "Distribution": ""})

    walk(scenario.to_dict(), "")
    frame = pd.DataFrame(rows)
    for col in ("low", "mode", "high", "mean", "sd"):
        if col not in frame:
            frame[col] = None
    frame = frame[["Field", "Value", "Distribution", "low", "mode", "high", "mean", "sd"]]
    return frame.rename(columns={"Value": "Value (mean of a range)"})


def save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def plan_workbook(
    scenario: Scenario, plan: SimulationResult, baseline: SimulationResult | None = None, split=None
) -> bytes:
    """The plan's workbook: P&L by year, projections per period (plan and status quo), figures, assumptions.

    ``split`` (a :class:`~simulation.decide.search.SplitResult`) adds the optimiser's split curve.
    """
    cur = scenario.currency
    wb = new_workbook()
    write_sheet(wb, "P&L by year", pnl_frame(plan), pnl_formats(cur))
    series = {"Plan": plan}
    if baseline is not None and baseline.budget != plan.budget:
        series["Status quo"] = baseline
        write_sheet(wb, "P&L by year, status quo", pnl_frame(baseline), pnl_formats(cur))
    for name, result in series.items():
        wide = projections_wide(result)
        write_sheet(wb, f"Projections, {name.lower()}", wide, projection_formats(wide, cur))
    write_figures(wb, "Comparison", figures_frame(series, scenario), scenario)
    if split is not None:
        grid = split.grid_frame()[["acquisition_share", "value", "p5", "p50", "p95", "within_noise"]]
        obj_fmt = money_format(cur) if split.objective_info.is_money else PERCENT_FORMAT
        write_sheet(
            wb,
            "Split curve",
            grid,
            {"acquisition_share": PERCENT_FORMAT, "value": obj_fmt, "p5": obj_fmt, "p50": obj_fmt, "p95": obj_fmt},
        )
    write_sheet(wb, "Assumptions", assumptions_frame(scenario))
    return save(wb)


def sheet_name(prefix: str, name: str) -> str:
    """A sheet title Excel accepts (31 characters, none of ``[]:*?/\\``)."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name)
    return f"{prefix} {clean}"[:31].strip()
