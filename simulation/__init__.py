"""Retention Lab's model: scenarios, engines, closed forms, figures, decisions and the command line."""

from .engines.results import PATH_METRICS, SimulationResult
from .engines.runner import Comparison, compare, simulate
from .model.closed_forms import (
    expected_clv,
    expected_residual_value,
    expected_retention_rate,
    expected_survival,
)
from .model.figures import FIGURES, KPIS
from .model.levers import response as lever_response
from .model.scenario import Budget, Scenario, ScenarioError, load_scenario, parse_scenario, scenario_from_dict

__all__ = [
    "FIGURES",
    "KPIS",
    "PATH_METRICS",
    "Budget",
    "Comparison",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "compare",
    "expected_clv",
    "expected_residual_value",
    "expected_retention_rate",
    "expected_survival",
    "lever_response",
    "load_scenario",
    "parse_scenario",
    "scenario_from_dict",
    "simulate",
]
