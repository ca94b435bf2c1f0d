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
