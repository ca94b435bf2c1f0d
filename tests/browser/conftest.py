"""A real app in a real browser: Streamlit served on loopback, driven by Playwright in Debian's Chromium.

A missing browser is a failure, never a skip: deselect these tests with ``-m "not browser"``
if you cannot install Chromium. Screenshots are kept in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from simulation.engines.vectorized import compile_kernels
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 (the browser tests' settings)
from ui.shared.fonts import serve_fonts

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_app(data_dir: Path, log_path: Path):
    """``streamlit run app.py`` on a free loopback port with its own data folder; yields the URL."""
    compile_kernels()  # as ./run.sh app does first: the server then loads the compiled engine from disk
    serve_fonts()  # and copies the app's fonts into static/
    port = _free_port()
    env = dict(os.environ, RETENTION_LAB_DATA_DIR=str(data_dir))
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "app.py",
                "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
                "--client.toolbarMode", "viewer",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                        if response.read().decode().strip() == "ok":
                            break
                except OSError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"the app did not start within 60 s; see {log_path}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app, shared by the tests of a session (a warm server)."""
    with serve_app(tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("log") / "streamlit.log") as url:
        yield url


@pytest.fixture
def cold_app_url(tmp_path):
    """A server that has just started: no session has run app.py on it yet."""
    with serve_app(tmp_path / "data", tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots and timings go: ``$RETENTION_LAB_ARTIFACTS`` if set, else pytest's temporary folder."""
    chosen = os.environ.get("RETENTION_LAB_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("browser-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, request, artifacts):
    """A fresh browser context (a fresh Streamlit session); a screenshot is kept at the end."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    try:
        page.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
