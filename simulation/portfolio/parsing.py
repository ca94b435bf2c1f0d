"""Turning a table of text into typed columns, with every unreadable row counted and explained."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import synonyms
from .columns import normalise
from .limits import FIRST_DATE, LAST_DATE

SHOWN_PROBLEMS = 8
DATE_FORMATS = {
    "%Y-%m-%d": "YYYY-MM-DD",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%m/%d/%Y": "MM/DD/YYYY",
    "%d.%m.%Y": "DD.MM.YYYY",
    "%Y/%m/%d": "YYYY/MM/DD",
    "%d-%m-%Y": "DD-MM-YYYY",
    "%Y-%m-%dT%H:%M:%S": "YYYY-MM-DDThh:mm:ss",
    "%Y-%m-%d %H:%M:%S": "YYYY-MM-DD hh:mm:ss",
    "%Y%m%d": "YYYYMMDD",
}
_EIGHT_DIGITS = r"\d{8}"
ACTIVE_WORDS = {"active", "current", "live", "yes", "y", "true", "1", "open", "customer", "subscribed"}
LAPSED_WORDS = {
    "lapsed",
    "churned",
    "left",
    "lost",
    "inactive",
    "cancelled",
    "canceled",
    "closed",
    "no",
    "n",
    "false",
    "0",
    "former",
    "ended",
    "terminated",
}
PROSPECT_WORDS = {"prospect", "lead", "target", "potential", "opportunity"}


@dataclass
class Problems:
    """Rows that could not be used: how many, a count per reason, and the first few with their line numbers.

    A row with several problems counts once in :attr:`count` and once under each reason.
    """

    by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[int, str, str]] = field(default_factory=list)
    lines: set[int] = field(default_factory=set)

    @property
    def count(self) -> int:
        """Rows left out (each once, whatever the number of its problems)."""
        return len(self.lines)

    def add(self, lines, column: str, reason: str, values=None, detail=None) -> None:
        """Record rows at file ``lines`` that failed for ``reason`` in ``column``."""
        lines = np.asarray(lines)
        if lines.size == 0:
            return
        self.lines.update(int(x) for x in lines.tolist())
        self.by_reason[f"{column}: {reason}"] = self.by_reason.get(f"{column}: {reason}", 0) + int(lines.size)
        room = SHOWN_PROBLEMS - len(self.examples)
        for i in range(min(room, lines.size)):
            shown = reason
            if values is not None:
                shown = f"{values[i]!r} {reason}" if detail is None else f"{values[i]!r} {detail[i]}"
            self.examples.append((int(lines[i]), column, shown))

    def lines_text(self) -> list[str]:
        """The examples as sentences: ``line 7, column revenue: 'abc' is not a number``."""
        return [f"line {line}, column {column}: {text}" for line, column, text in sorted(self.examples)]

    def summary(self, rows: int) -> str:
        if not self.count:
            return f"All {rows:,} rows were read."
        reasons = "; ".join(f"{k} ({v:,})" for k, v in self.by_reason.items())
        return f"{self.count:,} of {rows:,} rows could not be used and were left out: {reasons}."


_CURRENCY = re.compile(r"[\s$€£¥₹]|(?<=\d)'(?=\d)|^(?:USD|EUR|GBP|CHF)|(?:USD|EUR|GBP|CHF)$")


def parse_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from text written by people: ``1,234.50``, ``1.234,50``, ``€ 300``, ``12 %``.

    Returns the values (NaN where empty or unreadable) and a mask of the unreadable cells
    (non-empty text that is not a number).
    """
    s = text.astype(str).str.strip()
    empty = (s == "").to_numpy()
    values = np.array(pd.to_numeric(s.where(~empty, "nan"), errors="coerce"), dtype=float)
    retry = ~empty & ~np.isfinite(values)
    if retry.any():  # written by people: thousands separators, decimal commas, currency, percent
        values[retry] = _people_numbers(s[retry])
    bad = ~empty & ~np.isfinite(values)
    values[bad | empty] = np.nan
    return values, bad


