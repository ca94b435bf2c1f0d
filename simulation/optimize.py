"""The budget optimiser: the best acquisition/retention split, how sure it is, and why.

Every evaluation of one scenario shares one set of assumption draws and one seed
(common random numbers), so the difference between two splits is measured run by
run and is far more precise than either objective on its own. Three questions:

* :func:`optimize_split`: which share of the acquisition + retention budget should go
  to acquisition (a grid, then a bounded refinement to 1 percentage point), the range
  of splits within noise of the best, each run's own best split, and the returns of
  the next dollar on each side at the best split (:func:`marginal_returns`);
* :func:`budget_map`: the objective over total budget x split, and the best split and
  best objective for each total;
* :func:`sensitivity`: a tornado of the assumptions, each moved to a low and a high
  value, with the change in the objective and in the best split.

The model knows no user interface; the page and the command line format what these
functions return.

References
----------
Blattberg, R. C. and Deighton, J. (1996). Manage marketing by the customer equity test.
    Harvard Business Review 74(4), 136-144.
Pfeifer, P. E. (2005). The optimal ratio of acquisition and retention costs.
    Journal of Targeting, Measurement and Analysis for Marketing 13(2), 179-188.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .assumptions import DEFAULT_COST_MULTIPLIER, Assumptions, draw_assumptions
from .closed_forms import lever_marginal_response
from .distributions import Distribution, central, quantile
from .engine_vectorized import CLASSES_PER_COHORT
from .errors import InputError
from .kernel import workers
from .results import PERCENTILES, SimulationResult
from .runner import simulate
from .scenario import (
    SEGMENT_ASSUMPTIONS,
    Acquisition,
    Budget,
    Expansion,
    Retention,
    Scenario,
    Segment,
    Winback,
    bounds_of,
    scenario_from_dict,
)

NOISE_Z = 2.0  # "within noise": the paired difference from the best is less than 2 standard errors
REFINE_TOLERANCE = 0.01  # the refined best split is within 1 percentage point of the optimum
FLAT_TOLERANCE = 0.01  # "near the best": within 1 % of the best objective (1 point of probability)
DEFAULT_GRID = 21
MAX_GRID = 201
MIN_RUNS = 2
BOOTSTRAP_REPLICATES = 400
TORNADO_QUANTILES = (0.10, 0.90)
PLAIN_SWING = 0.20  # a plain number is moved by +-20 % in the tornado
TORNADO_STEP = 0.02
# The bootstrap of a percentile's standard error has its own stream, apart from the engine's.
_BOOTSTRAP_STREAM = 101
# Ties in the probability of reaching a target are broken by mean revenue, with a weight too
# small to override one run's worth of probability (1 / runs >= 1e-5 for runs <= 100,000).
_TIE_WEIGHT = 1e-7
_TIE_CLIP = 10.0


WORKERS = min(workers(), 4)


# Objectives -------------------------------------------------------------------------------
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
        Objective("npv", "NPV of contribution", "npv", "mean", "Expected NPV of gross profit minus spend."),
        Objective(
            "equity",
            "Customer equity",
            "customer_equity",
            "mean",
            "Expected NPV plus the value still expected from the customers held at the horizon.",
        ),
        Objective(
            "revenue", "Revenue in the last period", "revenue_final", "mean", "Expected revenue in the last period."
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


def _metric(result: SimulationResult, metric: str) -> np.ndarray:
    if metric == "npv":
        return result.npv
    if metric == "customer_equity":
        return result.customer_equity
    return result.paths["revenue"][:, -1]


def _check(objective: str, target, grid: int, runs: int) -> Objective:
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
    return scenario.budget.acquisition + scenario.budget.retention


def plan_share(scenario: Scenario) -> float | None:
    """The acquisition share of the scenario's own budget; None when it has nothing to split."""
    total = split_total(scenario)
    return scenario.budget.acquisition / total if total > 0 else None


def _total(scenario: Scenario, total: float | None) -> float:
    total = split_total(scenario) if total is None else float(total)
    if not math.isfinite(total) or total <= 0:
        raise InputError(
            "total: the acquisition + retention budget to split must be more than 0 per period"
            + ("; the scenario's budget has none" if split_total(scenario) <= 0 else f"; got {total:g}")
        )
    return total


def _key(share: float) -> float:
    return round(float(share), 9)


def _parallel(fn: Callable, items: Sequence, workers: int | None = None) -> list:
    """``[fn(x) for x in items]``, on threads: the engine's compiled loop releases the GIL."""
    workers = WORKERS if workers is None else workers
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


class _Evaluator:
    """Splits of one total evaluated on one set of draws; remembers every point and the best result."""

    def __init__(self, scenario, objective: Objective, target, total, runs, seed, assumptions=None, workers=None):
        self.scenario, self.objective, self.target = scenario, objective, target
        self.total, self.runs, self.seed = total, runs, seed
        self.assumptions = draw_assumptions(scenario, runs, seed) if assumptions is None else assumptions
        # the latent classes are computed once here, not by every thread at the same time
        self.assumptions.latent_classes(CLASSES_PER_COHORT)
        self.workers = workers
        self.values: dict[float, np.ndarray] = {}
        self.best_share: float | None = None
        self.best_key = -np.inf
        self.best_result: SimulationResult | None = None

    def budget(self, share: float) -> Budget:
        base = self.scenario.budget
        return base.with_split(self.total + base.expansion + base.winback, share)

    def _run(self, share: float) -> SimulationResult:
        return simulate(self.scenario, self.budget(share), runs=self.runs, seed=self.seed, assumptions=self.assumptions)

    def evaluate(self, shares) -> None:
        todo = sorted({_key(s) for s in shares if 0.0 <= s <= 1.0} - set(self.values))
        for share, result in zip(todo, _parallel(self._run, todo, self.workers), strict=True):
            values = _metric(result, self.objective.metric)
            self.values[share] = values
            key = float(self.objective.key_of(values, self.target))
            if key > self.best_key:
                self.best_key, self.best_share, self.best_result = key, share, result

    def key(self, share: float) -> float:
        return float(self.objective.key_of(self.values[_key(share)], self.target))

    def best_of(self, shares) -> float:
        inside = [_key(s) for s in shares if _key(s) in self.values]
        return max(inside, key=self.key)


