"""Reading one sheet of an .xlsx workbook as text cells, bounded in memory and time.

A workbook is a zip of XML parts. Before anything is parsed, the zip's own listing is checked:
the number of parts, their unpacked sizes and the shared-string part's size
(:mod:`simulation.portfolio.limits`); Python's zipfile never unpacks more than a part's listed
size, so the listing bounds the work. Each part is then parsed a megabyte at a time by expat
with handlers that keep only what the table needs: no tree is built, a document type
declaration (and with it every entity, internal or external) is refused, and the time budget is
checked between chunks. Only cells that hold a value are kept, with their row numbers, so a cell
at XFD1048576 costs one cell, not a billion empty ones; a value beyond
:data:`~simulation.portfolio.limits.MAX_COLUMNS` columns, more than
:data:`~simulation.portfolio.limits.MAX_ROWS` rows or :data:`~simulation.portfolio.limits.MAX_CELLS`
cells stop the read with a message.

Cells come back as the text a person sees: numbers in short form, dates (cells whose number
format is a date) as ``YYYY-MM-DD``, error values such as ``#DIV/0!`` as written, so the
parsing step can say, line by line, what it could not read.
"""

from __future__ import annotations

import contextlib
import math
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

import pandas as pd
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from ..errors import InputError
from .layout import TITLE_ROWS
from .limits import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_SHEETS,
    MAX_STYLES,
    MAX_XLSX_PARTS,
    MAX_XLSX_UNPACKED_BYTES,
    XML_CHUNK_BYTES,
    Deadline,
    ReadLimitError,
    describe_bytes,
)

_CHUNK_ROWS = 50_000
EXCEL_COLUMNS = 16_384
EXCEL_ROWS = 1_048_576
_LETTERS = re.compile(r"[A-Z]{1,3}")


class WorkbookError(ValueError):
    """A workbook that cannot be read; the reader turns it into a message naming the file."""


@dataclass
class Sheet:
    """One sheet's table: its header (the first row holding a value), then one list of text per
    header column and the sheet's row number of each row after the header that holds a value."""

    name: str
    header: list[str]
    columns: list[pd.Series]
    lines: list[int]
    titles: tuple[tuple[int, str], ...] = ()
    header_row: int = 1


