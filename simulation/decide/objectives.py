"""What the optimiser maximises, and the checks and helpers every search shares."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..model.figures import FIGURES
from ..model.scenario import Scenario

NOISE_Z = 2.0  # "within noise": the paired difference from the best is less than 2 standard errors
REFINE_TOLERANCE = 0.01  # the refined best split is within 1 percentage point of the optimum
FLAT_TOLERANCE = 0.01  # "near the best": within 1 % of the best objective (1 point of probability)
DEFAULT_GRID = 21
PLAN_GRID = 11  # the Plan page's sweep: 0, 10, ..., 100 %, then refined to one point on the same draws
MAX_GRID = 201
MIN_RUNS = 2
MAX_SPLITS_AT_ONCE = 4  # splits evaluated at the same time here; the engine runs each on one core then
# Ties in the probability of reaching a target are broken by mean revenue, with a weight too
# small to override one run's worth of probability (1 / runs >= 1e-5 for runs <= 100,000).
_TIE_WEIGHT = 1e-7
_TIE_CLIP = 10.0


@dataclass(frozen=True)
class Objective:
    """What the optimiser maximises: a statistic of one per-run figure."""

    key: str
    label: str
    metric: str  # npv | customer_equity | revenue_final
    statistic: str  # mean | p10 | probability
    help: str

    @property
    def per_run(self) -> bool:
        """Whether a single run has its own value of the objective (a mean does; a percentile does not)."""
        return self.statistic == "mean"

    @property
    def is_money(self) -> bool:
        return self.statistic != "probability"

    @property
    def horizon_only(self) -> bool:
        """Whether the objective counts money earned within the horizon only (NPV) or customers' lifetimes."""
        return self.metric == "npv"

    def score(self, values: np.ndarray, target: float | None = None) -> np.ndarray:
        """The objective of per-run values, along the first axis (runs)."""
        if self.statistic == "mean":
            return values.mean(0)
        if self.statistic == "p10":
            return np.percentile(values, 10, axis=0)
        return (values >= target).mean(0)

    def key_of(self, values: np.ndarray, target: float | None = None) -> np.ndarray:
        """The score used to rank splits: the objective, ties in probability broken by mean revenue."""
        score = self.score(values, target)
        if self.statistic != "probability":
            return score
        scale = max(abs(target), 1.0)
        return score + _TIE_WEIGHT * np.clip(values.mean(0) / scale, -_TIE_CLIP, _TIE_CLIP)


OBJECTIVES: dict[str, Objective] = {
    o.key: o
    for o in (
        Objective("npv", FIGURES["npv"].label, "npv", "mean", "Expected NPV of gross profit minus spend."),
        Objective(
            "equity",
            FIGURES["customer_equity"].label,
            "customer_equity",
            "mean",
            "Expected NPV plus the value still expected from the customers held at the horizon.",
        ),
        Objective(
            "revenue", FIGURES["revenue_final"].label, "revenue_final", "mean", "Expected revenue in the last period."
        ),
        Objective(
            "p10_npv",
            "Cautious NPV (10th percentile)",
            "npv",
            "p10",
            "The NPV that nine runs in ten beat: a prudent plan maximises the bad case.",
        ),
        Objective(
            "target",
            "Chance of reaching the revenue target",
            "revenue_final",
            "probability",
            "Share of runs whose revenue in the last period reaches the target.",
        ),
    )
}
PER_RUN_NOTE = (
    "Each run's own best split is not defined for a percentile or a probability: "
    "they describe all runs together, not one run."
)


def objective_of(key: str) -> Objective:
    """The objective named ``key``, or an :class:`InputError` listing the allowed ones."""
    if key not in OBJECTIVES:
        raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}; got {key!r}")
    return OBJECTIVES[key]


def metric_values(result, metric: str) -> np.ndarray:
    """The per-run values of an objective's figure."""
    return result.figure(metric)


def check_request(objective: str, target, grid: int, runs: int) -> Objective:
    obj = objective_of(objective)
    if obj.statistic == "probability":
        if target is None:
            raise InputError("target: the 'target' objective needs a revenue target (revenue in the last period)")
        if not math.isfinite(float(target)):
            raise InputError(f"target: must be a finite number; got {target!r}")
    if not 2 <= int(grid) <= MAX_GRID:
        raise InputError(f"grid: must be from 2 to {MAX_GRID} points; got {grid}")
    if int(runs) < MIN_RUNS:
        raise InputError(f"runs: must be at least {MIN_RUNS} to measure noise; got {runs}")
    return obj


def split_total(scenario: Scenario) -> float:
    """The budget the optimiser splits: acquisition + retention per period (expansion, win-back fixed)."""
    return scenario.budget.core


def plan_share(scenario: Scenario) -> float | None:
    """The acquisition share of the scenario's own budget; None when it has nothing to split."""
    return scenario.budget.acquisition_share


def total_to_split(scenario: Scenario, total: float | None) -> float:
    total = split_total(scenario) if total is None else float(total)
    if not math.isfinite(total) or total <= 0:
        raise InputError(
            "total: the acquisition + retention budget to split must be more than 0 per period"
            + ("; the scenario's budget has none" if split_total(scenario) <= 0 else f"; got {total:g}")
        )
    return total


def share_key(share: float) -> float:
    return round(float(share), 9)
