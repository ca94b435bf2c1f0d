"""Issue 23, the upload items: each hostile or awkward customer file gives a clear message or a correct read,
within bounded memory and time.

Memory is measured with tracemalloc around the read (the bound is an order of magnitude above what
the read needs, far below what the defect cost); time is bounded by the test's timeout (the thread
method, since a C loop cannot be interrupted), never asserted from a clock.
"""

from __future__ import annotations

import tracemalloc

import pytest

from simulation.cli import main
from simulation.errors import InputError
from simulation.portfolio import xlsx
from simulation.portfolio.columns import propose_mapping
from simulation.portfolio.data import read_customers
from simulation.portfolio.limits import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_SHARED_STRINGS_BYTES,
    FileProblemError,
    ReadLimitError,
    ReadTimeLimitError,
)
from simulation.portfolio.reading import read_path, read_upload_bounded
from tests.portfolio import hostile_files as hf
from tests.portfolio.helpers import SAMPLES

pytestmark = pytest.mark.timeout(60, method="thread")
PEAK_BYTES = 50 * 1024 * 1024


def _peak(function, *args, **kwargs):
    """``(result or exception, peak bytes traced)`` of one call."""
    tracemalloc.start()
    try:
        try:
            result = function(*args, **kwargs)
        except InputError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _read(path):
    return read_upload_bounded(path.read_bytes(), path.name)


def _cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "unexpectedly" not in err, f"a message, not a crash: {err}"
    return code, out, err


# 4. delimiter detection in bounded time ----------------------------------------------------------
def test_upload_sniffer_trap_is_answered_at_once(tmp_path):
    result, peak = _peak(_read, hf.sniffer_trap(tmp_path))
    assert isinstance(result, ReadLimitError), f"a message about the columns expected; got {result!r}"
    assert f"at most {MAX_COLUMNS} are read" in str(result), str(result)
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_upload_delimiter_is_found_past_a_long_quoted_first_field(delimiter):
    long = '"' + "x," * 20_000 + '"'
    text = delimiter.join(["customer_id", "revenue", "tenure"]) + "\n"
    text += "".join(delimiter.join([f"C{i}", long if i == 0 else "10", "3"]) + "\n" for i in range(5))
    raw = read_upload_bounded(text.encode(), "long.csv")
    assert raw.columns == ["customer_id", "revenue", "tenure"], f"delimiter {delimiter!r} missed: {raw.columns[:5]}"


# 6. workbook bombs -------------------------------------------------------------------------------
def test_upload_cells_at_the_far_corners_are_refused_by_cell(tmp_path):
    result, peak = _peak(_read, hf.far_corners(tmp_path))
    assert isinstance(result, ReadLimitError), f"a message expected; got {result!r}"
    assert "cell XFD1" in str(result) and f"{MAX_COLUMNS} columns" in str(result), str(result)
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"


def test_upload_a_cell_on_the_last_row_costs_one_row(tmp_path):
    raw, peak = _peak(_read, hf.last_row(tmp_path))
    assert not isinstance(raw, Exception), raw
    assert raw.lines.tolist() == [2, 1048576], f"rows keep the sheet's numbers: {raw.lines.tolist()}"
    assert raw.frame["customer_id"].tolist() == ["C1", "C2"], raw.frame
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"


def test_upload_shared_string_bomb_is_refused_before_unpacking(tmp_path):
    path = hf.shared_strings_bomb(tmp_path, MAX_SHARED_STRINGS_BYTES + 1_000_000)
    result, peak = _peak(_read, path)
    assert isinstance(result, ReadLimitError), f"a message expected; got {result!r}"
    assert "shared-string table" in str(result) and f"{MAX_SHARED_STRINGS_BYTES:,} bytes" in str(result), str(result)
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes: the table must not be unpacked"


def test_upload_workbook_unpacking_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_XLSX_UNPACKED_BYTES", 1_000_000)
    with pytest.raises(ReadLimitError, match=r"unpacks to [\d,]+ bytes .* at most 1,000,000 bytes"):
        _read(hf.many_rows(tmp_path, 10_000))


