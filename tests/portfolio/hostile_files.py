"""Builders of hostile and awkward uploads (issue 23), written with zipfile into a folder the caller gives.

Each builder returns the path of the file it wrote. The workbooks are minimal but complete
(content types, relationships, a workbook and one sheet), so a reader that opens real .xlsx
files opens these the same way; only the part named in the builder's docstring is hostile.
Sizes are parameters, so a test can build a small copy of a bomb just over a limit and the
measurement script the full-size one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

HEADER = ("customer_id", "revenue", "tenure", "status")


def _content_types(strings: bool, styles: bool) -> str:
    parts = [
        f'<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>',
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>',
    ]
    if strings:
        parts.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>')
    if styles:
        parts.append(f'<Override PartName="/xl/styles.xml" ContentType="{STYLES_TYPE}"/>')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(parts) + "</Types>"
    )


def _book_rels(strings: bool, styles: bool) -> str:
    rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>']
    if strings:
        rels.append(f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
    if styles:
        rels.append(f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">' + "".join(rels) + "</Relationships>"
    )


def inline(ref: str, text: str) -> str:
    """A cell holding ``text`` as an inline string."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row(names=HEADER) -> str:
    return '<row r="1">' + "".join(inline(f"{chr(65 + i)}1", n) for i, n in enumerate(names)) + "</row>"


def sheet(rows: str, prolog: str = "", dimension: str | None = None) -> str:
    """A worksheet whose ``sheetData`` holds ``rows`` (``<row>`` elements), after an optional DTD."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">{dim}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def write_xlsx(path, sheet_xml, strings_xml=None, styles_xml: str | None = None):
    """A one-sheet workbook written to ``path`` (a path or a binary file object, returned).

    ``sheet_xml`` and ``strings_xml`` may be text or an iterable of text chunks.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _content_types(strings_xml is not None, styles_xml is not None))
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr("xl/_rels/workbook.xml.rels", _book_rels(strings_xml is not None, styles_xml is not None))
        if styles_xml is not None:
            z.writestr("xl/styles.xml", styles_xml)
        for name, content in (("xl/worksheets/sheet1.xml", sheet_xml), ("xl/sharedStrings.xml", strings_xml)):
            if content is None:
                continue
            if isinstance(content, str):
                z.writestr(name, content)
            else:
                with z.open(name, "w", force_zip64=True) as out:
                    for chunk in content:
                        out.write(chunk.encode())
    return path


def far_corners(folder: Path) -> Path:
    """Two inline cells at XFD1 and XFD1048576: 2 KB that a reader padding rows and columns grows to gigabytes."""
    rows = header_row()[:-6] + inline("XFD1", "far") + "</row>"
    rows += '<row r="2">' + inline("A2", "C1") + '<c r="B2"><v>100</v></c><c r="C2"><v>3</v></c></row>'
    rows += '<row r="1048576">' + inline("XFD1048576", "corner") + "</row>"
    return write_xlsx(folder / "far_corners.xlsx", sheet(rows))


def last_row(folder: Path) -> Path:
    """A header, one customer, and one cell on the sheet's last row (1,048,576)."""
    rows = header_row()
    rows += '<row r="2">' + inline("A2", "C1") + '<c r="B2"><v>100</v></c><c r="C2"><v>3</v></c></row>'
    rows += '<row r="1048576">' + inline("A1048576", "C2") + "</row>"
    return write_xlsx(folder / "lastrow.xlsx", sheet(rows))


def shared_strings_bomb(folder: Path, uncompressed_bytes: int) -> Path:
    """A shared-string table of ``uncompressed_bytes`` of repeated text (a 3.2 GB table zips to about 3 MB)."""
    item = "<si><t>" + "x" * 990 + "</t></si>"
    count = max(1, uncompressed_bytes // len(item))

    def chunks():
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'
        block = item * 1000
        for _ in range(count // 1000):
            yield block
        yield item * (count % 1000)
        yield "</sst>"

    rows = header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>1</v></c></row>'
    return write_xlsx(folder / "shared_strings_bomb.xlsx", sheet(rows), strings_xml=chunks())


def many_rows(folder: Path, rows: int, name: str = "many_rows.xlsx") -> Path:
    """A customer table of ``rows`` customers as inline strings and numbers (1,000,000 rows: about 20 MB)."""

    def chunks():
        yield sheet("")[: -len("</sheetData></worksheet>")] + header_row()
        for start in range(2, rows + 2, 10_000):
            yield "".join(
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>C{r}</t></is></c><c r="B{r}"><v>{r % 500 + 10}</v></c>'
                f'<c r="C{r}"><v>{r % 40}</v></c><c r="D{r}" t="inlineStr"><is><t>active</t></is></c></row>'
                for r in range(start, min(start + 10_000, rows + 2))
            )
        yield "</sheetData></worksheet>"

    return write_xlsx(folder / name, chunks())


def billion_laughs(folder: Path) -> Path:
    """Nested entities in the sheet's DTD that expand to 10^9 copies of a word."""
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    rows = header_row() + '<row r="2">' + inline("A2", "&lol9;") + '<c r="B2"><v>1</v></c></row>'
    return write_xlsx(folder / "billion_laughs.xlsx", sheet(rows, prolog=f"<!DOCTYPE worksheet [{ents}]>"))


def external_entity(folder: Path) -> Path:
    """A cell whose text is an external entity naming a local file."""
    prolog = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = header_row() + '<row r="2">' + inline("A2", "&xxe;") + '<c r="B2"><v>1</v></c></row>'
    return write_xlsx(folder / "external_entity.xlsx", sheet(rows, prolog=prolog))


def error_value(folder: Path) -> Path:
    """A number cell (no type attribute) holding ``#DIV/0!``, among readable rows."""
    rows = header_row()
    for r in range(2, 14):
        value = "#DIV/0!" if r == 3 else str(100 + r)
        rows += (
            f'<row r="{r}">' + inline(f"A{r}", f"C{r}") + f'<c r="B{r}"><v>{value}</v></c><c r="C{r}"><v>{r}</v></c>'
            + inline(f"D{r}", "active" if r % 3 else "lapsed") + "</row>"
        )  # fmt: skip
    return write_xlsx(folder / "div0.xlsx", sheet(rows))


def wide_csv(folder: Path, columns: int, rows: int, name: str = "wide.csv") -> Path:
    """A CSV of ``columns`` numbered columns and ``rows`` rows of small numbers (10^6 columns, 1 row: 9.9 MB)."""
    path = folder / name
    with path.open("w") as out:
        out.write("customer_id," + ",".join(f"c{i}" for i in range(1, columns)) + "\n")
        line = ",".join(["1"] * (columns - 1))
        for r in range(rows):
            out.write(f"C{r},{line}\n")
    return path


def sniffer_trap(folder: Path) -> Path:
    """65 KB on which ``csv.Sniffer`` spends minutes: ``,'`` repeated 32,500 times, then one row."""
    path = folder / "sniffer_trap.csv"
    path.write_text(",'" * 32500 + "\nC1,100\n")
    return path
