"""Class sessions of the Lessons page: codes, learners, their predictions and exercise answers.

Kept in SQLite in the same data folder as the saved scenarios (:func:`simulation.io.storage.data_dir`),
in a file of its own, ``classroom.sqlite3``, or in the PostgreSQL database of
``RETENTION_LAB_DATABASE_URL`` (:mod:`.database`), so sessions and answers survive a restart and
are shared by every app process. Every change is one transaction that takes the store's write lock
first: it happens completely or not at all, and what it checks cannot change before it writes. The
tables and their upgrades are in :mod:`.classroom_schema`.

A trainer starts a session and gets a short code (for learners) and a secret (for the trainer's
view); only the secret's SHA-256 is stored and a secret given is compared with it in constant time.
Each class has its own seed, from which every lesson draws the class's own numbers
(:meth:`simulation.lessons.Lesson.class_start`). The trainer paces the class: learners answer only
the lessons the trainer has unlocked. Revealing a lesson's answer freezes its predictions: a
prediction given later is logged with its time but no longer changes the class's figures.

Learners join with the code and a display name, no account. Joining hands the learner a link token
(their way back to the class) bound to the browser token of the browser that joined; a seat whose
binding is empty (a link the trainer re-issued) is bound by the first browser that claims it. Both
tokens are stored hashed. The trainer can remove a learner (their answers leave the class's
figures and their link stops working) or re-issue their link (the old one stops working). Codes
and names arrive from links and forms, so both are validated (alphabet, length, no control
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
import hmac
import math
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from ..errors import InputError
from .cells import csv_text
from .classroom_schema import SCHEMA_VERSION, STORE, token_hash, upgrade
from .database import (
    Database,
    open_database,
    run,
    store_transaction,
)
from .sqlite import data_dir, utc_now

DB_FILE = "classroom.sqlite3"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
CODE_LENGTH = 6
NAME_MAX_CHARS = 30
TITLE_MAX_CHARS = 80
LESSON_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")  # link and browser tokens as they travel in an address
KINDS = ("prediction", "exercise")
CSV_COLUMNS = ("class_code", "learner", "learner_removed", "lesson", "kind", "value", "correct", "answered_at",
               "status", "in_class_figures")  # fmt: skip
FIRST, CHANGE, AFTER_REVEAL = "first", "change", "after reveal, not counted"
# Trying codes: 32**6 (about a billion) codes, a few open at a time. At most 10 wrong codes per
# session and 300 for everyone in 10 minutes: about 43,000 tries a day, years to find one class
# of ten open, while a room of learners mistyping a code now and then stays far below.
JOIN_WINDOW_SECONDS = 600.0
MAX_FAILED_JOINS_PER_CLIENT = 10
MAX_FAILED_JOINS = 300
LOCAL_CLIENT = "local"
NO_CLASS = "class code: no open class has the code {code}; check the code with your trainer"
NO_SEAT = (
    "learner link: not valid for this class any more (the trainer re-issued it or removed the learner); "
    "join again with the code, or ask your trainer for your link"
)
SEAT_TAKEN = "learner link: already in use in another browser; ask your trainer to re-issue your link"


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
    unlocked: frozenset[str] = frozenset()
    frozen: frozenset[str] = frozenset()
    seed: int = 0

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class StartedClass:
    """A new session's code and its trainer secret (the only time the store returns the secret)."""

    code: str
    secret: str


@dataclass(frozen=True)
class RosterEntry:
    """A learner as the trainer's roster shows them: who, since when, and which lessons they predicted."""

    learner_id: str
    name: str
    joined_at: str
    bound: bool  # a browser holds the seat (False after a re-issue, until the new link is opened)
    predicted: frozenset[str]


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


def _check_token(token, what: str) -> str:
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise ClassroomError(f"{what}: not a valid token; open the link you were given")
    return token


