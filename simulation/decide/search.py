"""The best acquisition/retention split of one total budget, and how sure it is.

Every evaluation of one scenario shares one set of assumption draws and one seed (common
random numbers), so the difference between two splits is measured run by run and is far
more precise than either objective on its own: a grid, then a bounded refinement to one
percentage point, the range of splits within noise of the best, each run's own best split,
and the returns of the next dollar on each side at the best split.

References
----------
Blattberg, R. C. and Deighton, J. (1996). Manage marketing by the customer equity test.
    Harvard Business Review 74(4), 136-144.
Pfeifer, P. E. (2005). The optimal ratio of acquisition and retention costs.
    Journal of Targeting, Measurement and Analysis for Marketing 13(2), 179-188.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from ..engines.results import PERCENTILES, SimulationResult
from ..engines.runner import runs_and_seed, simulate
from ..engines.vectorized import CLASSES_PER_COHORT
from ..model import limits
from ..model.assumptions import Assumptions, draw_assumptions
from ..model.scenario import Budget, Scenario
from ..numerics.executor import Executor, resolve
from .marginal import MarginalReturns, marginal_returns
from .objectives import (
    DEFAULT_GRID,
    FLAT_TOLERANCE,
    MAX_SPLITS_AT_ONCE,
    NOISE_Z,
    OBJECTIVES,
    PER_RUN_NOTE,
    REFINE_TOLERANCE,
    Objective,
    check_request,
    metric_values,
    plan_share,
    share_key,
    total_to_split,
)

BOOTSTRAP_REPLICATES = 400
TORNADO_STEP = 0.02
# The bootstrap of a percentile's standard error has its own stream, apart from the engine's.
_BOOTSTRAP_STREAM = 101


@dataclass(frozen=True)
class SplitInputs:
    """What every split of one sweep shares: sent to a cluster once per sweep."""

    scenario: Scenario
    runs: int
    seed: int
    assumptions: Assumptions
    metric: str


def scenario_token(scenario: Scenario) -> str:
    """A short fingerprint of a scenario's content (equal scenarios, equal tokens)."""
    return hashlib.sha256(scenario.canonical_json().encode()).hexdigest()[:32]


def inputs_key(inputs: SplitInputs) -> tuple:
    """Names :class:`SplitInputs` on a cluster: the draws follow from scenario, runs and seed."""
    return ("splits", scenario_token(inputs.scenario), inputs.runs, inputs.seed, inputs.metric)


def split_budget(scenario: Scenario, total: float, share: float) -> Budget:
    """The scenario's budget with ``total`` split at ``share`` (expansion and win-back kept)."""
    base = scenario.budget
    return base.with_split(total + base.expansion + base.winback, share)


def run_split(inputs: SplitInputs, item: tuple[float, float]) -> SimulationResult:
    """Unit of work: simulate one ``(total, share)`` on the sweep's draws.

    No objective and no marginal return reads the count of saved customers, so it is not drawn
    (``count_saved``; every other figure is the same to the last digit).
    """
    total, share = item
    sc = inputs.scenario
    return simulate(
        sc,
        split_budget(sc, total, share),
        runs=inputs.runs,
        seed=inputs.seed,
        assumptions=inputs.assumptions,
        count_saved=False,
    )


def split_values(inputs: SplitInputs, item: tuple[float, float]) -> np.ndarray:
    """Unit of work: the per-run objective figure at one ``(total, share)``, (runs,)."""
    return metric_values(run_split(inputs, item), inputs.metric)


def split_marginal(inputs: SplitInputs, item: tuple[float, float, bool]) -> MarginalReturns:
    """Unit of work: the marginal returns at one ``(total, share, horizon_only)``."""
    total, share, horizon_only = item
    return marginal_returns(run_split(inputs, (total, share)), horizon_only=horizon_only)


class Evaluator:
    """Splits of one total evaluated on one set of draws; remembers every point and the best result.

    On this machine splits run a few at a time and the best one's whole result is kept (the
    marginal returns are read from it); on a cluster only the per-run figure comes back, and
    the best split is simulated once more there for its marginal returns.
    """

    def __init__(
        self, scenario, objective: Objective, target, total, runs, seed, assumptions=None, workers=None, executor=None
    ):
        self.scenario, self.objective, self.target = scenario, objective, target
        self.total, self.runs, self.seed = total, runs, seed
        self.assumptions = draw_assumptions(scenario, runs, seed) if assumptions is None else assumptions
        # the latent classes are computed once here, not by every thread (or worker) at the same time
        self.assumptions.latent_classes(CLASSES_PER_COHORT)
        self.workers = workers
        self.executor = resolve(executor)
        self.inputs = SplitInputs(scenario, runs, seed, self.assumptions, objective.metric)
        self.values: dict[float, np.ndarray] = {}
        self.best_share: float | None = None
        self.best_key = -np.inf
        self.best_result: SimulationResult | None = None

    def budget(self, share: float) -> Budget:
        return split_budget(self.scenario, self.total, share)

    def _run(self, share: float) -> SimulationResult:
        return run_split(self.inputs, (self.total, share))

    def _record(self, share: float, values: np.ndarray, result: SimulationResult | None) -> None:
        self.values[share] = values
        key = float(self.objective.key_of(values, self.target))
        if key > self.best_key:
            self.best_key, self.best_share, self.best_result = key, share, result

    def evaluate(self, shares) -> None:
        todo = sorted({share_key(s) for s in shares if 0.0 <= s <= 1.0} - set(self.values))
        if not todo:
            return
        at_once = MAX_SPLITS_AT_ONCE if self.workers is None else self.workers
        items = [(self.total, s) for s in todo]
        if self.executor.in_process:
            # a whole result is large (every path of every run): hold at most one batch of them
            for start in range(0, len(items), at_once):
                chunk = items[start : start + at_once]
                results = self.executor.map(run_split, chunk, self.inputs, max_workers=at_once)
                for (_, share), result in zip(chunk, results, strict=True):
                    self._record(share, metric_values(result, self.objective.metric), result)
                del results
        else:
            values = self.executor.map(split_values, items, self.inputs, key=inputs_key(self.inputs))
            for share, v in zip(todo, values, strict=True):
                self._record(share, v, None)

    def marginal(self, share: float, horizon_only: bool) -> MarginalReturns:
        """The marginal returns at ``share`` (from the kept result when it is the best's)."""
        share = share_key(share)
        if self.best_result is not None and self.best_share == share:
            return marginal_returns(self.best_result, horizon_only=horizon_only)
        item = (self.total, share, horizon_only)
        if self.executor.in_process:
            return split_marginal(self.inputs, item)
        return self.executor.map(split_marginal, [item], self.inputs, key=inputs_key(self.inputs))[0]

    def key(self, share: float) -> float:
        return float(self.objective.key_of(self.values[share_key(share)], self.target))

    def best_of(self, shares) -> float:
        inside = [share_key(s) for s in shares if share_key(s) in self.values]
        return max(inside, key=self.key)


