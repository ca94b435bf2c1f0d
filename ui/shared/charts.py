"""Altair charts as pure functions of small, aggregated frames.

Every builder takes a frame of percentiles or totals (never raw runs), the
currency and the period word, and returns a chart whose title, subtitle and
axis titles say what is shown and in which unit, so that a chart exported as
PNG or SVG still explains itself in a slide deck. Colours come from
:mod:`ui.style`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

# Streamlit's st.altair_chart switches Altair's data transformer and theme for every thread while
# it converts a chart, holding this lock; a spec built by another thread at that moment has its
# rows taken away and the wrong theme. Every spec built here holds the same lock.
from streamlit.elements.vega_charts import _altair_globals_lock as altair_globals_lock

from ui.shared import style

PERCENTILE_COLUMNS = ("p5", "p25", "p50", "p75", "p95")
BRIDGE_STEPS = (
    ("start", "Run-rate at the start"),
    ("new", "+ New customers"),
    ("referred", "+ Referred"),
    ("expansion", "+ Expansion"),
    ("winback", "+ Won back"),
    ("lost", "− Lost to churn"),
    ("programmes", "± Programmes"),
    ("price", "± Price change"),
    ("end", "Run-rate at the end"),
)
BRIDGE_TOTALS = ("start", "end")
BRIDGE_EFFECTS = ("programmes", "price")
BRIDGE_ROWS = 7  # the steps the default height is made for (referrals included)
BRIDGE_HEIGHT = 340
EXPORT_WIDTH = 900
BAND_NOTE = {
    (90, 50): [
        "Line: the median of {runs} simulated futures.",
        "Dark band: the middle 50 % of them; light band: 90 %.",
    ],
    (50,): ["Line: the median of {runs} simulated futures.", "Band: the middle 50 % of them."],
    (90,): ["Line: the median of {runs} simulated futures.", "Band: 90 % of them (5th to 95th percentile)."],
    (): ["Lines: the median of {runs} simulated futures."],
}


# Formatting inside Vega ---------------------------------------------------------------------
def money_label_expr(currency: str) -> str:
    """A Vega expression that writes an axis value as compact money (``$2.5M``, ``−€120k``)."""
    symbol = json.dumps(style.currency_symbol(currency), ensure_ascii=False)
    return f"(datum.value < 0 ? '−' : '') + {symbol} + replace(format(abs(datum.value), '.3~s'), 'G', 'B')"


def _axis(kind: str, title: str, currency: str) -> alt.Axis:
    if kind == "money":
        return alt.Axis(title=title, labelExpr=money_label_expr(currency), grid=True)
    if kind == "percent":
        return alt.Axis(title=title, format=".0%", grid=True)
    return alt.Axis(title=title, format="~s", grid=True)


def title_params(text: str, subtitle: str | Sequence[str] | None = None) -> alt.TitleParams:
    """The house chart title: bold title, grey explanatory subtitle, left-aligned."""
    return alt.TitleParams(
        text=text,
        subtitle=subtitle or "",
        anchor="start",
        fontSize=15,
        subtitleFontSize=11,
        subtitleColor=style.NOTE_TEXT,
        font=style.FONT,
        subtitleFont=style.FONT,
    )


def _color(series: Sequence[str], colors: Mapping[str, str], symbol: str = "square") -> alt.Color:
    # Every layer that shares the colour scale carries the same legend: a layer with
    # legend=None would suppress the merged legend of the whole chart.
    return alt.Color(
        "series:N",
        scale=alt.Scale(domain=list(series), range=[colors[s] for s in series]),
        legend=alt.Legend(
            title=None,
            orient="top",
            labelFont=style.FONT,
            labelFontSize=12,
            symbolType=symbol,
            symbolStrokeWidth=3,
            symbolOpacity=1,
        ),
        sort=list(series),
    )


def unit_title(kind: str, currency: str, period: str, what: str) -> str:
    """An axis title with its unit: ``Revenue per month (USD)``."""
    if kind == "money":
        return f"{what} ({currency})"
    return what


# Frames ---------------------------------------------------------------------------------------
def fan_frame(summaries: Mapping[str, pd.DataFrame], metric: str, first_period: int = 0) -> pd.DataFrame:
    """Percentiles of one metric per period for several series, from long path summaries.

    Parameters
    ----------
    summaries : mapping of str to DataFrame
        Series name (``"Plan"``, ``"Status quo"``, a saved scenario's name) to a long
        summary with columns ``period, metric, mean, p5, p25, p50, p75, p95``.
    metric : str
        The metric to keep (``"revenue"``, ``"active_customers"``, ...).
    first_period : int
        First period kept: 1 for flows (revenue), which are zero at period 0 by definition.

    Returns
    -------
    DataFrame
        Columns ``series, period, mean, p5, p25, p50, p75, p95``, series in the given order.
    """
    if not summaries:
        raise ValueError("fan_frame needs at least one summary")
    # built from the columns' arrays: filtering and joining pandas frames cost several milliseconds
    # of every rerun of a page that shows three fans
    series: list[str] = []
    parts: dict[str, list] = {}
    for name, summary in summaries.items():
        keep = (summary["metric"].to_numpy() == metric) & (summary["period"].to_numpy() >= first_period)
        series += [name] * int(keep.sum())
        for column in summary.columns:
            if column != "metric":
                parts.setdefault(column, []).append(summary[column].to_numpy()[keep])
    return pd.DataFrame({"series": series, **{column: np.concatenate(arrays) for column, arrays in parts.items()}})


def bridge_frame(bridges: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """The revenue run-rate bridge as floating bars, one set per series.

    ``bridges`` maps a series name to mean amounts ``start, new, [referred,] expansion,
    winback, lost, [programmes,] [price,] end`` (``lost`` positive; a step left out is not drawn).
    Returns columns ``series, order, step, amount, bar_start, bar_end, total`` where each step's
    bar runs from the running total before it to the one after it, and the two totals (``total``
    true) run from zero.
    """
    rows = []
    for series, b in bridges.items():
        level = 0.0
        for order, (key, label) in enumerate(step for step in BRIDGE_STEPS if step[0] in b):
            amount = float(b[key])
            if key in BRIDGE_TOTALS:
                start, end = 0.0, amount
                level = amount
            else:
                signed = -amount if key == "lost" else amount
                start, end = level, level + signed
                level = end
                amount = signed
            rows.append(
                {
                    "series": series,
                    "order": order,
                    "step": label,
                    "amount": amount,
                    "bar_start": start,
                    "bar_end": end,
                    "total": key in BRIDGE_TOTALS,
                }
            )
    return pd.DataFrame(rows, columns=["series", "order", "step", "amount", "bar_start", "bar_end", "total"])


def bridge_effects(bridges: Mapping[str, Mapping[str, float]]) -> bool:
    """Whether any series' bridge has a step for programmes or a price change."""
    return any(key in b for b in bridges.values() for key in BRIDGE_EFFECTS)


def bridge_height(bridges: Mapping[str, Mapping[str, float]], height: int) -> int:
    """The bridge chart's height for ``bridges``: ``height`` for up to :data:`BRIDGE_ROWS` steps, and
    as much more per step beyond, so that every bar keeps room for its label."""
    rows = len({key for b in bridges.values() for key in b})
    return round(height * max(rows, BRIDGE_ROWS) / BRIDGE_ROWS)


def bridge_options(bridges: Mapping[str, Mapping[str, float]], height: int = BRIDGE_HEIGHT) -> dict:
    """The :func:`bridge_chart` parameters that depend on which steps ``bridges`` have."""
    return {"height": bridge_height(bridges, height), "effects": bridge_effects(bridges)}


# Charts ---------------------------------------------------------------------------------------
def fan_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    y_title: str,
    kind: str,
    currency: str,
    period: str,
    colors: Mapping[str, str],
    runs: int,
    bands: Sequence[int] = (90, 50),
    subtitle: str | Sequence[str] | None = None,
    height: int = 320,
) -> alt.LayerChart:
    """Median lines with percentile bands, one colour per series (plan and status quo, or saved scenarios).

    Parameters
    ----------
    frame : DataFrame
        From :func:`fan_frame`: ``series, period, mean, p5, p25, p50, p75, p95``.
    title, y_title : str
        Chart title and y-axis title (say the unit).
    kind : {"money", "count", "percent"}
        How the y axis writes numbers.
    currency, period : str
        The scenario's currency code and period word (``"month"``).
    colors : mapping
        Series name to colour; the order of the mapping is the legend's order.
    runs : int
        Simulated futures behind the percentiles (said in the subtitle).
    bands : sequence of int
        Which bands to draw: 90 (5th-95th percentile) and/or 50 (25th-75th).
    subtitle : str, optional
        Replaces the default explanation of the line and the bands.
    """
    series = list(colors)
    note = subtitle or [line.format(runs=f"{runs:,}") for line in BAND_NOTE[tuple(sorted(set(bands), reverse=True))]]
    # Data is given once, to the layer: per-layer data makes Altair hash each copy of the frame.
    base = alt.Chart().encode(
        x=alt.X(
            "period:Q",
            title=period.capitalize(),
            axis=alt.Axis(format="d", tickMinStep=1, grid=False),
            scale=alt.Scale(zero=False, nice=False),
        ),
    )
    fmt = ",.0f" if kind != "percent" else ".1%"
    unit = f" ({currency})" if kind == "money" else ""
    tooltip = [
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("period:Q", title=period.capitalize()),
        alt.Tooltip("p50:Q", title=f"Median{unit}", format=fmt),
        alt.Tooltip("p25:Q", title=f"25th percentile{unit}", format=fmt),
        alt.Tooltip("p75:Q", title=f"75th percentile{unit}", format=fmt),
        alt.Tooltip("p5:Q", title=f"5th percentile{unit}", format=fmt),
        alt.Tooltip("p95:Q", title=f"95th percentile{unit}", format=fmt),
    ]
    layers = []
    if 90 in bands:
        layers.append(
            base.mark_area(opacity=style.BAND_90_OPACITY).encode(
                y=alt.Y("p5:Q", axis=_axis(kind, y_title, currency), scale=alt.Scale(zero=False)),
                y2="p95:Q",
                color=_color(series, colors, "stroke"),
            )
        )
    if 50 in bands:
        layers.append(
            base.mark_area(opacity=style.BAND_50_OPACITY).encode(
                y=alt.Y("p25:Q", axis=_axis(kind, y_title, currency), scale=alt.Scale(zero=False)),
                y2="p75:Q",
                color=_color(series, colors, "stroke"),
            )
        )
    layers.append(
        base.mark_line(strokeWidth=2.2).encode(
            y=alt.Y("p50:Q", axis=_axis(kind, y_title, currency), scale=alt.Scale(zero=False)),
            color=_color(series, colors, "stroke"),
            tooltip=tooltip,
        )
    )
    return alt.layer(*layers, data=frame).properties(title=title_params(title, note), height=height)


