"""Scenario edits in business terms: each reads a figure from a scenario and returns a new, validated one.

A control that stands for many numbers scales them together: moving the average churn from
1.2 % to 1.5 % multiplies every segment's churn, and every end of its uncertainty range, by
1.25, so the differences between segments and the width of the ranges are kept. Every change
goes through the schema, so a value the model cannot take raises
:class:`~simulation.model.scenario.ScenarioError` naming the field.
"""

from __future__ import annotations

import math

import numpy as np

from .assumptions import DEFAULT_COST_MULTIPLIER
from .distributions import Distribution, central
from .scenario import Budget, Scenario, ScenarioError, currency_decimals, scenario_from_dict

# The researched range of "acquiring a customer costs N x keeping one" (Bain & Co.; docs/MODEL.md, section 1).
RESEARCH_MULTIPLIER = (5.0, 25.0)
SIGNIFICANT_DIGITS = 12


# Numbers ----------------------------------------------------------------------------------
def tidy(x: float) -> float:
    """``x`` rounded to 12 significant digits, so scaled values read cleanly (0.0055, not 0.0055000000000000005)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


def scale_param(value: float | Distribution, factor: float) -> float | dict:
    """A scenario number multiplied by ``factor``; a distribution keeps its form, every parameter scaled."""
    if isinstance(value, Distribution):
        return {k: tidy(v * factor) for k, v in value.as_dict().items()}
    return tidy(float(value) * factor)


# Budget -----------------------------------------------------------------------------------
EVEN_SPLIT = 0.5  # the split of a budget that had no acquisition or retention to split


def fixed_spend(budget: Budget) -> float:
    """Spend per period on expansion and win-back: the part of the total the split does not move."""
    return budget.fixed


def with_split(scenario: Scenario, share: float) -> Scenario:
    """The plan's acquisition share of (acquisition + retention) set to ``share``; the total is kept."""
    if not 0.0 <= share <= 1.0 or not math.isfinite(share):
        raise ScenarioError([("budget", f"the acquisition share must be in [0, 1]; got {share:g}")])
    budget = scenario.budget
    return scenario.with_budget(budget.with_split(budget.total, share, currency_decimals(scenario.currency)))


def _resized(budget: Budget, total: float, field: str, what: str, scenario: Scenario, share: float | None) -> Budget:
    """``budget`` with its total set to ``total`` and its acquisition share kept; ``field`` names it in messages.

    A budget with nothing to split (a zero total) has no share of its own: it takes ``share``,
    the one it had before it was zero, or an even split when none is known.
    """
    if not math.isfinite(total) or total < fixed_spend(budget):
        raise ScenarioError(
            [
                (
                    field,
                    f"{what} must be at least the expansion and win-back budgets "
                    f"({fixed_spend(budget):,.0f} per {scenario.period}); got {total:,.0f}",
                )
            ]
        )
    own = budget.acquisition_share
    if own is None:
        own = EVEN_SPLIT if share is None or not 0.0 <= share <= 1.0 else share
    return budget.with_split(total, own, currency_decimals(scenario.currency))


def with_total(scenario: Scenario, total: float, share: float | None = None) -> Scenario:
    """The plan's total budget per period set to ``total``; the acquisition share is kept.

    ``share`` is the split to use when the plan had nothing to split (its total was zero).
    """
    return scenario.with_budget(_resized(scenario.budget, total, "budget", "the total budget", scenario, share))


def with_baseline_total(scenario: Scenario, total: float, share: float | None = None) -> Scenario:
    """The status quo's total budget per period set to ``total``; its own acquisition share is kept.

    ``share`` is the split to use when the status quo had nothing to split (its total was zero).
    """
    base = _resized(scenario.baseline, total, "baseline_budget", "the status quo's total", scenario, share)
    return scenario.replace(baseline_budget=base.model_dump())


# Acquisition cost -------------------------------------------------------------------------
def cost_multiplier(scenario: Scenario) -> float:
    """Central cost of acquiring a customer as a multiple of the central cost of a save."""
    return scenario.cac_central / central(scenario.retention.cost_per_save)


def with_cost_multiplier(scenario: Scenario, multiplier: float) -> Scenario:
    """Acquiring a customer made ``multiplier`` times as costly as a save (centrally).

    A ``cost_multiplier`` range is scaled (its uncertainty kept); a scenario that gives
    ``cost_per_customer`` instead has that scaled; a scenario with neither gets the number.
    """
    acq = scenario.acquisition.model_dump(exclude_none=True)
    current = cost_multiplier(scenario)
    if scenario.acquisition.cost_per_customer is not None:
        acq["cost_per_customer"] = scale_param(scenario.acquisition.cost_per_customer, multiplier / current)
    elif scenario.acquisition.cost_multiplier is not None:
        acq["cost_multiplier"] = scale_param(scenario.acquisition.cost_multiplier, multiplier / current)
    else:
        acq["cost_multiplier"] = tidy(float(multiplier))
    return scenario.replace(acquisition=acq)


def multiplier_default() -> float:
    """The multiple the engine assumes when a scenario gives neither a multiple nor a CAC."""
    return DEFAULT_COST_MULTIPLIER


# Segment averages -------------------------------------------------------------------------
def segment_weights(scenario: Scenario, basis: str) -> np.ndarray:
    """Weights over segments: ``"customers"`` (held now) or ``"new"`` (share of new customers)."""
    if basis == "new":
        w = np.asarray(scenario.shares, dtype=float)
    else:
        w = np.array([s.customers for s in scenario.segments], dtype=float)
    return w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))


def segment_average(scenario: Scenario, field: str, basis: str = "customers") -> float:
    """Weighted mean over segments of the central value of a segment field."""
    values = np.array([central(getattr(s, field)) for s in scenario.segments])
    return float(values @ segment_weights(scenario, basis))


def with_segment_average(scenario: Scenario, field: str, target: float, basis: str = "customers") -> Scenario:
    """Every segment's ``field`` scaled by one factor so that its weighted average becomes ``target``.

    Where the average is zero (no upsell, say) scaling cannot reach a target, so every
    segment gets ``target`` itself.
    """
    if not math.isfinite(target):
        raise ScenarioError([(f"segments.{field}", "must be a finite number")])
    current = segment_average(scenario, field, basis)
    segments = []
    for s in scenario.segments:
        data = s.model_dump(exclude_none=True)
        if current > 0:
            data[field] = scale_param(getattr(s, field), target / current)
        else:
            data[field] = tidy(float(target))
        segments.append(data)
    return scenario.replace(segments=segments)


def with_value(scenario: Scenario, path: str, value) -> Scenario:
    """The scenario with one field set: ``discount_rate``, ``acquisition.cost_multiplier`` or
    ``segments[2].churn``; ``value`` a number or a distribution mapping. Validated like any scenario."""
    data = scenario.to_dict()
    if path.startswith("segments["):
        index, field = path[len("segments[") :].split("].", 1)
        data["segments"][int(index)][field] = value
    elif "." in path:
        section, field = path.split(".", 1)
        data.setdefault(section, {})[field] = value
    else:
        data[path] = value
    return scenario_from_dict(data)
