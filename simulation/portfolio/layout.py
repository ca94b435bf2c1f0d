"""Where a text table's cells are: its delimiter, the row that names its columns, and names for a file without one.

All of it is decided on the first lines of the file (at most :data:`LAYOUT_LINES`), so it
costs the same whatever the file's length.

- **Delimiter**: ``,`` ``;`` tab ``|``, or runs of spaces (the CDNOW log as published:
  `` 00001 19970101  1   11.77``) when none of the four splits the lines consistently.
- **Title rows**: lines above the header (a report title, a date, a blank line) are skipped.
  The header is the first of the first :data:`TITLE_ROWS` + 1 non-empty lines that has more
  than half as many filled cells as the median of the five lines after it; the lines before
  it are titles.
- **No header**: when the first line holds numbers or dates where the second does, in every
  column, it is data; the columns are then named from what they hold (:func:`content_names`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

WHITESPACE = " "  # stands for runs of spaces and tabs
DELIMITERS = ",;\t|"
LAYOUT_LINES = 50
TITLE_ROWS = 10
_LOOK_AHEAD = 5
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_YYYYMMDD = re.compile(r"(19|20|21|22)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


@dataclass(frozen=True)
class Layout:
    """How to split a text table: the delimiter, the physical lines before the header, and whether it has one."""

    delimiter: str
    skip: int
    has_header: bool
    titles: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """The delimiter in words: ``','``, ``tab``, ``spaces``."""
        return {"\t": "tab", WHITESPACE: "spaces"}.get(self.delimiter, repr(self.delimiter))


def split(lines: list[str], delimiter: str) -> list[list[str]]:
    """The cells of each line, one list per line (empty for a blank line), so that indices are line numbers.

    Each line is split on its own: a quoted cell running over several lines is cut at each line's
    end here, which only the layout's guess sees (the whole file is read by pandas).
    """
    if delimiter == WHITESPACE:
        return [line.split() for line in lines]
    return [_cells(line, delimiter) for line in lines]


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, quotechar='"'), [])
    except csv.Error:
        return line.rstrip("\r\n").split(delimiter)


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def header_index(rows: list[list[str]]) -> int:
    """The index in ``rows`` of the header: the first row not a title (see the module's description)."""
    nonempty = [i for i, row in enumerate(rows) if _filled(row)]
    for k, i in enumerate(nonempty[: TITLE_ROWS + 1]):
        following = [_filled(rows[j]) for j in nonempty[k + 1 : k + 1 + _LOOK_AHEAD]]
        if not following or 2 * _filled(rows[i]) > sorted(following)[(len(following) - 1) // 2]:
            return i
    return nonempty[0] if nonempty else 0


def _score(rows: list[list[str]]) -> tuple[bool, float, int, int]:
    """How well a delimiter splits the rows: a header of two or more cells, the share of rows as wide, fewer
    title rows, more columns (compared in that order)."""
    start = header_index(rows)
    widths = [len(r) for r in rows[start:] if _filled(r)]
    if not widths:
        return (False, 0.0, 0, 0)
    header = widths[0]
    return (header > 1, sum(w == header for w in widths) / len(widths), -start, header)


def find_layout(lines: list[str]) -> Layout:
    """The layout of a table whose first lines are ``lines`` (each with its line end).

    Each delimiter is tried with the csv module on the lines (linear in their length), never
    with ``csv.Sniffer``, whose guessing can take minutes on a crafted line; ties go to the
    order of :data:`DELIMITERS`. Runs of spaces are tried only when no delimiter splits every
    line into the same two or more cells.
    """
    lines = lines[:LAYOUT_LINES]
    best, best_score = ",", (False, 0.0, 0, 0)
    for delimiter in DELIMITERS:
        score = _score(split(lines, delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    if not (best_score[0] and best_score[1] == 1.0):
        score = _score(split(lines, WHITESPACE))
        if score[0] and score[1:] > best_score[1:]:
            best, best_score = WHITESPACE, score
    rows = split(lines, best)
    start = header_index(rows)
    titles = tuple(" ".join(c.strip() for c in rows[i] if c.strip()) for i in range(start) if _filled(rows[i]))
    following = [r for r in rows[start + 1 :] if _filled(r)]
    has_header = not following or not _looks_like_data(rows[start], following[0])
    return Layout(best, start, has_header, titles)


def _kind(cell: str) -> str:
    cell = cell.strip()
    if not cell:
        return "empty"
    if _YYYYMMDD.fullmatch(cell) or _DATE.fullmatch(cell):
        return "date"
    if _NUMBER.fullmatch(cell):
        return "number"
    return "text"


def _looks_like_data(first: list[str], second: list[str]) -> bool:
    """The first row holds numbers or dates, and the same kind of cell as the second row in every column."""
    if len(first) != len(second):
        return False
    kinds = [_kind(c) for c in first]
    if not any(k in ("number", "date") for k in kinds):
        return False
    return all(a == _kind(b) or "empty" in (a, _kind(b)) for a, b in zip(kinds, second, strict=True))


def content_names(columns: list[list[str]]) -> tuple[list[str], str]:
    """Names for the columns of a file without a header, from what the first rows of each hold.

    The first column is the customer id, the first column of dates (``YYYYMMDD`` or with
    separators) the date, and the last column of numbers with decimals (else the last of
    numbers) after the date the amount; any other column is ``column N``. Returns the names
    and a sentence saying what was decided.
    """
    n = len(columns)
    names = [f"column {i + 1}" for i in range(n)]
    kinds = [[_kind(c) for c in col if c.strip()] for col in columns]

    def all_of(i: int, kind: str) -> bool:
        return bool(kinds[i]) and all(k == kind for k in kinds[i])

    date = next((i for i in range(1, n) if all_of(i, "date")), None)
    if date is None or n < 3:
        return names, (
            "The file has no header row (its first line is data like the rest), so its columns are named "
            "column 1, column 2, ...: choose which one holds what under Columns (--column ROLE='column N')."
        )
    numbers = [i for i in range(date + 1, n) if all_of(i, "number")]
    decimals = [i for i in numbers if any(re.search(r"[.,]\d", c) for c in columns[i])]
    amount = (decimals or numbers or [None])[-1]
    names[0], names[date] = "customer_id", "date"
    if amount is not None:
        names[amount] = "amount"
    named = ", ".join(f"column {i + 1} as {names[i]}" for i in (0, date, amount) if i is not None)
    return names, (
        "The file has no header row (its first line is data like the rest), so its columns were named from what "
        f"they hold: {named}. Change them under Columns if that is wrong (--column ROLE='column N')."
    )
