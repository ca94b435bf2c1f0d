"""Fixtures of the page tests: empty Streamlit caches for each test, and the app from its entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulation import Scenario
from simulation.io.sharing import QUERY_PARAM, encode_scenario
from ui.shared import cache

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
APP_TIMEOUT = 60


@pytest.fixture(autouse=True)
def empty_caches(monkeypatch):
    """Each test starts with empty Streamlit caches (they are shared across AppTest instances).

    The server's background warm-up is off: it would fill the caches while a test measures them.
    """
    monkeypatch.setenv("RETENTION_LAB_WARMUP", "0")
    clear()
    yield
    clear()


def clear() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    cache.SWEEPS_DONE.clear()


def start_app(scenario: Scenario | None = None, token: str | None = None) -> AppTest:
    """The app from its entry point, opened on ``scenario`` (through a share link) or a raw link token."""
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    if scenario is not None:
        token = encode_scenario(scenario)
    if token is not None:
        at.query_params[QUERY_PARAM] = token
    return run_like_a_browser(at)


def run_like_a_browser(at: AppTest) -> AppTest:
    """Run the app as a browser would: a page whose first run drew only its top part (ui/first_paint.py)
    mounts a signal with which the browser asks for the rest once it has drawn that part; run it again."""
    at.run()
    if not at.exception and at.get("bidi_component"):
        at.run()
    return at


@pytest.fixture
def app(test_scenario) -> AppTest:
    """The Plan page opened on the test scenario."""
    at = start_app(test_scenario)
    assert not at.exception, f"the Plan page raised: {at.exception}"
    return at
