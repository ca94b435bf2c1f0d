"""The one-page reports (PDF): the template, fonts, charts and tables every page's report shares.

Built from plain inputs (scenarios and simulation results, no Streamlit) with Typst:
the page is a template (``report.typ`` beside this module) filled with JSON, and the
charts are the app's own Altair charts turned into SVG by vl-convert, so they stay
vector graphics. Text is set in Noto Sans with Noto Sans Thai as fallback (both
installed from PyPI with the app), so Vietnamese, Thai and Latin scenario names print.
Every figure is written by :mod:`ui.figure_text`, the functions the pages use, so the
report shows the text of the page.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np

from simulation import Scenario, SimulationResult
from simulation.engines.summary import bridge_totals
from simulation.model.distributions import Distribution
from simulation.model.edits import segment_average
from simulation.model.figures import FIGURES
from ui.shared import charts, pnl, style
from ui.shared.assumption_text import multiplier_text
from ui.shared.figure_text import (
    HEADLINE_KPIS,
    delta_text,
    kpi_range_text,
    kpi_text,
    median_or_none,
    range_or_none,
)

TEMPLATE = Path(__file__).with_name("report.typ")
PAPERS = {"a4": "a4", "letter": "us-letter"}
FONT_PACKAGES = ("fontpkg_noto_sans", "fontpkg_noto_sans_thai")
MAX_YEARS = 10
MAX_COMPARED_YEARS = 5
MAX_INPUT_ROWS = 16
CHART_WIDTH = 420
BRIDGE_WIDTH = 540  # six labelled steps need more room than a line chart
CHART_HEIGHT = 185
CHART_FONT = "Noto Sans"
SUBTITLE_CHAR_PX = 5.6  # average width of a subtitle character at 11 px
METHOD = (
    "Monte Carlo simulation of {runs:,} futures of the customer base: each future draws every uncertain "
    "assumption once, customers differ in how likely they are to leave (shifted-beta-geometric churn), and "
    "acquisition, retention, expansion and win-back each buy a saturating number of customers for their spend. "
    "{what} run on the same random numbers, so differences are measured future by future; figures are the "
    "median future with the range that holds 90 % of them."
)


class ReportError(ValueError):
    """A report that cannot be built from what was given; the message says what is missing."""


# Building blocks ------------------------------------------------------------------------------
@cache
def font_paths() -> tuple[str, ...]:
    """Folders of the bundled Noto fonts (installed as Python packages)."""
    return tuple(str(importlib.resources.files(name) / "files") for name in FONT_PACKAGES)


def app_version() -> str:
    try:
        return importlib.metadata.version("retention-lab")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def paper_name(paper: str) -> str:
    key = str(paper).strip().lower()
    if key not in PAPERS:
        raise ReportError(f"paper must be one of {', '.join(PAPERS)}; got {paper!r}")
    return PAPERS[key]


def render(data: dict, svgs: Mapping[str, str]) -> bytes:
    """Typeset the report template with ``data`` (see ``report.typ``) and the named SVG charts."""
    import typst

    inputs = {"data": json.dumps(data, ensure_ascii=False, allow_nan=False)}
    inputs.update(svgs)
    return typst.compile(
        TEMPLATE.read_bytes(), font_paths=list(font_paths()), ignore_system_fonts=True, sys_inputs=inputs
    )


def svg(chart, width: int = CHART_WIDTH, legend_columns: int | None = None) -> str:
    """An Altair chart as SVG text, ``width`` pixels wide (a side-by-side chart keeps its own widths).

    Subtitle lines are wrapped to the chart's width: a title wider than its chart widens
    the image, and the report would then shrink the whole chart to fit its column.
    """
    # the builders are validated by their own tests; validating again costs a third of a chart's time
    spec = charts.vega_spec(chart, validate=False) if hasattr(chart, "to_dict") else dict(chart)
    if legend_columns:
        # long series names side by side would widen the chart beyond its column
        config = spec.get("config", {})
        spec["config"] = {
            **config,
            "legend": {**config.get("legend", {}), "columns": legend_columns, "labelLimit": 320},
        }
    title = spec.get("title")
    if isinstance(title, dict) and title.get("subtitle"):
        lines = [title["subtitle"]] if isinstance(title["subtitle"], str) else title["subtitle"]
        chars = max(int(width / SUBTITLE_CHAR_PX), 20)
        spec["title"] = {**title, "subtitle": [w for line in lines for w in textwrap.wrap(line, chars)]}
    # measured and drawn in the bundled font, so labels laid out by Vega fit where Typst draws them
    _register_fonts()
    config = spec.get("config", {})
    spec["config"] = {**config, "font": CHART_FONT}
    text = json.dumps(spec, ensure_ascii=False).replace(json.dumps(style.FONT), json.dumps(CHART_FONT))
    if any(k in spec for k in ("hconcat", "vconcat", "concat")):
        return bundled_fonts(charts.to_svg(text))
    return bundled_fonts(charts.to_svg(charts.export_json(json.loads(text), width)))


@cache
def _register_fonts() -> None:
    import vl_convert as vlc

    for path in font_paths():
        vlc.register_font_directory(path)


_SVG_TEXT = re.compile(r"(<text\b[^>]*?)font-family=\"[^\"]*\"([^>]*>)(.*?)(</text>)", re.DOTALL)
_THAI = re.compile("[\u0e00-\u0e7f]")


def bundled_fonts(svg_text: str) -> str:
    """Point every SVG text at a bundled font: Noto Sans Thai where the text holds Thai, else Noto Sans.

    Typst draws SVG text with one font per text element and no per-character fallback,
    so a label is given the font that covers it (Noto Sans Thai also covers basic Latin).
    """

    def pick(m: re.Match) -> str:
        family = "Noto Sans Thai" if _THAI.search(m.group(3)) else "Noto Sans"
        return f'{m.group(1)}font-family="{family}"{m.group(2)}{m.group(3)}{m.group(4)}'

    return _SVG_TEXT.sub(pick, svg_text)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], note: str = "", highlight=None) -> dict:
    return {
        "title": title,
        "columns": [str(c) for c in columns],
        "rows": [[str(c) for c in row] for row in rows],
        "note": note,
        "highlight": list(highlight) if highlight is not None else None,
    }


def footer(runs: int, seed: int, extra: str = "") -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Retention Lab {app_version()} · {runs:,} simulated futures · seed {seed}{extra} · made {stamp}. "
        "The same scenario, runs and seed give the same figures."
    )


def _range_text(name: str, values: np.ndarray, scenario: Scenario) -> str:
    band = range_or_none(values)
    if band is None:
        return "not defined"
    return kpi_range_text(name, band, scenario)


def spend_text(budget, cur: str, per: str) -> str:
    share = budget.acquisition_share
    split = "nothing on acquisition or retention" if share is None else f"{style.percent(share, 0)} to acquisition"
    return f"{style.money(budget.total, cur)} per {per}, {split}"


# Tables shared by the reports -------------------------------------------------------------------
def headline_rows(plan: Mapping[str, np.ndarray], baseline: Mapping[str, np.ndarray] | None, scenario: Scenario):
    """The Plan page's headline figures as table rows: figure, median, 90 % range, change against the status quo."""
    rows = []
    for name in HEADLINE_KPIS:
        values = np.asarray(plan[name], dtype=float)
        change = "—"
        if baseline is not None:
            change = delta_text(name, median_or_none(values - np.asarray(baseline[name], dtype=float)), scenario) or "—"
        rows.append(
            [
                FIGURES[name].label_for(scenario),
                kpi_text(name, median_or_none(values), scenario),
                _range_text(name, values, scenario),
                change,
            ]
        )
    return rows


