"""A text file's encoding: UTF-8 or UTF-16 when it says so, otherwise detected, or as the person chose.

A file that is valid UTF-8 is UTF-8; UTF-16 needs its byte-order mark. Any other file is
given to charset-normalizer (a maintained detector that weighs which decoding gives the most
plausible letters), limited to the encodings people choose from (:data:`ENCODINGS`) and to at
most :data:`DETECT_BYTES` of the lines with letters beyond ASCII among the first
:data:`SCAN_BYTES`, so detection costs a bounded time whatever the file.
A legacy guess is always reported with a note that says how to change it, because two
single-byte encodings can both decode a file and only a person can tell which letters are
right. A file mixing UTF-8 lines with Windows-1252 lines (one of its first 64 KB's lines is
UTF-8 with letters beyond ASCII) is read line by line.
"""

from __future__ import annotations

import re
import unicodedata

from .limits import Deadline, FileProblemError

# codec -> what a person calls it; the order is the order of the page's choice
ENCODINGS: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Western European (Windows-1252)",
    "iso8859-15": "Western European (ISO 8859-15)",
    "cp1250": "Central European (Windows-1250)",
    "cp1251": "Cyrillic (Windows-1251)",
    "cp874": "Thai (Windows-874)",
    "cp1258": "Vietnamese (Windows-1258)",
}
DETECT_BYTES = 64 * 1024
SCAN_BYTES = 1024 * 1024
_BEYOND_ASCII = re.compile(rb"[\x80-\xff]")
_LEGACY = ("cp1252", "cp1250", "cp1251", "cp874", "cp1258", "iso8859-15")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_SNIFF_CHARS = 64 * 1024


def encoding_label(codec: str) -> str:
    """A codec's name for people (``cp874`` -> ``Thai (Windows-874)``)."""
    return ENCODINGS.get(codec, codec)


def check_encoding(codec: str | None) -> str | None:
    """The codec if it is one of :data:`ENCODINGS` (or None), else an error that lists them."""
    if codec is None or codec in ENCODINGS:
        return codec
    raise FileProblemError(f"encoding must be one of {', '.join(ENCODINGS)}; got {str(codec)[:40]!r}")


def binary(name: str) -> FileProblemError:
    return FileProblemError(f"{name} is not a text table (it contains binary data); export the data as CSV or .xlsx.")


def _check_text(sample: str, name: str) -> None:
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > max(10, len(sample) // 100):
        raise binary(name)


def decode(
    data: bytes, name: str, deadline: Deadline, encoding: str | None = None
) -> tuple[bytes, str, str, list[str]]:
    """The file as UTF-8 bytes (no byte-order mark), its codec, the encoding in words, and notes.

    Parameters
    ----------
    data : bytes
        The file.
    name : str
        Its name, for messages.
    deadline : Deadline
        The read's time budget.
    encoding : str, optional
        A codec of :data:`ENCODINGS` chosen by the person; by default detected.
    """
    check_encoding(encoding)
    if encoding is not None:
        return _decode_as(data, name, encoding)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(data, name, "utf-16")
    head = data[:_SNIFF_CHARS]
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if b"\x00" in head or controls > max(2, len(head) // 100):
        raise binary(name)
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return body, "utf-8", "UTF-8" + (" with BOM" if bom else ""), []
    if not bom and not _has_utf8_lines(data[:DETECT_BYTES]):
        codec = detect(data)
        deadline.check()
        utf8, _, words, notes = _decode_as(data, name, codec)
        notes.append(
            f"{name} is not UTF-8; its encoding was detected as {encoding_label(codec)} from its letters. "
            "If names or accented letters look wrong, choose the file's encoding "
            "(on the command line: --encoding)."
        )
        return utf8, codec, f"{words} (detected)", notes
    utf8, words, notes = _decode_mixed(body, name, deadline)
    return utf8, "utf-8", words, notes


def _has_utf8_lines(sample: bytes) -> bool:
    """Whether a line of ``sample`` holds letters beyond ASCII written as UTF-8 (a legacy file's line,
    with its bytes beyond ASCII, almost never is valid UTF-8 as a whole)."""
    for line in sample.split(b"\n"):
        if _UTF8_MULTIBYTE.search(line):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return True
    return False


def detect(data: bytes) -> str:
    """The most plausible of the legacy encodings for ``data``.

    Judged on the lines that hold bytes beyond ASCII among the file's first :data:`SCAN_BYTES`,
    at most :data:`DETECT_BYTES` of them (the ASCII lines say nothing about the encoding, and a
    few names among thousands of plain rows would otherwise be too little to tell). Windows-1252
    when charset-normalizer finds none, or when its choice reads those lines exactly as
    Windows-1252 does (German and French files often decode the same in several Latin code pages,
    and Windows-1252 is the one they were written in).
    """
    from charset_normalizer import from_bytes

    sample = _telling_lines(data[:SCAN_BYTES])
    best = from_bytes(sample, cp_isolation=list(_LEGACY), explain=False).best()
    if best is None:
        return "cp1252"
    codec = _codec(best.encoding)
    try:
        if sample.decode(codec) == sample.decode("cp1252"):
            return "cp1252"
    except UnicodeDecodeError:
        pass
    return codec


def _telling_lines(region: bytes) -> bytes:
    """The whole lines of ``region`` holding a byte beyond ASCII, joined, at most :data:`DETECT_BYTES`."""
    kept, size = [], 0
    lines = region.split(b"\n")
    if len(lines) > 1 and not region.endswith(b"\n"):
        lines = lines[:-1]  # the last line may be cut, and a character with it
    for line in lines:
        if _BEYOND_ASCII.search(line):
            if size + len(line) + 1 > DETECT_BYTES:
                break
            kept.append(line)
            size += len(line) + 1
    return b"\n".join(kept) if kept else region[:DETECT_BYTES]


def _codec(found: str) -> str:
    found = found.lower().replace("_", "-")
    found = {"iso8859-15": "iso8859-15", "latin-9": "iso8859-15"}.get(found, found)
    return found if found in ENCODINGS else "cp1252"


def _decode_as(data: bytes, name: str, codec: str) -> tuple[bytes, str, str, list[str]]:
    if codec == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileProblemError(
            f"{name}: line {line:,} holds byte 0x{data[exc.start]:02x}, which is not {encoding_label(codec)} text; "
            "choose the file's encoding, or save it as UTF-8 CSV."
        ) from None
    _check_text(text[:_SNIFF_CHARS], name)
    # Vietnamese in Windows-1258 writes tones as separate marks: composed, they compare as people type them
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    return text.encode("utf-8"), codec, encoding_label(codec), []


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
    _check_text(text[:_SNIFF_CHARS], name)
    shown = ", ".join(f"{n:,}" for n in legacy[:8]) + (", ..." if len(legacy) > 8 else "")
    note = (
        f"{name} mixes encodings: {len(legacy):,} line(s) are not UTF-8 and were read as Windows-1252 "
        f"(line {shown}); check their accented letters, and save the file as UTF-8 to be sure."
    )
    return text.encode("utf-8"), f"UTF-8 ({len(legacy):,} line(s) Windows-1252)", [note]
