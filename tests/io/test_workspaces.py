"""Workspaces: each saved library is visible only from its own workspace."""

from __future__ import annotations

import hashlib
import sqlite3
import threading

import pytest

from simulation.io.storage import (
    DEFAULT_WORKSPACE,
    NOT_OPENED,
    ScenarioStore,
    StorageError,
    new_workspace_key,
    workspace_from_key,
)
from tests.helpers import scenario
from tests.postgres import rows

pytestmark = pytest.mark.usefixtures("backend")


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
    stored = {row[0] for row in rows(lib.database, "SELECT workspace FROM scenarios")}
    assert all(key not in w for w in stored), "the key itself is never stored"


@pytest.mark.parametrize("bad", ["", "short", "x" * 200, "../../etc/passwd" + "a" * 30, None])
def test_a_malformed_key_is_refused(bad):
    with pytest.raises(StorageError, match="workspace key"):
        workspace_from_key(bad)


def test_named_workspace_needs_its_passphrase(lib):
    lib.named_workspace("Client", "a long passphrase", create=True)
    assert lib.named_workspace("client", "a long passphrase").label == "Client", "names ignore case"
    ((stored,),) = rows(lib.database, "SELECT passphrase_hash FROM workspaces")
    stored = bytes(stored)
    assert b"a long passphrase" not in stored and len(stored) == 32, "only a scrypt hash is stored"
    with pytest.raises(StorageError, match="at least"):
        lib.named_workspace("Short", "short", create=True)


def test_a_wrong_name_and_a_wrong_passphrase_get_the_same_message(lib):
    """The messages must not tell which workspace names exist."""
    lib.named_workspace("Client", "a long passphrase", create=True)
    messages = {}
    for case, (name, passphrase, create) in {
        "wrong passphrase": ("Client", "a wrong passphrase", False),
        "unknown name": ("Nobody", "a long passphrase", False),
        "taken name, other passphrase": ("client", "another passphrase", True),
    }.items():
        with pytest.raises(StorageError) as caught:
            lib.named_workspace(name, passphrase, create=create, client=case)
        messages[case] = str(caught.value)
    assert set(messages.values()) == {NOT_OPENED}, f"one message for every case: {messages}"
    again = lib.named_workspace("CLIENT", "a long passphrase", create=True)
    assert again.label == "Client", "creating a taken name with its own passphrase opens it"


@pytest.fixture
def quick(monkeypatch):
    """scrypt replaced by a cheap hash (sixty at once would take a gigabyte), and the delays recorded, not slept."""
    from simulation.io import storage

    checks, delays = [], []
    lock = threading.Lock()

    def scrypt(passphrase, salt):
        with lock:
            checks.append(passphrase)
        return hashlib.sha256(salt + passphrase.encode()).digest()

    monkeypatch.setattr(storage, "_scrypt", scrypt)
    monkeypatch.setattr(storage, "_sleep", lambda seconds: delays.append(seconds))
    return checks, delays


def hammer(lib, guesses: int, client) -> list[str]:
    """``guesses`` wrong passphrases for the workspace Client at once, from ``client(i)``; their messages."""
    start = threading.Barrier(guesses)
    outcomes = []

    def guess(i: int) -> None:
        start.wait()
        try:
            lib.named_workspace("Client", f"wrong guess {i:04d}", client=client(i))
        except StorageError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrent_guesses_from_one_client_are_counted_before_they_are_checked(lib, quick):
    from simulation.io import storage

    checks, _ = quick
    lib.named_workspace("Client", "a long passphrase", create=True)
    checks.clear()
    outcomes = hammer(lib, 60, lambda i: "attacker")
    refused = [m for m in outcomes if m.startswith("too many wrong passphrases from this session")]
    assert len(outcomes) == 60, f"every guess fails: {len(outcomes)}"
    free = storage.FREE_PASSPHRASE_TRIES
    assert len(checks) == free, f"{len(checks)} of 60 concurrent guesses were checked; only the {free} free ones may be"
    assert len(refused) == 60 - storage.FREE_PASSPHRASE_TRIES, f"{len(refused)} refused"
    assert lib.named_workspace("Client", "a long passphrase", client="owner").label == "Client", (
        "the owner's own session is not refused for the attacker's guesses"
    )


