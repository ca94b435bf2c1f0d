"""The four levers' shared response to spend, and how a lever's budget is split across segments.

One definition of each, used by both engines, the optimiser, the closed forms and the pages:
the plain NumPy functions here are also compiled (``*_compiled``) for the vectorised engine's
loop, so the compiled and the interpreted model cannot drift apart.
"""

from __future__ import annotations

import numpy as np
from numba import njit

LEVERS = ("acquisition", "retention", "expansion", "winback")
SPLIT_LEVERS = ("retention", "expansion", "winback")  # budgets split across segments by value or weights
TINY = 1e-300  # keeps a zero ceiling or a zero total from dividing by zero


def response(spend, ceiling, marginal_cost):
    """Units a lever delivers in a period: ``ceiling * (1 - exp(-spend / (ceiling * marginal_cost)))``.

    Parameters
    ----------
    spend : float or ndarray
        Spend in the period (currency).
    ceiling : float or ndarray
        Most units the lever can deliver in the period at unlimited spend; 0 gives 0.
    marginal_cost : float or ndarray
        Cost of the first unit (currency per unit), > 0.

    Returns
    -------
    float or ndarray
        Expected units delivered.
    """
    return ceiling * -np.expm1(-spend / np.maximum(ceiling * marginal_cost, TINY))


def marginal_response(spend, ceiling, marginal_cost):
    """Units the next unit of currency buys: ``exp(-spend / (ceiling * marginal_cost)) / marginal_cost``.

    The derivative of :func:`response` in ``spend``; 0 where the ceiling is 0.
    """
    spend, ceiling, cost = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (spend, ceiling, marginal_cost)))
    out = np.zeros(spend.shape)
    ok = ceiling > 0
    out[ok] = np.exp(-spend[ok] / (ceiling[ok] * cost[ok])) / cost[ok]
    return out


def split(amount, weights, use_weights, value, out):
    """Write into ``out`` a lever's budget per segment: ``amount * weights`` when ``use_weights``,
    else ``amount`` in proportion to ``value`` (nothing where ``value`` is zero everywhere)."""
    if use_weights:
        for s in range(out.size):
            out[s] = amount * weights[s]
        return
    total = 0.0
    for s in range(value.size):
        total += value[s]
    if not total > 0.0:
        # nothing to split by: amount / TINY would overflow to infinity and 0 * inf is NaN
        for s in range(out.size):
            out[s] = 0.0
        return
    factor = amount / max(total, TINY)
    if factor > 1e300:
        # a total near the smallest doubles: shares first, so nothing overflows
        for s in range(out.size):
            out[s] = amount * (value[s] / total)
        return
    for s in range(out.size):
        out[s] = value[s] * factor


response_compiled = njit(inline="always")(response)
split_compiled = njit(inline="always")(split)


@njit(cache=True)
def _split_rows(amount, weights, use_weights, value, out):
    for i in range(value.shape[0]):
        split_compiled(amount, weights, use_weights, value[i], out[i])


def split_budget(amount: float, weights: np.ndarray | None, value: np.ndarray) -> np.ndarray:
    """A lever's budget split across segments: explicit ``weights``, else in proportion to ``value``.

    ``value`` is (segments,) or (runs, segments); the result has its shape.
    """
    value = np.asarray(value, dtype=np.float64)
    rows = np.ascontiguousarray(value.reshape(-1, value.shape[-1]))
    use = weights is not None
    w = np.ascontiguousarray(weights if use else np.zeros(value.shape[-1]), dtype=np.float64)
    out = np.empty_like(rows)
    _split_rows(float(amount), w, use, rows, out)
    return out.reshape(value.shape)
