"""Per-user state and cached engine calls for the pages.

Per-user state lives only in ``st.session_state`` (the current scenario, notices
for the next render); nothing here keeps a user's data in a module global or in
``st.cache_resource``, so two people using the app never see each other's
scenario.

Engine results are cached with ``st.cache_data`` keyed by plain text: the
scenario's canonical JSON without its budgets (the model), the budget, the
number of runs and the seed. The status quo therefore stays cached while the
plan's split moves, and a moved slider costs one engine run. What is cached is
a summary (percentiles per period for the charted metrics, the bridge totals,
and one number per run for each headline figure), not the raw run arrays, so a
cache hit costs a small unpickle.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from simulation import Budget, Scenario, ScenarioError, scenario_from_dict, simulate
from simulation.engines.vectorized import CLASSES_PER_COHORT
from simulation.errors import InputError
from simulation.io.presets import DEFAULT_PRESET, list_presets, load_preset
from simulation.io.sharing import QUERY_PARAM, decode_scenario
from simulation.model.assumptions import Assumptions, draw_assumptions
from simulation.model.limits import MAX_SIMULATION_STEPS, check_simulation

from . import charts
from .safe_text import md

log = logging.getLogger("retention_lab.app")

SCENARIO_KEY = "scenario"  # contract: the current validated Scenario (pages/plan.py writes it every run)
PENDING_SPLIT_KEY = "pending_split"  # contract: an acquisition share another page asks the Plan page to apply
NOTICES_KEY = "_notices"
URL_READ_KEY = "_url_read"
CHART_METRICS = ("revenue", "active_customers", "cumulative_contribution")
CSV_FLOAT_FORMAT = "%.6g"  # the command line's format (simulation/cli.py)
# Runs x periods x segments the app simulates per request: the model's one limit. The default
# preset is 240,000 (about 0.15 s); the limit keeps one oversized link or file from stalling a server.
MAX_INTERACTIVE_WORK = MAX_SIMULATION_STEPS


@dataclass(frozen=True)
class RunSummary:
    """What the pages show of one scenario under one budget.

    ``paths``: long percentiles ``period, metric, mean, p5, p25, p50, p75, p95`` for
    :data:`CHART_METRICS`; ``bridge``: mean run-rate ``start, new, expansion, winback,
    lost, end`` over the horizon (they add up exactly); ``kpis``: one value per run for
    every headline figure (NaN where undefined).
    """

    runs: int
    seed: int
    paths: pd.DataFrame
    bridge: dict[str, float]
    kpis: dict[str, np.ndarray]

    def kpi(self, name: str) -> np.ndarray:
        return self.kpis[name]


@dataclass(frozen=True)
class PlanFigures:
    """The plan and its status quo, run on the same seed and runs (common random numbers)."""

    plan: RunSummary
    baseline: RunSummary
    identical: bool

    def difference(self, kpi: str) -> np.ndarray:
        """Run-by-run difference plan minus status quo (as :meth:`simulation.Comparison.difference`)."""
        return self.plan.kpis[kpi] - self.baseline.kpis[kpi]

    @property
    def p_beats_baseline(self) -> float | None:
        """Share of runs in which the plan's NPV beats the status quo's (:class:`simulation.Comparison`);
        None when the plan is the status quo."""
        if self.identical:
            return None
        return float(np.mean(self.difference("npv") > 0))


# Cache keys -----------------------------------------------------------------------------------
def model_json(scenario: Scenario) -> str:
    """The scenario's canonical JSON without its budgets and run settings: what a budget is run on."""
    data = scenario.to_dict()
    for key in ("budget", "baseline_budget", "simulation"):
        data.pop(key, None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def budget_json(budget: Budget) -> str:
    return json.dumps(budget.model_dump(), sort_keys=True, separators=(",", ":"))


def _rebuild(model: str, budget: str, runs: int, seed: int) -> tuple[Scenario, Budget]:
    data = json.loads(model)
    data["budget"] = json.loads(budget)
    data["simulation"] = {"runs": runs, "seed": seed}
    scenario = scenario_from_dict(data)
    return scenario, scenario.budget


def bridge_totals(result) -> dict[str, float]:
    """Mean revenue run-rate bridge of a :class:`~simulation.SimulationResult` over its horizon."""
    p = result.paths
    return {
        "start": float(p["revenue_run_rate"][:, 0].mean()),
        "new": float(p["run_rate_new"][:, 1:].sum(1).mean()),
        "expansion": float(p["run_rate_expansion"][:, 1:].sum(1).mean()),
        "winback": float(p["run_rate_winback"][:, 1:].sum(1).mean()),
        "lost": float(p["run_rate_lost"][:, 1:].sum(1).mean()),
        "end": float(p["revenue_run_rate"][:, -1].mean()),
    }


@st.cache_data(max_entries=32, show_spinner=False)
def assumptions_for(model: str, runs: int, seed: int) -> Assumptions:
    """The per-run assumption draws of a model, with its latent churn classes already computed.

    The draws depend on the model, runs and seed, never on the budget, so every split and
    total of one scenario shares them (as :func:`simulation.compare` does). The churn
    classes are the costly part of a run (an eigenvalue problem per run and segment); each
    call gets its own unpickled copy, so sessions never share a mutable object.
    """
    scenario, _ = _rebuild(model, json.dumps(Budget().model_dump()), runs, seed)
    drawn = draw_assumptions(scenario, runs, seed)
    drawn.latent_classes(CLASSES_PER_COHORT)
    return drawn


@st.cache_data(max_entries=256, show_spinner=False)
def run_summary(model: str, budget: str, runs: int, seed: int) -> RunSummary:
    """Simulate the model (see :func:`model_json`) under a budget and keep the summary the pages need."""
    scenario, plan_budget = _rebuild(model, budget, runs, seed)
    drawn = assumptions_for(model, runs, seed)
    result = simulate(scenario, plan_budget, runs=runs, seed=seed, assumptions=drawn)
    return RunSummary(
        runs=runs,
        seed=seed,
        paths=result.path_summary(CHART_METRICS),
        bridge=bridge_totals(result),
        kpis={name: np.asarray(values, dtype=float) for name, values in result.kpis.items()},
    )


@st.cache_data(max_entries=16, show_spinner=False)
def projections_csv(model: str, budget: str, runs: int, seed: int) -> str:
    """Every path metric's percentiles as CSV, in the command line's long format."""
    scenario, plan_budget = _rebuild(model, budget, runs, seed)
    table = simulate(scenario, plan_budget, runs=runs, seed=seed).path_summary()
    return table.to_csv(index=False, float_format=CSV_FLOAT_FORMAT)


class TooLargeError(InputError):
    """A scenario too big to simulate while someone waits; the message says how to shrink it."""


def check_size(scenario: Scenario, runs: int) -> None:
    """Refuse work beyond the model's limit (:mod:`simulation.model.limits`), naming the field to change."""
    try:
        check_simulation(scenario, runs)
    except InputError as exc:
        raise TooLargeError(f"{exc} (All assumptions).") from None


def summarise(scenario: Scenario, budget: Budget | None = None, runs: int | None = None, seed: int | None = None):
    """The cached :class:`RunSummary` of ``scenario`` under ``budget`` (default: its plan)."""
    budget = scenario.budget if budget is None else budget
    runs = scenario.simulation.runs if runs is None else runs
    seed = scenario.simulation.seed if seed is None else seed
    check_size(scenario, int(runs))
    return run_summary(model_json(scenario), budget_json(budget), int(runs), int(seed))


def plan_figures(scenario: Scenario) -> PlanFigures:
    """The plan and its status quo for the Plan page (each cached on its own)."""
    plan = summarise(scenario)
    identical = scenario.baseline == scenario.budget
    baseline = plan if identical else summarise(scenario, scenario.baseline)
    return PlanFigures(plan=plan, baseline=baseline, identical=identical)


def csv_for(scenario: Scenario, budget: Budget | None = None):
    """A no-argument callable giving the projections CSV, for a download button (runs on click)."""
    check_size(scenario, scenario.simulation.runs)
    budget = scenario.budget if budget is None else budget
    args = (model_json(scenario), budget_json(budget), scenario.simulation.runs, scenario.simulation.seed)
    return lambda: projections_csv(*args)


def beat_matrix(kpis: dict[str, np.ndarray]) -> pd.DataFrame:
    """P(row beats column) run by run: the share of runs in which the row's figure is strictly higher.

    ``kpis`` maps a scenario name to one figure per run, all from the same seed and runs
    (common random numbers); the diagonal is NaN.
    """
    names = list(kpis)
    table = pd.DataFrame(np.nan, index=names, columns=names, dtype=float)
    for a in names:
        for b in names:
            if a != b:
                table.loc[a, b] = float(np.mean(kpis[a] > kpis[b]))
    return table


# Charts ---------------------------------------------------------------------------------------
CHART_BUILDERS = {"fan": charts.fan_chart, "bridge": charts.bridge_chart}


@st.cache_data(max_entries=64, show_spinner=False)
def _chart_template(builder: str, columns: tuple[str, ...], params_json: str) -> dict:
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    return CHART_BUILDERS[builder](empty, **json.loads(params_json)).to_dict()


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


# Session --------------------------------------------------------------------------------------
def notify(kind: str, text: str) -> None:
    """Queue a message (``"error"``, ``"warning"``, ``"success"``, ``"info"``) for the next render."""
    st.session_state.setdefault(NOTICES_KEY, []).append((kind, text))


def pop_notices() -> list[tuple[str, str]]:
    return st.session_state.pop(NOTICES_KEY, [])


def problems_text(exc: InputError, context: Scenario | dict | None = None) -> str:
    """A user-facing error as Markdown: one bullet per named problem.

    ``context`` (the scenario, or the raw data that failed) lets a segment be named as
    well as numbered: ``segment 2 (Core) · churn``.
    """
    if isinstance(exc, ScenarioError):
        from .controls import describe_problems

        data = context.to_dict() if isinstance(context, Scenario) else context
        lines = describe_problems(exc.problems, data if isinstance(data, dict) else None)
        return "\n".join(f"- {md(line)}" for line in lines)
    return md(exc)


def current_scenario() -> Scenario:
    """This session's scenario; on the session's first call, the one in the link, else the default preset.

    A broken or tampered link queues an error naming what is wrong and falls back to the
    default preset, so the page keeps working.
    """
    if not st.session_state.get(URL_READ_KEY):
        st.session_state[URL_READ_KEY] = True
        token = st.query_params.get(QUERY_PARAM)
        if token is not None:
            try:
                st.session_state[SCENARIO_KEY] = decode_scenario(token)
                notify("success", "Opened the scenario from the link.")
            except InputError as exc:
                notify(
                    "error",
                    "**This link's scenario could not be opened**, so the default example is shown instead.\n\n"
                    + problems_text(exc),
                )
    scenario = st.session_state.get(SCENARIO_KEY)
    if not isinstance(scenario, Scenario):
        scenario = preset()
        st.session_state[SCENARIO_KEY] = scenario
    return scenario


def set_scenario(scenario: Scenario) -> None:
    """Make ``scenario`` this session's current scenario."""
    st.session_state[SCENARIO_KEY] = scenario
