"""Saved portfolios: save, list, load, replace, refuse, and who moved class between two of them."""

from __future__ import annotations

import sqlite3
from functools import cache

import pandas as pd
import pytest

from simulation.io.portfolio_store import (
    DB_FILE,
    SCHEMA_VERSION,
    PortfolioStore,
    compare,
    movement_counts,
)
from simulation.io.storage import StorageError, workspace_from_key
from simulation.portfolio.pipeline import analyse_portfolio
from simulation.portfolio.settings import PortfolioSettings

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


def test_save_list_load_and_compare(tmp_path):
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


def test_a_name_is_saved_once_unless_replaced_and_workspaces_are_apart(tmp_path):
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


def test_the_schema_version_is_kept_and_a_newer_library_is_refused(tmp_path):
    before, _ = _two()
    PortfolioStore(tmp_path).save("Q1", before, "b2b.csv")
    conn = sqlite3.connect(tmp_path / DB_FILE)
    assert conn.execute("SELECT version FROM portfolio_schema").fetchall() == [(SCHEMA_VERSION,)]
    conn.execute("UPDATE portfolio_schema SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="newer version"):
        PortfolioStore(tmp_path).list()


def test_a_damaged_library_is_a_message_not_a_traceback(tmp_path):
    (tmp_path / DB_FILE).write_bytes(b"not a database" * 100)
    with pytest.raises(StorageError, match="cannot"):
        PortfolioStore(tmp_path).list()