def bridge_chart(
    frame: pd.DataFrame,
    *,
    currency: str,
    period: str,
    horizon: int,
    colors: Mapping[str, str],
    runs: int,
    height: int = BRIDGE_HEIGHT,
    effects: bool = False,
) -> alt.LayerChart:
    """Waterfall of the revenue run-rate from the first period to the last, by source, per series.

    ``frame`` comes from :func:`bridge_frame`. The steps run down the page and the bars
    across, so each amount's label has its own row and labels never run into each other,
    on a phone as on a wide screen. ``effects``: the frame has a step for programmes or a
    price change (:func:`bridge_effects`), which the subtitle then explains.
    """
    series = list(colors)
    steps = [label for _key, label in BRIDGE_STEPS]
    base = alt.Chart().encode(
        y=alt.Y("step:N", sort=steps, title=None, axis=alt.Axis(labelLimit=150, labelFontSize=11)),
        yOffset=alt.YOffset("series:N", sort=series),
    )
    unit_note = f"{currency} per {period}"
    bars = base.mark_bar(height={"band": 0.9}).encode(
        x=alt.X(
            "bar_start:Q",
            axis=_axis("money", f"Revenue run-rate ({unit_note})", currency),
            scale=alt.Scale(nice=True, padding=0),
        ),
        x2="bar_end:Q",
        color=_color(series, colors),
        tooltip=[
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("step:N", title="Step"),
            alt.Tooltip("amount:Q", title=f"Amount ({unit_note})", format=",.0f"),
        ],
    )
    symbol = json.dumps(style.currency_symbol(currency), ensure_ascii=False)
    text = (
        "(datum.amount < 0 ? '−' : (datum.total ? '' : '+')) + "
        f"{symbol} + replace(format(abs(datum.amount), '.3~s'), 'G', 'B')"
    )

    # a label sits inside its bar; a bar too short to hold it (under 15 % of the widest, about 35 px
    # on a phone) has its label just outside, on the left where the row is empty (the bars before it
    # are in other rows), or on the right for a bar that starts near the axis; a step of nothing has
    # none. One layer places them all, so no layer is ever left without data to scale.
    where = (
        "(abs(datum.amount) >= 0.15 * datum.widest ? 'inside' : datum.left >= 0.15 * datum.widest ? 'before' : 'after')"
    )
    labels = (
        base.mark_text(
            fontSize=10,
            font=style.FONT,
            align=alt.expr("datum.place == 'after' ? 'left' : 'right'"),
            dx=alt.expr("datum.place == 'after' ? 4 : -4"),
            color=alt.expr(f"datum.place == 'inside' ? '#ffffff' : '{style.NOTE_TEXT}'"),
            fontWeight=alt.expr("datum.place == 'inside' ? 'bold' : 'normal'"),
        )
        .encode(x=alt.X("label_x:Q"), text=alt.Text("label:N"))
        .transform_filter("abs(datum.amount) >= 0.5")
        .transform_joinaggregate(widest="max(bar_end)")
        .transform_calculate(
            left="min(datum.bar_start, datum.bar_end)", right="max(datum.bar_start, datum.bar_end)", label=text
        )
        .transform_calculate(place=where)
        .transform_calculate(label_x="datum.place == 'before' ? datum.left : datum.right")
    )
    subtitle = [
        f"Revenue per {period} from the customers held at the start, the changes over {horizon} {period}s, "
        f"and where it ends; average of {runs:,} simulated futures.",
        "New customers, expansion and win-back add to it; churn takes away. The steps add up exactly.",
    ]
    if effects:
        subtitle[1:] = [
            "New customers, expansion and win-back add to it, at the prices before any change; churn takes away;",
            "programmes and prices in force at the end change what customers pay. The steps add up exactly.",
        ]
    return alt.layer(bars, labels, data=frame).properties(
        title=title_params(f"Where the revenue run-rate comes from over {horizon} {period}s", subtitle), height=height
    )


