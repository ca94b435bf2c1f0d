"""The one-page report: its text holds the figures the pages show, names in any script print, one page."""

from __future__ import annotations

import io
import re
import unicodedata

import numpy as np
import pytest
from pypdf import PdfReader

from simulation import compare, simulate
from simulation.decide import optimize_split
from simulation.io.presets import load_preset
from ui.compare import report as compare_report
from ui.optimise import report as optimise_report
from ui.plan import report as plan_report
from ui.shared import pnl, report
from ui.shared.figure_text import HEADLINE_KPIS, delta_text, figure_cell, kpi_text, median_or_none, range_or_none

THAI_VIET = "Kế hoạch giữ chân 2027 · แผนรักษาลูกค้า"
PAGE_POINTS = {"a4": (595, 842), "letter": (612, 792)}


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with line breaks removed (the extractor breaks lines inside words of some scripts)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s*\n\s*", " ", " ".join(p.extract_text() for p in reader.pages))


def squeeze(text: str) -> str:
    """Text without white space or control characters: pypdf puts stray ones between Thai marks and letters."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cc")


def font_names(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture(scope="module")
def scenario():
    s = load_preset("saas_mid_market")
    return s.replace(name=THAI_VIET, simulation={"runs": 300, "seed": 11})


@pytest.fixture(scope="module")
def comparison(scenario):
    return compare(scenario)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_plan_report_is_one_page_of_the_right_size(scenario, comparison, paper):
    pdf = plan_report.plan_report(scenario, comparison.plan, comparison.baseline, paper=paper)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1, f"the report should fit one page, got {len(reader.pages)}"
    box = reader.pages[0].mediabox
    size = (round(float(box.width)), round(float(box.height)))
    assert size == PAGE_POINTS[paper], f"{paper} page should be {PAGE_POINTS[paper]} points, got {size}"


def test_plan_report_holds_the_pages_figures(scenario, comparison):
    text = pdf_text(plan_report.plan_report(scenario, comparison.plan, comparison.baseline))
    plan, base = comparison.plan.kpis, comparison.baseline.kpis
    for name in HEADLINE_KPIS:
        shown = kpi_text(name, median_or_none(plan[name]), scenario)
        lo, hi = range_or_none(plan[name])
        change = delta_text(name, median_or_none(plan[name] - base[name]), scenario)
        for piece in (shown, kpi_text(name, lo, scenario), kpi_text(name, hi, scenario), change):
            assert piece in text, f"{name}: {piece!r} is shown on the page but not in the report"
    p = float(np.mean(comparison.difference("npv") > 0))
    assert f"It earns more (by NPV) in {p * 100:.0f} %" in text, "the answer sentence of the page is missing"
    assert f"seed {scenario.simulation.seed}" in text, "the seed must be printed for reproduction"
    years = pnl.report_table(pnl.YearTable.of(comparison.plan), scenario.currency, scenario.period)
    for line in ("Revenue", "Cost to serve", "Operating profit"):
        average, band = years.loc[0, line].split("\n")
        assert line in text and average in text and band in text, f"year 1 {line} of the page is missing: {band}"


def test_thai_and_vietnamese_names_print(scenario, comparison):
    pdf = plan_report.plan_report(scenario, comparison.plan, comparison.baseline)
    text = pdf_text(pdf)
    assert squeeze(THAI_VIET) in squeeze(text), f"the scenario name did not come through: {text[:200]!r}"
    fonts = font_names(pdf)
    assert any("NotoSansThai" in f for f in fonts), f"the Thai font should be embedded: {fonts}"


def test_typed_text_is_printed_as_typed_never_as_markup(comparison):
    hostile = '*bold* _x_ #panic("no") $x^2$ <l> @ref [a](b) \\ #import "/etc/passwd"'
    s = comparison.plan.scenario.replace(name=hostile)
    plan = simulate(s, runs=50, seed=1)
    text = pdf_text(plan_report.plan_report(s, plan, None))
    assert squeeze(hostile) in squeeze(text), f"the name was altered: {text[:300]!r}"
    assert "budget is the status quo's" in text, "a plan equal to its status quo says so"


def test_unknown_paper_is_refused(scenario, comparison):
    with pytest.raises(report.ReportError, match="paper must be one of a4, letter"):
        plan_report.plan_report(scenario, comparison.plan, comparison.baseline, paper="a3")


def test_compare_report_puts_scenarios_side_by_side(scenario):
    grow = scenario.with_budget(scenario.budget.with_split(scenario.budget.total, 0.95)).replace(name="Grow")
    keep = scenario.with_budget(scenario.budget.with_split(scenario.budget.total, 0.5)).replace(name="Keep")
    scenarios = {"Grow": grow, "Keep": keep, THAI_VIET: scenario}
    results = {n: simulate(s) for n, s in scenarios.items()}
    pdf = compare_report.compare_report(scenarios, results, paper="letter")
    text = pdf_text(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, "the comparison should fit one page"
    for name, s in scenarios.items():
        npv = results[name].figure("npv")
        cell = figure_cell("npv", npv, s)
        assert squeeze(cell) in squeeze(text), f"{name}: NPV cell {cell!r} is missing"
    assert "Acquisition share" in text and "95 %" in text and "50 %" in text, "the inputs table is missing"
    with pytest.raises(Exception, match="same scenario"):
        compare_report.compare_report(
            {"a": grow, "b": grow.replace(name="again")}, {"a": results["Grow"], "b": results["Grow"]}
        )


def test_optimise_report_adds_the_split_curve(scenario):
    small = scenario.replace(simulation={"runs": 200, "seed": 5})
    split = optimize_split(small, "npv", None, 11, 200, 5)
    best = small.with_budget(split.best_budget)
    c = compare(best)
    pdf = optimise_report.optimise_report(small, split, c.plan, c.baseline)
    text = pdf_text(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, "the optimise report should fit one page"
    share = f"{split.best_share * 100:.0f} %"
    assert f"Put {share} of the acquisition + retention budget into acquisition" in text, "the answer is missing"
    assert "Best acquisition share" in text, "the optimiser's figures are missing"


def test_figure_labels_come_from_the_registry_for_the_scenario(scenario):
    """A 6-month horizon: GRR is over 6 months on the card, in the help, the report and the workbook alike."""
    from simulation.model.figures import FIGURES
    from ui.shared.figure_text import LOWER_IS_BETTER, kpi_full_name, kpi_label

    short = scenario.replace(horizon=6)
    assert kpi_label("grr", short) == FIGURES["grr"].short_for(short) == "GRR, 6 months", kpi_label("grr", short)
    assert kpi_full_name("grr", short) == FIGURES["grr"].label_for(short), "the card's help names the registry's label"
    assert {k for k, f in FIGURES.items() if not f.higher_is_better} == LOWER_IS_BETTER, "directions from the registry"
    rows = report.headline_rows(
        {k: np.ones(3) for k in HEADLINE_KPIS}, None, short
    )
    assert FIGURES["grr"].label_for(short) in [r[0] for r in rows], "the report names GRR over the horizon"
