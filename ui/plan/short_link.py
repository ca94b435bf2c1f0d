"""Short links on the pages: make one for the current scenario, and open the scenario a short link holds."""

from __future__ import annotations

import logging

import streamlit as st

from simulation import Scenario
from simulation.errors import InputError
from simulation.io.short_links import QUERY_PARAM, ShortLinks, short_url
from ui.shared import state
from ui.shared.safe_text import code

log = logging.getLogger("retention_lab.app")

BUTTON_LABEL = "Make a short link"
READ_KEY = "_short_link_read"
MADE_KEY = "_short_links_made"  # canonical JSON of a scenario -> its token, so a rerun does not store it again


def open_from_link(workspace: str = "default") -> None:
    """On a session's first run, open the scenario of a ``?k=`` short link (a bad or deleted link gets a message)."""
    if st.session_state.get(READ_KEY):
        return
    st.session_state[READ_KEY] = True
    token = st.query_params.get(QUERY_PARAM)
    if token is None:
        return
    del st.query_params[QUERY_PARAM]
    try:
        scenario = ShortLinks(workspace=workspace).resolve(token)
    except InputError as exc:
        state.notify(
            "error", f"**This short link could not be opened**, so the default example is shown.\n\n{code(exc)}"
        )
        return
    state.set_scenario(scenario)
    state.notify("success", "Opened the scenario from the short link.")


def short_link_block(scenario: Scenario, workspace: str = "default") -> None:
    """A button that stores the scenario in the library and shows a short link to it."""
    made = st.session_state.setdefault(MADE_KEY, {})
    text = scenario.canonical_json()
    if st.button(BUTTON_LABEL, icon=":material/link:", key="short_link_button"):
        try:
            made[text] = ShortLinks(workspace=workspace).create(scenario).token
        except InputError as exc:
            st.error(f"No short link was made: {code(exc)}")
    token = made.get(text)
    if token is not None:
        st.code(short_url(st.context.url, token), language=None)
        st.caption(
            "The short link opens this exact scenario from this server's library; the long link above works "
            "anywhere, without the library."
        )
