"""Reading rules for files as people have them: spaces between columns, YYYYMMDD dates, legacy encodings,
other languages' headers, title rows, lapsed customers without an end date."""

from __future__ import annotations

import io
import unicodedata

import numpy as np
import openpyxl
import pytest

from simulation.portfolio import encoding as enc
from simulation.portfolio.columns import guess_kind, propose_mapping, unused_sentence
from simulation.portfolio.data import read_cohorts, read_customers
from simulation.portfolio.pipeline import analyse_portfolio
from simulation.portfolio.reading import read_upload_bounded
from simulation.portfolio.settings import PortfolioSettings
from simulation.portfolio.transactions import read_transactions

from .cdnow import cdnow_path

CDNOW_AS_PUBLISHED = b" 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n 00002 19970112  5   77.00\r\n"


def test_cdnow_as_published_whitespace_and_no_header_is_a_transaction_log():
    raw = read_upload_bounded(CDNOW_AS_PUBLISHED, "CDNOW_master.txt")
    assert "spaces" in raw.source, raw.source
    assert raw.columns == ["customer_id", "date", "column 3", "amount"], raw.columns
    assert any("no header row" in n and "column 2 as date" in n for n in raw.notes), raw.notes
    assert guess_kind(raw.columns) == "transactions"
    data = read_transactions(raw, propose_mapping(raw.columns, "transactions"))
    assert data.problems.count == 0, data.problems.lines_text()
    assert list(raw.lines) == [1, 2, 3], "a file without a header numbers its data from line 1"
    assert data.purchases["date"].dt.strftime("%Y-%m-%d").tolist() == ["1997-01-01", "1997-01-12", "1997-01-12"]
    assert data.purchases["amount"].tolist() == [11.77, 12.0, 77.0]


def test_the_raw_cdnow_sample_file_gives_the_published_bgnbd_estimates():
    result = analyse_portfolio(cdnow_path(), PortfolioSettings(kind="transactions", period="week", as_of="1997-09-30"))
    fit = result.analysis.purchase_model.fit
    # Fader, Hardie and Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426, to three significant digits
    assert (round(fit.r, 3), round(fit.alpha, 2), round(fit.a, 3), round(fit.b, 2)) == (0.243, 4.41, 0.793, 2.43)


def test_yyyymmdd_dates_in_a_customer_table():
    raw = read_upload_bounded(b"customer_id,revenue,start,end\nA,10,20230115,\nB,20,20220601,20230601\n", "c.csv")
    data = read_customers(raw, propose_mapping(raw.columns, "customers"))
    assert data.problems.count == 0, data.problems.lines_text()
    assert data.customers["status"].tolist() == ["active", "lapsed"]
    assert data.customers["tenure"].tolist() == [4, 12], "2023-01-15 to 2023-06-01 is 4 whole months; B paid 12"


def test_seven_digits_are_not_a_yyyymmdd_date():
    raw = read_upload_bounded(b"customer_id,date,amount\nA,19970101,1\nB,1997011,2\n", "t.csv")
    data = read_transactions(raw, propose_mapping(raw.columns, "transactions"))
    assert data.problems.lines_text() == [
        "line 3, column date: '1997011' is not a date in the column's format (YYYYMMDD)"
    ]


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def _cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: letters with their tone as a separate mark where needed."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(m for m in parts[1:] if m in _TONES)
            letter = unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONES))
            out += (letter + tones).encode("cp1258")
    return bytes(out)


THAI = "รหัสลูกค้า,ชื่อ,รายได้,วันที่เริ่ม,สถานะ\n" + "".join(
    f"C{i:03d},บริษัท สมชาย จำกัด {i},{1000 + i},2024-01-{i % 28 + 1:02d},{'ใช้งาน' if i % 3 else 'ยกเลิก'}\n"
    for i in range(60)
)
VIETNAMESE = "mã khách hàng,tên khách hàng,doanh thu,ngày bắt đầu,trạng thái\n" + "".join(
    f"C{i:03d},Công ty Nguyễn Văn Hưởng {i},{1000 + i},2024-01-{i % 28 + 1:02d},{'hoạt động' if i % 3 else 'đã hủy'}\n"
    for i in range(60)
)


