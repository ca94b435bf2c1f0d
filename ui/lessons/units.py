"""Numbers in and out of the lessons' widgets: shares are typed and shown in percent."""

from __future__ import annotations


def to_widget(value: float, unit: str) -> float:
    return round(value * 100, 6) if unit == "share" else float(value)


def from_widget(value: float, unit: str) -> float:
    return float(value) / 100 if unit == "share" else float(value)


def widget_format(step: float, unit: str) -> str:
    """printf format showing as many decimals as the step needs (``%.0f`` for whole numbers)."""
    shown = to_widget(step, unit)
    decimals = 0 if float(shown).is_integer() else max(len(f"{shown:g}".split(".")[-1]), 1)
    return f"%.{decimals}f"
