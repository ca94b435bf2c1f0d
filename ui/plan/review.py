"""The quarterly review (PDF): a plan against its actuals, quarter by quarter, the re-forecast, and the best split now.

One page, built with the app's report template: the question, the answer in words, each
reported quarter's actual against the forecast (its median, its 90 % range and the actual's
percentile), the refitted churn, the actuals on the forecast's bands and the re-forecast, and
the method. Numbers come from :mod:`simulation.track`; sentences from :mod:`ui.plan.text`.
"""

from __future__ import annotations

import pandas as pd

from simulation import Scenario, SimulationResult, simulate
from simulation.decide import optimize_split
from simulation.io.plan_versions import PlanVersions, check_reproduced
from simulation.track import Tracking, quarter_rows, read_actuals, refit_churn, reforecast, reforecast_scenario, track
from ui.plan import text as plan_text
from ui.plan.tracking import METRIC_WORDS, actuals_chart, reforecast_chart
from ui.shared import cache, style
from ui.shared import report as pdf

MAX_ROWS = 16


def _amount(metric: str, value: float, cur: str) -> str:
    return style.money(value, cur) if METRIC_WORDS[metric][1] == "money" else style.number(value)


def review_report(
    scenario: Scenario,
    plan: SimulationResult,
    actuals: pd.DataFrame,
    tracking: Tracking,
    *,
    version: str | None = None,
    paper: str = "a4",
) -> bytes:
    """The one-page quarterly review of ``plan`` (run on its runs and seed) against ``actuals``."""
    cur, per = scenario.currency, scenario.period
    quarters = quarter_rows(plan, actuals)
    rows = [
        [f"Q{int(r.quarter)} ({per}s {int(r.first)}–{int(r.last)})" if r.first != r.last else f"Q{int(r.quarter)}",
         METRIC_WORDS[r.metric][0], _amount(r.metric, r.actual, cur), _amount(r.metric, r.p50, cur),
         f"{_amount(r.metric, r.p5, cur)} – {_amount(r.metric, r.p95, cur)}", style.percent(r.percentile, 0)]
        for r in quarters.head(MAX_ROWS).itertuples()
    ]  # fmt: skip
    figures = pdf.table(
        "Each quarter against the plan",
        ["Quarter", "", "Actual", "Plan's median", "Plan's 90 %", "Percentile"],
        rows,
        "Flows are the quarter's totals, customers at its end; the percentile is where the actual landed among "
        "the simulated futures (50 % is the median).",
    )
    answer = [plan_text.coverage_text(tracking, per).replace("**", "")]
    scores = plan_text.score_text(tracking, METRIC_WORDS, cur)
    if scores:
        answer.append(scores.replace("**", ""))
    for metric in [m for m in METRIC_WORDS if m in set(tracking.rows["metric"])]:
        rows_of = tracking.rows[tracking.rows["metric"] == metric]
        answer.append(plan_text.landed_text(METRIC_WORDS[metric][0], rows_of, per).replace("**", ""))
    assumptions = [["Plan", version or scenario.name], ["Budget", pdf.spend_text(scenario.budget, cur, per)]]
    svgs, keys = {}, []
    # one chart of actuals (revenue where reported) beside the re-forecast keeps the review on one page
    for metric in [m for m in ("revenue", "active_customers") if m in set(tracking.rows["metric"])][:1]:
        svgs[metric] = pdf.svg(actuals_chart(tracking, metric, scenario).properties(height=pdf.CHART_HEIGHT))
        keys.append(metric)
    if {"active_customers", "churned_customers"} <= set(actuals.columns):
        fit = refit_churn(plan, actuals)
        answer.append(plan_text.refit_text(fit, per).replace("**", ""))
        moved, last = reforecast_scenario(plan, actuals, fit)
        rest = reforecast(plan, actuals, fit)
        svgs["reforecast"] = pdf.svg(
            reforecast_chart(scenario, rest, plan.path_summary(("active_customers",))).properties(
                height=pdf.CHART_HEIGHT
            )
        )
        keys.append("reforecast")
        assumptions.append(["Churn, refitted", f"{fit.multiplier:.2f}× the plan's ({fit.low:.2f}×–{fit.high:.2f}×)"])
        if moved.budget.core > 0:
            best = optimize_split(moved, "npv", grid=11, runs=min(plan.runs, 500), seed=plan.seed)
            plan_share = style.percent(scenario.budget.acquisition_share or 0, 0)
            assumptions.append(
                [f"Best split now ({per}s {last + 1}–{scenario.horizon})",
                 f"{style.percent(best.best_share, 0)} to acquisition (plan: {plan_share})"]
            )  # fmt: skip
    data = {
        "paper": pdf.paper_name(paper),
        "title": scenario.name,
        "subtitle": f"Quarterly review · {version or 'the plan as it is now'} · {scenario.horizon} {per}s planned",
        "question": "Did the actuals land inside the plan's bands, and what does the rest of the plan look like now?",
        "answer": answer,
        "figures": figures,
        "figures_width": [1.6, 1],
        "assumptions": pdf.table("The plan and what changed", ["", "Value"], assumptions),
        "charts": keys,
        "chart_columns": min(max(len(keys), 1), 2),
        "chart_width": 1.0,
        "years": None,
        "method": pdf.METHOD.format(runs=plan.runs, what="The plan's futures are")
        + " Actuals are placed among them; churn is refitted from the customers lost each period.",
        "footer": pdf.footer(plan.runs, plan.seed, f" · {version}" if version else ""),
    }
    return pdf.render(data, svgs)


def review_pdf(scenario: Scenario, actuals: bytes, version_id: int | None = None) -> bytes:
    """The quarterly review of the plan (or of a saved version) against the actuals, as a one-page PDF."""
    label = None
    if version_id is not None:
        version = PlanVersions().get(version_id)
        scenario, label = version.scenario, version.label
        plan = simulate(scenario, runs=version.runs, seed=version.seed)
        check_reproduced(version, plan)
    else:
        plan = cache.plan_result(scenario)
    table = read_actuals(actuals, scenario.horizon)
    return review_report(scenario, plan, table, track(plan, table), version=label)
