"""Scaling a scenario down, so that the per-customer engine can run it."""

import pytest

from simulation import simulate
from simulation.errors import InputError
from simulation.io.presets import load_preset
from simulation.model.distributions import Distribution
from simulation.model.scale import scale_scenario
from tests.helpers import all_levers as levers


def test_scale_divides_counts_money_and_ceilings_only():
    full = load_preset("subscription_box")
    small = scale_scenario(full, 0.1)
    assert [s.customers for s in small.segments] == [1200, 1800, 1000], "customers scaled"
    assert small.budget.model_dump() == {k: v * 0.1 for k, v in full.budget.model_dump().items()}, "plan budget"
    assert small.baseline.model_dump() == {k: v * 0.1 for k, v in full.baseline.model_dump().items()}, "baseline"
    assert small.acquisition.max_new_per_period == pytest.approx(600), "acquisition ceiling scaled"
    assert small.acquisition.market_size == pytest.approx(200_000), "market scaled"
    assert small.cac_central == full.cac_central, "cost per customer unchanged"
    assert small.retention == full.retention and small.expansion == full.expansion, "per-unit costs and rates kept"
    for before, after in zip(full.segments, small.segments, strict=True):
        assert before.model_copy(update={"customers": after.customers}) == after, f"{after.name}: only customers change"
    assert small.name == "Consumer subscription box (scaled to 10 %)", small.name
    assert small.description.startswith("Scaled to 10 %"), small.description


def test_scale_rounds_keeps_one_and_scales_distributions():
    sc = levers(
        acquisition={"cost_per_customer": 1000, "max_new_per_period": {"low": 10, "mode": 20, "high": 40}},
    )
    small = scale_scenario(sc, 0.001)
    assert [s.customers for s in small.segments] == [1, 1], "a segment with customers keeps at least one"
    assert small.acquisition.max_new_per_period == Distribution(low=0.01, mode=0.02, high=0.04), "every parameter"
    assert small.acquisition.market_size is None, "no market stays no market"
    assert [s.customers for s in scale_scenario(sc, 0.5).segments] == [150, 75], "halved"
    assert [s.customers for s in scale_scenario(sc, 0.005).segments] == [2, 1], "rounded to the nearest"
    twice = scale_scenario(scale_scenario(sc, 0.5), 0.2)
    assert twice.name.endswith("(scaled to 10 %)") and twice.name.count("scaled") == 1, twice.name
    assert scale_scenario(sc, 1) is sc, "a factor of 1 changes nothing"


@pytest.mark.parametrize("bad", [0, -0.5, 1.5, float("nan"), "0.5", True, None])
def test_scale_rejects_a_bad_factor(bad):
    with pytest.raises(InputError, match=r"scale must be a number in \(0, 1\]"):
        scale_scenario(levers(), bad)


def test_scaled_result_is_comparable_per_customer():
    """Revenue per customer of a scaled preset matches the full scenario's (vectorised, same seed)."""
    full = load_preset("saas_mid_market")
    small = scale_scenario(full, 0.25)
    per_full = simulate(full, runs=100, seed=1).paths
    per_small = simulate(small, runs=100, seed=1).paths
    ratio_full = per_full["revenue"][:, 1:].mean() / per_full["active_customers"][:, 1:].mean()
    ratio_small = per_small["revenue"][:, 1:].mean() / per_small["active_customers"][:, 1:].mean()
    assert ratio_small == pytest.approx(ratio_full, rel=0.02), "revenue per customer changed with scale"
