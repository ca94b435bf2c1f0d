"""The vectorised Monte Carlo engine: counts per (run, segment, latent churn class).

Each segment's customers are represented by latent classes with fixed churn
probabilities: ``K`` Gauss-Jacobi classes of Beta(a, b + tenure) for the customers
held at period 0, and ``K`` of Beta(a, b) for customers acquired later, so that
a closed cohort follows the shifted-beta-geometric survival curve exactly for
``t < 2K`` (and to about 1e-6 well beyond). Class counts are integers: the customers held
at period 0 and each period's joiners are placed in classes by a multinomial draw, and each
class's churners, upsells and win-backs are its own Binomial draws (a class of ``n``
customers with churn ``theta`` loses Binomial(n, theta (1 - rho))). So every path has the
distribution of the per-customer model, not only its mean, and the cost grows with the
number of occupied classes, not with the number of customers (large counts use BTRD, see
:mod:`simulation.numerics.keyed_random`; a segment's class draws of one kind are made together,
:func:`simulation.numerics.class_draws.class_binomials`).

The period loop is compiled (:mod:`simulation.engines.kernel`); runs are split into blocks that
run on all cores. Results depend only on the seed, never on the number of blocks.
"""

from __future__ import annotations

import time

import numpy as np

from ..model.assumptions import Assumptions, draw_assumptions, stream_key
from ..model.scenario import Budget, Scenario
from ..numerics.class_draws import ALIAS, ALIAS_PROBABILITY, ORDER, WEIGHT, alias_tables
from ..numerics.parallel import in_blocks
from . import kernel
from .paths import RECORDED
from .results import EngineOutput

CLASSES_PER_COHORT = 16


def simulate_vectorized(
    scenario: Scenario, budget: Budget, assumptions: Assumptions, seed: int, classes: int = CLASSES_PER_COHORT
) -> EngineOutput:
    """Run the scenario under ``budget`` for every run in ``assumptions``.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario (horizon, period, segments).
    budget : Budget
        Spend per period on each lever.
    assumptions : Assumptions
        Per-run values of every assumption (see :func:`draw_assumptions`).
    seed : int
        Seed of the chance streams (one stream per source of randomness).
    classes : int
        Latent churn classes per cohort type (existing, new).

    Returns
    -------
    EngineOutput
        Per-run paths of every flow and stock, and the quantities the figures need.
    """
    a = assumptions
    R, S, H = a.runs, a.customers.size, scenario.horizon
    theta, w_old, w_new = a.latent_classes(classes)  # theta: (R, S, 2K), existing customers' classes first
    placing_old, picking_old, placing_new, picking_new = a.cached(
        ("placement tables", classes), lambda: (*_placement_tables(w_old), *_placement_tables(w_new))
    )
    weights = np.zeros((3, S))
    use_weights = np.zeros(3, dtype=np.bool_)
    for i, lever in enumerate(("retention", "expansion", "winback")):
        if a.weights[lever] is not None:
            weights[i], use_weights[i] = a.weights[lever], True
    per_run = lambda x: np.ascontiguousarray(np.broadcast_to(x, (R,)), dtype=np.float64)  # noqa: E731
    per_cell = lambda x: np.ascontiguousarray(np.broadcast_to(x, (R, S)), dtype=np.float64)  # noqa: E731
    inputs = (
        np.array([stream_key(seed, source) for source in kernel.SOURCES], dtype=np.uint64),
        np.array([budget.acquisition, budget.retention, budget.expansion, budget.winback], dtype=np.float64),
        np.ascontiguousarray(theta), placing_old, picking_old, placing_new, picking_new,
        per_cell(a.revenue), per_cell(a.uplift), per_cell(a.margin), per_cell(a.upsell_rate),
        per_cell(a.cost_to_serve), per_cell(a.referral_rate),
        np.ascontiguousarray(a.share, dtype=np.float64), np.ascontiguousarray(a.customers, dtype=np.int64),
        per_run(a.cac), per_run(a.max_new), per_run(a.market),
        per_run(a.max_churn_reduction), per_run(a.cost_per_save),
        per_run(a.max_extra_upsell_rate), per_run(a.cost_per_upsell),
        per_run(a.max_winback_rate), per_run(a.cost_per_winback),
        per_run(a.discount), weights, use_weights, min(scenario.periods_per_year, H),
    )  # fmt: skip
    rec = np.empty((len(RECORDED), R, H + 1))
    active_by_segment = np.empty((R, H + 1, S))
    residual, year_kept_base, year_cohort = np.empty(R), np.empty(R), np.empty(R)
    saves_total, at_risk_total = np.zeros((R, S)), np.zeros((R, S))
    outputs = (rec, active_by_segment, residual, year_kept_base, year_cohort, saves_total, at_risk_total)

    in_blocks(kernel.simulate_block, R, *inputs, *outputs)

    paths = dict(zip(RECORDED, rec, strict=True))  # (R, H + 1) each
    return EngineOutput(
        paths=paths,
        active_by_segment=active_by_segment,
        residual_value=residual,
        start_run_rate=paths["revenue_run_rate"][:, 0].copy(),
        year_kept_base=year_kept_base,
        year_cohort_run_rate=year_cohort,
        saves_by_segment=saves_total,
        at_risk_by_segment=at_risk_total,
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


def compile_kernels() -> float:
    """Compile the engine's kernels, or load them from Numba's disk cache; the seconds it took.

    The first run after installing (or after the kernel's source changes) compiles them, which
    takes several seconds; later processes load the cached machine code.
    """
    from ..io.presets import DEFAULT_PRESET, load_preset

    start = time.perf_counter()
    scenario = load_preset(DEFAULT_PRESET)
    simulate_vectorized(scenario, scenario.budget, draw_assumptions(scenario, 2, 0), 0)
    return time.perf_counter() - start
