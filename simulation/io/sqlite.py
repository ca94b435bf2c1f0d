"""The data folder, the time of a change, and SQLite's own connection and transaction.

Every store keeps its tables in the data folder: ``directory`` when given, else the
``RETENTION_LAB_DATA_DIR`` environment variable, else ``./data``. The stores open their database
through :mod:`.database` (a SQLite file there, or PostgreSQL); :func:`connect` and :func:`atomic`
are SQLite's connection and ``BEGIN IMMEDIATE`` transaction for code that works on a file directly.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

DATA_DIR_ENV = "RETENTION_LAB_DATA_DIR"
DEFAULT_DATA_DIR = "data"
# how long a write waits for another session's write lock before SQLite reports "locked"
BUSY_TIMEOUT_SECONDS = 10.0


def data_dir(directory: str | os.PathLike | None = None) -> Path:
    """The data folder: ``directory``, else ``$RETENTION_LAB_DATA_DIR``, else ``./data``."""
    if directory is not None and str(directory).strip():
        return Path(directory).expanduser()
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(env).expanduser() if env else Path(DEFAULT_DATA_DIR)


def connect(path: Path, *, create_folder: bool = False) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode (transactions are explicit, see :func:`atomic`)
    that waits up to :data:`BUSY_TIMEOUT_SECONDS` for another session's lock.

    With ``create_folder`` the file's folder is made first if missing (:class:`OSError` if it
    cannot be); :class:`sqlite3.Error` if the file cannot be opened.
    """
    if create_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)


@contextlib.contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction on ``conn``: committed when the block ends, rolled back if it raises.

    BEGIN IMMEDIATE takes the write lock before reading, so a check ("is the name free?") and
    the change it guards cannot be interleaved with another session's write.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether ``exc`` says another session held the lock longer than the busy timeout."""
    return "locked" in str(exc) or "busy" in str(exc)


def utc_now() -> str:
    """The time of a change as stored: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
