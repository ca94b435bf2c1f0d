"""Fixtures shared by the whole suite: a small test scenario, a data folder of each test's own, and
the storage back ends (``backend``: every test that takes it runs on SQLite files and on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from simulation import Scenario, parse_scenario
from simulation.io.database import DATABASE_URL_ENV, dispose_engines

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
    """Saved scenarios go to a folder of the test's own, never into the working tree (nor a database
    the environment names)."""
    monkeypatch.setenv("RETENTION_LAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_file: a storage test about the SQLite file itself (not on PostgreSQL)")


def pytest_generate_tests(metafunc):
    # a test that takes ``backend`` runs once per back end (SQLite only if it is about the file)
    if "backend" in metafunc.fixturenames:
        names = BACKENDS[:1] if metafunc.definition.get_closest_marker("sqlite_file") else BACKENDS
        metafunc.parametrize("backend", names, indirect=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session. It failing to start fails the tests in CI and skips them elsewhere."""
    from tests.postgres import CI, start_server

    try:
        server = start_server()
    except RuntimeError as exc:
        if CI:
            pytest.fail(f"{exc}; CI must run the storage tests on PostgreSQL", pytrace=False)
        pytest.skip(f"{exc}; install Debian's postgresql package (./run.sh test does, as root)")
    yield server
    dispose_engines()
    server.remove()


@dataclass(frozen=True)
class Backend:
    """The back end a storage test runs on: ``name`` and, for PostgreSQL, the test's own database ``url``."""

    name: str
    url: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"


@pytest.fixture
def backend(request, monkeypatch):
    """The stores of this test keep their tables in SQLite files, or in a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield Backend("sqlite")
        return
    server = request.getfixturevalue("postgres_server")
    url = server.new_database()
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    yield Backend("postgresql", url)
    dispose_engines()
    server.drop_database(url)


@pytest.fixture
def test_scenario() -> Scenario:
    return parse_scenario(TEST_SCENARIO_TOML)
