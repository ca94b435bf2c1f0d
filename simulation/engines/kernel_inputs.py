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
from ..model.scenario import Budget, Scenario
from ..numerics.class_draws import ALIAS, ALIAS_PROBABILITY, ORDER, WEIGHT, alias_tables
from .paths import RECORDED

# One key per source of randomness; "join" and "start" place customers in latent classes, "save"
# draws which stayers the retention programme kept.
SOURCES = ("acquisition", "winback", "upsell", "churn", "referral", "join", "start", "save")


class Spend(NamedTuple):
    """The plan: spend per period on each lever, and each split lever's explicit weights.

    A lever's budget is split across segments by ``*_weights`` (segments,) when its
    ``use_*_weights`` is true, else by value at risk.
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
    """The calendar: the period that ends the first year (GRR, NRR) and each run's discount rate per period."""

    year_end: int
    discount: np.ndarray  # (runs,)


class Outputs(NamedTuple):
    """What the kernel writes, run by run."""

    paths: np.ndarray  # (len(RECORDED), runs, horizon + 1)
    active_by_segment: np.ndarray  # (runs, horizon + 1, segments)
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


def _per_run(x, runs: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(x, (runs,)), dtype=np.float64)


def _per_cell(x, runs: int, segments: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(x, (runs, segments)), dtype=np.float64)


def kernel_inputs(
    scenario: Scenario, budget: Budget, assumptions: Assumptions, seed: int, classes: int
) -> KernelInputs:
    """The kernel's inputs for ``scenario`` under ``budget``: every field filled from the value of its own name.

    ``classes`` latent churn classes per cohort (existing customers, later joiners); the classes
    and their placement tables are computed once per set of assumptions.
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
    spend = Spend(**{lever: float(getattr(budget, lever)) for lever in Spend._fields[:4]}, **split)
    cells = {"customers": np.ascontiguousarray(a.customers, dtype=np.int64)}
    cells["share"] = np.ascontiguousarray(a.share, dtype=np.float64)
    for name in Segments._fields[2:]:
        cells[name] = _per_cell(getattr(a, name), R, S)
    placing_old, picking_old, placing_new, picking_new = tables
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
        timing=Timing(year_end=int(min(scenario.periods_per_year, scenario.horizon)), discount=_per_run(a.discount, R)),
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


def kernel_outputs(runs: int, horizon: int, segments: int) -> Outputs:
    """Arrays for the kernel to write into (accumulated figures start at zero)."""
    return Outputs(
        paths=np.empty((len(RECORDED), runs, horizon + 1)),
        active_by_segment=np.empty((runs, horizon + 1, segments)),
        residual=np.empty(runs),
        year_kept_base=np.empty(runs),
        year_cohort=np.empty(runs),
        saves=np.zeros((runs, segments)),
        at_risk=np.zeros((runs, segments)),
    )
