"""Plan: move the budget between winning and keeping customers and see what it does, beside the status quo."""

from __future__ import annotations

import logging
import math
import time

import streamlit as st

from simulation import Scenario
from simulation.errors import InputError
from simulation.io.sharing import QUERY_PARAM, encode_scenario, share_url
from simulation.model import edits
from simulation.model.distributions import central
from simulation.model.scenario import Segment, bounds_of
from ui import cache, charts, downloads, routing, short_link_view, state, style, widgets
from ui.editor import assumptions_editor
from ui.safe_text import md
from ui.upload import read_upload

routing.ensure_routed("pages/plan.py")

log = logging.getLogger("retention_lab.app")

K_PRESET, K_UPLOAD = "plan_preset", "plan_upload"
K_TOTAL, K_SPLIT, K_MULT = "plan_total", "plan_split", "plan_multiplier"
K_CHURN, K_REVENUE, K_UPSELL = "plan_churn", "plan_revenue", "plan_upsell"
K_ASSUMPTIONS = "plan_assumptions_open"
SPLIT_LABEL = "Acquisition share of the budget"
MULT_LABEL = "Acquiring a customer costs N× retaining one"
MULT_STEP = 0.5
# The control allows 1-50x, the range people discuss; files may go up to the schema's 100.
MULTIPLIER_CONTROL_MAX = 50.0


# Reading and writing the main controls --------------------------------------------------------
def _control_values(s: Scenario) -> dict[str, float]:
    """What each main control shows for scenario ``s`` (clipped to the control's range)."""
    mult = edits.cost_multiplier(s)
    lo = bounds_of(type(s.acquisition), "cost_multiplier").lo
    return {
        K_TOTAL: float(s.budget.total),
        K_SPLIT: float(round(edits.acquisition_share(s.budget) * 100)),
        K_MULT: float(min(max(round(mult / MULT_STEP) * MULT_STEP, lo), MULTIPLIER_CONTROL_MAX)),
        K_CHURN: round(edits.segment_average(s, "churn", "new") * 100, 3),
        K_REVENUE: round(edits.segment_average(s, "revenue_per_customer"), 2),
        K_UPSELL: round(edits.segment_average(s, "upsell_rate") * 100, 3),
    }


def _apply_control(key: str, what: str) -> None:
    """Callback: write one main control's new value into the session's scenario."""
    s = state.current_scenario()
    value = st.session_state.get(key)
    if value is None:
        return
    try:
        if key == K_TOTAL:
            new = edits.with_total(s, float(value))
        elif key == K_SPLIT:
            new = edits.with_split(s, float(value) / 100)
        elif key == K_MULT:
            new = edits.with_cost_multiplier(s, float(value))
        elif key == K_CHURN:
            new = edits.with_segment_average(s, "churn", float(value) / 100, "new")
        elif key == K_REVENUE:
            new = edits.with_segment_average(s, "revenue_per_customer", float(value))
        else:
            new = edits.with_segment_average(s, "upsell_rate", float(value) / 100)
    except InputError as exc:
        state.notify("error", f"**{what} was not changed.**\n\n{state.problems_text(exc, s)}")
        return
    state.set_scenario(new)


def _load_preset() -> None:
    key = st.session_state.get(K_PRESET)
    if key is None:
        return
    state.set_scenario(cache.preset(key))
    state.notify("success", f"Started from the example **{cache.preset_titles()[key]}**.")
    st.session_state[K_PRESET] = None


def _load_upload(file_name: str, data: bytes) -> Scenario | None:
    """Read an uploaded scenario file into the session; a bad file queues the problems and changes nothing."""
    scenario, message = read_upload(file_name, data)
    if scenario is not None:
        state.set_scenario(scenario)
    state.notify("success" if scenario is not None else "error", message)
    return scenario


def _on_upload() -> None:
    uploaded = st.session_state.get(K_UPLOAD)
    if uploaded is not None:
        _load_upload(uploaded.name, uploaded.getvalue())


