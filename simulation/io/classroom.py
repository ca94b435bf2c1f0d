"""Class sessions of the Lessons page: codes, learners, their predictions and exercise answers.

Kept in SQLite in the same data folder as the saved scenarios (:func:`simulation.io.storage.data_dir`),
in a file of its own, ``classroom.sqlite3``, so sessions and answers survive a restart. Every change
is one transaction (``BEGIN IMMEDIATE``): it happens completely or not at all.

A trainer starts a session and gets a short code (for learners) and a secret (for the trainer's
view), shown once; only the secret's SHA-256 is stored. Learners join with the code and a display
name, no account; the store hands each learner an opaque id that their browser session keeps.
Codes and names arrive from links and forms, so both are validated (alphabet, length, no control
characters) and names are only ever returned to the trainer.

A code is short enough to type, so it could be found by trying codes: joins with a code that finds
no open class are counted in the store (so the count holds across processes and restarts), per
client (a browser session) and for everyone, over :data:`JOIN_WINDOW_SECONDS`; beyond
:data:`MAX_FAILED_JOINS_PER_CLIENT` or :data:`MAX_FAILED_JOINS` every join is refused until the
window has moved on. A closed class's code is retired: it no longer finds the class for joining
(the same message as a code never given out), while the trainer can still open and export it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import os
import re
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import InputError
from .cells import csv_text
from .sqlite import atomic, connect, data_dir, is_busy, utc_now

DB_FILE = "classroom.sqlite3"
SCHEMA_VERSION = 2
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
CODE_LENGTH = 6
NAME_MAX_CHARS = 30
TITLE_MAX_CHARS = 80
LESSON_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
KINDS = ("prediction", "exercise")
CSV_COLUMNS = ("class_code", "learner", "lesson", "kind", "value", "correct", "answered_at")
# Trying codes: 32**6 (about a billion) codes, a few open at a time. At most 10 wrong codes per
# session and 300 for everyone in 10 minutes: about 43,000 tries a day, years to find one class
# of ten open, while a room of learners mistyping a code now and then stays far below.
JOIN_WINDOW_SECONDS = 600.0
MAX_FAILED_JOINS_PER_CLIENT = 10
MAX_FAILED_JOINS = 300
LOCAL_CLIENT = "local"
NO_CLASS = "class code: no open class has the code {code}; check the code with your trainer"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE IF NOT EXISTS reveals (
    code TEXT NOT NULL REFERENCES sessions(code),
    lesson TEXT NOT NULL,
    PRIMARY KEY (code, lesson)
);
CREATE TABLE IF NOT EXISTS learners (
    code TEXT NOT NULL REFERENCES sessions(code),
    learner_id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (code, learner_id),
    UNIQUE (code, name)
);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL,
    learner_id TEXT NOT NULL,
    lesson TEXT NOT NULL,
    kind TEXT NOT NULL,
    value REAL NOT NULL,
    correct INTEGER,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (code, learner_id, lesson, kind),
    FOREIGN KEY (code, learner_id) REFERENCES learners(code, learner_id)
);
CREATE TABLE IF NOT EXISTS failed_joins (
    at REAL NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_joins_at ON failed_joins (at);
"""


class ClassroomError(InputError):
    """A class request that cannot be carried out; nothing stored was changed."""


@dataclass(frozen=True)
class ClassSession:
    """A class session as learners and trainers see it (no secret, no names)."""

    code: str
    title: str
    created_at: str
    closed_at: str | None
    revealed: frozenset[str]

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class StartedClass:
    """A new session's code and its trainer secret (the only time the secret is available)."""

    code: str
    secret: str


def clean_code(code) -> str:
    """A class code as stored (upper case, spaces removed), or :class:`ClassroomError` saying what a code is."""
    if not isinstance(code, str):
        raise ClassroomError("class code: must be text")
    text = "".join(code.split()).upper()
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        raise ClassroomError(
            f"class code: must be the {CODE_LENGTH} letters and digits the trainer gave (for example K7M2QX; "
            f"no 0, 1, I or O); got {len(text)} character(s)"
        )
    return text


