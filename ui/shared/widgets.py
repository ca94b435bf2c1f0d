"""Streamlit building blocks shared by the pages: headline figures, downloads, saving, notices."""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
import unicodedata

import streamlit as st

from simulation import Scenario
from simulation.engines.summary import Comparison
from simulation.errors import InputError
from simulation.io.storage import ScenarioStore
from simulation.model.figures import FIGURES
from ui.shared import charts, style
from ui.shared.figure_text import (  # noqa: F401 - the pages read these names from widgets
    COMPARE_KPIS,
    HEADLINE_KPIS,
    LOWER_IS_BETTER,
    MORE_KPIS,
    PERIOD_SHORT,
    PRIMARY_KPIS,
    available,
    beats_text,
    decision_help,
    delta_text,
    figure_cell,
    kpi_full_name,
    kpi_label,
    kpi_range_text,
    kpi_text,
    median_or_none,
    range_or_none,
    shows_zero,
    verdict,
)
from ui.shared.safe_text import code, literal
from ui.shared.state import pop_notices

log = logging.getLogger("retention_lab.app")

P_BEATS_LABEL = "Chance the plan beats the status quo"
SAVE_NAME_LABEL = "Scenario name"
SAVE_BUTTON_LABEL = "Save scenario"
SHARE_HEADING = "Share this scenario"
SHARE_LINK_LABEL = "Show the share link"


# Messages ---------------------------------------------------------------------------------------
def show_notices(keep: bool = False) -> None:
    """Show the messages queued by callbacks since the last render (and again on the next one if ``keep``)."""
    for kind, text in pop_notices(keep):
        {"error": st.error, "warning": st.warning, "success": st.success}.get(kind, st.info)(text)


def show_input_error(exc: InputError, heading: str) -> None:
    from ui.shared.state import problems_text

    st.error(f"**{heading}**\n\n{problems_text(exc)}")


@contextlib.contextmanager
def errors_shown(cannot_run: str, failed: str):
    """Run the block, never letting a traceback reach the page.

    Bad input is shown under ``cannot_run`` with every problem listed; any other failure is
    logged and shown as ``failed``. Streamlit's own stop and rerun signals pass through.
    """
    try:
        yield
    except InputError as exc:
        show_input_error(exc, cannot_run)
    except Exception:
        log.exception(failed)
        st.error(failed)


# Headline figures -------------------------------------------------------------------------------
def headline(figures: Comparison, scenario: Scenario) -> None:
    """The plan against the status quo: the chance it beats it, in a card and in a sentence."""
    left, right = st.columns([1.6, 3], vertical_alignment="center")
    with left:
        _p_beats_card(figures, figures.plan.runs)
    with right:
        diff = figures.difference("npv")
        st.markdown(
            beats_text(
                figures.p_beats_baseline,
                median_or_none(diff),
                range_or_none(diff),
                figures.plan.runs,
                lambda x: delta_text("npv", x, scenario),
            )
        )


def headline_metrics(figures: Comparison, scenario: Scenario, keys: tuple[str, ...], columns: int = 4) -> None:
    """Figures of the plan: median, 90 % range, and the change against the status quo."""
    keys = available(keys)
    for start in range(0, len(keys), columns):
        for col, name in zip(st.columns(columns), keys[start : start + columns], strict=False):
            with col:
                _kpi_card(name, figures, scenario)


FIGURES_NOTE = (
    "Big numbers: the plan's median future. Arrows: change against the status quo, the median of the "
    "future-by-future difference. Under each: the range that holds 90 % of the futures."
)