def assumption_rows(scenario: Scenario) -> list[list[str]]:
    """The key assumptions: budget, split, status quo, multiplier, churn, revenue, horizon, each segment."""
    cur, per = scenario.currency, scenario.period
    rows = [
        ["Budget (plan)", spend_text(scenario.budget, cur, per)],
        ["Budget (status quo)", spend_text(scenario.baseline, cur, per)],
        ["New customer, × a save", multiplier_text(scenario)],
        ["Churn, new customers", f"{style.percent(segment_average(scenario, 'churn', 'new'), 2)} per {per}"],
        ["Revenue per customer", f"{style.money(segment_average(scenario, 'revenue_per_customer'), cur)} per {per}"],
        ["Horizon", f"{scenario.horizon} {per}s; discount {_param_text(scenario.discount_rate, True)} a year"],
    ]
    for seg in scenario.segments[:6]:
        rows.append(
            [
                f"Segment {seg.name}",
                f"{seg.customers:,} customers · {_param_text(seg.revenue_per_customer, False, cur)} · "
                f"churn {_param_text(seg.churn, True)}",
            ]
        )
    if len(scenario.segments) > 6:
        rows.append(["More segments", f"{len(scenario.segments) - 6} more (see the workbook)"])
    running = [p for p in scenario.programmes or [] if p.enabled]
    if running:
        names = "; ".join(p.name for p in running[:3]) + (f" and {len(running) - 3} more" if len(running) > 3 else "")
        rows.append([f"Programme{'s' if len(running) > 1 else ''}", names])
    return rows


