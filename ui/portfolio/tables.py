"""The Portfolio page's tables as people read them: pure functions of the analysis (no Streamlit)."""

from __future__ import annotations

import pandas as pd

from simulation.portfolio.btyd import BGNBDFit
from simulation.portfolio.classify import DEFAULT_CELL_CLASS, LEVELS, RISK_BANDS
from simulation.portfolio.fit import SBGFit
from simulation.portfolio.fit_reading import degenerate
from ui.portfolio import text
from ui.shared.style import money, percent

# the nine-box as it is drawn: high contribution at the top, high potential on the right
ROW_LEVELS = tuple(reversed(LEVELS))
ROW_LABELS = [f"{lv} contribution" for lv in ROW_LEVELS]
COLUMN_LABELS = [f"{lv} potential" for lv in LEVELS]
PLAN_COLUMNS = [
    "plan",
    "strategy",
    "customers",
    "contacts_per_year",
    "channel",
    "cost_per_contact",
    "keeps",
    "budget_per_year",
]


def nine_box_grid(box: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Each nine-box cell as ``A · 182 customers · $176k``, laid out as it is drawn."""
    grid = pd.DataFrame(index=ROW_LABELS, columns=COLUMN_LABELS)
    for row in box.itertuples():
        grid.loc[f"{row.contribution} contribution", f"{row.potential} potential"] = text.cell_label(
            box.loc[row.Index, "class"], row.customers, row.prospects, row.revenue, currency
        )
    return grid


def classes_table(classes: pd.DataFrame, currency: str, period: str) -> pd.DataFrame:
    """One row per class: what it means, its customers and revenue, strategy, risk mix and budget shares."""
    return pd.DataFrame(
        {
            "class": classes["class"],
            "what it means": classes["meaning"],
            "customers": classes["customers"],
            f"revenue per {period}": [money(v, currency) for v in classes["revenue"]],
            "revenue share": [percent(v) for v in classes["revenue_share"]],
            "strategy": classes["strategy"],
            "risk low / medium / high": [
                " / ".join(percent(getattr(r, f"risk_{b}")) for b in RISK_BANDS) for r in classes.itertuples()
            ],
            "share of retention budget": [percent(v) for v in classes["share_retention"]],
            "share of expansion budget": [percent(v) for v in classes["share_expansion"]],
            "share of win-back budget": [percent(v) for v in classes["share_winback"]],
        }
    )


def fits_table(fits: dict[str, SBGFit], period: str) -> pd.DataFrame:
    """One row per fit: the data it had, its estimates and their 90 % intervals; a and b left empty, and the
    reason given in words, where they are not estimates (:func:`~simulation.portfolio.fit_reading.degenerate`)."""
    return pd.DataFrame(
        [
            {
                "fitted": name,
                "customers": f.customers,
                "lost": f.lost,
                f"longest tenure ({period}s)": f.periods,
                "alpha": None if degenerate(f) else f.alpha,
                "beta": None if degenerate(f) else f.beta,
                "churn": f.churn,
                "churn 90 % low": f.intervals["churn"][0],
                "churn 90 % high": f.intervals["churn"][1],
                "heterogeneity": f.churn_heterogeneity,
                "het. 90 % low": f.intervals["churn_heterogeneity"][0],
                "het. 90 % high": f.intervals["churn_heterogeneity"][1],
                "log-likelihood": f.log_likelihood,
                "reading": degenerate(f) or "",
            }
            for name, f in fits.items()
        ]
    )


def purchase_model_table(fit: BGNBDFit) -> pd.DataFrame:
    """The purchase and spend models' parameters, one row each, with their 90 % intervals."""
    meaning = {
        "r": f"shape of purchase rates (per {fit.period}) while alive",
        "alpha": f"scale of purchase rates ({fit.period}s)",
        "a": "chance of dropping out after a purchase ~ Beta(a, b)",
        "b": "chance of dropping out after a purchase ~ Beta(a, b)",
        "p": "shape of spend per purchase",
        "q": "shape of customers' spend levels",
        "gamma": "scale of customers' spend levels",
    }
    rows = []
    for key, what in meaning.items():
        value = getattr(fit, key)
        if value is None:
            continue
        lo, hi = fit.intervals.get(key, (float("nan"), float("nan")))
        rows.append(
            {
                "model": "BG/NBD" if key in ("r", "alpha", "a", "b") else "Gamma-Gamma",
                "parameter": key,
                "estimate": value,
                "90 % low": lo,
                "90 % high": hi,
                "meaning": what,
            }
        )
    return pd.DataFrame(rows)


def cells_frame(cell_class: dict[tuple[str, str], str]) -> pd.DataFrame:
    """The class of each nine-box cell (the defaults, then ``cell_class``), laid out as it is drawn."""
    classes = {**DEFAULT_CELL_CLASS, **cell_class}
    return pd.DataFrame(
        {label: [classes[(lv, p)] for lv in ROW_LEVELS] for p, label in zip(LEVELS, COLUMN_LABELS, strict=True)},
        index=ROW_LABELS,
    )


def cell_classes(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    """A frame laid out as :func:`cells_frame` back to ``{contribution level: {potential level: class}}``."""
    return {lv: {p: str(frame.iloc[i, j]) for j, p in enumerate(LEVELS)} for i, lv in enumerate(ROW_LEVELS)}