def _refine(ev: Evaluator, center: float, step: float, tolerance: float = REFINE_TOLERANCE) -> float:
    """Bounded search around the best grid point, halving the bracket each round.

    If the objective is unimodal, its maximum lies within one grid step of the best grid
    point. Each round evaluates the two points half a step either side of the current
    best (in parallel) and keeps the best of the three, which halves the interval known
    to hold the maximum; rounds stop when the half-width is at most ``tolerance``.
    """
    s = share_key(center)
    while step > tolerance:
        step /= 2
        candidates = [s - step, s + step]
        ev.evaluate(candidates)
        s = ev.best_of([s, *candidates])
    return s


def local_optimum(ev: Evaluator, start: float, step: float = TORNADO_STEP, max_fits: int = 8) -> float:
    """The best split near ``start``: the vertex of a parabola through three splits ``step`` apart.

    The three splits are centred on the current estimate (kept inside [0, 1]). When the
    vertex falls outside them the centre moves towards it (at most ``5 * step`` a time)
    and the fit is repeated; where the objective is not concave the centre moves to the
    better side. Common random numbers make the second difference precise enough for a
    step of two points (see :data:`TORNADO_STEP`).
    """
    center = share_key(min(max(start, step), 1 - step))
    vertex = center
    for _ in range(max_fits):
        points = [share_key(center - step), center, share_key(center + step)]
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
        moved = share_key(np.clip(center + np.clip(vertex - center, -5 * step, 5 * step), step, 1 - step))
        if moved == center:
            return vertex
        center = moved
    return vertex


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


def _paired_se(ev: Evaluator, shares: list[float], best: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
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
        def p10_difference(best_values, split_values, axis=-1):
            return np.percentile(split_values, 10, axis=axis) - np.percentile(best_values, 10, axis=axis)

        se = np.empty(values.shape[1])
        for j in range(values.shape[1]):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_BOOTSTRAP_STREAM,)))
            boot = bootstrap(
                (ref, values[:, j]), p10_difference, paired=True, vectorized=True,
                n_resamples=BOOTSTRAP_REPLICATES, method="percentile", rng=rng,
            )  # fmt: skip
            se[j] = boot.standard_error
        return obj.score(values) - obj.score(ref), se
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
    executor: Executor | None = None,
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
        Threads evaluating splits at once on this machine (default: the processors available,
        at most 4).
    executor : Executor, optional
        Where the splits run (default: :func:`~simulation.numerics.executor.executor_for`,
        this machine unless ``RETENTION_LAB_DASK_SCHEDULER`` names a Dask cluster). The
        result does not depend on it.

    Returns
    -------
    SplitResult
        The best split, the range of splits within noise of it (paired difference within
        :data:`NOISE_Z` standard errors), each run's own best grid split (for mean
        objectives), the plan's split for comparison, and the marginal returns at the best.
    """
    runs, seed = runs_and_seed(scenario, runs, seed)
    obj = check_request(objective, target, grid, runs)
    limits.check_request(
        scenario,
        runs,
        int(grid) + limits.OPTIMISER_EXTRA_SIMULATIONS,
        f"the sweep of {int(grid)} splits",
        "the grid or the runs",
    )
    target = float(target) if obj.statistic == "probability" else None  # only the target objective uses it
    total = total_to_split(scenario, total)
    ev = Evaluator(scenario, obj, target, total, runs, seed, assumptions, workers, executor)
    grid_shares = [share_key(s) for s in np.linspace(0.0, 1.0, int(grid))]
    plan = plan_share(scenario)
    ev.evaluate(grid_shares + ([plan] if plan is not None else []))
    best_grid = ev.best_of(grid_shares)
    best = _refine(ev, best_grid, 1.0 / (int(grid) - 1)) if refine else best_grid
    best = ev.best_of(list(ev.values))

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
        plan_values = ev.values[share_key(plan)]
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
        marginal=ev.marginal(best, obj.horizon_only),
    )
