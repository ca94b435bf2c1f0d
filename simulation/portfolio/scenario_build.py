"""A classified portfolio as a scenario: its classes in tenure bands, its contact plans as the levers.

Each class is split into tenure bands (:data:`BAND_YEARS`), one segment per band with customers,
so the scenario keeps the class's tenure mix rather than its median: a young customer is far more
likely to leave than an old one of the same class, and a median hides it. A band's tenure is the
one at which the class's fit gives the band's mean chance of leaving within a year, so the
scenario's first-year churn is the fits' on the customers' own tenures. The retention plans
become the retention lever (:mod:`simulation.portfolio.value`), and the status quo is today's
spend: none of the contact plans, whose customers' history the fits already describe.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from .. import Scenario, scenario_from_dict
from ..errors import InputError
from ..model.assumptions import DEFAULT_COST_MULTIPLIER
from ..model.scenario import Budget, Retention
from .analysis import ALL, DISCOUNT_RATE, HORIZON_YEARS, Analysis
from .classify import CLASSES
from .data import PERIOD_DAYS, started_in_last_year
from .fit import INTERVAL_LEVEL, SBGFit
from .value import RETENTION, retention_lever, year_churn

MAX_PHI = 0.95
MAX_TENURE = 1200
BAND_YEARS = (1, 3)  # band edges in years of tenure: under a year, 1 to 3 years, 3 years and more
TODAY = Budget()  # the status quo: none of the contact plans' spend


def _safe_name(text: str) -> str:
    """Letters, digits, spaces and ``._-`` only: a name shown as a page title stays plain text."""
    clean = re.sub(r"[^A-Za-z0-9 ._-]+", " ", text).strip()
    return re.sub(r"\s+", " ", clean)[:80] or "customers"


def _distribution(value: float, interval: tuple[float, float], hi_limit: float) -> float | dict:
    lo, hi = interval
    lo, hi = max(0.0, min(lo, value)), min(hi_limit, max(hi, value))
    if hi - lo <= 1e-12:
        return float(value)
    return {"low": float(lo), "mode": float(min(max(value, lo), hi)), "high": float(hi)}


def _shares(weights: np.ndarray) -> list[float]:
    w = np.asarray(weights, dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(w.size, 1 / w.size)
    r = np.round(w, 6)
    r[int(np.argmax(r))] += round(1.0 - r.sum(), 6)
    return [float(x) for x in r]


def band_edges(periods_per_year: int) -> list[int]:
    """Tenure band edges in periods (the first band starts at 0; the last has no end)."""
    edges = sorted({math.ceil(y * periods_per_year) for y in BAND_YEARS} - {0})
    return [0, *edges]


def segment_class(name: str) -> str:
    """The class of a built scenario's segment (its name starts with the class)."""
    return name.split(" ", 1)[0]


def band_label(lo: int, hi: int | None, period: str) -> str:
    """``tenure 0-5 months``, ``tenure 48+ months`` (``hi`` is the band's first tenure not in it)."""
    if hi is None:
        return f"tenure {lo}+ {period}s"
    if hi - lo == 1:
        return f"tenure {lo} {period}{'s' if lo != 1 else ''}"
    return f"tenure {lo}-{hi - 1} {period}s"


def matched_tenure(fit: SBGFit, tenures: np.ndarray, periods_per_year: int) -> int:
    """The whole tenure, within the band's, whose chance of leaving within a year is nearest the band's mean."""
    target = float(year_churn(fit, tenures, periods_per_year).mean())
    candidates = np.arange(int(tenures.min()), int(tenures.max()) + 1)
    return int(candidates[np.argmin(np.abs(year_churn(fit, candidates, periods_per_year) - target))])


