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

from ..model.assumptions import Assumptions, draw_assumptions
from ..model.scenario import Budget, Scenario
from ..numerics.parallel import in_blocks
from . import kernel
from .kernel_inputs import kernel_inputs, kernel_outputs
from .paths import RECORDED
from .results import EngineOutput

CLASSES_PER_COHORT = 16


def simulate_vectorized(
    scenario: Scenario,
    budget: Budget,
    assumptions: Assumptions,
    seed: int,
    classes: int = CLASSES_PER_COHORT,
    count_saved: bool = True,
    value_left: bool = True,
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
    count_saved : bool
        Draw the customers the retention programme kept (the ``saved_customers`` path). Those
        draws have a stream of their own, so leaving them out changes no other path, figure or
        value; ``saved_customers`` is then NaN wherever retention has a budget. The optimiser,
        which reads no count of saved customers, leaves them out.
    value_left : bool
        Value the customers left at the horizon (the residual value of customer equity). Without
        it their tenure corrections are not computed and the residual value is NaN; every path
        is the same. Goal seeking, whose figures read no residual value, leaves it out.

    Returns
    -------
    EngineOutput
        Per-run paths of every flow and stock, and the quantities the figures need.
    """
    a = assumptions
    inputs = kernel_inputs(scenario, budget, a, seed, classes, count_saved, value_left)
    out = kernel_outputs(a.runs, scenario.horizon, a.customers.size)

    in_blocks(kernel.simulate_block, a.runs, *inputs, out)
    if not count_saved and budget.retention > 0:
        out.paths[RECORDED.index("saved_customers"), :, 1:] = np.nan
    if not value_left:
        out.residual[:] = np.nan

    paths = dict(zip(RECORDED, out.paths, strict=True))  # (R, H + 1) each
    return EngineOutput(
        paths=paths,
        active_by_segment=out.active_by_segment,
        end_run_rate_by_segment=out.end_run_rate,
        residual_value=out.residual,
        start_run_rate=paths["revenue_run_rate"][:, 0].copy(),
        year_kept_base=out.year_kept_base,
        year_cohort_run_rate=out.year_cohort,
        saves_by_segment=out.saves,
        at_risk_by_segment=out.at_risk,
    )


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
