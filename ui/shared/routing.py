"""Every page reachable by its own address, also on a server that has just started.

Until one session has run ``st.navigation`` in app.py, Streamlit serves the files in
``pages/`` by their own URL without running app.py (its older multipage mode): no
navigation, no page config. A page opened that way sends the session through app.py once,
which sets up navigation and then returns to the page with its query parameters, so a
link to ``/optimise?s=...`` works on a cold server as it does on a warm one.
"""

from __future__ import annotations

import streamlit as st

_ROUTED_KEY = "_routed_by_app"
_RETURN_KEY = "_return_to"


def mark_routed() -> None:
    """Called by app.py after ``st.navigation``: this session's pages run through it."""
    st.session_state[_ROUTED_KEY] = True


def resume() -> None:
    """Called by app.py: go back to the page a session was first opened on, if any."""
    target = st.session_state.pop(_RETURN_KEY, None)
    if target is not None:
        page, params = target
        st.switch_page(page, query_params=params or None)


def ensure_routed(page: str) -> None:
    """First statement of every page: ``page`` is its path relative to app.py."""
    if not st.session_state.get(_ROUTED_KEY):
        st.session_state[_RETURN_KEY] = (page, st.query_params.to_dict())
        st.switch_page("app.py")
