"""The Plan page's one-page report (PDF): the plan against the status quo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from simulation import Scenario, SimulationResult
from ui.shared import report as pdf
from ui.shared import style
from ui.shared.figure_text import (
    delta_text,
    median_or_none,
    range_or_none,
    verdict,
)


def plan_answer(
    plan: Mapping[str, np.ndarray], baseline: Mapping[str, np.ndarray] | None, runs: int, scenario: Scenario
):
    """The Plan page's answer in words (the same sentence as its headline)."""
    if baseline is None:
        return [
            "The plan's budget is the status quo's. Move the split or the total budget to see what a change would do."
        ]
    diff = np.asarray(plan["npv"], dtype=float) - np.asarray(baseline["npv"], dtype=float)
    p = float(np.mean(diff > 0))
    band = range_or_none(diff)
    return [
        f"The plan {verdict(p)} the status quo.",
        f"It earns more (by NPV) in {style.percent(p, 0)} of {runs:,} simulated futures. "
        f"Median change in NPV {delta_text('npv', median_or_none(diff), scenario)}; in 90 % of futures between "
        f"{delta_text('npv', band[0], scenario)} and {delta_text('npv', band[1], scenario)}.",
    ]


def plan_report(
    scenario: Scenario,
    plan: SimulationResult,
    baseline: SimulationResult | None = None,
    *,
    paper: str = "a4",
    advice: Sequence[str] = (),
) -> bytes:
    """The Plan page on one page: the plan against the status quo.

    Parameters
    ----------
    scenario : Scenario
        The scenario shown (its name, budgets and assumptions are printed).
    plan, baseline : SimulationResult
        The plan and the status quo on the same runs and seed; ``baseline`` may be None or
        the plan itself when the plan's budget is the status quo's.
    paper : {"a4", "letter"}
    advice : sequence of str
        The page's recommendation and budget-size sentences, as plain text; printed under the answer.

    Returns
    -------
    bytes
        A one-page PDF.
    """
    pdf.check_pair(plan, baseline)
    identical, results, colors = pdf.plan_series(plan, baseline)
    cur, per = scenario.currency, scenario.period
    base_kpis = None if identical else baseline.kpis
    figures = pdf.table(
        "Headline figures",
        ["", "Median", "90 % of futures", "vs status quo"],
        pdf.headline_rows(plan.kpis, base_kpis, scenario),
        "Median: the plan's median future. vs status quo: the median of the future-by-future difference.",
    )
    data = {
        "paper": pdf.paper_name(paper),
        "title": scenario.name,
        "subtitle": f"Plan report · {pdf.spend_text(scenario.budget, cur, per)} · {scenario.horizon} {per}s ahead",
        "question": (
            f"What does spending {pdf.spend_text(scenario.budget, cur, per)} bring?"
            if identical
            else f"Should we spend {pdf.spend_text(scenario.budget, cur, per)} rather than the status quo's "
            f"{pdf.spend_text(scenario.baseline, cur, per)}?"
        ),
        "answer": [*plan_answer(plan.kpis, base_kpis, plan.runs, scenario), *advice],
        "figures": figures,
        "figures_width": [1.35, 1],
        "assumptions": pdf.table("Key assumptions", ["", "Value"], pdf.assumption_rows(scenario)),
        "charts": ["fan", "bridge"],
        "chart_columns": 2,
        "chart_width": 1.0,
        "years": pdf.years_table({"Plan": plan}, scenario),
        "method": pdf.METHOD.format(runs=plan.runs, what="The plan and the status quo are"),
        "footer": pdf.footer(plan.runs, plan.seed),
    }
    svgs = {
        "fan": pdf.fan_svg(results, colors, scenario, f"Revenue per {per}: the plan beside the status quo"),
        "bridge": pdf.bridge_svg(results, colors, scenario),
    }
    return pdf.render(data, svgs)
