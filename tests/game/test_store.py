"""The game store: codes and secrets, joining, decisions, closing rounds, results and exports, on both
back ends, and the upgrade of a version-1 file."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time

import pytest

from simulation.game.market import GameSettings, play
from simulation.game.replay import parse_replay, result_rows
from simulation.io import database, games
from simulation.io.database import dispose_engines
from simulation.io.games import GameStore, GameStoreError, replay_result
from tests.locks import BUSY, write_lock_held
from tests.postgres import dump, rows

pytestmark = pytest.mark.usefixtures("backend")

CFG = GameSettings(rounds=2, budget=60_000, market_size=4000, seed=9)


@pytest.fixture
def store(tmp_path):
    return GameStore(tmp_path)


def test_a_game_from_creation_to_its_last_round(store):
    new = store.create(CFG, "Quarter game")
    assert store.game(new.code).settings == CFG and store.verify(new.code, new.secret)
    assert not store.verify(new.code, "wrong"), "a wrong secret does not open the game"
    a, b = store.join(new.code, "Alpha"), store.join(new.code.lower(), "Beta")
    assert store.team(new.code, a) == (0, "Alpha") and store.team(new.code, "nobody") is None
    store.decide(new.code, a, {"acquisition": 30_000, "retention": 20_000})
    assert store.decided(new.code) == [True, False]
    store.decide(new.code, a, {"acquisition": 40_000})
    assert store.decision(new.code, a, 1).acquisition == 40_000, "a later decision replaces the earlier one"
    assert store.close_round(new.code, new.secret) == 1
    assert store.decided(new.code) == [False, False], "a new round starts undecided"
    with pytest.raises(GameStoreError, match="join only before the first round"):
        store.join(new.code, "Late")
    store.decide(new.code, b, {"retention": 50_000})
    assert store.close_round(new.code, new.secret) == 2 and store.game(new.code).finished
    with pytest.raises(GameStoreError, match="game is over"):
        store.close_round(new.code, new.secret)
    with pytest.raises(GameStoreError, match="game is over"):
        store.decide(new.code, a, {"acquisition": 1})
    rows = store.results(new.code)
    assert [(r["round"], r["team"], r["decided"]) for r in rows] == [
        (1, "Alpha", True), (1, "Beta", False), (2, "Alpha", False), (2, "Beta", True)
    ]  # fmt: skip
    assert rows[2]["acquisition"] == 40_000, "a team without a decision repeats its last split"
    assert rows == result_rows(replay_result(store, new.code)), "stored results are the replay's, exactly"


def test_the_exports_replay_to_the_stored_results(store):
    new = store.create(CFG)
    a = store.join(new.code, '=HYPERLINK("http://x")')
    store.join(new.code, "+Beta")
    store.decide(new.code, a, {"acquisition": 20_000, "winback": 10_000})
    store.close_round(new.code, new.secret)
    text = store.export_csv(new.code, new.secret)
    for row in csv.DictReader(io.StringIO(text)):
        assert row["team"][0] == "'", f"a name that reads as a formula is escaped: {row['team']}"
    settings, teams, decisions = parse_replay(text, "csv", CFG)
    assert teams == ['=HYPERLINK("http://x")', "+Beta"], "the CSV's escaped names read back as typed"
    assert result_rows(play(settings, teams, decisions, rounds=1)) == store.results(new.code)
    settings, teams, decisions = parse_replay(store.export_replay(new.code, new.secret), "json")
    assert result_rows(play(settings, teams, decisions, rounds=1)) == store.results(new.code)
    with pytest.raises(GameStoreError, match="trainer secret"):
        store.export_csv(new.code, "not the secret")


def test_only_the_hash_of_the_secret_is_kept(store):
    new = store.create(CFG)
    text = dump(store.database)
    assert new.secret not in text and games._hash(new.secret) in text


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "empty"), ("x" * 31, "at most 30"), ("a\u0007b", "control characters"), (None, "must be text")],
)
def test_bad_team_names_are_refused(store, name, message):
    new = store.create(CFG)
    with pytest.raises(GameStoreError, match=message):
        store.join(new.code, name)


def test_team_names_are_unique_ignoring_case(store):
    new = store.create(CFG)
    store.join(new.code, "Alpha")
    with pytest.raises(GameStoreError, match="another team in this game uses it"):
        store.join(new.code, "ALPHA")


def test_a_name_that_casefolds_longer_is_kept(store):
    new = store.create(CFG)
    name = "ß" * 30  # casefolds to 60 characters
    team = store.join(new.code, name)
    assert store.team(new.code, team) == (0, name)
    with pytest.raises(GameStoreError, match="another team in this game uses it"):
        store.join(new.code, "\u1e9e" * 30)  # capital sharp s: the same key


def test_bad_codes_and_splits_say_what_is_allowed(store):
    new = store.create(CFG)
    team = store.join(new.code, "A")
    with pytest.raises(GameStoreError, match="game code: must be the 6 letters"):
        store.game("0O1I")
    with pytest.raises(GameStoreError, match="more than the budget"):
        store.decide(new.code, team, {"acquisition": 50_000, "retention": 20_000})
    with pytest.raises(GameStoreError, match="not a team of this game"):
        store.decide(new.code, "stranger", {"acquisition": 1})
    empty = store.create(CFG)
    with pytest.raises(GameStoreError, match="no team has joined"):
        store.close_round(empty.code, empty.secret)


def test_trying_codes_is_limited_per_client(store):
    store.create(CFG)
    for _ in range(games.MAX_FAILED_JOINS_PER_CLIENT):
        with pytest.raises(GameStoreError, match="no game has the code"):
            store.join("ZZZZZZ", "x", client="c1")
    with pytest.raises(GameStoreError, match="too many codes"):
        store.join("ZZZZZZ", "x", client="c1")
    with pytest.raises(GameStoreError, match="no game has the code"):
        store.join("ZZZZZZ", "x", client="c2")


def test_a_store_from_a_newer_app_is_refused(store):
    store.create(CFG)
    db = store.database
    with db.transaction(write=True) as conn:
        db.set_schema_version(conn, games.STORE, games.SCHEMA_VERSION + 1)
    dispose_engines()  # a new process: PostgreSQL's stores are checked once per process
    with pytest.raises(GameStoreError, match="newer version"):
        store.create(CFG)


def test_a_write_lock_held_too_long_is_a_busy_message_and_changes_nothing(store, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.5)
    new = store.create(CFG)
    with write_lock_held(store.database), pytest.raises(GameStoreError, match=BUSY.format("the game store")):
        store.join(new.code, "Alpha")
    assert store.team_names(new.code) == [], "a join refused as busy stores nothing"
    store.join(new.code, "Alpha")
    assert store.team_names(new.code) == ["Alpha"], "once the lock is released the join goes through"


# What version 1 of the store (SQLite only) created: its version in ``meta``, failed joins in ``failed_joins``.
_VERSION_1 = (
    "CREATE TABLE meta (key VARCHAR(40) PRIMARY KEY, value VARCHAR(40) NOT NULL)",
    "CREATE TABLE games (code VARCHAR(6) PRIMARY KEY, title VARCHAR(80) NOT NULL, "
    "secret_sha256 VARCHAR(64) NOT NULL, rounds INTEGER NOT NULL, budget DOUBLE PRECISION NOT NULL, "
    "market_size INTEGER NOT NULL, seed BIGINT NOT NULL, closed_rounds INTEGER NOT NULL, "
    "created_at VARCHAR(32) NOT NULL)",
    "CREATE TABLE teams (code VARCHAR(6) NOT NULL REFERENCES games(code), team_id VARCHAR(32) NOT NULL, "
    "position INTEGER NOT NULL, name VARCHAR(30) NOT NULL, name_key VARCHAR(30) NOT NULL, "
    "joined_at VARCHAR(32) NOT NULL, "
    "PRIMARY KEY (code, team_id), UNIQUE (code, position), UNIQUE (code, name_key))",
    "CREATE TABLE decisions (code VARCHAR(6) NOT NULL, team_id VARCHAR(32) NOT NULL, "
    "round INTEGER NOT NULL, acquisition DOUBLE PRECISION NOT NULL, retention DOUBLE PRECISION NOT NULL, "
    "expansion DOUBLE PRECISION NOT NULL, winback DOUBLE PRECISION NOT NULL, decided_at VARCHAR(32) NOT NULL, "
    "PRIMARY KEY (code, team_id, round), FOREIGN KEY (code, team_id) REFERENCES teams(code, team_id))",
    "CREATE TABLE results (code VARCHAR(6) NOT NULL REFERENCES games(code), round INTEGER NOT NULL, "
    "position INTEGER NOT NULL, "
    + ", ".join(f"{c} DOUBLE PRECISION NOT NULL" for c in games._RESULT_FIELDS)
    + ", PRIMARY KEY (code, round, position))",
    "CREATE TABLE failed_joins (at DOUBLE PRECISION NOT NULL, client VARCHAR(64) NOT NULL)",
)


def _version_1_file(path, meta_version: str = "1"):
    with sqlite3.connect(path) as conn:
        for statement in _VERSION_1:
            conn.execute(statement)
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (meta_version,))
        conn.execute(
            "INSERT INTO games VALUES ('ABCDEF', 'Old game', ?, 2, 60000, 4000, 9, 0, '2026-12-01T09:00:00+00:00')",
            (games._hash("old secret"),),
        )
        conn.execute("INSERT INTO teams VALUES ('ABCDEF', 'team-one', 0, 'Alpha', 'alpha', '2026-12-01')")
        conn.executemany(
            "INSERT INTO failed_joins VALUES (?, 'c1')", [(time.time(),)] * games.MAX_FAILED_JOINS_PER_CLIENT
        )
    conn.close()


@pytest.mark.sqlite_file
def test_a_version_1_file_opens_with_its_games_teams_and_counted_joins(store):
    _version_1_file(store.path)
    assert store.verify("ABCDEF", "old secret") and store.team_names("ABCDEF") == ["Alpha"]
    with pytest.raises(GameStoreError, match="too many codes"):
        store.join("ZZZZZZ", "x", client="c1")
    assert store.close_round("ABCDEF", "old secret") == 1, "the old game plays on"
    db = store.database
    assert rows(db, "PRAGMA user_version") == [(games.SCHEMA_VERSION,)]
    with db.engine.connect() as conn:
        assert not db.has_table(conn, "meta") and not db.has_table(conn, "failed_joins")


@pytest.mark.sqlite_file
def test_a_version_1_file_of_a_newer_app_is_refused_and_left_alone(store):
    _version_1_file(store.path, meta_version="7")
    with pytest.raises(GameStoreError, match="newer version"):
        store.game("ABCDEF")
    assert rows(store.database, "SELECT value FROM meta") == [("7",)], "nothing was changed"


def test_a_stale_button_closes_no_second_round_and_a_stale_split_is_refused(store):
    new = store.create(CFG)
    team = store.join(new.code, "A")
    assert store.close_round(new.code, new.secret, 1) == 1
    with pytest.raises(GameStoreError, match="round 1 is already closed"):
        store.close_round(new.code, new.secret, 1)
    assert store.game(new.code).closed_rounds == 1, "a second press did not close round 2"
    with pytest.raises(GameStoreError, match="round 1 has been closed, so this split was not stored"):
        store.decide(new.code, team, {"acquisition": 1_000}, 1)
    assert store.decision(new.code, team, 2) is None


def test_two_trainers_closing_at_once_close_one_round(store):
    new = store.create(CFG)
    store.join(new.code, "A")
    outcomes = []

    def close():
        try:
            outcomes.append(store.close_round(new.code, new.secret, 1))
        except GameStoreError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(1) == 1, f"exactly one close succeeded: {outcomes}"
    assert store.game(new.code).closed_rounds == 1 and len(store.results(new.code)) == 1