def _refine(ev: _Evaluator, center: float, step: float, tolerance: float = REFINE_TOLERANCE) -> float:
    """Bounded search around the best grid point, halving the bracket each round.

    If the objective is unimodal, its maximum lies within one grid step of the best grid
    point. Each round evaluates the two points half a step either side of the current
    best (in parallel) and keeps the best of the three, which halves the interval known
    to hold the maximum; rounds stop when the half-width is at most ``tolerance``.
    """
    s = _key(center)
    while step > tolerance:
        step /= 2
        candidates = [s - step, s + step]
        ev.evaluate(candidates)
        s = ev.best_of([s, *candidates])
    return s


def _local_optimum(ev: _Evaluator, start: float, step: float = TORNADO_STEP, max_fits: int = 8) -> float:
    """The best split near ``start``: the vertex of a parabola through three splits ``step`` apart.

    The three splits are centred on the current estimate (kept inside [0, 1]). When the
    vertex falls outside them the centre moves towards it (at most ``5 * step`` a time)
    and the fit is repeated; where the objective is not concave the centre moves to the
    better side. Common random numbers make the second difference precise enough for a
    step of two points (see :data:`TORNADO_STEP`).
    """
    center = _key(min(max(start, step), 1 - step))
    vertex = center
    for _ in range(max_fits):
        points = [_key(center - step), center, _key(center + step)]
        ev.evaluate(points)
        f_lo, f0, f_hi = (ev.key(p) for p in points)
        curvature = f_lo - 2 * f0 + f_hi
        if curvature < 0:
            vertex = center + 0.5 * step * (f_lo - f_hi) / curvature
        else:
            vertex = center + (2 * step if f_hi > f_lo else -2 * step)
        vertex = float(np.clip(vertex, 0.0, 1.0))
        if abs(vertex - center) <= step + 1e-12:
            return vertex
        moved = _key(np.clip(center + np.clip(vertex - center, -5 * step, 5 * step), step, 1 - step))
        if moved == center:
            return vertex
        center = moved
    return vertex


# The split sweep ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MarginalReturns:
    """What the next unit of currency per period buys on each side, at one split.

    ``*_units_per_1000``: customers acquired (or churns prevented) per 1,000 of spend;
    ``*_value_per_unit``: the value of one; ``*_return``: value per 1 of spend, both
    discounted to period 0. A return below 1 means the lever returns less than it costs.
    """

    share: float
    horizon_only: bool
    acquisition_units_per_1000: float
    acquisition_value_per_unit: float
    acquisition_return: float
    retention_units_per_1000: float
    retention_value_per_unit: float
    retention_return: float
    acquisition_return_p5: float
    acquisition_return_p95: float
    retention_return_p5: float
    retention_return_p95: float

    @property
    def corner(self) -> str | None:
        """``"acquisition"`` or ``"retention"`` when the whole budget goes to one lever, else None."""
        if self.share >= 1 - REFINE_TOLERANCE / 2:
            return "acquisition"
        if self.share <= REFINE_TOLERANCE / 2:
            return "retention"
        return None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"corner": self.corner}


class _ClassValues:
    """Expected discounted gross profit per unit of margin of one customer in each churn class.

    A customer ``joining`` in a period pays in it, then renews or leaves each period; a
    customer kept at the end of a period pays from the next one. ``after`` periods of the
    horizon follow. Churn within the horizon is ``c * theta``; with ``residual`` the
    customers still active at the horizon are valued as the engine values them
    (``m / (d + theta)``, no further retention). Valued at the period itself. Shapes:
    ``theta`` (runs, segments, classes), ``c`` (runs, segments), ``discount`` (runs,).
    """

    def __init__(self, theta, c, discount, residual: bool):
        d = discount[:, None, None]
        self.log_v = -np.log1p(d)
        # log of (1 - c theta) / (1 + d), the per-period factor of survival and discounting
        self.L = np.log1p(-np.clip(c[:, :, None] * theta, 0.0, 1.0 - 1e-15)) + self.log_v
        self.em1 = np.expm1(self.L)
        self.v = np.exp(self.log_v)
        self.after_horizon = 1.0 / np.maximum(d + theta, 1e-300) if residual else None

    def _geometric(self, n: int) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.em1 < 0, np.expm1(n * self.L) / self.em1, float(n))

    def joining(self, after: int) -> np.ndarray:
        value = self._geometric(after + 1)
        if self.after_horizon is not None:
            value = value + np.exp((after + 1) * self.L - self.log_v) * self.after_horizon
        return value

    def kept(self, after: int) -> np.ndarray:
        value = self.v * self._geometric(after)
        if self.after_horizon is not None:
            value = value + np.exp(after * self.L) * self.after_horizon
        return value