def _spend(b, cur: str, per: str) -> str:
    """A budget in words: ``$200k per month (acquisition $185k, retention $15.0k)``."""
    parts = [f"acquisition {style.money(b.acquisition, cur)}", f"retention {style.money(b.retention, cur)}"]
    parts += [f"{name} {style.money(v, cur)}" for name, v in (("expansion", b.expansion), ("win-back", b.winback)) if v]
    return f"{style.money(b.total, cur)} per {per} ({', '.join(parts)})"


def _nice_step(x: float) -> float:
    return float(10 ** max(math.floor(math.log10(max(x, 1.0) / 50)), 0))


# The page -------------------------------------------------------------------------------------
started = time.perf_counter()
short_link_view.open_from_link()
scenario = state.current_scenario()
if state.PENDING_SPLIT_KEY in st.session_state:
    share = st.session_state.pop(state.PENDING_SPLIT_KEY)
    try:
        scenario = edits.with_split(scenario, float(share))
    except (InputError, TypeError, ValueError):
        state.notify("error", f"The suggested acquisition share {share!r} could not be applied; the plan is unchanged.")
    else:
        state.set_scenario(scenario)
        state.notify(
            "info", f"Applied the suggested split: {style.percent(float(share), 0)} of the budget to acquisition."
        )

# Controls show the scenario; they are rewritten from it on every run, so a loaded, shared or
# edited scenario and the controls never disagree.
st.session_state.update(_control_values(scenario))
cur, per = scenario.currency, scenario.period
budget = scenario.budget

with st.sidebar:
    st.markdown("#### Scenario")
    titles = cache.preset_titles()
    st.selectbox(
        "Start from an example",
        list(titles),
        index=None,
        format_func=titles.get,
        placeholder="Choose an example…",
        key=K_PRESET,
        on_change=_load_preset,
        help="Examples with every assumption filled in; each replaces the current scenario.",
    )
    st.file_uploader(
        "…or open a scenario file",
        type=["toml", "json"],
        key=K_UPLOAD,
        on_change=_on_upload,
        help="A .toml or .json scenario, such as one downloaded from this page.",
    )

    st.markdown("#### The plan")
    fixed = edits.fixed_spend(budget)
    st.number_input(
        f"Total budget per {per} ({cur})",
        min_value=float(fixed),
        step=_nice_step(scenario.baseline.total or budget.total),
        format="%.0f",
        key=K_TOTAL,
        on_change=_apply_control,
        args=(K_TOTAL, "The total budget"),
        help=f"All spend per {per}: acquisition, retention, expansion and win-back. The split below shares out "
        f"what is left after expansion and win-back ({style.money(fixed, cur)}, set in All assumptions).",
    )
    st.slider(
        SPLIT_LABEL,
        min_value=0.0,
        max_value=100.0,
        step=1.0,
        format="%.0f %%",
        key=K_SPLIT,
        on_change=_apply_control,
        args=(K_SPLIT, "The split"),
        help="Of the acquisition + retention budget, the share spent on winning new customers; "
        "the rest goes to keeping customers who would otherwise leave.",
    )
    st.caption(
        f"Acquisition {style.money(budget.acquisition, cur)} · retention {style.money(budget.retention, cur)} per {per}"
    )
    mb = bounds_of(type(scenario.acquisition), "cost_multiplier")
    st.slider(
        MULT_LABEL,
        min_value=float(mb.lo),
        max_value=MULTIPLIER_CONTROL_MAX,
        step=MULT_STEP,
        format="%.1f×",
        key=K_MULT,
        on_change=_apply_control,
        args=(K_MULT, "The acquisition cost"),
        help="How many times more it costs to win a new customer than to prevent one churn, at low spend. "
        "Research puts it at 5 to 25 times (Bain & Co.). Where the scenario holds a range, the whole range is "
        "scaled, so its uncertainty is kept.",
    )
    lo_r, hi_r = edits.RESEARCH_MULTIPLIER
    mult_now = edits.cost_multiplier(scenario)
    badge = (
        f":green-badge[within the researched {lo_r:.0f}–{hi_r:.0f}× range]"
        if lo_r <= mult_now <= hi_r
        else f":orange-badge[outside the researched {lo_r:.0f}–{hi_r:.0f}× range]"
    )
    st.caption(
        f"{badge} A new customer costs about {style.money(scenario.cac_central, cur)}, "
        f"preventing a churn about {style.money(central(scenario.retention.cost_per_save), cur)}."
    )

    st.markdown("#### The customers")
    scale_note = (
        " Changing it scales every segment (and the ends of every uncertainty range) by the same factor, "
        "so differences between segments and the width of the ranges are kept."
    )
    cb = bounds_of(Segment, "churn")
    st.number_input(
        f"Churn per {per}, new customers (%)",
        min_value=float(cb.lo) * 100,
        max_value=99.9 if cb.hi_open else float(cb.hi) * 100,
        step=0.1,
        format="%.2f",
        key=K_CHURN,
        on_change=_apply_control,
        args=(K_CHURN, "Churn"),
        help=f"Average chance that a newly won customer leaves in a {per} without retention spend, weighted by "
        "where new customers land. Customers who have stayed a while churn less (the riskiest leave first)."
        + scale_note,
    )
    st.number_input(
        f"Revenue per customer per {per} ({cur})",
        min_value=float(bounds_of(Segment, "revenue_per_customer").lo),
        step=_nice_step(edits.segment_average(scenario, "revenue_per_customer") * 5),
        format="%.0f",
        key=K_REVENUE,
        on_change=_apply_control,
        args=(K_REVENUE, "Revenue per customer"),
        help=f"Average revenue of a current customer per {per} before upsell, weighted by customers." + scale_note,
    )
    ub = bounds_of(Segment, "upsell_rate")
    st.number_input(
        f"Upsell rate per {per} (%)",
        min_value=float(ub.lo) * 100,
        max_value=float(ub.hi) * 100,
        step=0.1,
        format="%.2f",
        key=K_UPSELL,
        on_change=_apply_control,
        args=(K_UPSELL, "The upsell rate"),
        help=f"Average chance per {per} that a customer buys more without expansion spend." + scale_note,
    )

