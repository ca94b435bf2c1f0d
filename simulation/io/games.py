"""Team games: the trainer's settings, the teams, their decisions round by round and the results.

Kept in SQLite in the data folder (:func:`simulation.io.sqlite.data_dir`), in a file of its own,
``games.sqlite3``, or in the PostgreSQL database of ``RETENTION_LAB_DATABASE_URL`` (:mod:`.database`),
so games survive a restart and are shared by every app process. Every change is one transaction that
takes the store's write lock first: it happens completely or not at all, and what it checks (a free
code, a free team name, the round still open) cannot change before it writes. The schema's version
is SQLite's ``user_version`` or, on PostgreSQL, the store's row in ``schema_versions``; a file of
version 1 (its version in a ``meta`` table) is brought up to date when it is opened.

A trainer creates a game and gets a code (for teams) and a secret (for the trainer's view); only the
secret's SHA-256 is stored. Teams join with the code and a team name before the first round is
closed; each gets an opaque id its browser keeps. Each round a team decides its split (a later
decision in the same round replaces the earlier one); the trainer closes the round, which plays it
(:func:`simulation.game.market.play`, from the seed and every decision so far) and stores its results
in the same transaction. Codes that find no game are counted per client and for everyone over
:data:`JOIN_WINDOW_SECONDS`, as for classes: beyond the limits every join is refused for a while.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import os
import secrets
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from ..errors import InputError
from ..game.firm import LEVERS
from ..game.market import MAX_TEAMS, GameError, GameResult, GameSettings, Split, check_split, play
from ..game.replay import RESULT_COLUMNS, clean_team_name, replay_json, result_rows
from .cells import csv_text
from .database import (
    Database,
    open_database,
    run,
    store_transaction,
)
from .sqlite import data_dir, utc_now

DB_FILE = "games.sqlite3"
STORE = "games"
SCHEMA_VERSION = 2
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
CODE_LENGTH = 6
TITLE_MAX_CHARS = 80
JOIN_WINDOW_SECONDS = 600.0
MAX_FAILED_JOINS_PER_CLIENT = 10
MAX_FAILED_JOINS = 300
NO_GAME = "game code: no game has the code {code}; check the code with your trainer"
_RESULT_FIELDS = RESULT_COLUMNS[2:]  # what a results row keeps beside (round, team position)
_MONEY_FIELDS = {*LEVERS, "revenue", "contribution", "customer_equity"}  # the others are counts (and decided)

# Version 2 keeps its version as every store does and names its table of failed joins apart from the
# class store's (on PostgreSQL every store's tables share one database). Text columns are TEXT:
# PostgreSQL checks a VARCHAR's length, and a name's case-folded key can be longer than the name.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS games (code TEXT PRIMARY KEY, title TEXT NOT NULL, "
    "secret_sha256 TEXT NOT NULL, rounds INTEGER NOT NULL, budget DOUBLE PRECISION NOT NULL, "
    "market_size INTEGER NOT NULL, seed BIGINT NOT NULL, closed_rounds INTEGER NOT NULL, "
    "created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS teams (code TEXT NOT NULL REFERENCES games(code), team_id TEXT NOT NULL, "
    "position INTEGER NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL, "
    "joined_at TEXT NOT NULL, "
    "PRIMARY KEY (code, team_id), UNIQUE (code, position), UNIQUE (code, name_key))",
    "CREATE TABLE IF NOT EXISTS decisions (code TEXT NOT NULL, team_id TEXT NOT NULL, "
    "round INTEGER NOT NULL, acquisition DOUBLE PRECISION NOT NULL, retention DOUBLE PRECISION NOT NULL, "
    "expansion DOUBLE PRECISION NOT NULL, winback DOUBLE PRECISION NOT NULL, decided_at TEXT NOT NULL, "
    "PRIMARY KEY (code, team_id, round), FOREIGN KEY (code, team_id) REFERENCES teams(code, team_id))",
    "CREATE TABLE IF NOT EXISTS results (code TEXT NOT NULL REFERENCES games(code), round INTEGER NOT NULL, "
    "position INTEGER NOT NULL, "
    + ", ".join(f"{c} DOUBLE PRECISION NOT NULL" for c in _RESULT_FIELDS)
    + ", PRIMARY KEY (code, round, position))",
    "CREATE TABLE IF NOT EXISTS game_failed_joins (at DOUBLE PRECISION NOT NULL, client TEXT NOT NULL)",
)


class GameStoreError(InputError):
    """A game request that cannot be carried out; nothing stored was changed."""


def upgrade(db: Database, conn: Connection) -> None:
    """Bring the store on ``conn`` to :data:`SCHEMA_VERSION` inside the caller's (write) transaction."""
    if db.schema_version(conn, STORE) >= SCHEMA_VERSION:
        return
    db.prepare(conn)
    # only a SQLite file can be of version 1: its version in ``meta``, its failed joins in ``failed_joins``
    legacy = db.is_sqlite and db.has_table(conn, "meta")
    if legacy:
        row = run(conn, "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None and int(row[0]) > 1:
            raise GameStoreError("the game store was written by a newer version of the app")
    for statement in _SCHEMA:
        run(conn, statement)
    if legacy and db.has_table(conn, "failed_joins"):
        run(conn, "INSERT INTO game_failed_joins (at, client) SELECT at, client FROM failed_joins")
        run(conn, "DROP TABLE failed_joins")
    if legacy:
        run(conn, "DROP TABLE meta")
    db.set_schema_version(conn, STORE, SCHEMA_VERSION)


@dataclass(frozen=True)
class Game:
    """A game as teams and the trainer see it (no secret)."""

    code: str
    title: str
    settings: GameSettings
    closed_rounds: int
    created_at: str

    @property
    def finished(self) -> bool:
        return self.closed_rounds >= self.settings.rounds

    @property
    def current_round(self) -> int | None:
        """The round teams are deciding, or None once the last round is closed."""
        return None if self.finished else self.closed_rounds + 1


@dataclass(frozen=True)
class StartedGame:
    """A new game's code and its trainer secret (the only time the secret is available)."""

    code: str
    secret: str


def clean_code(code) -> str:
    """A game code as stored (upper case, spaces removed), or :class:`GameStoreError` saying what a code is."""
    if not isinstance(code, str):
        raise GameStoreError("game code: must be text")
    text = "".join(code.split()).upper()
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        raise GameStoreError(
            f"game code: must be the {CODE_LENGTH} letters and digits the trainer gave (no 0, 1, I or O); "
            f"got {len(text)} character(s)"
        )
    return text


def clean_title(title) -> str:
    """A game's title as kept (spaces collapsed; "Team game" when empty), or :class:`GameStoreError`."""
    if not isinstance(title, str):
        raise GameStoreError("game title: must be text")
    text = " ".join(title.split()) or "Team game"
    if len(text) > TITLE_MAX_CHARS:
        raise GameStoreError(f"game title: at most {TITLE_MAX_CHARS} characters; got {len(text)}")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise GameStoreError("game title: contains control characters")
    return text


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _as_store_error(exc: GameError) -> GameStoreError:
    return GameStoreError(str(exc))


class GameStore:
    """Team games in one data folder (created on the first write)."""

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = data_dir(directory)
        self.path = self.directory / DB_FILE

    @property
    def database(self) -> Database:
        """Where the games are kept: :attr:`path`, or the PostgreSQL database."""
        try:
            return open_database(DB_FILE, self.directory)
        except ValueError as exc:
            raise GameStoreError(str(exc)) from None

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction on the store (with its write lock when ``write``), upgraded first if it is older."""
        db = self.database
        with store_transaction(
            db, GameStoreError, "the game store", STORE, SCHEMA_VERSION, upgrade, write=write, noun="game store"
        ) as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._connect(write=True) as conn:
            yield conn

    @staticmethod
    def _game(conn, code: str) -> Game:
        row = run(
            conn,
            "SELECT code, title, rounds, budget, market_size, seed, closed_rounds, created_at "
            "FROM games WHERE code = ?",
            (code,),
        ).fetchone()
        if row is None:
            raise GameStoreError(NO_GAME.format(code=code))
        settings = GameSettings(rounds=row[2], budget=row[3], market_size=row[4], seed=row[5])
        return Game(code=row[0], title=row[1], settings=settings, closed_rounds=row[6], created_at=row[7])

    def _trainer(self, conn, code: str, secret) -> Game:
        game = self._game(conn, code)
        stored = run(conn, "SELECT secret_sha256 FROM games WHERE code = ?", (code,)).fetchone()[0]
        if not isinstance(secret, str) or not hmac.compare_digest(_hash(secret.strip()), stored):
            raise GameStoreError("trainer secret: does not match this game")
        return game

    # Trainer ------------------------------------------------------------------------------
    def create(self, settings: GameSettings, title: str = "Team game") -> StartedGame:
        """Create a game; the returned secret is not stored (only its hash) and cannot be shown again."""
        title = clean_title(title)
        secret = secrets.token_urlsafe(12)
        with self._transaction() as conn:
            for _ in range(20):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if run(conn, "SELECT 1 FROM games WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:  # pragma: no cover - 32**6 codes; twenty collisions in a row do not happen
                raise GameStoreError("could not find a free game code; try again")
            run(
                conn,
                "INSERT INTO games (code, title, secret_sha256, rounds, budget, market_size, seed, closed_rounds, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (
                    code,
                    title,
                    _hash(secret),
                    settings.rounds,
                    settings.budget,
                    settings.market_size,
                    settings.seed,
                    utc_now(),
                ),
            )
        return StartedGame(code=code, secret=secret)

    def verify(self, code, secret) -> bool:
        """Whether ``secret`` is the trainer secret of game ``code``."""
        try:
            with self._connect() as conn:
                self._trainer(conn, clean_code(code), secret)
        except GameStoreError:
            return False
        return True

    def close_round(self, code, secret, round_: int | None = None) -> int:
        """Play the current round with every team's decision (a team that has not decided repeats its last
        split) and store its results; returns the round closed.

        With ``round_`` (the round the trainer saw), nothing happens unless it is still the current round:
        a second press of the same button does not close the next round too.
        """
        code = clean_code(code)
        with self._transaction() as conn:
            game = self._trainer(conn, code, secret)
            if game.finished:
                raise GameStoreError("this game is over: every round has been closed")
            if round_ is not None and round_ != game.current_round:
                raise GameStoreError(f"round {round_} is already closed; round {game.current_round} is under way")
            teams, decisions = self._inputs(conn, code)
            if not teams:
                raise GameStoreError("no team has joined yet; a round needs at least one team")
            round_ = game.closed_rounds + 1
            result = play(game.settings, teams, decisions, rounds=round_)
            columns = ", ".join(_RESULT_FIELDS)
            marks = ", ".join("?" for _ in _RESULT_FIELDS)
            for position, row in enumerate(r for r in result_rows(result) if r["round"] == round_):
                values = [float(row[c]) for c in _RESULT_FIELDS]
                run(
                    conn,
                    f"INSERT INTO results (code, round, position, {columns}) VALUES (?, ?, ?, {marks})",
                    (code, round_, position, *values),
                )
            run(
                conn,
                "UPDATE games SET closed_rounds = ? WHERE code = ? AND closed_rounds = ?",
                (round_, code, game.closed_rounds),
            )
        return round_

    def export_csv(self, code, secret) -> str:
        """Every team's decisions and results, one row per round and team (trainer only); replayable with
        ``python -m simulation game``."""
        code = clean_code(code)
        with self._connect() as conn:
            self._trainer(conn, code, secret)
            rows = self._result_rows(conn, code)
        return csv_text(([row[c] for c in RESULT_COLUMNS] for row in rows), RESULT_COLUMNS)

    def export_replay(self, code, secret) -> str:
        """The game's replay file (JSON: settings, teams, decisions of the closed rounds)."""
        code = clean_code(code)
        with self._connect() as conn:
            game = self._trainer(conn, code, secret)
            teams, decisions = self._inputs(conn, code)
        closed = {k: v for k, v in decisions.items() if k[1] <= game.closed_rounds}
        return replay_json(game.settings, teams, closed)

    # Everyone ------------------------------------------------------------------------------
    def game(self, code) -> Game:
        code = clean_code(code)
        with self._connect() as conn:
            return self._game(conn, code)

    def team_names(self, code) -> list[str]:
        """The teams' names in the order they joined (a team's position in the game)."""
        code = clean_code(code)
        with self._connect() as conn:
            self._game(conn, code)
            return [r[0] for r in run(conn, "SELECT name FROM teams WHERE code = ? ORDER BY position", (code,))]

    def decided(self, code) -> list[bool]:
        """For each team (by position), whether it has decided its split for the current round."""
        code = clean_code(code)
        with self._connect() as conn:
            game = self._game(conn, code)
            rows = run(
                conn,
                "SELECT t.position, d.round FROM teams t LEFT JOIN decisions d ON d.code = t.code "
                "AND d.team_id = t.team_id AND d.round = ? WHERE t.code = ? ORDER BY t.position",
                (game.closed_rounds + 1, code),
            ).fetchall()
        return [r[1] is not None for r in rows]

    def results(self, code) -> list[dict]:
        """The results of every closed round (columns :data:`simulation.game.replay.RESULT_COLUMNS`)."""
        code = clean_code(code)
        with self._connect() as conn:
            self._game(conn, code)
            return self._result_rows(conn, code)

    def replay_inputs(self, code) -> tuple[GameSettings, list[str], dict[tuple[int, int], Split], int]:
        """Settings, team names, decisions of the closed rounds and how many rounds are closed (to play
        the game again, for the debrief)."""
        code = clean_code(code)
        with self._connect() as conn:
            game = self._game(conn, code)
            teams, decisions = self._inputs(conn, code)
        closed = {k: v for k, v in decisions.items() if k[1] <= game.closed_rounds}
        return game.settings, teams, closed, game.closed_rounds

    # Teams -----------------------------------------------------------------------------------
    def join(self, code, name, client: str | None = None) -> str:
        """Join game ``code`` as team ``name`` (unique in the game, ignoring case); returns the team's id."""
        code = clean_code(code)
        try:
            name = clean_team_name(name)
        except GameError as exc:
            raise _as_store_error(exc) from None
        client = str(client or "local")[:64]
        with self._transaction() as conn:
            self._check_join_rate(conn, client)
            found = run(conn, "SELECT 1 FROM games WHERE code = ?", (code,)).fetchone() is not None
            if not found:
                run(conn, "INSERT INTO game_failed_joins (at, client) VALUES (?, ?)", (time.time(), client))
        if not found:  # raised after the commit, so that the failure stays counted
            raise GameStoreError(NO_GAME.format(code=code))
        team_id = secrets.token_urlsafe(12)
        with self._transaction() as conn:
            game = self._game(conn, code)
            if game.closed_rounds > 0:
                raise GameStoreError("this game has started: teams can join only before the first round is closed")
            count = run(conn, "SELECT COUNT(*) FROM teams WHERE code = ?", (code,)).fetchone()[0]
            if count >= MAX_TEAMS:
                raise GameStoreError(f"this game is full: it has {MAX_TEAMS} teams")
            if run(conn, "SELECT 1 FROM teams WHERE code = ? AND name_key = ?", (code, name.casefold())).fetchone():
                raise GameStoreError("team name: another team in this game uses it; choose another")
            run(
                conn,
                "INSERT INTO teams (code, team_id, position, name, name_key, joined_at) VALUES (?, ?, ?, ?, ?, ?)",
                (code, team_id, count, name, name.casefold(), utc_now()),
            )
        return team_id

    @staticmethod
    def _check_join_rate(conn: Connection, client: str) -> None:
        now = time.time()
        since = now - JOIN_WINDOW_SECONDS
        run(conn, "DELETE FROM game_failed_joins WHERE at < ?", (since,))
        mine, first_mine = run(
            conn, "SELECT COUNT(*), MIN(at) FROM game_failed_joins WHERE client = ? AND at >= ?", (client, since)
        ).fetchone()
        everyone, first = run(
            conn, "SELECT COUNT(*), MIN(at) FROM game_failed_joins WHERE at >= ?", (since,)
        ).fetchone()
        if mine >= MAX_FAILED_JOINS_PER_CLIENT or everyone >= MAX_FAILED_JOINS:
            oldest = first_mine if mine >= MAX_FAILED_JOINS_PER_CLIENT else first
            wait = max(1, math.ceil(oldest + JOIN_WINDOW_SECONDS - now))
            raise GameStoreError(
                f"game code: too many codes that found no game were tried; try again in {wait:,} s, "
                "with the code your trainer gives"
            )

    def team(self, code, team_id) -> tuple[int, str] | None:
        """The team's position and name, or None if ``team_id`` is not a team of the game."""
        code = clean_code(code)
        with self._connect() as conn:
            row = run(
                conn, "SELECT position, name FROM teams WHERE code = ? AND team_id = ?", (code, str(team_id)[:64])
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def decide(self, code, team_id, values: dict, round_: int | None = None) -> Split:
        """Store the team's split for the current round (replacing an earlier one of the same round).

        With ``round_`` (the round the team saw), a split for a round the trainer has closed meanwhile is
        refused rather than stored for the next round.
        """
        code = clean_code(code)
        with self._transaction() as conn:
            game = self._game(conn, code)
            if game.finished:
                raise GameStoreError("this game is over: decisions are no longer taken")
            if round_ is not None and round_ != game.current_round:
                raise GameStoreError(
                    f"round {round_} has been closed, so this split was not stored; "
                    f"decide again for round {game.current_round}"
                )
            try:
                split = check_split(values, game.settings.budget)
            except GameError as exc:
                raise _as_store_error(exc) from None
            if (
                run(conn, "SELECT 1 FROM teams WHERE code = ? AND team_id = ?", (code, str(team_id)[:64])).fetchone()
                is None
            ):
                raise GameStoreError("team: not a team of this game; join it again with the code")
            run(
                conn,
                "INSERT INTO decisions (code, team_id, round, acquisition, retention, expansion, winback, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, team_id, round) DO UPDATE SET "
                "acquisition = excluded.acquisition, retention = excluded.retention, expansion = excluded.expansion, "
                "winback = excluded.winback, decided_at = excluded.decided_at",
                (
                    code,
                    str(team_id),
                    game.closed_rounds + 1,
                    split.acquisition,
                    split.retention,
                    split.expansion,
                    split.winback,
                    utc_now(),
                ),
            )
        return split

    def decision(self, code, team_id, round_: int) -> Split | None:
        """The team's own split for ``round_``, or None if it has not decided it."""
        code = clean_code(code)
        with self._connect() as conn:
            row = run(
                conn,
                "SELECT acquisition, retention, expansion, winback FROM decisions WHERE code = ? "
                "AND team_id = ? AND round = ?",
                (code, str(team_id)[:64], int(round_)),
            ).fetchone()
        return None if row is None else Split(*row)

    # Reading -------------------------------------------------------------------------------
    @staticmethod
    def _inputs(conn, code: str) -> tuple[list[str], dict[tuple[int, int], Split]]:
        teams = run(conn, "SELECT team_id, name FROM teams WHERE code = ? ORDER BY position", (code,)).fetchall()
        position = {team_id: i for i, (team_id, _) in enumerate(teams)}
        rows = run(
            conn,
            "SELECT team_id, round, acquisition, retention, expansion, winback FROM decisions WHERE code = ?",
            (code,),
        ).fetchall()
        decisions = {(position[t], r): Split(a, re, e, w) for t, r, a, re, e, w in rows}
        return [name for _, name in teams], decisions

    @staticmethod
    def _result_rows(conn, code: str) -> list[dict]:
        names = dict(run(conn, "SELECT position, name FROM teams WHERE code = ?", (code,)).fetchall())
        columns = ", ".join(_RESULT_FIELDS)
        rows = run(
            conn, f"SELECT round, position, {columns} FROM results WHERE code = ? ORDER BY round, position", (code,)
        ).fetchall()
        out = []
        for row in rows:
            record = {"round": row[0], "team": names[row[1]]}
            for c, v in zip(_RESULT_FIELDS, row[2:], strict=True):
                record[c] = bool(v) if c == "decided" else v if c in _MONEY_FIELDS else int(v)
            out.append(record)
        return out


def replay_result(store: GameStore, code) -> GameResult | None:
    """The game played again from its stored seed and decisions (None before the first round is closed)."""
    settings, teams, decisions, closed = store.replay_inputs(code)
    return play(settings, teams, decisions, rounds=closed) if closed else None
