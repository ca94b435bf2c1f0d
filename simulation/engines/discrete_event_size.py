"""How large a run set the discrete-event engine takes: an estimate of its work, and the check.

Each customer is a process, so the engine's time grows with the customer-periods simulated;
a request beyond the limit is refused with a message that names a scaled-down copy, fewer
runs or the vectorised engine instead.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..model.assumptions import Assumptions
from ..model.levers import response as _response
from ..model.scenario import Budget, Scenario

# Largest total of customer-periods (summed over runs) simulated unless the caller sets
# another limit. The engine does about 1,000,000 customer-periods per second on a 2-core
# machine (1.5 million on small bases), so a call at the limit takes about 30 seconds, and
# the command line's `run` (plan and status quo) about a minute; the estimate it is compared
# with ignores churn, so real runs are shorter.
DEFAULT_LIMIT = 30_000_000
# Customers (each a process of about 1 KB) one run may hold, whatever the limit above.
MAX_CUSTOMERS_PER_RUN = 2_000_000


def estimate_customer_periods(scenario: Scenario, budget: Budget, assumptions: Assumptions) -> np.ndarray:
    """Upper bound on the expected customer-periods of each run, ignoring churn.

    The customers at the start are simulated for every period, and a customer
    acquired in period t for the ``horizon - t + 1`` periods left; expected
    acquisitions follow the lever's response as the market depletes.

    Returns
    -------
    ndarray
        Shape (runs,).
    """
    return _expected_size(scenario, budget, assumptions)[1]


def _expected_size(scenario: Scenario, budget: Budget, assumptions: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """Expected customers acquired (paid and referred) over the horizon and the customer-period bound, per run.

    Referrals are bounded by the busiest segment's rate applied to every customer held, churn ignored.
    """
    a, H = assumptions, scenario.horizon
    acquired = np.zeros(a.runs)
    periods = np.full(a.runs, float(a.customers.sum()) * H)
    rate = a.referral_rate.max(1) if a.referral_rate.size else np.zeros(a.runs)
    if budget.acquisition <= 0 and not np.any(rate > 0):
        return acquired, periods
    finite = np.isfinite(a.market)
    prospects = np.where(finite, a.market, 0.0)
    market = np.where(finite, a.market, 1.0)
    held = np.full(a.runs, float(a.customers.sum()))
    for t in range(1, H + 1):
        reach = np.where(finite, prospects / market, 1.0)
        new = _response(budget.acquisition, a.max_new * reach, a.cac) if budget.acquisition > 0 else 0.0
        new = new + np.minimum(rate * reach, 1.0) * held
        new = np.where(finite, np.minimum(new, prospects), new)
        acquired += new
        held += new
        periods += new * (H - t + 1)
        prospects = np.maximum(prospects - new, 0.0)
    return acquired, periods


def check_size(
    scenario: Scenario, budget: Budget, assumptions: Assumptions, limit: int | None = DEFAULT_LIMIT
) -> float:
    """Raise :class:`InputError` when a run set is too large for this engine; return its estimate.

    Too large means more estimated customer-periods over all runs than ``limit`` (None: no
    limit), or more customers in one run than :data:`MAX_CUSTOMERS_PER_RUN`. The message
    names the numbers and what to do instead: a scaled-down copy of the scenario
    (:func:`simulation.model.scale.scale_scenario`, ``--scale`` on the command line), fewer runs,
    or the vectorised engine.

    Returns
    -------
    float
        The estimated customer-periods over all runs (see :func:`estimate_customer_periods`).
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 1):
        raise InputError(f"max_customer_periods must be a whole number of 1 or more, or None; got {limit!r}")
    acquired, per_run = _expected_size(scenario, budget, assumptions)
    total = float(per_run.sum())
    start = int(assumptions.customers.sum())
    held = start + float(acquired.max())
    over_time = limit is not None and total > limit
    if not over_time and held <= MAX_CUSTOMERS_PER_RUN:
        return total
    H, period = scenario.horizon, scenario.period + ("s" if scenario.horizon != 1 else "")
    size = (
        f"{start:,} customers at the start and about {acquired.mean():,.0f} acquired over {H} {period}, "
        f"in each of {assumptions.runs:,} runs"
    )
    factor = MAX_CUSTOMERS_PER_RUN / held
    if over_time:
        factor = min(factor, limit / total)
        runs_fit = int(limit // max(per_run.max(), 1.0))
        reason = (
            f"about {total:,.0f} customer-periods ({size}), above its limit of {limit:,} "
            "(about 30 seconds of simulation)"
        )
        fewer_runs = f", fewer runs (at most {runs_fit:,} fit)" if runs_fit >= 1 else ""
    else:
        reason = f"about {held:,.0f} customers in one run ({size}), more than the {MAX_CUSTOMERS_PER_RUN:,} it holds"
        fewer_runs = ""
    factor = _round_down(factor)
    raise InputError(
        f"too large for the discrete-event engine: {reason}. Simulate a scaled-down copy instead "
        f"(--scale {factor:g} on the command line, scale_scenario(scenario, {factor:g}) in code){fewer_runs}, "
        "or use the vectorised engine, which handles any size."
    )


def _round_down(x: float) -> float:
    """``x`` rounded down to one significant figure (0.0347 -> 0.03)."""
    if x <= 0:
        return 0.0
    step = 10.0 ** math.floor(math.log10(x))
    return math.floor(x / step) * step