def tenure_segments(active: pd.DataFrame, analysis: Analysis) -> tuple[list[dict], list[str]]:
    """One segment per class and tenure band with customers (no new-customer shares yet), and each one's class."""
    edges = band_edges(analysis.periods_per_year)
    segments, classes = [], []
    for cls in CLASSES:
        rows = active[active["class"] == cls]
        if rows.empty:
            continue
        fit = analysis.fit_for(cls)
        if fit is None:
            reason = analysis.fit_messages.get(cls) or analysis.fit_messages.get(ALL, "")
            raise InputError(f"class {cls}: churn could not be fitted, so the portfolio cannot be simulated. {reason}")
        ci = fit.intervals or {"churn": (fit.churn, fit.churn), "churn_heterogeneity": (fit.churn_heterogeneity,) * 2}
        churn = _distribution(fit.churn, ci["churn"], 0.999)
        phi = _distribution(min(fit.churn_heterogeneity, MAX_PHI), ci["churn_heterogeneity"], MAX_PHI)
        tenure = rows["tenure"].to_numpy(dtype=float)
        band = np.searchsorted(edges, tenure, side="right") - 1
        for b, lo in enumerate(edges):
            part = rows[band == b]
            if part.empty:
                continue
            hi = edges[b + 1] if b + 1 < len(edges) else None
            revenue = part["revenue"].to_numpy(dtype=float)
            margin = part["margin_used"].to_numpy(dtype=float)
            gm = float((revenue * margin).sum() / revenue.sum()) if revenue.sum() > 0 else float(margin.mean())
            own = part["tenure"].to_numpy(dtype=float)
            segments.append(
                {
                    "name": f"{cls} {band_label(lo, hi, analysis.period)}",
                    "customers": len(part),
                    "revenue_per_customer": float(revenue.mean()),
                    "gross_margin": float(min(max(gm, 0.0), 1.0)),
                    "churn": churn,
                    "churn_heterogeneity": phi,
                    "tenure": int(min(matched_tenure(fit, own, analysis.periods_per_year), MAX_TENURE)),
                    "upsell_rate": 0.0,
                }
            )
            classes.append(cls)
    if not segments:
        raise InputError("no active customers in any class: there is nothing to simulate.")
    return segments, classes


def _spread(by_class: dict[str, float], segments: list[dict], classes: list[str]) -> dict[str, float]:
    """Class weights spread over the class's bands in proportion to their customers."""
    counts = {cls: sum(s["customers"] for s, c in zip(segments, classes, strict=True) if c == cls) for cls in by_class}
    return {
        s["name"]: round(by_class.get(c, 0.0) * s["customers"] / counts[c], 9) if counts.get(c) else 0.0
        for s, c in zip(segments, classes, strict=True)
    }


