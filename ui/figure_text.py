"""Headline figures written as people read them: one way for the pages, the report and the workbook.

Pure functions (no Streamlit), so a downloaded report shows exactly the text on the page.
"""

from __future__ import annotations

import math

import numpy as np

from simulation import Scenario
from simulation.model.figures import FIGURES

from . import style

HEADLINE_KPIS = (
    "revenue_final",
    "npv",
    "customer_equity",
    "active_customers_final",
    "roi",
    "clv",
    "ltv_to_cac",
    "cac_payback_periods",
    "grr",
    "nrr",
)
LOWER_IS_BETTER = {"cac", "cac_payback_periods"}


# Numbers as people read them ---------------------------------------------------------------------
PERIOD_SHORT = {"month": "mo", "quarter": "qtr", "year": "yr"}


def kpi_label(name: str, scenario: Scenario) -> str:
    """A headline figure's short label (a card holds about 15 characters); the help text gives the full name."""
    return FIGURES[name].short


def kpi_full_name(name: str, scenario: Scenario) -> str:
    """A headline figure's full name, with the period written out where it helps."""
    per, h = scenario.period, scenario.horizon
    return {
        "revenue_final": f"Revenue in {per} {h}, the last of the horizon",
        "active_customers_final": f"Customers at the end of {per} {h}, the last of the horizon",
        "cac_payback_periods": f"CAC payback, in {per}s",
    }.get(name, FIGURES[name].label)


def kpi_text(name: str, value: float | None, scenario: Scenario) -> str:
    """A headline figure written in its unit (money, ratio, periods, percent or count)."""
    if value is None or not math.isfinite(value):
        return "—"
    kind = FIGURES[name].kind
    if kind == "money":
        return style.money(value, scenario.currency)
    if kind == "ratio":
        return f"{value:.1f}×"
    if kind == "periods":
        return f"{value:.1f} {PERIOD_SHORT[scenario.period]}"
    if kind == "percent":
        # Retention rates near 100 % need a decimal; returns of several hundred per cent do not.
        return style.percent(value, 0 if abs(value) >= 2 else 1)
    return style.number(value)


def delta_text(name: str, value: float | None, scenario: Scenario) -> str | None:
    """A signed difference in the figure's unit (percentage points for percentages)."""
    if value is None or not math.isfinite(value):
        return None
    sign = "+" if value >= 0 else "-"
    kind = FIGURES[name].kind
    x = abs(value)
    if kind == "money":
        return sign + style.money(x, scenario.currency)
    if kind == "ratio":
        return f"{sign}{x:.1f}×"
    if kind == "periods":
        return f"{sign}{x:.1f}"
    if kind == "percent":
        return f"{sign}{x * 100:.1f} pts"
    return sign + (f"{x:,.0f}" if x < 1e4 else style.number(x))


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def median_or_none(values: np.ndarray) -> float | None:
    v = _finite(np.asarray(values, dtype=float))
    return float(np.median(v)) if v.size else None


def range_or_none(values: np.ndarray) -> tuple[float, float] | None:
    v = _finite(np.asarray(values, dtype=float))
    if not v.size:
        return None
    lo, hi = np.percentile(v, (5, 95))
    return float(lo), float(hi)


def verdict(p: float) -> str:
    """The plan's chance of beating the status quo in words."""
    if p >= 0.9:
        return "very likely beats"
    if p >= 0.6:
        return "probably beats"
    if p > 0.4:
        return "could go either way against"
    if p > 0.1:
        return "probably falls short of"
    return "very likely falls short of"
