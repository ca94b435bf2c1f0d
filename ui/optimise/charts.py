"""Charts of the Optimise page, as pure functions of small aggregated frames.

Each builder takes a frame the optimiser already summarised (one row per split, per
total budget or per assumption, never raw runs) and returns an Altair chart whose
title, subtitle and axes say what is shown and in which unit. The plan's line and
bands are blue, the status quo (the user's current split) grey, the best split the
warm accent, as everywhere in the app (:mod:`ui.style`).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui.shared import style
from ui.shared.charts import money_label_expr, title_params

SHARE_TITLE = "Acquisition share of the acquisition + retention budget"
LOW_LABEL, HIGH_LABEL = "Assumption at its low value", "Assumption at its high value"
SIDE_COLORS = {LOW_LABEL: style.STATUS_QUO, HIGH_LABEL: style.PLAN}
# Streamlit fits a chart into its height with the default padding, which clips the first line
# of a two-line title; a little room at the top keeps the title whole on the page and in exports.
PADDING = {"top": 14, "left": 5, "right": 12, "bottom": 5}


def lower_first(label: str) -> str:
    """A label inside a sentence: ``Customer equity`` -> ``customer equity``; ``NPV of ...`` stays."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]


def _value_axis(kind: str, title: str, currency: str, signed: bool = False) -> alt.Axis:
    if kind == "money":
        expr = money_label_expr(currency)
        if signed:
            expr = f"(datum.value > 0 ? '+' : '') + {expr}"
        return alt.Axis(title=title, labelExpr=expr, grid=True)
    return alt.Axis(title=title, format="+.0%" if signed else ".0%", grid=True)


def _value_format(kind: str) -> str:
    return ",.0f" if kind == "money" else ".1%"


def _unit(kind: str, currency: str) -> str:
    return f" ({currency})" if kind == "money" else ""


def _share_axis(title: str = SHARE_TITLE) -> alt.Axis:
    return alt.Axis(title=title, format=".0%", grid=False, values=[i / 10 for i in range(11)])