def build_scenario(
    analysis: Analysis,
    *,
    source_name: str = "your customers",
    currency: str = "USD",
    horizon_years: int = HORIZON_YEARS,
    runs: int = 1000,
    seed: int = 42,
) -> Scenario:
    """The portfolio as a scenario: a segment per class and tenure band, the contact plans as its levers.

    Each band keeps its customers, mean revenue per period, revenue-weighted gross margin, the
    class's fitted churn and heterogeneity (the fit of all customers where the class alone has
    too little data) as triangular distributions over their profile-likelihood 90 % intervals,
    and the tenure at which the fit gives the band's mean chance of leaving within a year. New
    customers join each class's youngest band, shared between classes as last year's newcomers
    were. The budget per lever is what the contact plans cost per period; each lever's budget
    goes to the classes whose plans spend it (spread over their bands by customers). The
    retention lever's cost per save and ceiling are the retention plans' (see
    :func:`scenario_lever`); the cost of acquiring a customer is the
    model's default. The status quo is today's spend: none of the contact plans.

    Raises
    ------
    InputError
        When no class has active customers, or churn could not be fitted for any of them.
    """
    c = analysis.customers
    ppy = analysis.periods_per_year
    active = c[c["status"] == "active"]
    segments, classes = tenure_segments(active, analysis)
    newcomers = {}
    for cls in dict.fromkeys(classes):
        members = c[(c["class"] == cls) & (c["status"] != "prospect")]
        newcomers[cls] = started_in_last_year(members["start"], analysis.data.as_of) if analysis.data.as_of else 0
    class_names = list(newcomers)
    weights = np.array([newcomers[k] for k in class_names], dtype=float)
    if weights.sum() <= 0:
        weights = np.array([(active["class"] == k).sum() for k in class_names], dtype=float)
    class_share = dict(zip(class_names, _shares(weights), strict=True))
    youngest = {cls: classes.index(cls) for cls in class_names}
    for i, (seg, cls) in enumerate(zip(segments, classes, strict=True)):
        seg["new_customer_share"] = class_share[cls] if youngest[cls] == i else 0.0

    levers = analysis.levers
    data = {
        "name": f"Portfolio: {_safe_name(source_name)}",
        "period": analysis.period,
        "horizon": int(horizon_years * ppy),
        "discount_rate": DISCOUNT_RATE,
        "currency": currency,
        "budget": {k: round(v, 2) for k, v in levers.items()},
        "baseline_budget": TODAY.model_dump(),
        "acquisition": {
            "max_new_per_period": float(max(math.ceil(analysis.data.new_per_period or 0.0), 1)),
            "cost_per_customer": DEFAULT_COST_MULTIPLIER * float(Retention.model_fields["cost_per_save"].default),
        },
        "segments": segments,
        "simulation": {"runs": int(runs), "seed": int(seed)},
    }
    lever = scenario_lever(analysis, segments, classes)
    if lever is not None and lever.cost_per_save is not None:
        data["retention"] = {
            "cost_per_save": round(lever.cost_per_save, 6),
            "max_churn_reduction": round(lever.max_churn_reduction, 6),
            "weights": {s["name"]: round(w, 9) for s, w in zip(segments, lever.weights, strict=True)},
        }
    for name in ("expansion", "winback"):
        by_class = {k: float(analysis.budget_shares.loc[k, name]) for k in class_names}
        if levers[name] > 0 and sum(by_class.values()) > 0:
            data[name] = {"weights": _spread(by_class, segments, classes)}
    data["description"] = _description(analysis, source_name, len(active), class_names, lever)[:4000]
    return scenario_from_dict(data)


def scenario_lever(analysis: Analysis, segments: list[dict], classes: list[str]):
    """The retention plans' lever over the scenario's segments (None without pricing).

    A segment keeps its class's share of leavers when the class's retention plan costs something
    (0 otherwise) and expects ``customers x a / (a + b + tenure)`` churners next period at its tenure.
    """
    if analysis.pricing is None:
        return None
    spending = {
        r["class"]: r["keeps"]
        for r in analysis.pricing.to_dict("records")
        if r["lever"] == RETENTION and r["cost_per_period"] > 0
    }
    spend = sum(r["cost_per_period"] for r in analysis.pricing.to_dict("records") if r["class"] in spending)
    keeps = [spending.get(c, 0.0) for c in classes]
    churners = [
        s["customers"] * float(analysis.fit_for(c).risk(s["tenure"])) for s, c in zip(segments, classes, strict=True)
    ]
    return retention_lever(spend, keeps, churners)


def _description(analysis: Analysis, source_name: str, customers: int, classes: list[str], lever) -> str:
    fits = "; ".join(
        f"{cls}: {'own fit' if analysis.fit_for(cls).name == cls else 'fit of all customers'}" for cls in classes
    )
    retention = (
        "The retention lever is the retention plans': the cost of the first save and the ceiling at which their "
        "spend keeps the customers they are expected to keep."
        if lever is not None and lever.cost_per_save is not None
        else "No retention plan keeps anyone, so the retention lever is the model's default."
    )
    return (
        f"Built from {customers:,} active customers of {_safe_name(source_name)} in classes {', '.join(classes)}, "
        "each split into tenure bands. Churn and its heterogeneity are fitted to the data (sBG, maximum likelihood; "
        f"{fits}) and carried as ranges over their {INTERVAL_LEVEL:.0%} intervals. The budget is what the contact "
        f"plans cost per period; the status quo is today's spend, without them. {retention} The cost of acquiring a "
        "customer is the model's default: review it under All assumptions."
    )


