"""The Portfolio page through AppTest, started from app.py: open, classify, edit, simulate, and bad files."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from simulation.cli import main
from simulation.portfolio import pipeline
from simulation.portfolio.analysis import analyse, still_here
from simulation.portfolio.classify import Thresholds
from simulation.portfolio.columns import propose_mapping
from simulation.portfolio.data import read_customers
from simulation.portfolio.plans import ContactPlan
from simulation.portfolio.reading import read_path
from simulation.portfolio.scenario_build import segment_class
from simulation.portfolio.settings import PortfolioSettings
from tests.portfolio.helpers import SAMPLES
from ui.portfolio import text

from .conftest import APP, APP_TIMEOUT, start_warm
from .markdown_reading import as_read, live_user_text, page_heading

PAGE = "pages/portfolio.py"


def _open_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT).run()
    at.switch_page(PAGE).run()
    assert not at.exception, f"the Portfolio page raised: {at.exception}"
    return at


def _open_example(name: str) -> AppTest:
    at = _open_page()
    at.sidebar.selectbox(key="pf_example").set_value(name).run()
    assert not at.exception, f"opening {name} raised: {at.exception}"
    assert not at.error, f"opening {name} shows errors: {[e.value for e in at.error]}"
    return at


def _open_b2b() -> AppTest:
    """The B2B example opened, its analysis computed once per session (tests/pages/conftest.py)."""
    return start_warm("portfolio:b2b_accounts.csv", lambda: _open_example("b2b_accounts.csv"))


def _texts(at) -> list[str]:
    return [m.value.replace("\\$", "$") for m in at.markdown]


def _frame(at, column: str):
    """The first table on the page with ``column`` (among its columns)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a column {column!r}")


def _model(**kw):
    raw = read_path(SAMPLES / "b2b_accounts.csv")
    return analyse(read_customers(raw, propose_mapping(raw.columns, "customers")), **kw)


def test_example_shows_the_portfolio_in_numbers_a_person_reads():
    at = _open_b2b()
    texts = _texts(at)
    a = _model()
    conc = a.concentration
    expected = (
        f"The top 10 % of customers bring {conc['top_10'] * 100:.1f} % of revenue; the top 20 % bring "
        f"{conc['top_20'] * 100:.1f} % ({conc['customers']:,} active customers)."
    )
    assert expected in texts, f"concentration sentence {expected!r} not in {texts}"
    active = (a.customers["status"] == "active").sum()
    assert any(t.startswith(f"**{active:,} active customers**, 537 lapsed, 600 prospects") for t in texts), texts
    fit = a.fits["All customers"]
    survivors = round(100 * float(fit.survival(36)))
    assert survivors == still_here(fit, 3, 12), "the sentence's number is the fitted survival at 36 months"
    sentence = f"Of 100 new customers like these, about {survivors} are still here after 3 years."
    assert sentence in texts, f"{sentence!r} not in {texts}"
    grid = _frame(at, "high potential")
    top_right = grid.loc["high contribution", "high potential"]
    cell = a.nine_box.set_index(["contribution", "potential"]).loc[("high", "high")]
    assert top_right.startswith(f"A · {cell['customers']:,} customers · $"), f"nine-box cell text: {top_right!r}"


def test_changing_a_threshold_reclassifies():
    at = _open_b2b()
    classes_before = _frame(at, "strategy").set_index("class")["customers"].to_dict()
    at.number_input(key="pf_c_hi").set_value(2000.0)
    at.button(key="FormSubmitter:pf_thresholds-Apply thresholds and classes").click().run()
    assert not at.exception, f"applying thresholds raised: {at.exception}"
    classes_after = _frame(at, "strategy").set_index("class")["customers"].to_dict()
    base = _model().thresholds
    expected = _model(
        thresholds=Thresholds(
            contribution=(base.contribution[0], 2000.0),
            potential=base.potential,
            winback_min_value=base.winback_min_value,
        )
    )
    want = expected.classes.set_index("class")["customers"].to_dict()
    assert classes_after == want, f"classes after the edit {classes_after}; the model gives {want}"
    assert classes_after != classes_before, "a higher bar for high contribution must move customers out of A"


