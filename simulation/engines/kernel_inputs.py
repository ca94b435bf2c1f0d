"""The compiled kernel's inputs and outputs: a few named groups, each built here, by name.

The kernel (:func:`simulation.engines.kernel.simulate_block`) reads every array by its field
name (``segments.margin[r, s]``), never by its place in a long list of arguments, and the groups
are filled from the assumptions of the same name (:func:`kernel_inputs`), so two inputs of the
same shape cannot trade places unnoticed. Numba compiles named tuples of arrays as plain
structures, and its disk cache keeps working for them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..model.assumptions import Assumptions, stream_key
from ..model.closed_forms import DEGENERATE_BETA, expected_residual_value, sbg_parameters
from ..model.programmes import ProgrammeArrays, scenario_programmes
from ..model.scenario import Budget, Scenario
from ..numerics.class_draws import ALIAS, ALIAS_PROBABILITY, ORDER, WEIGHT, alias_tables
from .paths import RECORDED

# One key per source of randomness; "join" and "start" place customers in latent classes, "save"
# draws which stayers the retention programme kept.
SOURCES = ("acquisition", "winback", "upsell", "churn", "referral", "join", "start", "save")


class Spend(NamedTuple):
    """The plan: spend per period on each lever, and each split lever's explicit weights.

    A lever's budget is split across segments by ``*_weights`` (segments,) when its
    ``use_*_weights`` is true, else by value at risk. ``count_saved``: whether the customers the
    retention programme kept are drawn (the ``saved_customers`` path); no other path depends on it.
    """

    acquisition: float
    retention: float
    expansion: float
    winback: float
    retention_weights: np.ndarray
    expansion_weights: np.ndarray
    winback_weights: np.ndarray
    use_retention_weights: bool
    use_expansion_weights: bool
    use_winback_weights: bool
    count_saved: bool


class Segments(NamedTuple):
    """Each segment's numbers: per run and segment (runs, segments), or per segment (segments,)."""

    customers: np.ndarray  # (segments,) int64: active at period 0
    share: np.ndarray  # (segments,): share of the newly acquired
    revenue: np.ndarray  # revenue per customer per period, before upsell
    margin: np.ndarray  # gross margin, 0..1
    uplift: np.ndarray  # revenue added by one upsell, as a share of ``revenue``
    upsell_rate: np.ndarray  # upsells per active customer per period with no expansion spend
    cost_to_serve: np.ndarray  # per active customer per period
    referral_rate: np.ndarray  # referrals per active customer per period


class Levers(NamedTuple):
    """Each run's lever parameters (runs,): the ceilings and first-unit costs of the four responses."""

    cac: np.ndarray
    max_new: np.ndarray
    market: np.ndarray  # inf where unlimited
    cost_per_save: np.ndarray
    max_churn_reduction: np.ndarray
    cost_per_upsell: np.ndarray
    max_extra_upsell_rate: np.ndarray
    cost_per_winback: np.ndarray
    max_winback_rate: np.ndarray


class Chance(NamedTuple):
    """Where chance comes from: a key per source and each run's latent churn classes.

    ``theta`` (runs, segments, 2K): the classes of the customers held at period 0, then those of
    customers who join later; ``placing_*`` and ``picking_*`` are the tables that place each cohort's
    customers in its classes (:func:`simulation.numerics.class_draws.multinomial_in`).
    """

    keys: np.ndarray  # (len(SOURCES),) uint64, in the order of SOURCES
    theta: np.ndarray
    placing_old: np.ndarray
    picking_old: np.ndarray
    placing_new: np.ndarray
    picking_new: np.ndarray


class Timing(NamedTuple):
    """The calendar and the valuation at its end: the period that ends the first year (GRR, NRR), each
    run's discount rate per period, and the value of a survivor by cohort (:func:`tenure_corrections`)."""

    year_end: int
    discount: np.ndarray  # (runs,)
    tenure_correction: np.ndarray  # (runs, segments, horizon + 1)


