"""Saved portfolios: each customer's class and strategy at a date, kept to compare with a later file.

One SQLite file in the data folder (:func:`~simulation.io.sqlite.data_dir`), ``portfolios.sqlite3``,
or the PostgreSQL database of ``RETENTION_LAB_DATABASE_URL`` (:mod:`.database`), beside the scenario
library and in the same workspaces (a portfolio saved in a private workspace is seen only there).
Only what a comparison needs is kept: per customer their id, status, class, strategy, contribution
and risk; never the file itself. A save or delete is one transaction that takes the store's write
lock first, so "is the name free?" and the save it guards cannot be interleaved with another
process's. The schema's version is SQLite's ``user_version`` or, on PostgreSQL, the store's row in
``schema_versions``; a file that kept it in ``portfolio_schema`` is brought up to date when opened.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Connection

from .database import (
    Database,
    open_database,
    run,
    store_transaction,
)
from .sqlite import data_dir, utc_now
from .storage import DEFAULT_WORKSPACE, StorageError, Workspace, clean_name

DB_FILE = "portfolios.sqlite3"
STORE = "portfolios"
SCHEMA_VERSION = 2
INSERT_BATCH = 10_000  # customers sent to the database per statement
MAX_PORTFOLIOS = 100  # per workspace: a library, not an archive
MAX_CUSTOMERS = 2_000_000  # the rows a customer file may have
SAVED_COLUMNS = ("customer_id", "status", "class", "strategy", "contribution", "risk")
# Version 2 keeps its version as every store does (version 1 had it in a table, portfolio_schema).
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS portfolios (
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        file_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        period TEXT NOT NULL,
        as_of TEXT,
        saved_at TEXT NOT NULL,
        customers INTEGER NOT NULL,
        PRIMARY KEY (workspace, name)
    )""",
    """CREATE TABLE IF NOT EXISTS portfolio_customers (
        workspace TEXT NOT NULL,
        portfolio TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        status TEXT NOT NULL,
        class TEXT NOT NULL,
        strategy TEXT NOT NULL,
        contribution DOUBLE PRECISION,
        risk DOUBLE PRECISION,
        PRIMARY KEY (workspace, portfolio, customer_id)
    )""",
)


@dataclass(frozen=True)
class SavedPortfolio:
    """One saved portfolio: its name, the file it came from, what the file was, its date and when it was saved."""

    name: str
    file_name: str
    kind: str
    period: str
    as_of: str | None
    saved_at: str
    customers: int


def upgrade(db: Database, conn: Connection) -> None:
    """Bring the store on ``conn`` to :data:`SCHEMA_VERSION` inside the caller's (write) transaction."""
    if db.schema_version(conn, STORE) >= SCHEMA_VERSION:
        return
    db.prepare(conn)
    legacy = db.is_sqlite and db.has_table(conn, "portfolio_schema")  # only a SQLite file can be of version 1
    if legacy:
        found = run(conn, "SELECT MAX(version) FROM portfolio_schema").scalar()
        if found is not None and found > 1:
            raise StorageError(
                f"the portfolio library {db.location} was written by a newer version of the app; open it with that"
            )
    for statement in _SCHEMA:
        run(conn, statement)
    if legacy:
        run(conn, "DROP TABLE portfolio_schema")
    db.set_schema_version(conn, STORE, SCHEMA_VERSION)