@pytest.mark.parametrize(
    ("text", "data", "codec", "name"),
    [
        (THAI, THAI.encode("cp874"), "cp874", "บริษัท สมชาย จำกัด 7"),
        (VIETNAMESE, _cp1258(VIETNAMESE), "cp1258", "Công ty Nguyễn Văn Hưởng 7"),
    ],
)
def test_thai_and_vietnamese_legacy_files_are_read_right_and_the_guess_is_shown(text, data, codec, name):
    raw = read_upload_bounded(data, "export.csv")
    assert raw.encoding == codec and enc.ENCODINGS[codec] in raw.source and "detected" in raw.source, raw.source
    assert raw.frame.iloc[7, 1] == name, raw.frame.iloc[7, 1]
    assert any("not UTF-8" in n and enc.ENCODINGS[codec] in n and "--encoding" in n for n in raw.notes), raw.notes
    kind = guess_kind(raw.columns)
    data = read_customers(raw, propose_mapping(raw.columns, kind), as_of="2024-06-30")
    assert kind == "customers" and data.problems.count == 0, data.problems.lines_text()
    assert (data.customers["status"] == "lapsed").sum() == 20, "the status words of the file's language are read"


def test_the_encoding_can_be_chosen_and_a_wrong_choice_says_which_line():
    data = THAI.encode("cp874")
    raw = read_upload_bounded(data, "export.csv", encoding="cp1251")
    assert raw.encoding == "cp1251" and "Cyrillic" in raw.source, "the chosen encoding is used, not the guess"
    with pytest.raises(enc.FileProblemError, match=r"line 1 holds byte 0x.., which is not UTF-8 text"):
        read_upload_bounded(data, "export.csv", encoding="utf-8")
    with pytest.raises(enc.FileProblemError, match="encoding must be one of"):
        read_upload_bounded(data, "export.csv", encoding="ebcdic")


def test_detection_looks_at_a_bounded_prefix(monkeypatch):
    import charset_normalizer

    seen = []
    real = charset_normalizer.from_bytes

    def spy(sample, **kwargs):
        seen.append(len(sample))
        return real(sample, **kwargs)

    monkeypatch.setattr(charset_normalizer, "from_bytes", spy)
    big = THAI.encode("cp874") * 200  # about 700 KB
    raw = read_upload_bounded(big, "big.csv")
    assert raw.encoding == "cp874"
    assert seen and max(seen) <= enc.DETECT_BYTES, f"detection must see at most {enc.DETECT_BYTES} bytes: {seen}"


def test_a_few_thai_names_among_many_plain_rows_are_enough_to_tell_the_encoding():
    rows = "".join(f"C{i},Company {i},{100 + i}\n" for i in range(3000))
    data = ("customer_id,name,revenue\n" + rows + "C9999,บริษัท สมชาย,5\n").encode("cp874")
    raw = read_upload_bounded(data, "mostly-ascii.csv")
    assert raw.encoding == "cp874" and raw.frame["name"].iloc[-1] == "บริษัท สมชาย", raw.source


def test_a_western_file_that_decodes_alike_in_several_code_pages_is_called_windows_1252():
    data = "Kundennummer;Firma;Umsatz;Kunde seit\n".encode("cp1252") + b"".join(
        f"K{i};Müller Gärtnerei {i};{100 + i};2024-01-01\n".encode("cp1252") for i in range(50)
    )
    raw = read_upload_bounded(data, "kunden.csv")
    assert raw.encoding == "cp1252" and raw.frame.iloc[0, 1] == "Müller Gärtnerei 0", raw.source


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Kundennummer;Firma;Betreuer;Umsatz (EUR);Kunde seit;Kündigungsdatum;Bruttomarge",
            {"customer_id": "Kundennummer", "name": "Firma", "owner": "Betreuer", "revenue": "Umsatz (EUR)",
             "start": "Kunde seit", "end": "Kündigungsdatum", "gross_margin": "Bruttomarge"},
        ),
        (
            "N° client;Nom;Commercial;Chiffre d'affaires;Date de début;DATE DE RESILIATION;Marge brute",
            {"customer_id": "N° client", "name": "Nom", "owner": "Commercial", "revenue": "Chiffre d'affaires",
             "start": "Date de début", "end": "DATE DE RESILIATION", "gross_margin": "Marge brute"},
        ),
    ],
)  # fmt: skip
def test_german_and_french_headers_are_matched_without_case_or_accents(header, expected):
    rows = "\n".join(f"K{i};Firma {i};Anna;{100 + i};2022-01-01;{'2023-06-01' if i < 4 else ''};40%" for i in range(8))
    raw = read_upload_bounded(f"{header}\n{rows}\n".encode(), "file.csv")
    mapping = propose_mapping(raw.columns, "customers")
    assert {k: v for k, v in mapping.items() if v} == expected
    data = read_customers(raw, mapping, as_of="2024-01-01")
    assert (data.customers["status"] == "lapsed").sum() == 4, "the end dates are read: customers have left"
    assert data.customers["gross_margin"].iloc[0] == pytest.approx(0.4)
    assert data.customers["owner"].iloc[0] == "Anna" and data.customers["name"].iloc[1] == "Firma 1"


