"""The Portfolio page's sentences and charts, as pure functions."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.portfolio.analysis import calibration_frame
from simulation.portfolio.classify import DEFAULT_CELL_CLASS
from simulation.portfolio.fit import Lifetimes, fit_sbg
from simulation.portfolio.settings import PortfolioSettings
from ui.portfolio import charts, tables, text


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (700, "USD", "$700"),
        (1234.4, "USD", "$1.23k"),
        (12_345, "EUR", "€12.3k"),
        (4_560_000, "GBP", "£4.56M"),
        (-50, "CHF", "-CHF 50"),
    ],
)
def test_money_in_the_portfolio_sentences_reads_as_on_the_other_pages(value, currency, expected):
    sentence = text.lapsed_sentence(2, value, currency, "month", 0)
    assert f"they contributed {expected} per month" in sentence, f"{value} {currency} as {expected}: {sentence}"


def test_shares_and_churn_percent():
    assert "bring 42.4 % of revenue" in text.concentration_sentence(0.4242, 0.6, 10), "shares with one decimal"
    assert text.churn_percent(0.01389) == "1.39 %", "small churn keeps three significant digits"
    assert text.churn_percent(0.3699) == "37.0 %", "large churn one decimal"


def test_sentences_read_as_written():
    sentence = text.still_here_sentence(82, 3)
    assert sentence == "Of 100 new customers like these, about 82 are still here after 3 years.", sentence
    assert text.still_here_sentence(50, 1).endswith("after 1 year."), "singular year"
    assert text.concentration_sentence(0.3874, 0.6562, 2679) == (
        "The top 10 % of customers bring 38.7 % of revenue; the top 20 % bring 65.6 % (2,679 active customers)."
    ), "concentration"
    assert text.lapsed_sentence(1, 700, "USD", "month", 500) == (
        "1 lapsed customer worth winning back: they contributed $700 per month together before leaving "
        "(each at least $500)."
    ), "lapsed, singular"
    assert text.cell_label("A", 182, 0, 175_680, "USD") == "A · 182 customers · $176k", "nine-box cell"
    assert text.cell_label("C", 1, 169, 0, "USD") == "C · 1 customer · $0 · 169 prospects", "cell with prospects"
    assert text.budget_sentence(
        {"acquisition": 100, "retention": 2000, "expansion": 0, "winback": 50}, "EUR", "quarter"
    ) == (
        "The contact plans cost €2.15k per quarter: acquisition €100, retention (as programmes) €2.00k, expansion €0, "
        "win-back €50."
    ), "budget"


def test_calibration_chart_has_titles_units_and_three_series():
    fit = fit_sbg(Lifetimes.from_cohorts([[1000, 631, 468, 382, 326, 289, 262, 241]]), "Regular")
    frame = calibration_frame(fit, 12)
    assert set(frame["series"]) == {"observed", "fitted", "projected"}, "data, fit and projection"
    assert frame[frame["series"] == "projected"]["period"].min() == 7, "the projection starts where the data end"
    spec = charts.calibration_chart(frame, "Regular", "year").to_dict()
    assert spec["title"]["text"] == "Retention of Regular: data and fitted model", spec["title"]
    layer = spec["layer"][0]["encoding"]
    assert layer["y"]["title"] == "Customers still active (%)" and layer["x"]["title"] == "Years since joining", layer


def test_nine_box_and_budget_charts_are_labelled():
    box = pd.DataFrame(
        [
            {
                "contribution": c,
                "potential": p,
                "class": "A",
                "customers": 2,
                "prospects": 1,
                "revenue": 1500.0,
                "revenue_share": 1 / 9,
            }
            for c in ("low", "medium", "high")
            for p in ("low", "medium", "high")
        ]
    )
    framed = charts.nine_box_frame(box, "EUR")
    assert framed["label"].iloc[0] == "A\n2 customers\n€1.50k\n1 prospects", framed["label"].iloc[0]
    spec = charts.nine_box_chart(framed, "EUR", "month").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Potential per month (EUR)", spec["layer"][0]["encoding"]
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Contribution per month (EUR)", "contribution axis with unit"
    strategies = pd.DataFrame(
        {"strategy": ["acquire", "retain"], "lever": ["acquisition", "retention"], "budget_per_period": [100.0, 200.0]}
    )
    bars = charts.budget_chart(strategies, "EUR", "month").to_dict()
    assert bars["encoding"]["x"]["title"] == "Budget per month (EUR)", bars["encoding"]["x"]
    assert bars["title"]["text"] == "What the contact plans cost, by strategy", bars["title"]


def test_cell_classes_come_back_from_the_editor_frame_as_set():
    chosen = {("low", "low"): "C", ("high", "medium"): "B"}
    frame = tables.cells_frame(chosen)
    assert list(frame.index) == ["high contribution", "medium contribution", "low contribution"], frame.index
    assert list(frame.columns) == ["low potential", "medium potential", "high potential"], frame.columns
    assert frame.loc["low contribution", "low potential"] == "C", "the chosen class is shown in its cell"
    back = tables.cell_classes(frame)
    expected = {**DEFAULT_CELL_CLASS, **chosen}
    assert {(c, p): cls for c, row in back.items() for p, cls in row.items()} == expected, back
    assert PortfolioSettings(cell_classes=back).cell_class() == expected, "the settings read the cells as set"


def test_customers_and_risk_sentences():
    counts = {"active": 2679, "lapsed": 537, "prospect": 600}
    assert text.customers_sentence(counts, 3_082_000, "USD", "month").startswith(
        "**2,679 active customers**, 537 lapsed, 600 prospects; revenue per month $"
    ), "counts with separators, revenue as money"
    sentence = text.risk_sentence((0.0016, 0.0048), {"low": 900, "medium": 1000, "high": 779}, "month")
    assert sentence == (
        "Churn risk next month: **low** below 0.16 % (900 customers), **medium** (1,000), **high** from 0.48 % (779)."
    ), sentence
