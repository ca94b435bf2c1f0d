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

Every saved scenario belongs to one :class:`Workspace`, and a store sees only
its own workspace's scenarios. The default workspace needs nothing (one person
on their own machine); a private workspace is reached by an unguessable key
(:func:`new_workspace_key`, kept by its owner as a link), or by a name and a
passphrase (:meth:`ScenarioStore.named_workspace`). The library keeps only
SHA-256 digests of keys and scrypt hashes of passphrases.

Guessing a passphrase is limited twice, in the library itself (so the counts survive restarts
and are shared by every server on the same data folder), each count checked and raised in the
same transaction as the try it limits, so concurrent tries cannot slip past it:

- per client (a browser session): after :data:`FREE_PASSPHRASE_TRIES` failures, its next try is
  refused until a wait that doubles with every failure has passed, up to
  :data:`MAX_PASSPHRASE_WAIT_SECONDS`. Only that client is refused.
- per workspace name: recent failures from any client delay every further try by
  :func:`attempt_delay_seconds` (at most :data:`MAX_ATTEMPT_DELAY_SECONDS`) before the passphrase
  is checked. A try is never refused for someone else's failures, so nobody can lock an owner
  out; a right passphrase clears the workspace's count.

An unknown name and a wrong passphrase get the same message (:data:`NOT_OPENED`) after the same
work, so the messages do not tell which workspace names exist.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InputError
from ..model.scenario import Scenario, ScenarioError, scenario_from_dict
from .database import (
    NOCASE,
    Database,
    ensure_schema,
    open_database,
    store_errors,
)
from .sqlite import data_dir, utc_now

