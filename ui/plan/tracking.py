"""The Plan page's "Track against actuals" box: upload what happened, see where it landed in the forecast."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from simulation import Scenario
from simulation.io.cells import to_csv
from simulation.io.plan_versions import PlanVersions
from simulation.model.scenario import bounds_of
from simulation.track import METRICS, Tracking, read_actuals_file
from ui.plan import text as plan_text
from ui.shared import cache, charts, style, widgets
from ui.shared.safe_text import code

K_OPEN = "plan_track_open"
LABEL = "Track the plan against actuals"
METRIC_WORDS = {
    "active_customers": ("Active customers", "count"),
    "new_customers": ("New customers", "count"),
    "churned_customers": ("Customers lost", "count"),
    "revenue": ("Revenue", "money"),
    "spend": ("Marketing spend", "money"),
}


def actuals_chart(tracking: Tracking, metric: str, scenario: Scenario) -> alt.LayerChart:
    """The forecast's bands over the reported periods, with each actual as a point on them."""
    rows = tracking.rows[tracking.rows["metric"] == metric].assign(series="Plan")
    name, kind = METRIC_WORDS[metric]
    per, cur = scenario.period, scenario.currency
    unit = f" ({cur})" if kind == "money" else ""
    fan = charts.fan_chart(
        rows[["series", "period", "p5", "p25", "p50", "p75", "p95"]],
        title=f"{name} per {per}: actuals on the plan's forecast",
        y_title=f"{name} per {per}{unit}" if metric != "active_customers" else f"{name}{unit}",
        kind=kind,
        currency=cur,
        period=per,
        colors={"Plan": style.PLAN},
        runs=scenario.simulation.runs,
        subtitle=[
            f"Dots: the actuals. Line: the median of {scenario.simulation.runs:,} simulated futures.",
            "Dark band: the middle 50 % of them; light band: 90 %.",
        ],
    )
    points = (
        alt.Chart(rows)
        .mark_point(filled=True, size=70, color=style.ACCENT)
        .encode(
            x="period:Q",
            y="actual:Q",
            tooltip=[
                alt.Tooltip("period:Q", title=per.capitalize()),
                alt.Tooltip("actual:Q", title=f"Actual{unit}", format=",.0f"),
                alt.Tooltip("percentile:Q", title="Percentile in the forecast", format=".0%"),
            ],
        )
    )
    title, fan.title = fan.title, alt.Undefined
    return alt.layer(fan, points).properties(title=title)


CURRENT = "This plan, as it is now"
MAX_PERIODS = int(bounds_of(Scenario, "horizon").hi)  # the plan's own horizon is checked when the actuals are tracked


def _review_pdf(scenario: Scenario, actuals: bytes, version_id: int | None) -> bytes:
    from ui.plan import review  # the review draws this module's charts, so it is imported when asked for

    return review.review_pdf(scenario, actuals, version_id)


def version_picker(scenario: Scenario) -> int | None:
    """Save this plan as a dated version, and pick what to track against: the plan now or a saved version.

    Returns the chosen version's id, or None for the plan as it is now.
    """
    with widgets.errors_shown("The plan versions cannot be used.", "The plan versions could not be read."):
        store = PlanVersions()
        if st.button("Save this plan as a version", icon=":material/bookmark_add:", key="plan_track_save"):
            saved = store.save(scenario.name, cache.plan_result(scenario))
            st.success(f"Saved {code(saved.label)}. Track against it from the list below.")
        versions = {f"{name}, version {number} of {saved_at[:10]}": vid for vid, name, number, saved_at in store.list()}
        chosen = st.selectbox("Track against", [CURRENT, *versions], key="plan_track_version")
        return versions.get(chosen)
    return None


def actuals_input() -> bytes | None:
    """The actuals as CSV bytes: an uploaded file, or the rows typed into the table (None until there are some)."""
    upload_tab, typed_tab = st.tabs(["Upload a CSV", "Type them in"])
    with upload_tab:
        upload = st.file_uploader("Actuals (CSV or .xlsx)", type=["csv", "xlsx"], key="plan_track_upload")
    with typed_tab:
        empty = pd.DataFrame({"period": pd.Series(dtype="Int64"), **{m: pd.Series(dtype="float") for m in METRICS}})
        typed = st.data_editor(
            empty, num_rows="dynamic", hide_index=True, key="plan_track_typed",
            column_config={"period": st.column_config.NumberColumn("period", min_value=1, step=1)},
        )  # fmt: skip
    if upload is not None:
        if upload.name.lower().endswith(".xlsx"):
            # a workbook is read by the bounded upload reader, then tracked as the CSV it holds
            table = read_actuals_file(upload.getvalue(), upload.name, MAX_PERIODS)
            return to_csv(table.astype({"period": int})).encode()
        return upload.getvalue()
    rows = typed.dropna(how="all")
    if rows.empty:
        return None
    return to_csv(rows.dropna(axis=1, how="all")).encode()