def column_letters(number: int) -> str:
    """``1`` -> ``A``, ``16384`` -> ``XFD``."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attr(attrs: dict, name: str, default=None):
    """An attribute by its local name, whatever its namespace (transitional or strict OOXML)."""
    if name in attrs:
        return attrs[name]
    for key, value in attrs.items():
        if key.rpartition("}")[2] == name:
            return value
    return default


class _DoctypeError(WorkbookError):
    pass


def _refuse_dtd(*_args):
    raise _DoctypeError("declares a document type (with entities), which Excel never writes")


def check_listing(archive: zipfile.ZipFile, data_size: int) -> None:
    """Refuse a workbook whose zip listing promises more than the limits, before anything is unpacked."""
    infos = archive.infolist()
    if len(infos) > MAX_XLSX_PARTS:
        raise ReadLimitError(f"holds {len(infos):,} parts; a workbook may hold at most {MAX_XLSX_PARTS:,}")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ReadLimitError(
            f"unpacks to {describe_bytes(unpacked)} from {describe_bytes(data_size)}; a workbook may unpack to at "
            f"most {describe_bytes(MAX_XLSX_UNPACKED_BYTES)}. Save only the sheet and columns needed, or as CSV"
        )


class Workbook:
    """An opened workbook: its sheets' names and paths, its date styles, and a reader for one sheet."""

    def __init__(self, archive: zipfile.ZipFile, deadline: Deadline):
        self.archive = archive
        self.deadline = deadline
        self.names = {i.filename for i in archive.infolist()}
        book = self._office_document()
        rels = self._relationships(book)
        self.sheets: list[tuple[str, str]] = []
        self.date1904 = False
        self._parse(book, self._workbook_handlers(rels))
        self.date_styles = self._date_styles(rels.get("styles"))
        self.shared = self._shared_strings(rels.get("sharedStrings"))

    # the parts -------------------------------------------------------------------------------
    def _office_document(self) -> str:
        found = {}

        def start(tag, attrs):
            if _local(tag) == "Relationship" and _attr(attrs, "Type", "").endswith("/officeDocument"):
                found.setdefault("target", _attr(attrs, "Target", ""))

        if "_rels/.rels" in self.names:
            self._parse("_rels/.rels", (start, None, None))
        target = found.get("target", "xl/workbook.xml").lstrip("/")
        if target not in self.names:
            raise WorkbookError("it has no workbook part")
        return target

    def _relationships(self, part: str) -> dict:
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        found: dict[str, str] = {}

        def start(tag, attrs):
            if _local(tag) != "Relationship" or len(found) > MAX_SHEETS + 10:
                return
            target = _attr(attrs, "Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[_attr(attrs, "Id", "")] = path
            kind = _attr(attrs, "Type", "").rpartition("/")[2]
            if kind in ("styles", "sharedStrings"):
                found.setdefault(kind, path)

        if rels_part in self.names:
            self._parse(rels_part, (start, None, None))
        return found

    def _workbook_handlers(self, rels: dict):
        def start(tag, attrs):
            name = _local(tag)
            if name == "sheet":
                if len(self.sheets) >= MAX_SHEETS:
                    raise ReadLimitError(f"has more than {MAX_SHEETS:,} sheets")
                self.sheets.append((_attr(attrs, "name", f"Sheet{len(self.sheets) + 1}"), rels.get(_attr(attrs, "id"))))
            elif name == "workbookPr":
                self.date1904 = _attr(attrs, "date1904", "0").lower() in ("1", "true")

        return start, None, None

    def _date_styles(self, part: str | None) -> set[int]:
        formats = dict(BUILTIN_FORMATS)
        cell_formats: list[int] = []
        state = {"xfs": False}

        def start(tag, attrs):
            name = _local(tag)
            if name == "numFmt" and len(formats) < MAX_STYLES:
                with contextlib.suppress(ValueError):
                    formats[int(_attr(attrs, "numFmtId", "-1"))] = _attr(attrs, "formatCode", "")
            elif name == "cellXfs":
                state["xfs"] = True
            elif name == "xf" and state["xfs"]:
                if len(cell_formats) >= MAX_STYLES:
                    raise ReadLimitError(f"has more than {MAX_STYLES:,} cell formats")
                try:
                    cell_formats.append(int(_attr(attrs, "numFmtId", "0")))
                except ValueError:
                    cell_formats.append(0)

        def end(tag):
            if _local(tag) == "cellXfs":
                state["xfs"] = False

        if part and part in self.names:
            self._parse(part, (start, end, None))
        return {i for i, f in enumerate(cell_formats) if f in formats and is_date_format(formats[f])}

    def _shared_strings(self, part: str | None) -> list[str]:
        if not part or part not in self.names:
            return []
        size = self.archive.getinfo(part).file_size
        if size > MAX_SHARED_STRINGS_BYTES:
            raise ReadLimitError(
                f"has a shared-string table of {describe_bytes(size)}; at most "
                f"{describe_bytes(MAX_SHARED_STRINGS_BYTES)} is read. Save only the sheet and columns needed, or as CSV"
            )
        strings: list[str] = []
        text = _Text()

        def start(tag, attrs):
            name = _local(tag)
            if name == "si":
                text.reset()
            elif name == "rPh":
                text.phonetic = True
            elif name == "t" and not text.phonetic:
                text.collecting = True

        def end(tag):
            name = _local(tag)
            if name == "si":
                strings.append(text.value().strip())
            elif name == "rPh":
                text.phonetic = False
            elif name == "t":
                text.collecting = False

        self._parse(part, (start, end, text.data))
        return strings

    def read_sheet(self, index: int) -> Sheet:
        """The cells of sheet ``index`` (0-based) that hold a value."""
        name, part = self.sheets[index]
        if not part or part not in self.names:
            raise WorkbookError(f"sheet {name!r} has no worksheet part")
        reader = _SheetReader(
            self.shared, self.date_styles, CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        )
        self._parse(part, (reader.start, reader.end, reader.data))
        header = reader.header or {}
        width = len(reader.columns)
        return Sheet(
            name,
            [header.get(c, "") for c in range(1, width + 1)],
            reader.table(),
            reader.lines,
            tuple(reader.titles),
            reader.header_row,
        )

    # parsing ---------------------------------------------------------------------------------
    def _parse(self, part: str, handlers) -> None:
        start, end, data = handlers
        parser = expat.ParserCreate(namespace_separator="}")
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.ExternalEntityRefHandler = _refuse_dtd
        parser.buffer_text = True
        parser.buffer_size = 64 * 1024
        if start:
            parser.StartElementHandler = start
        if end:
            parser.EndElementHandler = end
        if data:
            parser.CharacterDataHandler = data
        try:
            with self.archive.open(part) as stream:
                while chunk := stream.read(XML_CHUNK_BYTES):
                    parser.Parse(chunk, False)
                    self.deadline.check()
                parser.Parse(b"", True)
        except _DoctypeError as exc:
            raise WorkbookError(f"its part {part} {exc}") from None
        except (WorkbookError, InputError):
            raise
        except expat.ExpatError as exc:
            raise WorkbookError(f"its part {part} is not well-formed XML ({expat.errors.messages[exc.code]})") from None
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,
            RuntimeError,
            ValueError,
            OSError,
        ) as exc:
            # a damaged zip: zipfile raises these (a negative seek from a wrong directory offset is a ValueError)
            raise WorkbookError(f"its part {part} cannot be unpacked ({exc})") from None


