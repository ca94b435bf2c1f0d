"""What every simulated result must satisfy, whatever the scenario: used by the hardening tests."""

from __future__ import annotations

import numpy as np

# Paths that may be negative: money in minus money out.
SIGNED_PATHS = {"contribution", "cumulative_contribution", "operating_profit"}


def assert_sound(result) -> None:
    """Every path finite and, except the profit paths, non-negative; no figure infinite.

    A negative value within 1e-9 of the path's scale (for run-rate changes, of the revenue
    run-rate's) is rounding, not a negative count or amount.
    """
    # run-rate changes are differences of sums the size of revenue, so rounding scales with it
    revenue = float(np.abs(np.asarray(result.paths["revenue_run_rate"], dtype=float)).max(initial=0.0))
    for name, values in result.paths.items():
        values = np.asarray(values, dtype=float)
        assert np.isfinite(values).all(), f"path {name} has non-finite values"
        if name not in SIGNED_PATHS:
            scale = max(1.0, float(np.abs(values).max()), revenue if name.startswith("run_rate") else 0.0)
            floor = -1e-9 * scale
            assert values.min() >= floor, f"path {name} is negative: {values.min()}"
    for name, values in result.kpis.items():
        values = np.asarray(values, dtype=float)
        assert not np.isinf(values).any(), f"figure {name} is infinite"