DB_FILE = "scenarios.sqlite3"
NAME_MAX_CHARS = 80
SCHEMA_VERSION = 4
DEFAULT_WORKSPACE_ID = "default"
NAMED_PREFIX = "name:"  # the id of a workspace opened by its name and passphrase
KEY_BYTES = 24  # 192 random bits: a key cannot be guessed
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")
# scrypt at n = 2**14, r = 8 (16 MiB, about 50 ms): slow enough to make guessing passphrases dear
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
PASSPHRASE_MIN_CHARS = 10
# Guessing a passphrase from one client: a few free tries (typing slips), then a wait that
# doubles with each failure, from 10 s to at most 15 minutes.
FREE_PASSPHRASE_TRIES = 5
FIRST_PASSPHRASE_WAIT_SECONDS = 10.0
MAX_PASSPHRASE_WAIT_SECONDS = 900.0
# Guessing one workspace's passphrase from any number of clients: after a few free failures every
# try waits before it is checked, from 0.25 s doubling to at most 4 s; never refused.
FREE_WORKSPACE_FAILURES = 5
FIRST_ATTEMPT_DELAY_SECONDS = 0.25
MAX_ATTEMPT_DELAY_SECONDS = 4.0
# A count is forgotten an hour after its last failure.
FAILURE_MEMORY_SECONDS = 3600.0
LOCAL_CLIENT = "local"  # the client of a caller that names none (one person, this machine)
NOT_OPENED = (
    "the name and passphrase do not open a workspace: check both (names ignore case); "
    "a new workspace needs a name that is not in use"
)
_DUMMY_SALT = b"\x00" * 16  # an unknown name costs the same scrypt as a known one
_metadata = sa.MetaData()
SCENARIOS = sa.Table(
    "scenarios",
    _metadata,
    sa.Column("workspace", sa.Text, nullable=False, server_default=DEFAULT_WORKSPACE_ID),
    sa.Column("name", sa.Text(collation=NOCASE), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("scenario_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("workspace", "name"),
)
sa.Table(
    "workspaces",
    _metadata,
    sa.Column("name", sa.Text(collation=NOCASE), primary_key=True),
    sa.Column("salt", sa.LargeBinary, nullable=False),
    sa.Column("passphrase_hash", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
)
sa.Table(
    "passphrase_failures",
    _metadata,
    sa.Column("name", sa.Text(collation=NOCASE), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure", sa.Double, nullable=False),
)
sa.Table(
    "passphrase_clients",
    _metadata,
    sa.Column("client", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure", sa.Double, nullable=False),
)
# Version 1 had one library for everyone, without the workspace column: its scenarios move to the
# default workspace. Only a SQLite file can be that old.
_COLUMNS = "name, title, scenario_json, created_at, updated_at"
_FROM_1 = f"INSERT INTO scenarios (workspace, {_COLUMNS}) SELECT 'default', {_COLUMNS} FROM scenarios_v1"


class StorageError(InputError):
    """A saved-scenario request that cannot be carried out; nothing stored was changed."""


@dataclass(frozen=True)
class Workspace:
    """A separate set of saved scenarios. ``id`` is what the library stores; ``label`` what a person sees.

    Build one with :data:`DEFAULT_WORKSPACE`, :func:`workspace_from_key` or
    :meth:`ScenarioStore.named_workspace`, not directly from text a person typed.
    """

    id: str
    label: str

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_WORKSPACE_ID

    @property
    def is_named(self) -> bool:
        """Whether ``label`` is the name a person gave the workspace (not one of the app's own labels)."""
        return self.id.startswith(NAMED_PREFIX)


DEFAULT_WORKSPACE = Workspace(DEFAULT_WORKSPACE_ID, "Shared on this server")


def new_workspace_key() -> str:
    """A new private workspace key: 192 random bits, URL-safe (keep it; it is the only way in)."""
    return secrets.token_urlsafe(KEY_BYTES)


def workspace_from_key(key: str) -> Workspace:
    """The private workspace that ``key`` opens (empty until something is saved in it).

    Raises
    ------
    StorageError
        The key is not one :func:`new_workspace_key` could have made.
    """
    key = key.strip() if isinstance(key, str) else ""
    if not _KEY_PATTERN.fullmatch(key):
        raise StorageError("the workspace key is not valid: copy the whole link you were given")
    digest = hashlib.sha256(key.encode("ascii")).hexdigest()
    return Workspace(f"key:{digest}", "Private (by link)")


def passphrase_wait_seconds(failures: int) -> float:
    """How long a client must wait after ``failures`` wrong passphrases (0 while tries are free)."""
    if failures < FREE_PASSPHRASE_TRIES:
        return 0.0
    doublings = min(failures - FREE_PASSPHRASE_TRIES, 16)
    return min(FIRST_PASSPHRASE_WAIT_SECONDS * 2.0**doublings, MAX_PASSPHRASE_WAIT_SECONDS)


def attempt_delay_seconds(failures: int) -> float:
    """How long a try waits before its passphrase is checked, after ``failures`` recent failures on the workspace."""
    if failures < FREE_WORKSPACE_FAILURES:
        return 0.0
    doublings = min(failures - FREE_WORKSPACE_FAILURES, 16)
    return min(FIRST_ATTEMPT_DELAY_SECONDS * 2.0**doublings, MAX_ATTEMPT_DELAY_SECONDS)


def _run(conn: Connection, sql: str, **params):
    return conn.execute(sa.text(sql), params)


def _recent_failures(conn: Connection, table: str, column: str, key: str, now: float) -> tuple[int, float]:
    """``(failures, last failure)`` of ``key``, none once :data:`FAILURE_MEMORY_SECONDS` have passed."""
    row = _run(conn, f"SELECT failures, last_failure FROM {table} WHERE {column} = :key", key=key).fetchone()
    # a clock set back counts as no time passed
    if row is None or now - row[1] > FAILURE_MEMORY_SECONDS:
        return 0, now
    return row[0], row[1]


def _count_failure(conn: Connection, table: str, column: str, key: str, failures: int, now: float) -> None:
    _run(
        conn,
        f"INSERT INTO {table} ({column}, failures, last_failure) VALUES (:key, :failures, :now) "
        f"ON CONFLICT({column}) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure",
        key=key,
        failures=failures,
        now=now,
    )


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


# scrypt takes 16 MiB and about 50 ms: at most two at once in a process, so a crowd of tries
# queues instead of taking a gigabyte of memory
_SCRYPT_SLOTS = threading.BoundedSemaphore(2)


def _passphrase_hash(passphrase: str, salt: bytes) -> bytes:
    with _SCRYPT_SLOTS:
        return _scrypt(passphrase, salt)


def _scrypt(passphrase: str, salt: bytes) -> bytes:
    return hashlib.scrypt(unicodedata.normalize("NFC", passphrase).encode("utf-8"), salt=salt, **_SCRYPT)


@dataclass(frozen=True)
class SavedScenario:
    """One entry of the library: its name, the scenario's own title, and when it was saved (UTC, ISO 8601)."""

    name: str
    title: str
    created_at: str
    updated_at: str


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

    def __init__(self, directory: str | os.PathLike | None = None, workspace: Workspace | None = None):
        self.directory = data_dir(directory)
        self.path = self.directory / DB_FILE
        if workspace is not None and not isinstance(workspace, Workspace):
            raise StorageError("the workspace must be opened by its key or its name and passphrase")
        self.workspace = DEFAULT_WORKSPACE if workspace is None else workspace
        self._database: Database | None = None

    @property
    def database(self) -> Database:
        """Where the library is kept: the SQLite file :attr:`path`, or the PostgreSQL database of
        ``RETENTION_LAB_DATABASE_URL``."""
        if self._database is None:
            try:
                self._database = open_database(DB_FILE, self.directory)
            except ValueError as exc:
                raise StorageError(str(exc)) from None
        return self._database

    @property
    def location(self) -> str:
        """The library's place as a person reads it: the file's path, or the database and its server."""
        try:
            return self.database.location
        except StorageError:
            return "the database that RETENTION_LAB_DATABASE_URL names"

    def in_workspace(self, workspace: Workspace) -> ScenarioStore:
        """The same library, seen from ``workspace``."""
        return ScenarioStore(self.directory, workspace)

    def named_workspace(
        self, name: str, passphrase: str, *, create: bool = False, client: str | None = None
    ) -> Workspace:
        """The workspace called ``name``, opened with its passphrase; ``create`` makes a new one.

        ``client`` names who is trying (the app gives each browser session its own id); its
        failures are counted on their own, so one client's guessing never refuses another's try.
        With ``create``, a taken name opens that workspace if the passphrase is its own.

        Raises
        ------
        StorageError
            :data:`NOT_OPENED` for an unknown name, a taken name or a wrong passphrase alike; a
            short passphrase; too many failures from this client.
        """
        key = clean_name(name)
        if not isinstance(passphrase, str) or len(passphrase) < PASSPHRASE_MIN_CHARS:
            raise StorageError(f"the passphrase must have at least {PASSPHRASE_MIN_CHARS} characters")
        if len(passphrase) > 1024:
            raise StorageError("the passphrase must have at most 1,024 characters")
        client = str(client or LOCAL_CLIENT)
        row, delay = self._count_try(key, client)
        _sleep(delay)
        digest = _passphrase_hash(passphrase, _DUMMY_SALT if row is None else bytes(row[1]))
        right = row is not None and hmac.compare_digest(digest, bytes(row[2]))
        if row is None and create:
            salt = secrets.token_bytes(16)
            digest = _passphrase_hash(passphrase, salt)
            with self._transaction() as conn:
                # a name taken since the count (by a concurrent create) is a failure like any other
                if _run(conn, "SELECT 1 FROM workspaces WHERE name = :key", key=key).fetchone() is None:
                    _run(
                        conn,
                        "INSERT INTO workspaces (name, salt, passphrase_hash, created_at) "
                        "VALUES (:key, :salt, :digest, :now)",
                        key=key,
                        salt=salt,
                        digest=digest,
                        now=utc_now(),
                    )
                    self._forgive(conn, key, client)
                    return Workspace(f"{NAMED_PREFIX}{key.casefold()}", key)
            raise StorageError(NOT_OPENED)
        if not right:
            raise StorageError(NOT_OPENED)
        with self._transaction() as conn:
            self._forgive(conn, row[0], client)
        return Workspace(f"{NAMED_PREFIX}{row[0].casefold()}", row[0])

    def _count_try(self, key: str, client: str) -> tuple[tuple | None, float]:
        """Check and count one try at the workspace ``key`` from ``client``, in one transaction.

        The try is counted as a failure before its passphrase is checked (a right one is forgiven
        after), so concurrent tries each see the ones before them. Returns the workspace's row
        (None for an unknown name) and how long the try must wait before it is checked.
        """
        now = time.time()
        with self._transaction() as conn:
            failures, last = _recent_failures(conn, "passphrase_clients", "client", client, now)
            wait = passphrase_wait_seconds(failures) - max(0.0, now - last)
            if wait > 0:
                raise StorageError(f"too many wrong passphrases from this session: try again in {math.ceil(wait):,} s")
            _count_failure(conn, "passphrase_clients", "client", client, failures + 1, now)
            failures, _ = _recent_failures(conn, "passphrase_failures", "name", key, now)
            _count_failure(conn, "passphrase_failures", "name", key, failures + 1, now)
            row = _run(conn, "SELECT name, salt, passphrase_hash FROM workspaces WHERE name = :key", key=key).fetchone()
        return row, attempt_delay_seconds(failures)

    @staticmethod
    def _forgive(conn: Connection, name: str, client: str) -> None:
        """A right passphrase: the workspace's count is cleared, and the client's own try is taken back."""
        _run(conn, "DELETE FROM passphrase_failures WHERE name = :name", name=name)
        _run(
            conn,
            "UPDATE passphrase_clients SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END "
            "WHERE client = :client",
            client=client,
        )

    # Connection -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection | None]:
        """One transaction on the library, upgraded to this version's tables first if it is older.

        Reading a library that does not exist yet gives None (and creates nothing).
        """
        db = self.database
        if write and db.is_sqlite:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the data folder {self.directory}: {exc.strerror}") from None
        elif not db.exists():
            yield None
            return
        # also on reading: a library of a previous version is upgraded when first opened, in one
        # transaction (a library is either still at its old version or fully upgraded)
        with store_errors(db, StorageError, "the scenario library", noun="library"):
            upgrade = functools.partial(self._upgrade_tables, db)
            ensure_schema(db, StorageError, "the scenario library", "scenarios", SCHEMA_VERSION, upgrade)
            with db.transaction(write=write) as conn:
                yield conn

    @staticmethod
    def _upgrade_tables(db: Database, conn: Connection) -> None:
        current = db.schema_version(conn, "scenarios")
        if current >= SCHEMA_VERSION:
            return
        db.prepare(conn)
        from_1 = db.is_sqlite and current == 1 and db.has_table(conn, "scenarios")
        if from_1:
            conn.exec_driver_sql("ALTER TABLE scenarios RENAME TO scenarios_v1")
        _metadata.create_all(conn)
        if from_1:
            conn.exec_driver_sql(_FROM_1)
            conn.exec_driver_sql("DROP TABLE scenarios_v1")
        db.set_schema_version(conn, "scenarios", SCHEMA_VERSION)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._connect(write=True) as conn:
            yield conn

    def _find(self, conn: Connection, name: str):
        return _run(
            conn,
            "SELECT name, title, scenario_json, created_at, updated_at FROM scenarios "
            "WHERE workspace = :workspace AND name = :name",
            workspace=self.workspace.id,
            name=name,
        ).fetchone()

    # Reading ----------------------------------------------------------------------------
    def list(self) -> list[SavedScenario]:
        """Every saved scenario, by name (case-insensitive)."""
        with self._connect(write=False) as conn:
            if conn is None:
                return []
            rows = _run(
                conn,
                "SELECT name, title, created_at, updated_at FROM scenarios WHERE workspace = :workspace ORDER BY name",
                workspace=self.workspace.id,
            ).fetchall()
        return [SavedScenario(*row) for row in rows]

    def names(self) -> list[str]:
        """Names of every saved scenario, by name."""
        return [entry.name for entry in self.list()]

    def exists(self, name: str) -> bool:
        """Whether a scenario of this name (any case) is saved."""
        key = clean_name(name)
        with self._connect(write=False) as conn:
            return conn is not None and self._find(conn, key) is not None

    def load(self, name: str) -> Scenario:
        """The saved scenario called ``name``, exactly as it was saved."""
        key = clean_name(name)
        with self._connect(write=False) as conn:
            row = self._find(conn, key) if conn is not None else None
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

    # Writing ----------------------------------------------------------------------------
    def _insert(self, conn: Connection, name: str, title: str, scenario_json: str, created: str, now: str) -> None:
        _run(
            conn,
            "INSERT INTO scenarios (workspace, name, title, scenario_json, created_at, updated_at) "
            "VALUES (:workspace, :name, :title, :json, :created, :now)",
            workspace=self.workspace.id,
            name=name,
            title=title,
            json=scenario_json,
            created=created,
            now=now,
        )

    def save(self, name: str, scenario: Scenario, *, replace: bool = False) -> SavedScenario:
        """Save ``scenario`` as ``name``; a taken name is an error unless ``replace`` is true."""
        key = clean_name(name)
        if not isinstance(scenario, Scenario):
            raise StorageError("only a validated scenario can be saved")
        now = utc_now()
        with self._transaction() as conn:
            row = self._find(conn, key)
            if row is not None and not replace:
                raise StorageError(f"a saved scenario is already called {row[0]!r}: choose another name, or replace it")
            created = row[3] if row is not None else now
            _run(conn, "DELETE FROM scenarios WHERE workspace = :workspace AND name = :name",
                 workspace=self.workspace.id, name=key)  # fmt: skip
            self._insert(conn, key, scenario.name, scenario.canonical_json(), created, now)
        return SavedScenario(key, scenario.name, created, now)

    def rename(self, name: str, new_name: str) -> SavedScenario:
        """Give a saved scenario a new name (a change of case only is allowed)."""
        key, new_key = clean_name(name), clean_name(new_name)
        now = utc_now()
        with self._transaction() as conn:
            row = self._find(conn, key)
            if row is None:
                raise StorageError(f"no saved scenario is called {key!r}")
            clash = self._find(conn, new_key)
            if clash is not None and clash[0].casefold() != row[0].casefold():
                raise StorageError(f"a saved scenario is already called {clash[0]!r}: choose another name")
            _run(
                conn,
                "UPDATE scenarios SET name = :new, updated_at = :now WHERE workspace = :workspace AND name = :old",
                new=new_key,
                now=now,
                workspace=self.workspace.id,
                old=row[0],
            )
        return SavedScenario(new_key, row[1], row[3], now)

    def duplicate(self, name: str, new_name: str | None = None) -> SavedScenario:
        """Copy a saved scenario under ``new_name`` (default: ``"<name> (copy)"``, numbered if taken)."""
        key = clean_name(name)
        now = utc_now()
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
            self._insert(conn, target, row[1], row[2], now, now)
        return SavedScenario(target, row[1], now, now)

    def delete(self, name: str) -> None:
        """Remove a saved scenario."""
        key = clean_name(name)
        with self._transaction() as conn:
            deleted = _run(conn, "DELETE FROM scenarios WHERE workspace = :workspace AND name = :name",
                           workspace=self.workspace.id, name=key).rowcount  # fmt: skip
            if deleted == 0:
                raise StorageError(f"no saved scenario is called {key!r}")

    def _free_copy_name(self, conn: Connection, name: str) -> str:
        stem = re.sub(r" \(copy(?: \d+)?\)$", "", name)
        for i in range(1, 10_000):
            suffix = " (copy)" if i == 1 else f" (copy {i})"
            candidate = stem[: NAME_MAX_CHARS - len(suffix)] + suffix
            if self._find(conn, candidate) is None:
                return candidate
        raise StorageError(f"too many copies of {name!r}; give the copy a name")
