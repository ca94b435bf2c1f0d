"""Saved portfolios on both back ends: save, list, load, replace, refuse, the upgrade of a version-1 file,
and who moved class between two of them."""

from __future__ import annotations

import sqlite3
import threading
from functools import cache
from types import SimpleNamespace

import pandas as pd
import pytest

from simulation.io import database
from simulation.io.database import dispose_engines
from simulation.io.portfolio_store import (
    DB_FILE,
    SCHEMA_VERSION,
    STORE,
    PortfolioStore,
    compare,
    movement_counts,
)
from simulation.io.storage import StorageError, workspace_from_key
from simulation.portfolio.pipeline import analyse_portfolio
from simulation.portfolio.settings import PortfolioSettings
from tests.locks import BUSY, write_lock_held
from tests.postgres import rows

from .helpers import SAMPLES


@cache
def _two():
    """The B2B sample under the default thresholds and under higher ones: the same customers, other classes."""
    before = analyse_portfolio(SAMPLES / "b2b_accounts.csv").analysis
    cuts = before.thresholds.contribution
    after = analyse_portfolio(
        SAMPLES / "b2b_accounts.csv", PortfolioSettings(contribution_cuts=(cuts[0], cuts[1] * 1.5))
    ).analysis
    return before, after


def test_save_list_load_and_compare(tmp_path, backend):
    before, after = _two()
    store = PortfolioStore(tmp_path)
    assert store.list() == [] and not (tmp_path / DB_FILE).exists(), "reading an empty library creates nothing"
    store.save("Q1", before, "b2b_accounts.csv")
    store.save("Q2", after, "b2b_accounts.csv")
    assert sorted(store.names()) == ["Q1", "Q2"]
    saved = {p.name: p for p in store.list()}
    assert saved["Q1"].customers == len(before.customers) and saved["Q1"].kind == "customers"
    a, b = store.load("Q1"), store.load("Q2")
    assert len(a) == len(before.customers) and set(a["class"]) <= {"A", "B", "C", "D"}
    given = before.customers.sort_values("customer_id")
    assert a["customer_id"].tolist() == given["customer_id"].astype(str).tolist()
    assert a["contribution"].tolist() == given["contribution"].astype(float).tolist(), "kept to the last digit"
    moves = compare(a, b)
    truth = before.customers.set_index("customer_id")["class"].compare(
        after.customers.set_index("customer_id")["class"]
    )
    assert set(moves.loc[moves["change"] == "moved", "customer_id"]) == set(truth.index)
    counts = movement_counts(moves)
    assert counts["customers"].sum() == len(truth) and (counts["from"] != counts["to"]).all()
    # a higher bar for high contribution moves customers down from A, never up into it
    assert "A" not in set(counts["to"]) and "A" in set(counts["from"]), counts


def test_new_gone_left_and_returned_customers_are_told_apart():
    before = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "class": ["A", "B", "C", "D"],
            "status": ["active", "active", "lapsed", "active"],
        }
    )
    after = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "e"],
            "class": ["B", "B", "C", "D"],
            "status": ["active", "lapsed", "active", "active"],
        }
    )
    moves = compare(before, after).set_index("customer_id")["change"].to_dict()
    assert moves == {"a": "moved", "b": "left", "c": "returned", "d": "gone", "e": "new"}


def test_a_name_is_saved_once_unless_replaced_and_workspaces_are_apart(tmp_path, backend):
    before, after = _two()
    store = PortfolioStore(tmp_path)
    store.save("Q1", before, "b2b.csv")
    with pytest.raises(StorageError, match="already saved"):
        store.save("Q1", after, "b2b.csv")
    store.save("Q1", after, "b2b.csv", replace=True)
    assert store.load("Q1")["class"].tolist() == after.customers.sort_values("customer_id")["class"].tolist()
    private = PortfolioStore(tmp_path, workspace_from_key("k" * 40))
    assert private.list() == [], "a workspace sees only its own portfolios"
    with pytest.raises(StorageError, match="no portfolio named"):
        private.load("Q1")
    with pytest.raises(StorageError, match="empty"):
        store.save("   ", before, "b2b.csv")


def test_customers_load_in_code_point_order_on_every_server(tmp_path, backend):
    ids = ["b", "B", "a-2", "a1", "\u00e9", "A 3", "10", "9"]
    customers = pd.DataFrame(
        {"customer_id": ids, "status": "active", "class": "A", "strategy": "keep", "contribution": 1.0, "risk": 0.5}
    )
    analysis = SimpleNamespace(customers=customers, data=SimpleNamespace(as_of=None, kind="customers"), period="month")
    store = PortfolioStore(tmp_path)
    store.save("Ids", analysis, "ids.csv")
    assert store.load("Ids")["customer_id"].tolist() == sorted(ids), "not the database's locale order"


