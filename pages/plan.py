"""Plan: move the budget between winning and keeping customers and see what it does, beside the status quo."""

from __future__ import annotations

import time

import streamlit as st

from simulation.io.sharing import QUERY_PARAM, encode_scenario, share_url
from ui.plan import controls as plan_controls
from ui.plan import exports, first_paint
from ui.plan import short_link as short_link_view
from ui.plan import text as plan_text
from ui.plan.editor import assumptions_editor
from ui.plan.programmes import programmes_box
from ui.plan.seek import seek_box
from ui.plan.tracking import tracking_box
from ui.shared import cache, charts, pnl, routing, state, style, widgets
from ui.shared.safe_text import heading

routing.ensure_routed("pages/plan.py")

K_ASSUMPTIONS = "plan_assumptions_open"
K_MORE = "plan_more_figures"


def show_answer(box, scenario) -> None:
    """The recommendation, in the box above the controls. The sweep depends on the model and the total,
    not on the split, so it is cached and a moved split slider only compares the plan with it."""
    with (
        box.container(),
        widgets.errors_shown(
            "The best split cannot be worked out for this scenario.", "The best split could not be worked out."
        ),
    ):
        best = cache.best_split(scenario)
        if best is not None:
            share = scenario.budget.acquisition_share
            gain_vs_best = cache.best_against_plan(scenario, best)
            st.info(plan_text.recommendation(best, share, gain_vs_best, scenario), icon=":material/assistant:")
            size = cache.budget_size(scenario, best) if plan_text.spend_less(best) else None
            budget_words = plan_text.budget_text(best, size, scenario)
            if budget_words:
                st.info(budget_words, icon=":material/savings:")


started = time.perf_counter()
short_link_view.open_from_link()
scenario = plan_controls.apply_pending_split(state.current_scenario())
plan_controls.show(scenario)
cur, per = scenario.currency, scenario.period

top_only = first_paint.top_only("plan")

heading(scenario.name)
if scenario.description:
    st.text(scenario.description)
st.markdown(plan_text.intro(scenario))
widgets.show_notices(keep=top_only)  # the whole page follows at once: show them there too

# The answer goes here, above the controls and figures; it is filled after them, so the figures show first.
# A session's first run stops after the figures (ui/first_paint.py): the rest follows once the browser has drawn them.
answer = st.empty()
with st.container(border=True):
    total_col, split_col = st.columns([1, 2])
    with total_col:
        plan_controls.total_control(scenario)
    with split_col:
        plan_controls.split_control(scenario)

figures = None
with widgets.errors_shown(
    "This scenario cannot be simulated.",
    "The simulation failed unexpectedly. Change the last edit, or start again from an example.",
):
    figures = cache.plan_figures(scenario)

if figures is not None:
    widgets.headline(figures, scenario)
    widgets.headline_metrics(figures, scenario, widgets.PRIMARY_KPIS)
    # Built only while open: eight more cards would cost the browser time on every rerun.
    more = st.expander(
        "More figures: customer equity, ROI, CLV, LTV:CAC, payback, retention", key=K_MORE, on_change="rerun"
    )
    if more.open:
        with more:
            widgets.headline_metrics(figures, scenario, widgets.MORE_KPIS)
    if not figures.identical:
        st.caption(widgets.FIGURES_NOTE)
    seek_box(scenario)
    programmes_box(scenario)
    tracking_box(scenario)


# A sweep already done is shown with the figures; a new one (about 21 engine runs) waits until the
# charts are drawn, and on a session's first run until the rest of the page.
answer_early = figures is not None and cache.best_split_ready(scenario)
if answer_early:
    show_answer(answer, scenario)
elif figures is not None:
    # never the last answer beside new figures: until this budget's sweep is done, the box says so
    answer.info(plan_text.WORKING_OUT, icon=":material/hourglass_top:")

token = encode_scenario(scenario)
if st.query_params.get(QUERY_PARAM) != token:
    st.query_params[QUERY_PARAM] = token
if top_only:
    first_paint.rest_later()

with st.sidebar:
    st.markdown("#### Scenario")
    plan_controls.scenario_pickers()
    st.markdown("#### Costs and customers")
    plan_controls.assumption_controls(scenario)

if figures is not None:
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
            title=f"Revenue per {per}: plan and status quo",
            y_title=f"Revenue per {per} ({cur})",
            kind="money",
            **fan,
        ),
        f"{stem}-revenue",
        "dl_revenue",
    )
    if not figures.identical:
        gain = figures.difference("npv")
        st.markdown(plan_text.loss_text(gain, cur))
        widgets.chart(
            cache.chart_spec(
                "gain",
                charts.gain_frame(plan_text.gain_bins(gain)),
                currency=cur,
                runs=runs,
                p_loss=float((gain < 0).mean()),
            ),
            f"{stem}-npv-gain",
            "dl_gain",
            height=360,
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
        cache.chart_spec(
            "bridge", charts.bridge_frame(bridges), horizon=scenario.horizon, **charts.bridge_options(bridges), **fan
        ),
        f"{stem}-revenue-bridge",
        "dl_bridge",
        height=charts.bridge_height(bridges, widgets.CHART_HEIGHT),
    )

    st.subheader("Year by year")
    st.caption(f"The plan's profit and loss per year. {pnl.RANGE_NOTE}")
    table = pnl.display_table(cache.year_by_year(scenario), cur, per)
    st.dataframe(table, hide_index=True, width="stretch")
    if not answer_early:
        show_answer(answer, scenario)

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
# The link's box is drawn when the popover opens: a code box costs the browser about half a second to
# set up, which would otherwise delay every new session's first figures.
with st.popover(widgets.SHARE_LINK_LABEL, icon=":material/share:"):
    # one line with its own copy button: the link is long, and wrapped it would fill a phone's screen
    st.code(share_url(st.context.url, scenario), language=None, wrap_lines=False)
    st.caption(
        "Copy it with the button at the right of the box. The link holds the whole scenario, including its "
        "runs and seed: whoever opens it sees exactly these figures. Nothing is stored on the server."
    )
st.caption("The address in your browser's address bar is the same link; it follows every change.")
short_link_view.short_link_block(scenario)

save_col, export_col = st.columns(2)
with save_col:
    st.markdown("**Save it** (to compare it with others on the Compare page)")
    widgets.save_form(scenario, key="plan_save")
with export_col:
    st.markdown("**Download**")
    exports.scenario_downloads(scenario, simulated=figures is not None)

if figures is not None:
    st.markdown("**Report and exports** (each file is built when you click it)")
    exports.plan_downloads(scenario)

st.session_state["_plan_server_ms"] = (time.perf_counter() - started) * 1000
st.page_link("pages/methodology.py", label="How the model works", icon=":material/menu_book:")
st.caption(f"Figures computed on the server in {st.session_state['_plan_server_ms']:.0f} ms.")
