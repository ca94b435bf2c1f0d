"""Optimise: the best split of the budget between winning and keeping customers, how sure, and why."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import streamlit as st

from simulation import Scenario, parse_scenario
from simulation.decide import (
    DEFAULT_GRID,
    FLAT_TOLERANCE,
    NOISE_Z,
    OBJECTIVES,
    PER_RUN_NOTE,
    BudgetMap,
    MapRow,
    SplitResult,
    Tornado,
    TornadoSide,
    optimize_split,
    split_total,
    sweep_total,
    tornado_assumptions,
    tornado_pair,
    tornado_side,
)
from ui import optimise_charts as oc
from ui import routing, state, style, widgets
from ui.safe_text import md

routing.ensure_routed("pages/optimise.py")

log = logging.getLogger("retention_lab.app")

K_FORM, K_OBJECTIVE, K_TARGET, K_RUNS, K_GRID = "opt_form", "opt_objective", "opt_target", "opt_runs", "opt_grid"
K_MAP_LOW, K_MAP_HIGH, K_MAP_BUTTON, K_MAP = "opt_map_low", "opt_map_high", "opt_map_button", "_opt_map"
K_BY_SEGMENT, K_TORNADO_BUTTON, K_TORNADO = "opt_by_segment", "opt_tornado_button", "_opt_tornado"
K_USE = "opt_use"
USE_LABEL = "Use this split in the plan"
FIND_LABEL = "Find the best split"
MAP_LABEL = "Map budget sizes"
TORNADO_LABEL = "Run the sensitivity analysis"
RUN_CHOICES = (200, 500, 1000, 2000, 5000)
GRID_CHOICES = (11, 21, 41)
MAP_TOTALS = 11
MAP_RUNS = 1000  # futures per cell of the map: 231 cells stay quick, and common random numbers keep rows comparable
PLAN_PAGE = "pages/plan.py"


# Cached computations (keyed by the scenario's canonical JSON and plain parameters) ---------------
def _scenario(text: str) -> Scenario:
    return parse_scenario(text, "json")


@st.cache_data(max_entries=32, show_spinner=False)
def cached_sweep(text: str, objective: str, target: float | None, grid: int, runs: int, seed: int) -> SplitResult:
    """The split sweep and its refinement (about 1.5 s for 1,000 runs of the default preset)."""
    return optimize_split(_scenario(text), objective, target, grid, runs, seed)


@st.cache_data(max_entries=256, show_spinner=False)
def cached_map_row(
    text: str, total: float, objective: str, target: float | None, grid: int, runs: int, seed: int
) -> MapRow:
    """One total budget of the map (each row is cached, so a wider range reuses the rows it shares)."""
    return sweep_total(_scenario(text), total, objective, target, grid, runs, seed)


@st.cache_data(max_entries=1024, show_spinner=False)
def cached_tornado(
    text: str,
    key: str | None,
    base_share: float,
    objective: str,
    target: float | None,
    runs: int,
    seed: int,
    by_segment: bool,
) -> tuple[TornadoSide, TornadoSide] | TornadoSide:
    """One assumption at both ends; with ``key`` None the unmoved reference (one side)."""
    scenario = _scenario(text)
    if key is None:
        return tornado_side(scenario, None, "low", base_share, objective, target, runs, seed)
    item = next(i for i in tornado_assumptions(scenario, by_segment) if i.key == key)
    return tornado_pair(scenario, item, base_share, objective, target, runs, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def default_target(text: str) -> float:
    """A revenue target to start from: the plan's median revenue in the last period, rounded."""
    summary = state.summarise(_scenario(text), runs=200)
    median = float(np.nanmedian(summary.kpi("revenue_final")))
    if not math.isfinite(median) or median <= 0:
        return 0.0
    digits = 2 - math.floor(math.log10(median))
    return float(round(median, digits))


# Words ----------------------------------------------------------------------------------------
def pct(x: float) -> str:
    return style.percent(x, 0)


def span(lo: float, hi: float) -> str:
    """``between 55 % and 70 %``, or ``at 62 %`` when both round to the same percent."""
    return f"at {pct(lo)}" if round(lo * 100) == round(hi * 100) else f"between {pct(lo)} and {pct(hi)}"


