"""Reading a user's file into a table of text: CSV (delimiter and encoding detected) or Excel.

Nothing is interpreted here beyond finding the header and the cells: every cell stays text
so that the parsing step can say, line by line, what it could not read. Line numbers are the
file's own (the header is line 1 of a CSV; Excel rows are numbered as the sheet shows them).
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .encoding import decode
from .layout import WHITESPACE, Layout, content_names, find_layout, split
from .limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_FILE_TEXT,
    MAX_ROWS,
    MAX_XLSX_PARTS,
    Deadline,
    FileProblemError,
    ReadLimitError,
    ReadTimeLimitError,
)
from .xlsx import Workbook, WorkbookError, check_listing

_XLSX_MAGIC = b"PK\x03\x04"
_SNIFF_BYTES = 64 * 1024
_HEADER_BYTES = 1024 * 1024
_CSV_CHUNK_ROWS = 100_000


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
    encoding : str or None
        A CSV's codec (:data:`~simulation.portfolio.encoding.ENCODINGS`), None for a workbook.
    """

    frame: pd.DataFrame
    lines: object
    source: str
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)


def check_size(size_bytes: int, name: str = "the file") -> None:
    """Refuse a file larger than :data:`~simulation.portfolio.limits.MAX_FILE_BYTES`, saying both sizes exactly."""
    if size_bytes > MAX_FILE_BYTES:
        raise ReadLimitError(
            f"{name} is {size_bytes:,} bytes, {size_bytes - MAX_FILE_BYTES:,} bytes over the limit of "
            f"{MAX_FILE_BYTES:,} bytes ({MAX_FILE_TEXT}). "
            "Export only the columns needed (customer id, revenue, dates, potential) or split the file."
        )


def read_path(path: str | Path, sheet: str | None = None, encoding: str | None = None) -> RawTable:
    """Read a CSV or .xlsx file from disk: a regular file only, and at most the limit plus one byte of it."""
    from ..io.files import FileReadError, read_limited

    path = Path(path)
    try:
        data = read_limited(path, MAX_FILE_BYTES, "a CSV or .xlsx file")
    except FileReadError as exc:
        if exc.too_large and exc.size is not None:
            check_size(exc.size, path.name)
        if exc.too_large:
            raise ReadLimitError(
                f"{path.name} holds more than the limit of {MAX_FILE_BYTES:,} bytes ({MAX_FILE_TEXT}). "
                "Export only the columns needed (customer id, revenue, dates, potential) or split the file."
            ) from None
        raise FileProblemError(str(exc)) from None
    return read_upload_bounded(data, path.name, sheet=sheet, encoding=encoding)


def read_upload_bounded(
    data: bytes, name: str, sheet: str | None = None, *, seconds: float | None = None, encoding: str | None = None
) -> RawTable:
    """Read an uploaded file's bytes within the limits of :mod:`simulation.portfolio.limits`.

    The one entry point for uploads (the page and the command line): the size is checked first,
    a CSV's header and line count and a workbook's zip listing before any cell is parsed, and the
    time budget while reading, so a hostile file costs a bounded amount of memory and time and
    ends in an :class:`~simulation.errors.InputError` that says which limit it reached.

    Parameters
    ----------
    data : bytes
        The file's contents.
    name : str
        The file's name (only used in messages and to recognise .xlsx).
    sheet : str, optional
        The workbook sheet to read; by default the first sheet with data.
    seconds : float, optional
        The time budget; by default :func:`~simulation.portfolio.limits.read_seconds` of the size.
    encoding : str, optional
        A CSV's encoding, one of :data:`~simulation.portfolio.encoding.ENCODINGS`; by default
        detected (:func:`~simulation.portfolio.encoding.decode`).

    Raises
    ------
    FileProblemError
        Empty, binary, damaged, or with no header: the message says which.
    ReadLimitError
        Beyond a limit on bytes, columns, rows, cells, workbook parts or time: the message names it.
    """
    check_size(len(data), name)
    deadline = Deadline(seconds, name) if seconds is not None else Deadline.for_size(len(data), name)
    if not data.strip():
        raise FileProblemError(f"{name} is empty: it needs a header row and at least one row of data.")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, name, sheet, deadline)
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblemError(f"{name} is named as an Excel workbook but is not one; save it again as .xlsx or CSV.")
    if name.lower().endswith(".xls"):
        raise FileProblemError(f"{name} is an old-style Excel file (.xls); save it as .xlsx or CSV.")
    utf8, codec, encoding_words, notes = decode(data, name, deadline, encoding)
    table = _read_csv(utf8, encoding_words, name, deadline, notes)
    return replace(table, encoding=codec)


