"""The Portfolio page's inputs: the file, what it is, which column holds what, and the settings they make.

Every choice a person makes on the page ends in one
:class:`~simulation.portfolio.settings.PortfolioSettings` (:func:`settings`); the session keeps
only the widgets' values, the thresholds, cell classes and contact plans once applied.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st

from simulation.portfolio.columns import KIND_LABELS, KINDS, currency_in, guess_kind, propose_mapping, roles_of
from simulation.portfolio.limits import MAX_FILE_TEXT
from simulation.portfolio.reading import RawTable
from simulation.portfolio.settings import PortfolioSettings, SettingsError
from ui.portfolio.reading import chosen_encoding
from ui.shared.safe_text import code

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "customers"
EXAMPLES = {
    "b2b_accounts.csv": "B2B accounts and prospects (customer table)",
    "shop_transactions.csv": "Consumer shop (transaction log)",
    "cohorts_fh_format.csv": "Two cohorts, yearly (cohort table)",
}
CURRENCIES = ("USD", "EUR", "GBP", "CHF", "JPY", "AUD", "CAD", "SEK", "VND", "THB", "BGN")
K_FILE, K_EXAMPLE, K_UPLOAD = "pf_file", "pf_example", "pf_upload"
K_SHEET, K_KIND, K_PERIOD, K_DAYS, K_MARGIN, K_CURRENCY, K_AS_OF = (
    "pf_sheet",
    "pf_kind",
    "pf_period",
    "pf_inactivity",
    "pf_margin",
    "pf_currency",
    "pf_as_of",
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
# what a newly opened file forgets of the one before
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
    "pf_as_of",
    "pf_encoding",
    "pf_act_",
)
NONE = "—"
PERIODS = ("month", "quarter", "year")


def show_error(heading: str, exc: Exception) -> None:
    # the message may quote a file name, a column name or a value from the user's file
    st.error(f"**{heading}**\n\n{code(exc)}")


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


def file_pickers() -> None:
    """An example or the user's own file, in the sidebar; the file opened is kept as ``(name, bytes)``."""
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


def opened_file() -> tuple[str, bytes] | None:
    return st.session_state.get(K_FILE)


def chosen_sheet() -> str | None:
    return st.session_state.get(K_SHEET)


def sheet_picker(raw: RawTable) -> None:
    if len(raw.sheets) > 1:
        st.selectbox("Sheet", raw.sheets, index=raw.sheets.index(raw.sheet), key=K_SHEET)


@dataclass(frozen=True)
class FileChoices:
    """What the file is and how to read its numbers, as chosen in the sidebar."""

    kind: str
    period: str
    currency: str
    gross_margin: float
    inactivity_days: int | None
    as_of: date | None = None


def file_choices(raw: RawTable) -> FileChoices:
    """The sidebar's choices about the file, each proposed from its header."""
    with st.sidebar:
        kind = st.radio(
            "This file is a",
            KINDS,
            index=KINDS.index(guess_kind(raw.columns)),
            format_func=KIND_LABELS.get,
            key=K_KIND,
        )
        period = st.selectbox(
            "Period of revenue and tenure", PERIODS, index=2 if kind == "cohorts" else 0, key=f"{K_PERIOD}_{kind}"
        )
        named = currency_in(raw.columns, CURRENCIES)
        currency = st.selectbox(
            "Currency",
            CURRENCIES,
            index=CURRENCIES.index(named) if named else 0,
            key=f"{K_CURRENCY}_{named}",
            help="Proposed from the column names where they say it.",
        )
        margin = st.number_input(
            "Gross margin where the file has none (%)",
            min_value=1.0,
            max_value=100.0,
            value=100.0,
            step=5.0,
            key=K_MARGIN,
            help="100 % means contribution is revenue alone.",
        )
        days = as_of = None
        if kind == "transactions":
            as_of = st.date_input(
                "As-of date (empty: the log's last purchase)",
                value=None,
                min_value=date(1900, 1, 1),
                max_value=date(2100, 12, 31),
                key=K_AS_OF,
                help="The purchase model is fitted to the purchases up to this date; those after it are held out "
                "and compared with its forecast.",
            )
            chosen = st.number_input(
                "Days without a purchase that mean lapsed (0 = from the data)",
                min_value=0,
                value=0,
                step=7,
                key=K_DAYS,
            )
            days = int(chosen) or None
    return FileChoices(kind, period, currency, margin / 100, days, as_of)


def column_choices(raw: RawTable, kind: str) -> dict[str, str | None]:
    """Which file column holds each role of ``kind`` (None: no such column), proposed from the header."""
    proposed = propose_mapping(raw.columns, kind)
    columns_id = zlib.crc32("\x1f".join(raw.columns).encode())  # a choice is remembered per set of columns
    roles = roles_of(kind)
    wide_cohorts = kind == "cohorts" and proposed.get("period") is None and proposed.get("active") is None
    mapping = {}
    with st.expander(
        "Columns: which column holds what",
        expanded=not wide_cohorts and not all(proposed[r.key] for r in roles if r.required),
    ):
        st.caption("Proposed from the column names; change any that is wrong. — means the file has no such column.")
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
    return mapping


def settings(choices: FileChoices, columns: dict[str, str | None]) -> PortfolioSettings:
    """The page's choices as settings, with the thresholds, cell classes and contact plans once applied.

    Thresholds that make no sense are not applied: the page says why and uses the data's defaults.
    """
    fields = {
        "kind": choices.kind,
        "columns": columns,
        "sheet": chosen_sheet(),
        "encoding": chosen_encoding(),
        "period": choices.period,
        "inactivity_days": choices.inactivity_days,
        "as_of": choices.as_of,
        "gross_margin": choices.gross_margin,
        "cell_classes": st.session_state.get(K_CELLS, {}),
        "plans": st.session_state.get(K_PLANS, {}),
    }
    if st.session_state.get(K_APPLIED):
        cuts = {k: float(st.session_state[v]) for k, v in K_CUTS.items() if v in st.session_state}
        try:
            return PortfolioSettings(
                **fields,
                contribution_cuts=(cuts["c_lo"], cuts["c_hi"]),
                potential_cuts=(cuts["p_lo"], cuts["p_hi"]),
                winback_min=cuts["winback"],
                risk_cuts=(cuts["r_lo"], cuts["r_hi"]),
            )
        except (SettingsError, KeyError) as exc:
            show_error("These thresholds were not applied; the data's defaults are used.", exc)
    return PortfolioSettings(**fields)
