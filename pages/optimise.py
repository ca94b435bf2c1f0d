"""Optimise: the best split of the budget between winning and keeping customers, how sure, and why."""

from __future__ import annotations

import logging
import math

import streamlit as st

from simulation.decide import DEFAULT_GRID, NOISE_Z, OBJECTIVES, PER_RUN_NOTE, split_total
from ui.optimise import charts as oc
from ui.optimise import sections, where_it_runs
from ui.optimise import text as words
from ui.shared import cache, charts, routing, state, style, widgets
from ui.shared.prose import prose
from ui.shared.safe_text import code

routing.ensure_routed("pages/optimise.py")

log = logging.getLogger("retention_lab.app")

K_FORM, K_OBJECTIVE, K_TARGET, K_RUNS, K_GRID = "opt_form", "opt_objective", "opt_target", "opt_runs", "opt_grid"
K_USE = "opt_use"
USE_LABEL = "Use this split in the plan"
FIND_LABEL = "Find the best split"
RUN_CHOICES = (200, 500, 1000, 2000, 5000)
GRID_CHOICES = (11, 21, 41)
PLAN_PAGE = "pages/plan.py"
pct = words.pct


# The page -------------------------------------------------------------------------------------
scenario = state.current_scenario()
cur, per = scenario.currency, scenario.period
text = scenario.canonical_json()

st.title("Optimise the split")
st.caption(
    "What share of the acquisition + retention budget should go to winning new customers, how sure that is, "
    "and which assumptions could change it. Expansion and win-back budgets stay as they are."
)
widgets.show_notices()
widgets.steady_progress_bars()
executor = where_it_runs.executor()
where_it_runs.show(executor)

total = split_total(scenario)
if total <= 0:
    st.info(
        f"{code(scenario.name)} has no acquisition or retention budget to split. "
        "Give it one on the Plan page, then come back."
    )
    st.page_link(PLAN_PAGE, label="Go to the Plan page", icon=":material/tune:")
    st.stop()

seed = scenario.simulation.seed
runs_default = scenario.simulation.runs
run_choices = sorted({*RUN_CHOICES, runs_default})
st.caption(
    f"Scenario {code(scenario.name)}: {style.money(total, cur)} per {per} to split between acquisition and "
    f"retention; the plan now puts {pct(scenario.budget.acquisition_share)} into acquisition."
)

try:
    target_default = cache.default_target(text)
except Exception:  # only a starting value: the page works without it
    log.exception("default revenue target failed")
    target_default = 0.0

