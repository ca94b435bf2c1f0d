"""The Portfolio page's blocks on what the contact plans are worth: their prices against the value they
protect, the simulator's verdict on them (the same answer as the Plan page's), and last year's churn
observed against simulated."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from simulation.errors import InputError
from simulation.portfolio import pipeline
from simulation.portfolio.analysis import DISCOUNT_RATE, HORIZON_YEARS, Analysis
from simulation.portfolio.scenario_build import churn_check
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
    words = {True: "pays", False: "costs more than it can save", None: "not priced (no fit)"}
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
        f"at {percent(DISCOUNT_RATE, 0)} a year. A plan can protect its share of leavers kept times that. "
        "Default rule: a retention class's default contacts per year are cut to the most whole contacts whose "
        "cost over the same years that value covers (0 when it covers none). Plans you set are kept as you set "
        f"them (yours: {given}). A develop plan is priced here only by the leavers it keeps; what it earns by "
        "upsell is the expansion lever's, on the Plan page."
    )


def ask(result: pipeline.PortfolioAnalysis, settings: PortfolioSettings, digest: str, currency: str) -> None:
    """The simulator's verdict on the plans: the best split of the same total, and P(the plan beats today's spend)."""
    st.subheader("The simulator's verdict on these plans")
    key = f"{digest}:{settings.to_json()}:{currency}"
    asked = st.session_state.setdefault(K_ASKED, [])
    if key not in asked:
        st.caption(
            "Simulates the portfolio with these plans and with today's spend on the same futures, and looks for the "
            "best split of the plans' total between acquisition and retention (as the Plan page does)."
        )
        if not st.button("Ask the simulator", icon=":material/analytics:", key="pf_verdict"):
            return
        asked.append(key)
        del asked[:-8]
    try:
        scenario = result.scenario(currency=currency)
        cur = scenario.currency
        with st.spinner("Simulating the plans…"):
            best = shared_cache.best_split(scenario)
            figures = shared_cache.plan_figures(scenario)
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
        md(verdict_text.split_sentence(share, best.best_share, best.best_share_range, mean, se, best.best_value, cur))
    p = figures.p_beats_baseline
    if p is not None:
        diff = figures.difference("npv")
        low, high = (float(x) for x in pd.Series(diff).quantile([0.05, 0.95]))
        md(verdict_text.beats_sentence(p, low, high, cur))


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
