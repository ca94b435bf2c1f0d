"""Cached engine calls and chart templates, shared by every session of the server.

Engine results are cached with ``st.cache_data`` keyed by plain text: the scenario's canonical
JSON without its budgets, name and description (the model), the budget, the number of runs and
the seed. The status quo therefore stays cached while the plan's split moves, and a moved slider
costs one engine run; sessions on the same model share the figures whatever they call it (a
class or a demo opening one example), and a session that renames its scenario recomputes nothing.
What is cached is a summary (:class:`simulation.engines.summary.ResultSummary`), not the raw run
arrays, so a cache hit costs a small unpickle. A cached function uses only its
arguments, never a session's state.
"""

from __future__ import annotations

import json
import math
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from simulation import Budget, Scenario, parse_scenario, scenario_from_dict, simulate
from simulation.decide import (
    PLAN_GRID,
    BudgetMap,
    BudgetSize,
    SplitResult,
    Tornado,
    budget_map,
    optimize_split,
    programme_value,
    sensitivity,
    smaller_budget,
)
from simulation.decide.seek import SeekResult, seek
from simulation.engines.runner import shared_draws
from simulation.engines.summary import CHART_METRICS, Comparison, ResultSummary
from simulation.errors import InputError
from simulation.io.cells import to_csv
from simulation.io.plan_versions import PlanVersions, check_reproduced
from simulation.io.presets import DEFAULT_PRESET, list_presets, load_preset
from simulation.model.assumptions import Assumptions
from simulation.model.limits import MAX_SIMULATION_STEPS, check_simulation
from simulation.track import Tracking, read_actuals, refit_churn, reforecast, track
from ui.shared import charts, pnl

# Runs x periods x segments the app simulates per request: the model's one limit. The default
# preset is 240,000 (about 0.15 s); the limit keeps one oversized link or file from stalling a server.
MAX_INTERACTIVE_WORK = MAX_SIMULATION_STEPS


# Cache keys -----------------------------------------------------------------------------------
# What a budget is not run on: the budgets themselves, the run settings (keyed on their own) and
# the words a person gives the scenario.
NOT_MODEL = ("budget", "baseline_budget", "simulation", "name", "description")
REBUILT_NAME = "Scenario"


