"""Reading a user's file into a table of text: CSV (delimiter and encoding detected) or Excel.

Nothing is interpreted here beyond finding the header and the cells: every cell stays text
so that the parsing step can say, line by line, what it could not read. Line numbers are the
file's own (the header is line 1 of a CSV; Excel rows are numbered as the sheet shows them).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_TEXT = "50 MB"
DELIMITERS = ",;\t|"
ENCODINGS = ("utf-8-sig", "utf-16", "cp1252")
_XLSX_MAGIC = b"PK\x03\x04"
_SNIFF_BYTES = 64 * 1024


class FileProblemError(InputError):
    """A file that cannot be read at all; the message says why and what would work."""


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text, with where each row came from.

    Attributes
    ----------
    frame : pandas.DataFrame
        One column per header cell, every cell a string (``""`` when empty); fully empty
        rows are left out.
    lines : numpy.ndarray
        The file line (CSV) or sheet row (Excel) of each row of ``frame``.
    source : str
        How the file was read, in words (``"CSV, delimiter ';', encoding UTF-8"``).
    sheets : tuple of str
        The workbook's sheets (Excel only).
    sheet : str or None
        The sheet read (Excel only).
    notes : list of str
        Things the reader decided that a person should know (which sheet was used).
    """

    frame: pd.DataFrame
    lines: object
    source: str
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)


def check_size(size_bytes: int, name: str = "the file") -> None:
    """Refuse a file larger than :data:`MAX_FILE_BYTES`, saying the limit."""
    if size_bytes > MAX_FILE_BYTES:
        raise FileProblemError(
            f"{name} is {size_bytes / 1024 / 1024:,.0f} MB; the limit is {MAX_FILE_TEXT}. "
            "Export only the columns needed (customer id, revenue, dates, potential) or split the file."
        )