def _p_beats_card(figures: Comparison, runs: int) -> None:
    p = figures.p_beats_baseline
    help_text = (
        f"Share of the {runs:,} simulated futures in which the plan's NPV (contribution over the horizon, "
        "discounted) is higher than the status quo's. Both are run on the same random draws "
        "(common random numbers), so the comparison is like for like. For the decision: near 100 % the plan "
        "is the safer choice; near 50 % it is a toss-up and the size of the gain decides; near 0 % keep the "
        "status quo."
    )
    if p is None:
        st.metric(P_BEATS_LABEL, "—", help=help_text, border=True)
        return
    st.metric(P_BEATS_LABEL, f"{p * 100:.0f} %", help=help_text, border=True)
    # Monte Carlo standard error of a proportion, sqrt(p (1 - p) / runs), floored at one run's worth.
    se = math.sqrt(max(p * (1 - p), 1 / runs) / runs)
    st.caption(f"of {runs:,} futures, by NPV (± {se * 100:.1f} pts sampling error)")


def _kpi_card(name: str, figures: Comparison, scenario: Scenario) -> None:
    plan = figures.plan.kpis[name]
    value = median_or_none(plan)
    band = range_or_none(plan)
    delta = None if figures.identical else median_or_none(figures.difference(name))
    change = delta_text(name, delta, scenario)
    st.metric(
        kpi_label(name, scenario),
        kpi_text(name, value, scenario),
        delta=change,
        delta_color="off" if shows_zero(change) else "inverse" if name in LOWER_IS_BETTER else "normal",
        delta_arrow="off" if shows_zero(change) else "auto",
        help=f"**{kpi_full_name(name, scenario)}.** {FIGURES[name].help} {decision_help(name)}".strip(),
        border=True,
    )
    if band is None:
        st.caption("not defined in this plan")
    else:
        st.caption(f"90 %: {kpi_range_text(name, band, scenario)}")


# Downloads --------------------------------------------------------------------------------------
def slug(text: str) -> str:
    """A file-name stem from a title: ``Subscription software, mid-market`` -> ``subscription-software-mid-market``.

    Letters and digits of any script are kept (a Thai or Greek title stays readable), combining
    marks with them; everything else (punctuation, separators, anything a file system treats
    specially) becomes one hyphen. At most 60 characters, never ending on a hyphen.
    """
    text = unicodedata.normalize("NFC", text)
    kept = "".join(ch if ch.isalnum() or unicodedata.category(ch).startswith("M") else "-" for ch in text)
    s = re.sub(r"-+", "-", kept).strip("-").lower()
    return s[:60].strip("-") or "scenario"


def chart_downloads(spec: dict, stem: str, key: str) -> None:
    """PNG and SVG buttons for one chart (a Vega-Lite dict); the image is drawn only when clicked."""
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "PNG",
            data=lambda: charts.to_png(charts.export_json(spec)),
            file_name=f"{stem}.png",
            mime="image/png",
            key=f"{key}_png",
            on_click="ignore",
            type="tertiary",
            icon=":material/download:",
            help="Download this chart as a PNG image (twice screen resolution)",
        )
        st.download_button(
            "SVG",
            data=lambda: charts.to_svg(charts.export_json(spec)),
            file_name=f"{stem}.svg",
            mime="image/svg+xml",
            key=f"{key}_svg",
            on_click="ignore",
            type="tertiary",
            icon=":material/download:",
            help="Download this chart as an SVG image (scales without blur in slides)",
        )


CHART_HEIGHT = 460  # pixels for the whole chart: Streamlit fits title, legend, axes and plot into it