def value_text(x: float | None, kind: str, currency: str) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return style.money(x, currency) if kind == "money" else style.percent(x, 0)


def signed_text(x: float | None, kind: str, currency: str) -> str | None:
    if x is None or not math.isfinite(x):
        return None
    sign = "+" if x >= 0 else "-"
    return sign + (style.money(abs(x), currency) if kind == "money" else f"{abs(x) * 100:.0f} pts")


def answer_text(r: SplitResult) -> str:
    """The answer in plain words: the split, its range within noise, and what it means in money."""
    lo, hi = r.best_share_range
    if round(lo * 100) == round(hi * 100):
        noise = f"nothing outside {pct(lo)} is within noise"
    else:
        noise = f"anything from {pct(lo)} to {pct(hi)} is within noise"
    per, cur = r.period, r.currency
    budget = r.best_budget
    return (
        f"Put {pct(r.best_share)} of the budget into acquisition ({noise}): about "
        f"{style.money(budget.acquisition, cur)} per {per} on winning customers and "
        f"{style.money(budget.retention, cur)} on keeping them, out of {style.money(r.total, cur)}."
    )


def flat_text(r: SplitResult, kind: str) -> str:
    lo, hi = r.near_best_range
    obj = OBJECTIVES[r.objective]
    tolerance = f"{style.percent(FLAT_TOLERANCE, 0)} of the best" if kind == "money" else "1 point"
    return (
        f"How much the exact split matters: anything from {pct(lo)} to {pct(hi)} comes within {tolerance} "
        f"{'on' if kind == 'money' else 'of'} {oc.lower_first(obj.label)}."
    )


def plan_text(r: SplitResult, kind: str) -> str | None:
    if r.plan_share is None:
        return None
    if abs(r.plan_share - r.best_share) < 0.005:
        return f"Your plan already puts {pct(r.plan_share)} into acquisition: it is the best split."
    gain = value_text(abs(r.best_minus_plan), kind, r.currency)
    what = oc.lower_first(OBJECTIVES[r.objective].label)
    if kind != "money":
        gain = f"{abs(r.best_minus_plan) * 100:.0f} points"
    verb = "adds" if r.best_minus_plan >= 0 else "loses"
    text = f"Your plan puts {pct(r.plan_share)} into acquisition; the best split {verb} {gain} of {what}"
    if r.p_best_beats_plan is not None:
        text += f", and does better in {pct(r.p_best_beats_plan)} of the simulated futures"
    return text + "."


def returns_text(r: SplitResult) -> str:
    """Why: the next dollar on each side, and what that says about the split and the total."""
    m, cur = r.marginal, r.currency
    a, b = m.acquisition_return, m.retention_return
    unit = style.currency_symbol(cur).strip() or cur
    one = f"{unit}1"

    def back(x: float) -> str:
        return f"{unit}{x:.2f}"

    if m.corner is not None:
        kept, dropped = m.corner, "retention" if m.corner == "acquisition" else "acquisition"
        r_kept, r_dropped = (a, b) if kept == "acquisition" else (b, a)
        if r_dropped < r_kept:
            text = (
                f"All of it goes to {kept}: the next {one} on {dropped} would bring back {back(r_dropped)}, "
                f"less than {kept}'s {back(r_kept)}" + (", and less than it costs." if r_dropped < 1 else ".")
            )
        else:
            text = (
                f"All of it goes to {kept}, although the first {one} on {dropped} would bring back "
                f"{back(r_dropped)} against {kept}'s {back(r_kept)}. That return does not last: it falls "
                f"quickly after the first dollars (for example when the market runs out), which the simulation "
                "sees and this reading of the next dollar does not. The simulated answer stands."
            )
    else:
        text = (
            f"At the best split the next {one} brings back {back(a)} on acquisition and {back(b)} on retention. "
            "Under a fixed budget the best split is where the two are equal (the budget-constrained form of "
            "Blattberg and Deighton's customer equity test); the simulation balances them exactly, this reading "
            "of it approximately."
        )
        if a > 1 and b > 1:
            text += " Both return more than they cost, so a bigger budget would still pay (Pfeifer 2005)."
        elif a < 1 and b < 1:
            text += " Both return less than they cost: a smaller budget would do better (Pfeifer 2005)."
    return text