# 7. wide and large files -------------------------------------------------------------------------
@pytest.mark.parametrize(("columns", "rows"), [(1_000_000, 1), (50_000, 300)])
def test_upload_wide_csv_is_refused_with_the_column_limit(tmp_path, columns, rows):
    result, peak = _peak(_read, hf.wide_csv(tmp_path, columns, rows))
    assert isinstance(result, ReadLimitError), f"a message expected; got {result!r}"
    assert f"at most {MAX_COLUMNS} are read" in str(result), str(result)
    assert peak < 4 * PEAK_BYTES, f"peak {peak:,} bytes"


def test_upload_rows_and_cells_are_bounded_before_parsing(monkeypatch):
    from simulation.portfolio import reading

    text = b"customer_id,revenue,tenure\n" + b"C1,10,3\n" * 1000
    monkeypatch.setattr(reading, "MAX_ROWS", 999)
    with pytest.raises(ReadLimitError, match="1,000 lines after its header; at most 999 rows"):
        read_upload_bounded(text, "rows.csv")
    monkeypatch.setattr(reading, "MAX_ROWS", 10_000)
    monkeypatch.setattr(reading, "MAX_CELLS", 2_999)
    with pytest.raises(ReadLimitError, match="3,000 cells; at most 2,999"):
        read_upload_bounded(text, "cells.csv")


def test_upload_workbook_rows_are_bounded_while_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 500)
    with pytest.raises(ReadLimitError, match="more than 500 rows"):
        _read(hf.many_rows(tmp_path, 1_000))


@pytest.mark.parametrize("make", [lambda p: hf.many_rows(p, 2_000), lambda p: SAMPLES / "b2b_accounts.csv"])
def test_upload_time_budget_stops_the_read_with_a_message(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(ReadTimeLimitError, match=r"reading took longer than 0 s"):
        read_upload_bounded(path.read_bytes(), path.name, seconds=0)


def test_upload_a_million_row_workbook_reads_in_bounded_memory_per_row(tmp_path):
    raw, peak = _peak(_read, hf.many_rows(tmp_path, 20_000))
    assert not isinstance(raw, Exception), raw
    assert len(raw.frame) == 20_000 and raw.lines[-1] == 20_001, (len(raw.frame), raw.lines[-1])
    assert peak < 2_000 * 20_000, f"peak {peak:,} bytes for 20,000 rows of 4 cells"


# 12. crafted workbooks and early dates -----------------------------------------------------------
@pytest.mark.parametrize("make", [hf.billion_laughs, hf.external_entity])
def test_upload_entities_are_refused_with_a_message(tmp_path, make):
    result, peak = _peak(_read, make(tmp_path))
    assert isinstance(result, FileProblemError), f"a message expected; got {result!r}"
    assert "document type" in str(result) and "root:" not in str(result), str(result)
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"


def test_upload_an_error_value_without_a_type_is_reported_by_line(tmp_path):
    raw = _read(hf.error_value(tmp_path))
    data = read_customers(raw, propose_mapping(raw.columns, "customers"))
    assert "line 3, column revenue: '#DIV/0!' is not a number" in data.problems.lines_text(), data.problems.lines_text()
    assert len(data.customers) == 11, "the other rows are read"


# 16. messages ------------------------------------------------------------------------------------
def test_upload_size_message_says_by_how_much(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 42)
    with pytest.raises(ReadLimitError) as info:
        read_path(path)
    expected = "big.csv is 52,428,842 bytes, 42 bytes over the limit of 52,428,800 bytes (50 MB)"
    assert expected in str(info.value), str(info.value)


def test_upload_mixed_utf8_and_cp1252_lines_are_each_decoded():
    head = b"customer_id,revenue,tenure,segment\n"
    rows = [f"C{i},{100 + i},{i + 1},B\u00fccher\n".encode() for i in range(6)]
    rows[3] = "C3,103,4,B\u00fccher\n".encode("cp1252")
    raw = read_upload_bounded(head + b"".join(rows), "mixed.csv")
    assert set(raw.frame["segment"]) == {"Bücher"}, f"every line decoded as written: {set(raw.frame['segment'])}"
    assert any("line 5" in note and "Windows-1252" in note for note in raw.notes), raw.notes


def test_upload_bytes_in_neither_encoding_are_reported_by_line():
    data = "customer_id,revenue\nC1,1\nB\u00fccher,2\n".encode() + b"C3,\x81\n"
    with pytest.raises(FileProblemError, match="line 4 is neither UTF-8 nor Windows-1252"):
        read_upload_bounded(data, "bad.csv")