# Title and messages
st.title(md(scenario.name))
if scenario.description:
    st.caption(md(scenario.description))
customers = sum(s.customers for s in scenario.segments)
base = scenario.baseline
st.markdown(
    f"{customers:,} customers in {len(scenario.segments)} segment{'s' * (len(scenario.segments) != 1)} · "
    f"{scenario.horizon} {per}s ahead · {scenario.simulation.runs:,} simulated futures  \n"
    f"**Plan:** {_spend(budget, cur, per)} · **Status quo:** {_spend(base, cur, per)}"
)
widgets.show_notices()

# Figures
figures = None
try:
    figures = cache.plan_figures(scenario)
except InputError as exc:
    widgets.show_input_error(exc, "This scenario cannot be simulated.")
except Exception:
    log.exception("simulation failed")
    st.error("The simulation failed unexpectedly. Change the last edit, or start again from an example.")

if figures is not None:
    widgets.headline(figures, scenario)
    widgets.headline_metrics(figures, scenario)

    colors = {"Plan": style.PLAN, "Status quo": style.STATUS_QUO}
    summaries = {"Plan": figures.plan.paths, "Status quo": figures.baseline.paths}
    if figures.identical:
        colors, summaries = {"Plan": style.PLAN}, {"Plan": figures.plan.paths}
    runs = figures.plan.runs
    stem = widgets.slug(scenario.name)
    fan = dict(currency=cur, period=per, colors=colors, runs=runs)
    widgets.chart(
        cache.chart_spec(
            "fan",
            charts.fan_frame(summaries, "revenue", first_period=1),
            title=f"Revenue per {per}: the plan beside the status quo",
            y_title=f"Revenue per {per} ({cur})",
            kind="money",
            **fan,
        ),
        f"{stem}-revenue",
        "dl_revenue",
    )
    left, right = st.columns(2)
    with left:
        widgets.chart(
            cache.chart_spec(
                "fan",
                charts.fan_frame(summaries, "active_customers"),
                title="Active customers",
                y_title=f"Customers at the end of each {per}",
                kind="count",
                **fan,
            ),
            f"{stem}-customers",
            "dl_customers",
        )
    with right:
        widgets.chart(
            cache.chart_spec(
                "fan",
                charts.fan_frame(summaries, "cumulative_contribution"),
                title="Cumulative contribution",
                y_title=f"Contribution to date ({cur})",
                kind="money",
                subtitle=[
                    f"Gross profit minus spend, summed from {per} 1 (not discounted).",
                    f"Line: the median of {runs:,} futures; bands: the middle 50 % and 90 %.",
                ],
                **fan,
            ),
            f"{stem}-contribution",
            "dl_contribution",
        )
    bridges = {"Plan": figures.plan.bridge}
    if not figures.identical:
        bridges["Status quo"] = figures.baseline.bridge
    widgets.chart(
        cache.chart_spec("bridge", charts.bridge_frame(bridges), horizon=scenario.horizon, **fan),
        f"{stem}-revenue-bridge",
        "dl_bridge",
    )

