"""One rule, on every page, for when a difference between two splits is worth stating as a gain.

A difference measured on common random numbers is **within noise** when it is less than
:data:`~simulation.decide.NOISE_Z` standard errors of the run-by-run difference (the
optimiser's own rule), and **immaterial** when it is real but smaller than
:data:`~simulation.decide.FLAT_TOLERANCE` of the best value (1 %, or one point of a
probability), the optimiser's "near the best". Only a difference that is neither is a gain.
"""

from __future__ import annotations

import math

from simulation.decide import FLAT_TOLERANCE, NOISE_Z

SAME, NOISE, IMMATERIAL, GAIN = "same", "noise", "immaterial", "gain"
__all__ = ["GAIN", "IMMATERIAL", "NOISE", "NOISE_Z", "SAME", "closeness"]


def closeness(points_apart: int, gain: float, se: float, best_value: float, is_money: bool) -> str:
    """How the best split compares with another: ``same``, ``noise``, ``immaterial`` or ``gain``.

    Parameters
    ----------
    points_apart : int
        The two splits' difference in whole percentage points, as shown.
    gain : float
        The best's objective minus the other's (mean of the run-by-run difference).
    se : float
        Standard error of ``gain`` (paired, run by run); NaN or inf when unknown.
    best_value : float
        The best split's objective (for the 1 % materiality rule).
    is_money : bool
        Whether the objective is money (1 % of it) or a probability (one point).
    """
    if points_apart == 0:
        return SAME
    if not math.isfinite(se) or gain <= NOISE_Z * se:
        return NOISE
    if gain < FLAT_TOLERANCE * (abs(best_value) if is_money else 1.0):
        return IMMATERIAL
    return GAIN
