"""The Compare page's one-page report (PDF): 2-5 scenarios side by side."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from simulation import Scenario, SimulationResult
from simulation.model.figures import FIGURES
from ui.compare.inputs import DIFFERS, check_comparable, inputs_table
from ui.shared import report as pdf
from ui.shared import style
from ui.shared.figure_text import (
    COMPARE_KPIS,
    figure_cell,
    kpi_text,
    median_or_none,
)


def compare_report(
    scenarios: Mapping[str, Scenario], results: Mapping[str, SimulationResult], *, paper: str = "a4"
) -> bytes:
    """2-5 scenarios side by side on one page: what differs, their figures, their revenue.

    ``results`` maps the same names to each scenario's plan, all on the same runs and seed.
    """
    check_comparable(scenarios)
    if list(results) != list(scenarios):
        raise pdf.ReportError("give one result per scenario, in the same order")
    first = next(iter(results.values()))
    if any(r.runs != first.runs or r.seed != first.seed for r in results.values()):
        raise pdf.ReportError("every scenario must be run on the same runs and seed")
    lead = next(iter(scenarios.values()))
    cur, per = lead.currency, lead.period
    names = list(scenarios)
    inputs = inputs_table(scenarios)
    shown = inputs.head(pdf.MAX_INPUT_ROWS)
    note = "Shaded: differs between the scenarios."
    if len(inputs) > pdf.MAX_INPUT_ROWS:
        note += f" {len(inputs) - pdf.MAX_INPUT_ROWS} more differing fields are in the workbook."
    assumptions = pdf.table(
        "Inputs",
        ["", *names],
        [[label, *row[names]] for label, row in shown.iterrows()],
        note,
        highlight=[bool(x) for x in shown[DIFFERS]],
    )
    figures = pdf.table(
        "Headline figures: median (90 % of futures)",
        ["", *names],
        [
            [FIGURES[k].label_for(lead), *(figure_cell(k, results[n].figure(k), scenarios[n]) for n in names)]
            for k in COMPARE_KPIS
        ],
    )
    # five columns of "median (low - high)" fit on one line each only in smaller type
    figures["size"] = assumptions["size"] = 7 if len(names) <= 3 else 6.2
    npv = {n: np.asarray(results[n].figure("npv"), dtype=float) for n in names}
    best = max(names, key=lambda n: np.median(npv[n]))
    others = [n for n in names if n != best]
    ahead = float(np.mean(np.all([npv[best] > npv[o] for o in others], axis=0)))
    answer = [
        f"{best} has the highest median NPV ({kpi_text('npv', median_or_none(npv[best]), scenarios[best])}).",
        f"It is ahead of every other scenario in {style.percent(ahead, 0)} of {first.runs:,} simulated futures "
        "(the same futures for all, run by run).",
    ]
    colors = dict(zip(names, style.SERIES, strict=False))
    data = {
        "paper": pdf.paper_name(paper),
        "title": "Comparison: " + " · ".join(names),
        "subtitle": f"Compare report · {len(names)} scenarios · money in {cur}",
        "question": f"Which of these {len(names)} scenarios does best, and what differs between them?",
        "answer": answer,
        "figures": figures,
        "figures_width": [1],
        "assumptions": assumptions,
        "charts": ["fan"],
        "chart_columns": 1,
        "chart_width": 0.58 if len(names) <= 3 else 0.5,
        "years": pdf.years_table(results, lead),
        "method": pdf.METHOD.format(runs=first.runs, what="All scenarios are"),
        "footer": pdf.footer(first.runs, first.seed),
    }
    svgs = {"fan": pdf.fan_svg(results, colors, lead, f"Revenue per {per}")}
    return pdf.render(data, svgs)
