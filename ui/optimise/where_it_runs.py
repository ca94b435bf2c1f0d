"""Where the Optimise page's sweeps run: this machine, or the Dask cluster the setting names."""

from __future__ import annotations

import streamlit as st

from simulation.numerics.executor import ENV, Executor, executor_for
from ui.shared.safe_text import literal


def executor() -> Executor:
    """The executor for this run of the page (one client per process; see ``executor_for``).

    An unreachable cluster costs at most the connection timeout, once per half minute:
    in between, the page works on this machine straight away.
    """
    return executor_for()


def where_text(ex: Executor) -> str:
    """``Runs on this machine, 2 cores.`` or ``Runs on the Dask cluster at tcp://…, 3 workers.``"""
    place = ex.describe()
    if place.startswith("this machine"):
        return f"Runs on {place}."
    return f"Runs on the {place}."


def show(ex: Executor) -> None:
    """A caption saying where the work runs, and a warning when a named cluster was not used.

    The address and the connection error come from the server's setting and the network, not from
    users: their Markdown signs are escaped, so they show as written.
    """
    st.caption(literal(where_text(ex)), help=f"Set {ENV} to a Dask scheduler's address to run the sweeps on a cluster.")
    note = getattr(ex, "note", None)
    if note:
        st.warning(literal(note), icon=":material/cloud_off:")