def tracking_box(scenario: Scenario) -> None:
    """The box, built only while open: the upload, then per metric the sentence, the chart and the table."""
    box = st.expander(LABEL, icon=":material/fact_check:", key=K_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        st.caption(
            f"A CSV with a `period` column (1 = the plan's first {scenario.period}) and any of "
            f"{', '.join(f'`{m}`' for m in METRICS)}; empty cells are periods not reported. The forecast is this "
            "plan's simulated futures."
        )
        version_id = version_picker(scenario)
        data = actuals_input()
        if data is None:
            return
        with widgets.errors_shown("These actuals cannot be tracked.", "The actuals could not be tracked."):
            if version_id is None:
                tracking = cache.track_actuals(scenario, data)
            else:
                version = PlanVersions().get(version_id)
                tracking = cache.track_version(version_id, data)
                scenario = version.scenario
                st.caption(f"Against {code(version.label)}: its forecast as saved.")
            st.markdown(plan_text.coverage_text(tracking, scenario.period))
            scores = plan_text.score_text(tracking, METRIC_WORDS, scenario.currency)
            if scores:
                st.markdown(scores)
            for metric in [m for m in METRICS if m in set(tracking.rows["metric"])]:
                rows = tracking.rows[tracking.rows["metric"] == metric]
                name = METRIC_WORDS[metric][0]
                st.markdown(plan_text.landed_text(name, rows, scenario.period))
                spec = charts.vega_spec(actuals_chart(tracking, metric, scenario))
                widgets.chart(spec, f"actuals-{metric}", f"trk_{metric}")
            if version_id is None and {"active_customers", "churned_customers"} <= set(tracking.rows["metric"]):
                reforecast_section(scenario, data)
            st.download_button(
                "Quarterly review (PDF)",
                data=lambda: _review_pdf(scenario, data, version_id),
                file_name=f"{widgets.slug(scenario.name)}-review.pdf",
                mime="application/pdf",
                on_click="ignore",
                icon=":material/picture_as_pdf:",
                key="plan_track_review",
                help="One page: each quarter against the plan, the refitted churn, the actuals on the bands, the best "
                "split now.",
            )
            shown = tracking.rows.assign(
                metric=tracking.rows["metric"].map(lambda m: METRIC_WORDS[m][0]),
                percentile=tracking.rows["percentile"].map(lambda p: style.percent(p, 0)),
            )
            st.dataframe(pd.DataFrame(shown), hide_index=True)


def reforecast_section(scenario: Scenario, actuals: bytes) -> None:
    """Churn refitted from the actuals, and the rest of the horizon re-forecast beside the plan's forecast."""
    fit, rest, plan = cache.refit_and_reforecast(scenario, actuals)
    st.markdown(plan_text.refit_text(fit, scenario.period))
    chart = reforecast_chart(scenario, rest, plan)
    widgets.chart(charts.vega_spec(chart), "reforecast-active-customers", "trk_reforecast")


def reforecast_chart(scenario: Scenario, rest: pd.DataFrame, plan: pd.DataFrame) -> alt.LayerChart:
    """Active customers over the rest of the horizon: the plan's forecast (grey) and the re-forecast (blue)."""
    first = int(rest["period"].min())
    old = plan[(plan["metric"] == "active_customers") & (plan["period"] >= first)].assign(series="Plan")
    new = rest[rest["metric"] == "active_customers"].assign(series="Re-forecast", p25=float("nan"), p75=float("nan"))
    frame = pd.concat([old, new], ignore_index=True)[["series", "period", "p5", "p25", "p50", "p75", "p95"]]
    return charts.fan_chart(
        frame,
        title=f"Active customers after {scenario.period} {first - 1}: plan and re-forecast",
        y_title="Active customers",
        kind="count",
        currency=scenario.currency,
        period=scenario.period,
        colors={"Plan": style.STATUS_QUO, "Re-forecast": style.PLAN},
        runs=scenario.simulation.runs,
        bands=(90,),
    )
