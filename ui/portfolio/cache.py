"""The Portfolio page's cached reads, keyed by the file's SHA-256 and the settings' canonical JSON.

The file's bytes are passed as ``_data`` (not hashed by Streamlit); ``digest`` stands for them
in the key. Each function uses only its arguments, so one file opened by several sessions with
the same settings is read and analysed once.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from simulation.portfolio import pipeline
from simulation.portfolio.reading import RawTable, read_upload_bounded
from simulation.portfolio.settings import PortfolioSettings


def digest(data: bytes) -> str:
    """The key that stands for a file's bytes."""
    return hashlib.sha256(data).hexdigest()


@st.cache_data(max_entries=8, show_spinner=False)
def raw_table(_data: bytes, digest: str, name: str, sheet: str | None, encoding: str | None = None) -> RawTable:
    """The file's cells as text: what its columns and sheets are, before anything is chosen."""
    return read_upload_bounded(_data, name, sheet=sheet, encoding=encoding)


@st.cache_data(max_entries=16, show_spinner="Reading, classifying and fitting…")
def analysed(_data: bytes, digest: str, name: str, settings_json: str) -> pipeline.PortfolioAnalysis:
    """:func:`~simulation.portfolio.pipeline.analyse_portfolio` of the file with these settings."""
    return pipeline.analyse_portfolio(_data, PortfolioSettings.from_json(settings_json), name=name)