def gain_frame(rows: Sequence[Mapping]) -> pd.DataFrame:
    """Histogram rows (from :func:`ui.plan_text.gain_bins`) as a frame: ``start, end, share, side``."""
    return pd.DataFrame(list(rows), columns=["start", "end", "share", "side"])


def gain_histogram(
    frame: pd.DataFrame, *, currency: str, runs: int, p_loss: float, height: int = 300
) -> alt.LayerChart:
    """How the plan's NPV gain over the status quo spreads across futures; losses red, gains green, zero marked."""
    sides = ["Gain", "Loss"]
    bars = (
        alt.Chart()
        .mark_bar(binSpacing=0, stroke="#ffffff", strokeWidth=0.5)
        .encode(
            x=alt.X(
                "start:Q",
                bin="binned",
                axis=_axis("money", f"NPV of the plan minus NPV of the status quo ({currency})", currency),
            ),
            x2="end:Q",
            y=alt.Y("share:Q", title="Share of futures", axis=alt.Axis(format=".0%", grid=True)),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=sides, range=[style.POSITIVE, style.NEGATIVE]),
                legend=alt.Legend(title=None, orient="top", labelFont=style.FONT, labelFontSize=12),
            ),
            tooltip=[
                alt.Tooltip("start:Q", title=f"From ({currency})", format=",.0f"),
                alt.Tooltip("end:Q", title=f"To ({currency})", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of futures", format=".1%"),
            ],
        )
    )
    zero = alt.Chart().mark_rule(color="#333333", strokeDash=[4, 3]).encode(x=alt.datum(0))
    subtitle = [
        f"Each bar: the share of {runs:,} simulated futures with that difference in NPV (same futures for both).",
        f"Red: the plan earns less than the status quo; {style.percent(p_loss, 0)} of futures.",
    ]
    return alt.layer(bars, zero, data=frame).properties(
        title=title_params("The plan's NPV gain over the status quo, across futures", subtitle), height=height
    )