def _header_width(utf8: bytes, layout: Layout, name: str) -> int:
    """Columns in the header, counted on at most its first MB, refused beyond MAX_COLUMNS."""
    offset = 0
    for _ in range(layout.skip):
        offset = utf8.index(b"\n", offset) + 1
    prefix = utf8[offset : offset + _HEADER_BYTES].decode("utf-8", errors="ignore")
    complete = len(utf8) - offset <= _HEADER_BYTES or "\n" in prefix
    header = (split([prefix.partition("\n")[0]], layout.delimiter) or [[]])[0]
    if len(header) > MAX_COLUMNS:
        at_least = "" if complete else "at least "
        raise ReadLimitError(
            f"{name} has {at_least}{len(header):,} columns; at most {MAX_COLUMNS} are read. "
            "Export only the columns needed (customer id, revenue, dates, potential)."
        )
    if not complete:
        raise FileProblemError(
            f"{name}: the first line is longer than 1 MB, which no header of {MAX_COLUMNS} columns is."
        )
    return len(header)


def _layout(utf8: bytes) -> tuple[Layout, list[str]]:
    """The table's layout from its first 64 KB, and those lines (the last one dropped if cut)."""
    sample = utf8[:_SNIFF_BYTES].decode("utf-8", errors="ignore").split("\n")
    if len(utf8) > _SNIFF_BYTES and len(sample) > 1:
        sample = sample[:-1]  # the last line of the sample may be cut
    lines = [line + "\n" for line in sample]
    return find_layout(lines), lines


def _read_csv(utf8: bytes, encoding: str, name: str, deadline: Deadline, notes: list[str]) -> RawTable:
    layout, sample = _layout(utf8)
    columns = _header_width(utf8, layout, name)
    lines = utf8.count(b"\n") + (not utf8.endswith(b"\n")) - layout.skip
    header_lines = 1 if layout.has_header else 0
    if lines - header_lines > MAX_ROWS:
        raise ReadLimitError(f"{name} has {lines - 1:,} lines after its header; at most {MAX_ROWS:,} rows are read.")
    if (lines - header_lines) * columns > MAX_CELLS:
        raise ReadLimitError(
            f"{name} has {lines - 1:,} lines of {columns} columns, {(lines - 1) * columns:,} cells; at most "
            f"{MAX_CELLS:,} are read. Export only the columns needed."
        )
    notes = list(notes)
    if layout.titles:
        shown = " / ".join(t[:60] for t in layout.titles[:3])
        notes.append(
            f"The header is on line {layout.skip + 1:,}: the {len(layout.titles)} line(s) above it look like a title "
            f"and were skipped ({shown})."
        )
    names = None
    if not layout.has_header:
        rows = [r for r in split(sample[layout.skip : layout.skip + 200], layout.delimiter) if r]
        names, sentence = content_names([[r[i] if i < len(r) else "" for r in rows] for i in range(columns)])
        notes.append(sentence)
    deadline.check()
    try:
        chunks = []
        # index_col=False: a first row longer than the header must not become the index; pandas
        # warns instead of refusing it, and the warning is made an error here
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                io.BytesIO(utf8),
                sep=r"\s+" if layout.delimiter == WHITESPACE else layout.delimiter,
                header=0 if layout.has_header else None,
                names=names,
                skiprows=layout.skip,
                dtype=str,
                index_col=False,
                keep_default_na=False,
                skip_blank_lines=False,
                on_bad_lines="error",
                engine="c",
                encoding="utf-8",
                chunksize=_CSV_CHUNK_ROWS,
            )
            with reader:
                for chunk in reader:
                    chunks.append(chunk)
                    deadline.check()
        frame = pd.concat(chunks) if len(chunks) > 1 else chunks[0]
    except pd.errors.ParserWarning:
        raise FileProblemError(
            f"{name}: the rows do not line up with the header (the first row of data has more fields than the "
            f"header's {columns})."
        ) from None
    except pd.errors.ParserError as exc:
        raise FileProblemError(f"{name}: the rows do not line up with the header ({_parser_message(exc)}).") from None
    except (pd.errors.EmptyDataError, IndexError):
        raise FileProblemError(f"{name} is empty: it needs a header row and at least one row of data.") from None
    if len(frame.columns) > MAX_COLUMNS:
        raise ReadLimitError(f"{name} has {len(frame.columns):,} columns; at most {MAX_COLUMNS} are read.")
    numbers = frame.index.to_numpy() + 1 + header_lines + layout.skip
    frame, numbers = _tidy(frame, np.asarray(numbers), name)
    source = f"CSV, delimiter {layout.shown}, encoding {encoding}"
    return RawTable(frame=frame, lines=numbers, source=source, notes=notes)


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


