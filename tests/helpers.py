"""Small scenario builders shared by the model tests."""

from __future__ import annotations

import copy

from simulation import scenario_from_dict

BASE = {
    "name": "Test",
    "period": "month",
    "horizon": 24,
    "discount_rate": 0.1,
    "budget": {"acquisition": 0, "retention": 0},
    "acquisition": {"cost_per_customer": 1000, "max_new_per_period": 100},
    "retention": {"cost_per_save": 100, "max_churn_reduction": 0.5},
    "segments": [
        {
            "name": "A",
            "customers": 10000,
            "revenue_per_customer": 100,
            "gross_margin": 0.5,
            "churn": 0.05,
            "churn_heterogeneity": 0.3,
        }
    ],
    "simulation": {"runs": 200, "seed": 1},
}


def make(**changes):
    """A valid scenario dict with top-level keys replaced and ``segment`` fields merged into segment A."""
    data = copy.deepcopy(BASE)
    segment = changes.pop("segment", None)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    if segment:
        data["segments"][0].update(segment)
    return data


def scenario(**changes):
    return scenario_from_dict(make(**changes))


def all_levers(runs=20, **changes):
    """Two segments, every lever funded, and a market small enough to run out within the horizon."""
    data = dict(
        horizon=24,
        budget={"acquisition": 20_000, "retention": 3_000, "expansion": 2_000, "winback": 2_000},
        acquisition={"cost_per_customer": 1000, "max_new_per_period": 40, "market_size": 500},
        segments=[
            {
                "name": "A",
                "customers": 300,
                "revenue_per_customer": 100,
                "churn": 0.08,
                "churn_heterogeneity": 0.3,
                "tenure": 6,
                "upsell_rate": 0.02,
                "upsell_uplift": 0.25,
                "new_customer_share": 0.6,
            },
            {
                "name": "B",
                "customers": 150,
                "revenue_per_customer": 40,
                "churn": {"low": 0.1, "high": 0.2},
                "churn_heterogeneity": 0.5,
                "upsell_rate": 0.01,
                "new_customer_share": 0.4,
            },
        ],
        simulation={"runs": runs, "seed": 11},
    )
    data.update(changes)
    return scenario(**data)
