"""What every simulated result must satisfy, whatever the scenario: used by the hardening tests."""

from __future__ import annotations

import numpy as np

# Paths that may be negative: money in minus money out.
SIGNED_PATHS = {"contribution", "cumulative_contribution", "operating_profit"}


def assert_sound(result) -> None:
    """Every path finite and, except the profit paths, non-negative; no figure infinite.

    Run-rate differences are sums of many products, so a negative value within 1e-9 of the
    path's scale is rounding, not a negative count or amount.
    """
    for name, values in result.paths.items():
        values = np.asarray(values, dtype=float)
        assert np.isfinite(values).all(), f"path {name} has non-finite values"
        if name not in SIGNED_PATHS:
            floor = -1e-9 * max(1.0, float(np.abs(values).max()))
            assert values.min() >= floor, f"path {name} is negative: {values.min()}"
    for name, values in result.kpis.items():
        values = np.asarray(values, dtype=float)
        assert not np.isinf(values).any(), f"figure {name} is infinite"