class PortfolioStore:
    """The saved portfolios of one workspace in one data folder.

    Parameters
    ----------
    directory : path-like, optional
        The data folder; created on the first save.
    workspace : Workspace, optional
        Whose portfolios these are; the shared default workspace when not given.
    """

    def __init__(self, directory: str | os.PathLike | None = None, workspace: Workspace | None = None):
        self.directory = data_dir(directory)
        self.path = self.directory / DB_FILE
        self.workspace = DEFAULT_WORKSPACE if workspace is None else workspace

    @property
    def database(self) -> Database:
        """Where the portfolios are kept: :attr:`path`, or the PostgreSQL database."""
        try:
            return open_database(DB_FILE, self.directory)
        except ValueError as exc:
            raise StorageError(str(exc)) from None

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection | None]:
        """One transaction (with the write lock when ``write``), the store upgraded first if it is older;
        None when reading a SQLite library that does not exist yet (nothing is created by reading)."""
        db = self.database
        if not write and not db.exists():
            yield None
            return
        with store_transaction(
            db, StorageError, "the portfolio library", STORE, SCHEMA_VERSION, upgrade, write=write, noun="library"
        ) as conn:
            yield conn

    def list(self) -> list[SavedPortfolio]:
        """The saved portfolios, newest first."""
        with self._connect(write=False) as conn:
            if conn is None:
                return []
            rows = run(
                conn,
                "SELECT name, file_name, kind, period, as_of, saved_at, customers FROM portfolios "
                "WHERE workspace = ? ORDER BY saved_at DESC, name",
                (self.workspace.id,),
            ).fetchall()
        return [SavedPortfolio(*row) for row in rows]

    def names(self) -> list[str]:
        return [p.name for p in self.list()]

    def save(self, name: str, analysis, file_name: str, *, replace: bool = False) -> SavedPortfolio:
        """Save each customer's class and strategy under ``name``; an existing name only with ``replace``."""
        name = clean_name(name)
        c = analysis.customers
        if len(c) > MAX_CUSTOMERS:
            raise StorageError(f"a portfolio of {len(c):,} customers is more than the {MAX_CUSTOMERS:,} kept")
        as_of = None if analysis.data.as_of is None else str(pd.Timestamp(analysis.data.as_of).date())
        saved = SavedPortfolio(
            name, str(file_name)[:255], analysis.data.kind, analysis.period, as_of, utc_now(), len(c)
        )
        rows = [
            (self.workspace.id, name, str(r[0])[:255], r[1], r[2], r[3], _real(r[4]), _real(r[5]))
            for r in c.reindex(columns=list(SAVED_COLUMNS)).itertuples(index=False)
        ]
        with self._connect(write=True) as conn:
            exists = run(
                conn, "SELECT 1 FROM portfolios WHERE workspace = ? AND name = ?", (self.workspace.id, name)
            ).fetchone()
            if exists and not replace:
                raise StorageError(f"a portfolio named {name!r} is already saved; choose another name or replace it")
            count = run(conn, "SELECT COUNT(*) FROM portfolios WHERE workspace = ?", (self.workspace.id,))
            if not exists and count.scalar_one() >= MAX_PORTFOLIOS:
                raise StorageError(f"{MAX_PORTFOLIOS} portfolios are saved already; delete one to save another")
            self._delete(conn, name)
            run(
                conn,
                "INSERT INTO portfolios (workspace, name, file_name, kind, period, as_of, saved_at, customers) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.workspace.id, *(getattr(saved, f) for f in SavedPortfolio.__dataclass_fields__)),
            )
            # many rows: sent as the driver takes them (SQLite's ? and psycopg's %s placeholders)
            marks = ", ".join(["?" if conn.dialect.name == "sqlite" else "%s"] * 8)
            insert = (
                "INSERT INTO portfolio_customers (workspace, portfolio, customer_id, status, class, strategy, "
                f"contribution, risk) VALUES ({marks})"
            )
            for start in range(0, len(rows), INSERT_BATCH):
                conn.exec_driver_sql(insert, rows[start : start + INSERT_BATCH])
        return saved

    def _delete(self, conn: Connection, name: str) -> None:
        run(conn, "DELETE FROM portfolio_customers WHERE workspace = ? AND portfolio = ?", (self.workspace.id, name))
        run(conn, "DELETE FROM portfolios WHERE workspace = ? AND name = ?", (self.workspace.id, name))

    def delete(self, name: str) -> None:
        with self._connect(write=True) as conn:
            self._delete(conn, name)

    def load(self, name: str) -> pd.DataFrame:
        """The customers of a saved portfolio (the columns of :data:`SAVED_COLUMNS`)."""
        with self._connect(write=False) as conn:
            if (
                conn is None
                or not run(
                    conn, "SELECT 1 FROM portfolios WHERE workspace = ? AND name = ?", (self.workspace.id, name)
                ).fetchone()
            ):
                raise StorageError(f"no portfolio named {str(name)[:80]!r} is saved")
            rows = run(
                conn,
                "SELECT customer_id, status, class, strategy, contribution, risk FROM portfolio_customers "
                "WHERE workspace = ? AND portfolio = ?",
                (self.workspace.id, name),
            ).fetchall()
        # from tuples: a frame from Row objects takes pandas eight times as long. Sorted here, by code
        # point, since PostgreSQL would order the ids by its server's locale
        frame = pd.DataFrame([tuple(r) for r in rows], columns=list(SAVED_COLUMNS))
        return frame.sort_values("customer_id", kind="stable", ignore_index=True)


def _real(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Who moved class between two saved portfolios: one row per customer whose class or status changed.

    Columns ``customer_id, class_before, class_after, status_before, status_after, change``;
    ``change`` is ``moved`` (another class), ``left`` (active, then lapsed), ``returned``
    (lapsed, then active), ``new`` (only in the later one) or ``gone`` (only in the earlier).
    """
    b = before.set_index("customer_id")[["class", "status"]]
    a = after.set_index("customer_id")[["class", "status"]]
    joined = b.add_suffix("_before").join(a.add_suffix("_after"), how="outer")
    cb, ca = joined["class_before"], joined["class_after"]
    sb, sa = joined["status_before"], joined["status_after"]
    change = pd.Series("", index=joined.index, dtype=object)
    change[cb.isna()] = "new"
    change[ca.isna()] = "gone"
    both = cb.notna() & ca.notna()
    change[both & (cb != ca)] = "moved"
    change[both & (sb == "active") & (sa == "lapsed")] = "left"
    change[both & (sb == "lapsed") & (sa == "active")] = "returned"
    out = joined.assign(change=change)[change != ""].reset_index()
    columns = ["customer_id", "class_before", "class_after", "status_before", "status_after", "change"]
    return out[columns].fillna("").sort_values(["change", "class_before", "class_after", "customer_id"])


def movement_counts(moves: pd.DataFrame) -> pd.DataFrame:
    """How many customers went from each class to each other (``from, to, customers``), largest first."""
    moved = moves[moves["change"] == "moved"]
    counts = moved.groupby(["class_before", "class_after"]).size().rename("customers").reset_index()
    counts = counts.rename(columns={"class_before": "from", "class_after": "to"})
    return counts.sort_values(["customers", "from", "to"], ascending=[False, True, True]).reset_index(drop=True)
