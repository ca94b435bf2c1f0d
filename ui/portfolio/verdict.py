"""The Portfolio page's blocks on what the contact plans are worth: their prices against the value they
protect, the simulator's verdict on them (what their programmes add, and the same answers as the Plan
page's), and last year's churn observed against simulated."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from simulation import Scenario
from simulation.decide.programme_value import ProgrammeValue, without_all
from simulation.errors import InputError
from simulation.model.programmes import running_programmes
from simulation.portfolio import pipeline
from simulation.portfolio.analysis import DISCOUNT_RATE, HORIZON_YEARS, Analysis
from simulation.portfolio.scenario_build import KEEPS_SPREAD, churn_check
from simulation.portfolio.settings import PortfolioSettings
from ui.portfolio import verdict_text
from ui.shared import cache as shared_cache
from ui.shared.style import money, percent

K_ASKED = "pf_verdict_asked"  # the analyses (file digest and settings) whose verdict was asked for
CHECK_RUNS = 1000
CHECK_SEED = 42


def md(sentence: str) -> None:
    st.markdown(sentence.replace("$", "\\$"))


def pricing_frame(pricing: pd.DataFrame, currency: str, period: str) -> pd.DataFrame:
    """The pricing table as a person reads it: every amount formatted, the verdict in words."""
    words = {True: "may pay: ask the simulator", False: "costs more than it can save", None: "not priced (no fit)"}
    return pd.DataFrame(
        {
            "class": pricing["class"],
            "customers": [f"{n:,}" for n in pricing["customers"]],
            f"plan cost per {period}": [money(x, currency) for x in pricing["cost_per_period"]],
            f"plan cost over {HORIZON_YEARS} years": [money(x, currency) for x in pricing["plan_cost"]],
            "contribution at risk": [money(x, currency) for x in pricing["at_risk"]],
            "share of leavers kept": [percent(x, 0) for x in pricing["keeps"]],
            "value it can protect": [money(x, currency) for x in pricing["protected"]],
            "verdict": [words[None if p is None or pd.isna(p) else bool(p)] for p in pricing["pays"]],
        }
    )


def pricing(analysis: Analysis, currency: str) -> None:
    """Each class's plan cost beside the value it protects, flagged in words when it costs more."""
    table = analysis.pricing
    if table is None:
        return
    st.subheader("What each plan costs against what it can protect")
    st.dataframe(pricing_frame(table, currency, analysis.period), hide_index=True, width="stretch")
    for row in table.to_dict("records"):
        if row["customers"] and pd.notna(row["at_risk"]):
            md(verdict_text.pricing_sentence(row["class"], row["plan_cost"], row["protected"], currency, HORIZON_YEARS))
    given = ", ".join(analysis.given_plans) or "none"
    st.caption(
        "Contribution at risk: the contribution a class's active customers are expected to stop paying over "
        f"{HORIZON_YEARS} years because they leave, from its fitted churn and each customer's tenure, discounted "
        f"at {percent(DISCOUNT_RATE, 0)} a year. A plan can protect at most its share of leavers kept times that "
        "(the simulator's verdict below also counts that some of the customers a plan keeps leave a little later). "
        "Default rule: a retention class's default contacts per year are cut to the most whole contacts whose "
        "cost over the same years that value covers (0 when it covers none). Plans you set are kept as you set "
        f"them (yours: {given}). A develop plan is priced here only by the leavers it keeps; what it earns by "
        "upsell is the expansion lever's, on the Plan page."
    )


def ask(result: pipeline.PortfolioAnalysis, settings: PortfolioSettings, digest: str, currency: str) -> None:
    """The simulator's verdict on the plans: what their programmes add to the plan, the best split of the
    acquisition and retention budgets, and P(the plan beats today's spend), each as the Plan page works it out."""
    st.subheader("The simulator's verdict on these plans")
    key = f"{digest}:{settings.to_json()}:{currency}"
    asked = st.session_state.setdefault(K_ASKED, [])
    if key not in asked:
        st.caption(
            "Simulates the portfolio with the contact plans' programmes and without them on the same futures, looks "
            "for the best split of the acquisition and retention budgets, and compares the plan with today's spend "
            "(as the Plan page does)."
        )
        if not st.button("Ask the simulator", icon=":material/analytics:", key="pf_verdict"):
            return
        asked.append(key)
        del asked[:-8]
    try:
        scenario = result.scenario(currency=currency)
        cur = scenario.currency
        with st.spinner("Simulating the plans…"):
            figures = shared_cache.plan_figures(scenario)
            programmes(scenario)
            best = shared_cache.best_split(scenario)
    except InputError as exc:
        st.warning("This portfolio cannot be simulated yet.")
        st.text(str(exc))
        return
    if best is not None and scenario.budget.acquisition_share is not None:
        gain = shared_cache.best_against_plan(scenario, best)
        gain = gain[np.isfinite(gain)]
        se = float(gain.std(ddof=1) / math.sqrt(gain.size)) if gain.size > 1 else math.inf
        share = scenario.budget.acquisition_share
        mean = float(gain.mean()) if gain.size else 0.0
        range_ = best.best_share_range
        core, period = scenario.budget.core, scenario.period
        md(verdict_text.split_sentence(share, best.best_share, range_, mean, se, best.best_value, cur, core, period))
    p = figures.p_beats_baseline
    if p is not None:
        diff = figures.difference("npv")
        low, high = (float(x) for x in pd.Series(diff).quantile([0.05, 0.95]))
        md(verdict_text.beats_sentence(p, low, high, cur))


