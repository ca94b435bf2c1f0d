"""One palette and one way of writing numbers, for every page and chart.

Colour is used sparingly: the plan is blue, the status quo grey, and a warm
accent marks a chosen point (the best split, a target). Bands are the same hue
as their line, lighter for the 90 % band than for the 50 % band.
"""

from __future__ import annotations

import math

PLAN = "#1f5fa8"
STATUS_QUO = "#8c8c8c"
ACCENT = "#d9822b"
POSITIVE = "#2e7d32"
NEGATIVE = "#c62828"
SERIES = ["#1f5fa8", "#d9822b", "#2e7d32", "#7b3fa0", "#00838f"]  # up to five compared scenarios
BAND_90_OPACITY = 0.18
BAND_50_OPACITY = 0.35
FONT = "Helvetica, Arial, sans-serif"

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "VND": "₫", "THB": "฿", "BGN": "лв"}
PERIOD_WORD = {"month": "month", "quarter": "quarter", "year": "year"}


def currency_symbol(code: str) -> str:
    return CURRENCY_SYMBOLS.get(code.upper(), code.upper() + " ")


def money(value: float | None, currency: str = "USD", digits: int = 3) -> str:
    """Compact money: ``$1.23M``, ``€45.6k``, ``-$120``; an em dash when undefined."""
    if value is None or not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    x = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if x >= size:
            return f"{sign}{currency_symbol(currency)}{_sig(x / size, digits)}{suffix}"
    return f"{sign}{currency_symbol(currency)}{x:,.0f}"


def number(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    x = abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e4, "k")):
        if x >= size:
            return f"{sign}{_sig(x / size, digits)}{suffix}"
    return f"{sign}{x:,.0f}" if x >= 100 else f"{sign}{_sig(x, digits)}"


def percent(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:.{digits}f} %"


def _sig(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(x)), 0)
    return f"{x:.{decimals}f}"


def d3_money_format(currency: str) -> str:
    """A Vega-Lite axis label expression prefix for money axes (symbol then SI number)."""
    return currency_symbol(currency)
