"""Acting on a portfolio: who to contact, why, when; the year's contacts per class; lapsed customers to win back.

- :func:`action_list`: one row per customer or prospect with the file's id, name and owner,
  class, strategy, why (a sentence from the customer's own figures), the next contact and its
  date under the contact plan they fall under (:func:`~simulation.portfolio.plans.plan_targets`).
- :func:`contact_calendar`: the contacts and their cost per month for the twelve months of the
  plan year, per contact plan.
- :func:`winback_list`: lapsed customers worth winning back whose last period was at most a
  number of months before the data's date, most valuable first.

**Dates.** The plan year starts on the first day of the month after the data's date (as the
key-account plans do). A plan of n contacts a year contacts each customer every 365.25 / n
days; the customers under one plan are spread over the first of those intervals in order of
priority, so the first contacts go to who matters most (retain and hold: value at risk,
contribution x risk; develop: room to grow, potential - contribution; win back: past
contribution; acquire: potential) and the team's load is even.

Numbers in sentences are formatted by the functions passed in (the page passes
:mod:`ui.shared.style`'s; the command line plain ones), so the same rows read the same way
wherever they are shown.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..io.cells import safe_frame, to_csv
from .analysis import RISK_SOURCE_BGNBD
from .plans import plan_targets

ACTION_COLUMNS = (
    "customer_id",
    "name",
    "owner",
    "class",
    "status",
    "strategy",
    "why",
    "next_action",
    "next_date",
    "contacts_per_year",
    "channel",
)
CALENDAR_MONTHS = 12
NO_CONTACT = "no contact planned"
YEAR_DAYS = 365.25


def plain_money(value: float) -> str:
    """Whole amounts with thousands separators, for files read outside the app: ``12,300``."""
    return f"{value:,.0f}"


def plain_percent(value: float) -> str:
    """A share as a percentage to one decimal: ``12.5 %``."""
    return f"{100 * value:.1f} %"


def plan_start(as_of: pd.Timestamp | None) -> pd.Timestamp:
    """The first day of the month after ``as_of`` (after today when the data has no date)."""
    base = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    return (base + pd.offsets.MonthBegin(1)).normalize()


def priority(customers: pd.DataFrame) -> np.ndarray:
    """How much each customer's contact matters, by their strategy (higher first; see the module's description)."""
    contribution = np.nan_to_num(customers["contribution"].to_numpy(dtype=float))
    potential = np.nan_to_num(customers["potential"].to_numpy(dtype=float))
    risk = np.nan_to_num(customers["risk"].to_numpy(dtype=float)) if "risk" in customers else 0.0
    strategy = customers["strategy"].to_numpy()
    return np.select(
        [strategy == "develop", strategy == "win back", strategy == "acquire"],
        [potential - contribution, contribution, potential],
        contribution * risk,
    )


def _first_offsets(groups: pd.Series, weight: np.ndarray, interval_days: pd.Series) -> np.ndarray:
    """Days from the plan's start to each customer's first contact: their group spread over its first interval."""
    frame = pd.DataFrame({"g": groups.to_numpy(), "w": -weight, "i": np.arange(len(groups))})
    frame = frame.sort_values(["g", "w", "i"], kind="stable")
    rank = frame.groupby("g").cumcount().to_numpy()
    size = frame.groupby("g")["i"].transform("size").to_numpy()
    days = np.floor(rank * interval_days.to_numpy()[frame["i"].to_numpy()] / size)
    out = np.zeros(len(groups))
    out[frame["i"].to_numpy()] = days
    return out


def _formatted(values: np.ndarray, fmt: Callable[[float], str], missing: str) -> np.ndarray:
    """``fmt`` of each value (each distinct value formatted once), ``missing`` where it is not a number."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    out = np.full(values.shape, missing, dtype=object)
    distinct, where = np.unique(values[finite], return_inverse=True)
    out[finite] = np.array([fmt(float(v)) for v in distinct], dtype=object)[where] if distinct.size else []
    return out


