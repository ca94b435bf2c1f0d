"""Reading users' files: delimiters, encodings, Excel, and every kind of bad file with a clear message."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from simulation.errors import InputError
from simulation.portfolio.columns import propose_mapping
from simulation.portfolio.data import NothingUsableError, read_customers
from simulation.portfolio.reading import MAX_FILE_BYTES, FileProblemError, read_path, read_upload_bounded

from .helpers import read_text

CUSTOMERS = """customer_id,revenue,start,end,potential
C1,100,2023-01-15,,300
C2,250,2022-06-01,2023-06-01,250
C3,80,2024-02-10,,400
C4,40,2021-03-03,2022-01-03,90
"""


def test_reads_a_plain_customer_table():
    kind, data = read_text(CUSTOMERS)
    assert kind == "customers", f"a customer table should be recognised; got {kind}"
    assert data.problems.count == 0, f"no problems expected: {data.problems.lines_text()}"
    assert data.customers["status"].tolist() == ["active", "lapsed", "active", "lapsed"], "status from the end date"


@pytest.mark.parametrize(
    ("text", "encoding", "source"),
    [
        (CUSTOMERS.replace(",", ";"), "utf-8", "delimiter ';'"),
        (CUSTOMERS.replace(",", "\t"), "utf-8", "delimiter tab"),
        ("\ufeff" + CUSTOMERS, "utf-8", "UTF-8 with BOM"),
        (CUSTOMERS.replace("C1", "Ç1"), "cp1252", "Windows-1252"),
    ],
)
def test_detects_delimiter_and_encoding(text, encoding, source):
    raw = read_upload_bounded(text.encode(encoding), "export.csv")
    assert source in raw.source, f"expected {source!r} in {raw.source!r}"
    assert raw.columns[0] == "customer_id", f"the header must be read cleanly (no BOM): {raw.columns}"
    assert len(raw.frame) == 4, f"four rows expected; got {len(raw.frame)}"


def test_decimal_commas_and_currency_signs_are_numbers():
    text = "customer_id;revenue;tenure;status\nA;1.234,50;5;active\nB;€ 99,90;3;lapsed\nC;$1,500.25;2;active\n"
    _, data = read_text(text)
    assert data.customers["revenue"].tolist() == pytest.approx([1234.5, 99.9, 1500.25]), "amounts as people write them"


def test_wrong_columns_name_what_is_missing():
    raw = read_upload_bounded(b"name,city\nAcme,Paris\n", "crm.csv")
    with pytest.raises(InputError) as info:
        read_customers(raw, propose_mapping(raw.columns, "customers"))
    message = str(info.value)
    assert "customer_id" in message and "revenue" in message, f"the missing roles should be named: {message}"
    assert "'name'" in message and "'city'" in message, f"the file's own columns should be listed: {message}"


def test_text_in_a_number_column_is_reported_with_its_line():
    _, data = read_text(CUSTOMERS.replace("C3,80,", "C3,eighty,"))
    assert data.problems.count == 1, f"one bad row expected; got {data.problems.count}"
    lines = data.problems.lines_text()
    assert lines == ["line 4, column revenue: 'eighty' is not a number"], lines
    assert len(data.customers) == 3, "the other rows are kept"
    assert "1 of 4 rows could not be used" in data.problems.summary(data.rows), data.problems.summary(data.rows)


def test_mixed_date_formats_are_refused_row_by_row():
    _, data = read_text(CUSTOMERS.replace("2024-02-10", "10/02/2024"))
    lines = data.problems.lines_text()
    assert lines == [
        "line 4, column start: '10/02/2024' is written in another date format than the rest of the column (YYYY-MM-DD)"
    ], lines


def test_duplicated_ids_keep_the_first_and_say_where():
    _, data = read_text(CUSTOMERS + "C2,999,2022-01-01,,999\n")
    assert data.problems.lines_text() == ["line 6, column customer_id: 'C2' appears again (first on line 3)"], (
        data.problems.lines_text()
    )
    assert data.customers.loc[data.customers["customer_id"] == "C2", "revenue"].tolist() == [250], "first row kept"


def test_negative_revenue_and_zero_or_negative_amounts():
    _, data = read_text(CUSTOMERS.replace("C4,40,", "C4,-40,"))
    assert data.problems.lines_text() == ["line 5, column revenue: '-40' is negative"], data.problems.lines_text()
    log = "customer,date,amount\nA,2024-01-02,10\nA,2024-02-02,0\nB,2024-01-05,-5\nB,2024-01-09,20\n"
    _, tx = read_text(log)
    assert tx.problems.lines_text() == [
        "line 3, column amount: '0' is zero or negative (a refund or a free item is not a purchase)",
        "line 4, column amount: '-5' is zero or negative (a refund or a free item is not a purchase)",
    ], tx.problems.lines_text()


def test_empty_file_and_header_only():
    with pytest.raises(FileProblemError, match=r"empty\.csv is empty"):
        read_upload_bounded(b"", "empty.csv")
    with pytest.raises(FileProblemError, match="header but no rows"):
        read_upload_bounded(b"customer_id,revenue\n\n", "header.csv")


def test_oversized_file_is_refused_before_reading(tmp_path):
    # A sparse file: 100 MB on paper, nothing written, so the test is instant.
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(100 * 1024 * 1024)
    with pytest.raises(FileProblemError) as info:
        read_path(path)
    expected = "huge.csv is 104,857,600 bytes, 52,428,800 bytes over the limit of 52,428,800 bytes (50 MB)"
    assert expected in str(info.value), str(info.value)
    assert MAX_FILE_BYTES == 50 * 1024 * 1024, "the README states 50 MB"


def test_binary_renamed_csv_is_not_read_as_text():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    with pytest.raises(FileProblemError, match=r"photo\.csv is not a text table"):
        read_upload_bounded(png, "photo.csv")
    with pytest.raises(FileProblemError, match="not one"):
        read_upload_bounded(b"customer_id,revenue\n1,2\n", "fake.xlsx")


def test_rows_that_do_not_line_up_name_the_line():
    with pytest.raises(FileProblemError, match="line 3"):
        read_upload_bounded(b"customer_id,revenue\nA,1\nB,2,3,4\n", "ragged.csv")


def _workbook(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def test_excel_with_several_sheets_reads_the_first_with_data_and_says_so(tmp_path):
    path = tmp_path / "crm.xlsx"
    rows = [["Customer ID", "Revenue", "Tenure", "Status"], ["A", 100, 5, "active"], ["B", 50.5, 3, "churned"]]
    _workbook(path, {"Empty": [], "Customers": rows, "Notes": [["note"], ["exported by the CRM"]]})
    raw = read_path(path)
    assert raw.sheet == "Customers", f"the first sheet with data should be read; got {raw.sheet}"
    assert raw.notes and "'Empty'" in raw.notes[0] and "'Notes'" in raw.notes[0], f"other sheets named: {raw.notes}"
    assert raw.lines.tolist() == [2, 3], f"Excel rows numbered as the sheet shows them: {raw.lines}"
    data = read_customers(raw, propose_mapping(raw.columns, "customers"))
    assert data.customers["revenue"].tolist() == [100, 50.5], "Excel numbers read as numbers"
    notes = read_path(path, sheet="Notes")
    assert notes.columns == ["note"] and notes.sheet == "Notes", "another sheet can be chosen"
    with pytest.raises(FileProblemError, match="no sheet 'Sales'; its sheets are 'Empty', 'Customers', 'Notes'"):
        read_path(path, sheet="Sales")


def test_a_file_with_nothing_usable_says_what_is_wrong():
    with pytest.raises(NothingUsableError) as info:
        read_text("customer_id,revenue,tenure\nA,x,1\nB,y,2\n")
    assert "none of the 2 rows could be used" in str(info.value), str(info.value)
    assert "line 2, column revenue: 'x' is not a number" in str(info.value), str(info.value)


def test_percent_margins_and_status_words():
    text = "id,revenue,tenure,margin,status\nA,10,3,35 %,active\nB,10,4,40%,Churned\nC,0,0,,prospect\n"
    _, data = read_text(text, mapping={"potential": None})
    assert data.customers["gross_margin"].tolist()[:2] == pytest.approx([0.35, 0.40]), "percent margins"
    assert data.customers["status"].tolist() == ["active", "lapsed", "prospect"], "status words understood"
    _, bad = read_text(text.replace("Churned", "maybe"))
    assert bad.problems.lines_text()[0].startswith("line 3, column status: 'maybe' is not a status"), (
        bad.problems.lines_text()
    )


def test_tenure_from_dates_in_whole_months():
    text = "customer_id,revenue,start,end\nA,1,2024-01-15,2024-03-15\nB,1,2024-01-15,2024-03-20\nC,1,2023-12-15,\n"
    _, data = read_text(text, as_of="2024-06-14")
    # A left after exactly 2 months (paid 2), B in its third month (paid 3); C has survived 5 renewals by 14 June.
    assert data.customers["tenure"].tolist() == [2, 3, 5], f"tenures by hand: got {data.customers['tenure'].tolist()}"
    assert np.all(data.customers["status"] == ["lapsed", "lapsed", "active"]), "status from the end dates"


def test_a_row_with_two_problems_counts_once():
    _, data = read_text(CUSTOMERS.replace("C3,80,2024-02-10", "C3,eighty,someday"))
    assert data.problems.count == 1, f"one row left out, whatever its problems; got {data.problems.count}"
    assert len(data.problems.by_reason) == 2, f"both reasons are counted: {data.problems.by_reason}"
    assert len(data.customers) == 3, "the other rows are kept"


def test_a_lapsed_customer_without_an_end_date_counts_as_left_by_the_as_of_date_and_says_so():
    text = "customer_id,revenue,start,status\nA,1,2024-01-15,active\nB,1,2023-01-15,lapsed\nC,2,2023-05-01,active\n"
    _, data = read_text(text)
    assert data.problems.count == 0, data.problems.lines_text()
    b = data.customers.set_index("customer_id").loc["B"]
    # as of 2024-01-15 (the latest date): 12 whole months from 2023-01-15, exactly, so 12 paid
    assert b["status"] == "lapsed" and b["tenure"] == 12, b.to_dict()
    note = next(n for n in data.notes if "no end date" in n)
    assert "1 customer(s)" in note and "2024-01-15" in note and "longest they can have stayed" in note, note


def test_currency_named_in_a_header_is_found():
    from simulation.portfolio.columns import currency_in

    codes = ("USD", "EUR", "GBP")
    assert currency_in(["Customer", "Amount (EUR)"], codes) == "EUR", "the code in the amount's header"
    assert currency_in(["Monthly revenue (USD)"], codes) == "USD", "the code in the revenue's header"
    assert currency_in(["EUROPE sales", "Amount"], codes) is None, "a code inside a word is not a currency"
