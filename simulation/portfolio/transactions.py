"""Transaction logs: one row per customer from their purchases, kept for the purchase model.

A customer's revenue per period, spend per purchase, start, last purchase and status come from
their purchases; a customer is lapsed after more days without a purchase than an inactivity
window (:func:`inactivity_default`). Purchases after the as-of date are held out for the
purchase model's check.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import InputError
from .columns import check_mapping
from .data import (
    _FIRST_MONDAY,
    DEFAULT_INACTIVITY_DAYS,
    MIN_INACTIVITY_DAYS,
    PERIODS_PER_YEAR,
    CustomerData,
    NothingUsableError,
    _check_period,
    _dates,
    _period_index,
    _refuse_empty,
    as_of_date,
    started_in_last_year,
    whole_periods,
)
from .limits import (
    MAX_MONEY_PER_PERIOD,
)
from .parsing import Problems, parse_numbers
from .reading import RawTable


def inactivity_default(customer_codes: np.ndarray, days: np.ndarray) -> tuple[int, str]:
    """A data-driven inactivity window: the 90th percentile of the days between a customer's
    consecutive purchases, rounded up; 365 days when no customer bought twice.

    Returns the window in days and a sentence that explains it.
    """
    order = np.lexsort((days, customer_codes))
    c, d = customer_codes[order], days[order]
    same = c[1:] == c[:-1]
    gaps = (d[1:] - d[:-1])[same]
    gaps = gaps[gaps > 0]
    if gaps.size < 10:
        return DEFAULT_INACTIVITY_DAYS, (
            f"Too few repeat purchases to learn from, so {DEFAULT_INACTIVITY_DAYS} days without a purchase "
            "counts as lapsed."
        )
    window = max(math.ceil(np.quantile(gaps, 0.9)), MIN_INACTIVITY_DAYS)
    return window, (
        f"9 in 10 repeat purchases in this log come within {window} days of the customer's previous one "
        f"(median {np.median(gaps):.0f} days), so a customer with no purchase for more than {window} days "
        "counts as lapsed."
    )


def read_transactions(
    raw: RawTable,
    mapping: dict,
    *,
    period: str = "month",
    as_of: str | pd.Timestamp | None = None,
    inactivity_days: int | None = None,
) -> CustomerData:
    """A transaction log (one row per purchase) into one row per customer.

    Per customer: the first and last purchase, the number of purchases, the mean (not the
    sum) spend per purchase, and revenue per period = total spend / calendar periods from
    the first purchase to the last (lapsed) or to the log's end (active), both periods
    counted. A customer is lapsed when their last purchase is more than ``inactivity_days``
    before ``as_of`` (default: :func:`inactivity_default`). Purchases after ``as_of`` are left
    out of the customers' rows and kept, with the rest, in ``purchases``.
    """
    _check_period(period)
    m = check_mapping(raw.columns, "transactions", mapping)
    f, lines = raw.frame, np.asarray(raw.lines)
    n = len(f)
    problems, notes = Problems(), list(raw.notes)
    ids = f[m["customer_id"]].astype(str).str.strip().to_numpy()
    bad = ids == ""
    problems.add(lines[bad], m["customer_id"], "is empty: every purchase needs a customer id")
    dates, b = _dates(f[m["date"]], "date", m["date"], lines, problems)
    bad |= b
    no_date = np.isnat(dates) & ~bad
    problems.add(lines[no_date], m["date"], "is empty: every purchase needs a date")
    bad |= no_date
    text = f[m["amount"]]
    amount, unreadable = parse_numbers(text)
    problems.add(lines[unreadable & ~bad], m["amount"], "is not a number", text.to_numpy()[unreadable & ~bad])
    bad |= unreadable
    empty_amount = ~np.isfinite(amount) & ~bad
    problems.add(lines[empty_amount], m["amount"], "is empty: every purchase needs an amount")
    bad |= empty_amount
    nonpositive = np.isfinite(amount) & (amount <= 0) & ~bad
    problems.add(
        lines[nonpositive],
        m["amount"],
        "is zero or negative (a refund or a free item is not a purchase)",
        text.to_numpy()[nonpositive],
    )
    bad |= nonpositive
    above = np.isfinite(amount) & (amount > MAX_MONEY_PER_PERIOD) & ~bad
    problems.add(
        lines[above],
        m["amount"],
        f"is above {MAX_MONEY_PER_PERIOD:,.0f}, the most the model takes for one purchase",
        text.to_numpy()[above],
    )
    bad |= above
    ok = ~bad
    if not ok.any():
        _refuse_empty(pd.DataFrame(), n, problems, raw)
    stamp = as_of_date(as_of) if as_of is not None else pd.Timestamp(dates[ok].max())
    # a free item is not revenue, but it is a purchase: the purchase model counts it (as the CDNOW data do)
    free = nonpositive & (amount == 0)
    counted = ok | free
    purchases = pd.DataFrame({"customer_id": ids[counted], "date": dates[counted], "amount": amount[counted]})
    if free.any():
        notes.append(
            f"{int(free.sum()):,} purchases of amount zero count as purchases in the purchase model (BG/NBD), "
            "not as revenue."
        )
    later = ok & (dates > np.datetime64(stamp, "ns"))
    if later.sum() == ok.sum():
        raise NothingUsableError(
            f"every purchase is after the as-of date ({stamp.date()}): there is nothing to describe."
        )
    if later.any():
        # what customers did after the as-of date is not known at that date: it checks the forecast instead
        notes.append(
            f"{int(later.sum()):,} purchases after the as-of date ({stamp.date()}) are held out: they are compared "
            "with the purchase model's forecast, not used to describe the customers."
        )
        ok &= ~later
    ids, dates, amount = ids[ok], dates[ok], amount[ok]
    codes, uniques = pd.factorize(ids, sort=False)
    days = (dates - dates.min()) / np.timedelta64(1, "D")
    if inactivity_days is None:
        window, reason = inactivity_default(codes, days)
    else:
        if inactivity_days < 1:
            raise InputError(f"inactivity window must be at least 1 day; got {inactivity_days}")
        window, reason = (
            int(inactivity_days),
            f"A customer with no purchase for more than {int(inactivity_days)} days counts as lapsed (set by you).",
        )
    k = uniques.size
    first = np.full(k, np.datetime64("NaT"), dtype="datetime64[ns]")
    last = first.copy()
    frame = pd.DataFrame({"c": codes, "d": dates, "a": amount})
    g = frame.groupby("c", sort=True)
    first = g["d"].min().to_numpy()
    last = g["d"].max().to_numpy()
    total = g["a"].sum().to_numpy()
    count = g["a"].size().to_numpy()
    asof = np.datetime64(stamp, "ns")
    lapsed = (asof - last) / np.timedelta64(1, "D") > window
    end_for_revenue = np.where(lapsed, last, asof)
    periods = _period_index(end_for_revenue, period) - _period_index(first, period) + 1
    tenure = np.where(
        lapsed, whole_periods(first, last, period)[0] + 1, whole_periods(first, np.full(k, asof), period)[0]
    )
    customers = pd.DataFrame(
        {
            "customer_id": uniques.astype(str),
            "name": _first_text(f, m["name"], ok, codes, k),
            "owner": _first_text(f, m["owner"], ok, codes, k),
            "line": pd.Series(lines[ok]).groupby(codes).min().to_numpy().astype(np.int64),
            "segment": "",
            "status": np.where(lapsed, "lapsed", "active"),
            "revenue": total / np.maximum(periods, 1),
            "gross_margin": np.nan,
            "potential": np.nan,
            "potential_estimated": False,
            "churn_risk": np.nan,
            "tenure": tenure.astype(np.int64),
            "start": first,
            "end": np.where(lapsed, last, np.datetime64("NaT")),
            "purchases": count,
            "spend_per_purchase": total / count,
            "purchases_per_period": count / np.maximum(periods, 1),
        }
    )
    by_period = revenue_by_period(dates, amount, ids, period)
    return CustomerData(
        customers=customers,
        kind="transactions",
        period=period,
        rows=n,
        problems=problems,
        source=raw.source,
        as_of=stamp,
        notes=notes,
        inactivity_days=window,
        inactivity_reason=reason,
        revenue_by_period=by_period,
        new_per_period=started_in_last_year(customers["start"], stamp) / PERIODS_PER_YEAR[period],
        purchases=purchases,
    )


def _first_text(frame: pd.DataFrame, column: str | None, rows: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """Per customer, the first non-empty text of ``column`` among their purchases (``""`` without the column)."""
    out = np.full(k, "", dtype=object)
    if column is None:
        return out
    text = frame[column].to_numpy(dtype=object)[rows]
    filled = text != ""
    first = pd.Series(text[filled]).groupby(codes[filled]).first()
    out[first.index.to_numpy()] = first.to_numpy()
    return out


def revenue_by_period(dates, amount, ids, period: str) -> pd.DataFrame:
    """Revenue, purchases and buying customers per calendar period of a transaction log."""
    index = _period_index(dates, period)
    frame = pd.DataFrame({"p": index, "a": amount, "c": ids})
    g = frame.groupby("p", sort=True)
    out = pd.DataFrame({"revenue": g["a"].sum(), "purchases": g["a"].size(), "customers": g["c"].nunique()})
    out.index = [_period_start(i, period) for i in out.index]
    out.index.name = "period_start"
    return out.reset_index()


def _period_start(index: int, period: str) -> pd.Timestamp:
    if period == "week":
        return pd.Timestamp(_FIRST_MONDAY + np.timedelta64(int(index) * 7, "D"))
    if period == "year":
        return pd.Timestamp(year=int(index), month=1, day=1)
    if period == "quarter":
        return pd.Timestamp(year=int(index) // 4, month=int(index) % 4 * 3 + 1, day=1)
    return pd.Timestamp(year=int(index) // 12, month=int(index) % 12 + 1, day=1)