# The split sweep ------------------------------------------------------------------------------
def sweep_chart(
    points: pd.DataFrame,
    *,
    best_share: float,
    best_value: float,
    noise_range: tuple[float, float],
    plan_share: float | None,
    objective_label: str,
    kind: str,
    currency: str,
    runs: int,
    bands: bool = True,
    height: int = 340,
) -> alt.LayerChart:
    """The objective against the split, the best split marked and the splits within noise shaded.

    Parameters
    ----------
    points : DataFrame
        One row per evaluated split: ``acquisition_share, value`` and, when ``bands``,
        the per-run figure's ``p5, p25, p75, p95``; ``on_grid`` marks grid splits.
    best_share, best_value : float
        The best split and its objective.
    noise_range : (float, float)
        The splits whose objective is within noise of the best.
    plan_share : float or None
        The plan's current split, marked for comparison.
    objective_label, kind : str
        What is maximised, and ``"money"`` or ``"percent"`` (a probability).
    currency : str
        The scenario's currency code.
    runs : int
        Simulated futures behind each split (said in the subtitle).
    bands : bool
        Draw the 50 % and 90 % bands of the per-run figure (not for a probability).
    """
    y_title = f"{objective_label}{_unit(kind, currency)}"
    y_scale = alt.Scale(zero=False) if kind == "money" else alt.Scale(domain=[0, 1])
    x = alt.X("acquisition_share:Q", axis=_share_axis(), scale=alt.Scale(domain=[0, 1]))
    fmt = _value_format(kind)
    base = alt.Chart(points).encode(x=x)
    layers = []
    lo, hi = noise_range
    layers.append(
        alt.Chart(pd.DataFrame({"lo": [lo], "hi": [hi]}))
        .mark_rect(color=style.ACCENT, opacity=0.16)
        .encode(x=alt.X("lo:Q", scale=alt.Scale(domain=[0, 1])), x2="hi:Q")
    )
    if bands:
        for low, high, opacity in (("p5", "p95", style.BAND_90_OPACITY), ("p25", "p75", style.BAND_50_OPACITY)):
            layers.append(
                base.mark_area(color=style.PLAN, opacity=opacity).encode(
                    y=alt.Y(f"{low}:Q", scale=y_scale, axis=_value_axis(kind, y_title, currency)), y2=f"{high}:Q"
                )
            )
    tooltip = [
        alt.Tooltip("acquisition_share:Q", title="Acquisition share", format=".1%"),
        alt.Tooltip("value:Q", title=f"{objective_label}{_unit(kind, currency)}", format=fmt),
    ]
    if bands:
        tooltip += [
            alt.Tooltip("p5:Q", title=f"5th percentile{_unit(kind, currency)}", format=fmt),
            alt.Tooltip("p95:Q", title=f"95th percentile{_unit(kind, currency)}", format=fmt),
        ]
    line_y = alt.Y("value:Q", scale=y_scale, axis=_value_axis(kind, y_title, currency))
    layers.append(base.mark_line(color=style.PLAN, strokeWidth=2.2).encode(y=line_y, tooltip=tooltip))
    layers.append(
        base.transform_filter("datum.on_grid")
        .mark_circle(color=style.PLAN, size=28, opacity=1)
        .encode(y=line_y, tooltip=tooltip)
    )
    marks = [{"acquisition_share": best_share, "value": best_value, "label": f"Best: {best_share:.0%}", "who": "best"}]
    if plan_share is not None:
        marks.append(
            {"acquisition_share": plan_share, "value": np.nan, "label": f"Plan: {plan_share:.0%}", "who": "plan"}
        )
    marks = pd.DataFrame(marks)
    rules = alt.Chart(marks).encode(x=x)
    # Each rule stops short of the other's label (the best's at the top, the plan's at the bottom).
    layers.append(
        rules.transform_filter("datum.who == 'best'")
        .mark_rule(strokeWidth=2, strokeDash=[5, 4], color=style.ACCENT)
        .encode(y=alt.value(0), y2=alt.value(alt.expr("height - 22")))
    )
    layers.append(
        rules.transform_filter("datum.who == 'plan'")
        .mark_rule(strokeWidth=2, strokeDash=[5, 4], color=style.STATUS_QUO)
        .encode(y=alt.value(22), y2=alt.value(alt.expr("height")))
    )
    layers.append(
        rules.transform_filter("datum.who == 'best'")
        .mark_point(filled=True, size=110, color=style.ACCENT, opacity=1)
        .encode(y=line_y)
    )
    # The best's label sits at the top and the plan's at the bottom, each on the side of its rule
    # that has room, so the two never cover each other however close they are.
    for who, share, color, y in (
        ("best", best_share, style.ACCENT, alt.value(12)),
        ("plan", plan_share, "#555555", alt.value(alt.expr("height - 8"))),
    ):
        if share is None:
            continue
        left = share > 0.85
        layers.append(
            rules.transform_filter(f"datum.who == '{who}'")
            .mark_text(
                align="right" if left else "left",
                dx=-5 if left else 5,
                dy=-6,
                fontSize=11,
                font=style.FONT,
                fontWeight="bold",
                color=color,
            )
            .encode(y=y, text="label:N")
        )
    subtitle = [
        f"Line: {lower_first(objective_label)} at each split, from {runs:,} simulated futures "
        "on the same random numbers.",
        "Shaded: splits within noise of the best (paired difference under 2 standard errors)."
        + (" Bands: the middle 50 % and 90 % of futures." if bands else ""),
    ]
    return alt.layer(*layers).properties(
        title=title_params(f"{objective_label} by acquisition share", subtitle), height=height, padding=PADDING
    )



def result_sweep_chart(result, currency: str, height: int = 340) -> alt.LayerChart:
    """:func:`sweep_chart` of an optimiser's answer (a :class:`~simulation.decide.search.SplitResult`)."""
    obj = result.objective_info
    return sweep_chart(
        result.points,
        best_share=result.best_share,
        best_value=result.best_value,
        noise_range=result.best_share_range,
        plan_share=result.plan_share,
        objective_label=obj.label,
        kind="money" if obj.is_money else "percent",
        currency=currency,
        runs=result.runs,
        bands=obj.statistic != "probability",
        height=height,
    )

