"""A user's customers, read from a customer table, a transaction log or a cohort table.

Each reader takes a :class:`~simulation.portfolio.reading.RawTable` and a column mapping
(see :mod:`simulation.portfolio.columns`) and returns typed data plus the rows it could
not use, each counted and the first few explained with their line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from .columns import check_mapping, normalise
from .limits import (
    FIRST_DATE,
    LAST_DATE,
    MAX_CUSTOMERS_PER_COHORT,
    MAX_MONEY_PER_PERIOD,
    MAX_PERIOD,
    MAX_TENURE,
)
from .parsing import Problems, parse_dates, parse_numbers, parse_status
from .reading import RawTable

PERIOD_DAYS = {"week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}
PERIODS_PER_YEAR = {"week": 52, "month": 12, "quarter": 4, "year": 1}
# weeks run Monday to Sunday; 1970-01-05 was a Monday
_FIRST_MONDAY = np.datetime64("1970-01-05", "D")
DEFAULT_INACTIVITY_DAYS = 365
MIN_INACTIVITY_DAYS = 7


def started_in_last_year(starts: pd.Series, as_of: pd.Timestamp) -> int:
    """How many of ``starts`` fall in the year (365.25 days) before ``as_of``."""
    return int((starts > as_of - pd.Timedelta(days=365.25)).sum())


CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "owner",
    "line",
    "segment",
    "status",
    "revenue",
    "gross_margin",
    "potential",
    "potential_estimated",
    "churn_risk",
    "tenure",
    "start",
    "end",
    "purchases",
    "spend_per_purchase",
    "purchases_per_period",
)


class NothingUsableError(InputError):
    """A file with no row the model can use; the message says what is missing."""


@dataclass
class CustomerData:
    """One row per customer or prospect, in the model's terms.

    ``customers`` has the columns of :data:`CUSTOMER_COLUMNS`: ``status`` is ``active``,
    ``lapsed`` or ``prospect``; ``revenue`` and ``potential`` are per period (for lapsed
    customers, what they paid before they left); ``tenure`` is, for an active customer, the
    periods survived so far and, for a lapsed one, the periods paid before leaving. A
    transaction log also keeps its usable ``purchases`` (``customer_id, date, amount``).
    """

    customers: pd.DataFrame
    kind: str
    period: str
    rows: int
    problems: Problems
    source: str = ""
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
    has_margin: bool = False
    has_potential: bool = False
    has_churn_risk: bool = False
    inactivity_days: int | None = None
    inactivity_reason: str = ""
    revenue_by_period: pd.DataFrame | None = None
    new_per_period: float | None = None
    purchases: pd.DataFrame | None = None


@dataclass
class CohortData:
    """Active customers per cohort and period (period 0 = the cohort's size).

    ``curves`` maps a cohort's name to its counts, period 0 first; ``sets`` maps a cohort
    set (the fitted unit) to the names of its cohorts.
    """

    curves: dict[str, np.ndarray]
    sets: dict[str, list[str]]
    period: str
    rows: int
    problems: Problems
    source: str = ""
    notes: list[str] = field(default_factory=list)


MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "year": 12}


def whole_periods(start, end, period: str) -> tuple[np.ndarray, np.ndarray]:
    """Whole calendar periods from ``start`` to ``end`` and whether they are exact.

    A month runs from a day of one month to the same day of the next, so 2024-01-15 to
    2024-03-15 is exactly 2 months and to 2024-03-20 is 2 months and a bit (floor 2, not
    exact); a week is 7 days. NaN where either date is missing.
    """
    s, e = (
        pd.DatetimeIndex(np.asarray(start, dtype="datetime64[ns]")),
        pd.DatetimeIndex(np.asarray(end, dtype="datetime64[ns]")),
    )
    if period == "week":
        days = np.floor((e - s).to_numpy() / np.timedelta64(1, "D"))
        count = np.floor_divide(days, 7)
        return count, (np.mod(days, 7) == 0) & np.isfinite(days)
    months = (e.year.to_numpy() * 12 + e.month.to_numpy()) - (s.year.to_numpy() * 12 + s.month.to_numpy())
    months = months - (e.day.to_numpy() < s.day.to_numpy())
    k = MONTHS_PER_PERIOD[period]
    count = np.floor_divide(months, k).astype(float)
    exact = (np.mod(months, k) == 0) & (e.day.to_numpy() == s.day.to_numpy())
    missing = np.isnat(s.to_numpy()) | np.isnat(e.to_numpy())
    count[missing] = np.nan
    return count, exact & ~missing


def _period_index(dates, period: str) -> np.ndarray:
    """Calendar period number of each date (weeks since 1970-01-05, months, quarters or years since year 0)."""
    d = pd.DatetimeIndex(dates)
    if period == "week":
        return (d.to_numpy().astype("datetime64[D]") - _FIRST_MONDAY).astype(np.int64) // 7
    if period == "year":
        return d.year.to_numpy()
    if period == "quarter":
        return d.year.to_numpy() * 4 + (d.month.to_numpy() - 1) // 3
    return d.year.to_numpy() * 12 + d.month.to_numpy() - 1


def _check_period(period: str) -> None:
    if period not in PERIOD_DAYS:
        raise InputError(f"period must be one of {', '.join(PERIOD_DAYS)}; got {period!r}")


def _fraction(values: np.ndarray, bad: np.ndarray, name: str, problems: Problems, lines, raw, notes) -> np.ndarray:
    """A 0..1 column, read as percentages when every value is in (1, 100]."""
    given = np.isfinite(values)
    if given.any() and values[given].max() > 1 and values[given].min() >= 0 and values[given].max() <= 100:
        values = values / 100
        notes.append(f"{name} was read as percentages (values up to {values[given].max() * 100:g}).")
    out = given & ((values < 0) | (values > 1))
    problems.add(lines[out], name, "must be between 0 and 1 (or a percentage)", raw[out])
    values = values.copy()
    values[out] = np.nan
    return values, out


def as_of_date(value, what: str = "as_of") -> pd.Timestamp:
    """The date the data describe, checked: a date from FIRST_DATE to LAST_DATE, or an InputError naming ``what``."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{what}: not a date (YYYY-MM-DD): {str(value)[:60]!r}") from None
    if stamp is pd.NaT:
        raise InputError(f"{what}: not a date (YYYY-MM-DD): {str(value)[:60]!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    if not FIRST_DATE <= stamp < LAST_DATE + pd.Timedelta(days=1):
        raise InputError(
            f"{what}: {stamp.date()} is outside the dates this reads, {FIRST_DATE.date()} to {LAST_DATE.date()}"
        )
    return stamp


def _dates(raw: pd.Series, role: str, column: str, lines, problems: Problems):
    dates, bad, fmt, mixed, outside = parse_dates(raw)
    values = raw.to_numpy()
    problems.add(
        lines[outside],
        column,
        f"is outside the years {FIRST_DATE.year} to {LAST_DATE.year} this reads",
        values[outside],
    )
    bad = bad & ~outside
    if fmt is None and bad.any():
        problems.add(lines[bad], column, f"is not a date (the {role} column holds no readable dates)", values[bad])
        return dates, bad
    problems.add(
        lines[mixed], column, f"is written in another date format than the rest of the column ({fmt})", values[mixed]
    )
    plain = bad & ~mixed
    problems.add(lines[plain], column, f"is not a date in the column's format ({fmt})", values[plain])
    return dates, bad | outside


def read_customers(
    raw: RawTable, mapping: dict, *, period: str = "month", as_of: str | pd.Timestamp | None = None
) -> CustomerData:
    """A customer table into :class:`CustomerData`.

    Parameters
    ----------
    raw : RawTable
        The file's cells.
    mapping : dict
        Role -> file column (see :data:`simulation.portfolio.columns.ROLES`).
    period : {"month", "quarter", "year"}
        The period revenue and potential are given per, and tenure counted in.
    as_of : date, optional
        The date the data describes; default the latest start or end date in the file.
    """
    _check_period(period)
    m = check_mapping(raw.columns, "customers", mapping)
    f, lines = raw.frame, np.asarray(raw.lines)
    n = len(f)
    problems, notes = Problems(), list(raw.notes)
    bad = np.zeros(n, dtype=bool)

    ids = f[m["customer_id"]].astype(str).str.strip().to_numpy()
    empty_id = ids == ""
    problems.add(lines[empty_id], m["customer_id"], "is empty: every row needs a customer id")
    bad |= empty_id

    def number(role, allow_negative=False, most=None, unit=""):
        col = m[role]
        if col is None:
            return np.full(n, np.nan), np.zeros(n, bool)
        text = f[col]
        values, unreadable = parse_numbers(text)
        problems.add(lines[unreadable], col, "is not a number", text.to_numpy()[unreadable])
        negative = np.isfinite(values) & (values < 0) & (not allow_negative)
        problems.add(lines[negative], col, "is negative", text.to_numpy()[negative])
        above = np.zeros(n, bool)
        if most is not None:
            above = np.isfinite(values) & (values > most)
            reason = f"is above {most:,.0f}, the most the model takes {unit}"
            problems.add(lines[above], col, reason, text.to_numpy()[above])
        out = negative | above
        return np.where(out, np.nan, values), unreadable | out

    money = "per customer and period"
    revenue, b = number("revenue", most=MAX_MONEY_PER_PERIOD, unit=money)
    bad |= b
    potential, b = number("potential", most=MAX_MONEY_PER_PERIOD, unit=money)
    bad |= b
    tenure_given, b = number("tenure", most=MAX_TENURE, unit="as a tenure in periods")
    bad |= b
    margin, churn_risk = np.full(n, np.nan), np.full(n, np.nan)
    if m["gross_margin"]:
        values, b = number("gross_margin", allow_negative=True)
        margin, out = _fraction(values, b, m["gross_margin"], problems, lines, f[m["gross_margin"]].to_numpy(), notes)
        bad |= b | out
    if m["churn_risk"]:
        values, b = number("churn_risk", allow_negative=True)
        churn_risk, out = _fraction(values, b, m["churn_risk"], problems, lines, f[m["churn_risk"]].to_numpy(), notes)
        bad |= b | out

    start = end = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if m["start"]:
        start, b = _dates(f[m["start"]], "start", m["start"], lines, problems)
        bad |= b
    if m["end"]:
        end, b = _dates(f[m["end"]], "end", m["end"], lines, problems)
        bad |= b
    reversed_ = ~np.isnat(start) & ~np.isnat(end) & (end < start)
    problems.add(
        lines[reversed_ & ~bad],
        m["end"] or "end",
        "is before the customer's start date",
        f[m["end"]].to_numpy()[reversed_ & ~bad] if m["end"] else None,
    )
    bad |= reversed_

    if m["status"]:
        status, unknown = parse_status(f[m["status"]])
        problems.add(
            lines[unknown & ~bad],
            m["status"],
            "is not a status this reads (active, lapsed/churned/inactive, or prospect)",
            f[m["status"]].to_numpy()[unknown & ~bad],
        )
        bad |= unknown
        from_end = ~np.isnat(end) & (status == "")
        status = np.where(from_end, "lapsed", np.where(status == "", "active", status))
    else:
        status = np.where(np.isnat(end), "active", "lapsed").astype(object)
    no_revenue = ~(np.nan_to_num(revenue) > 0)
    prospect = (status == "prospect") | (
        (status == "active")
        & no_revenue
        & (np.nan_to_num(potential) > 0)
        & np.isnat(start)
        & ~np.isfinite(tenure_given)
    )
    status = np.where(prospect, "prospect", status)

    stamp = as_of_date(as_of) if as_of is not None else None
    if stamp is None and (m["start"] or m["end"]):
        known = np.concatenate([start[~np.isnat(start)], end[~np.isnat(end)]])
        stamp = pd.Timestamp(known.max()) if known.size else None
    tenure = np.full(n, np.nan)
    if stamp is not None:
        asof = np.datetime64(stamp, "ns")
        future = ~np.isnat(start) & (start > asof)
        problems.add(
            lines[future & ~bad],
            m["start"],
            f"is after the data's date ({stamp.date()})",
            f[m["start"]].to_numpy()[future & ~bad] if m["start"] else None,
        )
        bad |= future
        active_count, _ = whole_periods(start, np.full(n, asof), period)
        lapsed_count, exact = whole_periods(start, end, period)
        # a customer who left paid for every period they started: whole periods, plus the one they left in
        paid = np.maximum(1, lapsed_count + ~exact)
        tenure = np.where(status == "lapsed", paid, active_count)
    if m["tenure"]:
        fill = np.isnan(tenure) & np.isfinite(tenure_given)
        given = np.where(status == "lapsed", np.maximum(1, np.ceil(tenure_given)), np.floor(tenure_given))
        tenure = np.where(fill, given, tenure)
    # lapsed by their status, with no end date: they left at the latest by the as-of date, so they count
    # as leaving in its period, having paid every period from their start to it (at least one)
    no_end = (status == "lapsed") & np.isnat(end) & ~np.isnat(start) & ~bad & np.isnan(tenure_given)
    if no_end.any() and stamp is not None:
        until, exact = whole_periods(start[no_end], np.full(int(no_end.sum()), np.datetime64(stamp, "ns")), period)
        tenure[no_end] = np.maximum(1, until + ~exact)
        notes.append(
            f"{int(no_end.sum()):,} customer(s) marked as left ({m['status']}) have no end date: they count as having "
            f"left in the {period} of the as-of date ({stamp.date()}), after every {period} from their start to it. "
            "That is the longest they can have stayed, so their churn may be understated; give their end dates "
            "to be exact."
        )
    missing_tenure = (status != "prospect") & np.isnan(tenure) & ~bad
    where = m["start"] or m["tenure"]
    problems.add(lines[missing_tenure], where, "is empty: a customer needs a start date or a tenure")
    bad |= missing_tenure & (status != "prospect")
    tenure = np.where(status == "prospect", 0, tenure)

    ok = ~bad
    first = pd.Series(np.arange(n))[ok].groupby(ids[ok]).transform("first").to_numpy()
    okpos = np.flatnonzero(ok)
    dup_pos = okpos[first != okpos]
    if dup_pos.size:
        problems.add(
            lines[dup_pos],
            m["customer_id"],
            "appears more than once (the first row is kept)",
            ids[dup_pos],
            [f"appears again (first on line {lines[first[np.searchsorted(okpos, p)]]})" for p in dup_pos],
        )
        ok[dup_pos] = False
    segment = f[m["segment"]].astype(str).to_numpy() if m["segment"] else np.full(n, "", dtype=object)
    name = f[m["name"]].astype(str).to_numpy() if m["name"] else np.full(n, "", dtype=object)
    owner = f[m["owner"]].astype(str).to_numpy() if m["owner"] else np.full(n, "", dtype=object)
    frame = pd.DataFrame(
        {
            "customer_id": ids[ok],
            "name": name[ok],
            "owner": owner[ok],
            "line": lines[ok].astype(np.int64),
            "segment": segment[ok],
            "status": status[ok],
            "revenue": np.nan_to_num(revenue[ok]),
            "gross_margin": margin[ok],
            "potential": potential[ok],
            "potential_estimated": False,
            "churn_risk": churn_risk[ok],
            "tenure": tenure[ok].astype(np.int64),
            "start": start[ok],
            "end": end[ok],
            "purchases": np.nan,
            "spend_per_purchase": np.nan,
            "purchases_per_period": np.nan,
        }
    )
    _refuse_empty(frame, n, problems, raw)
    new_rate = None
    if stamp is not None and m["start"]:
        new_rate = started_in_last_year(frame["start"], stamp) / PERIODS_PER_YEAR[period]
    return CustomerData(
        customers=frame,
        kind="customers",
        period=period,
        rows=n,
        problems=problems,
        source=raw.source,
        as_of=stamp,
        notes=notes,
        has_margin=bool(m["gross_margin"]),
        has_potential=bool(m["potential"]),
        has_churn_risk=bool(m["churn_risk"]),
        new_per_period=new_rate,
    )


def _refuse_empty(frame: pd.DataFrame, rows: int, problems: Problems, raw: RawTable) -> None:
    if frame.empty:
        detail = "; ".join(problems.lines_text()[:3])
        raise NothingUsableError(
            f"none of the {rows:,} rows could be used. {problems.summary(rows)} First problems: {detail}"
        )


def read_cohorts(raw: RawTable, mapping: dict, *, period: str = "year") -> CohortData:
    """A cohort table (long: cohort, period, active; or wide: cohorts as rows, periods as columns).

    Counts must be whole numbers that never rise from one period to the next; a cohort
    needs its period 0 (its size).
    """
    _check_period(period)
    m = check_mapping(raw.columns, "cohorts", mapping)
    f, lines = raw.frame, np.asarray(raw.lines)
    problems, notes = Problems(), list(raw.notes)
    records = []  # (cohort, set, period, count, line, column)
    if m["period"] is None:
        numbered = {}
        for c in raw.columns:
            digits = re.search(r"(\d+)$", normalise(c))
            if c != m["cohort"] and digits:
                numbered[c] = int(digits.group(1)[:20])
                if numbered[c] > MAX_PERIOD:
                    raise InputError(
                        f"column {c[:60]!r}: period {numbered[c]:,} is outside 0 to {MAX_PERIOD}, the periods the "
                        "model simulates; a cohort table's columns are its periods 0, 1, 2, ..."
                    )
        for c, t in numbered.items():
            values, unreadable = parse_numbers(f[c])
            problems.add(lines[unreadable], c, "is not a number", f[c].to_numpy()[unreadable])
            for i in np.flatnonzero(np.isfinite(values)):
                records.append((f[m["cohort"]].iat[i], f[m["cohort"]].iat[i], t, values[i], lines[i], c))
    else:
        t, bad_t = parse_numbers(f[m["period"]].str.extract(r"(-?\d+)\s*$", expand=False).fillna(f[m["period"]]))
        problems.add(lines[bad_t], m["period"], "is not a period number", f[m["period"]].to_numpy()[bad_t])
        outside = np.isfinite(t) & ((t < 0) | (t > MAX_PERIOD) | (t != np.round(t)))
        problems.add(
            lines[outside],
            m["period"],
            f"is not a whole period from 0 to {MAX_PERIOD} (the periods the model simulates)",
            f[m["period"]].to_numpy()[outside],
        )
        t = np.where(outside, np.nan, t)
        values, unreadable = parse_numbers(f[m["active"]])
        problems.add(lines[unreadable], m["active"], "is not a number", f[m["active"]].to_numpy()[unreadable])
        sets = f[m["segment"]] if m["segment"] else f[m["cohort"]]
        for i in np.flatnonzero(np.isfinite(values) & np.isfinite(t)):
            records.append(
                (
                    f[m["cohort"]].iat[i],
                    sets.iat[i] or f[m["cohort"]].iat[i],
                    int(t[i]),
                    values[i],
                    lines[i],
                    m["active"],
                )
            )
    curves: dict[str, np.ndarray] = {}
    members: dict[str, list[str]] = {}
    by_cohort: dict[str, list] = {}
    for rec in records:
        by_cohort.setdefault(rec[0] or "(unnamed)", []).append(rec)
    for name, recs in by_cohort.items():
        recs.sort(key=lambda r: r[2])
        ts = [r[2] for r in recs]
        where = f"cohort {name!r}"
        if ts[0] != 0 or np.any(np.diff(ts) != 1):
            problems.add(
                [recs[0][4]],
                recs[0][5],
                f"{where}: periods must run 0, 1, 2, ... without gaps (period 0 is the cohort's size); got {ts[:8]}",
            )
            continue
        counts = np.array([r[3] for r in recs], dtype=float)
        if np.any(counts < 0) or np.any(np.abs(counts - np.round(counts)) > 1e-9):
            i = int(np.flatnonzero((counts < 0) | (np.abs(counts - np.round(counts)) > 1e-9))[0])
            problems.add(
                [recs[i][4]],
                recs[i][5],
                f"{where}: active customers must be whole numbers, 0 or more; got {counts[i]:g}",
            )
            continue
        if counts[0] > MAX_CUSTOMERS_PER_COHORT:
            problems.add(
                [recs[0][4]],
                recs[0][5],
                f"{where}: {counts[0]:g} customers is above {MAX_CUSTOMERS_PER_COHORT:,}, the most the model takes "
                "in one cohort",
            )
            continue
        rises = np.flatnonzero(np.diff(counts) > 0)
        if rises.size:
            i = int(rises[0]) + 1
            problems.add(
                [recs[i][4]],
                recs[i][5],
                f"{where}: active customers rise from {counts[i - 1]:g} to {counts[i]:g} at period {i}; "
                "a cohort can only shrink",
            )
            continue
        if counts[0] <= 0:
            problems.add([recs[0][4]], recs[0][5], f"{where}: period 0 (the cohort's size) must be above 0")
            continue
        curves[name] = counts.astype(np.int64)
        members.setdefault(str(recs[0][1]), []).append(name)
    if not curves:
        detail = "; ".join(problems.lines_text()[:3]) or "no counts found"
        raise NothingUsableError(f"no cohort could be used: {detail}")
    return CohortData(
        curves=curves, sets=members, period=period, rows=len(f), problems=problems, source=raw.source, notes=notes
    )
