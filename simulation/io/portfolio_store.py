"""Saved portfolios: each customer's class and strategy at a date, kept to compare with a later file.

One SQLite file in the data folder (:func:`~simulation.io.sqlite.data_dir`), ``portfolios.sqlite3``,
beside the scenario library and in the same workspaces (a portfolio saved in a private workspace
is seen only there). Only what a comparison needs is kept: per customer their id, status,
class, strategy, contribution and risk; never the file itself. The SQL is plain (text and real
columns, composite primary keys, no SQLite-only types or clauses) so the store can move to
another database; its schema version is a row of ``portfolio_schema``.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from .sqlite import atomic, connect, data_dir, is_busy, utc_now
from .storage import DEFAULT_WORKSPACE, StorageError, Workspace, clean_name

DB_FILE = "portfolios.sqlite3"
SCHEMA_VERSION = 1
MAX_PORTFOLIOS = 100  # per workspace: a library, not an archive
MAX_CUSTOMERS = 2_000_000  # the rows a customer file may have
SAVED_COLUMNS = ("customer_id", "status", "class", "strategy", "contribution", "risk")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS portfolio_schema (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS portfolios (
        workspace VARCHAR(80) NOT NULL,
        name VARCHAR(80) NOT NULL,
        file_name VARCHAR(255) NOT NULL,
        kind VARCHAR(20) NOT NULL,
        period VARCHAR(10) NOT NULL,
        as_of VARCHAR(10),
        saved_at VARCHAR(32) NOT NULL,
        customers INTEGER NOT NULL,
        PRIMARY KEY (workspace, name)
    )""",
    """CREATE TABLE IF NOT EXISTS portfolio_customers (
        workspace VARCHAR(80) NOT NULL,
        portfolio VARCHAR(80) NOT NULL,
        customer_id VARCHAR(255) NOT NULL,
        status VARCHAR(10) NOT NULL,
        class VARCHAR(2) NOT NULL,
        strategy VARCHAR(20) NOT NULL,
        contribution REAL,
        risk REAL,
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

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection | None]:
        if not write and not self.path.exists():
            yield None
            return
        try:
            conn = connect(self.path, create_folder=write)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the portfolio library {self.path}: {exc}") from None
        try:
            self._schema(conn)
            yield conn
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise StorageError("the portfolio library is busy with another change; try again") from None
            raise StorageError(
                f"the portfolio library {self.path} cannot be used ({exc}); nothing was changed"
            ) from None
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"the portfolio library {self.path} cannot be read ({exc}); nothing was changed. "
                "Move the file away to start a new library."
            ) from None
        finally:
            conn.close()

    def _schema(self, conn: sqlite3.Connection) -> None:
        with atomic(conn):
            for statement in _SCHEMA:
                conn.execute(statement)
            row = conn.execute("SELECT MAX(version) FROM portfolio_schema").fetchone()
            if row[0] is None:
                conn.execute("INSERT INTO portfolio_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise StorageError(
                    f"the portfolio library {self.path} was written by a newer version of the app; open it with that"
                )

    def list(self) -> list[SavedPortfolio]:
        """The saved portfolios, newest first."""
        with self._connect(write=False) as conn:
            if conn is None:
                return []
            rows = conn.execute(
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
        with self._connect(write=True) as conn, atomic(conn):
            exists = conn.execute(
                "SELECT 1 FROM portfolios WHERE workspace = ? AND name = ?", (self.workspace.id, name)
            ).fetchone()
            if exists and not replace:
                raise StorageError(f"a portfolio named {name!r} is already saved; choose another name or replace it")
            count = conn.execute("SELECT COUNT(*) FROM portfolios WHERE workspace = ?", (self.workspace.id,))
            if not exists and count.fetchone()[0] >= MAX_PORTFOLIOS:
                raise StorageError(f"{MAX_PORTFOLIOS} portfolios are saved already; delete one to save another")
            self._delete(conn, name)
            conn.execute(
                "INSERT INTO portfolios (workspace, name, file_name, kind, period, as_of, saved_at, customers) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.workspace.id, *(getattr(saved, f) for f in SavedPortfolio.__dataclass_fields__)),
            )
            conn.executemany(
                "INSERT INTO portfolio_customers (workspace, portfolio, customer_id, status, class, strategy, "
                "contribution, risk) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return saved

    def _delete(self, conn: sqlite3.Connection, name: str) -> None:
        conn.execute("DELETE FROM portfolio_customers WHERE workspace = ? AND portfolio = ?", (self.workspace.id, name))
        conn.execute("DELETE FROM portfolios WHERE workspace = ? AND name = ?", (self.workspace.id, name))

    def delete(self, name: str) -> None:
        with self._connect(write=True) as conn, atomic(conn):
            self._delete(conn, name)

    def load(self, name: str) -> pd.DataFrame:
        """The customers of a saved portfolio (the columns of :data:`SAVED_COLUMNS`)."""
        with self._connect(write=False) as conn:
            if (
                conn is None
                or not conn.execute(
                    "SELECT 1 FROM portfolios WHERE workspace = ? AND name = ?", (self.workspace.id, name)
                ).fetchone()
            ):
                raise StorageError(f"no portfolio named {str(name)[:80]!r} is saved")
            rows = conn.execute(
                "SELECT customer_id, status, class, strategy, contribution, risk FROM portfolio_customers "
                "WHERE workspace = ? AND portfolio = ? ORDER BY customer_id",
                (self.workspace.id, name),
            ).fetchall()
        return pd.DataFrame(rows, columns=list(SAVED_COLUMNS))


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