def read_path(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read a CSV or .xlsx file from disk: a regular file only, and at most the limit plus one byte of it."""
    from ..io.files import FileReadError, read_limited

    path = Path(path)
    try:
        data = read_limited(path, MAX_FILE_BYTES, "a CSV or .xlsx file")
    except FileReadError as exc:
        if exc.too_large:
            check_size(exc.size if exc.size is not None else MAX_FILE_BYTES + 1, path.name)
        raise FileProblemError(str(exc)) from None
    return read_bytes(data, path.name, sheet=sheet)


def read_bytes(data: bytes, name: str, sheet: str | None = None) -> RawTable:
    """Read an uploaded file's bytes: Excel when it is a workbook, otherwise delimited text.

    Parameters
    ----------
    data : bytes
        The file's contents.
    name : str
        The file's name (only used in messages and to recognise .xlsx).
    sheet : str, optional
        The workbook sheet to read; by default the first sheet with data.

    Raises
    ------
    FileProblemError
        Empty, too large, binary, or with no header: the message says which.
    """
    check_size(len(data), name)
    if not data.strip():
        raise FileProblemError(f"{name} is empty: it needs a header row and at least one row of data.")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, name, sheet)
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblemError(f"{name} is named as an Excel workbook but is not one; save it again as .xlsx or CSV.")
    if name.lower().endswith(".xls"):
        raise FileProblemError(f"{name} is an old-style Excel file (.xls); save it as .xlsx or CSV.")
    text, encoding = _decode(data, name)
    return _read_csv(text, encoding, name)


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        head = data[:_SNIFF_BYTES]
        controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
        if b"\x00" in head or controls > max(2, len(head) // 100):
            raise FileProblemError(
                f"{name} is not a text table (it contains binary data); export the data as CSV or .xlsx."
            )
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:_SNIFF_BYTES]
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
        if controls > max(10, len(sample) // 100):
            raise FileProblemError(
                f"{name} is not a text table (it contains binary data); export the data as CSV or .xlsx."
            )
        label = {
            "utf-8-sig": "UTF-8" + (" with BOM" if data.startswith(b"\xef\xbb\xbf") else ""),
            "cp1252": "Windows-1252",
            "utf-16": "UTF-16",
        }[encoding]
        return text, label
    raise FileProblemError(f"{name}: the text encoding could not be recognised; save it as UTF-8 CSV.")


def _delimiter(text: str) -> str:
    sample = "\n".join(text[:_SNIFF_BYTES].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_csv(text: str, encoding: str, name: str) -> RawTable:
    delimiter = _delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            on_bad_lines="error",
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise FileProblemError(f"{name}: the rows do not line up with the header ({_parser_message(exc)}).") from None
    except pd.errors.EmptyDataError:
        raise FileProblemError(f"{name} is empty: it needs a header row and at least one row of data.") from None
    lines = frame.index.to_numpy() + 2
    frame, lines = _tidy(frame, lines, name)
    shown = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}[delimiter]
    return RawTable(frame=frame, lines=lines, source=f"CSV, delimiter {shown}, encoding {encoding}")


def _parser_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1]
    return text.replace("Error tokenizing data. C error: ", "").replace("Expected", "expected")


def _tidy(frame: pd.DataFrame, lines, name: str):
    frame = frame.rename(columns=lambda c: str(c).strip().lstrip("\ufeff"))
    unnamed = [c for c in frame.columns if not c or c.startswith("Unnamed:")]
    if len(unnamed) == len(frame.columns):
        raise FileProblemError(f"{name}: the first row must name the columns (customer_id, revenue, ...).")
    frame = frame.apply(lambda col: col.fillna("").astype(str).str.strip())
    keep = (frame != "").any(axis=1).to_numpy()
    frame, lines = frame.loc[keep].reset_index(drop=True), lines[keep]
    if frame.empty:
        raise FileProblemError(f"{name} has a header but no rows of data.")
    return frame, lines


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblemError(
            f"{name} could not be opened as an Excel workbook ({exc}); save it again as .xlsx."
        ) from None
    try:
        sheets = tuple(book.sheetnames)
        rows_by_sheet = {}
        chosen = sheet
        if sheet is not None and sheet not in sheets:
            raise FileProblemError(f"{name} has no sheet {sheet!r}; its sheets are {', '.join(map(repr, sheets))}.")
        for title in [sheet] if sheet is not None else sheets:
            rows = [list(r) for r in book[title].iter_rows(values_only=True)]
            if any(any(v not in (None, "") for v in r) for r in rows):
                rows_by_sheet[title] = rows
                if chosen is None:
                    chosen = title
                    break
    finally:
        book.close()
    if chosen is None or chosen not in rows_by_sheet:
        raise FileProblemError(
            f"{name}: no sheet holds any data." if sheet is None else f"{name}: sheet {sheet!r} is empty."
        )
    rows = rows_by_sheet[chosen]
    notes = []
    if len(sheets) > 1:
        others = ", ".join(repr(s) for s in sheets if s != chosen)
        notes.append(
            f"The workbook has {len(sheets)} sheets; read {chosen!r} (others: {others}). "
            "Choose another sheet if needed."
        )
    first = next(i for i, r in enumerate(rows) if any(v not in (None, "") for v in r))
    header = [_cell(v) for v in rows[first]]
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    header = header[:width]
    body = [[_cell(v) for v in r[:width]] + [""] * (width - len(r)) for r in rows[first + 1 :]]
    frame = pd.DataFrame(body, columns=_unique(header), dtype=str) if body else pd.DataFrame(columns=_unique(header))
    lines = np.arange(len(body)) + first + 2
    frame, lines = _tidy(frame, lines, name)
    return RawTable(
        frame=frame, lines=lines, source=f"Excel, sheet {chosen!r}", sheets=sheets, sheet=chosen, notes=notes
    )


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n or f"column {i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n} ({seen[n]})"
        else:
            seen[n] = 1
        out.append(n)
    return out