def _clean_text(value, what: str, max_chars: int, *, default: str = "", empty: str = "", control: str = "") -> str:
    # a name or title as stored: NFC, spaces collapsed, ``default`` when that leaves nothing
    if not isinstance(value, str):
        raise ClassroomError(f"{what}: must be text")
    text = " ".join(unicodedata.normalize("NFC", value).split()) or default
    if not text:
        raise ClassroomError(f"{what}: {empty}")
    if len(text) > max_chars:
        raise ClassroomError(f"{what}: at most {max_chars} characters; got {len(text)}")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ClassroomError(f"{what}: contains control characters{control}")
    return text


def clean_name(name) -> str:
    """A display name, tidied (spaces collapsed), or :class:`ClassroomError` saying what is allowed."""
    return _clean_text(
        name,
        "display name",
        NAME_MAX_CHARS,
        empty="give a name the trainer will recognise (it is empty)",
        control="; use letters, digits and punctuation",
    )


def clean_title(title) -> str:
    return _clean_text(title, "class title", TITLE_MAX_CHARS, default="Class")


def _check_lesson(lesson) -> str:
    if not isinstance(lesson, str) or not LESSON_KEY.fullmatch(lesson):
        raise ClassroomError(f"lesson: not a lesson key; got {str(lesson)[:40]!r}")
    return lesson


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ClassroomStore:
    """Class sessions in one data folder.

    Parameters
    ----------
    directory : path-like, optional
        The data folder (see :func:`simulation.io.storage.data_dir`); created on the first write.
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = data_dir(directory)
        self.path = self.directory / DB_FILE

    # Connection -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = connect(self.path, create_folder=True)
        except (OSError, sqlite3.Error) as exc:
            raise ClassroomError(f"cannot open the class store in {self.directory}: {exc}") from None
        try:
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ClassroomError(f"the class store {self.path} was written by a newer version of the app")
            if version < SCHEMA_VERSION:
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            yield conn
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise ClassroomError("the class store is busy; nothing was changed, try again") from None
            raise ClassroomError(f"the class store {self.path} cannot be used ({exc}); nothing was changed") from None
        except sqlite3.DatabaseError as exc:
            raise ClassroomError(f"the class store {self.path} cannot be read ({exc}); nothing was changed") from None
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn, atomic(conn):
            yield conn

    def _session_row(self, conn, code: str):
        row = conn.execute("SELECT code, title, created_at, closed_at, secret_sha256 FROM sessions WHERE code = ?",
                           (code,)).fetchone()  # fmt: skip
        if row is None:
            raise ClassroomError(f"class code: no class {code} was found; check the code with your trainer")
        return row

    def _trainer(self, conn, code: str, secret) -> tuple:
        row = self._session_row(conn, code)
        if not isinstance(secret, str) or not hmac.compare_digest(_hash(secret.strip()), row[4]):
            raise ClassroomError("trainer secret: does not match this class")
        return row

    # Trainer ------------------------------------------------------------------------------
    def start(self, title: str = "Class") -> StartedClass:
        """Start a session; the returned secret is not stored (only its hash) and cannot be shown again."""
        title = clean_title(title)
        secret = secrets.token_urlsafe(12)
        with self._transaction() as conn:
            for _ in range(20):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if conn.execute("SELECT 1 FROM sessions WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:  # pragma: no cover - 32**6 codes; twenty collisions in a row do not happen
                raise ClassroomError("could not find a free class code; try again")
            conn.execute("INSERT INTO sessions (code, title, secret_sha256, created_at) VALUES (?, ?, ?, ?)",
                         (code, title, _hash(secret), utc_now()))  # fmt: skip
        return StartedClass(code=code, secret=secret)

    def verify(self, code, secret) -> bool:
        """Whether ``secret`` is the trainer secret of class ``code``."""
        try:
            with self._connect() as conn:
                self._trainer(conn, clean_code(code), secret)
        except ClassroomError:
            return False
        return True

    def set_revealed(self, code, secret, lesson: str, revealed: bool) -> None:
        """Show or hide a lesson's answer to the learners of the class."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        with self._transaction() as conn:
            self._trainer(conn, code, secret)
            if revealed:
                conn.execute("INSERT OR IGNORE INTO reveals (code, lesson) VALUES (?, ?)", (code, lesson))
            else:
                conn.execute("DELETE FROM reveals WHERE code = ? AND lesson = ?", (code, lesson))

    def close(self, code, secret) -> None:
        """Close the session: learners can no longer join or answer; answers stay for export."""
        code = clean_code(code)
        with self._transaction() as conn:
            self._trainer(conn, code, secret)
            conn.execute("UPDATE sessions SET closed_at = ? WHERE code = ? AND closed_at IS NULL", (utc_now(), code))

    def export_csv(self, code, secret) -> str:
        """Every answer of the class as CSV (trainer only): one row per learner, lesson and kind."""
        code = clean_code(code)
        with self._connect() as conn:
            self._trainer(conn, code, secret)
            rows = conn.execute(
                "SELECT a.code, l.name, a.lesson, a.kind, a.value, a.correct, a.answered_at FROM answers a "
                "JOIN learners l ON l.code = a.code AND l.learner_id = a.learner_id WHERE a.code = ? "
                "ORDER BY l.name COLLATE NOCASE, a.lesson, a.kind",
                (code,),
            ).fetchall()
        return csv_text(
            ([c, name, lesson, kind, value, "" if correct is None else ("yes" if correct else "no"), at]
             for c, name, lesson, kind, value, correct, at in rows),
            CSV_COLUMNS,
        )  # fmt: skip

    def learner_count(self, code) -> int:
        code = clean_code(code)
        with self._connect() as conn:
            self._session_row(conn, code)
            return conn.execute("SELECT COUNT(*) FROM learners WHERE code = ?", (code,)).fetchone()[0]

    def predictions(self, code, lesson: str) -> list[float]:
        """The class's predictions for a lesson, without names (what the trainer's chart draws)."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        with self._connect() as conn:
            self._session_row(conn, code)
            rows = conn.execute(
                "SELECT value FROM answers WHERE code = ? AND lesson = ? AND kind = 'prediction' ORDER BY value",
                (code, lesson),
            ).fetchall()
        return [r[0] for r in rows]

    def exercise_results(self, code, lesson: str) -> tuple[int, int]:
        """``(answered, correct)`` for a lesson's exercise (latest answer of each learner)."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        with self._connect() as conn:
            self._session_row(conn, code)
            answered, correct = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM answers WHERE code = ? AND lesson = ? "
                "AND kind = 'exercise'",
                (code, lesson),
            ).fetchone()
        return int(answered), int(correct)

    # Learners ------------------------------------------------------------------------------
    def session(self, code) -> ClassSession:
        """The session of ``code`` (learners' view: title, state and which answers are revealed)."""
        code = clean_code(code)
        with self._connect() as conn:
            c, title, created, closed, _ = self._session_row(conn, code)
            revealed = frozenset(r[0] for r in conn.execute("SELECT lesson FROM reveals WHERE code = ?", (code,)))
        return ClassSession(code=c, title=title, created_at=created, closed_at=closed, revealed=revealed)

    def join(self, code, name, client: str | None = None) -> str:
        """Join class ``code`` as ``name``; returns the learner's opaque id. Names are unique in a class.

        ``client`` names who is joining (the app gives each browser session its own id): codes that
        find no open class are counted per client and for everyone, and too many refuse every join
        for a while (see the module's notes). A closed class is not found.
        """
        code, name = clean_code(code), clean_name(name)
        client = str(client or LOCAL_CLIENT)
        learner_id = secrets.token_urlsafe(12)
        found = False
        with self._transaction() as conn:
            self._check_join_rate(conn, client)
            row = conn.execute("SELECT closed_at FROM sessions WHERE code = ?", (code,)).fetchone()
            found = row is not None and row[0] is None
            if not found:
                conn.execute("INSERT INTO failed_joins (at, client) VALUES (?, ?)", (time.time(), client))
        if not found:  # raised after the commit, so that the failure stays counted
            raise ClassroomError(NO_CLASS.format(code=code))
        with self._transaction() as conn:
            row = self._session_row(conn, code)
            if row[3] is not None:
                raise ClassroomError(NO_CLASS.format(code=code))
            taken = conn.execute("SELECT 1 FROM learners WHERE code = ? AND name = ?", (code, name)).fetchone()
            if taken:
                raise ClassroomError("display name: someone in this class already uses it; add an initial")
            conn.execute("INSERT INTO learners (code, learner_id, name, joined_at) VALUES (?, ?, ?, ?)",
                         (code, learner_id, name, utc_now()))  # fmt: skip
        return learner_id

    @staticmethod
    def _check_join_rate(conn: sqlite3.Connection, client: str) -> None:
        """Refuse a join while too many codes have failed, for this client or for everyone, in the window."""
        now = time.time()
        since = now - JOIN_WINDOW_SECONDS
        conn.execute("DELETE FROM failed_joins WHERE at < ?", (since,))
        mine, first_mine = conn.execute(
            "SELECT COUNT(*), MIN(at) FROM failed_joins WHERE client = ? AND at >= ?", (client, since)
        ).fetchone()
        everyone, first = conn.execute("SELECT COUNT(*), MIN(at) FROM failed_joins WHERE at >= ?", (since,)).fetchone()
        if mine >= MAX_FAILED_JOINS_PER_CLIENT or everyone >= MAX_FAILED_JOINS:
            oldest = first_mine if mine >= MAX_FAILED_JOINS_PER_CLIENT else first
            wait = max(1, math.ceil(oldest + JOIN_WINDOW_SECONDS - now))
            raise ClassroomError(
                f"class code: too many codes that found no class were tried; try again in {wait:,} s, "
                "with the code your trainer gives"
            )

    def learner_name(self, code, learner_id: str) -> str | None:
        """The learner's own display name (only ever shown back to that learner), or None if unknown."""
        code = clean_code(code)
        with self._connect() as conn:
            row = conn.execute("SELECT name FROM learners WHERE code = ? AND learner_id = ?",
                               (code, str(learner_id))).fetchone()  # fmt: skip
        return None if row is None else row[0]

    def record(self, code, learner_id: str, lesson: str, kind: str, value: float, correct: bool | None = None) -> None:
        """Store a learner's prediction or exercise answer (a later answer replaces an earlier one)."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        if kind not in KINDS:
            raise ClassroomError(f"kind: must be one of {', '.join(KINDS)}; got {str(kind)[:20]!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ClassroomError(f"{kind}: must be a finite number")
        with self._transaction() as conn:
            row = self._session_row(conn, code)
            if row[3] is not None:
                raise ClassroomError(f"class {code} has been closed by the trainer; answers are no longer taken")
            known = conn.execute("SELECT 1 FROM learners WHERE code = ? AND learner_id = ?",
                                 (code, str(learner_id))).fetchone()  # fmt: skip
            if known is None:
                raise ClassroomError("learner: not a member of this class; join it again with the code")
            conn.execute(
                "INSERT INTO answers (code, learner_id, lesson, kind, value, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, learner_id, lesson, kind) DO UPDATE SET "
                "value = excluded.value, correct = excluded.correct, answered_at = excluded.answered_at",
                (code, str(learner_id), lesson, kind, float(value), None if correct is None else int(bool(correct)),
                 utc_now()),
            )  # fmt: skip

    def own_answers(self, code, learner_id: str) -> dict[tuple[str, str], float]:
        """A learner's own answers, ``{(lesson, kind): value}`` (to resume after a reload)."""
        code = clean_code(code)
        with self._connect() as conn:
            rows = conn.execute("SELECT lesson, kind, value FROM answers WHERE code = ? AND learner_id = ?",
                                (code, str(learner_id))).fetchall()  # fmt: skip
        return {(lesson, kind): value for lesson, kind, value in rows}
