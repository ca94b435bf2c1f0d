"""Issue 23, the upload items: each hostile or awkward customer file gives a clear message or a correct read,
within bounded memory and time.

Memory is measured with tracemalloc around the read (the bound is an order of magnitude above what
the read needs, far below what the defect cost); time is bounded by the test's timeout (the thread
method, since a C loop cannot be interrupted), never asserted from a clock.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from simulation.cli import main
from simulation.errors import InputError
from simulation.portfolio import xlsx
from simulation.portfolio.columns import propose_mapping
from simulation.portfolio.data import read_cohorts, read_customers
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
from tests.portfolio.helpers import SAMPLES, read_text

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


# 5. cohort periods bounded by the model's horizon ------------------------------------------------
@pytest.mark.parametrize("column", ["Year 100000000", "Year 999999999999"])
def test_upload_wide_cohort_with_a_huge_period_names_the_column(column):
    text = f"Cohort,Year 0,Year 1,{column}\nA,1000,600,300\nB,1000,500,200\n"
    raw = read_upload_bounded(text.encode(), "cohorts.csv")
    result, peak = _peak(read_cohorts, raw, propose_mapping(raw.columns, "cohorts"))
    assert isinstance(result, InputError), f"a message expected; got {result!r}"
    assert repr(column) in str(result) and "0 to 600" in str(result), str(result)
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"


def test_upload_long_cohort_with_a_huge_period_names_the_line():
    text = "cohort,period,active\nA,0,1000\nA,1,900\nA,2,800\nA,99999999999,800\nB,0,100\nB,1,50\nB,2,20\n"
    raw = read_upload_bounded(text.encode(), "cohorts.csv")
    data, peak = _peak(read_cohorts, raw, propose_mapping(raw.columns, "cohorts"))
    assert not isinstance(data, Exception), f"the other rows are usable: {data}"
    shown = data.problems.lines_text()
    assert any(x.startswith("line 5, column period") and "0 to 600" in x for x in shown), shown
    assert data.curves["A"].tolist() == [1000, 900, 800], data.curves
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"


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
    with pytest.raises(ReadLimitError, match="more than 500 rows of data"):
        _read(hf.many_rows(tmp_path, 1_000))


@pytest.mark.parametrize("make", [lambda p: hf.many_rows(p, 2_000), lambda p: SAMPLES / "b2b_accounts.csv"])
def test_upload_time_budget_stops_the_read_with_a_message(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(ReadTimeLimitError, match=r"reading took more than 0 s of processor time"):
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


@pytest.mark.parametrize("date", ["1677-06-15", "1677-09-22", "9999-01-01", "0001-01-01", "2262-04-12"])
def test_upload_dates_outside_the_range_are_refused_by_line(capsys, tmp_path, date):
    rows = [f"C{i},{100 + i},2020-{i % 12 + 1:02d}-15,{'2021-06-01' if i % 3 == 0 else ''}" for i in range(30)]
    rows[7] = f"C7,107,{date},"
    path = tmp_path / "dates.csv"
    path.write_text("customer_id,revenue,start,end\n" + "\n".join(rows) + "\n")
    code, _out, err = _cli(capsys, "portfolio", path, "--format", "json")
    assert code == 0, err
    assert f"line 9, column start: '{date}' is outside the years 1900 to 2200" in err, err
    _, data = read_text(path.read_text())
    assert data.customers["tenure"].max() < 200, f"no wrapped date: tenures up to {data.customers['tenure'].max()}"


def test_upload_as_of_outside_the_range_is_refused(capsys):
    code, _out, err = _cli(capsys, "portfolio", SAMPLES / "b2b_accounts.csv", "--as-of", "9999-12-31")
    assert code == 2 and "--as-of: 9999-12-31 is outside the dates this reads, 1900-01-01 to 2200-12-31" in err, err
    with pytest.raises(InputError, match="as_of: 0001-01-01 is outside"):
        read_text("customer_id,revenue,start\nA,1,2020-01-01\n", as_of="0001-01-01")


# 14. counts and money bounded at reading ---------------------------------------------------------
@pytest.mark.parametrize("size", ["1e30", "1e19", "10000000000"])
def test_upload_cohort_counts_beyond_the_model_are_refused(size):
    text = f"Cohort,Year 0,Year 1,Year 2\nA,{size},{size},{size}\nB,1000,500,200\n"
    _, data = read_text(text)
    shown = " ".join(data.problems.lines_text())
    assert "above 1,000,000,000" in shown and "cohort 'A'" in shown, shown
    assert list(data.curves) == ["B"] and data.curves["B"].min() >= 0, data.curves


@pytest.mark.parametrize(("column", "value"), [("revenue", "1e308"), ("potential", "2e9"), ("tenure", "1e30")])
def test_upload_money_and_tenure_beyond_the_model_are_refused_by_field(column, value):
    rows = [f"C{i},{100 + i},{300 + i},{i + 1},{'lapsed' if i % 3 == 0 else 'active'}" for i in range(20)]
    values = rows[4].split(",")
    values[["customer_id", "revenue", "potential", "tenure", "status"].index(column)] = value
    rows[4] = ",".join(values)
    _, data = read_text("customer_id,revenue,potential,tenure,status\n" + "\n".join(rows) + "\n")
    shown = data.problems.lines_text()
    assert any(x.startswith(f"line 6, column {column}: '{value}' is above") for x in shown), shown
    assert np.isfinite(data.customers["revenue"]).all() and data.customers["revenue"].max() < 1e9, "refused, not used"


# 16. messages ------------------------------------------------------------------------------------
def test_upload_size_message_says_by_how_much(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 42)
    with pytest.raises(ReadLimitError) as info:
        read_path(path)
    expected = "big.csv is 52,428,842 bytes, 42 bytes over the limit of 52,428,800 bytes (50 MB)"
    assert expected in str(info.value), str(info.value)


def test_upload_duplicate_ids_are_named_in_the_summary():
    _, data = read_text("customer_id,revenue,tenure\nA,1,2\nA,3,4\nB,1,2\n")
    summary = data.problems.summary(data.rows)
    assert "customer_id: appears more than once (the first row is kept) (1)" in summary, summary
    assert "line 3, column customer_id: 'A' appears again (first on line 2)" in data.problems.lines_text()


def test_upload_a_group_name_is_said_once(capsys, tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("Cohort,Year 0,Year 1,Year 2\nA,5,3,2\nB,6,4,1\n")
    code, _out, err = _cli(capsys, "fit", path)
    assert code == 2 and "A: only 5 customer(s)" in err, err
    assert "A: A:" not in err and "B: B:" not in err, err


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


# found by the upload fuzz -------------------------------------------------------------------------
@pytest.mark.parametrize("text", [b"customer_id\n,\n", b"customer_id,revenue\nA,1,2\nB,2\n"])
def test_upload_a_first_row_longer_than_the_header_is_refused_not_made_the_index(text):
    with pytest.raises(FileProblemError, match="first row of data has more fields than the header"):
        read_upload_bounded(text, "data.csv")


def test_upload_a_purchase_without_a_date_is_reported_by_line():
    rows = "".join(f"C{i % 4},2021-{i % 12 + 1:02d}-10,{10 + i}\n" for i in range(20))
    _, data = read_text("customer_id,date,amount\nC9,,5\n" + rows)
    assert "line 2, column date: is empty: every purchase needs a date" in data.problems.lines_text(), (
        data.problems.lines_text()
    )
    assert len(data.customers) == 4, "the purchases with dates are used"


def test_upload_a_workbook_whose_directory_offset_is_wrong_is_refused(tmp_path):
    data = bytearray(hf.last_row(tmp_path).read_bytes())
    data[-6:-2] = (0x61C53C00).to_bytes(4, "little")  # the end record's offset of the central directory
    with pytest.raises(FileProblemError, match=r"could not be (opened|read) as an Excel workbook"):
        read_upload_bounded(bytes(data), "damaged.xlsx")
