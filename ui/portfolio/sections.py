"""The Portfolio page's blocks, each drawn from the analysis: rows read, the portfolio, the fits, plans, simulation."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from simulation.errors import InputError
from simulation.io.cells import to_csv
from simulation.portfolio.analysis import ALL, Analysis, calibration_frame, still_here
from simulation.portfolio.classify import CLASSES
from simulation.portfolio.data import PERIODS_PER_YEAR
from simulation.portfolio.fit import SBGFit
from simulation.portfolio.fit_reading import degenerate
from simulation.portfolio.pipeline import PortfolioAnalysis
from simulation.portfolio.plans import MAX_KEEPS, PLAN_GROUPS, ContactPlan
from simulation.portfolio.reading import RawTable
from simulation.portfolio.scenario_build import segment_class
from simulation.portfolio.settings import PortfolioSettings
from ui.portfolio import charts, tables, text
from ui.portfolio.inputs import K_APPLIED, K_CELLS, K_CUTS, K_FIT, K_PLANS, show_error
from ui.shared import state
from ui.shared.prose import prose
from ui.shared.safe_text import code

STILL_HERE_YEARS = 3


def md(sentence: str) -> None:
    """A sentence built from numbers and fixed words (no user text), with money signs kept literal."""
    st.markdown(sentence.replace("$", "\\$"))


def file_read(name: str, raw: RawTable) -> None:
    """The file's name, how it was read, its rows and columns (all as plain text: they are the user's)."""
    st.markdown("**File:**")
    st.text(f"{name} · {raw.source} · {len(raw.frame):,} rows · columns: {', '.join(raw.columns)}")
    for note in raw.notes:
        st.text(note)


def rows_read(result: PortfolioAnalysis) -> None:
    """How many rows were used, the first ones that were not and why, and what the reader decided."""
    data = result.data
    md(text.rows_sentence(data.problems.count, data.rows))
    if data.problems.count:
        st.dataframe(
            pd.DataFrame(data.problems.examples, columns=["line", "column", "problem"]),
            hide_index=True,
            width="stretch",
        )
        st.dataframe(
            pd.DataFrame({"reason": list(data.problems.by_reason), "rows": list(data.problems.by_reason.values())}),
            hide_index=True,
        )
    for note in data.notes:
        st.text(note)
    if result.kind == "transactions":
        md(data.inactivity_reason)


def calibration(fits: dict[str, SBGFit], messages: dict[str, str], period: str) -> None:
    """One fit's curve over the data and its reading, then every fit in a table."""
    if not fits:
        st.warning("No churn model could be fitted.")
        for message in messages.values():
            st.text(message)
        return
    names = list(fits)
    choice = st.selectbox("Show the fit of", names, key=K_FIT)
    fit = fits[choice if choice in fits else names[0]]
    ppy = PERIODS_PER_YEAR[period]
    ahead = max(STILL_HERE_YEARS * ppy, 2 * fit.periods)
    st.altair_chart(
        charts.calibration_chart(calibration_frame(fit, ahead), fit.name, period),
        width="stretch",
        height=charts.ELEMENT_HEIGHT,
    )
    st.text(f"Fit shown: {fit.name}")
    md(text.still_here_sentence(still_here(fit, STILL_HERE_YEARS, ppy), STILL_HERE_YEARS))
    md(text.fit_sentence("Churn", fit.churn, fit.intervals["churn"], period))
    md(text.heterogeneity_sentence(fit.churn_heterogeneity, fit.intervals["churn_heterogeneity"]))
    if degenerate(fit):
        md(degenerate(fit))
    st.dataframe(tables.fits_table(fits, period), hide_index=True, width="stretch")
    for name, message in messages.items():
        st.caption(f"{code(name)}: not fitted. {code(message)}")


def class_fits(analysis: Analysis) -> None:
    calibration(analysis.fits, analysis.fit_messages, analysis.period)
    st.caption(
        f"Fitted per class, and once for all customers ({ALL.lower()}): each class's customers who left count at the "
        "tenure they left, those still active are censored at the tenure they have reached."
    )


