"""The Portfolio page's "Act on it" tab: the action list, the contact calendar, the win-back list, saved portfolios.

Every table here is built in :mod:`simulation.portfolio.actions` (the command line writes the
same); downloads are escaped against formulas there. Names, owners and saved names are the
user's text: they are shown in tables and as plain text only.
"""

from __future__ import annotations

import streamlit as st

from simulation.io.portfolio_store import PortfolioStore, compare, movement_counts
from simulation.io.storage import StorageError
from simulation.portfolio.actions import (
    action_list,
    calendar_table,
    contact_calendar,
    to_csv_text,
    to_xlsx,
    winback_list,
)
from simulation.portfolio.pipeline import PortfolioAnalysis
from ui.portfolio import act_text
from ui.portfolio.inputs import show_error
from ui.shared import style
from ui.shared.workspace import current

SHOWN_ROWS = 500
K_MONTHS, K_SAVE_NAME, K_BEFORE, K_AFTER = "pf_act_months", "pf_act_save_name", "pf_act_before", "pf_act_after"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _downloads(label: str, sheets: dict, stem: str, key: str) -> None:
    """The first table as CSV, every table (one sheet each) as an Excel workbook; both made when clicked."""
    first = next(iter(sheets.values()))
    a, b = st.columns(2)
    a.download_button(
        f"{label} (CSV)",
        lambda: to_csv_text(first),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"{key}_csv",
    )
    b.download_button(
        f"{label} (Excel)",
        lambda: to_xlsx(sheets),
        file_name=f"{stem}.xlsx",
        mime=XLSX,
        on_click="ignore",
        key=f"{key}_xlsx",
    )


def shown(frame, *, money: tuple[str, ...] = (), numbers: tuple[str, ...] = (), currency: str = "USD"):
    """The first :data:`SHOWN_ROWS` rows with amounts and counts as people read them (:mod:`ui.shared.style`)."""
    out = frame.head(SHOWN_ROWS).copy()
    for column in money:
        out[column] = [style.money(v, currency) for v in out[column]]
    for column in numbers:
        out[column] = [style.number(v) for v in out[column]]
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def _actions(_result: PortfolioAnalysis, digest: str, settings_json: str, currency: str):
    """The action list of the file ``digest`` analysed with these settings, its sentences in ``currency``."""
    return action_list(_result.analysis, money=lambda v: style.money(v, currency), percent=style.percent)


def act(result: PortfolioAnalysis, currency: str, digest: str) -> None:
    """The action list, the calendar, the win-back list, and saving and comparing portfolios."""
    analysis = result.analysis
    st.subheader("Action list")
    st.caption(
        "One row per customer: their class and strategy, why (from their own figures), and the next contact under "
        "their class's contact plan. The plan year starts on the first of the month after the data's date; each plan's "
        "customers are spread over its first interval, who matters most first (value at risk for retain and hold, "
        "room to grow for develop, past value for win back, potential for acquire)."
    )
    actions = _actions(result, digest, result.settings.to_json(), currency)
    st.dataframe(shown(actions, numbers=("contacts_per_year",)), hide_index=True, width="stretch")
    if len(actions) > SHOWN_ROWS:
        st.caption(
            f"The first {style.number(SHOWN_ROWS)} of {style.number(len(actions))} rows; the downloads hold all."
        )
    _downloads("Action list", {"actions": actions}, "action-list", "pf_act_list")

    st.subheader("Contact calendar, next 12 months")
    calendar = contact_calendar(analysis)
    st.caption("Contacts per month under each plan; a month counts the contacts whose dates fall in it.")
    table = calendar_table(calendar)
    st.dataframe(shown(table, numbers=tuple(table.columns[1:])), hide_index=True, width="stretch")
    _downloads("Contact calendar", {"calendar": table, "by month": calendar}, "contact-calendar", "pf_act_calendar")

    winback(result, currency)
    saved_portfolios(result)


def winback(result: PortfolioAnalysis, currency: str) -> None:
    """Lapsed customers worth winning back, filtered by how recently they left."""
    analysis = result.analysis
    st.subheader("Win back")
    months = st.slider("Left within the last (months)", min_value=1, max_value=60, value=12, key=K_MONTHS)
    recent = winback_list(analysis, int(months))
    everyone = len(analysis.lapsed_worth_winning_back())
    st.markdown(act_text.winback_sentence(len(recent), everyone, int(months)))
    table = shown(recent, money=("contribution",), numbers=("months_since", "tenure"), currency=currency)
    st.dataframe(table, hide_index=True, width="stretch")
    _downloads("Win-back list", {"win back": recent}, "win-back-list", "pf_act_winback")


def saved_portfolios(result: PortfolioAnalysis) -> None:
    """Save this portfolio's classes; compare two saved ones: who moved class."""
    st.subheader("Save and compare")
    st.caption(
        "Saving keeps each customer's id, status, class, strategy, contribution and risk (not the file) in this "
        "workspace's library, to compare with a later file."
    )
    store = PortfolioStore(workspace=current())
    with st.form("pf_act_save"):
        name = st.text_input("Save this portfolio as", max_chars=80, key=K_SAVE_NAME)
        replace = st.checkbox("Replace a saved portfolio of that name")
        if st.form_submit_button("Save portfolio"):
            try:
                store.save(name, result.analysis, result.name, replace=replace)
            except StorageError as exc:
                show_error("The portfolio was not saved.", exc)
            else:
                st.success("Saved.")
    try:
        saved = store.list()
    except StorageError as exc:
        show_error("The saved portfolios cannot be read.", exc)
        return
    if len(saved) < 2:
        st.caption("Save two portfolios (for example this quarter's and next quarter's file) to compare them.")
        return
    names = [p.name for p in saved]
    a, b = st.columns(2)
    before = a.selectbox("Earlier", names, index=1, key=K_BEFORE)
    after = b.selectbox("Later", names, index=0, key=K_AFTER)
    try:
        moves = compare(store.load(before), store.load(after))
    except StorageError as exc:
        show_error("The saved portfolios cannot be compared.", exc)
        return
    counts = movement_counts(moves)
    st.markdown(act_text.moves_sentence(moves, counts))
    if len(counts):
        st.dataframe(shown(counts, numbers=("customers",)), hide_index=True)
    st.dataframe(moves.head(SHOWN_ROWS), hide_index=True, width="stretch")
    st.download_button(
        "Who moved (CSV)", lambda: to_csv_text(moves), file_name="who-moved.csv", mime="text/csv", on_click="ignore"
    )
