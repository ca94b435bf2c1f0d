"""Percentiles of measured times, as the load runs report them."""

from __future__ import annotations

import math


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, interpolated between the nearest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float]:
    """``n``, p50, p95 and the largest of ``values``."""
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else math.nan,
    }


def seconds(values: list[float]) -> str:
    """``p50 0.31 s · p95 0.72 s · max 0.90 s (n=100)``."""
    s = summary(values)
    return f"p50 {s['p50']:.2f} s · p95 {s['p95']:.2f} s · max {s['max']:.2f} s (n={s['n']})"
