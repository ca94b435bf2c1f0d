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
NOTE_TEXT = "#555555"  # subtitles, and labels that sit beside a mark rather than on it
SERIES = ["#1f5fa8", "#d9822b", "#2e7d32", "#7b3fa0", "#00838f"]  # up to five compared scenarios
BAND_90_OPACITY = 0.18
BAND_50_OPACITY = 0.35
FONT = "Helvetica, Arial, sans-serif"

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "VND": "₫", "THB": "฿", "BGN": "лв"}
PERIOD_WORD = {"month": "month", "quarter": "quarter", "year": "year"}


def currency_symbol(code: str) -> str:
    return CURRENCY_SYMBOLS.get(code.upper(), code.upper() + " ")


SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _compact(x: float, digits: int, whole_below: float) -> str:
    """A non-negative number in ``digits`` significant digits with a k/M/B/T suffix from ``whole_below`` up.

    Below ``whole_below`` the number is written whole with thousands separators. Rounding
    may carry into the next suffix (999,999 is ``1.00M``, not ``1000k``), so the size is
    chosen after rounding.
    """
    if round(x) < whole_below:
        return f"{x:,.0f}"
    for index, (size, suffix) in enumerate(SUFFIXES):
        if x >= size or index == len(SUFFIXES) - 1:
            text = _sig(x / size, digits)
            if float(text) >= 1000 and index > 0:
                bigger, bigger_suffix = SUFFIXES[index - 1]
                return f"{_sig(x / bigger, digits)}{bigger_suffix}"
            return f"{text}{suffix}"
    raise AssertionError("unreachable")


def money(value: float | None, currency: str = "USD", digits: int = 3) -> str:
    """Compact money: ``$1.23M``, ``€45.6k``, ``-$120``; an em dash when undefined.

    Amounts under 1,000 are whole currency units; from 1,000 up, ``digits`` significant
    digits with a k/M/B/T suffix.
    """
    if value is None or not math.isfinite(value):
        return "—"
    x = abs(value)
    text = _compact(x, digits, 1e3)
    sign = "-" if value < 0 and text.strip("0.,kMBT") else ""
    return f"{sign}{currency_symbol(currency)}{text}"


def number(value: float | None, digits: int = 3) -> str:
    """A count or plain number: whole with separators below 10,000 (``7,960``), then ``79.6k``, ``1.23M``.

    Counts are whole things, so no decimals are shown below 10,000 either; a fraction of a
    customer (a median of futures) is rounded.
    """
    if value is None or not math.isfinite(value):
        return "—"
    text = _compact(abs(value), digits, 1e4)
    sign = "-" if value < 0 and text.strip("0.,kMBT") else ""
    return f"{sign}{text}"


def plain(value: float | None, digits: int = 3) -> str:
    """A number that is not a count, money or share (customers kept per dollar): ``0.713``, ``27.6``, ``12,345``.

    ``digits`` significant digits below 100, whole with thousands separators from 100 up.
    """
    if value is None or not math.isfinite(value):
        return "—"
    if round(abs(value)) >= 100:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    text = _sig(abs(value), digits)
    if float(text) >= 100:
        return f"{value:,.0f}"
    return ("-" if value < 0 and text.strip("0.") else "") + text


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage with ``digits`` decimals: ``12.5 %``; never ``-0.0 %``."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{_fixed(value * 100, digits)} %"


def percent_digits(*values: float) -> int:
    """Decimals for percentages shown together: none from 200 % up (returns of several hundred per cent), else one.

    Every number of a range gets the same decimals, so a range never reads ``192.2 % – 275 %``.
    """
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    return 0 if finite and min(finite) >= 2 else 1


def multiple(value: float | None) -> str:
    """A ratio such as LTV:CAC: ``3.4×``."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{_fixed(value, 1)}×"


def periods(value: float | None, period: str) -> str:
    """A duration in the scenario's periods: ``7.5 months``, ``1.0 quarter``... always one decimal."""
    if value is None or not math.isfinite(value):
        return "—"
    word = PERIOD_WORD.get(period, period)
    text = _fixed(value, 1)
    return f"{text} {word}{'' if text == '1.0' else 's'}"


def points(value: float | None, digits: int = 0) -> str:
    """Percentage points, singular for exactly one: ``1 point``, ``12 points``, ``2.5 points``."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{abs(value) * 100:.{digits}f}"
    return f"{text} point{'' if float(text) == 1 else 's'}"


def duration(seconds: float) -> str:
    """A time left in words: ``5 s``, ``about a minute``, ``3 min``."""
    if not math.isfinite(seconds):
        return "a moment"
    if seconds < 55:
        return f"{max(round(seconds), 1)} s"
    if seconds < 90:
        return "a minute"
    return f"{round(seconds / 60)} min"


def _fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and thousands separators; never ``-0.0``."""
    text = f"{value:,.{decimals}f}"
    return text.lstrip("-") if text.lstrip("-").strip("0.,") == "" else text


def _sig(x: float, digits: int) -> str:
    """``x`` (non-negative) in ``digits`` significant digits, rounded first so 9.999 becomes ``10.0``, not ``10.00``."""
    if x == 0:
        return "0"
    rounded = float(f"{x:.{digits - 1}e}")
    decimals = max(digits - 1 - math.floor(math.log10(rounded)), 0)
    return f"{rounded:.{decimals}f}"


def d3_money_format(currency: str) -> str:
    """A Vega-Lite axis label expression prefix for money axes (symbol then SI number)."""
    return currency_symbol(currency)
