"""Run a scenario with either engine, and compare a plan with its status quo."""

from __future__ import annotations

from importlib import import_module

from ..errors import InputError
from ..model.assumptions import Assumptions, draw_assumptions
from ..model.scenario import Budget, Scenario
from .results import SimulationResult, build_result
from .summary import Comparison

ENGINES = {
    "vectorized": ("simulation.engines.vectorized", "simulate_vectorized"),
    "discrete_event": ("simulation.engines.discrete_event", "simulate_discrete_event"),
}


def engine_name(name: str) -> str:
    """Normalise an engine name (``discrete-event`` and ``discrete_event`` are the same)."""
    key = name.strip().lower().replace("-", "_")
    if key not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}; got {name!r}")
    return key


def runs_and_seed(scenario: Scenario, runs: int | None = None, seed: int | None = None) -> tuple[int, int]:
    """``runs`` and ``seed`` as whole numbers, each defaulting to the scenario's ``[simulation]`` setting."""
    runs = scenario.simulation.runs if runs is None else int(runs)
    seed = scenario.simulation.seed if seed is None else int(seed)
    return runs, seed


def simulate(
    scenario: Scenario,
    budget: Budget | None = None,
    *,
    runs: int | None = None,
    seed: int | None = None,
    engine: str = "vectorized",
    assumptions: Assumptions | None = None,
    **engine_options,
) -> SimulationResult:
    """Simulate ``scenario`` under ``budget`` (default: the scenario's own budget).

    ``runs`` and ``seed`` default to the scenario's ``[simulation]`` settings. Results
    for the same scenario, budget, runs and seed are identical; two budgets run
    with the same seed share every assumption draw (common random numbers).
    """
    engine = engine_name(engine)
    budget = scenario.budget if budget is None else budget
    runs, seed = runs_and_seed(scenario, runs, seed)
    if assumptions is None:
        assumptions = draw_assumptions(scenario, runs, seed)
    module, func = ENGINES[engine]
    output = getattr(import_module(module), func)(scenario, budget, assumptions, seed, **engine_options)
    # the event log is a by-product; the no-marketing counterfactual (marketing ROI) does not need one
    kept = {k: v for k, v in engine_options.items() if k != "record_events"}
    return build_result(scenario, budget, engine, seed, assumptions, output, kept)


def shared_draws(scenario: Scenario, runs: int, seed: int) -> Assumptions:
    """The per-run assumption draws of a scenario, with what every budget run on them reuses already computed.

    The draws depend on the model, runs and seed, never on the budget. The vectorised engine's
    latent churn classes (an eigenvalue problem per run and segment) and marketing ROI's
    no-marketing counterfactual are kept with them, so every split and total run on these
    draws (a moved slider, the status quo, the optimiser's splits) costs only its own run.
    """
    from .results import no_marketing_equity
    from .vectorized import CLASSES_PER_COHORT

    drawn = draw_assumptions(scenario, runs, seed)
    drawn.latent_classes(CLASSES_PER_COHORT)
    no_marketing_equity(scenario, drawn, seed)
    return drawn


def compare(
    scenario: Scenario, *, runs=None, seed=None, engine="vectorized", baseline_figures_only=False, **engine_options
) -> Comparison:
    """Simulate the plan's budget and the baseline budget on the same random numbers.

    ``baseline_figures_only``: the caller reads only the status quo's figures (``kpis``), never its
    count of saved customers, so the vectorised engine does not draw that count for it
    (``count_saved=False``; every figure is the same to the last digit).
    """
    runs, seed = runs_and_seed(scenario, runs, seed)
    assumptions = draw_assumptions(scenario, runs, seed)
    kw = dict(runs=runs, seed=seed, engine=engine, assumptions=assumptions, **engine_options)
    plan = simulate(scenario, scenario.budget, **kw)
    if scenario.baseline == scenario.budget:
        return Comparison(plan=plan, baseline=plan)
    if baseline_figures_only and engine_name(engine) == "vectorized":
        kw["count_saved"] = False
    return Comparison(plan=plan, baseline=simulate(scenario, scenario.baseline, **kw))