def points_text(points: float) -> str:
    """``at most 3 points``, ``at most 1 point``, ``less than a point``."""
    if points < 0.5:
        return "less than a point"
    return f"at most {points:.0f} point" + ("" if round(points) == 1 else "s")


def tornado_text(t: Tornado, obj, kind: str, currency: str) -> str:
    """What the tornado means for the decision: how far the best split moves and what keeping it would cost."""
    table = t.frame
    regrets = table[["regret_low", "regret_high"]].to_numpy()
    row_i, side_i = np.unravel_index(int(np.argmax(regrets)), regrets.shape)
    worst = float(regrets[row_i, side_i])
    shifts = (table[["best_share_low", "best_share_high"]] - t.base_share).abs().to_numpy()
    shift_points = float(shifts.max()) * 100
    what = oc.lower_first(obj.label)
    small = FLAT_TOLERANCE * abs(t.base_value) if kind == "money" else FLAT_TOLERANCE
    if worst <= small:
        loss = value_text(worst, kind, currency) if kind == "money" else f"{worst * 100:.1f} points"
        return (
            f"**The recommended split holds up.** Moving any one assumption to its low or high value moves the "
            f"best split by {points_text(shift_points)}, and re-optimising would gain at most {loss} of "
            f"{what}. What moves the {what} most is **{table.iloc[0]['assumption']}**."
        )
    row, side = table.iloc[row_i], ("low", "high")[side_i]
    loss = value_text(worst, kind, currency) if kind == "money" else f"{worst * 100:.0f} points"
    return (
        f"**The split depends on {row['assumption']}.** At its {side} value ({row[side]}) the best split would be "
        f"{pct(row[f'best_share_{side}'])}, and keeping {pct(t.base_share)} would give up {loss} of {what}. "
        "Pin that assumption down before committing the budget."
    )


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

total = split_total(scenario)
if total <= 0:
    st.info(
        f"**{md(scenario.name)}** has no acquisition or retention budget to split. "
        "Give it one on the Plan page, then come back."
    )
    st.page_link(PLAN_PAGE, label="Go to the Plan page", icon=":material/tune:")
    st.stop()

seed = scenario.simulation.seed
runs_default = scenario.simulation.runs
run_choices = sorted({*RUN_CHOICES, runs_default})
st.caption(
    f"Scenario **{md(scenario.name)}**: {style.money(total, cur)} per {per} to split between acquisition and "
    f"retention; the plan now puts {pct(scenario.budget.acquisition / total)} into acquisition."
)

try:
    target_default = default_target(text)
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
with (
    widgets.errors_shown(
        "The optimiser cannot run with these settings.",
        "The optimiser could not finish on this scenario. Try fewer futures, or check the scenario on the Plan page.",
    ),
    st.spinner("Trying every split on the same simulated futures…"),
):
    result = cached_sweep(text, objective, target, int(grid), int(runs), int(seed))
if result is None:
    st.stop()