def last_year(analysis: Analysis) -> pd.DataFrame | None:
    """The customers active a year before the as-of date, as they were then, and whether they have left since.

    Their rows with ``tenure`` set back a year (for those who left, to a year before they left at
    most) and a column ``left``; None when the data have no start dates to place customers a year back.
    """
    as_of = analysis.data.as_of
    c = analysis.customers
    if as_of is None or c["start"].isna().all():
        return None
    year_ago = as_of - pd.Timedelta(days=365.25)
    status = c["status"].to_numpy()
    lapsed = status == "lapsed"
    after = (c["end"] > year_ago).to_numpy()
    was_active = (c["start"] <= year_ago).to_numpy() & ((status == "active") | (lapsed & after))
    rows = c[was_active].copy()
    tenure = rows["tenure"].to_numpy(dtype=float)
    gone = rows["status"].to_numpy() == "lapsed"
    since = (rows["end"] - year_ago).dt.days.to_numpy(dtype=float) / PERIOD_DAYS[analysis.period]
    then = np.where(
        gone, np.minimum(tenure - 1, tenure - np.ceil(np.nan_to_num(since))), tenure - analysis.periods_per_year
    )
    rows["tenure"] = np.maximum(then, 0).astype(np.int64)
    rows["status"] = "active"
    rows["left"] = gone
    return rows


def churn_check(analysis: Analysis, *, runs: int = 1000, seed: int = 42) -> pd.DataFrame | None:
    """Observed against simulated churn over the last year, per class and for all classes.

    The customers active a year before the as-of date are built into a scenario as
    :func:`build_scenario` builds today's (tenure bands, the class fits), simulated for a year at
    today's spend, and each class's share who left compared with the share observed to leave and
    with the fits' mean over the customers' own tenures. Columns ``class, customers, left,
    observed, expected, simulated, low, high`` (``low``/``high``: the simulated 5th and 95th
    percentiles); None without dates a year back or with fewer than one customer then.
    """
    from ..engines.runner import simulate

    rows = last_year(analysis)
    if rows is None or rows.empty:
        return None
    ppy = analysis.periods_per_year
    segments, classes = tenure_segments(rows, analysis)
    scenario = scenario_from_dict(
        {
            "name": "Last year",
            "period": analysis.period,
            "horizon": ppy,
            "discount_rate": DISCOUNT_RATE,
            "budget": TODAY.model_dump(),
            "segments": segments,
            "simulation": {"runs": int(runs), "seed": int(seed)},
        }
    )
    result = simulate(scenario, runs=runs, seed=seed)
    active = result.active_by_segment  # (runs, horizon + 1, segments)
    out = []
    for cls in [*dict.fromkeys(classes), ALL]:
        cols = [i for i, c in enumerate(classes) if cls in (c, ALL)]
        part = rows if cls == ALL else rows[rows["class"] == cls]
        start = active[:, 0, cols].sum(axis=1)
        share = (start - active[:, -1, cols].sum(axis=1)) / start
        expected = np.concatenate(
            [year_churn(analysis.fit_for(k), part.loc[part["class"] == k, "tenure"], ppy) for k in set(part["class"])]
        )
        out.append(
            {
                "class": cls,
                "customers": len(part),
                "left": int(part["left"].sum()),
                "observed": float(part["left"].mean()),
                "expected": float(expected.mean()),
                "simulated": float(np.median(share)),
                "low": float(np.percentile(share, 5)),
                "high": float(np.percentile(share, 95)),
            }
        )
    return pd.DataFrame(out)
