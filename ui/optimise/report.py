"""The Optimise page's one-page report (PDF): the best split, its curve, the tornado, the plan at the best split."""

from __future__ import annotations

import math

from simulation import Scenario, SimulationResult
from simulation.model.figures import FIGURES
from ui.optimise import charts as oc
from ui.shared import report as pdf
from ui.shared import style

OPTIMISE_FIGURES = ("npv", "revenue_final", "customer_equity", "active_customers_final", "roi")
TORNADO_BARS = 8  # a one-page report has room for this many; the page shows them all


def noise_range(lo: float, hi: float) -> str:
    """The splits within noise of the best: ``from 90 % to 96 %``, or ``only 94 %`` when they round to one."""
    a, b = style.percent(lo, 0), style.percent(hi, 0)
    return f"only {a}" if a == b else f"from {a} to {b}"


def optimise_report(
    scenario: Scenario,
    split,
    plan: SimulationResult,
    baseline: SimulationResult | None = None,
    tornado=None,
    *,
    paper: str = "a4",
) -> bytes:
    """The Optimise page on one page: the best split, the split curve, the tornado, and the plan at the best split.

    Parameters
    ----------
    scenario : Scenario
        The scenario optimised.
    split : simulation.decide.search.SplitResult
        The optimiser's answer.
    plan, baseline : SimulationResult
        The scenario run at the best split, and its status quo, on the same runs and seed.
    tornado : simulation.decide.sensitivity.Tornado, optional
        The sensitivity analysis, when it was run.
    """
    pdf.check_pair(plan, baseline)
    identical, results, colors = pdf.plan_series(plan, baseline, "Best split")
    obj = split.objective_info
    kind = "money" if obj.is_money else "percent"
    cur, per = scenario.currency, scenario.period

    def value(x):
        if x is None or not math.isfinite(x):
            return "—"
        return style.money(x, cur) if kind == "money" else style.percent(x, 0)

    pct = lambda x: style.percent(x, 0)  # noqa: E731
    best = split.best_budget
    lo, hi = split.best_share_range
    rows = [
        [
            "Best acquisition share",
            pct(split.best_share),
            f"within noise {pct(lo)} – {pct(hi)}" if pct(lo) != pct(hi) else f"within noise only {pct(lo)}",
            "",
        ],
        [
            f"{obj.label} (mean)" if obj.statistic == "mean" else obj.label,
            value(split.best_value),
            "at the best split",
            "",
        ],
    ]
    if split.plan_share is not None:
        rows.append([f"At the plan's split ({pct(split.plan_share)})", value(split.plan_value), "", ""])
    if split.p_best_beats_plan is not None:
        rows.append(["Chance the best beats the plan", pct(split.p_best_beats_plan), "", ""])
    base_kpis = None if identical else baseline.kpis
    shown = {FIGURES[k].label_for(scenario) for k in OPTIMISE_FIGURES}
    # the objective is a statistic of the futures (the mean NPV, say); the headline rows are their median
    rows += [
        [f"{r[0]} (median)" if r[0] == obj.label else r[0], *r[1:]]
        for r in pdf.headline_rows(plan.kpis, base_kpis, scenario)
        if r[0] in shown
    ]
    figures = pdf.table(
        "The answer, and the plan at the best split",
        ["", "Value", "Range", "vs status quo"],
        rows,
        "Figures of the plan at the best split: median, 90 % of futures, change against the status quo.",
    )
    answer = [
        f"Put {pct(split.best_share)} of the acquisition + retention budget into acquisition: about "
        f"{style.money(best.acquisition, cur)} per {per} on winning customers and {style.money(best.retention, cur)} "
        f"on keeping them, out of {style.money(split.total, cur)}.",
        (
            f"With {split.runs:,} futures no other split can be told apart from it."
            if pct(lo) == pct(hi)
            else f"Splits {noise_range(lo, hi)} cannot be told apart from it with {split.runs:,} futures."
        ),
    ]
    if split.plan_share is not None and split.p_best_beats_plan is not None:
        answer.append(
            f"Against the plan's {pct(split.plan_share)}, the best split does better in {pct(split.p_best_beats_plan)} "
            "of the futures."
        )
    svgs = {
        "sweep": pdf.svg(oc.result_sweep_chart(split, cur, height=pdf.CHART_HEIGHT)),
        "fan": pdf.fan_svg(results, colors, scenario, f"Revenue per {per} at the best split, beside the status quo"),
    }
    keys = ["sweep", "fan"]
    tornado_note = ""
    if tornado is not None and not tornado.frame.empty:
        bars = tornado.frame.head(TORNADO_BARS)
        if len(tornado.frame) > len(bars):
            tornado_note = (
                f" The tornado shows the {len(bars)} assumptions that move the answer most, of the "
                f"{len(tornado.frame)} on the Optimise page."
            )
        svgs["tornado"] = pdf.svg(
            oc.tornado_chart(
                oc.tornado_frame(bars),
                base_share=tornado.base_share,
                objective_label=obj.label,
                kind=kind,
                currency=cur,
                runs=split.runs,
                bar_width=260,
                split_width=130,
                row_height=16,
            )
        )
        keys.append("tornado")
    svgs["bridge"] = pdf.bridge_svg(results, colors, scenario)
    keys.append("bridge")
    data = {
        "paper": pdf.paper_name(paper),
        "title": scenario.name,
        "subtitle": f"Optimise report · objective: {obj.label} · {style.money(split.total, cur)} per {per} to split",
        "question": "What share of the acquisition + retention budget should go to acquisition to maximise "
        f"{oc.lower_first(obj.label)}?",
        "answer": answer,
        "figures": figures,
        "figures_width": [1.35, 1],
        "assumptions": pdf.table("Key assumptions", ["", "Value"], pdf.assumption_rows(scenario)),
        "charts": keys,
        "chart_columns": 2,
        "chart_width": 1.0,
        "years": pdf.years_table({"Plan": plan}, scenario),
        "method": pdf.METHOD.format(runs=split.runs, what="Every split is")
        + " The best split is refined to within one percentage point; the tornado moves each assumption to its "
        "10th and 90th percentile." + tornado_note,
        "footer": pdf.footer(split.runs, split.seed, f" · objective {obj.label}"),
    }
    return pdf.render(data, svgs)