def per_run_best_chart(frame: pd.DataFrame, *, best_share: float, runs: int, height: int = 200) -> alt.LayerChart:
    """How often each grid split is a run's own best (``acquisition_share, runs_share``)."""
    step = float(np.diff(frame["acquisition_share"]).min()) if len(frame) > 1 else 0.05
    data = frame.assign(lo=frame["acquisition_share"] - step * 0.4, hi=frame["acquisition_share"] + step * 0.4)
    bars = (
        alt.Chart(data)
        .mark_rect(color=style.PLAN, opacity=0.85)
        .encode(
            x=alt.X(
                "lo:Q",
                axis=_share_axis("Each future's own best split"),
                scale=alt.Scale(domain=[-step / 2, 1 + step / 2]),
            ),
            x2="hi:Q",
            y=alt.Y("runs_share:Q", title="Share of futures", axis=alt.Axis(format=".0%")),
            y2=alt.datum(0),
            tooltip=[
                alt.Tooltip("acquisition_share:Q", title="Split", format=".0%"),
                alt.Tooltip("runs_share:Q", title="Futures whose best it is", format=".1%"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [best_share]})).mark_rule(color=style.ACCENT, strokeWidth=2).encode(x="x:Q")
    subtitle = (
        f"Each of {runs:,} futures has its own best split; their spread shows how much the answer "
        "depends on luck and on the assumptions."
    )
    return alt.layer(bars, rule).properties(
        title=title_params("How sure: each future's own best split", subtitle), height=height, padding=PADDING
    )


# Budget size ---------------------------------------------------------------------------------
def budget_map_chart(
    frame: pd.DataFrame,
    best: pd.DataFrame,
    *,
    plan_total: float | None,
    plan_share: float | None,
    objective_label: str,
    kind: str,
    currency: str,
    period: str,
    runs: int,
    height: int = 380,
) -> alt.LayerChart:
    """Heat map of the objective over total budget x split, the best split of each total marked.

    ``frame``: ``total, acquisition_share, value``; ``best``: ``total, best_share, best_value``.
    """
    shares = np.sort(frame["acquisition_share"].unique())
    totals = np.sort(frame["total"].unique())
    ds = float(np.diff(shares).min()) if shares.size > 1 else 0.05
    dt = float(np.diff(totals).min()) if totals.size > 1 else max(float(totals[0]) * 0.1, 1.0)
    cells = frame.assign(
        x0=frame["acquisition_share"] - ds / 2,
        x1=frame["acquisition_share"] + ds / 2,
        y0=frame["total"] - dt / 2,
        y1=frame["total"] + dt / 2,
    )
    y_title = f"Acquisition + retention budget per {period} ({currency})"
    y_axis = alt.Axis(title=y_title, labelExpr=money_label_expr(currency), grid=False)
    y_scale = alt.Scale(domain=[float(totals[0] - dt / 2), float(totals[-1] + dt / 2)], nice=False, zero=False)
    x_scale = alt.Scale(domain=[-ds / 2, 1 + ds / 2], nice=False)
    legend = (
        alt.Legend(
            title=f"{objective_label}{_unit(kind, currency)}", labelExpr=money_label_expr(currency), orient="right"
        )
        if kind == "money"
        else alt.Legend(title=objective_label, format=".0%", orient="right")
    )
    color_scale = alt.Scale(scheme="blues") if kind == "money" else alt.Scale(scheme="blues", domain=[0, 1])
    heat = (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("x0:Q", axis=_share_axis(), scale=x_scale),
            x2="x1:Q",
            y=alt.Y("y0:Q", axis=y_axis, scale=y_scale),
            y2="y1:Q",
            color=alt.Color("value:Q", scale=color_scale, legend=legend),
            tooltip=[
                alt.Tooltip("total:Q", title=f"Budget per {period} ({currency})", format=",.0f"),
                alt.Tooltip("acquisition_share:Q", title="Acquisition share", format=".0%"),
                alt.Tooltip("value:Q", title=f"{objective_label}{_unit(kind, currency)}", format=_value_format(kind)),
            ],
        )
    )
    best_enc = {"x": alt.X("best_share:Q", scale=x_scale), "y": alt.Y("total:Q", scale=y_scale)}
    path = alt.Chart(best).mark_line(color=style.ACCENT, strokeWidth=2).encode(**best_enc, order="total:Q")
    dots = (
        alt.Chart(best)
        .mark_point(filled=True, size=70, color=style.ACCENT, stroke="white", strokeWidth=1, opacity=1)
        .encode(
            **best_enc,
            tooltip=[
                alt.Tooltip("total:Q", title=f"Budget per {period} ({currency})", format=",.0f"),
                alt.Tooltip("best_share:Q", title="Best acquisition share", format=".0%"),
                alt.Tooltip(
                    "best_value:Q", title=f"{objective_label}{_unit(kind, currency)}", format=_value_format(kind)
                ),
            ],
        )
    )
    layers = [heat, path, dots]
    if plan_total is not None and plan_share is not None:
        plan = pd.DataFrame({"best_share": [plan_share], "total": [plan_total], "label": ["Your plan"]})
        layers.append(
            alt.Chart(plan)
            .mark_point(shape="diamond", size=120, filled=False, color="#222222", strokeWidth=2)
            .encode(**best_enc)
        )
        layers.append(
            alt.Chart(plan)
            .mark_text(align="left", dx=9, fontSize=11, font=style.FONT, color="#222222")
            .encode(**best_enc, text="label:N")
        )
    subtitle = [
        f"Colour: {lower_first(objective_label)} at each budget and split "
        f"({runs:,} futures, the same random numbers everywhere).",
        "Orange dots: the best split for each budget (at the grid's resolution). Diamond: your plan.",
    ]
    return alt.layer(*layers).properties(
        title=title_params("Budget size and split together", subtitle), height=height, padding=PADDING
    )


