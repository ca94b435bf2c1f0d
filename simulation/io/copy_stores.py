"""Copy a data folder's SQLite stores into a PostgreSQL database, for moving an installation onto it.

Every store the app keeps (saved scenarios, workspaces and their passphrase counts, short links,
class sessions, plan versions, team games, saved portfolios) is copied table by table, each file's
tables brought to this version's schema first on both sides. The copy is one transaction on
PostgreSQL: it happens completely or not at all. A target whose tables already hold rows is refused
(nothing is merged or overwritten). The SQLite files are not changed beyond what opening them in the
app does (an older file is brought to this version's tables).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InputError
from . import classroom, classroom_schema, games, plan_versions, portfolio_store, short_links, storage
from .database import Database, database_url, describe, open_database_at


class CopyError(InputError):
    """The stores cannot be copied; nothing was written to the target."""


def _schemas() -> list[tuple[str, Callable[[Database, Connection], None]]]:
    # each store file and how its tables are brought to this version (the same as opening it does)
    def scenarios(db: Database, conn: Connection) -> None:
        storage.ScenarioStore._upgrade_tables(db, conn)
        db.prepare(conn)
        short_links._metadata.create_all(conn)

    def classes(db: Database, conn: Connection) -> None:
        classroom_schema.upgrade(db, conn)

    def plans(db: Database, conn: Connection) -> None:
        db.prepare(conn)
        plan_versions._metadata.create_all(conn)

    return [
        (storage.DB_FILE, scenarios),
        (classroom.DB_FILE, classes),
        (plan_versions.FILE_NAME, plans),
        (games.DB_FILE, games.upgrade),
        (portfolio_store.DB_FILE, portfolio_store.upgrade),
    ]


def copy_stores(directory: str | os.PathLike | None, url: str) -> dict[str, int]:
    """Copy the stores of the data folder ``directory`` into the PostgreSQL database ``url``.

    Returns the rows copied per table. Raises :class:`CopyError` (nothing written) for a target
    that is not PostgreSQL, cannot be reached, or already holds rows.
    """
    try:
        target_url = database_url(url, what="the database URL")
    except ValueError as exc:
        raise CopyError(str(exc)) from None
    if target_url is None:
        raise CopyError("give the PostgreSQL database to copy into (postgresql://user:password@host:5432/database)")
    copied: dict[str, int] = {}
    sources = []
    for file_name, schema in _schemas():
        source = open_database_at(file_name, directory, None)
        if source.exists():
            with source.transaction(write=True) as conn:
                schema(source, conn)
            sources.append((source, schema))
    if not sources:
        raise CopyError(f"no stores to copy in {open_database_at(storage.DB_FILE, directory, None).path.parent}")
    target = open_database_at(storage.DB_FILE, None, target_url)
    try:
        with target.transaction(write=True) as out:
            for source, schema in sources:
                schema(target, out)
                with source.engine.connect() as conn:
                    copied.update(_copy_file(conn, out))
    except sa.exc.DBAPIError as exc:
        raise CopyError(f"nothing was copied: {target.location} says {describe(exc)}") from None
    return copied


def _copy_file(source: Connection, out: Connection) -> dict[str, int]:
    tables = sa.MetaData()
    tables.reflect(source)
    present = set(sa.inspect(out).get_table_names())
    counts = {}
    for table in tables.sorted_tables:  # parents before the tables that refer to them
        if table.name.startswith("sqlite_") or table.name not in present:
            continue
        if out.execute(sa.text(f'SELECT COUNT(*) FROM "{table.name}"')).scalar_one():
            raise CopyError(f"nothing was copied: the table {table.name} in the target already holds rows")
        rows = [dict(row._mapping) for row in source.execute(table.select())]
        if rows:
            names = list(rows[0])
            columns = ", ".join(f'"{n}"' for n in names)
            values = ", ".join(f":{n}" for n in names)
            out.execute(sa.text(f'INSERT INTO "{table.name}" ({columns}) VALUES ({values})'), rows)
        if table.name == "plan_versions" and rows:  # new versions are numbered after the copied ones
            out.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('plan_versions', 'id'), MAX(id)) FROM plan_versions")
            )
        counts[table.name] = len(rows)
    return counts