# The editor's tables are heavy for the browser: they are built only while the expander is open.
assumptions = st.expander("All assumptions", icon=":material/edit_note:", key=K_ASSUMPTIONS, on_change="rerun")
if assumptions.open:
    with assumptions:
        edited = assumptions_editor(scenario)
    if edited is not None:
        state.set_scenario(edited)
        state.notify("success", "The assumptions were applied.")
        st.rerun()

st.subheader(widgets.SHARE_HEADING)
token = encode_scenario(scenario)
if st.query_params.get(QUERY_PARAM) != token:
    st.query_params[QUERY_PARAM] = token
st.code(share_url(st.context.url, scenario), language=None, wrap_lines=True)
st.caption(
    "The link holds the whole scenario, including its runs and seed: whoever opens it sees exactly these "
    "figures. Nothing is stored on the server. The address bar always holds the same link."
)

short_link_view.short_link_block(scenario)

save_col, export_col = st.columns(2)
with save_col:
    st.markdown("**Save it** (to compare it with others on the Compare page)")
    widgets.save_form(scenario, key="plan_save")
with export_col:
    st.markdown("**Download**")
    st.download_button(
        "Scenario (TOML)",
        data=scenario.to_toml(),
        file_name=f"{widgets.slug(scenario.name)}.toml",
        mime="application/toml",
        icon=":material/description:",
        on_click="ignore",
        help="The whole scenario as a file you can edit, keep, and open again here or with the command line.",
    )
    if figures is None:
        st.caption("The projections can be downloaded once the scenario can be simulated.")
    else:
        st.download_button(
            "Projections of the plan (CSV)",
            data=cache.csv_for(scenario),
            file_name=f"{widgets.slug(scenario.name)}-plan.csv",
            mime="text/csv",
            icon=":material/table:",
            on_click="ignore",
            help="Per period and metric: mean and 5th, 25th, 50th, 75th, 95th percentiles (the command line's format).",
        )
        st.download_button(
            "Projections of the status quo (CSV)",
            data=cache.csv_for(scenario, scenario.baseline),
            file_name=f"{widgets.slug(scenario.name)}-status-quo.csv",
            mime="text/csv",
            icon=":material/table:",
            on_click="ignore",
            help="The same table for the status-quo budget.",
        )

if figures is not None:
    st.markdown("**Report and exports** (each file is built when you click it)")
    downloads.plan_downloads(scenario)

st.session_state["_plan_server_ms"] = (time.perf_counter() - started) * 1000
st.page_link("pages/methodology.py", label="How the model works", icon=":material/menu_book:")
st.caption(f"Figures computed on the server in {st.session_state['_plan_server_ms']:.0f} ms.")