def test_simulate_this_portfolio_lands_on_plan_with_each_class_in_tenure_bands():
    at = _open_b2b()
    at.button(key="pf_simulate").click().run()
    assert not at.exception, f"simulating raised: {at.exception}"
    scenario = at.session_state["scenario"]
    a = _model()
    counts = a.classes.set_index("class")["customers"]
    classes = [segment_class(s.name) for s in scenario.segments]
    assert list(dict.fromkeys(classes)) == [c for c in counts.index if counts[c] > 0], "segments per class, in order"
    for cls in set(classes):
        n = sum(s.customers for s in scenario.segments if segment_class(s.name) == cls)
        assert n == int(counts[cls]), f"{cls}: every customer in one of its tenure bands"
    title = page_heading(at)
    assert title == "Portfolio: b2b_accounts", f"the Plan page shows the portfolio: {title}"
    assert any("each class in tenure bands" in s.value for s in at.success), "the Plan page says what was opened"
    assert not at.error, f"the Plan page simulates the portfolio without errors: {[e.value for e in at.error]}"
    assert any(m.label == "NPV" for m in at.metric), f"the Plan page shows its figures: {[m.label for m in at.metric]}"


@pytest.mark.parametrize("name", ["shop_transactions.csv", "cohorts_fh_format.csv"])
def test_other_examples_render(name):
    at = _open_example(name)
    texts = _texts(at)
    assert any("Of 100 new customers like these" in t for t in texts), f"{name}: the fit's reading is shown"
    if name.startswith("shop"):
        assert any("counts as lapsed" in t for t in texts), f"the inactivity window is explained: {texts}"


def _with_file(name: str, data: bytes) -> AppTest:
    at = _open_page()
    at.session_state["pf_file"] = (name, data)
    return at.run()


def test_bad_file_gives_a_message_and_the_page_keeps_working():
    at = _with_file("photo.csv", b"\x89PNG\x00\x00\x00binary")
    assert not at.exception, f"a bad file must not raise: {at.exception}"
    assert "photo.csv is not a text table" in as_read(at.error[0].value), at.error[0].value
    at.sidebar.selectbox(key="pf_example").set_value("b2b_accounts.csv").run()
    assert not at.exception and not at.error, "an example opens after a bad file"


def test_rows_that_cannot_be_read_are_listed_with_lines():
    text = (SAMPLES / "b2b_accounts.csv").read_text().replace("ACC-00003,Enterprise,4000.0", "ACC-00003,Enterprise,n/a")
    at = _with_file("mine.csv", text.encode())
    assert not at.exception, f"raised: {at.exception}"
    assert "1 of 3,816 rows could not be used" in " ".join(_texts(at)), _texts(at)
    problems = _frame(at, "line")
    assert problems.iloc[0].tolist() == [4, "Monthly revenue (USD)", "'n/a' is not a number"], problems


def test_missing_column_names_the_role_and_user_text_stays_plain():
    name = "[x](https://evil.example) www.x.com.csv"
    at = _with_file(name, b"name,a@b.co\n**Acme**,https://evil.example\n")
    assert not at.exception, f"raised: {at.exception}"
    message = at.error[0].value
    assert "no column for customer_id" in as_read(message), message
    live = live_user_text(at, ("evil.example", "x.com", "a@b.co", "Acme"))
    assert not live, f"file name, columns and cells only in code spans: {live}"
    assert any(name in t.value for t in at.text), "the file name is shown as plain text"


def test_excel_with_several_sheets_offers_a_sheet_choice():
    book = openpyxl.Workbook()
    book.active.title = "Readme"
    book.active.append(["note"])
    book.active.append(["exported"])
    sheet = book.create_sheet("Customers")
    sheet.append(["customer_id", "revenue", "tenure", "status"])
    for i in range(30):
        sheet.append([f"C{i}", 100 + i, 1 + i % 12, "lapsed" if i % 3 == 0 else "active"])
    buf = io.BytesIO()
    book.save(buf)
    at = _with_file("crm.xlsx", buf.getvalue())
    assert not at.exception, f"raised: {at.exception}"
    assert any("2 sheets; read 'Readme'" in t.value for t in at.text), [t.value for t in at.text]
    at.selectbox(key="pf_sheet").set_value("Customers").run()
    assert not at.exception, f"choosing a sheet raised: {at.exception}"
    assert any(m.value.startswith("**20 active customers**") for m in at.markdown), (
        _texts(at),
        [e.value for e in at.error],
    )