def best_by_budget_chart(
    best: pd.DataFrame,
    *,
    plan_total: float | None,
    objective_label: str,
    kind: str,
    currency: str,
    period: str,
    height: int = 260,
) -> alt.LayerChart:
    """The best objective for each total budget (``total, best_share, best_value``): where more budget stops paying."""
    x = alt.X(
        "total:Q",
        axis=alt.Axis(
            title=f"Acquisition + retention budget per {period} ({currency})", labelExpr=money_label_expr(currency)
        ),
        scale=alt.Scale(zero=False),
    )
    y = alt.Y(
        "best_value:Q",
        axis=_value_axis(kind, f"Best {lower_first(objective_label)}{_unit(kind, currency)}", currency),
        scale=alt.Scale(zero=False) if kind == "money" else alt.Scale(domain=[0, 1]),
    )
    tooltip = [
        alt.Tooltip("total:Q", title=f"Budget per {period} ({currency})", format=",.0f"),
        alt.Tooltip("best_share:Q", title="Best acquisition share", format=".0%"),
        alt.Tooltip("best_value:Q", title=f"{objective_label}{_unit(kind, currency)}", format=_value_format(kind)),
    ]
    line = alt.Chart(best).mark_line(color=style.PLAN, strokeWidth=2.2, point=True).encode(x=x, y=y, tooltip=tooltip)
    top = best.iloc[[int(np.argmax(best["best_value"].to_numpy()))]]
    peak = (
        alt.Chart(top)
        .mark_point(filled=True, size=120, color=style.ACCENT, opacity=1)
        .encode(x=x, y=y, tooltip=tooltip)
    )
    layers = [line, peak]
    if plan_total is not None:
        plan = pd.DataFrame({"total": [plan_total], "label": ["Your budget"]})
        rule = alt.Chart(plan).encode(x=alt.X("total:Q"))
        layers += [
            rule.mark_rule(color=style.STATUS_QUO, strokeDash=[5, 4], strokeWidth=2),
            rule.mark_text(align="left", dx=5, y=10, fontSize=11, font=style.FONT, color="#555555").encode(
                text="label:N"
            ),
        ]
    subtitle = (
        "Each point is the best split for that budget; the orange point has the highest. "
        "Past it, more budget costs more than it brings."
    )
    if kind != "money" or objective_label.startswith("Revenue"):
        subtitle = (
            "Each point is the best split for that budget. This objective does not count the spend, so it only rises."
        )
    return alt.layer(*layers).properties(
        title=title_params(f"Best {lower_first(objective_label)} for each budget", subtitle),
        height=height,
        padding=PADDING,
    )


