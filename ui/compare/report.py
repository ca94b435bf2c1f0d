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
    scenarios: Mapping[str, Scenario],
    results: Mapping[str, SimulationResult],
    *,
    paper: str = "a4",
    common: Mapping[str, SimulationResult] | None = None,
) -> bytes:
    """2-5 scenarios side by side on one page: what differs, their figures, their revenue.

    ``results`` maps the same names to each scenario's plan on its own runs and seed (the figures
    of its Plan page); ``common`` to each plan on one shared runs and seed, on which who comes out
    ahead is counted (default: ``results``, when they share runs and seed).
    """
    check_comparable(scenarios)
    if list(results) != list(scenarios) or (common is not None and list(common) != list(scenarios)):
        raise pdf.ReportError("give one result per scenario, in the same order")
    first = next(iter(results.values()))
    same = all(r.runs == first.runs and r.seed == first.seed for r in results.values())
    common = common if common is not None else (results if same else None)
    if common is not None:
        c0 = next(iter(common.values()))
        if any(r.runs != c0.runs or r.seed != c0.seed for r in common.values()):
            raise pdf.ReportError("the run-by-run comparison needs every scenario on the same runs and seed")
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
    answer = [f"{best} has the highest median NPV ({kpi_text('npv', median_or_none(npv[best]), scenarios[best])})."]
    if common is not None:
        shared = {n: np.asarray(common[n].figure("npv"), dtype=float) for n in names}
        ahead = float(np.mean(np.all([shared[best] > shared[o] for o in others], axis=0)))
        answer.append(
            f"It is ahead of every other scenario in {style.percent(ahead, 0)} of {c0.runs:,} common futures "
            f"(seed {c0.seed}: the same futures for all, run by run)."
        )
    if not same:
        answer.append("Each scenario's figures are on its own runs and seed, as on its Plan page.")
    if same:
        method = pdf.METHOD.format(runs=first.runs, what="All scenarios are")
        footer = pdf.footer(first.runs, first.seed)
    else:
        shared_runs = c0 if common is not None else first
        method = (
            pdf.METHOD.format(runs=shared_runs.runs, what="For who comes out ahead, all scenarios are")
            + " Each scenario's figures are on its own runs and seed."
        )
        footer = pdf.footer(shared_runs.runs, shared_runs.seed, " run by run; figures on each scenario's own")
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
        "method": method,
        "footer": footer,
    }
    svgs = {"fan": pdf.fan_svg(results, colors, lead, f"Revenue per {per}")}
    return pdf.render(data, svgs)
