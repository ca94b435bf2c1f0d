"""Reading a user's file into a table of text: CSV (delimiter and encoding detected) or Excel.

Nothing is interpreted here beyond finding the header and the cells: every cell stays text
so that the parsing step can say, line by line, what it could not read. Line numbers are the
file's own (the header is line 1 of a CSV; Excel rows are numbered as the sheet shows them).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

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

DELIMITERS = ",;\t|"
_XLSX_MAGIC = b"PK\x03\x04"
_SNIFF_BYTES = 64 * 1024
_HEADER_BYTES = 1024 * 1024
_CSV_CHUNK_ROWS = 100_000
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


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
    """Refuse a file larger than :data:`~simulation.portfolio.limits.MAX_FILE_BYTES`, saying both sizes exactly."""
    if size_bytes > MAX_FILE_BYTES:
        raise ReadLimitError(
            f"{name} is {size_bytes:,} bytes, {size_bytes - MAX_FILE_BYTES:,} bytes over the limit of "
            f"{MAX_FILE_BYTES:,} bytes ({MAX_FILE_TEXT}). "
            "Export only the columns needed (customer id, revenue, dates, potential) or split the file."
        )


def read_path(path: str | Path, sheet: str | None = None) -> RawTable:
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
    return read_upload_bounded(data, path.name, sheet=sheet)


def read_upload_bounded(data: bytes, name: str, sheet: str | None = None, *, seconds: float | None = None) -> RawTable:
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
    utf8, encoding, notes = _decode(data, name, deadline)
    return _read_csv(utf8, encoding, name, deadline, notes)




def _binary(name: str) -> FileProblemError:
    return FileProblemError(f"{name} is not a text table (it contains binary data); export the data as CSV or .xlsx.")


def _decode(data: bytes, name: str, deadline: Deadline) -> tuple[bytes, str, list[str]]:
    """The file as UTF-8 bytes (no byte-order mark), the encoding in words, and notes about it.

    UTF-16 needs its byte-order mark. Otherwise a file that is valid UTF-8 is UTF-8; a file with
    no UTF-8 sequence at all is Windows-1252; a file with both is read line by line, each line as
    UTF-8 where it is valid and as Windows-1252 where not, and the lines read so are listed.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileProblemError(
                f"{name} starts as UTF-16 text but byte {exc.start + 1:,} is not UTF-16; save it as UTF-8 CSV."
            ) from None
        _check_text(text[:_SNIFF_BYTES], name)
        return text.lstrip("\ufeff").encode("utf-8"), "UTF-16", []
    head = data[:_SNIFF_BYTES]
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if b"\x00" in head or controls > max(2, len(head) // 100):
        raise _binary(name)
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return body, "UTF-8" + (" with BOM" if bom else ""), []
    if not bom and not _UTF8_MULTIBYTE.search(data):
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _not_text(name, data, exc.start) from None
        _check_text(text[:_SNIFF_BYTES], name)
        return text.encode("utf-8"), "Windows-1252", []
    return _decode_mixed(body, name, deadline)


def _decode_mixed(body: bytes, name: str, deadline: Deadline) -> tuple[bytes, str, list[str]]:
    pieces, legacy = [], []
    for number, line in enumerate(body.split(b"\n"), 1):
        try:
            pieces.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                pieces.append(line.decode("cp1252"))
            except UnicodeDecodeError as exc:
                raise FileProblemError(
                    f"{name}: line {number:,} is neither UTF-8 nor Windows-1252 text (byte 0x{line[exc.start]:02x} "
                    f"at position {exc.start + 1:,}); save the file as UTF-8 CSV."
                ) from None
            legacy.append(number)
        if number % 100_000 == 0:
            deadline.check()
    text = "\n".join(pieces)
    _check_text(text[:_SNIFF_BYTES], name)
    shown = ", ".join(f"{n:,}" for n in legacy[:8]) + (", ..." if len(legacy) > 8 else "")
    note = (
        f"{name} mixes encodings: {len(legacy):,} line(s) are not UTF-8 and were read as Windows-1252 "
        f"(line {shown}); check their accented letters, and save the file as UTF-8 to be sure."
    )
    return text.encode("utf-8"), f"UTF-8 ({len(legacy):,} line(s) Windows-1252)", [note]


def _not_text(name: str, data: bytes, position: int) -> FileProblemError:
    line = data.count(b"\n", 0, position) + 1
    return FileProblemError(
        f"{name}: line {line:,} holds byte 0x{data[position]:02x}, which is neither UTF-8 nor Windows-1252 text; "
        "save the file as UTF-8 CSV."
    )


def _check_text(sample: str, name: str) -> None:
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > max(10, len(sample) // 100):
        raise _binary(name)


def _delimiter(lines: list[str]) -> str:
    """The delimiter under which the first lines have the most consistent number of columns (two or more).

    Each candidate is tried with the csv module on at most the first 50 lines of the first
    64 KB (linear in their length), never with ``csv.Sniffer``, whose guessing can take minutes
    on a crafted line. Ties go to the order of :data:`DELIMITERS`.
    """
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter, quotechar='"'))
        except csv.Error:
            continue
        widths = [len(r) for r in rows if any(cell.strip() for cell in r)]
        if not widths:
            continue
        header = widths[0]
        score = (header > 1, sum(w == header for w in widths) / len(widths), header)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header_width(utf8: bytes, delimiter: str, name: str) -> int:
    """Columns in the header, counted on at most its first MB, refused beyond MAX_COLUMNS."""
    prefix = utf8[:_HEADER_BYTES].decode("utf-8", errors="ignore")
    complete = len(utf8) <= _HEADER_BYTES or "\n" in prefix
    try:
        header = next(csv.reader(io.StringIO(prefix), delimiter=delimiter, quotechar='"'), [])
    except csv.Error:
        header = prefix.partition("\n")[0].split(delimiter)
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


def _read_csv(utf8: bytes, encoding: str, name: str, deadline: Deadline, notes: list[str]) -> RawTable:
    sample = utf8[:_SNIFF_BYTES].decode("utf-8", errors="ignore").splitlines(keepends=True)
    if len(utf8) > _SNIFF_BYTES and len(sample) > 1:
        sample = sample[:-1]  # the last line of the sample may be cut
    delimiter = _delimiter(sample[:50])
    columns = _header_width(utf8, delimiter, name)
    lines = utf8.count(b"\n") + (not utf8.endswith(b"\n"))
    if lines - 1 > MAX_ROWS:
        raise ReadLimitError(f"{name} has {lines - 1:,} lines after its header; at most {MAX_ROWS:,} rows are read.")
    if (lines - 1) * columns > MAX_CELLS:
        raise ReadLimitError(
            f"{name} has {lines - 1:,} lines of {columns} columns, {(lines - 1) * columns:,} cells; at most "
            f"{MAX_CELLS:,} are read. Export only the columns needed."
        )
    deadline.check()
    try:
        chunks = []
        # index_col=False: a first row longer than the header must not become the index; pandas
        # warns instead of refusing it, and the warning is made an error here
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                io.BytesIO(utf8),
                sep=delimiter,
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
    lines = frame.index.to_numpy() + 2
    frame, lines = _tidy(frame, lines, name)
    shown = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}[delimiter]
    return RawTable(frame=frame, lines=lines, source=f"CSV, delimiter {shown}, encoding {encoding}", notes=notes)


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