def _marginal_rho(rho: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """How much one more expected churner adds to the saves, per churner: d saves / d at_risk.

    With saves = cap P (1 - exp(-x)), x = spend / (cap P cost), this is
    cap (1 - (1 + x) exp(-x)), written with exp(-x) = 1 - rho / cap; less than rho,
    because one more customer shares the same retention budget.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        left = np.clip(1.0 - rho / np.where(cap > 0, cap, 1.0), 1e-300, 1.0)
        out = np.where(cap > 0, cap * (1.0 - left * (1.0 - np.log(left))), 0.0)
    return np.clip(out, 0.0, rho)


def marginal_returns(result: SimulationResult, horizon_only: bool = False) -> MarginalReturns:
    """The returns of the next unit of currency per period on acquisition and on retention.

    The periods of the run are replayed in expectation from its own acquisitions: the
    customers in each latent churn class (the engine's classes), joined by the new
    customers each period and thinned by churn net of the retention programme. In each
    period t:

    * acquisition: ``lever_marginal_response(A, ceiling_t, CAC)`` new customers per unit,
      the ceiling rebuilt from the run's acquisitions so far (market saturation), each
      worth a new customer's expected discounted gross profit from t (their CLV, cut at
      the horizon when ``horizon_only``);
    * retention: the next unit is split across segments as the budget is (value at risk,
      or the given weights) and buys ``lever_marginal_response(spend_s, cap P_s, cost)``
      saves in segment s, P_s being the churners expected without retention; a save is a
      would-be churner, so it is drawn from the period's classes in proportion to their
      expected churners, and is worth that customer's discounted gross profit to come.

    Later churn of the customers valued is lowered by the programme's marginal effect
    (:func:`_marginal_rho`, horizon average per segment), not its average: one more
    customer shares the same retention budget. Returns are discount-weighted averages
    over the periods (the next unit is spent in every period), then averaged over runs.
    With one period and one segment the decomposition is exact (see the tests); beyond,
    it leaves out upsell, win-back, chance, and that a customer won now leaves a smaller
    market to win later, so the two returns meet only approximately at an interior
    optimum.

    Parameters
    ----------
    result : SimulationResult
        A run of the scenario at the split in question.
    horizon_only : bool
        Count only gross profit within the horizon (for NPV objectives); otherwise the
        customers still active at the horizon are valued too (customer equity).

    Returns
    -------
    MarginalReturns
    """
    a, out, budget = result.assumptions, result.output, result.budget
    H, K = result.scenario.horizon, CLASSES_PER_COHORT
    acq_total, ret_total = budget.acquisition, budget.retention
    share = acq_total / (acq_total + ret_total) if acq_total + ret_total > 0 else 0.0
    t_all = np.arange(1, H + 1)
    disc = (1.0 + a.discount[:, None]) ** -t_all[None, :]
    period_weight = disc / disc.sum(1, keepdims=True)
    margin, cap, cost = a.margin_per_customer, a.max_churn_reduction[:, None], a.cost_per_save[:, None]
    theta, w_old, w_new = a.latent_classes(K)  # (R, S, 2K): existing customers' classes, then new ones'
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(out.at_risk_by_segment > 0, out.saves_by_segment / out.at_risk_by_segment, 0.0)
    c = 1.0 - _marginal_rho(rho, cap)
    given = a.weights["retention"]
    residual = not horizon_only

    new = result.paths["new_customers"][:, 1:]
    won_before = np.cumsum(new, axis=1) - new
    with np.errstate(invalid="ignore"):
        unsaturated = np.where(np.isfinite(a.market[:, None]), 1.0 - won_before / a.market[:, None], 1.0)
    new_per_unit = lever_marginal_response(
        acq_total, a.max_new[:, None] * np.clip(unsaturated, 0.0, 1.0), a.cac[:, None]
    )

    kept_values = _ClassValues(theta, c, a.discount, residual)
    join_values = _ClassValues(theta[..., K:], c, a.discount, residual)
    count = np.zeros(theta.shape)
    count[:, :, :K] = a.customers[None, :, None] * w_old
    acq_units, acq_return = np.zeros(a.runs), np.zeros(a.runs)
    ret_units, ret_return = np.zeros(a.runs), np.zeros(a.runs)
    for t in t_all:
        w = period_weight[:, t - 1]
        after = H - t
        count[:, :, K:] += new[:, t - 1, None, None] * a.share[None, :, None] * w_new
        at_risk_class = count * theta
        at_risk = at_risk_class.sum(-1)
        if given is not None:
            alloc = np.broadcast_to(given, at_risk.shape)
        else:
            risk_value = at_risk * a.revenue
            total_value = risk_value.sum(1, keepdims=True)
            alloc = np.divide(risk_value, total_value, out=np.zeros_like(risk_value), where=total_value > 0)
        ceiling = cap * at_risk
        per_unit = alloc * lever_marginal_response(ret_total * alloc, ceiling, cost)  # saves per unit, by segment
        pool = np.divide(
            at_risk_class, at_risk[..., None], out=np.zeros_like(at_risk_class), where=at_risk[..., None] > 0
        )
        save_value = margin * (pool * kept_values.kept(after)).sum(-1)
        ret_units += w * per_unit.sum(1)
        ret_return += w * (per_unit * save_value).sum(1)

        join_value = (w_new * join_values.joining(after)).sum(-1)
        acq_units += w * new_per_unit[:, t - 1]
        acq_return += w * new_per_unit[:, t - 1] * ((margin * join_value) @ a.share)

        with np.errstate(invalid="ignore", divide="ignore"):
            kept = np.where(ceiling > 0, -np.expm1(-ret_total * alloc / np.maximum(ceiling * cost, 1e-300)) * cap, 0.0)
        count *= 1.0 - theta * (1.0 - kept)[..., None]

    def value_per_unit(ret, units):
        mean_units = float(units.mean())
        return float(ret.mean()) / mean_units if mean_units > 0 else float("nan")

    return MarginalReturns(
        share=float(share),
        horizon_only=horizon_only,
        acquisition_units_per_1000=float(acq_units.mean() * 1000),
        acquisition_value_per_unit=value_per_unit(acq_return, acq_units),
        acquisition_return=float(acq_return.mean()),
        retention_units_per_1000=float(ret_units.mean() * 1000),
        retention_value_per_unit=value_per_unit(ret_return, ret_units),
        retention_return=float(ret_return.mean()),
        acquisition_return_p5=float(np.percentile(acq_return, 5)),
        acquisition_return_p95=float(np.percentile(acq_return, 95)),
        retention_return_p5=float(np.percentile(ret_return, 5)),
        retention_return_p95=float(np.percentile(ret_return, 95)),
    )


@dataclass(frozen=True)
class SplitResult:
    """The best split of one total budget, how sure it is, and why (see :func:`optimize_split`).

    ``points`` has one row per evaluated split (the grid, the refinement, the plan's
    split): ``acquisition_share, value`` (the objective), the per-run figure's ``mean,
    p5 ... p95``, ``diff_from_best`` and its standard error ``diff_se`` (paired, run by
    run), ``within_noise``, ``on_grid``.
    """

    scenario_name: str
    currency: str
    period: str
    objective: str
    target: float | None
    runs: int
    seed: int
    total: float
    expansion: float
    winback: float
    points: pd.DataFrame
    best_share: float
    best_value: float
    best_grid_share: float
    best_share_range: tuple[float, float]
    near_best_range: tuple[float, float]
    per_run_best: np.ndarray | None  # each run's own best grid split, (runs,)
    plan_share: float | None
    plan_value: float | None
    best_minus_plan: float | None
    p_best_beats_plan: float | None
    marginal: MarginalReturns

    @property
    def objective_info(self) -> Objective:
        return OBJECTIVES[self.objective]

    @property
    def best_budget(self) -> Budget:
        return Budget(
            acquisition=self.total * self.best_share,
            retention=self.total * (1 - self.best_share),
            expansion=self.expansion,
            winback=self.winback,
        )

    def grid_frame(self) -> pd.DataFrame:
        """The grid rows of :attr:`points` (``acquisition_share, value, mean, p5 ... p95, diff_from_best, ...``)."""
        grid = self.points[self.points["on_grid"]].drop(columns=["on_grid"])
        return grid.reset_index(drop=True)

    def per_run_best_summary(self) -> dict:
        """Quantiles of each run's own best split, or why there are none."""
        if self.per_run_best is None:
            return {"meaningful": False, "note": PER_RUN_NOTE}
        q = np.percentile(self.per_run_best, PERCENTILES)
        return {"meaningful": True, "mean": float(self.per_run_best.mean())} | {
            f"p{p}": float(x) for p, x in zip(PERCENTILES, q, strict=True)
        }

    def per_run_best_frame(self) -> pd.DataFrame:
        """Share of runs whose own best is each grid split: ``acquisition_share, runs_share``."""
        grid = self.grid_frame()["acquisition_share"].to_numpy()
        if self.per_run_best is None:
            return pd.DataFrame({"acquisition_share": grid, "runs_share": np.nan})
        idx = np.searchsorted(grid, self.per_run_best - 1e-9)
        counts = np.bincount(idx, minlength=grid.size) / self.per_run_best.size
        return pd.DataFrame({"acquisition_share": grid, "runs_share": counts})

    def to_dict(self) -> dict:
        """Everything a report needs, JSON-ready apart from NaN (the command line maps NaN to null)."""
        obj = self.objective_info
        refinement = self.points[~self.points["on_grid"]][["acquisition_share", "value"]]
        return {
            "scenario": self.scenario_name,
            "objective": obj.key,
            "objective_label": obj.label,
            "metric": obj.metric,
            "target": self.target,
            "runs": self.runs,
            "seed": self.seed,
            "currency": self.currency,
            "period": self.period,
            "total_per_period": self.total,
            "best_share": self.best_share,
            "best_value": self.best_value,
            "best_share_range": list(self.best_share_range),
            "near_best_range": list(self.near_best_range),
            "best_grid_share": self.best_grid_share,
            "best_budget": self.best_budget.model_dump(),
            "noise_z": NOISE_Z,
            "refine_tolerance": REFINE_TOLERANCE,
            "per_run_best_share": self.per_run_best_summary(),
            "plan": {
                "acquisition_share": self.plan_share,
                "value": self.plan_value,
                "best_minus_plan": self.best_minus_plan,
                "p_best_beats_plan": self.p_best_beats_plan,
            },
            "marginal_returns": self.marginal.to_dict(),
            "evaluated": refinement.to_dict(orient="records"),
            "grid": self.grid_frame().to_dict(orient="records"),
        }


def _paired_se(ev: _Evaluator, shares: list[float], best: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Difference of each split's objective from the best's, and its standard error, run by run."""
    obj, target = ev.objective, ev.target
    ref = ev.values[best]
    values = np.stack([ev.values[s] for s in shares], axis=1)  # (R, P)
    runs = values.shape[0]
    if obj.statistic == "mean":
        diff = values - ref[:, None]
    elif obj.statistic == "probability":
        diff = (values >= target).astype(float) - (ref >= target).astype(float)[:, None]
    else:
        # a percentile's standard error: bootstrap over runs, resampling the same runs for both splits
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_BOOTSTRAP_STREAM,)))
        idx = rng.integers(0, runs, size=(BOOTSTRAP_REPLICATES, runs))
        ref_q = np.percentile(ref[idx], 10, axis=1)
        boot = np.stack([np.percentile(values[idx, j], 10, axis=1) - ref_q for j in range(values.shape[1])], axis=1)
        point = obj.score(values) - obj.score(ref)
        return point, boot.std(0, ddof=1)
    return diff.mean(0), diff.std(0, ddof=1) / math.sqrt(runs)


def optimize_split(
    scenario: Scenario,
    objective: str = "npv",
    target: float | None = None,
    grid: int = DEFAULT_GRID,
    runs: int | None = None,
    seed: int | None = None,
    *,
    total: float | None = None,
    refine: bool = True,
    assumptions: Assumptions | None = None,
    workers: int | None = None,
) -> SplitResult:
    """The acquisition share of the acquisition + retention budget that maximises an objective.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its expansion and win-back budgets are held fixed.
    objective : str
        ``npv`` (default), ``equity``, ``revenue``, ``p10_npv`` or ``target`` (see :data:`OBJECTIVES`).
    target : float, optional
        Revenue in the last period to reach, for ``target``.
    grid : int
        Number of equally spaced splits from 0 to 100 % (both included).
    runs, seed : int, optional
        Monte Carlo runs and seed; default the scenario's ``[simulation]`` settings.
    total : float, optional
        Acquisition + retention budget per period to split; default the scenario's.
    refine : bool
        Refine the best grid split to within :data:`REFINE_TOLERANCE` by a bounded search
        on the same random numbers.
    assumptions : Assumptions, optional
        Draws to reuse (must come from this scenario, runs and seed).
    workers : int, optional
        Threads evaluating splits at once (default: the processors available, at most 4).

    Returns
    -------
    SplitResult
        The best split, the range of splits within noise of it (paired difference within
        :data:`NOISE_Z` standard errors), each run's own best grid split (for mean
        objectives), the plan's split for comparison, and the marginal returns at the best.
    """
    runs = scenario.simulation.runs if runs is None else int(runs)
    seed = scenario.simulation.seed if seed is None else int(seed)
    obj = _check(objective, target, grid, runs)
    target = float(target) if obj.statistic == "probability" else None  # only the target objective uses it
    total = _total(scenario, total)
    ev = _Evaluator(scenario, obj, target, total, runs, seed, assumptions, workers)
    grid_shares = [_key(s) for s in np.linspace(0.0, 1.0, int(grid))]
    plan = plan_share(scenario)
    ev.evaluate(grid_shares + ([plan] if plan is not None else []))
    best_grid = ev.best_of(grid_shares)
    best = _refine(ev, best_grid, 1.0 / (int(grid) - 1)) if refine else best_grid
    best = ev.best_of(list(ev.values))
    best_result = ev.best_result if ev.best_share == best else ev._run(best)

    shares = sorted(ev.values)
    values = np.stack([ev.values[s] for s in shares], axis=1)
    scores = obj.score(values, target)
    diff, se = _paired_se(ev, shares, best, seed)
    within = diff >= -NOISE_Z * se - 1e-12 * max(abs(float(obj.score(ev.values[best], target))), 1.0)
    within[shares.index(best)] = True
    best_value = float(obj.score(ev.values[best], target))
    slack = FLAT_TOLERANCE * (abs(best_value) if obj.is_money else 1.0)
    near = scores >= best_value - slack
    q = np.percentile(values, PERCENTILES, axis=0)
    points = pd.DataFrame({"acquisition_share": shares, "value": scores, "mean": values.mean(0)})
    for p, row in zip(PERCENTILES, q, strict=True):
        points[f"p{p}"] = row
    points["diff_from_best"] = diff
    points["diff_se"] = se
    points["within_noise"] = within
    points["acquisition_budget"] = total * np.asarray(shares)
    points["retention_budget"] = total * (1.0 - np.asarray(shares))
    points["on_grid"] = [s in set(grid_shares) for s in shares]
    inside = np.asarray(shares)[within]
    close = np.asarray(shares)[near]

    per_run_best = None
    if obj.per_run:
        grid_values = np.stack([ev.values[s] for s in grid_shares], axis=1)
        per_run_best = np.asarray(grid_shares)[np.argmax(grid_values, axis=1)]

    plan_value = best_minus_plan = p_beats = None
    if plan is not None:
        plan_values = ev.values[_key(plan)]
        plan_value = float(obj.score(plan_values, target))
        best_minus_plan = best_value - plan_value
        if obj.per_run:
            p_beats = float(np.mean(ev.values[best] > plan_values))

    return SplitResult(
        scenario_name=scenario.name,
        currency=scenario.currency,
        period=scenario.period,
        objective=obj.key,
        target=target,
        runs=runs,
        seed=seed,
        total=total,
        expansion=scenario.budget.expansion,
        winback=scenario.budget.winback,
        points=points,
        best_share=float(best),
        best_value=best_value,
        best_grid_share=float(best_grid),
        best_share_range=(float(inside.min()), float(inside.max())),
        near_best_range=(float(close.min()), float(close.max())),
        per_run_best=per_run_best,
        plan_share=plan,
        plan_value=plan_value,
        best_minus_plan=best_minus_plan,
        p_best_beats_plan=p_beats,
        marginal=marginal_returns(best_result, horizon_only=obj.horizon_only),
    )


# Budget size ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapRow:
    """One total budget swept over the grid of splits (no refinement)."""

    total: float
    shares: np.ndarray
    values: np.ndarray  # the objective at each split
    best_share: float  # the best grid split (the map's resolution)
    best_value: float


def sweep_total(
    scenario: Scenario,
    total: float,
    objective: str = "npv",
    target: float | None = None,
    grid: int = DEFAULT_GRID,
    runs: int | None = None,
    seed: int | None = None,
    *,
    assumptions: Assumptions | None = None,
    workers: int | None = None,
) -> MapRow:
    """The objective at every grid split of one acquisition + retention total (one row of the map)."""
    runs = scenario.simulation.runs if runs is None else int(runs)
    seed = scenario.simulation.seed if seed is None else int(seed)
    obj = _check(objective, target, grid, runs)
    ev = _Evaluator(scenario, obj, target, _total(scenario, total), runs, seed, assumptions, workers)
    shares = [_key(s) for s in np.linspace(0.0, 1.0, int(grid))]
    ev.evaluate(shares)
    keys = np.array([ev.key(s) for s in shares])
    i = int(np.argmax(keys))
    values = np.array([float(obj.score(ev.values[s], target)) for s in shares])
    return MapRow(
        total=ev.total,
        shares=np.asarray(shares),
        values=values,
        best_share=float(shares[i]),
        best_value=float(values[i]),
    )


@dataclass(frozen=True)
class BudgetMap:
    """The objective over acquisition + retention total x acquisition share."""

    objective: str
    rows: tuple[MapRow, ...]

    def frame(self) -> pd.DataFrame:
        """Long table ``total, acquisition_share, value``."""
        return pd.DataFrame(
            {
                "total": np.repeat([r.total for r in self.rows], [r.shares.size for r in self.rows]),
                "acquisition_share": np.concatenate([r.shares for r in self.rows]),
                "value": np.concatenate([r.values for r in self.rows]),
            }
        )

    def best_frame(self) -> pd.DataFrame:
        """``total, best_share, best_value`` for every total (best split at the grid's resolution)."""
        return pd.DataFrame(
            {
                "total": [r.total for r in self.rows],
                "best_share": [r.best_share for r in self.rows],
                "best_value": [r.best_value for r in self.rows],
            }
        )

    def best_total(self) -> float:
        """The total whose best split has the highest objective."""
        best = self.best_frame()
        return float(best["total"].iloc[int(np.argmax(best["best_value"].to_numpy()))])


def default_totals(total: float, low: float = 0.25, high: float = 2.0, count: int = 11) -> np.ndarray:
    """``count`` totals from ``low`` to ``high`` times the given total."""
    return np.linspace(low * total, high * total, count)


def budget_map(
    scenario: Scenario,
    totals: Sequence[float],
    objective: str = "npv",
    target: float | None = None,
    grid: int = DEFAULT_GRID,
    runs: int | None = None,
    seed: int | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> BudgetMap:
    """The objective for every total in ``totals`` and every grid split, on common random numbers.

    ``progress(done, count)`` is called after each total, from the calling thread.
    """
    runs = scenario.simulation.runs if runs is None else int(runs)
    seed = scenario.simulation.seed if seed is None else int(seed)
    _check(objective, target, grid, runs)
    totals = [float(x) for x in totals]
    if not totals:
        raise InputError("totals: give at least one total budget")
    for x in totals:
        _total(scenario, x)
    assumptions = draw_assumptions(scenario, runs, seed)
    rows = []
    for done, x in enumerate(totals, start=1):
        rows.append(
            sweep_total(scenario, x, objective, target, grid, runs, seed, assumptions=assumptions, workers=workers)
        )
        if progress is not None:
            progress(done, len(totals))
    return BudgetMap(objective=objective, rows=tuple(rows))


# Sensitivity ----------------------------------------------------------------------------------
_SECTIONS = {"acquisition": Acquisition, "retention": Retention, "expansion": Expansion, "winback": Winback}
FIELD_LABELS = {
    "discount_rate": "Discount rate",
    "acquisition.cost_multiplier": "Acquisition cost (multiple of a save)",
    "acquisition.cost_per_customer": "Cost per new customer",
    "acquisition.max_new_per_period": "Acquisition ceiling (new per period)",
    "acquisition.market_size": "Market size",
    "retention.cost_per_save": "Cost per save",
    "retention.max_churn_reduction": "Retention ceiling (churners kept)",
    "expansion.cost_per_upsell": "Cost per upsell",
    "expansion.max_extra_upsell_rate": "Expansion ceiling (extra upsells)",
    "winback.cost_per_winback": "Cost per win-back",
    "winback.max_winback_rate": "Win-back ceiling (lapsed won back)",
    "revenue_per_customer": "Revenue per customer",
    "gross_margin": "Gross margin",
    "churn": "Churn",
    "churn_heterogeneity": "Churn heterogeneity",
    "upsell_rate": "Upsell rate",
    "upsell_uplift": "Upsell uplift",
}
_MIXED_BASIS = "10th-90th percentile or +-20 %"


@dataclass(frozen=True)
class AssumptionRange:
    """One bar of the tornado: a field (or one field in every segment) and its low and high values."""

    key: str  # "discount_rate", "retention.cost_per_save", "segments.churn" or "segments.A.churn"
    label: str
    low: tuple[float, ...]  # one value per field moved (one per segment for a segment field)
    high: tuple[float, ...]
    basis: str  # "10th-90th percentile" or "+-20 %"

    def describe(self, side: str) -> str:
        values = self.low if side == "low" else self.high
        return " / ".join(f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}" for v in values)


def _range_of(value, bounds) -> tuple[float, float, str] | None:
    lo, hi = bounds.clip_range()
    if isinstance(value, Distribution):
        low, high = (quantile(value, q, lo, hi) for q in TORNADO_QUANTILES)
        basis = f"{TORNADO_QUANTILES[0] * 100:.0f}th-{TORNADO_QUANTILES[1] * 100:.0f}th percentile"
    else:
        low = float(np.clip(value * (1 - PLAIN_SWING), lo, hi))
        high = float(np.clip(value * (1 + PLAIN_SWING), lo, hi))
        basis = f"+-{PLAIN_SWING * 100:.0f} %"
    return (low, high, basis) if high > low else None


def tornado_assumptions(scenario: Scenario, by_segment: bool = False) -> list[AssumptionRange]:
    """The assumptions the tornado moves, each with its low and high values.

    Distributions move to their 10th and 90th percentiles, plain numbers by +-20 %, both
    clipped to the field's bounds. Fields of levers with no budget (expansion, win-back)
    cannot change the result and are left out, as are plain zeros (nothing to move) and
    the size of an upsell where none ever happens.
    Segment fields move together in every segment (each to its own low or high) unless
    ``by_segment``.
    """
    out: list[AssumptionRange] = []

    def add(key, label, pairs):
        pairs = [p for p in pairs if p is not None]
        if pairs:
            basis = pairs[0][2] if len({p[2] for p in pairs}) == 1 else _MIXED_BASIS
            out.append(AssumptionRange(key, label, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), basis))

    add(
        "discount_rate",
        FIELD_LABELS["discount_rate"],
        [_range_of(scenario.discount_rate, bounds_of(Scenario, "discount_rate"))],
    )
    acq = scenario.acquisition
    cac_field = "cost_per_customer" if acq.cost_per_customer is not None else "cost_multiplier"
    fields = [("acquisition", cac_field), ("acquisition", "max_new_per_period")]
    if acq.market_size is not None:
        fields.append(("acquisition", "market_size"))
    fields += [("retention", "cost_per_save"), ("retention", "max_churn_reduction")]
    if scenario.budget.expansion > 0:
        fields += [("expansion", "cost_per_upsell"), ("expansion", "max_extra_upsell_rate")]
    if scenario.budget.winback > 0:
        fields += [("winback", "cost_per_winback"), ("winback", "max_winback_rate")]
    for section, name in fields:
        value = getattr(getattr(scenario, section), name)
        if value is None:  # neither CAC form given: the engine's default multiple of a save
            value = DEFAULT_COST_MULTIPLIER
        add(
            f"{section}.{name}",
            FIELD_LABELS[f"{section}.{name}"],
            [_range_of(value, bounds_of(_SECTIONS[section], name))],
        )
    no_upsell = scenario.budget.expansion <= 0 and all(
        central(seg.upsell_rate) == 0 and not isinstance(seg.upsell_rate, Distribution) for seg in scenario.segments
    )
    for name in SEGMENT_ASSUMPTIONS:
        if name == "upsell_uplift" and no_upsell:  # no upsell ever happens: its size cannot matter
            continue
        bounds = bounds_of(Segment, name)
        if by_segment or len(scenario.segments) == 1:
            for seg in scenario.segments:
                label = FIELD_LABELS[name] + ("" if len(scenario.segments) == 1 else f", segment {seg.name}")
                add(f"segments.{seg.name}.{name}", label, [_range_of(getattr(seg, name), bounds)])
        else:
            pairs = [_range_of(getattr(seg, name), bounds) for seg in scenario.segments]
            if any(p is not None for p in pairs):
                # a segment without a range keeps its value on both sides
                pairs = [
                    p if p is not None else (central(getattr(s, name)), central(getattr(s, name)), "")
                    for p, s in zip(pairs, scenario.segments, strict=True)
                ]
                basis = {p[2] for p in pairs if p[2]}
                text = basis.pop() if len(basis) == 1 else _MIXED_BASIS
                out.append(
                    AssumptionRange(
                        f"segments.{name}",
                        FIELD_LABELS[name] + ", all segments",
                        tuple(float(p[0]) for p in pairs),
                        tuple(float(p[1]) for p in pairs),
                        text,
                    )
                )
    return out


def moved_scenario(scenario: Scenario, item: AssumptionRange, side: str) -> Scenario:
    """The scenario with one assumption set to its low or high value (a plain number)."""
    values = item.low if side == "low" else item.high
    data = scenario.to_dict()
    parts = item.key.split(".")
    if parts[0] == "segments":
        names = [s["name"] for s in data["segments"]]
        targets = names if len(parts) == 2 else [parts[1]]
        for name, value in zip(targets, values, strict=True):
            data["segments"][names.index(name)][parts[-1]] = float(value)
    elif len(parts) == 1:
        data[parts[0]] = float(values[0])
    else:
        data[parts[0]][parts[1]] = float(values[0])
    return scenario_from_dict(data)


@dataclass(frozen=True)
class TornadoSide:
    """One assumption at one end: the objective at the base best split, and the best split there."""

    value_at_base_split: float
    best_share: float
    best_value: float


def tornado_side(
    scenario: Scenario,
    item: AssumptionRange | None,
    side: str,
    base_share: float,
    objective: str = "npv",
    target: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    *,
    total: float | None = None,
) -> TornadoSide:
    """Move one assumption to one end and find the best split again from the base best.

    The other assumptions keep their draws: every field has its own random stream, so
    redrawing the moved scenario with the same seed reproduces them (common random
    numbers). The best split is the vertex of a parabola through splits two points
    apart around ``base_share``, moved until the vertex lies between them. With ``item``
    None the scenario is not moved: the reference against which :class:`Tornado` measures
    shifts of the best split, so that the fit's own error cancels.
    """
    runs = scenario.simulation.runs if runs is None else int(runs)
    seed = scenario.simulation.seed if seed is None else int(seed)
    obj = _check(objective, target, DEFAULT_GRID, runs)
    total = _total(scenario, total)
    moved = scenario if item is None else moved_scenario(scenario, item, side)
    ev = _Evaluator(moved, obj, target, total, runs, seed, workers=1)
    ev.evaluate([base_share])
    best = _local_optimum(ev, base_share)
    top = ev.best_of(list(ev.values))
    return TornadoSide(
        value_at_base_split=float(obj.score(ev.values[_key(base_share)], target)),
        best_share=float(best),
        best_value=float(obj.score(ev.values[top], target)),
    )


def tornado_pair(
    scenario: Scenario,
    item: AssumptionRange,
    base_share: float,
    objective: str = "npv",
    target: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    *,
    total: float | None = None,
    workers: int | None = None,
) -> tuple[TornadoSide, TornadoSide]:
    """Both ends of one assumption (:func:`tornado_side`), evaluated at the same time on threads."""
    low, high = _parallel(
        lambda side: tornado_side(scenario, item, side, base_share, objective, target, runs, seed, total=total),
        ["low", "high"],
        workers,
    )
    return low, high


@dataclass(frozen=True)
class Tornado:
    """Sensitivity of the objective and of the best split to each assumption."""

    objective: str
    base_share: float
    base_value: float
    frame: pd.DataFrame  # one row per assumption, most influential first

    @classmethod
    def from_sides(cls, objective, base_share, base_value, items, sides, reference: TornadoSide) -> Tornado:
        """Assemble from ``sides[i] = (low, high)`` :class:`TornadoSide` for ``items[i]``.

        ``reference`` is the same search on the unmoved scenario: the best split under a
        moved assumption is reported as ``base_share`` plus its shift from the reference.
        """

        def shifted(side: TornadoSide) -> float:
            return float(np.clip(base_share + side.best_share - reference.best_share, 0.0, 1.0))

        rows = []
        for item, (low, high) in zip(items, sides, strict=True):
            rows.append(
                {
                    "key": item.key,
                    "assumption": item.label,
                    "basis": item.basis,
                    "low": item.describe("low"),
                    "high": item.describe("high"),
                    "value_low": low.value_at_base_split,
                    "value_high": high.value_at_base_split,
                    "delta_low": low.value_at_base_split - base_value,
                    "delta_high": high.value_at_base_split - base_value,
                    "best_share_low": shifted(low),
                    "best_share_high": shifted(high),
                    "regret_low": max(low.best_value - low.value_at_base_split, 0.0),
                    "regret_high": max(high.best_value - high.value_at_base_split, 0.0),
                }
            )
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame["swing"] = (frame["value_high"] - frame["value_low"]).abs()
            frame["split_swing"] = (frame["best_share_high"] - frame["best_share_low"]).abs()
            frame = frame.sort_values(["swing", "split_swing"], ascending=False, kind="stable").reset_index(drop=True)
        return cls(objective=objective, base_share=base_share, base_value=base_value, frame=frame)


def sensitivity(
    scenario: Scenario,
    objective: str = "npv",
    target: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    *,
    base: SplitResult | None = None,
    by_segment: bool = False,
    total: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> Tornado:
    """The tornado: each assumption at its low and high value, the objective and the best split.

    ``value_low/high`` is the objective at the base best split (the decision held);
    ``best_share_low/high`` the best split when the assumption takes that value;
    ``regret_low/high`` what keeping the base split would forgo then. Rows are sorted by
    the swing of the objective. ``progress(done, count)`` is called after each assumption
    (and after the unmoved reference).
    """
    runs = scenario.simulation.runs if runs is None else int(runs)
    seed = scenario.simulation.seed if seed is None else int(seed)
    if base is None:
        base = optimize_split(scenario, objective, target, runs=runs, seed=seed, total=total, workers=workers)
    items = tornado_assumptions(scenario, by_segment)
    count = len(items) + 1
    reference = tornado_side(scenario, None, "low", base.best_share, objective, target, runs, seed, total=base.total)
    if progress is not None:
        progress(1, count)
    sides = []
    for done, item in enumerate(items, start=2):
        sides.append(
            tornado_pair(
                scenario, item, base.best_share, objective, target, runs, seed, total=base.total, workers=workers
            )
        )
        if progress is not None:
            progress(done, count)
    return Tornado.from_sides(objective, base.best_share, base.best_value, items, sides, reference)


# Benchmark ------------------------------------------------------------------------------------
def benchmark(scenario: Scenario | None = None, runs: int = 1000) -> dict[str, float]:
    """Seconds taken by the split sweep with refinement, the 21 x 11 budget map and the tornado.

    For the ``bench`` command: the default preset unless ``scenario`` is given.
    """
    import time

    if scenario is None:
        from .presets import load_preset

        scenario = load_preset()
    seed = scenario.simulation.seed
    started = time.perf_counter()
    base = optimize_split(scenario, runs=runs, seed=seed)
    sweep = time.perf_counter() - started
    started = time.perf_counter()
    budget_map(scenario, default_totals(base.total), runs=runs, seed=seed)
    mapped = time.perf_counter() - started
    started = time.perf_counter()
    sensitivity(scenario, runs=runs, seed=seed, base=base)
    tornado = time.perf_counter() - started
    return {"sweep_and_refine_s": sweep, "budget_map_s": mapped, "tornado_s": tornado, "runs": runs}