def _param_text(value, percent: bool, currency: str | None = None) -> str:
    """A scenario number or its range, in words: ``1.0 %`` or ``0.8–1.5 % (triangular)``."""

    def one(x: float) -> str:
        if percent:
            return style.percent(x, 2 if abs(x) < 0.1 else 1)
        return style.money(x, currency) if currency else style.number(x)

    if not isinstance(value, Distribution):
        return one(float(value))
    if value.kind == "normal":
        return f"{one(value.mean)} ± {one(value.sd)}"
    return f"{one(value.low)}–{one(value.high)}"


def years_table(results: Mapping[str, SimulationResult], scenario: Scenario) -> dict:
    """The year-by-year table: the plan's P&L as the page shows it, or each compared scenario's revenue by year."""
    cur, per = scenario.currency, scenario.period
    if len(results) == 1:
        (result,) = results.values()
        frame = pnl.report_table(pnl.YearTable.of(result), cur, per)
        shown = frame.head(MAX_YEARS)
        note = pnl.REPORT_NOTE + " Not discounted."
        if len(frame) > MAX_YEARS:
            note += f" Years {MAX_YEARS + 1}–{len(frame)} are in the workbook."
        columns = ["", *frame.columns[1:]]
        return table("Year by year", columns, shown.to_numpy().tolist(), note)
    frames = {name: r.year_summary(("revenue",)) for name, r in results.items()}
    longest = max(len(f) for f in frames.values())
    n = min(longest, MAX_COMPARED_YEARS)
    rows = []
    for i in range(n):
        row = [f"Year {i + 1}"]
        for frame in frames.values():
            row.append(style.money(frame["mean"].iloc[i], cur) if i < len(frame) else "—")
        rows.append(row)
    note = "Revenue per year, mean of the simulated futures."
    if longest > n:
        note += f" Years {n + 1}–{longest} are in the workbook."
    return table("Revenue year by year", ["", *frames], rows, note)


def fan_svg(results: Mapping[str, SimulationResult], colors: Mapping[str, str], scenario: Scenario, title: str) -> str:
    summaries = {name: r.path_summary(("revenue",)) for name, r in results.items()}
    runs = next(iter(results.values())).runs
    chart = charts.fan_chart(
        charts.fan_frame(summaries, "revenue", first_period=1),
        title=title,
        y_title=f"Revenue per {scenario.period} ({scenario.currency})",
        kind="money",
        currency=scenario.currency,
        period=scenario.period,
        colors=colors,
        runs=runs,
        height=CHART_HEIGHT,
    )
    return svg(chart, legend_columns=2 if len(results) > 2 else None)


def bridge_svg(results: Mapping[str, SimulationResult], colors: Mapping[str, str], scenario: Scenario) -> str:
    bridges = {name: bridge_totals(r) for name, r in results.items()}
    chart = charts.bridge_chart(
        charts.bridge_frame(bridges),
        currency=scenario.currency,
        period=scenario.period,
        horizon=scenario.horizon,
        colors=colors,
        runs=next(iter(results.values())).runs,
        **charts.bridge_options(bridges, CHART_HEIGHT),
    )
    return svg(chart, BRIDGE_WIDTH)


def plan_series(plan: SimulationResult, baseline: SimulationResult | None, label: str = "Plan"):
    identical = baseline is None or plan.budget == baseline.budget
    results = {label: plan} if identical else {label: plan, "Status quo": baseline}
    colors = {label: style.PLAN, "Status quo": style.STATUS_QUO}
    return identical, results, {k: colors[k] for k in results}


def check_pair(plan: SimulationResult, baseline: SimulationResult | None) -> None:
    if baseline is not None and (baseline.runs != plan.runs or baseline.seed != plan.seed):
        raise ReportError("the status quo must be run on the plan's runs and seed")
