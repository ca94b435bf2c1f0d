"""Fixtures shared by the whole suite: a small test scenario, and a data folder of each test's own."""

from __future__ import annotations

import pytest

from simulation import Scenario, parse_scenario

# A small scenario whose economics are clear: churn is high and nearly homogeneous, so retention has
# headroom, and the status quo spends 90 % on acquisition. At a cost multiple of 25 moving the split
# toward retention raises NPV well beyond Monte Carlo noise; at a multiple of 2 it lowers it.
TEST_SCENARIO_TOML = """
name = "Test: retention economics"
description = "A small, stable scenario for the app tests."
period = "month"
horizon = 36
discount_rate = 0.10
currency = "EUR"

[budget]
acquisition = 54000
retention = 6000

[baseline_budget]
acquisition = 54000
retention = 6000

[acquisition]
cost_multiplier = { low = 20, mode = 25, high = 30 }
max_new_per_period = 80

[retention]
cost_per_save = 400
max_churn_reduction = 0.7

[[segments]]
name = "Key"
customers = 400
revenue_per_customer = 900
gross_margin = 0.8
churn = { low = 0.03, high = 0.05 }
churn_heterogeneity = 0.05
upsell_rate = 0.01
upsell_uplift = 0.2
new_customer_share = 0.3

[[segments]]
name = "Core"
customers = 1200
revenue_per_customer = 300
gross_margin = 0.75
churn = { low = 0.04, mode = 0.05, high = 0.07 }
churn_heterogeneity = 0.05
upsell_rate = 0.005
upsell_uplift = 0.25
new_customer_share = 0.7

[simulation]
runs = 400
seed = 7
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Saved scenarios go to a folder of the test's own, never into the working tree."""
    monkeypatch.setenv("RETENTION_LAB_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def test_scenario() -> Scenario:
    return parse_scenario(TEST_SCENARIO_TOML)
