"""Where the stores keep their tables: a SQLite file in the data folder, or one PostgreSQL database.

Every store (saved scenarios and their short links, plan versions, class sessions) opens its
database here. With nothing set, each store keeps its own SQLite file in the data folder
(:func:`~simulation.io.sqlite.data_dir`): nothing to set up, and the folder can be copied or
backed up as a whole. When ``RETENTION_LAB_DATABASE_URL`` names a PostgreSQL database
(``postgresql://user:password@host:5432/name``), every store keeps its tables there instead, so
app processes on several machines share one library.

Both back ends keep the same tables and the same guarantees:

- A change is one transaction: it happens completely or not at all.
- A write takes its store's write lock before it reads (SQLite's ``BEGIN IMMEDIATE``; on
  PostgreSQL a transaction-scoped advisory lock, one per store file), so a check such as "is the
  name free?" and the change it guards cannot be interleaved with another process's write. A
  lock held longer than :data:`BUSY_TIMEOUT_SECONDS` ends the wait with a "busy" error.
- Names compare regardless of case (``COLLATE NOCASE``; on PostgreSQL a case-insensitive ICU
  collation of the same name).
- Each store's schema version is checked when it is opened: SQLite keeps it in the file's
  ``user_version``, PostgreSQL in the table ``schema_versions`` (one row per store).

A PostgreSQL connection is checked before it is used (``pool_pre_ping``), so after the server
restarts the next action reconnects; while it is down, actions fail with a message that says so
(:func:`describe`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from .sqlite import BUSY_TIMEOUT_SECONDS, data_dir

DATABASE_URL_ENV = "RETENTION_LAB_DATABASE_URL"
# Names compare regardless of case on both back ends; PostgreSQL gets a collation of this name.
NOCASE = "NOCASE"
_PG_NOCASE = (
    f"CREATE COLLATION IF NOT EXISTS \"{NOCASE}\" (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
)
_PG_VERSIONS = "CREATE TABLE IF NOT EXISTS schema_versions (store TEXT PRIMARY KEY, version INTEGER NOT NULL)"
# SQLSTATEs of PostgreSQL that mean "another change holds the lock" and "the server went away"
_PG_BUSY = {"55P03", "40001", "40P01"}
_PG_GONE_PREFIXES = ("08", "57P")


class DatabaseURLError(ValueError):
    """``RETENTION_LAB_DATABASE_URL`` names no database this app can use."""


def database_url(url: str | None = None, what: str = DATABASE_URL_ENV) -> URL | None:
    """The PostgreSQL database to use: ``url``, else ``$RETENTION_LAB_DATABASE_URL``; None for SQLite files.

    Raises
    ------
    DatabaseURLError
        The text is not a ``postgresql://`` URL.
    """
    text = (url if url is not None else os.environ.get(DATABASE_URL_ENV, "")).strip()
    if not text:
        return None
    try:
        parsed = make_url(text)
    except sa.exc.ArgumentError:
        raise DatabaseURLError(
            f"{what}: not a database URL; use postgresql://user:password@host:5432/database"
        ) from None
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseURLError(
            f"{what}: only PostgreSQL is supported (postgresql://...); got {parsed.get_backend_name()!r}. "
            "Leave it unset to keep SQLite files in the data folder"
        )
    return parsed.set(drivername="postgresql+psycopg")


_ENGINES: dict[tuple[int, str], Engine] = {}
_ENGINES_LOCK = threading.Lock()
# (process, engine, store) whose tables this process has seen at the current version (PostgreSQL only)
_READY: set[tuple[int, int, str]] = set()


def _forget_engines_in_child() -> None:
    # a forked process must not use (or close) the connections its parent holds
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()
    _READY.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_engines_in_child)


def dispose_engines() -> None:
    """Close every connection this process keeps open (the next action opens new ones)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        _READY.clear()


def _sqlite_engine(path: Path) -> Engine:
    engine = sa.create_engine(
        URL.create("sqlite+pysqlite", database=str(path)),
        poolclass=NullPool,  # a file that is moved away or replaced is opened afresh by the next action
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # transactions are begun explicitly (see _on_begin), not by the driver
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA synchronous = FULL")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    return sa.create_engine(
        url,
        pool_pre_ping=True,  # a connection the server dropped (a restart) is replaced before use
        pool_size=5,
        max_overflow=10,
        pool_timeout=BUSY_TIMEOUT_SECONDS,
        connect_args={"connect_timeout": 5, "application_name": "retention-lab"},
    )


def _engine(key: str, make) -> Engine:
    with _ENGINES_LOCK:
        engine = _ENGINES.get((os.getpid(), key))
        if engine is None:
            engine = _ENGINES[(os.getpid(), key)] = make()
        return engine


