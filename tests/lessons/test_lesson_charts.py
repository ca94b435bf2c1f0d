"""The lesson charts are titled, have axes with units, and draw the frames they are given."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.lessons import LESSONS
from ui.lessons import charts as lesson_charts
from ui.lessons import text as lessons_text


def _titles(spec: dict) -> list[str]:
    out = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "title" and isinstance(value, str):
                    out.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return out


@pytest.fixture(scope="module")
def outcomes():
    return {key: lesson.run() for key, lesson in LESSONS.items()}


def build(key, outcome):
    lesson = LESSONS[key]
    title, subtitle = lessons_text.chart_titles(lesson, outcome)
    f, frames = outcome.figures, outcome.frames
    if key == "leaky_bucket":
        return lesson_charts.bucket_chart(frames["paths"], f["rule"], title=title, subtitle=subtitle), title
    if key == "cost_ratio":
        chart = lesson_charts.response_curves_chart(frames["curves"], f["budget"], currency="USD", title=title,
                                                    subtitle=subtitle)  # fmt: skip
        return chart, title
    if key == "profit_leverage":
        return lesson_charts.leverage_chart(frames["bars"], title=title, subtitle=subtitle), title
    if key == "value_risk":
        table = frames["strategies"]
        chart = lesson_charts.strategy_chart(table, f["chosen"], currency="USD", title=title, subtitle=subtitle)
        return chart, title
    if key == "loyalty":
        return lesson_charts.cohort_chart(frames["cohort"], title=title, subtitle=subtitle), title
    return lesson_charts.stage_chart(frames["curve"], frames["point"], title=title, subtitle=subtitle), title


EXPECTED_AXES = {
    "leaky_bucket": ("Month", "Customers billed in the month"),
    "cost_ratio": ("Spend a month on one side (USD)", "Customers a month"),
    "profit_leverage": ("Change against today's retention (%)",),
    "value_risk": ("Customer value added, net of spend (USD)",),
    "loyalty": ("Months since joining", "Customers still there, of 1,000"),
    "stage": ("Share of the market already your customers", "Best share of the budget for acquisition"),
}


@pytest.mark.parametrize("key", list(EXPECTED_AXES))
def test_lesson_chart_has_its_title_axes_and_data(key, outcomes):
    chart, title = build(key, outcomes[key])
    spec = chart.to_dict()
    titles = _titles(spec)
    for expected in (*EXPECTED_AXES[key],):
        assert expected in titles, f"{key}: axis title {expected!r} missing from {titles}"
    assert spec["title"]["text"] == title, f"{key}: chart title"
    rows = sum(len(v) for v in spec.get("datasets", {}).values())
    assert rows > 0, f"{key}: the chart carries no data"


def test_timeline_chart_draws_every_customer(outcomes):
    frame = outcomes["loyalty"].frames["timeline"]
    spec = lesson_charts.timeline_chart(frame, 36, title="Lives", subtitle=["x"]).to_dict()
    assert "Month" in _titles(spec), "the timeline's x axis is in months"
    data = [row for rows in spec["datasets"].values() for row in rows]
    assert {row["row"] for row in data} == set(frame["row"]), "every customer is drawn"


def test_spread_chart_marks_the_answer_only_when_given():
    frame = pd.DataFrame({"value": [1500.0, 2000.0, 2600.0]})
    with_answer = lesson_charts.spread_chart(frame, 1997.0, unit_format=",.0f", axis_title="Prediction",
                                             title="Predictions", subtitle=["3 learners"]).to_dict()  # fmt: skip
    without = lesson_charts.spread_chart(frame, None, unit_format=",.0f", axis_title="Prediction",
                                         title="Predictions", subtitle=["3 learners"]).to_dict()  # fmt: skip
    assert len(with_answer["layer"]) == 3 and len(without["layer"]) == 1, "the answer is a rule and a label"
    assert "Learners" in _titles(with_answer), "the y axis counts learners"


def test_nine_box_chart_has_all_nine_boxes(outcomes):
    spec = lesson_charts.nine_box_chart(
        outcomes["value_risk"].frames["portfolio"], title="Boxes", subtitle=["x"]
    ).to_dict()
    data = [row for rows in spec["datasets"].values() for row in rows]
    assert len({(r["value"], r["risk"]) for r in data}) == 9, "every box is drawn, empty ones too"
    assert "Risk: churn a month (thirds of the sample)" in _titles(spec), "the risk axis says what it is"


def test_choice_chart_counts_learners_per_option():
    counts = pd.DataFrame({"option": ["Evenly", "Most valuable", "Highest churn", "Value at risk"],
                           "learners": [1, 0, 2, 0]})  # fmt: skip
    spec = lesson_charts.choice_chart(counts, "Value at risk", title="Choices", subtitle=["3"]).to_dict()
    data = [row for rows in spec["datasets"].values() for row in rows]
    assert [r["answer"] for r in data] == [False, False, False, True], "the simulated answer is marked"
    assert "Learners" in _titles(spec), "the axis counts learners"


def test_shares_are_typed_in_percent_and_read_back_exactly():
    from ui.lessons.units import from_widget, to_widget, widget_format

    for value in (0.0, 0.05, 0.123456, 1.0):
        assert from_widget(to_widget(value, "share"), "share") == pytest.approx(value), "a share survives its widget"
    assert to_widget(0.05, "share") == 5.0 and to_widget(7.0, "multiple") == 7.0, "shares in percent, others as is"
    assert widget_format(0.01, "share") == "%.0f" and widget_format(0.005, "share") == "%.1f", "decimals the step needs"
    assert widget_format(250.0, "money") == "%.0f" and widget_format(0.25, "multiple") == "%.2f"
