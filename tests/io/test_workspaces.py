"""Workspaces: each saved library is visible only from its own workspace."""

from __future__ import annotations

import sqlite3

import pytest

from simulation.io.storage import (
    DEFAULT_WORKSPACE,
    ScenarioStore,
    StorageError,
    new_workspace_key,
    workspace_from_key,
)
from tests.helpers import scenario


@pytest.fixture
def lib(tmp_path):
    return ScenarioStore(tmp_path / "data")


def test_default_workspace_needs_nothing(lib):
    lib.save("Plan", scenario())
    assert ScenarioStore(lib.directory).names() == ["Plan"], "the default store sees the default workspace"
    assert lib.workspace == DEFAULT_WORKSPACE, "no workspace given means the default one"


def test_scenarios_of_one_workspace_are_invisible_from_every_other(lib):
    a = lib.in_workspace(workspace_from_key(new_workspace_key()))
    b = lib.in_workspace(workspace_from_key(new_workspace_key()))
    named = lib.in_workspace(lib.named_workspace("Client C", "correct horse battery", create=True))
    a.save("Plan", scenario(name="A's plan"))
    b.save("Plan", scenario(name="B's plan"))
    named.save("Only C", scenario(name="C's plan"))
    assert a.names() == ["Plan"] and a.load("Plan").name == "A's plan", "A sees its own plan"
    assert b.load("Plan").name == "B's plan", "the same name in B is B's own scenario"
    assert lib.names() == [] and named.names() == ["Only C"], "the default and C see none of A's or B's"
    for other in (a, b, lib):
        with pytest.raises(StorageError):
            other.load("Only C")
        with pytest.raises(StorageError):
            other.delete("Only C")
        with pytest.raises(StorageError):
            other.rename("Only C", "Mine now")
    b.delete("Plan")
    assert a.load("Plan").name == "A's plan", "deleting in B leaves A's scenario alone"


def test_the_same_key_opens_the_same_workspace_and_only_a_digest_is_stored(lib):
    key = new_workspace_key()
    lib.in_workspace(workspace_from_key(key)).save("Kept", scenario())
    assert lib.in_workspace(workspace_from_key(key)).names() == ["Kept"], "the key reopens the workspace"
    with sqlite3.connect(lib.path) as conn:
        stored = {row[0] for row in conn.execute("SELECT workspace FROM scenarios")}
    assert all(key not in w for w in stored), "the key itself is never stored"


@pytest.mark.parametrize("bad", ["", "short", "x" * 200, "../../etc/passwd" + "a" * 30, None])
def test_a_malformed_key_is_refused(bad):
    with pytest.raises(StorageError, match="workspace key"):
        workspace_from_key(bad)


def test_named_workspace_needs_its_passphrase(lib):
    lib.named_workspace("Client", "a long passphrase", create=True)
    assert lib.named_workspace("client", "a long passphrase").label == "Client", "names ignore case"
    with pytest.raises(StorageError, match="wrong passphrase"):
        lib.named_workspace("Client", "a wrong passphrase")
    with pytest.raises(StorageError, match="already called"):
        lib.named_workspace("Client", "another passphrase", create=True)
    with pytest.raises(StorageError, match="no workspace"):
        lib.named_workspace("Nobody", "a long passphrase")
    with pytest.raises(StorageError, match="at least"):
        lib.named_workspace("Short", "short", create=True)
    with sqlite3.connect(lib.path) as conn:
        (stored,) = conn.execute("SELECT passphrase_hash FROM workspaces").fetchone()
    assert b"a long passphrase" not in stored and len(stored) == 32, "only a scrypt hash is stored"


def test_a_version_1_library_moves_to_the_default_workspace(tmp_path):
    path = tmp_path / "scenarios.sqlite3"
    sc = scenario()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE scenarios (name TEXT PRIMARY KEY COLLATE NOCASE, title TEXT NOT NULL, "
            "scenario_json TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO scenarios VALUES ('Old', ?, ?, 'x', 'y')", (sc.name, sc.canonical_json()))
        conn.execute("PRAGMA user_version = 1")
    store = ScenarioStore(tmp_path)
    assert store.names() == ["Old"] and store.load("Old") == sc, "old scenarios open in the default workspace"
    assert store.in_workspace(workspace_from_key(new_workspace_key())).names() == [], "and nowhere else"


def test_guessing_a_passphrase_is_slowed_down_and_the_count_survives_a_restart(lib, monkeypatch):
    from simulation.io import storage

    clock = [1_000_000.0]
    monkeypatch.setattr(storage.time, "time", lambda: clock[0])
    lib.named_workspace("Client", "a long passphrase", create=True)
    for _ in range(storage.FREE_PASSPHRASE_TRIES):
        with pytest.raises(StorageError, match="wrong passphrase"):
            lib.named_workspace("Client", "a wrong guess")
    restarted = ScenarioStore(lib.directory)
    with pytest.raises(StorageError, match=r"too many wrong passphrases .* try again in 10 s"):
        restarted.named_workspace("client", "a long passphrase")
    clock[0] += 10
    with pytest.raises(StorageError, match="wrong passphrase"):
        restarted.named_workspace("Client", "another guess")
    with pytest.raises(StorageError, match="try again in 20 s"):
        restarted.named_workspace("Client", "a long passphrase")
    clock[0] += 20
    assert restarted.named_workspace("Client", "a long passphrase").label == "Client", "the owner gets in"
    for _ in range(storage.FREE_PASSPHRASE_TRIES):
        with pytest.raises(StorageError, match="wrong passphrase"):
            lib.named_workspace("Client", "a wrong guess")  # a right passphrase cleared the count


def test_the_wait_doubles_up_to_a_bound():
    from simulation.io.storage import FREE_PASSPHRASE_TRIES, MAX_PASSPHRASE_WAIT_SECONDS, passphrase_wait_seconds

    waits = [passphrase_wait_seconds(n) for n in range(FREE_PASSPHRASE_TRIES + 12)]
    assert waits[:FREE_PASSPHRASE_TRIES] == [0.0] * FREE_PASSPHRASE_TRIES
    assert waits[FREE_PASSPHRASE_TRIES : FREE_PASSPHRASE_TRIES + 3] == [10.0, 20.0, 40.0]
    assert max(waits) == MAX_PASSPHRASE_WAIT_SECONDS == passphrase_wait_seconds(10**9)
