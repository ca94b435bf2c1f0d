"""The files behind the download buttons, built as a click builds them."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook
from pypdf import PdfReader

from simulation.decide import optimize_split
from simulation.io.presets import load_preset
from ui.compare import exports as compare_exports
from ui.optimise import exports as optimise_exports


def test_optimise_files_are_for_the_best_split():
    s = load_preset("saas_mid_market").replace(simulation={"runs": 100, "seed": 2})
    split = optimize_split(s, "npv", None, 6, 100, 2)
    files = optimise_exports.optimise_files(s, split)
    pdf = files["pdf"]("letter")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, "the optimise report is one page"
    book = load_workbook(io.BytesIO(files["xlsx"]()))
    assert "Split curve" in book.sheetnames, f"sheets: {book.sheetnames}"
    ws = book["Split curve"]
    assert ws.max_row - 1 == len(split.grid_frame()), "one row per grid split"
    runs = pd.read_csv(io.StringIO(files["csv"]()))
    assert len(runs) == 100, f"one row per future, got {len(runs)}"


def test_compare_files_put_every_scenario_on_the_same_futures():
    s = load_preset("saas_mid_market")
    half = s.with_budget(s.budget.with_split(s.budget.total, 0.5)).replace(name="Half")
    files = compare_exports.compare_files({"Preset": s, "Half": half}, runs=80, seed=3)
    runs = pd.read_csv(io.StringIO(files["csv"]()))
    assert list(runs.columns[:2]) == ["scenario", "run"], f"columns start {list(runs.columns[:2])}"
    assert runs.groupby("scenario").size().to_dict() == {"Half": 80, "Preset": 80}, "80 futures each"
    churn = runs.pivot(index="run", columns="scenario", values="segments.A.churn")
    assert (churn["Half"] == churn["Preset"]).all(), "a shared assumption takes the same value in each future"
    pdf = files["pdf"]("a4")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, "the comparison report is one page"
    assert load_workbook(io.BytesIO(files["xlsx"]())).sheetnames[0] == "Inputs", "the workbook opens on the inputs"
