"""Portfolio: your own customers, classified by value and potential, with fitted churn, contact plans and a plan."""

from __future__ import annotations

import logging

import streamlit as st

from simulation.errors import InputError
from simulation.portfolio.limits import MAX_FILE_TEXT
from ui.portfolio import actions, cache, inputs, reading, sections, verdict
from ui.shared import routing

routing.ensure_routed("pages/portfolio.py")

log = logging.getLogger("retention_lab.app")

st.title("Your own customers")
st.caption(
    "Open a customer table, a transaction log or a cohort table: see who brings value and who could, how "
    "likely they are to leave, what each class's contact plan costs, and simulate the portfolio as a plan."
)
inputs.file_pickers()
opened = inputs.opened_file()
if opened is None:
    st.info("Open an example or your own file in the sidebar to start.")
    st.markdown(
        "- **Customer table**: one row per customer or prospect: id, revenue per period, start date or tenure, "
        "end date or status; optionally potential, segment, gross margin, churn risk.\n"
        "- **Transaction log**: one row per purchase: customer id, date, amount.\n"
        "- **Cohort table**: customers still active per cohort and period (cohorts as rows, periods as columns, "
        "or long with cohort, period, active).\n\n"
        f"Files up to {MAX_FILE_TEXT}. Nothing you open is stored or shared with other users."
    )
    st.stop()

file_name, file_bytes = opened
file_digest = cache.digest(file_bytes)
try:
    raw = cache.raw_table(file_bytes, file_digest, file_name, inputs.chosen_sheet(), reading.chosen_encoding())
except InputError as exc:
    inputs.show_error("This file could not be read; nothing was changed.", exc)
    st.stop()

sections.file_read(file_name, raw)
inputs.sheet_picker(raw)
reading.encoding_picker(raw)
choices = inputs.file_choices(raw)
mapping = inputs.column_choices(raw, choices.kind)
reading.unrecognised_columns(raw, choices.kind, mapping)
settings = inputs.settings(choices, mapping)
try:
    result = cache.analysed(file_bytes, file_digest, file_name, settings.to_json())
except InputError as exc:
    inputs.show_error("The data could not be used as chosen. Fix the column choices or the file.", exc)
    st.stop()
except Exception:
    log.exception("portfolio analysis failed")
    st.error("Reading this file failed unexpectedly. Try another file or an example.")
    st.stop()

sections.rows_read(result)
if result.analysis is None:
    st.header("Calibration")
    st.caption("A cohort table gives retention curves only: a churn model per cohort set, no classes.")
    sections.calibration(result.fits, result.fit_messages, result.period)
    st.stop()

analysis = result.analysis
tab_portfolio, tab_fit, tab_plans, tab_act, tab_simulate = st.tabs(
    ["Portfolio", "Calibration", "Contact plans", "Act on it", "Simulate and download"]
)
with tab_portfolio:
    sections.portfolio(analysis, choices.currency)
    sections.thresholds_form(analysis, settings, choices.currency)
with tab_fit:
    if result.kind == "transactions":
        sections.purchase_model(analysis)
        st.subheader("Churn per class (sBG, for the scenario)")
    sections.class_fits(analysis)
with tab_plans:
    sections.contact_plans(analysis, choices.currency)
    verdict.pricing(analysis, choices.currency)
with tab_act:
    actions.act(result, choices.currency, file_digest)
with tab_simulate:
    verdict.ask(result, settings, file_digest, choices.currency)
    verdict.churn_last_year(analysis, file_digest, settings)
    sections.simulate(result, choices.currency)