class Outputs(NamedTuple):
    """What the kernel writes, run by run."""

    paths: np.ndarray  # (len(RECORDED), runs, horizon + 1)
    active_by_segment: np.ndarray  # (runs, horizon + 1, segments)
    end_run_rate: np.ndarray  # (runs, segments) run-rate revenue of the customers active at the horizon
    residual: np.ndarray  # (runs,) value at the horizon of the customers still active
    year_kept_base: np.ndarray  # (runs,) base revenue of period-0 customers who never left, after a year
    year_cohort: np.ndarray  # (runs,) their revenue with expansion
    saves: np.ndarray  # (runs, segments) churns prevented over the horizon
    at_risk: np.ndarray  # (runs, segments) churners expected without retention


class KernelInputs(NamedTuple):
    """Every input of the kernel, in its groups, in the order the kernel takes them."""

    spend: Spend
    segments: Segments
    levers: Levers
    chance: Chance
    timing: Timing
    programmes: ProgrammeArrays


def _per_run(x, runs: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(x, (runs,)), dtype=np.float64)


def _per_cell(x, runs: int, segments: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(x, (runs, segments)), dtype=np.float64)


def kernel_inputs(
    scenario: Scenario,
    budget: Budget,
    assumptions: Assumptions,
    seed: int,
    classes: int,
    count_saved: bool = True,
    value_left: bool = True,
) -> KernelInputs:
    """The kernel's inputs for ``scenario`` under ``budget``: every field filled from the value of its own name.

    ``classes`` latent churn classes per cohort (existing customers, later joiners); the classes
    and their placement tables are computed once per set of assumptions. ``count_saved``: see :class:`Spend`;
    without ``value_left`` the tenure corrections of the value left at the horizon are not computed (ones).
    """
    a = assumptions
    R, S = a.runs, a.customers.size
    theta, w_old, w_new = a.latent_classes(classes)
    tables = a.cached(("placement tables", classes), lambda: (*_placement_tables(w_old), *_placement_tables(w_new)))
    split = {}
    for lever in ("retention", "expansion", "winback"):
        given = a.weights[lever]
        split[f"{lever}_weights"] = np.array(given if given is not None else np.zeros(S), dtype=np.float64)
        split[f"use_{lever}_weights"] = given is not None
    spend = Spend(
        **{lever: float(getattr(budget, lever)) for lever in Spend._fields[:4]}, **split, count_saved=bool(count_saved)
    )
    cells = {"customers": np.ascontiguousarray(a.customers, dtype=np.int64)}
    cells["share"] = np.ascontiguousarray(a.share, dtype=np.float64)
    for name in Segments._fields[2:]:
        cells[name] = _per_cell(getattr(a, name), R, S)
    placing_old, picking_old, placing_new, picking_new = tables
    programmes = scenario_programmes(scenario, a, seed)
    if np.any(programmes.join_churn != 1.0):  # a new price moves the churn of the customers who join
        theta = theta.copy()
        theta[..., classes:] = np.minimum(theta[..., classes:] * programmes.join_churn[:, None, None], 1.0)
    return KernelInputs(
        spend=spend,
        segments=Segments(**cells),
        levers=Levers(**{name: _per_run(getattr(a, name), R) for name in Levers._fields}),
        chance=Chance(
            keys=np.array([stream_key(seed, source) for source in SOURCES], dtype=np.uint64),
            theta=np.ascontiguousarray(theta),
            placing_old=placing_old,
            picking_old=picking_old,
            placing_new=placing_new,
            picking_new=picking_new,
        ),
        timing=Timing(
            year_end=int(min(scenario.periods_per_year, scenario.horizon)),
            discount=_per_run(a.discount, R),
            tenure_correction=a.cached(
                ("tenure corrections", classes, scenario.horizon),
                lambda: tenure_corrections(a, classes, scenario.horizon),
            )
            if value_left
            else np.ones((R, S, scenario.horizon + 1)),
        ),
        programmes=programmes,
    )