def why_sentences(
    customers: pd.DataFrame,
    period: str,
    money: Callable[[float], str],
    percent: Callable[[float], str],
    winback_min: float,
) -> np.ndarray:
    """Why each customer gets their strategy, in a sentence made of their own figures.

    Active: contribution and its level, potential and its level, and the chance of leaving next
    period (for a transaction log: of having lapsed already) with its band. Lapsed: how long they
    stayed and their past contribution against the win-back threshold. Prospect: their potential.
    """
    c = customers
    n = len(c)

    def col(name: str) -> np.ndarray:
        return c[name].to_numpy(dtype=object) if name in c else np.full(n, "", dtype=object)

    contribution = _formatted(c["contribution"].to_numpy(dtype=float), money, "nothing")
    potential = _formatted(c["potential"].to_numpy(dtype=float), money, "unknown")
    risk_values = c["risk"].to_numpy(dtype=float) if "risk" in c else np.full(n, np.nan)
    event = np.where(col("risk_source") == RISK_SOURCE_BGNBD, "having lapsed already", f"leaving next {period}")
    risk = np.where(
        np.isfinite(risk_values),
        "; a " + _formatted(risk_values, percent, "") + " chance of " + event + " (" + col("risk_band") + " risk)",
        "",
    )
    active = (
        "Contributes " + contribution + f" a {period} (" + col("contribution_level") + "), potential "
        + potential + " (" + col("potential_level") + ")" + risk + "."
    )  # fmt: skip
    prospect = "Prospect with a potential of " + potential + f" a {period} (" + col("potential_level") + ")."
    worth = np.where(np.nan_to_num(c["contribution"].to_numpy(dtype=float)) >= winback_min, "at or above", "below")
    tenure = np.array([f"{t:,}" for t in c["tenure"].to_numpy(dtype=np.int64)], dtype=object)
    lapsed = (
        "Left after " + tenure + f" {period}(s), contributing " + contribution + f" a {period}, " + worth
        + f" the {money(winback_min)} worth winning back."
    )  # fmt: skip
    status = c["status"].to_numpy()
    return np.where(status == "prospect", prospect, np.where(status == "lapsed", lapsed, active))


def action_list(
    analysis,
    *,
    money: Callable[[float], str] = plain_money,
    percent: Callable[[float], str] = plain_percent,
) -> pd.DataFrame:
    """One row per customer or prospect: who, class, strategy, why, and the next contact with its date.

    Parameters
    ----------
    analysis : Analysis
        The portfolio's analysis (:func:`~simulation.portfolio.analysis.analyse`).
    money, percent : callable
        How amounts and shares are written in the ``why`` sentences.

    Returns
    -------
    DataFrame
        The columns of :data:`ACTION_COLUMNS`, most important first: customers under a plan by
        the date of their next contact, then those with none planned. ``next_date`` is a date
        (``YYYY-MM-DD``), empty where no contact is planned.
    """
    c = analysis.customers.reset_index(drop=True)
    groups = plan_targets(c)
    plans = analysis.plans
    per_year = groups.map(lambda g: plans[g].contacts_per_year if g else 0.0).astype(float)
    planned = per_year > 0
    interval = pd.Series(np.where(planned, YEAR_DAYS / per_year.where(planned, 1.0), 0.0))
    offsets = _first_offsets(groups.where(planned, ""), priority(c), interval)
    start = plan_start(analysis.data.as_of)
    dates = start + pd.to_timedelta(offsets, unit="D")
    period = analysis.period
    winback_min = analysis.thresholds.winback_min_value
    why = why_sentences(c, period, money, percent, winback_min)
    channel = groups.map(lambda g: plans[g].channel if g else "")
    out = pd.DataFrame(
        {
            "customer_id": c["customer_id"],
            "name": c.get("name", ""),
            "owner": c.get("owner", ""),
            "class": c["class"],
            "status": c["status"],
            "strategy": c["strategy"],
            "why": why,
            "next_action": np.where(planned, channel, NO_CONTACT),
            "next_date": np.where(planned, dates.strftime("%Y-%m-%d"), ""),
            "contacts_per_year": per_year,
            "channel": channel,
            "_order": np.where(planned, offsets, np.inf),
            "_priority": -priority(c),
        }
    )
    out = out.sort_values(["_order", "_priority"], kind="stable").drop(columns=["_order", "_priority"])
    return out.reset_index(drop=True)[list(ACTION_COLUMNS)]


