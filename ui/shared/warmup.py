"""Warm the shared caches once per server process, in the background, so new sessions open on cached figures.

The first session on a server starts a thread that fills the caches the default example
needs (its plan and status quo, its year-by-year table and the Plan page's best split), and
imports the modules of the other pages. That session computes what it needs itself; every
session after it finds the figures cached. Nothing here is per user.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time

import streamlit as st

log = logging.getLogger("retention_lab.app")
MODULES = ("ui.optimise.charts", "ui.optimise.text", "ui.plan.editor", "ui.plan.editor_tables", "vl_convert")


# The first session computes what it shows itself; the warm-up starts after it so the two do not
# compete for the processors, and then finds most of it cached.
DELAY_SECONDS = 5.0


def _warm() -> None:
    from ui.shared import cache

    time.sleep(DELAY_SECONDS)
    try:
        for name in MODULES:
            importlib.import_module(name)
        cache.warm()
    except Exception:  # a failed warm-up only costs speed; the pages compute what they need
        log.exception("warming the caches failed")


@st.cache_resource(show_spinner=False)
def _started() -> threading.Thread:
    thread = threading.Thread(target=_warm, name="retention-lab-warmup", daemon=True)
    thread.start()
    return thread


def start() -> None:
    """Start the warm-up thread, once per process (``RETENTION_LAB_WARMUP=0`` turns it off, as the page tests do)."""
    if os.environ.get("RETENTION_LAB_WARMUP", "1") != "0":
        _started()