def test_contact_plans_set_the_budget_shown_and_the_key_account_table():
    at = _open_b2b()
    at.session_state["pf_plans"] = {
        "A": {"contacts_per_year": 4.0, "channel": "quarterly review", "cost_per_contact": 600.0}
    }
    at.run()
    assert not at.exception, f"raised: {at.exception}"
    a = _model(plans={"A": ContactPlan(4.0, "quarterly review", 600.0)})
    levers = a.levers
    total = sum(levers.values())
    sentence = next(t for t in _texts(at) if t.startswith("The contact plans cost"))
    assert sentence == text.budget_sentence(levers, "USD", "month"), sentence
    assert f"${total / 1e3:.3g}k per month" in sentence, (
        f"the total {total:.0f} per month as a person reads it: {sentence}"
    )
    plans = _frame(at, "review_4")
    a_rows = plans[plans["class"] == "A"]
    assert (a_rows["budget_per_year"] == 2400).all(), "A's yearly plan budget follows the edited plan (4 x 600)"
    assert len(a_rows) == (a.customers.query("status == 'active'")["class"] == "A").sum(), "every A has a plan"


def test_thresholds_that_make_no_sense_are_refused_with_a_message():
    at = _open_b2b()
    at.number_input(key="pf_c_lo").set_value(5000.0)
    at.number_input(key="pf_c_hi").set_value(100.0)
    at.button(key="FormSubmitter:pf_thresholds-Apply thresholds and classes").click().run()
    assert not at.exception, f"raised: {at.exception}"
    assert any("These thresholds were not applied" in e.value for e in at.error), [e.value for e in at.error]
    assert _frame(at, "strategy") is not None, "the page still shows the classes (with the data's defaults)"


def test_the_page_and_the_command_line_analyse_through_one_function(monkeypatch, capsys):
    calls = []
    real = pipeline.analyse_portfolio

    def spy(data, settings=None, **kw):
        calls.append((data, settings, kw))
        return real(data, settings, **kw)

    monkeypatch.setattr(pipeline, "analyse_portfolio", spy)
    at = _open_example("b2b_accounts.csv")
    path = SAMPLES / "b2b_accounts.csv"
    assert len(calls) == 1, f"the page analyses the file once, through analyse_portfolio: {len(calls)} calls"
    data, page_settings, kw = calls[0]
    assert data == path.read_bytes() and kw == {"name": path.name}, "the page passes the file's bytes and name"
    raw = read_path(path)
    assert page_settings == PortfolioSettings(
        kind="customers", columns=propose_mapping(raw.columns, "customers"), period="month", gross_margin=1.0
    ), f"the page's widgets as settings: {page_settings}"
    at.run()
    assert len(calls) == 1, "a rerun with the same file and settings is a cache hit"

    calls.clear()
    assert main(["portfolio", str(path), "--format", "json"]) == 0, "the command runs"
    doc = json.loads(capsys.readouterr().out)
    assert len(calls) == 1 and calls[0][0] == str(path), f"the command analyses through analyse_portfolio: {calls}"
    shown = _frame(at, "strategy").set_index("class")["customers"].to_dict()
    printed = {c["name"]: c["customers"] for c in doc["classes"]}
    assert shown == printed, f"the page shows the classes the command prints: {shown} != {printed}"


def test_cell_classes_set_on_the_page_reclassify():
    at = _open_b2b()
    at.session_state["pf_cells"] = {"low": {"low": "C"}}
    at.run()
    assert not at.exception, f"raised: {at.exception}"
    shown = _frame(at, "strategy").set_index("class")["customers"].to_dict()
    want = _model(cell_class={("low", "low"): "C"}).classes.set_index("class")["customers"].to_dict()
    assert shown == want, f"low contribution and low potential as C: the page shows {shown}, the model gives {want}"
    assert shown != _model().classes.set_index("class")["customers"].to_dict(), "the low/low cell's customers moved"
