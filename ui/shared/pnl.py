"""The plan year by year: revenue, gross profit, marketing spend and contribution per year of the horizon.

Built from the per-run period paths of a simulation result, so each year's 90 % range is a
range of that year's totals across futures (percentiles of periods cannot be added up).
The page reads the finished table through :func:`ui.cache.year_by_year`; when the engine
offers its own per-year profit and loss, only :func:`year_table`'s caller in ``ui/cache.py``
changes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ui.shared import style

PNL_LINES = (
    ("revenue", "Revenue"),
    ("gross_profit", "Gross profit"),
    ("spend", "Marketing spend"),
    ("contribution", "Contribution"),
)
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


def year_totals(path: np.ndarray, period: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Per-run totals of a flow over each year: ``(runs, years)`` and each year's first and last period.

    ``path`` is ``(runs, horizon + 1)`` with period 0 (the start, no flow) first; a last,
    shorter year holds the periods left.
    """
    step = PERIODS_PER_YEAR[period]
    horizon = path.shape[1] - 1
    spans = [(first, min(first + step - 1, horizon)) for first in range(1, horizon + 1, step)]
    totals = np.stack([path[:, a : b + 1].sum(axis=1) for a, b in spans], axis=1)
    return totals, spans


def year_table(paths: Mapping[str, np.ndarray], period: str) -> pd.DataFrame:
    """Long table ``year, first, last, line, mean, p5, p95``: each P&L line's yearly total across futures."""
    rows = []
    for key, line in PNL_LINES:
        totals, spans = year_totals(np.asarray(paths[key], dtype=float), period)
        p5, p95 = np.percentile(totals, (5, 95), axis=0)
        for j, (a, b) in enumerate(spans):
            rows.append(
                {"year": j + 1, "first": a, "last": b, "line": line, "mean": float(totals[:, j].mean()),
                 "p5": float(p5[j]), "p95": float(p95[j])}
            )  # fmt: skip
    return pd.DataFrame(rows)


def year_label(year: int, first: int, last: int, period: str) -> str:
    """``Year 1``, or ``Year 5 (months 49–54)`` for a short last year."""
    step = PERIODS_PER_YEAR[period]
    if last - first + 1 == step:
        return f"Year {year}"
    span = f"{period} {first}" if first == last else f"{period}s {first}–{last}"
    return f"Year {year} ({span})"


def display_table(table: pd.DataFrame, currency: str, period: str) -> pd.DataFrame:
    """One row per year, one column per P&L line: the average and, under it, the 90 % range, as text."""
    out = {}
    for (year, first, last), rows in table.groupby(["year", "first", "last"], sort=True):
        label = year_label(int(year), int(first), int(last), period)
        cells = {}
        for _, r in rows.iterrows():
            cells[r["line"]] = (
                f"{style.money(r['mean'], currency)} "
                f"({style.money(r['p5'], currency)} to {style.money(r['p95'], currency)})"
            )
        out[label] = cells
    frame = pd.DataFrame.from_dict(out, orient="index")[[line for _, line in PNL_LINES]]
    frame.index.name = "Year"
    return frame.reset_index()
