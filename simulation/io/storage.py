"""Saved scenarios: a small SQLite library in a data folder.

The folder is the ``directory`` given to :class:`ScenarioStore`, else the
``RETENTION_LAB_DATA_DIR`` environment variable, else ``./data``. The library is
one file, ``scenarios.sqlite3``, so it survives restarts and can be copied or
backed up as a whole. Each scenario is stored as its canonical JSON (every
field, floats exact), so what is opened is exactly what was saved.

Every change is one SQLite transaction: it happens completely or not at all,
and two people saving at the same moment cannot corrupt the file. Names are
unique regardless of case; a bad or taken name, a missing scenario, or an
unreadable library raises :class:`StorageError` with a message that says what
to do, and nothing stored is changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import InputError
from ..model.scenario import Scenario, ScenarioError, scenario_from_dict

DATA_DIR_ENV = "RETENTION_LAB_DATA_DIR"
DEFAULT_DATA_DIR = "data"
DB_FILE = "scenarios.sqlite3"
NAME_MAX_CHARS = 80
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    title TEXT NOT NULL,
    scenario_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


class StorageError(InputError):
    """A saved-scenario request that cannot be carried out; nothing stored was changed."""


@dataclass(frozen=True)
class SavedScenario:
    """One entry of the library: its name, the scenario's own title, and when it was saved (UTC, ISO 8601)."""

    name: str
    title: str
    created_at: str
    updated_at: str


def data_dir(directory: str | os.PathLike | None = None) -> Path:
    """The data folder: ``directory``, else ``$RETENTION_LAB_DATA_DIR``, else ``./data``."""
    if directory is not None and str(directory).strip():
        return Path(directory).expanduser()
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(env).expanduser() if env else Path(DEFAULT_DATA_DIR)


def clean_name(name: str) -> str:
    """A saved scenario's name, tidied (spaces collapsed), or :class:`StorageError` saying what is allowed."""
    if not isinstance(name, str):
        raise StorageError("the scenario name must be text")
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        raise StorageError("give the scenario a name (it is empty)")
    if len(text) > NAME_MAX_CHARS:
        raise StorageError(f"the scenario name is {len(text)} characters long; at most {NAME_MAX_CHARS} are allowed")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise StorageError("the scenario name contains control characters; use letters, digits and punctuation")
    return text


