"""Charts of the Portfolio page: pure functions of small aggregated frames, titled, axes with units."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui.shared import style
from ui.shared.charts import title_params
from ui.shared.style import money

CLASS_COLORS = {"A": "#1f5fa8", "B": "#5b8fd1", "C": "#d9822b", "D": "#8c8c8c"}
SERIES_COLORS = {"observed": "#333333", "fitted": "#1f5fa8", "projected": "#1f5fa8"}
LEVEL_ORDER = ["low", "medium", "high"]
WIDTH = 600
CHART_HEIGHT = 300
ELEMENT_HEIGHT = 420  # the chart with its title, axes and legend, for st.altair_chart(height=...)
NINE_BOX_HEIGHT, NINE_BOX_ELEMENT_HEIGHT = 400, 520


def nine_box_chart(frame: pd.DataFrame, currency: str, period: str) -> alt.Chart:
    """Potential across, contribution up; each cell coloured by its class, labelled with customers and revenue.

    ``frame``: one row per cell with ``contribution, potential, class, customers, revenue, label``.
    """
    base = alt.Chart(frame).encode(
        x=alt.X(
            "potential:N", sort=LEVEL_ORDER, title=f"Potential per {period} ({currency})", axis=alt.Axis(labelAngle=0)
        ),
        y=alt.Y("contribution:N", sort=list(reversed(LEVEL_ORDER)), title=f"Contribution per {period} ({currency})"),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=3).encode(
        color=alt.Color(
            "class:N", scale=alt.Scale(domain=list(CLASS_COLORS), range=list(CLASS_COLORS.values())), title="Class"
        ),
        opacity=alt.value(0.85),
        tooltip=[
            alt.Tooltip("class:N", title="Class"),
            alt.Tooltip("customers:Q", title="Active customers"),
            alt.Tooltip("revenue:Q", title=f"Revenue per {period} ({currency})", format=",.0f"),
        ],
    )
    text = base.mark_text(color="white", fontSize=13, lineBreak="\n").encode(text="label:N")
    return (cells + text).properties(
        title={
            "text": "Nine-box: contribution against potential",
            "subtitle": f"Active customers and their revenue per {period} in each cell; colour = class",
        },
        width=WIDTH,
        height=NINE_BOX_HEIGHT,
    )


def calibration_chart(frame: pd.DataFrame, name: str, period: str) -> alt.Chart:
    """Observed share still active against the fitted sBG curve and its projection.

    ``frame``: long ``period, share, series`` with series ``observed``, ``fitted``, ``projected``.
    """
    data = frame.assign(percent=frame["share"] * 100)
    color = alt.Color(
        "series:N", scale=alt.Scale(domain=list(SERIES_COLORS), range=list(SERIES_COLORS.values())), title=None
    )
    x = alt.X("period:Q", title=f"{period.capitalize()}s since joining")
    y = alt.Y("percent:Q", title="Customers still active (%)", scale=alt.Scale(domain=[0, 100]))
    tooltip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("period:Q", title=period.capitalize()),
        alt.Tooltip("percent:Q", title="Still active (%)", format=".1f"),
    ]
    observed = (
        alt.Chart(data[data["series"] == "observed"])
        .mark_circle(size=30, opacity=0.9)
        .encode(x, y, color, tooltip=tooltip)
    )
    fitted = alt.Chart(data[data["series"] == "fitted"]).mark_line(strokeWidth=2).encode(x, y, color, tooltip=tooltip)
    projected = (
        alt.Chart(data[data["series"] == "projected"])
        .mark_line(strokeWidth=2, strokeDash=[6, 4])
        .encode(x, y, color, tooltip=tooltip)
    )
    return (observed + fitted + projected).properties(
        title={
            "text": f"Retention of {name}: data and fitted model",
            "subtitle": "Dots: share still active (Kaplan-Meier, censored for active customers); line: sBG fit; "
            "dashes: its projection",
        },
        width=WIDTH,
        height=CHART_HEIGHT,
    )


HOLDOUT_SERIES = {"actual": style.STATUS_QUO, "predicted": style.PLAN}


def holdout_frame(check: pd.DataFrame) -> pd.DataFrame:
    """Long ``period, start, series, purchases`` from the holdout table (``actual`` and ``predicted`` per period)."""
    return check.melt(
        id_vars=["period", "start"], value_vars=list(HOLDOUT_SERIES), var_name="series", value_name="purchases"
    )


def holdout_chart(frame: pd.DataFrame, period: str, as_of: str) -> alt.Chart:
    """Repeat purchases per period after the as-of date: what the customers did against the model's forecast.

    ``frame``: long ``period, start, series, purchases`` (:func:`holdout_frame`).
    """
    series = list(HOLDOUT_SERIES)
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=series, range=list(HOLDOUT_SERIES.values())),
        legend=alt.Legend(title=None, orient="top"),
        sort=series,
    )
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2.2, point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("period:Q", title=f"{period.capitalize()}s after {as_of}", axis=alt.Axis(format="d")),
            y=alt.Y("purchases:Q", title=f"Repeat purchases per {period}", axis=alt.Axis(format="~s")),
            color=color,
            strokeDash=alt.StrokeDash(
                "series:N", sort=series, legend=alt.Legend(title=None, orient="top"), scale=alt.Scale(domain=series)
            ),
            tooltip=[
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("period:Q", title=period.capitalize()),
                alt.Tooltip("start:T", title="From", format="%Y-%m-%d"),
                alt.Tooltip("purchases:Q", title="Repeat purchases", format=",.1f"),
            ],
        )
        .properties(
            title=title_params(
                "Holdout check: repeat purchases after the as-of date",
                f"Per {period}, by the customers who had bought by {as_of}: what they did (actual) and what the "
                "BG/NBD model fitted to the purchases up to that date predicted",
            ),
            width=WIDTH,
            height=CHART_HEIGHT,
        )
    )


def budget_chart(frame: pd.DataFrame, currency: str, period: str) -> alt.Chart:
    """Budget per period of each strategy. ``frame``: ``strategy, lever, budget_per_period``."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("budget_per_period:Q", title=f"Budget per {period} ({currency})"),
            y=alt.Y("strategy:N", sort=list(frame["strategy"]), title="Strategy"),
            color=alt.Color("lever:N", title="Paid from"),
            tooltip=[
                alt.Tooltip("strategy:N"),
                alt.Tooltip("lever:N", title="Lever"),
                alt.Tooltip("budget_per_period:Q", title=f"Per {period} ({currency})", format=",.0f"),
            ],
        )
        .properties(
            title={
                "text": "What the contact plans cost, by strategy",
                "subtitle": f"Per {period}, from the contact plans' contacts and costs",
            },
            width=WIDTH,
            height=200,
        )
    )


def nine_box_frame(box: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The nine-box table with a text label per cell (class, customers, revenue, prospects)."""
    labels = []
    for cls, customers, prospects, revenue in zip(
        box["class"], box["customers"], box["prospects"], box["revenue"], strict=True
    ):
        text = f"{cls}\n{customers:,} customers\n{money(revenue, currency)}"
        if prospects:
            text += f"\n{prospects:,} prospects"
        labels.append(text)
    return box.assign(label=labels)