def _read_xlsx(data: bytes, name: str, sheet: str | None, deadline: Deadline) -> RawTable:
    if data.count(b"PK\x01\x02") > MAX_XLSX_PARTS:  # the zip's listing, counted before it is parsed
        raise ReadLimitError(f"{name} holds more than {MAX_XLSX_PARTS:,} parts; a workbook may hold at most that many.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise FileProblemError(
            f"{name} could not be opened as an Excel workbook ({exc}); save it again as .xlsx."
        ) from None
    try:
        with archive:
            check_listing(archive, len(data))
            book = Workbook(archive, deadline)
            sheets = tuple(title for title, _ in book.sheets)
            if sheet is not None and sheet not in sheets:
                raise FileProblemError(f"{name} has no sheet {sheet!r}; its sheets are {', '.join(map(repr, sheets))}.")
            found = None
            for index, title in enumerate(sheets):
                if sheet is not None and title != sheet:
                    continue
                read = book.read_sheet(index)
                if read.header:
                    found = read
                    break
    except ReadTimeLimitError:
        raise
    except ReadLimitError as exc:
        raise ReadLimitError(f"{name} {exc}.") from None
    except WorkbookError as exc:
        raise FileProblemError(
            f"{name} could not be read as an Excel workbook: {exc}. Save it again as .xlsx or CSV."
        ) from None
    if found is None:
        raise FileProblemError(
            f"{name}: no sheet holds any data." if sheet is None else f"{name}: sheet {sheet!r} is empty."
        )
    chosen = found.name
    notes = []
    if len(sheets) > 1:
        others = ", ".join(repr(s) for s in sheets if s != chosen)
        notes.append(
            f"The workbook has {len(sheets)} sheets; read {chosen!r} (others: {others}). "
            "Choose another sheet if needed."
        )
    if found.titles:
        shown = " / ".join(text[:60] for _, text in found.titles[:3])
        notes.append(
            f"The header is on row {found.header_row:,} of sheet {chosen!r}: the {len(found.titles)} row(s) "
            f"above it look like a title and were skipped ({shown})."
        )
    names = _unique(found.header)
    if found.lines:
        frame = pd.DataFrame(dict(zip(names, found.columns, strict=True)))
    else:
        frame = pd.DataFrame(columns=names)
    lines = np.array(found.lines, dtype=np.int64)
    frame, lines = _tidy(frame, lines, name)
    return RawTable(
        frame=frame, lines=lines, source=f"Excel, sheet {chosen!r}", sheets=sheets, sheet=chosen, notes=notes
    )


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