def test_a_header_not_recognised_is_named_in_a_message():
    raw = read_upload_bounded(b"customer_id,revenue,tenure,Notiz,Kommentar\nA,1,3,x,y\n", "c.csv")
    sentence = unused_sentence(raw.columns, propose_mapping(raw.columns, "customers"))
    assert sentence.startswith("2 column(s) not read") and "'Notiz'" in sentence, sentence
    result = analyse_portfolio(
        b"customer_id,revenue,tenure,status,Notiz\n"
        + b"".join(f"C{i},{i + 1},{i % 7 + 1},{'lapsed' if i % 4 == 0 else 'active'},n\n".encode() for i in range(40)),
        name="c.csv",
    )
    assert any("'Notiz'" in note for note in result.reading_notes), result.reading_notes


@pytest.mark.parametrize("prefix", ["M", "Month ", "Monat ", "mois "])
def test_cohort_headers_m0_to_m11(prefix):
    counts = [1000, 800, 700, 640, 600, 570, 550, 530, 515, 500, 490, 480]
    header = "Cohort," + ",".join(f"{prefix}{i}" for i in range(12))
    rows = [f"2023-{k:02d}," + ",".join(str(c - 5 * k) for c in counts[: 12 - k]) for k in range(1, 4)]
    raw = read_upload_bounded(("\n".join([header, *rows]) + "\n").encode(), "cohorts.csv")
    assert guess_kind(raw.columns) == "cohorts"
    cohorts = read_cohorts(raw, propose_mapping(raw.columns, "cohorts"), period="month")
    assert cohorts.problems.count == 0, cohorts.problems.lines_text()
    assert [len(c) for c in cohorts.curves.values()] == [11, 10, 9]


TITLED = [
    ["Customer report Q3 2024"],
    [],
    ["printed", "2024-10-01"],
    ["customer_id", "revenue", "tenure", "status"],
    ["A", 10, 3, "active"],
    ["B", 20, 5, "lapsed"],
]


def test_title_rows_above_the_header_in_a_csv_are_skipped_and_said():
    # as a spreadsheet exports it: every line as wide as the table
    text = "\n".join(",".join(str(c) for c in [*row, *[""] * (4 - len(row))]) for row in TITLED)
    raw = read_upload_bounded((text + "\n").encode(), "report.csv")
    assert raw.columns[:4] == ["customer_id", "revenue", "tenure", "status"], raw.columns
    assert list(raw.lines) == [5, 6], "rows keep the file's line numbers"
    assert any("header is on line 4" in n and "Customer report Q3 2024" in n for n in raw.notes), raw.notes


def test_title_rows_above_the_header_in_a_workbook_are_skipped_and_said():
    book = openpyxl.Workbook()
    for row in TITLED:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    raw = read_upload_bounded(buffer.getvalue(), "report.xlsx")
    assert raw.columns == ["customer_id", "revenue", "tenure", "status"], raw.columns
    assert list(raw.lines) == [5, 6]
    assert any("header is on row 4" in n and "2 row(s)" in n for n in raw.notes), raw.notes


def test_a_first_row_of_data_is_not_taken_for_a_title():
    raw = read_upload_bounded(b"customer_id,revenue\nA,1\nB,2\nC,3\n", "plain.csv")
    assert raw.columns == ["customer_id", "revenue"] and not raw.notes
    assert np.array_equal(raw.lines, [2, 3, 4])


@pytest.mark.parametrize("word", ["lapsed", "churned", "cancelled", "Gekündigt", "résilié", "đã hủy", "ยกเลิก"])
def test_status_words_of_the_supported_languages_mean_left(word):
    text = f"customer_id,revenue,start,status\nA,1,2023-01-15,active\nB,1,2023-03-15,{word}\nC,1,2024-01-15,\n"
    raw = read_upload_bounded(text.encode(), "c.csv")
    data = read_customers(raw, propose_mapping(raw.columns, "customers"))
    assert data.customers["status"].tolist() == ["active", "lapsed", "active"], data.problems.lines_text()
    assert data.customers["tenure"].tolist() == [12, 10, 0], "B left by 2024-01-15: 10 whole months paid"
