"""Cells of every file a spreadsheet may open: text as text, never a formula.

A scenario, segment or workspace name, a customer id or a learner's name comes from a link, a
form or an uploaded file. Written as it is into a CSV or an xlsx cell, ``=HYPERLINK(...)``,
``+1+1``, ``-2+3`` or ``@SUM(...)`` is run as a formula when the file is opened (CSV injection):
it can send the sheet's contents to a web address, or run a command through DDE in older
spreadsheets. Every CSV and xlsx cell the app and the command line write goes through this
module, as OWASP recommends: text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (or the full-width ``＝ ＋ － ＠``, which some spreadsheets read as the same) gets a leading
single quote, cells are quoted where CSV needs it, and numbers stay numbers.

References
----------
OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

# Every number in every CSV: ten significant digits, enough for any amount of money to the cent up to
# a hundred million, and never an exponent for the sizes people plan with.
CSV_FLOAT_FORMAT = "%.10g"
# What makes a spreadsheet read a cell as a formula, or a field as the start of one.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
QUOTE = "'"
# A text field is put in double quotes when it holds a separator a spreadsheet may split on (a
# comma, or the semicolon, tab or bar of other locales), a double quote or a line break, or starts
# or ends with a space: split at a semicolon, "x;=1+1" would put a formula in the next cell.
NEEDS_QUOTES = re.compile(r'[,;|\t"\r\n]|^\s|\s$')


def safe_text_cell(value):
    """``value`` as a cell should hold it: text that a spreadsheet would run gets a leading ``'``.

    Anything that is not text (numbers, booleans, dates, missing values) is returned unchanged,
    so it stays a number in the file.
    """
    if isinstance(value, str) and value[:1] in FORMULA_TRIGGERS:
        return QUOTE + value
    return value


def _is_text(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or (isinstance(dtype, pd.CategoricalDtype))
    )


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with column names and text cells through :func:`safe_text_cell`; numbers untouched."""
    out = frame.copy()
    for column in out.columns:
        if _is_text(out[column]):
            out[column] = out[column].astype(object).map(safe_text_cell)
    out.columns = [safe_text_cell(str(c)) for c in out.columns]
    return out


def csv_field(value, float_format: str | None = None) -> str:
    """One CSV field: text made safe and quoted where needed, a number as a number, a missing value empty."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return float_format % value if float_format else repr(float(value))
    text = safe_text_cell(str(value))
    return '"' + text.replace('"', '""') + '"' if NEEDS_QUOTES.search(text) else text


def _column_fields(series: pd.Series, float_format: str | None) -> list[str]:
    if _is_text(series):
        return [csv_field(v, float_format) for v in series.astype(object)]
    # numbers, booleans and dates as pandas writes them (none holds a separator or a quote)
    text = series.to_frame().to_csv(index=False, header=False, float_format=float_format, lineterminator="\n")
    # alone in its row, a missing value is written "" (an empty line would end the table)
    return ["" if field == '""' else field for field in text.split("\n")[:-1]]


def to_csv(frame: pd.DataFrame, float_format: str | None = CSV_FLOAT_FORMAT) -> str:
    """``frame`` as CSV text (no index): every column name and text cell through :func:`csv_field`."""
    header = ",".join(csv_field(str(c)) for c in frame.columns)
    columns = [_column_fields(frame.iloc[:, j], float_format) for j in range(frame.shape[1])]
    lines = [header, *(_line(row) for row in zip(*columns, strict=True))] if columns else [header]
    return "\n".join(lines) + "\n"


def _line(fields: Sequence[str]) -> str:
    # a row of one empty field would be an empty line, which readers skip
    return '""' if len(fields) == 1 and not fields[0] else ",".join(fields)


def csv_text(
    rows: Iterable[Sequence], header: Sequence[str] | None = None, float_format: str | None = CSV_FLOAT_FORMAT
) -> str:
    """Rows (sequences of cells) as CSV text, every cell through :func:`csv_field`."""
    lines = [] if header is None else [",".join(csv_field(str(h)) for h in header)]
    lines.extend(_line([csv_field(cell, float_format) for cell in row]) for row in rows)
    return "".join(line + "\n" for line in lines)
