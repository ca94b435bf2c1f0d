"""Classes by value and potential (nine-box, A/B/C/D), risk, lapsed customers and concentration."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

LEVELS = ("low", "medium", "high")
CLASSES = ("A", "B", "C", "D")
CLASS_MEANING = {
    "A": "high contribution, high potential",
    "B": "high contribution, lower potential",
    "C": "low contribution, high potential",
    "D": "low contribution, low potential",
}
# (contribution level, potential level) -> class. Medium contributors with little room to grow
# are kept like B's; medium ones with high potential are developed like C's.
DEFAULT_CELL_CLASS: dict[tuple[str, str], str] = {
    ("high", "high"): "A",
    ("high", "medium"): "A",
    ("high", "low"): "B",
    ("medium", "high"): "C",
    ("medium", "medium"): "B",
    ("medium", "low"): "B",
    ("low", "high"): "C",
    ("low", "medium"): "D",
    ("low", "low"): "D",
}
STRATEGY_OF_CLASS = {"A": "retain", "B": "retain", "C": "develop", "D": "hold"}
NO_ACTION = "no action"
RISK_BANDS = ("low", "medium", "high")


def cell_name(contribution_level: str, potential_level: str) -> str:
    return f"{contribution_level} contribution · {potential_level} potential"


@dataclass(frozen=True)
class Thresholds:
    """Money cuts between low / medium / high, per period, and the risk bands.

    ``contribution`` and ``potential`` are ``(low_to_medium, medium_to_high)``; a value at
    a cut belongs to the upper level. ``winback_min_value``: a lapsed customer whose past
    contribution per period reaches it is worth winning back. ``risk``: churn probability
    next period between the low / medium / high risk bands.
    """

    contribution: tuple[float, float]
    potential: tuple[float, float]
    winback_min_value: float
    risk: tuple[float, float] | None = None

    def __post_init__(self):
        for name in ("contribution", "potential", "risk"):
            cuts = getattr(self, name)
            if cuts is None:
                continue
            lo, hi = cuts
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi < lo:
                raise InputError(
                    f"{name} thresholds must be two numbers, 0 or more, the first not above the second; "
                    f"got {lo:g} and {hi:g}"
                )
        if not math.isfinite(self.winback_min_value) or self.winback_min_value < 0:
            raise InputError(f"the win-back threshold must be a number, 0 or more; got {self.winback_min_value:g}")


def _nice(x: float) -> float:
    """Round to two significant figures, so default thresholds read as round amounts."""
    if not math.isfinite(x) or x <= 0:
        return 0.0
    return float(f"{x:.2g}")


def default_thresholds(customers: pd.DataFrame) -> Thresholds:
    """Terciles of active customers' contribution and of known potential (customers and prospects)."""
    active = customers[customers["status"] == "active"]
    contribution = active["contribution"].to_numpy()
    if contribution.size == 0:
        contribution = customers["contribution"].to_numpy()
    c_lo, c_hi = np.quantile(contribution, [1 / 3, 2 / 3]) if contribution.size else (0.0, 0.0)
    pot = customers.loc[customers["status"] != "lapsed", "potential"].to_numpy()
    pot = pot[np.isfinite(pot)]
    p_lo, p_hi = np.quantile(pot, [1 / 3, 2 / 3]) if pot.size else (c_lo, c_hi)
    c_lo, c_hi = _nice(c_lo), _nice(c_hi)
    p_lo, p_hi = _nice(p_lo), _nice(p_hi)
    return Thresholds(
        contribution=(c_lo, max(c_hi, c_lo)), potential=(p_lo, max(p_hi, p_lo)), winback_min_value=max(c_hi, c_lo)
    )


