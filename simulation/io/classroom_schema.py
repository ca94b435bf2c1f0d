"""The class store's tables and how a store of an earlier version is brought up to date.

Plain standard SQL that SQLite and PostgreSQL both take (``DOUBLE PRECISION`` and ``BIGINT`` are
REAL and INTEGER to SQLite; ``"NOCASE"`` is SQLite's own collation and one of the same name on
PostgreSQL, :mod:`.database`), one statement at a time, all in one transaction: a store is either
still at its old version or fully upgraded. The version is SQLite's ``user_version`` or, on
PostgreSQL, the store's row in ``schema_versions``.

Version 3 adds, for an assessed class: each class's seed (its own numbers in every lesson), the
lessons a trainer has unlocked and those whose predictions are frozen (revealed at least once),
a learner's link token and browser binding (both stored hashed) and removal, and the log of every
answer with its time.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import Connection

from .database import Database, run

SCHEMA_VERSION = 3
STORE = "classroom"

_TABLES_V2 = (
    """CREATE TABLE IF NOT EXISTS sessions (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
)""",
    """CREATE TABLE IF NOT EXISTS reveals (
    code TEXT NOT NULL REFERENCES sessions(code),
    lesson TEXT NOT NULL,
    PRIMARY KEY (code, lesson)
)""",
    """CREATE TABLE IF NOT EXISTS learners (
    code TEXT NOT NULL REFERENCES sessions(code),
    learner_id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE "NOCASE",
    joined_at TEXT NOT NULL,
    PRIMARY KEY (code, learner_id),
    UNIQUE (code, name)
)""",
    """CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL,
    learner_id TEXT NOT NULL,
    lesson TEXT NOT NULL,
    kind TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    correct INTEGER,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (code, learner_id, lesson, kind),
    FOREIGN KEY (code, learner_id) REFERENCES learners(code, learner_id)
)""",
    """CREATE TABLE IF NOT EXISTS failed_joins (
    at DOUBLE PRECISION NOT NULL,
    client TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS failed_joins_at ON failed_joins (at)",
)

_TABLES_V3 = (
    "ALTER TABLE sessions ADD COLUMN seed BIGINT",
    "ALTER TABLE learners ADD COLUMN link_sha256 TEXT",
    "ALTER TABLE learners ADD COLUMN browser_sha256 TEXT",
    "ALTER TABLE learners ADD COLUMN removed_at TEXT",
    "CREATE UNIQUE INDEX IF NOT EXISTS learners_link ON learners (link_sha256)",
    """CREATE TABLE IF NOT EXISTS unlocks (
    code TEXT NOT NULL REFERENCES sessions(code),
    lesson TEXT NOT NULL,
    unlocked_at TEXT NOT NULL,
    PRIMARY KEY (code, lesson)
)""",
    """CREATE TABLE IF NOT EXISTS freezes (
    code TEXT NOT NULL REFERENCES sessions(code),
    lesson TEXT NOT NULL,
    frozen_at TEXT NOT NULL,
    PRIMARY KEY (code, lesson)
)""",
    """CREATE TABLE IF NOT EXISTS answer_log (
    code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    learner_id TEXT NOT NULL,
    lesson TEXT NOT NULL,
    kind TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    correct INTEGER,
    answered_at TEXT NOT NULL,
    counted INTEGER NOT NULL,
    PRIMARY KEY (code, seq),
    FOREIGN KEY (code, learner_id) REFERENCES learners(code, learner_id)
)""",
)


def token_hash(token: str) -> str:
    """How a secret, link or browser token is stored: its SHA-256 (tokens are random, 96 bits or more)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def seed_of_code(code: str) -> int:
    """The seed of a class started before classes had their own: read from its code."""
    return int.from_bytes(hashlib.sha256(f"class {code}".encode()).digest()[:7], "big")


def upgrade(db: Database, conn: Connection) -> None:
    """Bring the store on ``conn`` to :data:`SCHEMA_VERSION` inside the caller's (write) transaction."""
    version = db.schema_version(conn, STORE)
    if version >= SCHEMA_VERSION:
        return
    db.prepare(conn)
    if version < 2:
        for statement in _TABLES_V2:
            run(conn, statement)
    for statement in _TABLES_V3:
        run(conn, statement)
    _fill_v3(conn)
    db.set_schema_version(conn, STORE, SCHEMA_VERSION)


def _fill_v3(conn: Connection) -> None:
    # classes, learners and answers of version 2 keep working: a class's seed from its code, a
    # learner's link is the id their address already holds (unbound), every answer counted and logged
    for (code,) in run(conn, "SELECT code FROM sessions WHERE seed IS NULL").fetchall():
        run(conn, "UPDATE sessions SET seed = ? WHERE code = ?", (seed_of_code(code), code))
    for code, learner in run(conn, "SELECT code, learner_id FROM learners WHERE link_sha256 IS NULL").fetchall():
        run(conn, "UPDATE learners SET link_sha256 = ? WHERE code = ? AND learner_id = ?",
                     (token_hash(learner), code, learner))  # fmt: skip
    for code, lesson in run(conn, "SELECT code, lesson FROM reveals").fetchall():
        for table, column in (("unlocks", "unlocked_at"), ("freezes", "frozen_at")):
            run(conn, f"INSERT INTO {table} (code, lesson, {column}) VALUES (?, ?, ?)", (code, lesson, ""))
    rows = run(
        conn,
        "SELECT code, learner_id, lesson, kind, value, correct, answered_at FROM answers ORDER BY code, answered_at",
    ).fetchall()
    seq: dict[str, int] = {}
    for code, learner, lesson, kind, value, correct, at in rows:
        seq[code] = seq.get(code, 0) + 1
        run(
            conn,
            "INSERT INTO answer_log (code, seq, learner_id, lesson, kind, value, correct, answered_at, counted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (code, seq[code], learner, lesson, kind, value, correct, at),
        )
