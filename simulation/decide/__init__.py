"""Decisions: the best split, how sure it is, what the next dollar buys, budget size and sensitivity."""

from .batch import BatchRequest, batch_frame, optimize_batch
from .budget_map import BudgetMap, MapRow, budget_map, default_totals, sweep_total
from .budget_size import BudgetSize, smaller_budget
from .marginal import MarginalReturns, marginal_returns
from .objectives import (
    DEFAULT_GRID,
    FLAT_TOLERANCE,
    MAX_GRID,
    MIN_RUNS,
    NOISE_Z,
    OBJECTIVES,
    PER_RUN_NOTE,
    PLAN_GRID,
    REFINE_TOLERANCE,
    Objective,
    objective_of,
    plan_share,
    split_total,
)
from .search import SplitResult, optimize_split
from .sensitivity import (
    AssumptionRange,
    Tornado,
    TornadoSide,
    moved_scenario,
    sensitivity,
    tornado_assumptions,
    tornado_pair,
    tornado_side,
    tornado_sides,
)

__all__ = [
    "DEFAULT_GRID",
    "FLAT_TOLERANCE",
    "MAX_GRID",
    "MIN_RUNS",
    "NOISE_Z",
    "OBJECTIVES",
    "PER_RUN_NOTE",
    "PLAN_GRID",
    "REFINE_TOLERANCE",
    "AssumptionRange",
    "BatchRequest",
    "BudgetMap",
    "BudgetSize",
    "MapRow",
    "MarginalReturns",
    "Objective",
    "SplitResult",
    "Tornado",
    "TornadoSide",
    "batch_frame",
    "budget_map",
    "default_totals",
    "marginal_returns",
    "moved_scenario",
    "objective_of",
    "optimize_batch",
    "optimize_split",
    "plan_share",
    "sensitivity",
    "smaller_budget",
    "split_total",
    "sweep_total",
    "tornado_assumptions",
    "tornado_pair",
    "tornado_side",
    "tornado_sides",
]