def contact_calendar(analysis) -> pd.DataFrame:
    """Contacts and their cost per month of the plan year, per contact plan (long: ``plan, month, contacts, cost``).

    Each customer's contacts fall every 365.25 / n days from their first (see the module's
    description), so a month's count is the contacts whose dates fall in it, not n / 12.
    """
    c = analysis.customers.reset_index(drop=True)
    groups = plan_targets(c)
    plans = analysis.plans
    start = plan_start(analysis.data.as_of)
    months = pd.date_range(start, periods=CALENDAR_MONTHS, freq="MS")
    edges = np.array([(m - start).days for m in [*months, months[-1] + pd.offsets.MonthBegin(1)]], dtype=float)
    per_year = groups.map(lambda g: plans[g].contacts_per_year if g else 0.0).astype(float)
    planned = per_year > 0
    interval = pd.Series(np.where(planned, YEAR_DAYS / per_year.where(planned, 1.0), 0.0))
    offsets = _first_offsets(groups.where(planned, ""), priority(c), interval)
    rows = []
    for group in dict.fromkeys(g for g in groups if g):
        mask = (groups == group).to_numpy() & planned.to_numpy()
        plan = plans[group]
        counts = np.zeros(CALENDAR_MONTHS)
        if mask.any():
            step = YEAR_DAYS / plan.contacts_per_year
            k = np.arange(int(np.ceil(plan.contacts_per_year)) + 1)
            days = (offsets[mask][:, None] + step * k[None, :]).ravel()
            counts = np.histogram(days[days < edges[-1]], bins=edges)[0].astype(float)
        for month, n in zip(months, counts, strict=True):
            rows.append(
                {
                    "plan": group,
                    "month": month.strftime("%Y-%m"),
                    "contacts": int(n),
                    "cost": n * plan.cost_per_contact,
                    "channel": plan.channel,
                }
            )
    return pd.DataFrame(rows, columns=["plan", "month", "contacts", "cost", "channel"])


def calendar_table(calendar: pd.DataFrame) -> pd.DataFrame:
    """The calendar with one row per plan and one column per month (contacts), and the year's total."""
    if calendar.empty:
        return pd.DataFrame(columns=["plan", "total"])
    wide = calendar.pivot(index="plan", columns="month", values="contacts")
    wide = wide.reindex(list(dict.fromkeys(calendar["plan"])))
    wide["total"] = wide.sum(axis=1)
    return wide.reset_index()


def winback_list(analysis, months: int) -> pd.DataFrame:
    """Lapsed customers worth winning back who left at most ``months`` months before the data's date.

    A customer's leaving date is their end date (a transaction log's: their last purchase).
    Those without one (lapsed by their status alone) count as leaving at the data's date, by
    the rule of :func:`~simulation.portfolio.data.read_customers`. Most valuable first.
    """
    if months < 0:
        raise ValueError(f"months must be 0 or more; got {months}")
    worth = analysis.customers[
        (analysis.customers["status"] == "lapsed") & (analysis.customers["strategy"] == "win back")
    ]
    as_of = analysis.data.as_of
    end = pd.to_datetime(worth["end"])
    if as_of is not None:
        end = end.fillna(as_of)
        since = pd.Timestamp(as_of) - pd.DateOffset(months=int(months))
        worth = worth[(end >= since).to_numpy()]
        end = end[(end >= since).to_numpy()]
    out = pd.DataFrame(
        {
            "customer_id": worth["customer_id"],
            "name": worth.get("name", ""),
            "owner": worth.get("owner", ""),
            "class": worth["class"],
            "left_on": end.dt.strftime("%Y-%m-%d").fillna(""),
            "months_since": _months_between(end, as_of),
            "contribution": worth["contribution"],
            "tenure": worth["tenure"],
        }
    )
    return out.sort_values("contribution", ascending=False, kind="stable").reset_index(drop=True)


def _months_between(end: pd.Series, as_of) -> np.ndarray:
    if as_of is None or end.empty:
        return np.full(len(end), np.nan)
    a = pd.Timestamp(as_of)
    months = (a.year - end.dt.year) * 12 + (a.month - end.dt.month) - (a.day < end.dt.day)
    return months.to_numpy(dtype=float)


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """A workbook of the tables, one sheet each, text cells escaped against formulas (:mod:`simulation.io.cells`)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title[:31])
        safe = safe_frame(frame)
        sheet.append(list(safe.columns))
        for row in safe.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text, text cells escaped against formulas."""
    return to_csv(frame)
