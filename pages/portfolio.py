"""Portfolio: your own customers, classified by value and potential, with fitted churn, contact plans and a plan."""

from __future__ import annotations

import logging
import zlib
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from simulation.errors import InputError
from simulation.portfolio.analysis import ALL, calibration_frame, still_here
from simulation.portfolio.classify import CLASSES, DEFAULT_CELL_CLASS, LEVELS, RISK_BANDS
from simulation.portfolio.columns import KIND_LABELS, KINDS, currency_in, guess_kind, propose_mapping, roles_of
from simulation.portfolio.data import PERIODS_PER_YEAR
from simulation.portfolio.plans import PLAN_GROUPS, ContactPlan
from simulation.portfolio.reading import MAX_FILE_TEXT
from simulation.portfolio.settings import PortfolioSettings, SettingsError
from ui.portfolio import cache, charts, text
from ui.shared import routing, state
from ui.shared.prose import prose
from ui.shared.safe_text import code

routing.ensure_routed("pages/portfolio.py")

log = logging.getLogger("retention_lab.app")

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "sample_data" / "customers"
EXAMPLES = {
    "b2b_accounts.csv": "B2B accounts and prospects (customer table)",
    "shop_transactions.csv": "Consumer shop (transaction log)",
    "cohorts_fh_format.csv": "Two cohorts, yearly (cohort table)",
}
CURRENCIES = ("USD", "EUR", "GBP", "CHF", "JPY", "AUD", "CAD", "SEK", "VND", "THB", "BGN")
K_FILE, K_EXAMPLE, K_UPLOAD = "pf_file", "pf_example", "pf_upload"
K_SHEET, K_KIND, K_PERIOD, K_DAYS, K_MARGIN, K_CURRENCY = (
    "pf_sheet",
    "pf_kind",
    "pf_period",
    "pf_inactivity",
    "pf_margin",
    "pf_currency",
)
K_CUTS = {
    "c_lo": "pf_c_lo",
    "c_hi": "pf_c_hi",
    "p_lo": "pf_p_lo",
    "p_hi": "pf_p_hi",
    "winback": "pf_winback",
    "r_lo": "pf_r_lo",
    "r_hi": "pf_r_hi",
}
K_CELLS, K_PLANS, K_FIT, K_APPLIED = "pf_cells", "pf_plans", "pf_fit_choice", "pf_cuts_applied"
STATE_PREFIXES = (
    "pf_map_",
    "pf_cuts",
    "pf_c_",
    "pf_p_",
    "pf_r_",
    "pf_winback",
    "pf_cells",
    "pf_plans",
    "pf_sheet",
    "pf_kind",
)
NONE = "—"


def _forget_choices() -> None:
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(STATE_PREFIXES):
            del st.session_state[key]


def _open_example() -> None:
    name = st.session_state.get(K_EXAMPLE)
    if name:
        st.session_state[K_FILE] = (name, (EXAMPLES_DIR / name).read_bytes())
        _forget_choices()
        st.session_state[K_EXAMPLE] = None


def _open_upload() -> None:
    uploaded = st.session_state.get(K_UPLOAD)
    if uploaded is not None:
        st.session_state[K_FILE] = (uploaded.name, uploaded.getvalue())
        _forget_choices()


def _show_error(heading: str, exc: Exception) -> None:
    # the message may quote a file name, a column name or a value from the user's file
    st.error(f"**{heading}**\n\n{code(exc)}")


def _md(sentence: str) -> None:
    """A sentence built from numbers and fixed words (no user text), with money signs kept literal."""
    st.markdown(sentence.replace("$", "\\$"))


