"""Charts of the Lessons page and the trainer's view, as pure functions of small aggregated frames.

Each builder returns an Altair chart whose title, subtitle and axis titles say what is shown
and in which unit, in the house style of :mod:`ui.charts`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui.shared import style
from ui.shared.charts import money_label_expr, title_params

HEIGHT = 340
EVENT_COLORS = {
    "joined": "#1f5fa8",
    "expanded": "#2e7d32",
    "saved": "#00838f",
    "churned": "#c62828",
    "won_back": "#d9822b",
}
EVENT_LABELS = {"joined": "joined", "expanded": "expanded", "saved": "saved", "churned": "left", "won_back": "won back"}


FRAME_HEIGHT = 130  # title, subtitle, legend and x axis around the plot, in pixels


def element_height(chart: alt.TopLevelMixin) -> int:
    """Height to give the chart's Streamlit element: its plot height plus :data:`FRAME_HEIGHT`.

    Streamlit fits the whole chart into the element; given its height, the title and legend
    are kept inside it instead of being cut off at the top.
    """
    plot = chart.height if isinstance(chart.height, int | float) else HEIGHT
    return int(plot) + FRAME_HEIGHT


def _legend() -> alt.Legend:
    return alt.Legend(title=None, orient="top", labelFont=style.FONT, labelFontSize=12, labelLimit=400)


def bucket_chart(paths: pd.DataFrame, rule: float, *, title: str, subtitle: list[str]) -> alt.LayerChart:
    """Customers billed per month for several settings, with the learner's A / c as a dashed line.

    ``paths``: columns ``series, period, customers`` (means over runs).
    """
    series = list(dict.fromkeys(paths["series"]))
    color = alt.Color("series:N", scale=alt.Scale(domain=series, range=style.SERIES[: len(series)]),
                      legend=_legend(), sort=series)  # fmt: skip
    lines = alt.Chart(paths).mark_line(strokeWidth=2).encode(
        x=alt.X("period:Q", title="Month"),
        y=alt.Y("customers:Q", title="Customers billed in the month", axis=alt.Axis(format="~s")),
        color=color,
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("period:Q", title="month"),
                 alt.Tooltip("customers:Q", format=",.0f")],
    )  # fmt: skip
    level = alt.Chart(pd.DataFrame({"y": [rule], "label": ["new ÷ churn (your setting)"]}))
    ruled = level.mark_rule(strokeDash=[6, 4], color=style.STATUS_QUO).encode(y="y:Q")
    text = level.mark_text(align="left", dx=4, dy=-6, color="#555555", font=style.FONT).encode(
        y="y:Q", x=alt.value(4), text="label:N"
    )
    return (lines + ruled + text).properties(title=title_params(title, subtitle), height=HEIGHT)


def response_curves_chart(curves: pd.DataFrame, budget: float, *, currency: str, title: str,
                          subtitle: list[str]) -> alt.LayerChart:  # fmt: skip
    """Customers kept and won a month against the spend on each side, with the learner's budget marked.

    ``curves``: columns ``side, spend, units``.
    """
    sides = list(dict.fromkeys(curves["side"]))
    color = alt.Color("side:N", scale=alt.Scale(domain=sides, range=[style.POSITIVE, style.PLAN]),
                      legend=_legend(), sort=sides)  # fmt: skip
    lines = alt.Chart(curves).mark_line(strokeWidth=2.5).encode(
        x=alt.X("spend:Q", title=f"Spend a month on one side ({currency})",
                axis=alt.Axis(labelExpr=money_label_expr(currency))),
        y=alt.Y("units:Q", title="Customers a month"),
        color=color,
        tooltip=[alt.Tooltip("side:N"), alt.Tooltip("spend:Q", format=",.0f"), alt.Tooltip("units:Q", format=",.1f")],
    )  # fmt: skip
    mark = alt.Chart(pd.DataFrame({"x": [budget]})).mark_rule(strokeDash=[4, 3], color=style.ACCENT).encode(x="x:Q")
    return (lines + mark).properties(title=title_params(title, subtitle), height=HEIGHT)


def cohort_chart(cohort: pd.DataFrame, *, title: str, subtitle: list[str]) -> alt.Chart:
    """Survivors of 1,000 customers by month: simulated, projected with the first year's average
    churn, and if everyone had the same churn. ``cohort``: columns ``period, survival, projected, alike``."""
    names = {
        "survival": "Simulated cohort",
        "projected": "Projected with the first year's average churn",
        "alike": "If everyone had the same churn",
    }
    long = cohort.melt(id_vars="period", value_vars=list(names), var_name="key", value_name="share")
    long["series"] = long["key"].map(names)
    long["survivors"] = long["share"] * 1000
    domain = list(names.values())
    return (
        alt.Chart(long)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("period:Q", title="Months since joining", scale=alt.Scale(nice=False)),
            y=alt.Y("survivors:Q", title="Customers still there, of 1,000"),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=[style.PLAN, style.ACCENT, style.STATUS_QUO]),
                legend=_legend(),
                sort=domain,
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=domain, range=[[1, 0], [6, 4], [2, 2]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("series:N"),
                alt.Tooltip("period:Q", title="month"),
                alt.Tooltip("survivors:Q", format=",.0f"),
            ],
        )
        .properties(title=title_params(title, subtitle), height=HEIGHT)
    )


def timeline_chart(timeline: pd.DataFrame, horizon: int, *, title: str, subtitle: list[str]) -> alt.LayerChart:
    """Each customer a row: a bar while on the books, a dot per event.

    ``timeline``: columns ``row, period, event, end`` (``event == "spell"`` rows are the bars).
    """
    spells = timeline[timeline["event"] == "spell"]
    events = timeline[timeline["event"] != "spell"].copy()
    events["what"] = events["event"].map(EVENT_LABELS)
    domain = [EVENT_LABELS[e] for e in EVENT_COLORS]
    y = alt.Y("row:O", title="Customer (the first to leave at the top)", axis=alt.Axis(labels=False, ticks=False))
    bars = (
        alt.Chart(spells)
        .mark_bar(height=6, color="#c9d7ea")
        .encode(x=alt.X("period:Q", title="Month", scale=alt.Scale(domain=[0, horizon])), x2="end:Q", y=y)
    )
    dots = alt.Chart(events).mark_point(filled=True, size=45, opacity=0.95).encode(
        x="period:Q",
        y=y,
        color=alt.Color("what:N", scale=alt.Scale(domain=domain, range=list(EVENT_COLORS.values())),
                        legend=_legend(), sort=domain),
        shape=alt.Shape("what:N", scale=alt.Scale(domain=domain), legend=None),
        tooltip=[alt.Tooltip("what:N", title="event"), alt.Tooltip("period:Q", title="month")],
    )  # fmt: skip
    return (bars + dots).properties(title=title_params(title, subtitle), height=12 * int(timeline["row"].max()) + 40)


def stage_chart(curve: pd.DataFrame, point: pd.DataFrame, *, title: str, subtitle: list[str]) -> alt.LayerChart:
    """The best acquisition share against the share of the market won, with the splits within noise
    as a band, those near the best's NPV as a lighter one, and the learner's stage marked.
    ``curve``, ``point``: columns ``won, best, low, high, near_low, near_high``."""
    x = alt.X("won:Q", title="Share of the market already your customers", axis=alt.Axis(format=".0%"),
              scale=alt.Scale(domain=[0, 1]))  # fmt: skip
    y_axis = alt.Axis(format=".0%")

    def y(field: str) -> alt.Y:
        title = "Best share of the budget for acquisition"
        return alt.Y(field, title=title, axis=y_axis, scale=alt.Scale(domain=[0, 1]))

    near = (
        alt.Chart(curve)
        .mark_area(opacity=style.BAND_50_OPACITY / 2, color=style.PLAN)
        .encode(x=x, y=y("near_low:Q"), y2="near_high:Q")
    )
    band = (
        alt.Chart(curve)
        .mark_area(opacity=style.BAND_50_OPACITY, color=style.PLAN)
        .encode(x=x, y=y("low:Q"), y2="high:Q")
    )
    line = alt.Chart(curve).mark_line(point=True, color=style.PLAN, strokeWidth=2).encode(
        x=x, y="best:Q", tooltip=[alt.Tooltip("won:Q", format=".0%", title="market won"),
                                   alt.Tooltip("best:Q", format=".0%", title="best acquisition share")])  # fmt: skip
    mark = alt.Chart(point).mark_point(size=160, filled=True, color=style.ACCENT).encode(x=x, y="best:Q")
    return (near + band + line + mark).properties(title=title_params(title, subtitle), height=HEIGHT)


def leverage_chart(bars: pd.DataFrame, *, title: str, subtitle: list[str]) -> alt.Chart:
    """Change in each measure from a better retention, one bar per measure and reading of "+5 %".

    ``bars``: columns ``measure, change`` (relative changes, 0.3 = +30 %).
    """
    order = list(bars["measure"])
    return (
        alt.Chart(bars)
        .mark_bar(color=style.PLAN)
        .encode(
            y=alt.Y("measure:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("change:Q", title="Change against today's retention (%)", axis=alt.Axis(format=".0%")),
            tooltip=[alt.Tooltip("measure:N"), alt.Tooltip("change:Q", format="+.1%")],
        )
        .properties(title=title_params(title, subtitle), height=40 * len(order) + 40)
    )


def spread_chart(predictions: pd.DataFrame, answer: float | None, *, unit_format: str, axis_title: str,
                 title: str, subtitle: list[str]) -> alt.LayerChart:  # fmt: skip
    """The class's predictions as a histogram, with the simulated answer as a line when revealed.

    ``predictions``: column ``value``; ``unit_format`` a d3 format (``,.0f`` or ``.0%``).
    """
    bars = (
        alt.Chart(predictions)
        .mark_bar(color=style.PLAN, opacity=0.8)
        .encode(
            x=alt.X("value:Q", bin=alt.Bin(maxbins=20), title=axis_title, axis=alt.Axis(format=unit_format)),
            y=alt.Y("count():Q", title="Learners"),
        )
    )
    layers = [bars]
    if answer is not None:
        rule = pd.DataFrame({"value": [answer], "label": ["simulated answer"]})
        layers.append(alt.Chart(rule).mark_rule(color=style.ACCENT, strokeWidth=3).encode(x="value:Q"))
        layers.append(
            alt.Chart(rule).mark_text(align="left", dx=5, dy=-5, color=style.ACCENT, font=style.FONT)
            .encode(x="value:Q", y=alt.value(10), text="label:N")
        )  # fmt: skip
    return alt.layer(*layers).properties(title=title_params(title, subtitle), height=260)


def nine_box_chart(portfolio: pd.DataFrame, *, title: str, subtitle: list[str]) -> alt.LayerChart:
    """The portfolio in the nine boxes: value tier (rows, high on top) by risk tier (columns).

    ``portfolio``: columns ``segment, customers, value, risk`` (tiers ``low, medium, high``).
    """
    tiers = ["low", "medium", "high"]
    cells = portfolio.groupby(["value", "risk"], as_index=False).agg(
        customers=("customers", "sum"), segments=("segment", lambda x: ", ".join(x))
    )
    grid = pd.DataFrame([(v, r) for v in tiers for r in tiers], columns=["value", "risk"])
    cells = grid.merge(cells, how="left", on=["value", "risk"]).fillna({"customers": 0, "segments": ""})
    cells["target"] = (cells["value"] == "high") & (cells["risk"] == "high")
    x = alt.X("risk:O", sort=tiers, title="Risk: churn a month (thirds of the sample)", axis=alt.Axis(labelAngle=0))
    y = alt.Y("value:O", sort=tiers[::-1], title="Value: lifetime value of a customer (thirds)")
    base = alt.Chart(cells)
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("target:N", scale=alt.Scale(domain=[False, True], range=["#e8eef6", "#f6d7b8"]),
                                  legend=None),
        tooltip=[alt.Tooltip("segments:N"), alt.Tooltip("customers:Q", format=",.0f")],
    )  # fmt: skip
    names = base.mark_text(font=style.FONT, fontSize=12, dy=-8).encode(x=x, y=y, text="segments:N")
    counts = base.mark_text(font=style.FONT, fontSize=11, dy=10, color="#555555").encode(
        x=x, y=y, text=alt.Text("customers:Q", format=",.0f")
    )
    return (rect + names + counts).properties(title=title_params(title, subtitle), height=300)


def strategy_chart(table: pd.DataFrame, chosen: int, *, currency: str, title: str,
                   subtitle: list[str]) -> alt.Chart:  # fmt: skip
    """Customer value each way of spending adds, the learner's choice in the accent colour.

    ``table``: columns ``strategy, label, added`` (currency).
    """
    frame = table.assign(chosen=table["strategy"] == chosen)
    order = list(frame["label"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X(
                "added:Q",
                title=f"Customer value added, net of spend ({currency})",
                axis=alt.Axis(labelExpr=money_label_expr(currency)),
            ),
            color=alt.Color(
                "chosen:N", scale=alt.Scale(domain=[False, True], range=[style.PLAN, style.ACCENT]), legend=None
            ),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("added:Q", format=",.0f")],
        )
        .properties(title=title_params(title, subtitle), height=45 * len(order) + 40)
    )


def choice_chart(counts: pd.DataFrame, answer: str | None, *, title: str, subtitle: list[str]) -> alt.Chart:
    """How many learners chose each option; the simulated answer in the accent colour.

    ``counts``: columns ``option, learners`` (every option, in order).
    """
    frame = counts.assign(answer=counts["option"] == answer)
    order = list(frame["option"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("option:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("learners:Q", title="Learners", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "answer:N", scale=alt.Scale(domain=[False, True], range=[style.PLAN, style.ACCENT]), legend=None
            ),
        )
        .properties(title=title_params(title, subtitle), height=40 * len(order) + 40)
    )