def survival_chart(frame: pd.DataFrame, *, period: str, title: str, subtitle: str | Sequence[str]) -> alt.Chart:
    """Share of a cohort still active per period, one line per curve (``period, curve, share``)."""
    curves = list(dict.fromkeys(frame["curve"]))
    palette = dict(zip(curves, [style.PLAN, style.STATUS_QUO, style.ACCENT, *style.SERIES[2:]], strict=False))
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2.2)
        .encode(
            x=alt.X("period:Q", title=f"{period.capitalize()}s since joining", axis=alt.Axis(format="d")),
            y=alt.Y("share:Q", title="Share of the cohort still a customer", axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "curve:N",
                scale=alt.Scale(domain=curves, range=[palette[c] for c in curves]),
                legend=alt.Legend(title=None, orient="top", labelLimit=400),
            ),
            # the same legend as the colour, so Vega merges them instead of warning about a conflict
            strokeDash=alt.StrokeDash(
                "curve:N", sort=curves, legend=alt.Legend(title=None, orient="top", labelLimit=400)
            ),
            tooltip=[
                alt.Tooltip("curve:N", title="Curve"),
                alt.Tooltip("period:Q", title=period.capitalize()),
                alt.Tooltip("share:Q", title="Still a customer", format=".1%"),
            ],
        )
        .properties(title=title_params(title, subtitle), height=300)
    )