def test_saving_one_name_at_once_twice_saves_it_once(tmp_path, backend):
    before, after = _two()
    store = PortfolioStore(tmp_path)
    store.list()  # the tables exist before the race
    outcomes = []

    def save(analysis):
        try:
            outcomes.append(store.save("Q1", analysis, "b2b.csv").name)
        except StorageError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=save, args=(a,)) for a in (before, after, before, after)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("Q1") == 1 and sum("already saved" in o for o in outcomes) == 3, outcomes
    assert len(store.load("Q1")) == len(before.customers) and store.names() == ["Q1"]


def test_a_write_lock_held_too_long_is_a_busy_message_and_changes_nothing(tmp_path, backend, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.5)
    before, _ = _two()
    store = PortfolioStore(tmp_path)
    store.list()
    with write_lock_held(store.database), pytest.raises(StorageError, match=BUSY.format("the portfolio library")):
        store.save("Q1", before, "b2b.csv")
    assert store.names() == [], "a save refused as busy stores nothing"
    store.save("Q1", before, "b2b.csv")
    assert store.names() == ["Q1"], "once the lock is released the save goes through"


def test_the_schema_version_is_kept_and_a_newer_library_is_refused(tmp_path, backend):
    before, _ = _two()
    store = PortfolioStore(tmp_path)
    store.save("Q1", before, "b2b.csv")
    db = store.database
    with db.engine.connect() as conn:
        assert db.schema_version(conn, STORE) == SCHEMA_VERSION
    with db.transaction(write=True) as conn:
        db.set_schema_version(conn, STORE, SCHEMA_VERSION + 1)
    dispose_engines()  # a new process: PostgreSQL's stores are checked once per process
    with pytest.raises(StorageError, match="newer version"):
        PortfolioStore(tmp_path).list()


def _version_1_file(path, version: int = 1):
    # what version 1 of the store wrote: its schema version in the table portfolio_schema
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE portfolio_schema (version INTEGER NOT NULL)")
        conn.execute(
            "CREATE TABLE portfolios (workspace VARCHAR(80) NOT NULL, name VARCHAR(80) NOT NULL, "
            "file_name VARCHAR(255) NOT NULL, kind VARCHAR(20) NOT NULL, period VARCHAR(10) NOT NULL, "
            "as_of VARCHAR(10), saved_at VARCHAR(32) NOT NULL, customers INTEGER NOT NULL, "
            "PRIMARY KEY (workspace, name))"
        )
        conn.execute(
            "CREATE TABLE portfolio_customers (workspace VARCHAR(80) NOT NULL, portfolio VARCHAR(80) NOT NULL, "
            "customer_id VARCHAR(255) NOT NULL, status VARCHAR(10) NOT NULL, class VARCHAR(2) NOT NULL, "
            "strategy VARCHAR(20) NOT NULL, contribution REAL, risk REAL, "
            "PRIMARY KEY (workspace, portfolio, customer_id))"
        )
        conn.execute("INSERT INTO portfolio_schema VALUES (?)", (version,))
        conn.execute(
            "INSERT INTO portfolios VALUES ('default', 'Old', 'old.csv', 'customers', 'month', NULL, "
            "'2026-12-01T09:00:00+00:00', 1)"
        )
        conn.execute(
            "INSERT INTO portfolio_customers VALUES ('default', 'Old', 'c1', 'active', 'A', 'keep', 12.5, 0.1)"
        )
    conn.close()


@pytest.mark.sqlite_file
def test_a_version_1_file_opens_with_its_portfolios(tmp_path, backend):
    _version_1_file(tmp_path / DB_FILE)
    store = PortfolioStore(tmp_path)
    assert store.names() == ["Old"]
    assert store.load("Old").to_dict("records") == [
        {"customer_id": "c1", "status": "active", "class": "A", "strategy": "keep", "contribution": 12.5, "risk": 0.1}
    ]
    assert rows(store.database, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    store.save("New", _two()[0], "b2b.csv")
    assert sorted(store.names()) == ["New", "Old"]


@pytest.mark.sqlite_file
def test_a_version_1_file_of_a_newer_app_is_refused_and_left_alone(tmp_path, backend):
    _version_1_file(tmp_path / DB_FILE, version=5)
    with pytest.raises(StorageError, match="newer version"):
        PortfolioStore(tmp_path).list()
    assert rows(PortfolioStore(tmp_path).database, "SELECT version FROM portfolio_schema") == [(5,)]


@pytest.mark.sqlite_file
def test_a_damaged_library_is_a_message_not_a_traceback(tmp_path, backend):
    (tmp_path / DB_FILE).write_bytes(b"not a database" * 100)
    with pytest.raises(StorageError, match="cannot"):
        PortfolioStore(tmp_path).list()