# The answer -----------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader(f"Best split: {pct(result.best_share)} to acquisition")
    flat_values = result.points["value"].to_numpy()
    if objective == "target" and float(np.ptp(flat_values)) == 0.0:
        reach = "every" if flat_values[0] >= 1 else "no"
        st.warning(
            f"The target is reached in {reach} simulated future at every split, so the split cannot change the "
            "chance of reaching it; the answer below is the split with the highest mean revenue. "
            + ("Raise the target to see a difference." if reach == "every" else "Lower the target.")
        )
    st.markdown(answer_text(result))
    st.markdown(flat_text(result, kind))
    line = plan_text(result, kind)
    if line:
        st.markdown(line)
    m1, m2, m3 = st.columns(3)
    m1.metric("Best acquisition share", pct(result.best_share), help="Refined to within 1 percentage point.")
    m2.metric(
        f"{obj.label} at the best split",
        value_text(result.best_value, kind, cur),
        delta=signed_text(result.best_minus_plan, kind, cur),
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
sweep_spec = oc.sweep_chart(
    result.points,
    best_share=result.best_share,
    best_value=result.best_value,
    noise_range=result.best_share_range,
    plan_share=result.plan_share,
    objective_label=obj.label,
    kind=kind,
    currency=cur,
    runs=result.runs,
    bands=obj.statistic != "probability",
).to_dict()
widgets.chart(sweep_spec, f"{widgets.slug(scenario.name)}-split-sweep", "opt_sweep", height=460)
lo, hi = result.best_share_range
st.markdown(
    f"**Within noise.** Every split is run on the same {result.runs:,} simulated futures, so the difference "
    "between two splits is measured future by future. "
    + (
        f"Splits from {pct(lo)} to {pct(hi)} are less than two standard errors of that difference below the "
        "best: more futures would be needed to tell them apart."
        if round(lo * 100) != round(hi * 100)
        else f"The splits within two standard errors of that difference all round to {pct(lo)}: with this "
        "many futures the best stands clear of its neighbours."
    )
)
summary = result.per_run_best_summary()
if summary["meaningful"]:
    st.markdown(
        f"**Each future's own best split.** The middle half of the futures have their own best "
        f"{span(summary['p25'], summary['p75'])}, nine in ten {span(summary['p5'], summary['p95'])}. "
        "This spread comes from the assumptions you are unsure of and from luck; it is how much the best "
        "split could move once you know more, not noise in the answer."
    )
    per_run_spec = oc.per_run_best_chart(
        result.per_run_best_frame(), best_share=result.best_share, runs=result.runs
    ).to_dict()
    widgets.chart(per_run_spec, f"{widgets.slug(scenario.name)}-own-best-split", "opt_per_run", height=300)
else:
    st.caption(PER_RUN_NOTE)

# Why ------------------------------------------------------------------------------------------
st.subheader("Why this split")
m = result.marginal
worth = (
    f"gross profit within the {scenario.horizon}-{per} horizon"
    if m.horizon_only
    else "gross profit over the customer's life"
)
thousand = f"{style.currency_symbol(cur)}1,000"
a_col, r_col = st.columns(2)
with a_col:
    st.metric(
        f"Next {thousand} on acquisition",
        f"{m.acquisition_units_per_1000:.3g} new customers",
        help="New customers the next 1,000 of acquisition spend per period brings, averaged over the horizon "
        "(acquisition costs more per customer as the market saturates).",
    )
    st.caption(
        f"Each worth {style.money(m.acquisition_value_per_unit, cur)} ({worth}): "
        f"**{style.currency_symbol(cur)}{m.acquisition_return:.2f} back per {style.currency_symbol(cur)}1 spent**."
    )
with r_col:
    st.metric(
        f"Next {thousand} on retention",
        f"{m.retention_units_per_1000:.3g} churns prevented",
        help="Customers kept who would have left, per 1,000 more retention spend per period.",
    )
    st.caption(
        f"Each worth {style.money(m.retention_value_per_unit, cur)} ({worth}): "
        f"**{style.currency_symbol(cur)}{m.retention_return:.2f} back per {style.currency_symbol(cur)}1 spent**."
    )
st.markdown(returns_text(result))
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

# Budget size ----------------------------------------------------------------------------------
st.subheader("How big should the budget be?")
st.markdown(
    f"The best split for each acquisition + retention budget from the range below, and the best "
    f"{oc.lower_first(obj.label)} each budget can reach ({MAP_TOTALS} budgets × {int(grid)} splits"
    + (f", {MAP_RUNS:,} futures each to keep it quick)." if int(runs) > MAP_RUNS else ").")
)
b1, b2, b3 = st.columns([2, 2, 3])
step = float(10 ** max(math.floor(math.log10(total)) - 1, 0))
map_low = b1.number_input(
    f"From ({cur} per {per})",
    min_value=step,
    value=float(round(total * 0.25 / step) * step),
    step=step,
    format="%.0f",
    key=K_MAP_LOW,
)
map_high = b2.number_input(
    f"To ({cur} per {per})",
    min_value=step,
    value=float(round(total * 2.0 / step) * step),
    step=step,
    format="%.0f",
    key=K_MAP_HIGH,
)
map_runs = min(int(runs), MAP_RUNS)
map_params = (text, objective, target, int(grid), map_runs, int(seed), float(map_low), float(map_high))
b3.markdown("&nbsp;")
if b3.button(MAP_LABEL, key=K_MAP_BUTTON, icon=":material/grid_on:"):
    if map_high <= map_low:
        st.error("**The budget range is empty.** 'To' must be more than 'From'.")
    else:
        totals = np.linspace(map_low, map_high, MAP_TOTALS)
        bar = st.progress(0.0, text=f"Mapping budget sizes: 0 of {MAP_TOTALS}")
        with widgets.errors_shown(
            "The budget map cannot run with these settings.",
            "The budget map could not finish. Try a narrower range or fewer futures.",
        ):
            rows = []
            for i, x in enumerate(totals, start=1):
                rows.append(cached_map_row(text, float(x), objective, target, int(grid), map_runs, int(seed)))
                bar.progress(i / MAP_TOTALS, text=f"Mapping budget sizes: {i} of {MAP_TOTALS}")
            st.session_state[K_MAP] = (map_params, BudgetMap(objective=objective, rows=tuple(rows)))
        bar.empty()
stored = st.session_state.get(K_MAP)
if stored is not None and stored[0] == map_params:
    bmap: BudgetMap = stored[1]
    best = bmap.best_frame()
    map_spec = oc.budget_map_chart(
        bmap.frame(),
        best,
        plan_total=total,
        plan_share=result.plan_share,
        objective_label=obj.label,
        kind=kind,
        currency=cur,
        period=per,
        runs=map_runs,
    ).to_dict()
    widgets.chart(map_spec, f"{widgets.slug(scenario.name)}-budget-map", "opt_map", height=500)
    curve_spec = oc.best_by_budget_chart(
        best, plan_total=total, objective_label=obj.label, kind=kind, currency=cur, period=per
    ).to_dict()
    widgets.chart(curve_spec, f"{widgets.slug(scenario.name)}-best-by-budget", "opt_curve", height=360)
    top = bmap.best_total()
    if obj.metric in ("npv", "customer_equity"):
        if top >= best["total"].max():
            st.markdown(
                f"The {oc.lower_first(obj.label)} still rises at the top of this range "
                f"({style.money(top, cur)} per {per}): a bigger budget would still pay. "
                "Widen the range to find where it stops."
            )
        elif top <= best["total"].min():
            st.markdown(
                f"The {oc.lower_first(obj.label)} is highest at the bottom of this range "
                f"({style.money(top, cur)} per {per}): the budget could be smaller. Lower the range to see how far."
            )
        else:
            st.markdown(
                f"More budget stops paying at about **{style.money(top, cur)} per {per}** "
                f"(best split there: {pct(float(best.loc[best['total'] == top, 'best_share'].iloc[0]))})."
            )
elif stored is not None:
    st.caption("The settings changed since the map was drawn; map again to update it.")

# Sensitivity ----------------------------------------------------------------------------------
st.subheader("Which assumptions matter?")
st.markdown(
    "Each uncertain assumption is moved to a low and a high value while the others keep their simulated "
    "values: how much the objective changes at the recommended split, and where the best split moves."
)
s1, s2 = st.columns([3, 2])
by_segment = s1.checkbox(
    "One bar per segment (slower)",
    key=K_BY_SEGMENT,
    help="Move each segment's churn, revenue, … on its own instead of all segments together.",
)
tornado_params = (text, objective, target, int(runs), int(seed), float(result.best_share), bool(by_segment))
if s2.button(TORNADO_LABEL, key=K_TORNADO_BUTTON, icon=":material/tune:"):
    items = tornado_assumptions(scenario, by_segment)
    count = len(items) + 1
    bar = st.progress(0.0, text=f"Moving assumptions: 0 of {len(items)}")
    args = (result.best_share, objective, target, int(runs), int(seed), bool(by_segment))
    with widgets.errors_shown(
        "The sensitivity analysis cannot run with these settings.",
        "The sensitivity analysis could not finish. Try fewer futures.",
    ):
        reference = cached_tornado(text, None, *args)
        sides = []
        for i, item in enumerate(items, start=1):
            sides.append(cached_tornado(text, item.key, *args))
            bar.progress((i + 1) / count, text=f"Moving assumptions: {i} of {len(items)}")
        tornado = Tornado.from_sides(objective, result.best_share, result.best_value, items, sides, reference)
        st.session_state[K_TORNADO] = (tornado_params, tornado)
    bar.empty()
stored = st.session_state.get(K_TORNADO)
if stored is not None and stored[0] == tornado_params:
    tornado: Tornado = stored[1]
    table = tornado.frame
    if table.empty:
        st.info("No assumption in this scenario has a range to move.")
    else:
        tornado_spec = oc.tornado_chart(
            oc.tornado_frame(table),
            base_share=tornado.base_share,
            objective_label=obj.label,
            kind=kind,
            currency=cur,
            runs=int(runs),
        ).to_dict()
        # a side-by-side chart cannot be fitted into a fixed height: the element takes the chart's own
        widgets.chart(tornado_spec, f"{widgets.slug(scenario.name)}-sensitivity", "opt_tornado", height="content")
        st.markdown(tornado_text(tornado, obj, kind, cur))
        shown = pd.DataFrame(
            {
                "Assumption": table["assumption"],
                "Low value": table["low"],
                "High value": table["high"],
                "Moved to": [b.replace("+-", "±") for b in table["basis"]],
                "Change at low": [signed_text(x, kind, cur) for x in table["delta_low"]],
                "Change at high": [signed_text(x, kind, cur) for x in table["delta_high"]],
                "Best split at low": [pct(x) for x in table["best_share_low"]],
                "Best split at high": [pct(x) for x in table["best_share_high"]],
            }
        )
        st.dataframe(shown, hide_index=True, width="stretch", height=36 * (len(shown) + 1) + 3)
elif stored is not None:
    st.caption("The settings changed since the sensitivity analysis ran; run it again to update it.")

with st.expander("How the optimiser works"):
    st.markdown(
        f"""
- **Common random numbers.** Every split (and every budget and assumption below) is simulated on the same
  futures: each future draws its assumptions once and keeps them for every split, so differences between splits
  are measured future by future and are far more precise than the figures themselves.
- **The search.** {int(grid)} splits from 0 % to 100 %, then a bounded search around the best of them: each
  round tries the splits half a step either side and keeps the best, halving the interval until the best split
  is known to within 1 percentage point (if the objective has one peak).
- **Within noise.** For each split, the future-by-future difference from the best has a mean and a standard
  error; splits less than {NOISE_Z:g} standard errors below the best cannot be told apart from it with this many
  futures. For the cautious NPV (a percentile) the standard error comes from resampling the futures.
- **Each future's own best split** is the grid split that does best in that future alone. Its spread shows how
  much the right split depends on the assumptions you are unsure of: narrowing an assumption narrows it.
- **The next dollar.** Acquisition: the response curve's slope at the period's ceiling (which falls as the
  market is won) gives new customers per dollar, each worth their expected discounted gross profit (within the
  horizon for NPV, over their life for customer equity). Retention: the slope at the programme's average
  reduction gives saves per dollar, each worth what a customer who would have left still brings. Under a fixed
  budget the best split equalises the two (Blattberg and Deighton's customer equity test with a budget
  constraint); with the total free as well, each should equal one dollar (Pfeifer 2005).
- **Budget size.** Each budget in the range is swept over the same grid of splits ({MAP_RUNS:,} futures per cell
  at most); the curve shows the best each budget can do.
- **Sensitivity.** Each assumption is set to its 10th and 90th percentile (or ±20 % when it is a plain number),
  the others keep their draws; the change in the objective is measured at the recommended split, and the best
  split is found again around it (a parabola through splits 2 points apart).
"""
    )