def _people_numbers(s: pd.Series) -> np.ndarray:
    percent = s.str.endswith("%").to_numpy()
    s = s.str.rstrip("%").str.replace(_CURRENCY, "", regex=True)
    comma_decimal = s.str.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+|-?\d+,\d{1,2}") & ~s.str.contains(r"\.\d{1,2}$")
    dotted = s.where(~comma_decimal, s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    dotted = dotted.str.replace(r"(?<=\d),(?=\d{3}(\D|$))", "", regex=True)
    values = pd.to_numeric(dotted, errors="coerce").to_numpy(dtype=float)
    return np.where(percent, values / 100, values)


def parse_dates(text: pd.Series) -> tuple[np.ndarray, np.ndarray, str | None, np.ndarray, np.ndarray]:
    """Dates in one format per column, chosen as the format most cells are written in.

    Returns the dates (``datetime64[ns]``, NaT where empty, unreadable or out of range), a mask
    of the cells not used (unreadable or out of range), the format's name, a mask of the cells
    that are dates in another format (mixed formats in one column are refused, not guessed),
    and a mask of the dates outside :data:`~simulation.portfolio.limits.FIRST_DATE` to
    :data:`~simulation.portfolio.limits.LAST_DATE` (read in whole seconds, so a year such as
    9999 or 0001 is seen as itself, never wrapped around the nanosecond range).
    """
    s = text.astype(str).str.strip()
    empty = (s == "").to_numpy()
    filled = s[~empty]
    sample = filled.iloc[:2000]
    best, best_hits = None, 0
    for fmt in DATE_FORMATS:
        hits = int((~np.isnat(_to_seconds(sample, fmt))).sum())
        if hits > best_hits:
            best, best_hits = fmt, hits
    dates = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    other = np.zeros(len(s), dtype=bool)
    outside = np.zeros(len(s), dtype=bool)
    if best is None:
        return dates, ~empty, None, other, outside
    seconds = _to_seconds(s, best)
    known = ~np.isnat(seconds)
    first, last = np.datetime64(FIRST_DATE, "s"), np.datetime64(LAST_DATE + pd.Timedelta(days=1), "s")
    outside[known] = (seconds[known] < first) | (seconds[known] >= last)
    inside = known & ~outside
    dates[inside] = seconds[inside].astype("datetime64[ns]")
    failed = ~empty & ~known
    if failed.any():
        rest = s[failed]
        for fmt in DATE_FORMATS:
            if fmt != best:
                other[np.flatnonzero(failed)] |= ~np.isnat(_to_seconds(rest, fmt))
    return dates, failed | outside, DATE_FORMATS[best], failed & other, outside


def _to_seconds(text: pd.Series, fmt: str) -> np.ndarray:
    """``text`` read in format ``fmt`` as ``datetime64[s]`` (NaT where it is not such a date), for years 1 to 9999.

    ``YYYYMMDD`` is exactly eight digits (strptime would also read ``1997011`` as a date)."""
    if fmt == "%Y%m%d":
        text = text.where(text.str.fullmatch(_EIGHT_DIGITS), "")
    return pd.to_datetime(text, format=fmt, errors="coerce").to_numpy().astype("datetime64[s]")


def parse_status(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``active``, ``lapsed`` or ``prospect`` from a status column; a mask of unrecognised words.

    Words are compared without case or accents, in English, German, French, Vietnamese, Thai and
    Bulgarian (:mod:`simulation.portfolio.synonyms`): ``Gekündigt``, ``résilié``, ``đã hủy``.
    """
    s = text.astype(str).str.strip()
    uniques, codes = np.unique(s.to_numpy(dtype=str), return_inverse=True)
    words = np.array([_STATUS.get(normalise(u), "") for u in uniques], dtype=object)
    out = words[codes] if len(s) else np.array([], dtype=object)
    bad = (out == "") & (s != "").to_numpy()
    return out, bad


_STATUS = {
    **{normalise(w): "active" for w in (*ACTIVE_WORDS, *synonyms.ACTIVE_WORDS)},
    **{normalise(w): "lapsed" for w in (*LAPSED_WORDS, *synonyms.LAPSED_WORDS)},
    **{normalise(w): "prospect" for w in (*PROSPECT_WORDS, *synonyms.PROSPECT_WORDS)},
}
