"""The Portfolio page's reading choices and "Act on it" tab through AppTest: encoding, columns not read, the action
list, calendar, win-back list, and saving and comparing portfolios."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from simulation.portfolio.actions import ACTION_COLUMNS
from tests.portfolio.helpers import SAMPLES
from tests.portfolio.test_reading_rules import THAI

from .conftest import APP, APP_TIMEOUT

PAGE = "pages/portfolio.py"


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RETENTION_LAB_DATA_DIR", str(tmp_path))


def _open(name: str, data: bytes) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT).run()
    at.switch_page(PAGE).run()
    at.session_state["pf_file"] = (name, data)
    at.run()
    assert not at.exception, at.exception
    return at


def _frame(at, column: str):
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a column {column!r}")


def test_a_thai_file_shows_the_encoding_found_with_a_warning_and_can_be_read_another_way():
    at = _open("thai.csv", THAI.encode("cp874"))
    assert not at.error, [e.value for e in at.error]
    picker = at.sidebar.selectbox(key="pf_encoding")
    assert "Thai (Windows-874)" in picker.format_func(picker.value), "the guess is shown in the select"
    assert any("Thai (Windows-874)" in w.value for w in at.warning), [w.value for w in at.warning]
    picker.set_value("cp1251").run()
    assert not at.exception
    assert any("Cyrillic" in t.value for t in at.text), "the file is read again in the encoding chosen"


def test_columns_not_recognised_are_named_on_the_page():
    text = (SAMPLES / "b2b_accounts.csv").read_text().splitlines()
    data = "\n".join([text[0] + ",Notiz", *(line + ",x" for line in text[1:])]) + "\n"
    at = _open("b2b.csv", data.encode())
    assert any("'Notiz'" in t.value and "not read" in t.value for t in at.text), [t.value[:80] for t in at.text]


def test_the_act_tab_lists_actions_calendar_and_win_back_and_saves_and_compares():
    at = _open("b2b_accounts.csv", (SAMPLES / "b2b_accounts.csv").read_bytes())
    assert "Act on it" in [t.label for t in at.tabs]
    actions = _frame(at, "next_date")
    assert list(actions.columns) == list(ACTION_COLUMNS) and len(actions) == 500
    calendar = _frame(at, "total")
    assert len(calendar.columns) == 14, "plan, twelve months, total"
    # the D's newsletter: 812 customers 4 times a year, as a person reads the count
    assert calendar.set_index("plan").loc["D", "total"] == "3,248", calendar
    sentence = next(m.value for m in at.markdown if "worth winning back left within" in m.value)
    at.slider(key="pf_act_months").set_value(3).run()
    narrower = next(m.value for m in at.markdown if "worth winning back left within" in m.value)
    assert "last 3 months" in narrower and narrower != sentence

    at.text_input(key="pf_act_save_name").input("Q1")
    next(b for b in at.button if b.label == "Save portfolio").click().run()
    assert not at.error, [e.value for e in at.error]
    # the same file under a higher bar for high contribution, saved as Q2
    at.number_input(key="pf_c_hi").set_value(at.number_input(key="pf_c_hi").value * 1.5)
    next(b for b in at.button if b.label == "Apply thresholds and classes").click().run()
    at.text_input(key="pf_act_save_name").input("Q2")
    next(b for b in at.button if b.label == "Save portfolio").click().run()
    assert not at.error, [e.value for e in at.error]
    moved = next(m.value for m in at.markdown if "Between the two saved portfolios" in m.value)
    counts = _frame(at, "from")
    largest = counts.iloc[0]
    assert "moved to another class" in moved, moved
    assert f"The largest move: {largest['customers']} customers from {largest['from']} to {largest['to']}" in moved
    at.text_input(key="pf_act_save_name").input("Q2")
    next(b for b in at.button if b.label == "Save portfolio").click().run()
    assert any("already saved" in e.value for e in at.error), "a name is not overwritten without asking"
