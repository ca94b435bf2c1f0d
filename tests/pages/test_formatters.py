"""Numbers as a person reads them: every formatter, read back, is within rounding of the value."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ui.shared import style

SCALE = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
# Every magnitude from fractions of a unit to beyond a trillion, both signs.
magnitudes = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)


def read_back(text: str, prefix: str = "", suffix: str = "") -> tuple[float, float]:
    """The value a person reads from ``text`` and half a unit of its last digit (the rounding allowed)."""
    digits = r"(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d+))?([kMBT]?)"
    m = re.fullmatch(f"(-?){re.escape(prefix)}{digits}{re.escape(suffix)}", text)
    assert m, f"{text!r} is not written as [-]{prefix}digits[.digits][k|M|B|T]{suffix}"
    whole, decimals, unit = m[2], m[3] or "", m[4]
    assert "," not in whole or unit == "", f"{text!r}: a compact number should not also carry separators"
    value = float(whole.replace(",", "") + ("." + decimals if decimals else "")) * SCALE[unit]
    half_unit = 0.5 * 10 ** -len(decimals) * SCALE[unit]
    return (-value if m[1] else value), half_unit


def assert_within_rounding(text: str, value: float, read: float, half_unit: float) -> None:
    # the float of a decimal string is within one ulp of it; allow that on top of the rounding
    slack = half_unit * (1 + 1e-9) + 4 * math.ulp(abs(value))
    assert abs(read - value) <= slack, f"{value!r} is shown as {text!r}, read back as {read!r} (more than rounding)"


@given(magnitudes)
@example(39_000.0)  # a subscription box's customers: was shown ten times too small
@example(79_600.0)
@example(999_999.0)  # rounds up into millions: "1.00M", never "1000k"
@example(9_999.6)
@example(-7_960.0)
def test_number_reads_back_within_rounding(value):
    text = style.number(value)
    read, half = read_back(text)
    assert_within_rounding(text, value, read, half)
    if abs(value) < 9_999.5:
        assert re.fullmatch(r"-?[\d,]+", text), f"a count under 10,000 should be whole with separators: {text!r}"
    else:
        digits = sum(c.isdigit() for c in text)
        assert digits <= 4, f"a large count should be compact (3 significant digits): {text!r}"


@given(magnitudes, st.sampled_from(["USD", "EUR", "GBP", "CHF"]))
@example(999_999.0, "USD")
@example(12_345.0, "EUR")
@example(-0.2, "USD")
def test_money_reads_back_within_rounding(value, currency):
    text = style.money(value, currency)
    read, half = read_back(text, prefix=style.currency_symbol(currency))
    assert_within_rounding(text, value, read, half)
    assert not text.startswith("-") or read != 0, f"zero should not carry a sign: {text!r}"


@given(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False), st.integers(min_value=0, max_value=2))
@example(-0.0001, 1)
def test_percent_reads_back_within_rounding(share, digits):
    text = style.percent(share, digits)
    read, half = read_back(text, suffix=" %")
    assert_within_rounding(text, share * 100, read, half)
    assert text != f"-{0:.{digits}f} %", "a tiny negative share should not read as minus zero"


@given(magnitudes)
@example(99.96)  # rounds up to 100: whole, "100", not "100.0"
@example(-0.0004)  # never "-0"
def test_plain_numbers_read_back_within_rounding(value):
    text = style.plain(value)
    read, half = read_back(text)
    assert_within_rounding(text, value, read, half)
    assert text != "-0", "a tiny negative should not read as minus zero"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_multiple_reads_back_within_rounding(value):
    text = style.multiple(value)
    read, half = read_back(text, suffix="×")
    assert_within_rounding(text, value, read, half)


@given(st.floats(min_value=-1e5, max_value=1e5, allow_nan=False), st.sampled_from(["month", "quarter", "year"]))
def test_periods_read_back_within_rounding(value, period):
    text = style.periods(value, period)
    m = re.fullmatch(rf"(.*) {period}s?", text)
    assert m, f"{text!r} should end with the period word {period!r}"
    read, half = read_back(m[1])
    assert_within_rounding(text, value, read, half)
    assert text.endswith(period) == (m[1] == "1.0"), f"singular only for exactly one: {text!r}"


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.01, "1 point"), (0.12, "12 points"), (-0.01, "1 point"), (0.0, "0 points")],
)
def test_points_agree_in_number(value, text):
    assert style.points(value) == text, f"{value} points should read {text!r}"


@given(st.floats(min_value=-50, max_value=50, allow_nan=False), st.floats(min_value=-50, max_value=50, allow_nan=False))
def test_percentages_shown_together_share_their_decimals(a, b):
    digits = style.percent_digits(a, b)
    decimals = {len(style.percent(v, digits).split(" ")[0].partition(".")[2]) for v in (a, b)}
    assert len(decimals) == 1, f"{style.percent(a, digits)} and {style.percent(b, digits)} have mixed decimals"


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf])
def test_undefined_is_a_dash(value):
    formatters = (style.number, style.money, style.percent, style.multiple, style.plain)
    for text in (f(value) for f in formatters):
        assert text == "—", f"an undefined value should read as an em dash, got {text!r}"