def model_json(scenario: Scenario) -> str:
    """The scenario's canonical JSON without budgets, run settings, name and description: what a budget is run on."""
    data = scenario.to_dict()
    for key in NOT_MODEL:
        data.pop(key, None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def budget_json(budget: Budget) -> str:
    return json.dumps(budget.model_dump(), sort_keys=True, separators=(",", ":"))


def _rebuild(model: str, budget: str, runs: int, seed: int) -> tuple[Scenario, Budget]:
    data = json.loads(model)
    data["name"] = REBUILT_NAME
    data["budget"] = json.loads(budget)
    data["simulation"] = {"runs": runs, "seed": seed}
    scenario = scenario_from_dict(data)
    return scenario, scenario.budget


@st.cache_data(max_entries=32, show_spinner=False)
def assumptions_for(model: str, runs: int, seed: int) -> Assumptions:
    """The model's assumption draws as :func:`simulation.engines.runner.shared_draws` prepares them.

    Every split and total of one scenario shares them (as :func:`simulation.compare` does);
    each call gets its own unpickled copy, so sessions never share a mutable object.
    """
    scenario, _ = _rebuild(model, json.dumps(Budget().model_dump()), runs, seed)
    return shared_draws(scenario, runs, seed)


class _EngineSpeed:
    """The engine's recent speed on this server (seconds per run x period x segment), for time estimates.

    Shared by every session: it describes the machine, not anyone's scenario.
    """

    def __init__(self) -> None:
        self.seconds_per_step: float | None = None

    def record(self, seconds: float, steps: int) -> None:
        if steps <= 0 or seconds <= 0:
            return
        rate = seconds / steps
        old = self.seconds_per_step
        self.seconds_per_step = rate if old is None else 0.7 * old + 0.3 * rate

    def estimate(self, steps: int) -> float | None:
        return None if self.seconds_per_step is None else self.seconds_per_step * steps


_ENGINE_SPEED = _EngineSpeed()


def estimate_seconds(scenario: Scenario, runs: int, engine_runs: int) -> float | None:
    """About how long ``engine_runs`` runs of the engine on ``scenario`` take here (None until one was timed)."""
    return _ENGINE_SPEED.estimate(engine_runs * runs * scenario.horizon * len(scenario.segments))


@dataclass(frozen=True)
class CachedRun:
    """What is kept of one engine run: the summary and the engine's year-by-year P&L."""

    summary: ResultSummary
    years: pnl.YearTable


@st.cache_data(max_entries=256, show_spinner=False)
def cached_run(model: str, budget: str, runs: int, seed: int) -> CachedRun:
    """Simulate the model (see :func:`model_json`) under a budget and keep what the pages show of it.

    What is kept shows no count of saved customers, so the engine does not draw it (``count_saved``;
    every other figure is the same to the last digit).
    """
    scenario, plan_budget = _rebuild(model, budget, runs, seed)
    drawn = assumptions_for(model, runs, seed)
    started = time.perf_counter()
    result = simulate(scenario, plan_budget, runs=runs, seed=seed, assumptions=drawn, count_saved=False)
    _ENGINE_SPEED.record(time.perf_counter() - started, runs * scenario.horizon * len(scenario.segments))
    return CachedRun(ResultSummary.of(result, CHART_METRICS), pnl.YearTable.of(result))


def run_summary(model: str, budget: str, runs: int, seed: int) -> ResultSummary:
    """The cached summary of the model under a budget (see :func:`cached_run`)."""
    return cached_run(model, budget, runs, seed).summary


@st.cache_data(max_entries=16, show_spinner=False)
def projections_csv(model: str, budget: str, runs: int, seed: int) -> str:
    """Every path metric's percentiles as CSV, in the command line's long format."""
    scenario, plan_budget = _rebuild(model, budget, runs, seed)
    table = simulate(scenario, plan_budget, runs=runs, seed=seed).path_summary()
    return to_csv(table)


class TooLargeError(InputError):
    """A scenario too big to simulate while someone waits; the message says how to shrink it."""


def check_size(scenario: Scenario, runs: int) -> None:
    """Refuse work beyond the model's limit (:mod:`simulation.model.limits`), naming the field to change."""
    try:
        check_simulation(scenario, runs)
    except InputError as exc:
        raise TooLargeError(f"{exc} (All assumptions).") from None


def summary(
    scenario: Scenario, budget: Budget | None = None, runs: int | None = None, seed: int | None = None
) -> ResultSummary:
    """The cached summary of ``scenario`` under ``budget`` (default: its plan)."""
    budget = scenario.budget if budget is None else budget
    runs = scenario.simulation.runs if runs is None else runs
    seed = scenario.simulation.seed if seed is None else seed
    check_size(scenario, int(runs))
    return run_summary(model_json(scenario), budget_json(budget), int(runs), int(seed))


def year_by_year(scenario: Scenario, budget: Budget | None = None) -> pnl.YearTable:
    """The plan's (or ``budget``'s) P&L per year, as the engine summarises it (see :mod:`ui.shared.pnl`)."""
    budget = scenario.budget if budget is None else budget
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    check_size(scenario, runs)
    return cached_run(model_json(scenario), budget_json(budget), runs, seed).years


# The Plan page's recommendation ---------------------------------------------------------------
PLAN_SWEEP_GRID = PLAN_GRID  # 0, 10, ..., 100 %, then refined to one point on the same draws


SWEEP_ENTRIES = 32


class RecentKeys:
    """The last ``size`` keys added, oldest forgotten first; safe to share between sessions' threads."""

    def __init__(self, size: int):
        self.size = size
        self._keys: dict[tuple, None] = {}
        self._lock = threading.Lock()

    def add(self, key: tuple) -> None:
        with self._lock:
            self._keys.pop(key, None)
            self._keys[key] = None
            while len(self._keys) > self.size:
                del self._keys[next(iter(self._keys))]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


# The sweeps this server process has finished, by their cache key, as many as the cache keeps. A hint
# only (the cache may have dropped one since): it lets a page show the answer early when it costs a
# look-up, and late otherwise.
SWEEPS_DONE = RecentKeys(SWEEP_ENTRIES)


@st.cache_data(max_entries=SWEEP_ENTRIES, show_spinner=False)
def _best_split(model: str, core: float, expansion: float, winback: float, runs: int, seed: int) -> SplitResult:
    budget = Budget(acquisition=core / 2, retention=core / 2, expansion=expansion, winback=winback)
    scenario, _ = _rebuild(model, budget_json(budget), runs, seed)
    drawn = assumptions_for(model, runs, seed)
    result = optimize_split(scenario, "npv", None, PLAN_SWEEP_GRID, runs, seed, assumptions=drawn)
    SWEEPS_DONE.add((model, core, expansion, winback, runs, seed))
    return result


def _sweep_key(scenario: Scenario) -> tuple | None:
    b = scenario.budget
    core = b.core
    if core <= 0:
        return None
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    return model_json(scenario), float(core), float(b.expansion), float(b.winback), runs, seed


def best_split(scenario: Scenario) -> SplitResult | None:
    """The split of the plan's acquisition + retention budget with the highest mean NPV.

    It depends on the model, the total, runs and seed, never on the plan's own split, so it is
    cached under those and a moved split slider reuses it. The sweep runs on the same cached
    assumption draws as the plan. None when there is nothing to split.
    """
    key = _sweep_key(scenario)
    if key is None:
        return None
    check_size(scenario, scenario.simulation.runs)
    return _best_split(*key)


def best_split_ready(scenario: Scenario) -> bool:
    """Whether the best split costs only a look-up: nothing to split, or the sweep was finished before."""
    key = _sweep_key(scenario)
    return key is None or key in SWEEPS_DONE


@st.cache_data(max_entries=SWEEP_ENTRIES, show_spinner=False)
def _smaller_budget(
    model: str, core: float, expansion: float, winback: float, runs: int, seed: int, share: float
) -> BudgetSize:
    budget = Budget(acquisition=core * share, retention=core * (1 - share), expansion=expansion, winback=winback)
    scenario, _ = _rebuild(model, budget_json(budget), runs, seed)
    return smaller_budget(scenario, share, runs=runs, seed=seed, assumptions=assumptions_for(model, runs, seed))


def budget_size(scenario: Scenario, best: SplitResult) -> BudgetSize | None:
    """The core budget at or below the plan's with the highest mean NPV, at the best split, on the plan's draws."""
    key = _sweep_key(scenario)
    if key is None:
        return None
    return _smaller_budget(*key, float(best.best_share))


@st.cache_data(max_entries=64, show_spinner=False)
def _seek(
    model: str, budget: str, runs: int, seed: int, target: str, level: float, confidence: float, solve: str,
    programme: str | None = None,
):  # fmt: skip
    scenario, _ = _rebuild(model, budget, runs, seed)
    return seek(scenario, target, level, confidence, solve, runs=runs, seed=seed, programme=programme)


def goal_seek(
    scenario: Scenario, target: str, level: float, confidence: float, solve: str, programme: str | None = None
) -> SeekResult:
    """What it takes to reach ``level`` of ``target`` in ``confidence`` of the plan's futures (see :func:`seek`);
    ``programme`` names the programme whose effect ``solve = "programme_effect"`` changes."""
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    check_size(scenario, runs)
    model, budget = model_json(scenario), budget_json(scenario.budget)
    return _seek(model, budget, runs, seed, target, level, confidence, solve, programme)


@st.cache_data(max_entries=16, show_spinner=False)
def _programme_values(model: str, budget: str, runs: int, seed: int) -> list[programme_value.ProgrammeValue]:
    scenario, plan_budget = _rebuild(model, budget, runs, seed)
    return programme_value.programme_values(scenario, plan_budget, runs=runs, seed=seed)


def programme_values(scenario: Scenario) -> list[programme_value.ProgrammeValue]:
    """Each running programme's marginal contribution to the plan, on its runs and seed (see
    :func:`simulation.decide.programme_value.programme_values`)."""
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    check_size(scenario, runs)
    return _programme_values(model_json(scenario), budget_json(scenario.budget), runs, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def _track(model: str, budget: str, runs: int, seed: int, actuals: bytes) -> Tracking:
    scenario, plan_budget = _rebuild(model, budget, runs, seed)
    plan = simulate(scenario, plan_budget, runs=runs, seed=seed, assumptions=assumptions_for(model, runs, seed))
    return track(plan, read_actuals(actuals, scenario.horizon))


@st.cache_data(max_entries=16, show_spinner=False)
def track_version(version_id: int, actuals: bytes) -> Tracking:
    """A saved plan version's forecast, reproduced and checked against what was saved, against uploaded actuals."""
    version = PlanVersions().get(version_id)
    check_size(version.scenario, version.runs)
    plan = simulate(version.scenario, runs=version.runs, seed=version.seed)
    check_reproduced(version, plan)
    return track(plan, read_actuals(actuals, version.scenario.horizon))


def plan_result(scenario: Scenario):
    """The plan's whole result on its runs and seed (on the cached draws), for saving a version of it."""
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    check_size(scenario, runs)
    model = model_json(scenario)
    return simulate(scenario, runs=runs, seed=seed, assumptions=assumptions_for(model, runs, seed))


@st.cache_data(max_entries=16, show_spinner=False)
def _reforecast(model: str, budget: str, runs: int, seed: int, actuals: bytes):
    scenario, plan_budget = _rebuild(model, budget, runs, seed)
    plan = simulate(scenario, plan_budget, runs=runs, seed=seed, assumptions=assumptions_for(model, runs, seed))
    table = read_actuals(actuals, scenario.horizon)
    fit = refit_churn(plan, table)
    return fit, reforecast(plan, table, fit), plan.path_summary(("active_customers", "revenue"))


def refit_and_reforecast(scenario: Scenario, actuals: bytes):
    """Churn refitted from the actuals, the rest of the horizon re-forecast, and the plan's own forecast to compare."""
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    check_size(scenario, runs)
    return _reforecast(model_json(scenario), budget_json(scenario.budget), runs, seed, actuals)


def track_actuals(scenario: Scenario, actuals: bytes) -> Tracking:
    """The plan's forecast against uploaded actuals (CSV bytes; see :func:`simulation.track.read_actuals`)."""
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    check_size(scenario, runs)
    return _track(model_json(scenario), budget_json(scenario.budget), runs, seed, actuals)


def best_against_plan(scenario: Scenario, best: SplitResult) -> np.ndarray:
    """The best split's NPV minus the plan's, run by run (both cached runs on the same draws)."""
    return summary(scenario, best.best_budget).kpis["npv"] - summary(scenario).kpis["npv"]


def warm(key: str = DEFAULT_PRESET) -> None:
    """Fill the caches a new session of the default example needs: its figures and its best split."""
    scenario = preset(key)
    plan_figures(scenario)
    year_by_year(scenario)
    best = best_split(scenario)
    if best is not None:
        best_against_plan(scenario, best)


def plan_figures(scenario: Scenario) -> Comparison:
    """The plan and its status quo for the Plan page, on the same runs and seed (each cached on its own)."""
    plan = summary(scenario)
    baseline = plan if scenario.baseline == scenario.budget else summary(scenario, scenario.baseline)
    return Comparison(plan=plan, baseline=baseline)


def csv_for(scenario: Scenario, budget: Budget | None = None):
    """A no-argument callable giving the projections CSV, for a download button (runs on click)."""
    check_size(scenario, scenario.simulation.runs)
    budget = scenario.budget if budget is None else budget
    args = (model_json(scenario), budget_json(budget), scenario.simulation.runs, scenario.simulation.seed)
    return lambda: projections_csv(*args)


# Charts ---------------------------------------------------------------------------------------
CHART_BUILDERS = {"fan": charts.fan_chart, "bridge": charts.bridge_chart, "gain": charts.gain_histogram}


@st.cache_data(max_entries=64, show_spinner=False)
def _chart_template(builder: str, columns: tuple[str, ...], params_json: str) -> dict:
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    return charts.vega_spec(CHART_BUILDERS[builder](empty, **json.loads(params_json)))


def chart_spec(builder: str, frame: pd.DataFrame, **params) -> dict:
    """The Vega-Lite dict of ``ui.charts.<builder>_chart(frame, **params)``, fast on a rerun.

    The chart is built and validated once per set of parameters (title, currency,
    colours, ...); on later calls only ``frame``'s rows are put into it.
    """
    template = _chart_template(builder, tuple(frame.columns), json.dumps(params))
    return charts.with_data(template, frame)


# Presets --------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def preset_titles() -> dict[str, str]:
    """``{key: title}`` of every preset, the default first (read once per process)."""
    return {key: load_preset(key).name for key in list_presets()}


@st.cache_data(show_spinner=False)
def _preset_json(key: str) -> str:
    return load_preset(key).canonical_json()


def preset(key: str = DEFAULT_PRESET) -> Scenario:
    """A preset scenario (its file is read once per process)."""
    return scenario_from_dict(json.loads(_preset_json(key)))


# The optimiser --------------------------------------------------------------------------------
def _scenario(text: str) -> Scenario:
    return parse_scenario(text, "json")


@st.cache_data(max_entries=32, show_spinner=False)
def split_sweep(
    text: str, objective: str, target: float | None, grid: int, runs: int, seed: int, _executor=None
) -> SplitResult:
    """The split sweep and its refinement of the scenario with canonical JSON ``text``, on ``_executor``
    (this machine by default); where it runs does not change the result."""
    return optimize_split(_scenario(text), objective, target, grid, runs, seed, executor=_executor)


class FinishedResults:
    """Results of long computations that report progress, kept by their parameters and shared by sessions.

    ``st.cache_data`` records what a cached function draws and replays it on the next hit, so a
    progress callback inside it fails every later request with the same parameters. Here the
    computation runs outside any cache with the caller's progress callback, and only its finished
    result is kept (at most ``max_entries``, the least recently used dropped first). Each caller gets
    its own unpickled copy, as from ``st.cache_data``. Two sessions asking for the same result at
    once compute it once: the second waits for the first.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, bytes] = OrderedDict()
        self._computing: dict[tuple, threading.Lock] = {}

    def _hit(self, key: tuple):
        with self._lock:
            pickled = self._entries.get(key)
            if pickled is None:
                return None
            self._entries.move_to_end(key)
        return pickle.loads(pickled)

    def get(self, key: tuple, compute: Callable[[], object]):
        """The result kept under ``key``, or ``compute()``'s, kept for the next caller."""
        found = self._hit(key)
        if found is not None:
            return found
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            found = self._hit(key)
            if found is not None:
                return found
            try:
                value = compute()
                with self._lock:
                    self._entries[key] = pickle.dumps(value)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value


@st.cache_resource(show_spinner=False)
def finished_maps() -> FinishedResults:
    """The budget maps this server has finished (cleared with ``st.cache_resource``)."""
    return FinishedResults(max_entries=16)


@st.cache_resource(show_spinner=False)
def finished_tornados() -> FinishedResults:
    """The sensitivity analyses this server has finished (cleared with ``st.cache_resource``)."""
    return FinishedResults(max_entries=16)


def budget_size_map(
    text: str, totals: tuple[float, ...], objective: str, target: float | None, grid: int, runs: int, seed: int,
    executor=None, progress=None,
) -> BudgetMap:  # fmt: skip
    """The objective over ``totals`` x the grid of splits; ``progress(done, count)`` after each total
    (only when it is computed for this call; a kept result comes at once)."""
    key = (text, tuple(totals), objective, target, grid, runs, seed)
    return finished_maps().get(
        key,
        lambda: budget_map(
            _scenario(text), totals, objective, target, grid, runs, seed, progress=progress, executor=executor
        ),
    )


def tornado(
    text: str, base_share: float, objective: str, target: float | None, runs: int, seed: int, by_segment: bool,
    base: SplitResult, executor=None, progress=None,
) -> Tornado:  # fmt: skip
    """The sensitivity of the objective and the best split to each assumption, around ``base``'s best split
    (whose share is ``base_share``); ``progress`` as for :func:`budget_size_map`."""
    key = (text, base_share, objective, target, runs, seed, by_segment)
    return finished_tornados().get(
        key,
        lambda: sensitivity(
            _scenario(text), objective, target, runs, seed, base=base, by_segment=by_segment, progress=progress,
            executor=executor,
        ),
    )  # fmt: skip


@st.cache_data(max_entries=64, show_spinner=False)
def default_target(text: str) -> float:
    """A revenue target to start from: the plan's median revenue in the last period, rounded."""
    plan = summary(_scenario(text), runs=200)
    median = float(np.nanmedian(plan.kpis["revenue_final"]))
    if not math.isfinite(median) or median <= 0:
        return 0.0
    digits = 2 - math.floor(math.log10(median))
    return float(round(median, digits))