def level(values: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """``low`` below the first cut, ``high`` at or above the second, ``medium`` between."""
    idx = np.searchsorted(np.asarray(cuts, dtype=float), np.nan_to_num(values, nan=0.0), side="right")
    return np.asarray(LEVELS, dtype=object)[idx]


def estimate_potential(customers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    """Potential per period where the data give none, and how it was estimated.

    From a transaction log: the customer's mean spend per purchase times the purchase frequency
    of the upper quartile of active customers (what they would bring buying as often as the
    frequent buyers do). From a customer table: the revenue per period of the upper quartile of
    active customers in the same segment. Never below the customer's own revenue.

    Returns the potential, a mask of the estimated values, and a sentence for the page.
    """
    given = customers["potential"].to_numpy(dtype=float)
    missing = ~np.isfinite(given)
    if not missing.any():
        return given, missing, "Potential is the file's own column."
    revenue = customers["revenue"].to_numpy(dtype=float)
    active = (customers["status"] == "active").to_numpy()
    basket = customers["spend_per_purchase"].to_numpy(dtype=float)
    if np.isfinite(basket).any():
        freq = customers["purchases_per_period"].to_numpy(dtype=float)
        pool = freq[active & np.isfinite(freq)]
        upper = float(np.quantile(pool, 0.75)) if pool.size else float(np.nanmax(freq))
        estimate = np.maximum(revenue, np.nan_to_num(basket) * upper)
        text = (
            f"Potential is estimated from the log: each customer's mean spend per purchase times the purchase "
            f"frequency of the upper quartile of active customers ({upper:.2f} purchases per period), or their "
            "own revenue if higher."
        )
    else:
        overall = float(np.quantile(revenue[active], 0.75)) if active.any() else 0.0
        by_segment = customers[active].groupby("segment")["revenue"].quantile(0.75)
        upper = customers["segment"].map(by_segment).fillna(overall).to_numpy(dtype=float)
        estimate = np.maximum(revenue, upper)
        text = (
            "Potential is estimated where the file gives none: the revenue per period of the upper quartile of "
            "active customers in the same segment, or the customer's own revenue if higher."
        )
    return np.where(missing, estimate, given), missing, text


def classify(customers: pd.DataFrame, thresholds: Thresholds, cell_class: dict | None = None) -> pd.DataFrame:
    """Add nine-box levels, cell, class and strategy to customer rows (with ``contribution`` and ``potential``).

    Active customers get their class's strategy; prospects ``acquire`` when their potential is
    high; lapsed customers ``win back`` when their past contribution reaches the threshold;
    everyone else ``no action``.
    """
    mapping = dict(DEFAULT_CELL_CLASS)
    if cell_class:
        for key, cls in cell_class.items():
            if tuple(key) not in DEFAULT_CELL_CLASS:
                raise InputError(f"unknown nine-box cell {key!r}; cells are (contribution, potential) levels {LEVELS}")
            if cls not in CLASSES:
                raise InputError(f"cell {cell_name(*key)}: class must be one of {', '.join(CLASSES)}; got {cls!r}")
            mapping[tuple(key)] = cls
    out = customers.copy()
    contribution = out["contribution"].to_numpy(dtype=float)
    potential = out["potential"].to_numpy(dtype=float)
    c_level = level(contribution, thresholds.contribution)
    p_level = level(potential, thresholds.potential)
    out["contribution_level"] = c_level
    out["potential_level"] = p_level
    ci = np.searchsorted(np.asarray(thresholds.contribution, dtype=float), np.nan_to_num(contribution), side="right")
    pi = np.searchsorted(np.asarray(thresholds.potential, dtype=float), np.nan_to_num(potential), side="right")
    cells = np.array([[cell_name(c, p) for p in LEVELS] for c in LEVELS], dtype=object)
    classes = np.array([[mapping[(c, p)] for p in LEVELS] for c in LEVELS], dtype=object)
    out["cell"] = cells[ci, pi]
    out["class"] = classes[ci, pi]
    status = out["status"].to_numpy()
    strategy = out["class"].map(STRATEGY_OF_CLASS).to_numpy(dtype=object)
    strategy = np.where(status == "prospect", np.where(p_level == "high", "acquire", NO_ACTION), strategy)
    worth = out["contribution"].to_numpy(dtype=float) >= thresholds.winback_min_value
    strategy = np.where(status == "lapsed", np.where(worth, "win back", NO_ACTION), strategy)
    out["strategy"] = strategy
    return out


def risk_bands(risk: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """``low`` / ``medium`` / ``high`` churn risk; empty where the risk is unknown."""
    band = np.asarray(RISK_BANDS, dtype=object)[np.searchsorted(np.asarray(cuts), np.nan_to_num(risk), side="right")]
    return np.where(np.isfinite(risk), band, "")


def default_risk_cuts(risk: np.ndarray) -> tuple[float, float]:
    """Half and one and a half times the mean risk of the customers (rounded)."""
    r = risk[np.isfinite(risk)]
    mean = float(r.mean()) if r.size else 0.0
    return (_nice(0.5 * mean), _nice(1.5 * mean))


def concentration(revenue: np.ndarray) -> dict[str, float]:
    """Share of revenue held by the top 10 % and top 20 % of customers (by revenue), and the customers counted."""
    r = np.sort(np.asarray(revenue, dtype=float))[::-1]
    total = r.sum()
    out = {"customers": int(r.size)}
    for share in (0.1, 0.2):
        k = max(1, math.ceil(share * r.size)) if r.size else 0
        out[f"top_{round(share * 100)}"] = float(r[:k].sum() / total) if total > 0 else float("nan")
    return out


def nine_box(classified: pd.DataFrame, cell_class: dict | None = None) -> pd.DataFrame:
    """Per nine-box cell: active customers, prospects, revenue per period and its share, and the cell's class."""
    mapping = {**DEFAULT_CELL_CLASS, **(cell_class or {})}
    rows = []
    active = classified[classified["status"] == "active"]
    prospects = classified[classified["status"] == "prospect"]
    total = active["revenue"].sum()
    for c in reversed(LEVELS):
        for p in LEVELS:
            a = active[(active["contribution_level"] == c) & (active["potential_level"] == p)]
            pr = prospects[(prospects["contribution_level"] == c) & (prospects["potential_level"] == p)]
            rows.append(
                {
                    "contribution": c,
                    "potential": p,
                    "class": mapping[(c, p)],
                    "customers": len(a),
                    "prospects": len(pr),
                    "revenue": float(a["revenue"].sum()),
                    "revenue_share": float(a["revenue"].sum() / total) if total > 0 else 0.0,
                }
            )
    return pd.DataFrame(rows)


def summarise_classes(classified: pd.DataFrame) -> pd.DataFrame:
    """Per class A-D: active customers, revenue and contribution per period, revenue share, potential,
    median tenure, risk mix, lapsed and prospects in the class, and the class's strategy."""
    active = classified[classified["status"] == "active"]
    total = active["revenue"].sum()
    rows = []
    for cls in CLASSES:
        a = active[active["class"] == cls]
        bands = a["risk_band"] if "risk_band" in a else pd.Series(dtype=object)
        known = bands[bands != ""]
        rows.append(
            {
                "class": cls,
                "meaning": CLASS_MEANING[cls],
                "customers": len(a),
                "revenue": float(a["revenue"].sum()),
                "revenue_share": float(a["revenue"].sum() / total) if total > 0 else 0.0,
                "contribution": float(a["contribution"].sum()),
                "potential": float(a["potential"].sum()),
                "median_tenure": float(a["tenure"].median()) if len(a) else float("nan"),
                "risk_low": float((known == "low").mean()) if len(known) else float("nan"),
                "risk_medium": float((known == "medium").mean()) if len(known) else float("nan"),
                "risk_high": float((known == "high").mean()) if len(known) else float("nan"),
                "lapsed": int(((classified["status"] == "lapsed") & (classified["class"] == cls)).sum()),
                "prospects": int(((classified["status"] == "prospect") & (classified["class"] == cls)).sum()),
                "strategy": STRATEGY_OF_CLASS[cls],
            }
        )
    return pd.DataFrame(rows)
