"""Exports that read right: numbers as numbers, every draw behind a figure, file names in any script,
an Optimise report that names its statistics, and no arrow on a change that rounds to zero."""

from __future__ import annotations

import dataclasses
import io
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from simulation import compare, simulate
from simulation.decide import optimize_split
from simulation.io.exports import per_run_frame
from simulation.io.presets import load_preset
from ui.compare.workbook import compare_workbook
from ui.optimise import report as optimise_report
from ui.shared.figure_text import delta_text, shows_zero
from ui.shared.widgets import slug

NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?")


@pytest.fixture(scope="module")
def saas():
    return load_preset("saas_mid_market").replace(simulation={"runs": 200, "seed": 5})


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def test_the_compare_workbook_stores_numbers_as_numbers(saas):
    other = saas.replace(
        name="Other",
        budget={"acquisition": 90_000, "retention": 30_000},
        segments=[{**seg.model_dump(exclude_none=True), "customers": seg.customers + 7} for seg in saas.segments],
    )
    scenarios = {"A": saas, "B": other}
    results = {n: simulate(s) for n, s in scenarios.items()}
    ws = load_workbook(io.BytesIO(compare_workbook(scenarios, results)))["Inputs"]
    as_text = [
        (row[0].value, cell.value)
        for row in ws.iter_rows(min_row=2)
        for cell in row[1:3]
        if isinstance(cell.value, str) and NUMBER.fullmatch(cell.value.strip())
    ]
    assert not as_text, f"numbers stored as text in the Inputs sheet: {as_text[:10]}"
    rows = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    budget = rows["Budget per period"][1]
    assert budget.value == saas.budget.total and "#,##0" in budget.number_format, (
        f"the budget is a number with a money format: {budget.value!r} {budget.number_format!r}"
    )
    share = rows["Acquisition share"][2]
    assert share.value == pytest.approx(0.75) and "%" in share.number_format, (share.value, share.number_format)
    assert rows["Cost multiplier"][1].value == "most likely 7×, range 5–12×", "the multiple is stated as on the page"


def test_the_per_run_csv_has_the_operating_costs_draw(saas):
    costly = saas.replace(operating_costs={"low": 20_000, "high": 40_000})
    c = compare(costly)
    frame = per_run_frame(c.plan, c.baseline)
    assert "operating_costs" in frame.columns, f"the draw behind operating NPV is exported: {list(frame.columns)}"
    assert frame["operating_costs"].between(20_000, 40_000).all(), "each future's own operating costs"
    assert frame["operating_costs"].nunique() > 1, "a range gives a draw per future"
    assert "operating_npv" in frame.columns


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("2027 แผนรักษาลูกค้า", "2027-แผนรักษาลูกค้า"),
        ("Kế hoạch giữ chân", "kế-hoạch-giữ-chân"),
        ("Subscription software, mid-market", "subscription-software-mid-market"),
        ('a/b\\c:d*e?"f<g>h|i', "a-b-c-d-e-f-g-h-i"),
        ("../..", "scenario"),
    ],
)
def test_file_names_keep_letters_of_any_script_and_nothing_a_file_system_treats_specially(title, stem):
    assert slug(title) == stem, f"{title!r} -> {slug(title)!r}, wanted {stem!r}"
    assert not re.search(r'[\\/:*?"<>|.\s]', slug(title)), "no path separators, dots or spaces"


def _optimise_pdf(saas, lo_hi=None, bars=13):
    split = optimize_split(saas, "npv", None, 11, 200, 5)
    if lo_hi is not None:
        split = dataclasses.replace(split, best_share_range=lo_hi)
    c = compare(saas.with_budget(split.best_budget))
    frame = pd.DataFrame(
        {
            "assumption": [f"Assumption {i}" for i in range(bars)],
            "low": ["low"] * bars,
            "high": ["high"] * bars,
            "delta_low": [-1000.0 * (bars - i) for i in range(bars)],
            "delta_high": [1000.0 * (bars - i) for i in range(bars)],
            "best_share_low": [0.5] * bars,
            "best_share_high": [0.6] * bars,
        }
    )
    tornado = SimpleNamespace(frame=frame, base_share=split.best_share)
    return split, _text(optimise_report.optimise_report(saas, split, c.plan, c.baseline, tornado=tornado))


def test_the_optimise_report_says_only_one_split_names_its_statistics_and_its_tornado(saas):
    _, text = _optimise_pdf(saas, lo_hi=(0.9402, 0.9404))
    assert "94 % to 94 %" not in text and "94 % – 94 %" not in text, "a range that rounds to one value"
    assert "only 94 %" in text, f"the range that rounds to one split says so: {text[:600]}"
    assert "NPV of contribution (mean)" in text and "NPV of contribution (median)" in text, (
        "the two NPV rows say which statistic each is"
    )
    assert "shows the 8 assumptions that move the answer most, of the 13" in text, "the tornado says what it leaves out"
    assert optimise_report.noise_range(0.90, 0.96) == "from 90 % to 96 %"


def test_the_optimise_page_says_only_one_split_when_the_range_rounds_to_one(saas):
    from ui.optimise import text as optimise_text

    split = optimize_split(saas, "npv", None, 11, 200, 5)
    narrow = dataclasses.replace(split, near_best_range=(0.9402, 0.9404))
    words = optimise_text.flat_text(narrow, "money")
    assert "only 94 % comes within" in words and "94 % to 94 %" not in words, words


def test_a_change_that_rounds_to_zero_has_no_sign():
    s = load_preset("saas_mid_market")
    assert delta_text("ltv_to_cac", 0.02, s) == "0.0×", delta_text("ltv_to_cac", 0.02, s)
    assert shows_zero(delta_text("ltv_to_cac", -0.02, s)), "minus a rounding is not a change either"
    assert delta_text("ltv_to_cac", 0.3, s) == "+0.3×" and not shows_zero("+0.3×")
    assert delta_text("npv", 1_250_000, s) == "+$1.25M"