def purchase_model(analysis: Analysis) -> None:
    """A transaction log's BG/NBD and Gamma-Gamma fits, and predicted against actual purchases after the as-of date."""
    st.subheader("Purchase model (BG/NBD and Gamma-Gamma)")
    value = analysis.purchase_model
    if value is None:
        st.warning("No purchase model could be fitted; value is revenue per period.")
        st.text(analysis.purchase_message)
        return
    fit = value.fit
    st.caption(
        f"Fitted by maximum likelihood to the purchases of {fit.customers:,} customers up to "
        f"{analysis.data.as_of.date()} ({fit.repeat_buyers:,} bought more than once), time in {fit.period}s. "
        "Each customer buys at their own steady rate while active and may drop out after any purchase; "
        "spend per purchase varies around each customer's own level. Intervals: 90 %, from the observed "
        "information."
    )
    st.dataframe(tables.purchase_model_table(fit), hide_index=True, width="stretch")
    if fit.spend_message:
        st.text(fit.spend_message)
    if analysis.holdout is None:
        st.caption(
            "The file has no whole period of purchases after the as-of date, so the forecast cannot be checked "
            "against them: set an earlier as-of date in the sidebar to hold out the purchases after it."
        )
        return
    as_of = str(analysis.data.as_of.date())
    st.altair_chart(
        charts.holdout_chart(charts.holdout_frame(analysis.holdout), analysis.period, as_of),
        width="stretch",
        height=charts.ELEMENT_HEIGHT,
    )


def portfolio(analysis: Analysis, currency: str) -> None:
    """Customers, the nine-box, concentration, the classes and their strategy, risk and lapsed customers."""
    period = analysis.period
    md(text.customers_sentence(analysis.status_counts(), analysis.active_revenue(), currency, period))
    box = analysis.nine_box
    st.altair_chart(
        charts.nine_box_chart(charts.nine_box_frame(box, currency), currency, period),
        width="stretch",
        height=charts.NINE_BOX_ELEMENT_HEIGHT,
    )
    st.dataframe(tables.nine_box_grid(box, currency), width="stretch")
    conc = analysis.concentration
    md(text.concentration_sentence(conc["top_10"], conc["top_20"], conc["customers"]))

    st.subheader("Classes and their strategy")
    st.dataframe(tables.classes_table(analysis.classes, currency, period), hide_index=True, width="stretch")
    st.caption(" · ".join(f"**{k}**: {v}" for k, v in text.STRATEGY_TEXT.items()))

    st.subheader("Risk")
    md(text.risk_sentence(analysis.risk_cuts, analysis.risk_band_counts(), period))
    st.subheader("Lapsed customers worth winning back")
    worth = analysis.lapsed_worth_winning_back()
    threshold = analysis.thresholds.winback_min_value
    md(text.lapsed_sentence(len(worth), worth["contribution"].sum(), currency, period, threshold))
    if len(worth):
        st.dataframe(worth.head(200), hide_index=True, width="stretch")


def thresholds_form(analysis: Analysis, settings: PortfolioSettings, currency: str) -> None:
    """The nine-box, win-back and risk thresholds and the class of each cell, applied together."""
    t = analysis.thresholds
    for key, value in zip(
        ("c_lo", "c_hi", "p_lo", "p_hi", "winback", "r_lo", "r_hi"),
        (*t.contribution, *t.potential, t.winback_min_value, *analysis.risk_cuts),
        strict=True,
    ):
        st.session_state.setdefault(K_CUTS[key], float(value))
    st.subheader("Thresholds and classes")
    with st.form("pf_thresholds"):
        st.caption(
            f"Money per {analysis.period}. A value at a threshold belongs to the upper level. The defaults are the "
            "data's terciles, rounded."
        )
        a, b, c = st.columns(3)
        a.number_input(f"Contribution: low below ({currency})", min_value=0.0, key=K_CUTS["c_lo"])
        a.number_input(f"Contribution: high from ({currency})", min_value=0.0, key=K_CUTS["c_hi"])
        b.number_input(f"Potential: low below ({currency})", min_value=0.0, key=K_CUTS["p_lo"])
        b.number_input(f"Potential: high from ({currency})", min_value=0.0, key=K_CUTS["p_hi"])
        c.number_input(
            f"Win back lapsed customers from ({currency} contribution)", min_value=0.0, key=K_CUTS["winback"]
        )
        c.number_input("Risk: low below (probability)", min_value=0.0, max_value=1.0, format="%.4f", key=K_CUTS["r_lo"])
        c.number_input("Risk: high from (probability)", min_value=0.0, max_value=1.0, format="%.4f", key=K_CUTS["r_hi"])
        cells = tables.cells_frame(settings.cell_class())
        edited = st.data_editor(
            cells,
            column_config={
                col: st.column_config.SelectboxColumn(col, options=list(CLASSES), required=True)
                for col in cells.columns
            },
            key="pf_cells_editor",
        )
        if st.form_submit_button("Apply thresholds and classes"):
            st.session_state[K_APPLIED] = True
            st.session_state[K_CELLS] = tables.cell_classes(edited)
            st.rerun()


