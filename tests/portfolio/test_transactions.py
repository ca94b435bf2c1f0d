"""Transaction logs on small logs checked by hand: inactivity, revenue per period, mean spend per purchase."""

from __future__ import annotations

import pandas as pd
import pytest

from .helpers import read_text

LOG = """customer,date,amount
A,2024-01-05,100
A,2024-01-20,50
B,2024-01-10,40
C,2024-02-01,20
A,2024-02-11,20
C,2024-02-15,60
A,2024-03-10,30
"""


@pytest.fixture
def customers():
    kind, data = read_text(LOG, as_of="2024-03-31", inactivity_days=30)
    assert kind == "transactions", f"a log with customer, date, amount is a transaction log; got {kind}"
    return data, data.customers.set_index("customer_id")


def test_inactivity_rule(customers):
    data, c = customers
    # days since the last purchase on 31 March: A 21 (active), B 81 and C 45 (both more than 30: lapsed)
    assert c["status"].to_dict() == {"A": "active", "B": "lapsed", "C": "lapsed"}, c["status"].to_dict()
    assert c.loc["C", "end"] == pd.Timestamp("2024-02-15"), "a lapsed customer's end is their last purchase"
    assert data.inactivity_days == 30, "the window set by the user is kept"


def test_mean_not_sum_spend_per_purchase(customers):
    _, c = customers
    # A: 100 + 50 + 20 + 30 = 200 over 4 purchases; B: 40 once; C: 20 + 60 over 2
    assert c["spend_per_purchase"].to_dict() == pytest.approx({"A": 50.0, "B": 40.0, "C": 40.0}), "mean per purchase"
    assert c["purchases"].to_dict() == {"A": 4, "B": 1, "C": 2}, "purchases counted per customer"


def test_revenue_per_period_per_customer(customers):
    _, c = customers
    # A: 200 over January to March (active to the log's end: 3 months); B: 40 in January (1 month);
    # C: 80 in February only, the month of their last purchase (1 month)
    assert c["revenue"].to_dict() == pytest.approx({"A": 200 / 3, "B": 40.0, "C": 80.0}), "revenue per month"
    # A has survived 2 monthly renewals (5 January to 31 March); B and C paid 1 month each before leaving
    assert c["tenure"].to_dict() == {"A": 2, "B": 1, "C": 1}, c["tenure"].to_dict()


def test_revenue_per_calendar_period(customers):
    data, _ = customers
    table = data.revenue_by_period.set_index("period_start")
    assert table["revenue"].tolist() == pytest.approx([190.0, 100.0, 30.0]), "Jan 100+50+40, Feb 20+20+60, Mar 30"
    assert table["purchases"].tolist() == [3, 3, 1], "purchases per month"
    assert table["customers"].tolist() == [2, 2, 1], "buying customers per month"
    months = [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    assert list(table.index) == months, f"one row per calendar month, by its first day: {list(table.index)}"
    _, quarterly = read_text(LOG, as_of="2024-03-31", inactivity_days=30, period="quarter")
    assert quarterly.revenue_by_period["revenue"].tolist() == pytest.approx([320.0]), "one quarter holds it all"
    assert quarterly.customers.set_index("customer_id").loc["A", "revenue"] == pytest.approx(200.0), "per quarter"


def test_default_window_needs_enough_repeat_purchases():
    _, data = read_text(LOG)
    assert data.inactivity_days == 365, "4 gaps between repeat purchases are too few to learn a window from"
    assert "Too few repeat purchases" in data.inactivity_reason, data.inactivity_reason
    assert data.as_of == pd.Timestamp("2024-03-10"), "the log's last purchase is its date by default"


def test_default_window_is_the_ninetieth_percentile_of_gaps():
    # D buys every 10 days (10 gaps of 10 days), E twice 40 days apart: of the 11 gaps the 90th
    # percentile (linear interpolation) is the 10th smallest, 10 days
    rows = ["customer,date,amount"]
    rows += [f"D,{(pd.Timestamp('2024-01-01') + pd.Timedelta(days=10 * i)).date()},5" for i in range(11)]
    rows += ["E,2024-01-01,5", "E,2024-02-10,5"]
    _, data = read_text("\n".join(rows) + "\n")
    gaps = [10] * 10 + [40]
    expected = 10
    assert pd.Series(gaps).quantile(0.9) == expected, "the percentile worked out by hand"
    assert data.inactivity_days == expected, f"90th percentile of {gaps} is {expected}; got {data.inactivity_days}"
    assert f"within {expected} days" in data.inactivity_reason, data.inactivity_reason