# Sensitivity ----------------------------------------------------------------------------------
def tornado_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Long form of a tornado table: one row per assumption and side.

    Columns ``assumption, side, setting, delta, best_share``, assumptions in the table's order.
    """
    rows = []
    for _, r in table.iterrows():
        for side, label in (("low", LOW_LABEL), ("high", HIGH_LABEL)):
            rows.append(
                {
                    "assumption": r["assumption"],
                    "side": label,
                    "setting": r[side],
                    "delta": r[f"delta_{side}"],
                    "best_share": r[f"best_share_{side}"],
                }
            )
    return pd.DataFrame(rows, columns=["assumption", "side", "setting", "delta", "best_share"])


def tornado_chart(
    frame: pd.DataFrame,
    *,
    base_share: float,
    objective_label: str,
    kind: str,
    currency: str,
    runs: int,
    bar_width: int = 380,
    split_width: int = 200,
    row_height: int = 34,
) -> alt.HConcatChart:
    """The tornado (change in the objective at the recommended split) beside the best split under each value.

    ``frame`` comes from :func:`tornado_frame`, assumptions in order of impact.
    """
    order = list(dict.fromkeys(frame["assumption"]))
    height = row_height * max(len(order), 1)
    sides = [LOW_LABEL, HIGH_LABEL]
    color = alt.Color(
        "side:N",
        scale=alt.Scale(domain=sides, range=[SIDE_COLORS[s] for s in sides]),
        legend=alt.Legend(title=None, orient="top", labelLimit=300),
    )
    y = alt.Y("assumption:N", sort=order, title=None, axis=alt.Axis(labelLimit=230))
    tooltip = [
        alt.Tooltip("assumption:N", title="Assumption"),
        alt.Tooltip("setting:N", title="Set to"),
        alt.Tooltip(
            "delta:Q",
            title=f"Change in {lower_first(objective_label)}{_unit(kind, currency)}",
            format=_value_format(kind),
        ),
        alt.Tooltip("best_share:Q", title="Best acquisition share", format=".0%"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "delta:Q",
                axis=_value_axis(
                    kind, f"Change in {lower_first(objective_label)}{_unit(kind, currency)}", currency, signed=True
                ),
            ),
            x2=alt.datum(0),
            y=y,
            yOffset=alt.YOffset("side:N", sort=sides),
            color=color,
            tooltip=tooltip,
        )
        .properties(width=bar_width, height=height, title=title_params("Change at the recommended split"))
    )
    spans = frame.groupby("assumption", sort=False)["best_share"].agg(["min", "max"]).reset_index()
    split_axis = alt.Axis(title="Best acquisition share", format=".1%", tickCount=4)
    split_scale = alt.Scale(zero=False, padding=8)
    link = (
        alt.Chart(spans)
        .mark_rule(color="#bbbbbb", strokeWidth=2)
        .encode(
            x=alt.X("min:Q", axis=split_axis, scale=split_scale),
            x2="max:Q",
            y=alt.Y("assumption:N", sort=order, axis=None),
        )
    )
    dots = (
        alt.Chart(frame)
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            x=alt.X("best_share:Q", axis=split_axis, scale=split_scale),
            y=alt.Y("assumption:N", sort=order, axis=None),
            color=color,
            tooltip=tooltip,
        )
    )
    base = alt.Chart(pd.DataFrame({"x": [base_share]})).mark_rule(color=style.ACCENT, strokeWidth=2).encode(x="x:Q")
    split = alt.layer(link, base, dots).properties(width=split_width, height=height, title=title_params("Best split"))
    subtitle = [
        "Each assumption moved to its low and high value (10th and 90th percentile of its range, or ±20 % "
        "of a plain number), the others as drawn.",
        f"{runs:,} futures; sorted by impact. Orange line: the recommended split.",
    ]
    return (
        alt.hconcat(bars, split, spacing=12)
        .resolve_scale(y="shared")
        .properties(title=title_params(f"Which assumptions matter for the {lower_first(objective_label)}", subtitle))
    )