class ScenarioStore:
    """The saved-scenario library in one data folder.

    Parameters
    ----------
    directory : path-like, optional
        The data folder (see :func:`data_dir`); created on the first save.
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = data_dir(directory)
        self.path = self.directory / DB_FILE

    # Connection -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if write:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the data folder {self.directory}: {exc.strerror}") from None
        elif not self.path.exists():
            yield None
            return
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the scenario library {self.path}: {exc}") from None
        try:
            conn.execute("PRAGMA synchronous = FULL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"the scenario library {self.path} was written by a newer version of the app; "
                    "open it with that version"
                )
            if write and version < SCHEMA_VERSION:
                conn.execute(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            yield conn
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StorageError(
                    "the scenario library is busy with another change; nothing was changed, try again"
                ) from None
            raise StorageError(
                f"the scenario library {self.path} cannot be used ({exc}); nothing was changed"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"the scenario library {self.path} cannot be read ({exc}); nothing was changed. "
                "Move the file away to start a new library, or restore it from a backup"
            ) from None
        finally:
            conn.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock before reading, so a check ("is the name free?")
        # and the change it guards cannot be interleaved with another session's write.
        with self._connect(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")

    @staticmethod
    def _find(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
        return conn.execute(
            "SELECT name, title, scenario_json, created_at, updated_at FROM scenarios WHERE name = ?", (name,)
        ).fetchone()

    # Reading ----------------------------------------------------------------------------
    def list(self) -> list[SavedScenario]:
        """Every saved scenario, by name (case-insensitive)."""
        with self._connect(write=False) as conn:
            if conn is None or not self._has_table(conn):
                return []
            rows = conn.execute(
                "SELECT name, title, created_at, updated_at FROM scenarios ORDER BY name COLLATE NOCASE"
            ).fetchall()
        return [SavedScenario(*row) for row in rows]

    def names(self) -> list[str]:
        """Names of every saved scenario, by name."""
        return [entry.name for entry in self.list()]

    def exists(self, name: str) -> bool:
        """Whether a scenario of this name (any case) is saved."""
        key = clean_name(name)
        with self._connect(write=False) as conn:
            return conn is not None and self._has_table(conn) and self._find(conn, key) is not None

    def load(self, name: str) -> Scenario:
        """The saved scenario called ``name``, exactly as it was saved."""
        key = clean_name(name)
        with self._connect(write=False) as conn:
            row = self._find(conn, key) if conn is not None and self._has_table(conn) else None
        if row is None:
            raise StorageError(f"no saved scenario is called {key!r}")
        try:
            return scenario_from_dict(json.loads(row[2]))
        except json.JSONDecodeError:
            raise StorageError(f"the saved scenario {row[0]!r} is damaged and cannot be opened") from None
        except ScenarioError as exc:
            raise StorageError(
                f"the saved scenario {row[0]!r} no longer passes the app's checks: {exc.describe()}"
            ) from None

    @staticmethod
    def _has_table(conn: sqlite3.Connection) -> bool:
        return (
            conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'scenarios'").fetchone()
            is not None
        )

    # Writing ----------------------------------------------------------------------------
    def save(self, name: str, scenario: Scenario, *, replace: bool = False) -> SavedScenario:
        """Save ``scenario`` as ``name``; a taken name is an error unless ``replace`` is true."""
        key = clean_name(name)
        if not isinstance(scenario, Scenario):
            raise StorageError("only a validated scenario can be saved")
        now = self._now()
        with self._transaction() as conn:
            row = self._find(conn, key)
            if row is not None and not replace:
                raise StorageError(f"a saved scenario is already called {row[0]!r}: choose another name, or replace it")
            created = row[3] if row is not None else now
            conn.execute("DELETE FROM scenarios WHERE name = ?", (key,))
            conn.execute(
                "INSERT INTO scenarios (name, title, scenario_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (key, scenario.name, scenario.canonical_json(), created, now),
            )
        return SavedScenario(key, scenario.name, created, now)

    def rename(self, name: str, new_name: str) -> SavedScenario:
        """Give a saved scenario a new name (a change of case only is allowed)."""
        key, new_key = clean_name(name), clean_name(new_name)
        now = self._now()
        with self._transaction() as conn:
            row = self._find(conn, key)
            if row is None:
                raise StorageError(f"no saved scenario is called {key!r}")
            clash = self._find(conn, new_key)
            if clash is not None and clash[0].casefold() != row[0].casefold():
                raise StorageError(f"a saved scenario is already called {clash[0]!r}: choose another name")
            conn.execute("UPDATE scenarios SET name = ?, updated_at = ? WHERE name = ?", (new_key, now, row[0]))
        return SavedScenario(new_key, row[1], row[3], now)

    def duplicate(self, name: str, new_name: str | None = None) -> SavedScenario:
        """Copy a saved scenario under ``new_name`` (default: ``"<name> (copy)"``, numbered if taken)."""
        key = clean_name(name)
        now = self._now()
        with self._transaction() as conn:
            row = self._find(conn, key)
            if row is None:
                raise StorageError(f"no saved scenario is called {key!r}")
            if new_name is None:
                target = self._free_copy_name(conn, row[0])
            else:
                target = clean_name(new_name)
                clash = self._find(conn, target)
                if clash is not None:
                    raise StorageError(f"a saved scenario is already called {clash[0]!r}: choose another name")
            conn.execute(
                "INSERT INTO scenarios (name, title, scenario_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (target, row[1], row[2], now, now),
            )
        return SavedScenario(target, row[1], now, now)

    def delete(self, name: str) -> None:
        """Remove a saved scenario."""
        key = clean_name(name)
        with self._transaction() as conn:
            if conn.execute("DELETE FROM scenarios WHERE name = ?", (key,)).rowcount == 0:
                raise StorageError(f"no saved scenario is called {key!r}")

    def _free_copy_name(self, conn: sqlite3.Connection, name: str) -> str:
        stem = re.sub(r" \(copy(?: \d+)?\)$", "", name)
        for i in range(1, 10_000):
            suffix = " (copy)" if i == 1 else f" (copy {i})"
            candidate = stem[: NAME_MAX_CHARS - len(suffix)] + suffix
            if self._find(conn, candidate) is None:
                return candidate
        raise StorageError(f"too many copies of {name!r}; give the copy a name")