def _lock_key(file_name: str) -> int:
    # one advisory lock per store file, as SQLite has one write lock per file
    return int.from_bytes(hashlib.sha256(f"retention-lab:{file_name}".encode()).digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class Database:
    """One store's database: its SQLite file, or the shared PostgreSQL database.

    ``location`` names it in messages (the file's path, or the server and database without a
    password); ``path`` is the SQLite file (None on PostgreSQL).
    """

    engine: Engine
    location: str
    path: Path | None
    lock_key: int

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    def exists(self) -> bool:
        """Whether there is anything to read: the SQLite file exists (a PostgreSQL database always does)."""
        return self.path is None or self.path.exists()

    @contextlib.contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        """One transaction, committed when the block ends and rolled back if it raises.

        With ``write`` the store's write lock is taken first and held to the commit, so what the
        block reads cannot change before it writes.
        """
        with self.engine.connect() as conn:
            if write:
                conn = conn.execution_options(write=True)
            with conn.begin():
                if write and not self.is_sqlite:
                    ms = int(BUSY_TIMEOUT_SECONDS * 1000)
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.lock_key})
                yield conn

    def ready(self, store: str) -> bool:
        """Whether this process has already found ``store``'s tables at this version.

        Only on PostgreSQL, where checking costs round trips to the server: a SQLite file is checked
        every time it is opened, since it can be replaced or restored from a backup at any moment.
        """
        return not self.is_sqlite and (os.getpid(), id(self.engine), store) in _READY

    def mark_ready(self, store: str) -> None:
        if not self.is_sqlite:
            _READY.add((os.getpid(), id(self.engine), store))

    def ensure(self, store: str, version: int, upgrade: Callable[[Connection], None]) -> int:
        """Bring ``store``'s tables to ``version`` with ``upgrade`` (in one write transaction) if older.

        Returns the version found (``version`` once this process has checked it on PostgreSQL);
        a newer one is left alone for the caller to refuse.
        """
        if self.ready(store):
            return version
        with self.transaction(write=False) as conn:
            found = self.schema_version(conn, store)
        if found < version:
            with self.transaction(write=True) as conn:
                upgrade(conn)
        if found <= version:
            self.mark_ready(store)
        return found

    def has_table(self, conn: Connection, table: str) -> bool:
        return sa.inspect(conn).has_table(table)

    def schema_version(self, conn: Connection, store: str) -> int:
        """The version of ``store``'s tables (0 when it has none yet)."""
        if self.is_sqlite:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        if not self.has_table(conn, "schema_versions"):
            return 0
        version = conn.execute(sa.text("SELECT version FROM schema_versions WHERE store = :s"), {"s": store})
        return int(version.scalar_one_or_none() or 0)

    def prepare(self, conn: Connection) -> None:
        """What every store's tables need before they are created (inside a write transaction)."""
        if not self.is_sqlite:
            conn.exec_driver_sql(_PG_NOCASE)
            conn.exec_driver_sql(_PG_VERSIONS)

    def set_schema_version(self, conn: Connection, store: str, version: int) -> None:
        if self.is_sqlite:
            conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        else:
            conn.execute(
                sa.text(
                    "INSERT INTO schema_versions (store, version) VALUES (:s, :v) "
                    "ON CONFLICT (store) DO UPDATE SET version = excluded.version"
                ),
                {"s": store, "v": int(version)},
            )


def open_database(file_name: str, directory: str | os.PathLike | None = None) -> Database:
    """The database of the store whose SQLite file is ``file_name`` in the data folder ``directory``.

    With ``RETENTION_LAB_DATABASE_URL`` set, the PostgreSQL database it names (``directory`` is
    then not used); engines are made once per process and shared.
    """
    return open_database_at(file_name, directory, database_url())


def open_database_at(file_name: str, directory: str | os.PathLike | None, url: URL | None) -> Database:
    """The store's SQLite file in ``directory`` when ``url`` is None, else the PostgreSQL database ``url``."""
    if url is None:
        path = data_dir(directory) / file_name
        engine = _engine(f"sqlite:{path.resolve()}", lambda: _sqlite_engine(path))
        return Database(engine, str(path), path, _lock_key(file_name))
    key = url.render_as_string(hide_password=False)
    engine = _engine(key, lambda: _postgres_engine(url))
    where = f"PostgreSQL database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"
    return Database(engine, where, None, _lock_key(file_name))


def run(conn: Connection, sql: str, params: tuple | list = ()) -> sa.CursorResult:
    """Run ``sql`` with ``?`` placeholders filled from ``params`` in order, on either back end.

    The stores' statements are plain SQL that both back ends accept; this binds their values the
    same way on both (SQLite's driver takes ``?``, PostgreSQL's ``%s``).
    """
    if not params:
        return conn.execute(sa.text(sql))
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} values in {sql!r}")
    named = parts[0] + "".join(f":p{i}{part}" for i, part in enumerate(parts[1:]))
    return conn.execute(sa.text(named), {f"p{i}": value for i, value in enumerate(params)})