with st.form(K_FORM, border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    objective = c1.selectbox(
        "Objective",
        list(OBJECTIVES),
        format_func=lambda k: OBJECTIVES[k].label,
        key=K_OBJECTIVE,
        help="What the best split maximises. " + " ".join(f"{o.label}: {o.help}" for o in OBJECTIVES.values()),
    )
    target_value = c2.number_input(
        f"Revenue target, last {per} ({cur})",
        min_value=0.0,
        value=target_default,
        step=max(10 ** math.floor(math.log10(max(target_default, 10.0))) / 10, 1.0),
        format="%.0f",
        key=K_TARGET,
        help=f"Used by the objective 'Chance of reaching the revenue target': revenue in {per} "
        f"{scenario.horizon}. It starts at the plan's median.",
    )
    runs = c3.select_slider(
        "Simulated futures",
        options=run_choices,
        value=runs_default,
        key=K_RUNS,
        help="More futures give narrower noise and a steadier answer, and take longer.",
    )
    grid = c4.select_slider(
        "Splits on the grid",
        options=GRID_CHOICES,
        value=DEFAULT_GRID,
        key=K_GRID,
        help="Splits tried from 0 % to 100 % before the best is refined to within 1 point.",
    )
    st.form_submit_button(FIND_LABEL, type="primary")

obj = OBJECTIVES[objective]
kind = "money" if obj.is_money else "percent"
target = float(target_value) if objective == "target" else None

result = None
# the grid, about ten refinement steps and the plan's own split
wait = words.sweep_wait_text(cache.estimate_seconds(scenario, int(runs), int(grid) + 11), int(grid), int(runs))
with (
    widgets.errors_shown(
        "The optimiser cannot run with these settings.",
        "The optimiser could not finish on this scenario. Try fewer futures, or check the scenario on the Plan page.",
    ),
    st.spinner(wait),
):
    result = cache.split_sweep(text, objective, target, int(grid), int(runs), int(seed), executor)
if result is None:
    st.stop()

# The answer -----------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader(f"Best split: {pct(result.best_share)} to acquisition")
    warning = words.target_flat_warning(result)
    if warning:
        st.warning(warning)
    st.markdown(words.answer_text(result))
    st.markdown(words.flat_text(result, kind))
    line = words.plan_text(result, kind)
    if line:
        st.markdown(line)
    m1, m2, m3 = st.columns(3)
    m1.metric("Best acquisition share", pct(result.best_share), help="Refined to within 1 percentage point.")
    m2.metric(
        f"{obj.label} at the best split",
        words.value_text(result.best_value, kind, cur),
        delta=words.signed_text(result.best_minus_plan, kind, cur),
        help="The change is against your plan's split, on the same simulated futures.",
    )
    if result.p_best_beats_plan is not None:
        m3.metric(
            "Futures in which the best split beats your plan",
            pct(result.p_best_beats_plan),
            help="Run by run, on the same simulated futures (common random numbers).",
        )
    else:
        m3.metric("Within noise of the best", f"{pct(result.best_share_range[0])} – {pct(result.best_share_range[1])}")
    if st.button(USE_LABEL, type="primary", key=K_USE, icon=":material/check:"):
        st.session_state[state.PENDING_SPLIT_KEY] = float(result.best_share)
        st.switch_page(PLAN_PAGE)
    st.caption("Sets the Plan page's split to this share; the plan's total budget stays as it is.")

# How sure -------------------------------------------------------------------------------------
st.subheader("How sure is that?")
sweep_spec = charts.vega_spec(oc.result_sweep_chart(result, cur))
widgets.chart(sweep_spec, f"{widgets.slug(scenario.name)}-split-sweep", "opt_sweep", height=460)
st.markdown(words.noise_text(result))
summary = result.per_run_best_summary()
if summary["meaningful"]:
    st.markdown(words.per_run_text(summary))
    per_run_spec = charts.vega_spec(
        oc.per_run_best_chart(result.per_run_best_frame(), best_share=result.best_share, runs=result.runs)
    )
    widgets.chart(per_run_spec, f"{widgets.slug(scenario.name)}-own-best-split", "opt_per_run", height=300)
else:
    st.caption(PER_RUN_NOTE)

# Why ------------------------------------------------------------------------------------------
st.subheader("Why this split")
for column, side in zip(st.columns(2), ("acquisition", "retention"), strict=True):
    value, help_text, caption = words.next_dollar(result, side, scenario.horizon)
    column.metric(words.next_dollar_label(side, cur), value, help=help_text)
    column.caption(caption)
st.markdown(words.returns_text(result))
if objective in ("revenue", "target"):
    st.caption(
        "These returns are in customer value; the objective counts revenue in the last period, so they explain "
        "the split only roughly."
    )
st.caption(
    "Read from the simulation at the best split with the closed-form response and customer-value formulas "
    "(see 'How the optimiser works' at the bottom). They leave out smaller effects (for example that a "
    "customer won now leaves fewer prospects to win later), so they agree with the simulated answer to about 10 %."
)

# Budget size and sensitivity: each reruns on its own when its button is clicked ----------------
sections.budget_size(scenario, result, objective, target, int(grid), int(runs), int(seed), executor)
sections.sensitivity(scenario, result, objective, target, int(runs), int(seed), executor)

with st.expander("How the optimiser works"):
    st.markdown(prose("optimise_method", grid=int(grid), noise_z=NOISE_Z, map_runs=sections.MAP_RUNS))
