"""Headline figures written as people read them: one way for the pages, the report and the workbook.

Pure functions (no Streamlit), so a downloaded report shows exactly the text on the page.
"""

from __future__ import annotations

import math
import re

import numpy as np

from simulation import Scenario
from simulation.model.figures import FIGURES
from ui.shared import style

# The figures a board reads first; the operating figure joins them when the model provides it.
PRIMARY_KPIS = ("npv", "operating_npv", "revenue_final", "active_customers_final")
MORE_KPIS = (
    "operating_margin_final_year",
    "customer_equity",
    "roi",
    "clv",
    "ltv_to_cac",
    "cac_payback_periods",
    "grr",
    "nrr",
)


def available(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The figures of ``keys`` the model's registry has (operating figures only where the model has them)."""
    return tuple(k for k in keys if k in FIGURES)


HEADLINE_KPIS = available(PRIMARY_KPIS) + available(MORE_KPIS)
# The figures a comparison of scenarios shows, on the Compare page and in its report.
COMPARE_KPIS = (
    "revenue_final",
    "revenue_total",
    "npv",
    "customer_equity",
    "active_customers_final",
    "clv",
    "ltv_to_cac",
    "cac_payback_periods",
    "grr",
    "nrr",
)
LOWER_IS_BETTER = frozenset(key for key, figure in FIGURES.items() if not figure.higher_is_better)


PERIOD_SHORT = {"month": "mo", "quarter": "qtr", "year": "yr"}


def kpi_label(name: str, scenario: Scenario) -> str:
    """A headline figure's short label for ``scenario`` (a card holds about 15 characters), from the registry."""
    return FIGURES[name].short_for(scenario)


def kpi_full_name(name: str, scenario: Scenario) -> str:
    """A headline figure's full name for ``scenario``, from the registry."""
    return FIGURES[name].label_for(scenario)


def kpi_text(name: str, value: float | None, scenario: Scenario, percent_digits: int | None = None) -> str:
    """A headline figure written in its unit (money, ratio, periods, percent or count)."""
    if value is None or not math.isfinite(value):
        return "—"
    kind = FIGURES[name].kind
    if kind == "money":
        return style.money(value, scenario.currency)
    if kind == "ratio":
        return style.multiple(value)
    if kind == "periods":
        return f"{value:.1f} {PERIOD_SHORT[scenario.period]}"
    if kind == "percent":
        digits = style.percent_digits(value) if percent_digits is None else percent_digits
        return style.percent(value, digits)
    return style.number(value)


def kpi_range_text(name: str, band: tuple[float, float], scenario: Scenario) -> str:
    """A figure's 90 % range, both ends written alike: ``190 % – 275 %``, not ``192.2 % – 275 %``."""
    digits = style.percent_digits(*band)
    return f"{kpi_text(name, band[0], scenario, digits)} – {kpi_text(name, band[1], scenario, digits)}"


def delta_text(name: str, value: float | None, scenario: Scenario) -> str | None:
    """A signed difference in the figure's unit (percentage points for percentages).

    A difference that rounds to zero as shown has no sign (``0.0×``, not ``+0.0×``).
    """
    if value is None or not math.isfinite(value):
        return None
    sign = "+" if value >= 0 else "-"
    kind = FIGURES[name].kind
    x = abs(value)
    if kind == "money":
        text = style.money(x, scenario.currency)
    elif kind == "ratio":
        text = style.multiple(x)
    elif kind == "periods":
        text = f"{x:.1f}"
    elif kind == "percent":
        text = f"{x * 100:.1f} pts"
    else:
        text = style.number(x)
    return text if shows_zero(text) else sign + text


def shows_zero(text: str | None) -> bool:
    """Whether a figure as shown is zero (no digit other than 0): such a change gets no arrow and no colour."""
    return text is not None and not re.search(r"[1-9]", text)


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


def figure_cell(name: str, values: np.ndarray, scenario: Scenario) -> str:
    """A table cell: ``median  (low – high)``, the 90 % range written alike at both ends."""
    mid, band = median_or_none(values), range_or_none(values)
    if mid is None:
        return "—"
    return f"{kpi_text(name, mid, scenario)}  ({kpi_range_text(name, band, scenario)})"


def beats_text(p: float | None, gain_median: float | None, band, runs: int, delta) -> str:
    """The plan against the status quo: the chance it earns more, the median change and its 90 % range."""
    if p is None:
        return (
            "**The plan's budget is the status quo's.** Move the split or the total budget to see what a "
            "change would do."
        )
    return (
        f"#### The plan {verdict(p)} the status quo\n"
        f"It earns more (by NPV) in **{style.percent(p, 0)}** of {runs:,} simulated futures. "
        f"Median change in NPV **{delta(gain_median)}**; in 90 % of futures between "
        f"{delta(band[0])} and {delta(band[1])}."
    )


# Help that says what a figure means for the decision ------------------------------------------
DECISION_HELP = {
    "npv": "The plan's value today: the split with the higher NPV creates more value. Compare it with the "
    "status quo's (the arrow) before its size.",
    "operating_npv": "Value after the running costs too: the figure to show a finance team. If it is negative "
    "while NPV of contribution is positive, the marketing pays but the business as a whole does not yet.",
    "revenue_final": "Where the revenue run-rate ends: a plan can raise NPV while ending smaller (it harvests "
    "the base), or the other way round.",
    "active_customers_final": "The base you hand over at the horizon; more customers mean more value after it.",
    "customer_equity": "NPV plus the value of the customers left at the horizon: use it when the business "
    "continues after the horizon.",
    "roi": "What each unit of marketing spend returns; a plan can have a lower ROI and still a higher NPV.",
    "clv": "What a new customer is worth: compare it with the cost of winning one.",
    "ltv_to_cac": "Whether new customers pay for themselves; below 1 acquisition destroys value.",
    "cac_payback_periods": "How long a new customer takes to repay what it cost: cash tied up in growth.",
    "grr": "How much revenue the current base keeps without expansion: the retention programme's effect.",
    "nrr": "Revenue kept from the current base with expansion: above 100 % the base grows on its own.",
}


def decision_help(key: str) -> str:
    return DECISION_HELP.get(key, "")