def _check_value(kind, value) -> float:
    if kind not in KINDS:
        raise ClassroomError(f"kind: must be one of {', '.join(KINDS)}; got {str(kind)[:20]!r}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClassroomError(f"{kind}: must be a finite number")
    return float(value)


def _same_hash(stored: str | None, token: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, token_hash(token))


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

    @property
    def database(self) -> Database:
        """Where the classes are kept: :attr:`path`, or the PostgreSQL database."""
        try:
            return open_database(DB_FILE, self.directory)
        except ValueError as exc:
            raise ClassroomError(str(exc)) from None

    # Connection -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction on the store (with its write lock when ``write``), upgraded first if it is older."""
        db = self.database
        with store_transaction(
            db, ClassroomError, "the class store", STORE, SCHEMA_VERSION, upgrade, write=write, noun="class store"
        ) as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._connect(write=True) as conn:
            yield conn

    @staticmethod
    def _session_row(conn, code: str):
        row = run(conn, "SELECT code, title, created_at, closed_at, secret_sha256, seed FROM sessions "
                           "WHERE code = ?", (code,)).fetchone()  # fmt: skip
        if row is None:
            raise ClassroomError(f"class code: no class {code} was found; check the code with your trainer")
        return row

    def _trainer(self, conn, code: str, secret) -> tuple:
        row = self._session_row(conn, code)
        if not isinstance(secret, str) or not _same_hash(row[4], secret.strip()):
            raise ClassroomError("trainer secret: does not match this class")
        return row

    @staticmethod
    def _lessons(conn, table: str, code: str) -> frozenset[str]:
        return frozenset(r[0] for r in run(conn, f"SELECT lesson FROM {table} WHERE code = ?", (code,)))

    @staticmethod
    def _seat(conn, code: str, link, browser=None) -> tuple[str, str, str | None]:
        """``(learner_id, name, browser_sha256)`` of the learner holding ``link``; checked against ``browser``."""
        link = _check_token(link, "learner link")
        row = run(
            conn,
            "SELECT learner_id, name, browser_sha256 FROM learners WHERE code = ? AND link_sha256 = ? "
            "AND removed_at IS NULL",
            (code, token_hash(link)),
        ).fetchone()
        if row is None:
            raise ClassroomError(NO_SEAT)
        if browser is not None and row[2] is not None and not _same_hash(row[2], _check_token(browser, "browser")):
            raise ClassroomError(SEAT_TAKEN)
        return row

    # Trainer ------------------------------------------------------------------------------
    def start(self, title: str = "Class", seed: int | None = None) -> StartedClass:
        """Start a session; the returned secret is not stored (only its hash) and is not returned again.

        ``seed`` (a non-negative integer) fixes the class's own numbers; by default it is random.
        """
        title = clean_title(title)
        seed = secrets.randbits(48) if seed is None else int(seed)
        secret = secrets.token_urlsafe(18)
        with self._transaction() as conn:
            for _ in range(20):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if run(conn, "SELECT 1 FROM sessions WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:  # pragma: no cover - 32**6 codes; twenty collisions in a row do not happen
                raise ClassroomError("could not find a free class code; try again")
            run(conn, "INSERT INTO sessions (code, title, secret_sha256, created_at, seed) VALUES (?, ?, ?, ?, ?)",
                         (code, title, token_hash(secret), utc_now(), seed))  # fmt: skip
        return StartedClass(code=code, secret=secret)

    def verify(self, code, secret) -> bool:
        """Whether ``secret`` is the trainer secret of class ``code`` (compared in constant time)."""
        try:
            with self._connect() as conn:
                self._trainer(conn, clean_code(code), secret)
        except ClassroomError:
            return False
        return True

    def set_unlocked(self, code, secret, lesson: str, unlocked: bool) -> None:
        """Open a lesson to the class's learners, or close it again (their answers stay)."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        with self._transaction() as conn:
            self._trainer(conn, code, secret)
            if unlocked:
                run(conn, "INSERT INTO unlocks (code, lesson, unlocked_at) VALUES (?, ?, ?) "
                             "ON CONFLICT (code, lesson) DO NOTHING", (code, lesson, utc_now()))  # fmt: skip
            else:
                run(conn, "DELETE FROM unlocks WHERE code = ? AND lesson = ?", (code, lesson))

    def set_revealed(self, code, secret, lesson: str, revealed: bool) -> None:
        """Show or hide a lesson's answer to the learners; the first reveal freezes the lesson's predictions."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        with self._transaction() as conn:
            self._trainer(conn, code, secret)
            if not revealed:
                run(conn, "DELETE FROM reveals WHERE code = ? AND lesson = ?", (code, lesson))
                return
            if lesson not in self._lessons(conn, "unlocks", code):
                raise ClassroomError(f"lesson {lesson}: unlock it for the class before revealing its answer")
            run(conn, "INSERT INTO reveals (code, lesson) VALUES (?, ?) ON CONFLICT (code, lesson) DO NOTHING",
                         (code, lesson))  # fmt: skip
            run(conn, "INSERT INTO freezes (code, lesson, frozen_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (code, lesson) DO NOTHING", (code, lesson, utc_now()))  # fmt: skip

    def close(self, code, secret) -> None:
        """Close the session: learners can no longer join or answer; answers stay for export."""
        code = clean_code(code)
        with self._transaction() as conn:
            self._trainer(conn, code, secret)
            run(conn, "UPDATE sessions SET closed_at = ? WHERE code = ? AND closed_at IS NULL", (utc_now(), code))

    def roster(self, code, secret) -> list[RosterEntry]:
        """The learners in the class (removed ones left out), by name, with the lessons each has predicted."""
        code = clean_code(code)
        with self._connect() as conn:
            self._trainer(conn, code, secret)
            learners = run(
                conn,
                "SELECT learner_id, name, joined_at, browser_sha256 FROM learners WHERE code = ? "
                "AND removed_at IS NULL ORDER BY name",
                (code,),
            ).fetchall()
            predicted: dict[str, set[str]] = {}
            for learner, lesson in run(
                conn, "SELECT learner_id, lesson FROM answers WHERE code = ? AND kind = 'prediction'", (code,)
            ):
                predicted.setdefault(learner, set()).add(lesson)
        return [RosterEntry(learner_id=i, name=n, joined_at=at, bound=b is not None,
                            predicted=frozenset(predicted.get(i, ()))) for i, n, at, b in learners]  # fmt: skip

    def remove(self, code, secret, learner_id: str) -> None:
        """Remove a learner: their answers leave the class's figures and their link stops working."""
        code = clean_code(code)
        with self._transaction() as conn:
            self._trainer(conn, code, secret)
            gone = run(conn, "UPDATE learners SET removed_at = ? WHERE code = ? AND learner_id = ? "
                                "AND removed_at IS NULL", (utc_now(), code, str(learner_id))).rowcount  # fmt: skip
            if not gone:
                raise ClassroomError("learner: not in this class (already removed?)")

    def reissue(self, code, secret, learner_id: str) -> str:
        """A new link for a learner: the old one stops working; the first browser to open the new one holds it."""
        code = clean_code(code)
        link = secrets.token_urlsafe(12)
        with self._transaction() as conn:
            self._trainer(conn, code, secret)
            changed = run(
                conn,
                "UPDATE learners SET link_sha256 = ?, browser_sha256 = NULL WHERE code = ? AND learner_id = ? "
                "AND removed_at IS NULL",
                (token_hash(link), code, str(learner_id)),
            ).rowcount
            if not changed:
                raise ClassroomError("learner: not in this class (removed?)")
        return link

    def export_csv(self, code, secret) -> str:
        """Every answer of the class as CSV (trainer only): one row per answer given, in the order given.

        ``status`` says whether it was the learner's first answer of that lesson and kind, a later
        change, or a prediction given after the answer was revealed (kept, not counted);
        ``in_class_figures`` marks the answer the class's figures count.
        """
        code = clean_code(code)
        with self._connect() as conn:
            self._trainer(conn, code, secret)
            rows = run(
                conn,
                "SELECT g.code, l.name, l.removed_at, g.lesson, g.kind, g.value, g.correct, g.answered_at, "
                "g.counted, g.seq, l.learner_id FROM answer_log g JOIN learners l ON l.code = g.code "
                "AND l.learner_id = g.learner_id WHERE g.code = ? ORDER BY l.name, g.lesson, g.kind, g.seq",
                (code,),
            ).fetchall()
        return csv_text(_export_rows(rows), CSV_COLUMNS)

    def learner_count(self, code) -> int:
        """Learners in the class (removed ones not counted)."""
        code = clean_code(code)
        with self._connect() as conn:
            self._session_row(conn, code)
            return run(conn, "SELECT COUNT(*) FROM learners WHERE code = ? AND removed_at IS NULL",
                                (code,)).fetchone()[0]  # fmt: skip

    def predictions(self, code, lesson: str) -> list[float]:
        """The class's counted predictions for a lesson, without names (what the trainer's chart draws)."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        with self._connect() as conn:
            self._session_row(conn, code)
            rows = run(
                conn,
                "SELECT a.value FROM answers a JOIN learners l ON l.code = a.code AND l.learner_id = a.learner_id "
                "WHERE a.code = ? AND a.lesson = ? AND a.kind = 'prediction' AND l.removed_at IS NULL "
                "ORDER BY a.value",
                (code, lesson),
            ).fetchall()
        return [r[0] for r in rows]

    def exercise_results(self, code, lesson: str) -> tuple[int, int]:
        """``(answered, correct)`` for a lesson's exercise (latest answer of each learner in the class)."""
        code, lesson = clean_code(code), _check_lesson(lesson)
        with self._connect() as conn:
            self._session_row(conn, code)
            answered, correct = run(
                conn,
                "SELECT COUNT(*), COALESCE(SUM(a.correct), 0) FROM answers a JOIN learners l ON l.code = a.code "
                "AND l.learner_id = a.learner_id WHERE a.code = ? AND a.lesson = ? AND a.kind = 'exercise' "
                "AND l.removed_at IS NULL",
                (code, lesson),
            ).fetchone()
        return int(answered), int(correct)

    # Learners ------------------------------------------------------------------------------
    def session(self, code) -> ClassSession:
        """The session of ``code``: title, state, its seed, and which lessons are unlocked, revealed, frozen."""
        code = clean_code(code)
        with self._connect() as conn:
            c, title, created, closed, _, seed = self._session_row(conn, code)
            sets = {table: self._lessons(conn, table, code) for table in ("reveals", "unlocks", "freezes")}
        return ClassSession(code=c, title=title, created_at=created, closed_at=closed, revealed=sets["reveals"],
                            unlocked=sets["unlocks"], frozen=sets["freezes"], seed=int(seed))  # fmt: skip

    def join(self, code, name, client: str | None = None, browser: str | None = None) -> str:
        """Join class ``code`` as ``name``; returns the learner's link token. Names are unique in a class.

        ``browser`` (a random token the learner's browser keeps) binds the seat at once; without it,
        the first :meth:`claim` binds it. ``client`` names who is joining (the app gives each browser
        session its own id): codes that find no open class are counted per client and for everyone,
        and too many refuse every join for a while (see the module's notes). A closed class is not found.
        """
        code, name = clean_code(code), clean_name(name)
        bound = None if browser is None else token_hash(_check_token(browser, "browser"))
        client = str(client or LOCAL_CLIENT)
        learner_id, link = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        found = False
        with self._transaction() as conn:
            self._check_join_rate(conn, client)
            row = run(conn, "SELECT closed_at FROM sessions WHERE code = ?", (code,)).fetchone()
            found = row is not None and row[0] is None
            if not found:
                run(conn, "INSERT INTO failed_joins (at, client) VALUES (?, ?)", (time.time(), client))
        if not found:  # raised after the commit, so that the failure stays counted
            raise ClassroomError(NO_CLASS.format(code=code))
        with self._transaction() as conn:
            row = self._session_row(conn, code)
            if row[3] is not None:
                raise ClassroomError(NO_CLASS.format(code=code))
            taken = run(conn, "SELECT 1 FROM learners WHERE code = ? AND name = ?", (code, name)).fetchone()
            if taken:
                raise ClassroomError("display name: someone in this class already uses it; add an initial")
            run(
                conn,
                "INSERT INTO learners (code, learner_id, name, joined_at, link_sha256, browser_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (code, learner_id, name, utc_now(), token_hash(link), bound),
            )
        return link

    @staticmethod
    def _check_join_rate(conn: Connection, client: str) -> None:
        """Refuse a join while too many codes have failed, for this client or for everyone, in the window."""
        now = time.time()
        since = now - JOIN_WINDOW_SECONDS
        run(conn, "DELETE FROM failed_joins WHERE at < ?", (since,))
        mine, first_mine = run(
            conn, "SELECT COUNT(*), MIN(at) FROM failed_joins WHERE client = ? AND at >= ?", (client, since)
        ).fetchone()
        everyone, first = run(conn, "SELECT COUNT(*), MIN(at) FROM failed_joins WHERE at >= ?", (since,)).fetchone()
        if mine >= MAX_FAILED_JOINS_PER_CLIENT or everyone >= MAX_FAILED_JOINS:
            oldest = first_mine if mine >= MAX_FAILED_JOINS_PER_CLIENT else first
            wait = max(1, math.ceil(oldest + JOIN_WINDOW_SECONDS - now))
            raise ClassroomError(
                f"class code: too many codes that found no class were tried; try again in {wait:,} s, "
                "with the code your trainer gives"
            )

    def claim(self, code, link, browser) -> str:
        """Take the seat of ``link`` in this browser: binds an unbound seat; returns the learner's own name.

        :class:`ClassroomError` when the link is no longer valid or another browser holds it.
        """
        code, browser = clean_code(code), _check_token(browser, "browser")
        with self._transaction() as conn:
            learner_id, name, bound = self._seat(conn, code, link, browser)
            if bound is None:
                run(conn, "UPDATE learners SET browser_sha256 = ? WHERE code = ? AND learner_id = ?",
                             (token_hash(browser), code, learner_id))  # fmt: skip
        return name

    def learner_name(self, code, link, browser: str | None = None) -> str | None:
        """The learner's own display name (only ever shown back to that learner), or None if the link is not valid."""
        code = clean_code(code)
        try:
            with self._connect() as conn:
                return self._seat(conn, code, link, browser)[1]
        except ClassroomError:
            return None

    def record(self, code, link, lesson: str, kind: str, value: float, correct: bool | None = None, *,
               browser: str | None = None) -> bool:  # fmt: skip
        """Store a learner's prediction or exercise answer; returns whether it counts in the class's figures.

        Every answer is logged with its time. A later answer replaces an earlier one in the figures,
        except a prediction given once the lesson's answer has been revealed (the lesson is frozen):
        that one is only logged. The lesson must be unlocked and the class open.
        """
        code, lesson = clean_code(code), _check_lesson(lesson)
        value = _check_value(kind, value)
        with self._transaction() as conn:
            row = self._session_row(conn, code)
            if row[3] is not None:
                raise ClassroomError(f"class {code} has been closed by the trainer; answers are no longer taken")
            learner_id = self._seat(conn, code, link, browser)[0]
            if lesson not in self._lessons(conn, "unlocks", code):
                raise ClassroomError(f"lesson {lesson}: your trainer has not opened it for the class")
            counted = kind == "exercise" or lesson not in self._lessons(conn, "freezes", code)
            now, flag = utc_now(), None if correct is None else int(bool(correct))
            if counted:
                run(
                    conn,
                    "INSERT INTO answers (code, learner_id, lesson, kind, value, correct, answered_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, learner_id, lesson, kind) DO UPDATE SET "
                    "value = excluded.value, correct = excluded.correct, answered_at = excluded.answered_at",
                    (code, learner_id, lesson, kind, value, flag, now),
                )
            self._log(conn, code, learner_id, lesson, kind, value, flag, now, counted)
        return counted

    @staticmethod
    def _log(conn, code, learner_id, lesson, kind, value, correct, at, counted) -> None:
        seq = run(conn, "SELECT COALESCE(MAX(seq), 0) + 1 FROM answer_log WHERE code = ?", (code,)).fetchone()[0]
        run(
            conn,
            "INSERT INTO answer_log (code, seq, learner_id, lesson, kind, value, correct, answered_at, counted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (code, seq, learner_id, lesson, kind, value, correct, at, int(counted)),
        )

    def own_answers(self, code, link, browser: str | None = None) -> dict[tuple[str, str], float]:
        """A learner's own answers, ``{(lesson, kind): value}``: the counted one, else the latest given."""
        code = clean_code(code)
        with self._connect() as conn:
            learner_id = self._seat(conn, code, link, browser)[0]
            rows = run(conn, "SELECT lesson, kind, value, counted FROM answer_log WHERE code = ? "
                                "AND learner_id = ? ORDER BY seq", (code, learner_id)).fetchall()  # fmt: skip
        latest = {(lesson, kind): value for lesson, kind, value, _ in rows}
        counted = {(lesson, kind): value for lesson, kind, value, c in rows if c}
        return latest | counted


def _export_rows(rows) -> Iterator[list]:
    # rows in the order given per learner, lesson and kind: the first, the later changes, and which one counts
    rows = list(rows)
    current = {}
    for row in rows:
        if row[8]:
            current[(row[10], row[3], row[4])] = row[9]
    seen = set()
    for c, name, removed, lesson, kind, value, correct, at, counted, seq, learner in rows:
        key = (learner, lesson, kind)
        status = FIRST if key not in seen else (CHANGE if counted else AFTER_REVEAL)
        if not counted:
            status = AFTER_REVEAL
        seen.add(key)
        yield [c, name, "yes" if removed else "no", lesson, kind, value,
               "" if correct is None else ("yes" if correct else "no"), at, status,
               "yes" if current.get(key) == seq else "no"]  # fmt: skip