def _placement_tables(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each run and segment's tables for placing customers in classes (``multinomial_in``).

    Floats (runs, segments, 2, classes): the weights and Walker's alias probabilities; integers:
    the classes in order of falling weight and the aliases.
    """
    w = np.ascontiguousarray(weights, dtype=np.float64)
    reals = np.empty((*w.shape[:-1], 2, w.shape[-1]))
    ints = np.empty((*w.shape[:-1], 2, w.shape[-1]), dtype=np.int64)
    reals[..., WEIGHT, :] = w
    ints[..., ORDER, :] = np.argsort(-w, axis=-1, kind="stable")
    probability, alias = np.empty_like(w), np.empty(w.shape, dtype=np.int64)
    alias_tables(w, probability, alias)
    reals[..., ALIAS_PROBABILITY, :] = probability
    ints[..., ALIAS, :] = alias
    return reals, ints


def tenure_corrections(assumptions: Assumptions, classes: int, horizon: int) -> np.ndarray:
    """Exact sBG value of a customer active at the horizon over the latent classes' value, by cohort.

    (runs, segments, horizon + 1): index 0 for the customers held at period 0 (tenure ``tenure +
    horizon`` at the end), index ``j`` for those who joined in period ``j`` (tenure ``horizon - j + 1``).
    A survivor of tenure ``tau`` is worth ``m E[1 / (d + theta)]``, theta ~ Beta(a, b + tau) (docs/MODEL.md's
    customer equity, :func:`~simulation.model.closed_forms.expected_residual_value`); the classes give
    ``sum_k w_k (1 - theta_k)^tau / (d + theta_k)`` over ``sum_k w_k (1 - theta_k)^tau``, which the
    quadrature gets wrong when ``d`` is small (``1 / (d + theta)`` is nearly singular at 0): -7.5 %
    at churn 0.2, heterogeneity 0.3 and 3 % a year, monthly. Scaling each cohort's survivors by this
    ratio makes the value exact in expectation; without heterogeneity it is 1. The exact values for
    every tenure come from one closed form at the longest, then ``E_tau = (1 + (b + tau) / (a + b +
    tau) E_{tau + 1}) / (1 + d)`` (from ``E_tau[(1 - theta) g] = (b + tau) / (a + b + tau) E_{tau+1}[g]``),
    which is stable going down.
    """
    a = assumptions
    theta, w_old, w_new = a.latent_classes(classes)
    K = classes
    d = a.discount[:, None]
    alpha, beta = sbg_parameters(a.churn, a.heterogeneity)
    homogeneous = np.isinf(alpha) | (alpha < DEGENERATE_BETA) | (beta < DEGENERATE_BETA)
    out = np.ones((a.runs, a.customers.size, horizon + 1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        old = theta[..., :K]
        survive = w_old * (1.0 - old) ** horizon
        by_classes = (survive / (d[..., None] + old)).sum(-1) / survive.sum(-1)
        exact = expected_residual_value(1.0, a.churn, a.heterogeneity, d, a.tenure[None, :] + horizon)
        out[..., 0] = exact / by_classes
        new = theta[..., K:]
        g = 1.0 / (d[..., None] + new)
        exact = expected_residual_value(1.0, a.churn, a.heterogeneity, d, float(horizon))
        for tau in range(horizon, 0, -1):  # the cohort of period horizon - tau + 1
            survive = w_new * (1.0 - new) ** tau
            out[..., horizon - tau + 1] = exact * survive.sum(-1) / (survive * g).sum(-1)
            exact = (1.0 + (beta + tau - 1) / (alpha + beta + tau - 1) * exact) / (1.0 + d)
    bad = homogeneous[..., None] | ~np.isfinite(out)
    return np.ascontiguousarray(np.where(bad, 1.0, out))


def kernel_outputs(runs: int, horizon: int, segments: int) -> Outputs:
    """Arrays for the kernel to write into (accumulated figures start at zero)."""
    return Outputs(
        paths=np.empty((len(RECORDED), runs, horizon + 1)),
        active_by_segment=np.empty((runs, horizon + 1, segments)),
        end_run_rate=np.empty((runs, segments)),
        residual=np.empty(runs),
        year_kept_base=np.empty(runs),
        year_cohort=np.empty(runs),
        saves=np.zeros((runs, segments)),
        at_risk=np.zeros((runs, segments)),
    )
