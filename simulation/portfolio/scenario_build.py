"""A classified portfolio as a scenario: its classes in tenure bands, its contact plans as programmes.

Each class is split into tenure bands (:data:`BAND_YEARS`), one segment per band with customers,
so the scenario keeps the class's tenure mix rather than its median: a young customer is far more
likely to leave than an old one of the same class, and a median hides it. A band's tenure is the
one at which the class's fit gives the band's mean chance of leaving within a year, so the
scenario's first-year churn is the fits' on the customers' own tenures.

Each retention class's contact plan (A's and B's *retain*, D's *hold*) becomes a programme
(:func:`class_programmes`) covering the class's bands, so the plan is simulated programme by
programme: it costs the plan's cost per year / periods per year for every covered customer, and
multiplies their churn by 1 - ``keeps`` (the plan keeps that share of the customers who would
leave in a period). ``keeps`` is a judgement, not a measurement, so the multiplier is a
triangular range from 1 - 1.5 keeps to 1 - 0.5 keeps with its mode (and mean) at 1 - keeps: the
verdict's spread then carries the doubt about the plan's effect as well as the fits'. A plan of
no contacts costs nothing and keeps nobody, so it is no programme. A plan that costs something
and keeps nobody is a programme with its cost and a multiplier of 1, so its money is counted and
it shows as not paying.

The develop plan (C's, *develop*) stays the expansion lever's, as do the campaigns for lapsed
customers (win-back) and prospects (acquisition): the develop plan's aim is upsell, which the
scenario models as the expansion lever's response to spend (a cost per upsell up to a ceiling,
spread over the C's bands), while a programme's revenue multiplier is a fixed factor the file
says nothing about. Each plan's money is counted once: the retention plans' in the programmes,
the others' in their levers' budgets; the retention lever has no budget and the model's default
response. The status quo is today's spend on the levers (none of the campaigns); the programmes
run in it too, so each one is judged by its marginal contribution, the plan with it against the
plan without it on the same futures.
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
from .plans import ContactPlan
from .value import RETENTION, year_churn

MAX_PHI = 0.95
MAX_TENURE = 1200
BAND_YEARS = (1, 3)  # band edges in years of tenure: under a year, 1 to 3 years, 3 years and more
TODAY = Budget()  # the status quo: today's spend on the levers, none of the campaigns
KEEPS_SPREAD = 0.5  # a plan's share of leavers kept is carried from (1 - spread) to (1 + spread) times the stated one


def _safe_name(text: str, empty: str = "customers") -> str:
    """Letters, digits, spaces and ``._-`` only: a name shown as a page title stays plain text."""
    clean = re.sub(r"[^A-Za-z0-9 ._-]+", " ", text).strip()
    return re.sub(r"\s+", " ", clean)[:80] or empty


def programme_name(cls: str, channel: str) -> str:
    """``Contact plan A: account manager visit``: plain text, at most 60 characters (a programme name's limit)."""
    return f"Contact plan {cls}: {_safe_name(channel, 'contact')}"[:60].rstrip()


def churn_multiplier(keeps: float) -> float | dict:
    """The churn multiplier of a plan that keeps ``keeps`` of the customers who would leave in a period:
    1 - keeps, as a triangular range over ``keeps`` x (1 -/+ :data:`KEEPS_SPREAD`) (1 when it keeps nobody)."""
    if keeps <= 0:
        return 1.0
    return {
        "low": 1.0 - keeps * (1.0 + KEEPS_SPREAD),
        "mode": 1.0 - keeps,
        "high": 1.0 - keeps * (1.0 - KEEPS_SPREAD),
    }


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
    """The portfolio as a scenario: a segment per class and tenure band, the contact plans as its programmes.

    Each band keeps its customers, mean revenue per period, revenue-weighted gross margin, the
    class's fitted churn and heterogeneity (the fit of all customers where the class alone has
    too little data) as triangular distributions over their profile-likelihood 90 % intervals,
    and the tenure at which the fit gives the band's mean chance of leaving within a year. New
    customers join each class's youngest band, shared between classes as last year's newcomers
    were. Each retention class's contact plan is a programme over the class's bands
    (:func:`class_programmes`); the develop, win-back and acquisition plans are the expansion,
    win-back and acquisition budgets, each lever's budget going to the classes whose plans spend
    it (spread over their bands by customers). The retention budget is today's, none; the
    retention lever and the cost of acquiring a customer are the model's defaults. The status quo
    is today's spend on the levers, with the same programmes.

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
        "budget": {k: round(v, 2) for k, v in levers.items()} | {RETENTION: TODAY.retention},
        "baseline_budget": TODAY.model_dump(),
        "acquisition": {
            "max_new_per_period": float(max(math.ceil(analysis.data.new_per_period or 0.0), 1)),
            "cost_per_customer": DEFAULT_COST_MULTIPLIER * float(Retention.model_fields["cost_per_save"].default),
        },
        "segments": segments,
        "simulation": {"runs": int(runs), "seed": int(seed)},
    }
    programmes = class_programmes(analysis, segments, classes)
    if programmes:
        data["programmes"] = programmes
    for name in ("expansion", "winback"):
        by_class = {k: float(analysis.budget_shares.loc[k, name]) for k in class_names}
        if levers[name] > 0 and sum(by_class.values()) > 0:
            data[name] = {"weights": _spread(by_class, segments, classes)}
    data["description"] = _description(analysis, source_name, len(active), class_names, programmes)[:4000]
    return scenario_from_dict(data)


def class_programmes(analysis: Analysis, segments: list[dict], classes: list[str]) -> list[dict]:
    """Each retention class's contact plan as a programme over the class's bands (see the module docstring).

    A class whose plan is the retention lever's, has active customers and costs something gets
    ``{"name", "covers", "cost_per_customer", "churn_multiplier", "start": 1, "phase_in": 1}``;
    the cost per covered customer per period is the plan's cost per year / periods per year, so
    over the class's customers it is the plan's cost per period that the page shows.
    """
    out = []
    levers = dict(zip(analysis.budgets["plan"], analysis.budgets["lever"], strict=True))
    for cls in dict.fromkeys(classes):
        plan: ContactPlan = analysis.plans[cls]
        if levers.get(cls) != RETENTION or plan.cost_per_year() <= 0:
            continue
        out.append(
            {
                "name": programme_name(cls, plan.channel),
                "covers": [s["name"] for s, c in zip(segments, classes, strict=True) if c == cls],
                "cost_per_customer": plan.cost_per_year() / analysis.periods_per_year,
                "churn_multiplier": churn_multiplier(plan.keeps),
                "start": 1,
                "phase_in": 1,
            }
        )
    return out


def _description(
    analysis: Analysis, source_name: str, customers: int, classes: list[str], programmes: list[dict]
) -> str:
    fits = "; ".join(
        f"{cls}: {'own fit' if analysis.fit_for(cls).name == cls else 'fit of all customers'}" for cls in classes
    )
    plans = (
        f"The retention contact plans are programmes ({', '.join(p['name'] for p in programmes)}): each costs its "
        "plan's cost per customer and multiplies its class's churn by 1 - the share of leavers it keeps (carried "
        f"as a range from {1 - KEEPS_SPREAD:g} to {1 + KEEPS_SPREAD:g} times that share)."
        if programmes
        else "No retention contact plan costs anything, so the scenario has no programme."
    )
    return (
        f"Built from {customers:,} active customers of {_safe_name(source_name)} in classes {', '.join(classes)}, "
        "each split into tenure bands. Churn and its heterogeneity are fitted to the data (sBG, maximum likelihood; "
        f"{fits}) and carried as ranges over their {INTERVAL_LEVEL:.0%} intervals. {plans} The develop, win-back "
        "and acquisition plans are the expansion, win-back and acquisition budgets. The status quo is today's "
        "spend on the levers, none of them, with the same programmes; each programme's worth is what the plan "
        "loses without it. The retention lever and the cost of acquiring a customer are the model's defaults: "
        "review them under All assumptions."
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
