"""Retention Lab's model: scenarios, engines, closed forms, figures and the command line."""

from .closed_forms import (
    expected_clv,
    expected_residual_value,
    expected_retention_rate,
    expected_survival,
    lever_response,
)
from .results import KPIS, PATH_METRICS, SimulationResult
from .runner import Comparison, compare, simulate
from .scenario import Budget, Scenario, ScenarioError, load_scenario, parse_scenario, scenario_from_dict

__all__ = [
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
