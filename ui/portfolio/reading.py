"""The Portfolio page's reading choices: the file's encoding, and the columns the reader did not recognise."""

from __future__ import annotations

import streamlit as st

from simulation.portfolio.columns import unused_sentence
from simulation.portfolio.encoding import ENCODINGS, encoding_label
from simulation.portfolio.reading import RawTable

K_ENCODING = "pf_encoding"
DETECT = "detect"
LEGACY_WARNING = (
    "This file is not UTF-8: its encoding was detected as {label}. If names or accented letters look wrong, "
    "choose the file's encoding in the sidebar."
)


def chosen_encoding() -> str | None:
    """The encoding chosen in the sidebar, or None to detect it."""
    value = st.session_state.get(K_ENCODING, DETECT)
    return value if value in ENCODINGS else None


def encoding_picker(raw: RawTable) -> None:
    """A select of encodings for a CSV, showing the one detected; nothing for a workbook."""
    if raw.encoding is None:
        return
    detected = raw.encoding if chosen_encoding() is None else None
    options = [DETECT, *ENCODINGS]

    def label(option: str) -> str:
        if option == DETECT:
            return f"Detect (found: {encoding_label(detected)})" if detected else "Detect"
        return encoding_label(option)

    with st.sidebar:
        st.selectbox(
            "File encoding",
            options,
            format_func=label,
            key=K_ENCODING,
            help="How the file's letters are written. Detected from the file unless you choose one.",
        )
    if detected and detected not in ("utf-8", "utf-16"):
        st.warning(LEGACY_WARNING.format(label=encoding_label(detected)))


def unrecognised_columns(raw: RawTable, kind: str, mapping: dict[str, str | None]) -> None:
    """Name the file's columns that no role reads (as plain text: they are the user's)."""
    sentence = unused_sentence(raw.columns, mapping, wide_cohorts=kind == "cohorts" and mapping.get("period") is None)
    if sentence:
        st.text(sentence)