class _Text:
    """Text of the current string or cell, kept only while inside a value and at most MAX_CELL_CHARS long."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.parts: list[str] = []
        self.length = 0
        self.collecting = False
        self.phonetic = False
        self.seen = False

    def data(self, chunk: str) -> None:
        if not self.collecting:
            return
        self.seen = True
        self.length += len(chunk)
        if self.length > MAX_CELL_CHARS:
            raise ReadLimitError(f"a cell or string holds more than {MAX_CELL_CHARS:,} characters (Excel's own limit)")
        self.parts.append(chunk)

    def value(self) -> str:
        return "".join(self.parts)


class _SheetReader:
    """expat handlers that keep the sheet's cells holding a value, checking the limits as they come.

    The first row holding a value is the header, unless it has at most half the cells of the row
    after it (a title above the table: up to :data:`~simulation.portfolio.layout.TITLE_ROWS` of
    them are skipped); the rows after it are kept column by column
    (one list per header column), the cells beyond the header's last column dropped.
    Cell attributes (``r``, ``t``, ``s``) have no namespace, so they are read directly.
    """

    def __init__(self, shared: list[str], date_styles: set[int], epoch):
        self.shared, self.date_styles, self.epoch = shared, date_styles, epoch
        self.header: dict[int, str] | None = None
        self.header_row = 0
        self.titles: list[tuple[int, str]] = []  # (sheet row, text) of the title rows above the header
        self.columns: list[list[str]] = []
        self.done: list[list[pd.Series]] = []  # columns converted to compact strings every _CHUNK_ROWS rows
        self.lines: list[int] = []
        self.row_number = 0
        self.row: dict[int, str] | None = None
        self.column = 0
        self.cells = 0
        self.cell = ("", "n", 0)
        self.value: str | None = None  # the current cell's text, None until it has some
        self.collecting = False
        self.phonetic = False
        self._names: dict[str, str] = {}
        self._column_of: dict[str, int] = {}

    def _name(self, tag: str) -> str:
        name = self._names[tag] = _local(tag)
        return name

    def start(self, tag, attrs):
        name = self._names.get(tag) or self._name(tag)
        if name == "c":
            if self.row is None:
                return
            ref = attrs.get("r")
            if ref is None:
                self.column += 1
                if self.column > EXCEL_COLUMNS:
                    raise WorkbookError(f"row {self.row_number} has more cells than a sheet has columns")
            else:
                letters = ref.rstrip("0123456789")
                column = self._column_of.get(letters)
                if column is None:
                    if not _LETTERS.fullmatch(letters) or _column_number(letters) > EXCEL_COLUMNS:
                        raise WorkbookError(f"it has a cell {ref[:20]!r}, which is not a cell of a sheet")
                    column = self._column_of[letters] = _column_number(letters)
                self.column = column
            style = attrs.get("s")
            self.cell = (ref, attrs.get("t", "n"), int(style) if style and style.isdigit() else 0)
            self.value = None
            self.phonetic = False
        elif name == "v" or (name == "t" and not self.phonetic):
            self.collecting = True
        elif name == "row":
            r = attrs.get("r")
            if r is None:
                self.row_number += 1
            elif r.isdigit() and 0 < int(r) <= EXCEL_ROWS:
                self.row_number = int(r)
            else:
                raise WorkbookError(f"it numbers a row {r[:20]!r}, which is not a row of a sheet")
            self.row, self.column = {}, 0
        elif name == "rPh":
            self.phonetic = True

    def data(self, text: str) -> None:
        if self.collecting:
            self.value = text if self.value is None else self.value + text
            if len(self.value) > MAX_CELL_CHARS:
                raise ReadLimitError(f"a cell holds more than {MAX_CELL_CHARS:,} characters (Excel's own limit)")

    def end(self, tag):
        name = self._names.get(tag) or self._name(tag)
        if name == "v" or name == "t":
            self.collecting = False
        elif name == "c":
            if self.value is not None and self.row is not None:
                value = self._value(self.value)
                if value:
                    self._keep(value)
        elif name == "row":
            if self.row:
                self._row_done(self.row)
            self.row = None
        elif name == "rPh":
            self.phonetic = False

    def _row_done(self, row: dict[int, str]) -> None:
        title = (
            self.header is not None
            and not self.lines
            and len(self.titles) < TITLE_ROWS
            and 2 * len(self.header) <= len(row)
        )
        if title:  # the row taken for the header has at most half the cells of the next: a title above the table
            self.titles.append((self.header_row, " ".join(self.header[c] for c in sorted(self.header))))
            self.header = None
        if self.header is None:
            self.header, self.header_row = row, self.row_number
            self.columns = [[] for _ in range(max(row))]
            self.done = [[] for _ in self.columns]
            return
        if len(self.lines) >= MAX_ROWS:
            raise ReadLimitError(f"has more than {MAX_ROWS:,} rows of data; at most {MAX_ROWS:,} are read")
        self.lines.append(self.row_number)
        for column, values in enumerate(self.columns, 1):
            values.append(row.get(column, ""))
        if len(self.columns[0]) >= _CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        """Move the rows kept as Python strings into compact string columns."""
        for values, done in zip(self.columns, self.done, strict=True):
            if values:
                done.append(pd.Series(values, dtype=str))
                values.clear()

    def table(self) -> list[pd.Series]:
        self.flush()
        return [pd.concat(done, ignore_index=True) if done else pd.Series([], dtype=str) for done in self.done]

    def _keep(self, value: str) -> None:
        if self.column > MAX_COLUMNS:
            where = self.cell[0] or f"{column_letters(self.column)}{self.row_number}"
            raise ReadLimitError(
                f"has a value in cell {where}, beyond the {MAX_COLUMNS} columns read (A to "
                f"{column_letters(MAX_COLUMNS)}); delete the columns not needed"
            )
        self.cells += 1
        if self.cells > MAX_CELLS:
            raise ReadLimitError(f"has more than {MAX_CELLS:,} cells holding values; at most {MAX_CELLS:,} are read")
        self.row[self.column] = value

    def _value(self, text: str) -> str:
        ref, kind, style = self.cell
        if kind == "n":
            if text.isdigit() and len(text) < 16 and style not in self.date_styles:
                return text
            try:
                number = float(text)
            except ValueError:
                return text.strip()  # an error value such as #DIV/0! written without its type
            if not math.isfinite(number):
                return text.strip()
            if style in self.date_styles:
                return _date_text(number, self.epoch)
            return _number_text(number)
        if kind == "s":
            try:
                return self.shared[int(text)]
            except (ValueError, IndexError):
                raise WorkbookError(
                    f"cell {ref or self.row_number} refers to shared string {text[:20]!r}, which it does not hold"
                ) from None
        if kind == "b":
            return {"1": "True", "0": "False"}.get(text.strip(), text.strip())
        if kind == "d":
            text = text.strip()
            return text[:10] if text.endswith("T00:00:00") else text
        return text.strip()  # inlineStr, str (a formula's text), e (an error value)


def _date_text(number: float, epoch) -> str:
    try:
        stamp = from_excel(number, epoch)
    except (OverflowError, ValueError):
        return _number_text(number)
    if not hasattr(stamp, "isoformat"):
        return _number_text(number)
    iso = stamp.isoformat()
    return iso[:10] if iso.endswith("T00:00:00") else iso


def _number_text(number: float) -> str:
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return repr(number)
