"""Marginal returns read the engine's own reachable market."""

import numpy as np

from simulation import simulate
from simulation.decide import marginal_returns
from tests.helpers import scenario


def _run(market_size, referral_rate=0.0):
    sc = scenario(
        horizon=12,
        budget={"acquisition": 50_000, "retention": 10_000},
        acquisition={"cost_per_customer": 1_000, "max_new_per_period": 100, "market_size": market_size},
        segment={"customers": 1_000, "referral_rate": referral_rate},
    )
    return simulate(sc, runs=50, seed=3)


def test_with_less_than_one_prospect_left_acquisition_buys_nothing():
    """Half a prospect: the engine closes no deal, so the next unit of acquisition spend buys nothing."""
    result = _run(0.5)
    assert result.paths["new_customers"].sum() == 0, "the engine acquires no one from half a prospect"
    m = marginal_returns(result)
    assert m.acquisition_units_per_1000 == 0.0 and m.acquisition_return == 0.0, m
    assert m.retention_return > 0, "retention still has customers to keep"


def test_referrals_use_up_the_market_that_acquisition_reads():
    """Referred customers leave fewer prospects: the next unit of acquisition buys fewer customers."""
    plain, referring = _run(3_000), _run(3_000, referral_rate=0.05)
    assert np.all(referring.paths["referred_customers"].sum(1) > 0), "customers refer others"
    a, b = marginal_returns(plain), marginal_returns(referring)
    assert b.acquisition_units_per_1000 < a.acquisition_units_per_1000, (a, b)