def chart(spec: dict, stem: str, key: str, height: int | str = CHART_HEIGHT) -> None:
    """A chart from its Vega-Lite dict, its title above it as page text, its PNG and SVG downloads under it.

    On the page the title and subtitle are text, which wraps on a narrow screen where a
    chart's own title would be cut off; the downloaded image keeps them inside the chart.
    The element's height is given explicitly: Streamlit fits the whole chart into the
    element, so without it the plot shrinks to make room for the legend. A chart of
    several views side by side keeps its own width (fitting it to the page is not possible
    and makes Vega warn).
    """
    title = spec.get("title")
    shown = {k: v for k, v in spec.items() if k != "title"}
    if isinstance(title, dict):
        st.markdown(f"**{literal(title.get('text', ''))}**")
        subtitle = title.get("subtitle") or []
        subtitle = [subtitle] if isinstance(subtitle, str) else subtitle
        if any(subtitle):
            st.caption(literal(" ".join(str(line) for line in subtitle)))
        if isinstance(height, int):
            height -= 40 + 14 * len(subtitle)  # the room the title took inside the chart
    elif title:
        st.markdown(f"**{literal(title)}**")
    several = any(k in spec for k in ("hconcat", "vconcat", "concat", "facet", "repeat"))
    if several:
        # Streamlit would ask Vega to "fit" it, which only single and layered views can do
        shown.setdefault("autosize", {"type": "pad", "contains": "padding"})
    st.vega_lite_chart(shown, width="content" if several else "stretch", height=height)
    chart_downloads(spec, stem, key)


# Seconds between redraws of a progress bar. Each redraw re-renders the page in the browser (15-25 ms
# of a core on a 2-core machine, where the browser shares the cores with the engine): once a second
# keeps the bar and its time left current without slowing a long run.
PROGRESS_EVERY_SECONDS = 1.0


# A progress bar glides to each new value, and the glide keeps the browser redrawing the page for
# about half a second after every redraw (40-50 ms of a core each in Chromium without a GPU). On a
# page with this style its bars jump to each value instead.
STEADY_PROGRESS_STYLE = "<style>[data-testid='stProgress'] * { transition: none !important; }</style>"


def steady_progress_bars() -> None:
    """Make the page's progress bars jump to each new value (once per run of a page that has long runs)."""
    st.html(STEADY_PROGRESS_STYLE)


def progress_text(label: str, done: int, count: int, elapsed: float) -> str:
    """``Mapping budget sizes: 40 of 231, about 12 s left`` (the time left once a unit has finished)."""
    left = elapsed / done * (count - done) if done else math.nan
    eta = f", about {style.duration(left)} left" if done and done < count else ""
    return f"{label}: {done} of {count}{eta}"


def progress_bar(label: str, count: int, every: float = PROGRESS_EVERY_SECONDS, clock=time.perf_counter):
    """A progress bar that says how long is left, and the ``progress(done, count)`` callback that moves it.

    The bar is redrawn at most once every ``every`` seconds, and when the last unit finishes.
    """
    started = clock()
    bar = st.progress(0.0, text=progress_text(label, 0, count, 0.0))
    drawn = [started]

    def moved(done: int, total: int) -> None:
        now = clock()
        if done < total and now - drawn[0] < every:
            return
        drawn[0] = now
        bar.progress(done / total, text=progress_text(label, done, total, now - started))

    return bar, moved


# Saving -----------------------------------------------------------------------------------------
def open_store() -> ScenarioStore:
    """The saved-scenario library of this session's workspace (folder: ``RETENTION_LAB_DATA_DIR``, else ``./data``)."""
    from ui.shared.workspace import store

    return store()


def save_form(scenario: Scenario, key: str) -> None:
    """Save the current scenario under a name; a taken or bad name gets a message, nothing is lost."""
    store = open_store()
    with st.form(key=f"{key}_form", clear_on_submit=False, border=False):
        # No help icon here: its "Help for Scenario name" label would make the field's label ambiguous.
        name = st.text_input(
            SAVE_NAME_LABEL,
            value="",
            placeholder=f"{scenario.name} (leave empty to use this title)",
            max_chars=200,
            key=f"{key}_name",
        )
        replace = st.checkbox("Replace a saved scenario with the same name", value=False, key=f"{key}_replace")
        submitted = st.form_submit_button(SAVE_BUTTON_LABEL, type="primary", icon=":material/save:")
    if submitted:
        try:
            saved = store.save(name.strip() or scenario.name, scenario, replace=replace)
        except InputError as exc:
            st.error(f"Not saved: {code(exc)}")
        else:
            st.success(f"Saved as {code(saved.name)}. Open Compare to see it beside other scenarios.")
