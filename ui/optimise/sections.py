"""The Optimise page's budget map and sensitivity analysis, each a fragment of the page.

Clicking a section's button reruns that section alone: the answer, the split curve and the
other section above it are neither rebuilt on the server nor redrawn in the browser while the
engine works. A change to the form above reruns the whole page, and these sections with it.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from simulation import Scenario
from simulation.decide import SplitResult, split_total, tornado_assumptions
from simulation.numerics.executor import Executor
from ui.optimise import charts as oc
from ui.optimise import exports
from ui.optimise import text as words
from ui.shared import cache, charts, widgets

K_MAP_LOW, K_MAP_HIGH, K_MAP_BUTTON, K_MAP = "opt_map_low", "opt_map_high", "opt_map_button", "_opt_map"
K_BY_SEGMENT, K_TORNADO_BUTTON, K_TORNADO = "opt_by_segment", "opt_tornado_button", "_opt_tornado"
MAP_LABEL = "Map budget sizes"
TORNADO_LABEL = "Run the sensitivity analysis"
MAP_TOTALS = 11
MAP_RUNS = 1000  # futures per cell of the map: 231 cells stay quick, and common random numbers keep rows comparable
MAP_LOW, MAP_HIGH = 0.25, 2.0  # the range offered at first, as multiples of the plan's acquisition + retention budget


def map_range(total: float) -> tuple[float, float, float]:
    """The budget range offered at first for a plan's ``total``, and the input's step: ``(low, high, step)``.

    The ends are :data:`MAP_LOW` and :data:`MAP_HIGH` times the total, rounded to the step (a tenth
    of the total's order of magnitude, at least 1).
    """
    step = float(10 ** max(math.floor(math.log10(total)) - 1, 0))
    return float(round(total * MAP_LOW / step) * step), float(round(total * MAP_HIGH / step) * step), step


def map_totals(low: float, high: float) -> tuple[float, ...]:
    """The :data:`MAP_TOTALS` budgets the map sweeps, evenly spaced from ``low`` to ``high``."""
    return tuple(float(x) for x in np.linspace(low, high, MAP_TOTALS))


def map_runs(runs: int) -> int:
    """Futures per cell of the map: the page's futures, at most :data:`MAP_RUNS`."""
    return min(int(runs), MAP_RUNS)


@st.fragment
def budget_size(
    scenario: Scenario,
    result: SplitResult,
    objective: str,
    target: float | None,
    grid: int,
    runs: int,
    seed: int,
    executor: Executor,
) -> None:
    """How big should the budget be: the range, the button, and the map and curve once mapped."""
    obj = result.objective_info
    kind = "money" if obj.is_money else "percent"
    cur, per = scenario.currency, scenario.period
    total = split_total(scenario)
    st.subheader("How big should the budget be?")
    st.markdown(
        f"The best split for each acquisition + retention budget from the range below, and the best "
        f"{oc.lower_first(obj.label)} each budget can reach ({MAP_TOTALS} budgets × {grid} splits"
        + (f", {MAP_RUNS:,} futures each to keep it quick)." if runs > MAP_RUNS else ").")
    )
    b1, b2, b3 = st.columns([2, 2, 3])
    low, high, step = map_range(total)
    map_low = b1.number_input(
        f"From ({cur} per {per})", min_value=step, value=low, step=step, format="%.0f", key=K_MAP_LOW
    )
    map_high = b2.number_input(
        f"To ({cur} per {per})", min_value=step, value=high, step=step, format="%.0f", key=K_MAP_HIGH
    )
    cell_runs = map_runs(runs)
    text = scenario.canonical_json()
    params = (text, objective, target, grid, cell_runs, seed, float(map_low), float(map_high))
    b3.markdown("&nbsp;")
    if b3.button(MAP_LABEL, key=K_MAP_BUTTON, icon=":material/grid_on:"):
        if map_high <= map_low:
            st.error("**The budget range is empty.** 'To' must be more than 'From'.")
        else:
            bar, moved = widgets.progress_bar("Mapping budget sizes", MAP_TOTALS * grid)
            with widgets.errors_shown(
                "The budget map cannot run with these settings.",
                "The budget map could not finish. Try a narrower range or fewer futures.",
            ):
                bmap = cache.budget_size_map(
                    text, map_totals(map_low, map_high), objective, target, grid, cell_runs, seed, executor, moved
                )
                st.session_state[K_MAP] = (params, bmap)
            bar.empty()
    stored = st.session_state.get(K_MAP)
    if stored is not None and stored[0] == params:
        bmap = stored[1]
        best = bmap.best_frame()
        stem = widgets.slug(scenario.name)
        map_spec = charts.vega_spec(
            oc.budget_map_chart(
                bmap.frame(),
                best,
                plan_total=total,
                plan_share=result.plan_share,
                objective_label=obj.label,
                kind=kind,
                currency=cur,
                period=per,
                runs=cell_runs,
            )
        )
        widgets.chart(map_spec, f"{stem}-budget-map", "opt_map", height=500)
        curve_spec = charts.vega_spec(
            oc.best_by_budget_chart(
                best, plan_total=total, objective_label=obj.label, kind=kind, currency=cur, period=per
            )
        )
        widgets.chart(curve_spec, f"{stem}-best-by-budget", "opt_curve", height=360)
        top = bmap.best_total()
        top_share = float(best.loc[best["total"] == top, "best_share"].iloc[0])
        line = words.budget_size_text(top, best["total"].min(), best["total"].max(), top_share, obj, cur, per)
        if line:
            st.markdown(line)
    elif stored is not None:
        st.caption("The settings changed since the map was drawn; map again to update it.")


@st.fragment
def sensitivity(
    scenario: Scenario,
    result: SplitResult,
    objective: str,
    target: float | None,
    runs: int,
    seed: int,
    executor: Executor,
) -> None:
    """Which assumptions matter: the tornado once run, then the report and exports (which include it)."""
    obj = result.objective_info
    kind = "money" if obj.is_money else "percent"
    cur = scenario.currency
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
    text = scenario.canonical_json()
    base_share = float(result.best_share)
    params = (text, objective, target, runs, seed, base_share, bool(by_segment))
    if s2.button(TORNADO_LABEL, key=K_TORNADO_BUTTON, icon=":material/tune:"):
        bar, moved = widgets.progress_bar("Moving assumptions", 2 * len(tornado_assumptions(scenario, by_segment)) + 1)
        with widgets.errors_shown(
            "The sensitivity analysis cannot run with these settings.",
            "The sensitivity analysis could not finish. Try fewer futures.",
        ):
            tornado = cache.tornado(
                text, base_share, objective, target, runs, seed, bool(by_segment), result, executor, moved
            )
            st.session_state[K_TORNADO] = (params, tornado)
        bar.empty()
    stored = st.session_state.get(K_TORNADO)
    fresh = stored[1] if stored is not None and stored[0] == params else None
    if fresh is not None:
        table = fresh.frame
        if table.empty:
            st.info("No assumption in this scenario has a range to move.")
        else:
            tornado_spec = charts.vega_spec(
                oc.tornado_chart(
                    oc.tornado_frame(table),
                    base_share=fresh.base_share,
                    objective_label=obj.label,
                    kind=kind,
                    currency=cur,
                    runs=runs,
                )
            )
            # a side-by-side chart cannot be fitted into a fixed height: the element takes the chart's own
            widgets.chart(tornado_spec, f"{widgets.slug(scenario.name)}-sensitivity", "opt_tornado", height="content")
            st.markdown(words.tornado_text(fresh, obj, kind, cur))
            shown = words.tornado_table(table, kind, cur)
            st.dataframe(shown, hide_index=True, width="stretch", height=36 * (len(shown) + 1) + 3)
    elif stored is not None:
        st.caption("The settings changed since the sensitivity analysis ran; run it again to update it.")

    st.subheader("Report and exports")
    st.caption("For the best split; the report adds the sensitivity analysis once it has run.")
    exports.optimise_downloads(scenario, result, fresh)