def programmes(scenario: Scenario) -> None:
    """What the contact plans' programmes add: the plan with them against without them, run by run on the same
    futures, and, with more than one, each one's marginal contribution (the Plan page's Programmes box)."""
    running = running_programmes(scenario)
    if not running:
        st.caption("No retention contact plan costs anything, so the plan runs no programme to judge.")
        return
    gain = shared_cache.summary(scenario).kpis["npv"] - shared_cache.summary(without_all(scenario)).kpis["npv"]
    gain = gain[np.isfinite(gain)]
    if gain.size:
        low, high = (float(x) for x in np.percentile(gain, (5, 95)))
        better = int((gain > 0).sum())
        md(verdict_text.programmes_sentence(len(running), float(gain.mean()), low, high, better, gain.size,
                                            scenario.currency))  # fmt: skip
    if len(running) > 1:
        values = shared_cache.programme_values(scenario)
        st.dataframe(programme_frame(values, scenario.currency), hide_index=True, width="stretch")
    st.caption(
        "Each retention class's contact plan is a programme over the class's tenure bands: its cost per customer "
        "per period, and its churn times 1 - the share of leavers it keeps (a range from "
        f"{1 - KEEPS_SPREAD:g} to {1 + KEEPS_SPREAD:g} times that share). The develop, win-back and acquisition "
        "plans are budgets on their levers. Both runs have the same budgets; only the programmes differ."
    )


def programme_frame(values: list[ProgrammeValue], currency: str) -> pd.DataFrame:
    """Each programme's marginal contribution as a person reads it (the Plan page's Programmes box's figures)."""
    return pd.DataFrame(
        {
            "programme": [v.name for v in values],
            "adds to operating NPV (mean)": [money(v.mean, currency) for v in values],
            "90 % of futures": [f"{money(v.p5, currency)} to {money(v.p95, currency)}" for v in values],
            "futures better with it": [f"{round(v.share_positive * v.runs):,} of {v.runs:,}" for v in values],
            "its cost (discounted)": [money(v.cost, currency) for v in values],
            "verdict": ["pays" if v.pays else "does not pay" for v in values],
        }
    )


@st.cache_data(max_entries=8, show_spinner="Simulating last year…")
def _churn_check(_analysis: Analysis, digest: str, settings_json: str) -> pd.DataFrame | None:
    """Last year's check of the analysis of the file ``digest`` with these settings (which stand for it in the key)."""
    return churn_check(_analysis, runs=CHECK_RUNS, seed=CHECK_SEED)


def churn_frame(check: pd.DataFrame) -> pd.DataFrame:
    """Observed against simulated churn as a person reads it."""
    return pd.DataFrame(
        {
            "class": check["class"],
            "active a year ago": [f"{n:,}" for n in check["customers"]],
            "left since": [f"{n:,}" for n in check["left"]],
            "observed churn": [percent(x) for x in check["observed"]],
            "from the fits": [percent(x) for x in check["expected"]],
            "simulated (median)": [percent(x) for x in check["simulated"]],
            "simulated 90 % range": [
                f"{percent(lo)} to {percent(hi)}" for lo, hi in zip(check["low"], check["high"], strict=True)
            ],
        }
    )


def churn_last_year(analysis: Analysis, digest: str, settings: PortfolioSettings) -> None:
    """Last year's churn observed against the simulation of the customers active a year ago."""
    st.subheader("Last year: observed against simulated churn")
    try:
        check = _churn_check(analysis, digest, settings.to_json())
    except InputError as exc:
        st.text(f"Last year cannot be simulated: {exc}")
        return
    if check is None:
        st.caption("The file has no start dates to place customers a year back, so last year cannot be checked.")
        return
    st.dataframe(churn_frame(check), hide_index=True, width="stretch")
    total = check.iloc[-1]
    md(
        verdict_text.churn_check_sentence(
            int(total["left"]), int(total["customers"]), total["observed"], total["low"], total["high"]
        )
    )
    st.caption(
        "The customers active a year before the as-of date, with their tenure then, built into a scenario as "
        "'Simulate this portfolio' builds today's (each class in tenure bands) and simulated for a year at today's "
        f"spend, {CHECK_RUNS:,} futures. 'From the fits' is the mean chance of leaving within a year over the "
        "customers' own tenures."
        + (
            " In a transaction log a customer has left when they have bought nothing for longer than the inactivity "
            "window, so the last months' leavers are not all known yet."
            if analysis.data.kind == "transactions"
            else ""
        )
    )