def response_chart(
    frame: pd.DataFrame, *, currency: str, period: str, title: str, subtitle: str | Sequence[str]
) -> alt.Chart:
    """Units a lever delivers against spend per period, one line per lever (``spend, lever, units``)."""
    levers = list(dict.fromkeys(frame["lever"]))
    palette = dict(zip(levers, [style.PLAN, style.ACCENT, style.POSITIVE, style.SERIES[3]], strict=False))
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2.2)
        .encode(
            x=alt.X("spend:Q", axis=_axis("money", f"Spend per {period} ({currency})", currency)),
            y=alt.Y("units:Q", title=f"Customers won or kept per {period}"),
            color=alt.Color(
                "lever:N",
                scale=alt.Scale(domain=levers, range=[palette[c] for c in levers]),
                legend=alt.Legend(title=None, orient="top", labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("lever:N", title="Lever"),
                alt.Tooltip("spend:Q", title=f"Spend ({currency})", format=",.0f"),
                alt.Tooltip("units:Q", title="Customers", format=",.1f"),
            ],
        )
        .properties(title=title_params(title, subtitle), height=300)
    )


# Specs and export -----------------------------------------------------------------------------
def vega_spec(chart: alt.TopLevelMixin, **options) -> dict:
    """``chart.to_dict(**options)``, never while another session's ``st.altair_chart`` has Altair's globals changed."""
    with altair_globals_lock:
        return chart.to_dict(**options)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows of a frame as JSON-ready dicts (NaN becomes null)."""
    if not frame.isna().to_numpy().any():
        return frame.to_dict("records")
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def with_data(spec: dict, frame: pd.DataFrame) -> dict:
    """A Vega-Lite dict (from ``chart.to_dict()`` of a one-dataset chart) with its rows replaced by ``frame``'s.

    Building and validating an Altair chart costs tens of milliseconds; when only the data
    changes (a moved slider), the validated spec of the same chart is reused with new rows.
    The result shares nothing with ``spec``: a caller may change it without changing a cached template.
    """
    datasets = spec.get("datasets") or {}
    if len(datasets) != 1:
        raise ValueError("with_data needs a spec with exactly one dataset")
    (name,) = datasets
    fresh = copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"})
    fresh["datasets"] = {name: records(frame)}
    return fresh


def export_json(spec: dict, width: int = EXPORT_WIDTH) -> str:
    """Vega-Lite JSON for a file: a fixed width (a file has no container to fill)."""
    return json.dumps({**spec, "width": width})


def to_png(spec_json: str, scale: float = 2.0) -> bytes:
    """PNG bytes of a Vega-Lite spec (from :func:`export_json`), at ``scale`` times its size."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec_json, scale=scale)


def to_svg(spec_json: str) -> str:
    """SVG text of a Vega-Lite spec (from :func:`export_json`)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec_json)
