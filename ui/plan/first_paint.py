"""A page's first run in a session draws its top part only; the browser asks for the rest once it has drawn it.

A new session's browser has to fetch and start a script for each kind of element before it can
draw any of them, and it shows the elements it is waiting for together. On the Plan page the
charts, the table, the sidebar's controls and the download buttons cost the browser about half a
second before the first figure could show. So the first run stops after the figures and mounts a
tiny component whose script, once the browser has painted them, asks for a rerun; that run (and
any later one) draws the whole page. A person who acts before then gets the whole page too.
"""

from __future__ import annotations

import streamlit as st

_DONE = "_first_paint_done"
_KEY = "first_paint_signal"

# The browser runs this when the component is drawn: after the next frame is painted, it asks for a rerun.
_AFTER_PAINT = """
export default function ({ setTriggerValue }) {
  requestAnimationFrame(() => setTimeout(() => setTriggerValue("drawn", true), 0));
}
"""

_signal = st.components.v2.component("retention_lab_first_paint", js=_AFTER_PAINT)


def _drawn() -> None:
    """The rerun the component asks for needs nothing else: the page sees its first run is over."""


def top_only(page: str) -> bool:
    """True on this session's first run of ``page``, which should then draw its top part and call :func:`rest_later`."""
    done = st.session_state.setdefault(_DONE, set())
    if page in done:
        return False
    done.add(page)
    return True


def rest_later() -> None:
    """Ask the browser for a rerun once it has painted what this run drew, and end this run."""
    _signal(key=_KEY, on_drawn_change=_drawn, height=0)
    st.stop()