def test_concurrent_guesses_from_many_clients_slow_every_try_but_never_lock_the_owner_out(lib, quick):
    from simulation.io import storage

    _, delays = quick
    lib.named_workspace("Client", "a long passphrase", create=True)
    delays.clear()
    outcomes = hammer(lib, 60, lambda i: f"client {i}")
    assert outcomes == [storage.NOT_OPENED] * 60, f"each guess is refused as wrong: {set(outcomes)}"
    # each try was counted before it was checked, so no two concurrent tries saw the same count
    expected = [storage.attempt_delay_seconds(n) for n in range(60)]
    assert sorted(delays) == expected, f"delays: {sorted(delays)}"
    assert lib.named_workspace("Client", "a long passphrase", client="owner").label == "Client", (
        "the owner gets in after sixty failures"
    )
    assert delays[-1] == storage.MAX_ATTEMPT_DELAY_SECONDS, "slowed while the failures are recent, within the bound"
    lib.named_workspace("Client", "a long passphrase", client="owner")
    assert delays[-1] == 0, "a right passphrase cleared the workspace's count"

    owner = []
    crowd = threading.Thread(target=lambda: owner.append(hammer(lib, 40, lambda i: f"second crowd {i}")))
    crowd.start()
    during = lib.named_workspace("Client", "a long passphrase", client="owner")
    crowd.join()
    assert during.label == "Client" and len(owner[0]) == 40, "the owner gets in while a crowd guesses"


def test_one_guess_every_fifteen_minutes_never_locks_the_owner_out(lib, monkeypatch, quick):
    from simulation.io import storage

    clock = [1_000_000.0]
    monkeypatch.setattr(storage.time, "time", lambda: clock[0])
    lib.named_workspace("Client", "a long passphrase", create=True)
    for hour in range(12):
        for quarter in range(4):
            with pytest.raises(StorageError, match="do not open a workspace"):
                lib.named_workspace("Client", "a wrong guess", client=f"guesser {hour}.{quarter}")
            clock[0] += 900
            if quarter == 1:
                assert lib.named_workspace("Client", "a long passphrase", client="owner").label == "Client", (
                    f"the owner is refused after {hour} h of guesses"
                )


def test_a_clients_wait_doubles_and_survives_a_restart(lib, monkeypatch, quick):
    from simulation.io import storage

    clock = [1_000_000.0]
    monkeypatch.setattr(storage.time, "time", lambda: clock[0])
    lib.named_workspace("Client", "a long passphrase", create=True)
    for _ in range(storage.FREE_PASSPHRASE_TRIES):
        with pytest.raises(StorageError, match="do not open a workspace"):
            lib.named_workspace("Client", "a wrong guess", client="me")
    restarted = ScenarioStore(lib.directory)
    with pytest.raises(StorageError, match=r"too many wrong passphrases from this session: try again in 10 s"):
        restarted.named_workspace("Nobody", "a long passphrase", client="me")
    assert restarted.named_workspace("Client", "a long passphrase", client="someone else").label == "Client"
    clock[0] += 10
    with pytest.raises(StorageError, match="do not open a workspace"):
        restarted.named_workspace("Client", "another guess", client="me")
    with pytest.raises(StorageError, match="try again in 20 s"):
        restarted.named_workspace("Client", "a long passphrase", client="me")
    clock[0] += storage.FAILURE_MEMORY_SECONDS + 1
    assert restarted.named_workspace("Client", "a long passphrase", client="me").label == "Client", (
        "failures are forgotten an hour after the last one"
    )


@pytest.mark.sqlite_file
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


def test_the_wait_doubles_up_to_a_bound():
    from simulation.io.storage import FREE_PASSPHRASE_TRIES, MAX_PASSPHRASE_WAIT_SECONDS, passphrase_wait_seconds

    waits = [passphrase_wait_seconds(n) for n in range(FREE_PASSPHRASE_TRIES + 12)]
    assert waits[:FREE_PASSPHRASE_TRIES] == [0.0] * FREE_PASSPHRASE_TRIES
    assert waits[FREE_PASSPHRASE_TRIES : FREE_PASSPHRASE_TRIES + 3] == [10.0, 20.0, 40.0]
    assert max(waits) == MAX_PASSPHRASE_WAIT_SECONDS == passphrase_wait_seconds(10**9)


def test_the_delay_before_a_check_grows_to_a_bound():
    from simulation.io.storage import FREE_WORKSPACE_FAILURES, MAX_ATTEMPT_DELAY_SECONDS, attempt_delay_seconds

    delays = [attempt_delay_seconds(n) for n in range(FREE_WORKSPACE_FAILURES + 12)]
    assert delays[:FREE_WORKSPACE_FAILURES] == [0.0] * FREE_WORKSPACE_FAILURES, "the first failures are free"
    assert delays[FREE_WORKSPACE_FAILURES : FREE_WORKSPACE_FAILURES + 3] == [0.25, 0.5, 1.0], delays
    assert max(delays) == MAX_ATTEMPT_DELAY_SECONDS == attempt_delay_seconds(10**9), "bounded"