def contact_plans(analysis: Analysis, currency: str) -> None:
    """Each plan's contacts and costs, editable; the budget they imply; the key-account plans."""
    period = analysis.period
    st.caption(
        "Contacts per year and cost per contact of each class's plan; win back is for lapsed customers worth "
        "winning back, acquire for high-potential prospects. Edit and apply to see the budget they imply."
    )
    with st.form("pf_plans_form"):
        edited_plans = st.data_editor(
            analysis.budgets[tables.PLAN_COLUMNS],
            hide_index=True,
            disabled=["plan", "strategy", "customers", "budget_per_year"],
            column_config={
                "contacts_per_year": st.column_config.NumberColumn("contacts per year", min_value=0.0, step=1.0),
                "cost_per_contact": st.column_config.NumberColumn(f"cost per contact ({currency})", min_value=0.0),
                "keeps": st.column_config.NumberColumn("share of leavers kept", min_value=0.0, max_value=MAX_KEEPS),
                "budget_per_year": st.column_config.NumberColumn(f"budget per year ({currency})", format="localized"),
            },
            key="pf_plans_editor",
        )
        if st.form_submit_button("Apply contact plans"):
            plans = {}
            for row in edited_plans.itertuples():
                try:
                    plan = ContactPlan(
                        float(row.contacts_per_year), str(row.channel), float(row.cost_per_contact), float(row.keeps)
                    )
                    plans[row.plan] = asdict(plan)
                except (InputError, TypeError, ValueError) as exc:
                    show_error(f"The {row.plan} plan was not changed.", exc)
            st.session_state[K_PLANS] = {k: v for k, v in plans.items() if k in PLAN_GROUPS}
            st.rerun()
    md(text.budget_sentence(analysis.levers, currency, period))
    st.altair_chart(charts.budget_chart(analysis.strategies, currency, period), width="stretch")
    st.subheader("Key-account plans")
    st.caption(
        "Every A customer and the important C's (those who would be high contributors at their potential): "
        "planned for a year, reviewed every quarter."
    )
    st.dataframe(analysis.key_accounts, hide_index=True, width="stretch")
    st.download_button(
        "Key-account plans (CSV)",
        to_csv(analysis.key_accounts),
        file_name="key-account-plans.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/table:",
    )


def simulate(result: PortfolioAnalysis, currency: str) -> None:
    """Open the portfolio on the Plan page as a scenario; download the classified customers."""
    st.markdown(
        "**Simulate this portfolio**: each class becomes segments of a scenario, one per tenure band (so the class "
        "keeps its tenure mix), with their customers, revenue, margin and the class's fitted churn (carried with its "
        "90 % interval); each retention class's contact plan as a programme covering its bands (listed in the "
        "Plan page's Programmes box), the develop, win-back and acquisition plans as budgets on their levers, and "
        "today's spend as the status quo. It opens on the Plan page, where it can be optimised, compared, shared "
        "and exported."
    )
    if st.button("Simulate this portfolio", type="primary", icon=":material/play_arrow:", key="pf_simulate"):
        try:
            scenario = result.scenario(currency=currency)
        except InputError as exc:
            show_error("This portfolio cannot be simulated yet.", exc)
        else:
            state.set_scenario(scenario)
            state.notify(
                "success",
                f"Opened your portfolio as a plan: {len(scenario.segments)} segments, each class in tenure bands "
                f"({', '.join(dict.fromkeys(segment_class(s.name) for s in scenario.segments))}).",
            )
            st.switch_page("pages/plan.py")
    st.download_button(
        "Classified customers (CSV)",
        to_csv(result.analysis.export_frame()),
        file_name="classified-customers.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Each customer with class, nine-box cell, strategy and risk.",
    )
    with st.expander("How the classes, strategies and the fit work"):
        st.markdown(prose("portfolio_method"))
