"""Fixtures of the page tests: empty Streamlit caches for each test, and the app from its entry point.

Many tests start the app the same way (the Plan page on the test scenario, the default preset) and
then test what follows. :func:`start_app_warm` computes such a start once per session: the first
test that starts the app that way runs it on empty caches and keeps what the start left in the
engine caches; later tests begin with exactly those entries, so their start is a look-up.
``test_a_warm_start_draws_what_a_cold_start_draws`` checks the two starts give the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.caching import cache_data_api, cache_resource_api
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


@dataclass(frozen=True)
class _CacheEntries:
    """The entries of one ``st.cache_data`` function, with the settings its cache was made with."""

    function_key: str
    persist: object
    max_entries: int | None
    ttl: float | None
    display_name: str
    refresh_mode: str
    max_size_bytes: int | None
    entries: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class _Start:
    """What a start from empty caches left in them: the cached engine results and the finished sweeps."""

    data: tuple[_CacheEntries, ...]
    sweeps: tuple[tuple, ...]


_STARTS: dict[str, _Start | None] = {}


def _resources_empty() -> bool:
    caches = cache_resource_api._resource_caches._function_caches.values()
    return not any(len(c._mem_cache) for per_session in caches for c in per_session.values())


def _save_start() -> _Start | None:
    """The caches' content after a start from empty caches; None if it holds what cannot be copied
    (a session's own cache, or an ``st.cache_resource`` object, which is shared, not pickled)."""
    functions = cache_data_api._data_caches._function_caches
    if set(functions) - {None} or not _resources_empty():
        return None
    data = []
    for key, c in functions.get(None, {}).items():
        with c.storage._mem_cache_lock:
            entries = tuple(c.storage._mem_cache.items())
        settings = (c.persist, c.max_entries, c.fresh_ttl_seconds, c.display_name, c.refresh_mode, c.max_size_bytes)
        data.append(_CacheEntries(key, *settings, entries))
    return _Start(tuple(data), tuple(cache.SWEEPS_DONE._keys))


def _restore_start(start: _Start) -> None:
    clear()
    for saved in start.data:
        c = cache_data_api._data_caches.get_cache(
            saved.function_key, saved.persist, saved.max_entries, saved.ttl, saved.display_name,
            refresh_mode=saved.refresh_mode, max_size_bytes=saved.max_size_bytes,
        )  # fmt: skip
        for key, value in saved.entries:
            c.storage.set(key, value)
    for key in start.sweeps:
        cache.SWEEPS_DONE.add(key)


def start_warm(key: str, start: Callable[[], AppTest]) -> AppTest:
    """``start()`` as a test on empty caches would see it, its engine results computed once per session
    under ``key`` (see the module's docstring)."""
    saved = _STARTS.get(key)
    if saved is not None:
        _restore_start(saved)
    else:
        clear()
    at = start()
    if key not in _STARTS and not at.exception:
        _STARTS[key] = _save_start()
    return at


def kept(key: str) -> bool:
    """Whether the start under ``key`` was kept for later tests (it is not if it left what cannot be copied)."""
    return _STARTS.get(key) is not None


DEFAULT_START = "plan:"  # the key of the Plan page's start on the default preset


def start_app_warm(scenario: Scenario | None = None) -> AppTest:
    """:func:`start_app` on ``scenario`` (or the default preset), its engine results computed once per session."""
    return start_warm(plan_key(scenario), lambda: start_app(scenario))


def plan_key(scenario: Scenario | None = None) -> str:
    """The key of the Plan page's start on ``scenario`` (or the default preset)."""
    return DEFAULT_START if scenario is None else f"plan:{encode_scenario(scenario)}"


@pytest.fixture
def app(test_scenario) -> AppTest:
    """The Plan page opened on the test scenario."""
    at = start_app_warm(test_scenario)
    assert not at.exception, f"the Plan page raised: {at.exception}"
    return at
