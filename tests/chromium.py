"""Debian's Chromium for the tests that drive a real browser (tests/browser, tests/deploy)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("RETENTION_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-dev-shm-usage",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