def driver_error(exc: BaseException) -> BaseException:
    """The database driver's own exception inside a SQLAlchemy one (``exc`` itself otherwise)."""
    return getattr(exc, "orig", None) or exc


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says another change held the write lock longer than the busy timeout (or, on
    PostgreSQL, every pooled connection stayed in use that long)."""
    if isinstance(exc, sa.exc.TimeoutError):
        return True
    orig = driver_error(exc)
    if getattr(orig, "sqlstate", None) in _PG_BUSY:
        return True
    text = str(orig)
    return orig.__class__.__module__.startswith("sqlite3") and ("locked" in text or "busy" in text)


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database server could not be reached or dropped the connection."""
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = driver_error(exc)
    if not orig.__class__.__module__.startswith("psycopg"):
        return False
    state = getattr(orig, "sqlstate", None)
    if state is None:  # raised by the client: refused, timed out, closed
        return orig.__class__.__name__ in {"OperationalError", "InterfaceError"}
    return state.startswith(_PG_GONE_PREFIXES)


def describe(exc: BaseException) -> str:
    """The driver's message for ``exc``, on one line and without the statement that failed."""
    lines = [line for line in str(driver_error(exc)).splitlines() if line.strip()]
    return lines[0].strip() if lines else exc.__class__.__name__


def unreachable_message(db: Database) -> str:
    """What to say when the database server cannot be reached; the next action reconnects."""
    return (
        f"the database server ({db.location}) cannot be reached just now; nothing was changed. "
        "Try again in a moment: the app reconnects when it is back"
    )


@contextlib.contextmanager
def store_errors(db: Database, error: type[Exception], store: str, *, noun: str = "store") -> Iterator[None]:
    """A store's database errors as its own ``error``, each saying that nothing was changed.

    ``store`` names the store as people read it ("the class store", "the scenario library"); a
    server that cannot be reached, a write lock held past the busy timeout, a database that cannot
    be used and one that cannot be read each get their own message. On SQLite the last says how to
    start afresh with a new ``noun``.
    """
    try:
        yield
    except (sa.exc.DBAPIError, sa.exc.TimeoutError) as exc:
        if is_unreachable(exc):
            raise error(unreachable_message(db)) from None
        if is_busy(exc):
            raise error(f"{store} is busy with another change; nothing was changed, try again") from None
        if isinstance(exc, sa.exc.OperationalError):
            raise error(f"{store} {db.location} cannot be used ({describe(exc)}); nothing was changed") from None
        advice = f" Move the file away to start a new {noun}, or restore it from a backup." if db.is_sqlite else ""
        raise error(f"{store} {db.location} cannot be read ({describe(exc)}); nothing was changed.{advice}") from None


def open_folder(db: Database, error: type[Exception], store: str) -> None:
    """Create the SQLite file's folder (nothing on PostgreSQL); ``error`` names ``store`` if it cannot be."""
    if not db.is_sqlite:
        return
    try:
        db.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot open {store} in {db.path.parent}: {exc.strerror or exc}") from None


def ensure_schema(db: Database, error: type[Exception], store: str, name: str, version: int, upgrade) -> None:
    """Upgrade the store ``name`` to ``version`` (see :meth:`Database.ensure`); refuse one written by a newer app."""
    if db.ensure(name, version, upgrade) > version:
        raise error(f"{store} {db.location} was written by a newer version of the app; open it with that version")


def ensure_table(db: Database, table: str, metadata: sa.MetaData) -> None:
    """Create ``metadata``'s tables when ``table`` is missing (checked once per process)."""
    if db.ready(table):
        return
    with db.transaction(write=False) as conn:
        present = db.has_table(conn, table)
    if not present:
        with db.transaction(write=True) as conn:
            db.prepare(conn)
            metadata.create_all(conn)
    db.mark_ready(table)


@contextlib.contextmanager
def store_transaction(
    db: Database, error: type[Exception], store: str, name: str, version: int, upgrade, *, write: bool, noun: str
) -> Iterator[Connection]:
    """One transaction on a versioned store (its write lock when ``write``): its folder made, its
    tables brought to ``version`` with ``upgrade(db, conn)`` first, its errors worded by :func:`store_errors`."""
    open_folder(db, error, store)
    with store_errors(db, error, store, noun=noun):
        ensure_schema(db, error, store, name, version, lambda conn: upgrade(db, conn))
        with db.transaction(write=write) as conn:
            yield conn
