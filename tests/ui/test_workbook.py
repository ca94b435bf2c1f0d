"""The Excel workbook: each table on its own sheet, read back with the numbers and formats it was written with."""

from __future__ import annotations

import io

import numpy as np
import pytest
from openpyxl import load_workbook

from simulation import compare, simulate
from simulation.io.exports import projections_wide
from simulation.io.presets import load_preset
from simulation.model.figures import FIGURES
from ui.compare.workbook import compare_workbook
from ui.shared.workbook import money_format, plan_workbook


@pytest.fixture(scope="module")
def scenario():
    return load_preset("saas_mid_market").replace(name="Kế hoạch · แผน [Q1]", simulation={"runs": 200, "seed": 4})


@pytest.fixture(scope="module")
def comparison(scenario):
    return compare(scenario)


@pytest.fixture(scope="module")
def book(scenario, comparison):
    return load_workbook(io.BytesIO(plan_workbook(scenario, comparison.plan, comparison.baseline)))


def test_sheets(book):
    want = ["P&L by year", "P&L by year, status quo", "Projections, plan", "Projections, status quo"]
    want += ["Comparison", "Assumptions"]
    assert book.sheetnames == want, f"sheets: {book.sheetnames}"


def test_pnl_reads_back_with_money_format_and_frozen_header(book, comparison):
    ws = book["P&L by year"]
    years = comparison.plan.year_summary()
    header = [c.value for c in ws[1]]
    assert header == ["Year", "Year label", "Line", "Average", "5th percentile", "Median", "95th percentile"], header
    assert ws.max_row == len(years) + 1, f"{len(years)} year-lines expected, sheet has {ws.max_row - 1} rows"
    first = years[(years["year"] == 1) & (years["metric"] == "revenue")].iloc[0]
    assert (ws.cell(2, 1).value, ws.cell(2, 3).value) == (1, "Revenue"), "year 1 revenue comes first"
    assert ws.cell(2, 4).value == pytest.approx(first["mean"]), "year 1 revenue differs from the engine's"
    assert ws.cell(2, 7).value == pytest.approx(first["p95"]), "year 1 revenue's 95th percentile differs"
    assert ws.cell(2, 4).number_format == money_format("USD"), f"format {ws.cell(2, 4).number_format!r}"
    assert ws.freeze_panes == "B2", f"header should be frozen, got {ws.freeze_panes}"
    assert ws[1][0].font.bold, "the header is bold"
    assert ws.column_dimensions["D"].width >= 12, "money columns are wide enough to read"


def test_projections_are_wide(book, comparison):
    ws = book["Projections, plan"]
    wide = projections_wide(comparison.plan)
    header = [c.value for c in ws[1]]
    assert header == list(wide.columns), f"one column per metric expected, got {header}"
    col = header.index("revenue") + 1
    assert ws.cell(12, col).value == pytest.approx(wide["revenue"].iloc[10]), "period 10 mean revenue differs"


def test_comparison_holds_medians_and_percent_formats(book, comparison):
    ws = book["Comparison"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    header = [c.value for c in ws[1]]
    r, c = rows["NPV of contribution"], header.index("Plan: median") + 1
    assert ws.cell(r, c).value == pytest.approx(float(np.median(comparison.plan.figure("npv")))), "NPV median"
    g = rows[FIGURES["grr"].label_for(comparison.plan.scenario)]
    assert ws.cell(g, c).number_format == "0.0%", f"GRR should be a percentage, got {ws.cell(g, c).number_format}"
    assert ws.cell(g, 2).value == "%", "the unit column says what the numbers are"


def test_assumptions_list_distributions(book, scenario):
    ws = book["Assumptions"]
    rows = {ws.cell(r, 1).value: [c.value for c in ws[r]] for r in range(2, ws.max_row + 1)}
    churn = rows["segments[A].churn"]
    dist = scenario.segments[0].churn
    assert churn[2] == dist.kind and churn[3] == dist.low and churn[5] == dist.high, f"churn row: {churn}"
    assert rows["name"][1] == scenario.name, "non-Latin text is kept"


def test_compare_workbook_shades_what_differs(scenario):
    other = scenario.with_budget(scenario.budget.with_split(scenario.budget.total, 0.5)).replace(name="Half / half")
    scenarios = {scenario.name: scenario, other.name: other}
    results = {n: simulate(s) for n, s in scenarios.items()}
    book = load_workbook(io.BytesIO(compare_workbook(scenarios, results)))
    assert book.sheetnames[:2] == ["Inputs", "Comparison"], f"sheets: {book.sheetnames}"
    assert all(len(n) <= 31 for n in book.sheetnames), f"Excel limits names to 31 characters: {book.sheetnames}"
    ws = book["Inputs"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    share = rows["Acquisition share"]
    assert ws.cell(share, 3).value == 0.5, "the inputs are the Compare page's, numbers as numbers"
    assert "%" in ws.cell(share, 3).number_format, "a share is formatted as a percentage"
    assert ws.cell(share, 4).value == "yes", "the split differs"
    assert ws.cell(share, 1).fill.fgColor.rgb.endswith("FDF0D5"), "a differing row is shaded"
    assert ws.cell(rows["Horizon"], 4).value in ("", None), "an equal row is not flagged"