def _settings(**choices) -> PortfolioSettings:
    """The choices made on the file, with the user's thresholds, cell classes and contact plans once applied."""
    choices = {**choices, "cell_classes": st.session_state.get(K_CELLS, {}), "plans": st.session_state.get(K_PLANS, {})}
    if st.session_state.get(K_APPLIED):
        cuts = {k: float(st.session_state[v]) for k, v in K_CUTS.items() if v in st.session_state}
        try:
            return PortfolioSettings(
                **choices,
                contribution_cuts=(cuts["c_lo"], cuts["c_hi"]),
                potential_cuts=(cuts["p_lo"], cuts["p_hi"]),
                winback_min=cuts["winback"],
                risk_cuts=(cuts["r_lo"], cuts["r_hi"]),
            )
        except (SettingsError, KeyError) as exc:
            _show_error("These thresholds were not applied; the data's defaults are used.", exc)
    return PortfolioSettings(**choices)


# The page -------------------------------------------------------------------------------------
st.title("Your own customers")
st.caption(
    "Open a customer table, a transaction log or a cohort table: see who brings value and who could, how "
    "likely they are to leave, what each class's contact plan costs, and simulate the portfolio as a plan."
)
with st.sidebar:
    st.markdown("#### Your data")
    st.selectbox(
        "Open an example",
        list(EXAMPLES),
        index=None,
        format_func=EXAMPLES.get,
        placeholder="Choose an example…",
        key=K_EXAMPLE,
        on_change=_open_example,
    )
    st.file_uploader(
        "…or open your own file",
        type=["csv", "txt", "xlsx"],
        key=K_UPLOAD,
        on_change=_open_upload,
        help=f"CSV (any common delimiter and encoding) or Excel .xlsx, up to {MAX_FILE_TEXT}.",
    )

opened = st.session_state.get(K_FILE)
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
    raw = cache.raw_table(file_bytes, file_digest, file_name, st.session_state.get(K_SHEET))
except InputError as exc:
    _show_error("This file could not be read; nothing was changed.", exc)
    st.stop()

st.markdown("**File:**")
st.text(f"{file_name} · {raw.source} · {len(raw.frame):,} rows · columns: {', '.join(raw.columns)}")
for note in raw.notes:
    st.text(note)
if len(raw.sheets) > 1:
    st.selectbox("Sheet", raw.sheets, index=raw.sheets.index(raw.sheet), key=K_SHEET)

with st.sidebar:
    kind = st.radio(
        "This file is a", KINDS, index=KINDS.index(guess_kind(raw.columns)), format_func=KIND_LABELS.get, key=K_KIND
    )
    period = st.selectbox(
        "Period of revenue and tenure",
        ("month", "quarter", "year"),
        index=2 if kind == "cohorts" else 0,
        key=f"{K_PERIOD}_{kind}",
    )
    named = currency_in(raw.columns, CURRENCIES)
    currency = st.selectbox(
        "Currency",
        CURRENCIES,
        index=CURRENCIES.index(named) if named else 0,
        key=f"{K_CURRENCY}_{named}",
        help="Proposed from the column names where they say it.",
    )
    margin = (
        st.number_input(
            "Gross margin where the file has none (%)",
            min_value=1.0,
            max_value=100.0,
            value=100.0,
            step=5.0,
            key=K_MARGIN,
            help="100 % means contribution is revenue alone.",
        )
        / 100
    )
    days = None
    if kind == "transactions":
        chosen = st.number_input(
            "Days without a purchase that mean lapsed (0 = from the data)", min_value=0, value=0, step=7, key=K_DAYS
        )
        days = int(chosen) or None

proposed = propose_mapping(raw.columns, kind)
columns_id = zlib.crc32("\x1f".join(raw.columns).encode())  # a choice is remembered per set of columns
roles = roles_of(kind)
wide_cohorts = kind == "cohorts" and proposed.get("period") is None and proposed.get("active") is None
with st.expander(
    "Columns: which column holds what",
    expanded=not wide_cohorts and not all(proposed[r.key] for r in roles if r.required),
):
    st.caption("Proposed from the column names; change any that is wrong. — means the file has no such column.")
    mapping = {}
    cols = st.columns(3)
    for i, role in enumerate(roles):
        if wide_cohorts and role.key != "cohort":
            continue
        options = [NONE, *raw.columns]
        default = proposed.get(role.key)
        with cols[i % 3]:
            choice = st.selectbox(
                role.label + (" (needed)" if role.required else ""),
                options,
                index=options.index(default) if default in options else 0,
                key=f"pf_map_{kind}_{role.key}_{columns_id}",
            )
        mapping[role.key] = None if choice == NONE else choice
    if wide_cohorts:
        st.caption("Cohorts as rows and periods as columns: every numbered column is a period.")
        mapping.update({"period": None, "active": None, "segment": None})

