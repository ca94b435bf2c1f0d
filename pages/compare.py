"""Compare: save scenarios, manage the library, and set two to five of them side by side."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pandas as pd
import streamlit as st

from simulation import Scenario
from simulation.engines.summary import beat_matrix
from simulation.errors import InputError
from simulation.model.figures import FIGURES
from simulation.model.scenario import Simulation, bounds_of
from ui.compare import exports
from ui.compare import inputs as compare_inputs
from ui.compare import library as actions
from ui.shared import cache, charts, routing, state, style, widgets, workspace
from ui.shared.safe_text import code

routing.ensure_routed("pages/compare.py")


CURRENT = "Current scenario (from Plan)"
K_TARGET, K_MEASURE, K_BANDS = "cmp_target", "cmp_measure", "cmp_bands"
K_RUNS, K_SEED = "cmp_runs", "cmp_seed"
MEASURES = {key: FIGURES[key].label for key in ("npv", "customer_equity", "revenue_final", "revenue_total")}
MAX_COMPARED = 5
SAFE_INT = 2**53 - 1  # the largest whole number a browser's number input holds exactly


# The page ------------------------------------------------------------------------------------
current = state.current_scenario()
store = widgets.open_store()
st.title("Compare scenarios")
workspace.panel()
st.caption(
    "Save versions of a plan, then set two to five side by side: their revenue with uncertainty bands, "
    "their headline figures, and how often each comes out ahead."
)
widgets.show_notices()

try:
    library = store.list()
except InputError as exc:
    st.error(f"**The saved scenarios cannot be read.** {code(exc)}")
    library = []

save_col, manage_col = st.columns(2, gap="large")
with save_col:
    st.subheader("Save the current scenario")
    st.caption(f"The scenario now on the Plan page: {code(current.name)}.")
    widgets.save_form(current, key="compare_save")
    st.caption(
        f"Saved scenarios are kept in {code(store.location)} on the server (set the folder with the "
        "`RETENTION_LAB_DATA_DIR` environment variable, or a PostgreSQL database with "
        "`RETENTION_LAB_DATABASE_URL`) and survive restarts. Everyone using this app sees the same library."
    )
    with contextlib.suppress(InputError):  # the error was shown above
        library = store.list()

with manage_col:
    st.subheader("Saved scenarios")
    if not library:
        st.info("Nothing saved yet. Save the current scenario to start a library.")
    else:
        names = [entry.name for entry in library]
        if st.session_state.get(actions.K_SELECTED) not in names:
            st.session_state[actions.K_SELECTED] = names[0]
        st.dataframe(
            pd.DataFrame(
                {
                    "Name": names,
                    "Scenario": [e.title for e in library],
                    "Saved (UTC)": [e.updated_at.replace("T", " ")[:16] for e in library],
                }
            ),
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * len(library), 260),
            column_config={"Saved (UTC)": st.column_config.TextColumn(width="small")},
        )
        selected = st.selectbox("Saved scenario", names, key=actions.K_SELECTED)
        b1, b2, b3 = st.columns(3)
        open_clicked = b1.button("Open in Plan", icon=":material/open_in_new:", width="stretch")
        b2.button("Duplicate", icon=":material/content_copy:", on_click=actions.duplicate, width="stretch")
        if b3.button("Delete…", icon=":material/delete:", width="stretch"):
            st.session_state[actions.K_CONFIRM] = True
        if st.session_state.get(actions.K_CONFIRM):
            st.warning(f"Delete {code(selected)}? This cannot be undone.")
            c1, c2 = st.columns(2)
            c1.button("Yes, delete it", type="primary", on_click=actions.delete, width="stretch")
            if c2.button("Keep it", width="stretch"):
                st.session_state[actions.K_CONFIRM] = False
                st.rerun()
        r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
        r1.text_input("New name", key=actions.K_NEW_NAME, placeholder=f"Rename {selected} to…")
        r2.button("Rename", on_click=actions.rename, width="stretch")
        if open_clicked:
            try:
                state.set_scenario(store.load(selected))
            except InputError as exc:
                st.error(f"Not opened: {code(exc)}")
            else:
                state.notify("success", f"Opened the saved scenario {code(selected)}.")
                st.switch_page("pages/plan.py")

st.divider()
st.subheader("Side by side")
options = [CURRENT] + [entry.name for entry in library]
if actions.K_PICK not in st.session_state:
    st.session_state[actions.K_PICK] = compare_inputs.default_pick(
        options, lambda n: current if n == CURRENT else store.load(n)
    )
st.session_state[actions.K_PICK] = [p for p in st.session_state[actions.K_PICK] if p in options]
picked = st.multiselect(
    "Scenarios to compare",
    options,
    key=actions.K_PICK,
    max_selections=MAX_COMPARED,
    placeholder="Choose two to five…",
    help="Saved scenarios, and the one now on the Plan page.",
)

if len(picked) < 2:
    st.info("Choose at least two scenarios to compare (save some first if the list is short).")
    st.stop()

scenarios: dict[str, Scenario] = {}
for name in picked:
    try:
        scenarios[name] = current if name == CURRENT else store.load(name)
    except InputError as exc:
        st.error(f"{code(name)} cannot be opened: {code(exc)}")
if len(scenarios) < 2:
    st.stop()
first = next(iter(scenarios.values()))

rb = bounds_of(Simulation, "runs")
s1, s2, s3, s4 = st.columns(4)
runs = s1.number_input(
    "Futures for the run-by-run comparison",
    min_value=int(rb.lo),
    max_value=int(rb.hi),
    value=first.simulation.runs,
    step=100,
    key=K_RUNS,
    help="Who comes out ahead is counted on common futures: every scenario is run this many times with the same "
    "seed, so run k is the same future for all. The curves and headline figures use each scenario's own runs and "
    "seed, as its Plan page does.",
)
seed = s2.number_input(
    "Seed of the run-by-run comparison",
    min_value=0,
    max_value=min(int(bounds_of(Simulation, "seed").hi), SAFE_INT),
    value=min(first.simulation.seed, SAFE_INT),
    step=1,
    key=K_SEED,
)
measure = s3.selectbox("Who comes out ahead, by", list(MEASURES), format_func=MEASURES.get, key=K_MEASURE)
bands = s4.segmented_control(
    "Bands", ["50 %", "90 %", "None"], default="50 %", key=K_BANDS, help="Middle 50 % or 90 % of the futures"
)

try:
    compare_inputs.check_comparable(scenarios)
except InputError as exc:
    st.error(f"**These scenarios cannot be compared:** {code(exc)}.")
    st.stop()
st.markdown("**Inputs:** what each scenario assumes; shaded rows differ between them")
st.dataframe(compare_inputs.highlighted(compare_inputs.inputs_table(scenarios)), width="stretch")
timelines = {(s.period, s.horizon) for s in scenarios.values()}
if len(timelines) > 1:
    st.warning(
        "These scenarios have different periods or horizons, so their periods and last periods are not the same "
        "points in time; read the curves with care."
    )

# Each scenario on its own runs and seed (its column is its Plan page's figures); who comes out ahead on
# common futures (every scenario on the same runs and seed). Where the two agree the cache holds one run.
summaries, common = {}, {}
with st.spinner("Simulating…"):
    for name, scenario in scenarios.items():
        with widgets.errors_shown(
            f"{code(name)} cannot be simulated.", f"The simulation of {code(name)} failed unexpectedly."
        ):
            summaries[name] = cache.summary(scenario)
            common[name] = cache.summary(scenario, runs=int(runs), seed=int(seed))
if len(summaries) < 2 or len(common) < 2:
    st.stop()

colors = dict(zip(summaries, style.SERIES, strict=False))
cur, per = first.currency, first.period
band_choice = {"50 %": (50,), "90 %": (90,), "None": ()}[bands or "None"]
widgets.chart(
    cache.chart_spec(
        "fan",
        charts.fan_frame({n: s.paths for n, s in summaries.items()}, "revenue", first_period=1),
        title=f"Revenue per {per}",
        y_title=f"Revenue per {per} ({cur})",
        kind="money",
        currency=cur,
        period=per,
        colors=colors,
        runs=int(runs),
        bands=list(band_choice),
    ),
    "compare-revenue",
    "dl_compare",
)

st.markdown("**Headline figures:** median, and in brackets the range that holds 90 % of the simulated futures")
st.caption(compare_inputs.futures_note(scenarios))
table = pd.DataFrame(
    {
        name: [widgets.figure_cell(k, summaries[name].kpis[k], scenarios[name]) for k in widgets.COMPARE_KPIS]
        for name in summaries
    },
    index=[FIGURES[k].label_for(first) for k in widgets.COMPARE_KPIS],
)
st.dataframe(table, width="stretch")

st.markdown("**Report and exports** (each file is built when you click it)")
exports.compare_downloads(scenarios, int(runs), int(seed))

st.markdown(f"**How often each comes out ahead, by {MEASURES[measure]}**")
matrix = beat_matrix({n: s.kpis[measure] for n, s in common.items()})
st.dataframe(
    matrix.map(lambda p: "—" if pd.isna(p) else style.percent(p, 0)),
    width="stretch",
    column_config={name: st.column_config.TextColumn(f"ahead of {name}") for name in matrix.columns},
)
st.caption(
    f"Read across: the share of {int(runs):,} common futures (seed {int(seed)}) in which the row's scenario is "
    "ahead of the column's (a tie counts as not ahead). Here all scenarios run with the same seed and runs: an "
    "assumption "
    "two scenarios share takes the same value in each future, one they set differently is drawn at the same "
    "percentile of each range, and chance events (who churns, how many are won) come from the same random "
    "streams. So differences reflect the plans, not luck."
)

last = {n: s.kpis["revenue_final"] for n, s in summaries.items()}
default_target = float(np.median(next(iter(last.values()))))
default_target = float(f"{default_target:.2g}") if default_target > 0 else 0.0
t1, t2 = st.columns([1, 2], gap="large")
target = t1.number_input(
    f"Revenue target for the last {per} ({cur})",
    min_value=0.0,
    value=default_target,
    step=float(10 ** max(math.floor(math.log10(max(default_target, 10))) - 1, 0)),
    format="%.0f",
    key=K_TARGET,
    help=f"The revenue you need in {per} {first.horizon}, the last of the horizon.",
)
t1.caption(f"= {style.money(target, cur)} per {per}")
chances = pd.DataFrame(
    {
        "Scenario": list(last),
        "Chance of reaching the target": [100 * float(np.mean(v >= target)) for v in last.values()],
    }
)
t2.dataframe(
    chances,
    hide_index=True,
    width="stretch",
    column_config={
        "Chance of reaching the target": st.column_config.ProgressColumn(
            min_value=0, max_value=100, format="%.0f %%", help="Share of futures at or above the target"
        )
    },
)