settings = _settings(
    kind=kind,
    columns=mapping,
    sheet=st.session_state.get(K_SHEET),
    period=period,
    inactivity_days=days,
    gross_margin=margin,
)
try:
    result = cache.analysed(file_bytes, file_digest, file_name, settings.to_json())
except InputError as exc:
    _show_error("The data could not be used as chosen. Fix the column choices or the file.", exc)
    st.stop()
except Exception:
    log.exception("portfolio analysis failed")
    st.error("Reading this file failed unexpectedly. Try another file or an example.")
    st.stop()

data = result.data
_md(text.rows_sentence(data.problems.count, data.rows))
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
if kind == "transactions":
    _md(data.inactivity_reason)

ppy = PERIODS_PER_YEAR[period]


def calibration_section(fits: dict, messages: dict) -> None:
    if not fits:
        st.warning("No churn model could be fitted.")
        for message in messages.values():
            st.text(message)
        return
    names = list(fits)
    choice = st.selectbox("Show the fit of", names, key=K_FIT)
    fit = fits[choice if choice in fits else names[0]]
    years = 3
    ahead = max(years * ppy, 2 * fit.periods)
    st.altair_chart(
        charts.calibration_chart(calibration_frame(fit, ahead), fit.name, period),
        width="stretch",
        height=charts.ELEMENT_HEIGHT,
    )
    st.text(f"Fit shown: {fit.name}")
    _md(text.still_here_sentence(still_here(fit, years, ppy), years))
    _md(text.fit_sentence("Churn", fit.churn, fit.intervals["churn"], period))
    _md(text.heterogeneity_sentence(fit.churn_heterogeneity, fit.intervals["churn_heterogeneity"]))
    rows = []
    for name, f in fits.items():
        rows.append(
            {
                "fitted": name,
                "customers": f.customers,
                "lost": f.lost,
                f"longest tenure ({period}s)": f.periods,
                "alpha": f.alpha,
                "beta": f.beta,
                "churn": f.churn,
                "churn 90 % low": f.intervals["churn"][0],
                "churn 90 % high": f.intervals["churn"][1],
                "heterogeneity": f.churn_heterogeneity,
                "het. 90 % low": f.intervals["churn_heterogeneity"][0],
                "het. 90 % high": f.intervals["churn_heterogeneity"][1],
                "log-likelihood": f.log_likelihood,
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for name, message in messages.items():
        st.caption(f"{code(name)}: not fitted. {code(message)}")


if result.analysis is None:
    st.header("Calibration")
    st.caption("A cohort table gives retention curves only: a churn model per cohort set, no classes.")
    calibration_section(result.fits, result.fit_messages)
    st.stop()

analysis = result.analysis
c = analysis.customers
t = analysis.thresholds
for key, value in zip(
    ("c_lo", "c_hi", "p_lo", "p_hi", "winback", "r_lo", "r_hi"),
    (*t.contribution, *t.potential, t.winback_min_value, *analysis.risk_cuts),
    strict=True,
):
    st.session_state.setdefault(K_CUTS[key], float(value))

tab_portfolio, tab_fit, tab_plans, tab_simulate = st.tabs(
    ["Portfolio", "Calibration", "Contact plans", "Simulate and download"]
)

with tab_portfolio:
    counts = c["status"].value_counts()
    _md(
        f"**{counts.get('active', 0):,} active customers**, {counts.get('lapsed', 0):,} lapsed, "
        f"{counts.get('prospect', 0):,} prospects; revenue per {period} "
        f"{text.money(c.loc[c['status'] == 'active', 'revenue'].sum(), currency)}."
    )
    box = analysis.nine_box
    grid = pd.DataFrame(
        index=[f"{lv} contribution" for lv in reversed(LEVELS)], columns=[f"{lv} potential" for lv in LEVELS]
    )
    for row in box.itertuples():
        grid.loc[f"{row.contribution} contribution", f"{row.potential} potential"] = text.cell_label(
            box.loc[row.Index, "class"], row.customers, row.prospects, row.revenue, currency
        )
    st.altair_chart(
        charts.nine_box_chart(charts.nine_box_frame(box, currency), currency, period),
        width="stretch",
        height=charts.NINE_BOX_ELEMENT_HEIGHT,
    )
    st.dataframe(grid, width="stretch")
    conc = analysis.concentration
    _md(text.concentration_sentence(conc["top_10"], conc["top_20"], conc["customers"]))

    st.subheader("Classes and their strategy")
    classes = analysis.classes
    table = pd.DataFrame(
        {
            "class": classes["class"],
            "what it means": classes["meaning"],
            "customers": classes["customers"],
            f"revenue per {period}": [text.money(v, currency) for v in classes["revenue"]],
            "revenue share": [text.percent(v) for v in classes["revenue_share"]],
            "strategy": classes["strategy"],
            "risk low / medium / high": [
                " / ".join(text.percent(getattr(r, f"risk_{b}")) for b in RISK_BANDS) for r in classes.itertuples()
            ],
            "share of retention budget": [text.percent(v) for v in classes["share_retention"]],
            "share of expansion budget": [text.percent(v) for v in classes["share_expansion"]],
            "share of win-back budget": [text.percent(v) for v in classes["share_winback"]],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(" · ".join(f"**{k}**: {v}" for k, v in text.STRATEGY_TEXT.items()))

    st.subheader("Risk")
    active = c[c["status"] == "active"]
    bands = active["risk_band"].value_counts()
    r_lo, r_hi = analysis.risk_cuts
    _md(
        f"Churn risk next {period}: **low** below {text.churn_percent(r_lo)} ({bands.get('low', 0):,} customers), "
        f"**medium** ({bands.get('medium', 0):,}), **high** from {text.churn_percent(r_hi)} "
        f"({bands.get('high', 0):,})."
    )
    st.subheader("Lapsed customers worth winning back")
    worth = analysis.lapsed_worth_winning_back()
    _md(text.lapsed_sentence(len(worth), worth["contribution"].sum(), currency, period, t.winback_min_value))
    if len(worth):
        st.dataframe(worth.head(200), hide_index=True, width="stretch")

    st.subheader("Thresholds and classes")
    with st.form("pf_thresholds"):
        st.caption(
            f"Money per {period}. A value at a threshold belongs to the upper level. The defaults are the data's "
            "terciles, rounded."
        )
        a, b, c2 = st.columns(3)
        a.number_input(f"Contribution: low below ({currency})", min_value=0.0, key=K_CUTS["c_lo"])
        a.number_input(f"Contribution: high from ({currency})", min_value=0.0, key=K_CUTS["c_hi"])
        b.number_input(f"Potential: low below ({currency})", min_value=0.0, key=K_CUTS["p_lo"])
        b.number_input(f"Potential: high from ({currency})", min_value=0.0, key=K_CUTS["p_hi"])
        c2.number_input(
            f"Win back lapsed customers from ({currency} contribution)", min_value=0.0, key=K_CUTS["winback"]
        )
        c2.number_input(
            "Risk: low below (probability)", min_value=0.0, max_value=1.0, format="%.4f", key=K_CUTS["r_lo"]
        )
        c2.number_input(
            "Risk: high from (probability)", min_value=0.0, max_value=1.0, format="%.4f", key=K_CUTS["r_hi"]
        )
        mapping_now = {**DEFAULT_CELL_CLASS, **settings.cell_class()}
        rows = list(reversed(LEVELS))
        cells = pd.DataFrame(
            {f"{p} potential": [mapping_now[(lv, p)] for lv in rows] for p in LEVELS},
            index=[f"{lv} contribution" for lv in rows],
        )
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
            st.session_state[K_CELLS] = {
                lv: {p: str(edited.iloc[i, j]) for j, p in enumerate(LEVELS)} for i, lv in enumerate(rows)
            }
            st.rerun()

with tab_fit:
    calibration_section(analysis.fits, analysis.fit_messages)
    st.caption(
        f"Fitted per class, and once for all customers ({ALL.lower()}): each class's customers who left count at the "
        "tenure they left, those still active are censored at the tenure they have reached."
    )

with tab_plans:
    st.caption(
        "Contacts per year and cost per contact of each class's plan; win back is for lapsed customers worth "
        "winning back, acquire for high-potential prospects. Edit and apply to see the budget they imply."
    )
    plans_table = analysis.budgets[
        ["plan", "strategy", "customers", "contacts_per_year", "channel", "cost_per_contact", "budget_per_year"]
    ]
    with st.form("pf_plans_form"):
        edited_plans = st.data_editor(
            plans_table,
            hide_index=True,
            disabled=["plan", "strategy", "customers", "budget_per_year"],
            column_config={
                "contacts_per_year": st.column_config.NumberColumn("contacts per year", min_value=0.0, step=1.0),
                "cost_per_contact": st.column_config.NumberColumn(f"cost per contact ({currency})", min_value=0.0),
                "budget_per_year": st.column_config.NumberColumn(f"budget per year ({currency})", format="localized"),
            },
            key="pf_plans_editor",
        )
        if st.form_submit_button("Apply contact plans"):
            plans = {}
            for row in edited_plans.itertuples():
                try:
                    plan = ContactPlan(float(row.contacts_per_year), str(row.channel), float(row.cost_per_contact))
                    plans[row.plan] = asdict(plan)
                except (InputError, TypeError, ValueError) as exc:
                    _show_error(f"The {row.plan} plan was not changed.", exc)
            st.session_state[K_PLANS] = {k: v for k, v in plans.items() if k in PLAN_GROUPS}
            st.rerun()
    _md(text.budget_sentence(analysis.levers, currency, period))
    st.altair_chart(charts.budget_chart(analysis.strategies, currency, period), width="stretch")
    st.subheader("Key-account plans")
    st.caption(
        "Every A customer and the important C's (those who would be high contributors at their potential): "
        "planned for a year, reviewed every quarter."
    )
    st.dataframe(analysis.key_accounts, hide_index=True, width="stretch")
    st.download_button(
        "Key-account plans (CSV)",
        analysis.key_accounts.to_csv(index=False),
        file_name="key-account-plans.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/table:",
    )

with tab_simulate:
    st.markdown(
        "**Simulate this portfolio**: each class becomes a segment of a scenario, with its customers, revenue, "
        "margin, median tenure and fitted churn (carried with its 90 % interval), and the contact plans' "
        "budget per lever. It opens on the Plan page, where it can be optimised, compared, shared and exported."
    )
    if st.button("Simulate this portfolio", type="primary", icon=":material/play_arrow:", key="pf_simulate"):
        try:
            scenario = result.scenario(currency=currency)
        except InputError as exc:
            _show_error("This portfolio cannot be simulated yet.", exc)
        else:
            state.set_scenario(scenario)
            state.notify(
                "success",
                f"Opened your portfolio as a plan: one segment per class "
                f"({', '.join(s.name for s in scenario.segments)}).",
            )
            st.switch_page("pages/plan.py")
    st.download_button(
        "Classified customers (CSV)",
        analysis.export_frame().to_csv(index=False),
        file_name="classified-customers.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        help="Each customer with class, nine-box cell, strategy and risk.",
    )
    with st.expander("How the classes, strategies and the fit work"):
        st.markdown(prose("portfolio_method"))
