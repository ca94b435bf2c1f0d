"""A PostgreSQL server for the storage tests: Debian's ``postgresql``, driven by pytest-postgresql.

The server is started once per test session in a folder of its own, with fsync off (the tests
kill clients, never the machine). PostgreSQL refuses to run as root, so when the tests run as
root (CI) its ``pg_ctl`` is run as the ``postgres`` user that Debian's package creates, through
``runuser``, on a folder that user owns. Each test gets a fresh schema of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import port_for
import psycopg
import sqlalchemy as sa
from pytest_postgresql.executors import PostgreSQLExecutor

from simulation.io.database import Database

SUPERUSER = "postgres"
DATABASE = "retention_lab"
CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def find_pg_ctl() -> str:
    """Debian's ``pg_ctl`` (the newest installed), or the one on the PATH; FileNotFoundError if none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return found[-1]
    on_path = shutil.which("pg_ctl")
    if on_path:
        return on_path
    raise FileNotFoundError("pg_ctl was not found: install PostgreSQL (Debian: apt-get install postgresql)")


class TestServer:
    """One PostgreSQL server in a folder of its own; :meth:`new_database` gives each test a database."""

    def __init__(self):
        pg_ctl = find_pg_ctl()
        self.base = Path(tempfile.mkdtemp(prefix="retention-lab-pg-"))
        executable = pg_ctl
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SUPERUSER)  # KeyError: no postgres user (Debian's package makes one)
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
            executable = str(self.base / "pg_ctl")
            Path(executable).write_text(
                f'#!/bin/sh\ncd "{self.base}" && exec runuser -u {SUPERUSER} -- "{pg_ctl}" "$@"\n'
            )
            os.chmod(executable, stat.S_IRWXU)
        self.port = port_for.select_random()
        self.executor = PostgreSQLExecutor(
            executable=executable,
            host="127.0.0.1",
            port=self.port,
            datadir=str(self.base / "data"),
            unixsocketdir=str(self.base),
            logfile=str(self.base / "server.log"),
            startparams="-w",
            dbname="retention_lab",
            user=SUPERUSER,
            timeout=120,
        )
        self._names = itertools.count(1)

    def start(self) -> TestServer:
        self.executor.start()
        self.wait_until_ready()
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return self

    def wait_until_ready(self, seconds: float = 60.0) -> None:
        """Wait until the server takes connections (it listens a moment before it does)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._admin().close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.executor.running():
            self.executor.stop()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        path = self.base / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def pg_ctl(self, *args: str) -> None:
        """Run ``pg_ctl`` on the server's folder (``restart``, ``stop``, ...)."""
        if args[0] in {"start", "restart"}:  # the server's output goes to its log, not to this pipe
            args = (*args, "-l", self.executor.logfile)
        if args[0] == "start":  # the options the server was first started with (restart keeps them)
            args = (*args, "-o", f"-F -p {self.port} -c unix_socket_directories='{self.base}'")
        subprocess.run([self.executor.executable, *args, "-D", self.executor.datadir, "-w"], check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        if args[0] in {"start", "restart"}:
            self.wait_until_ready()

    def url(self, database: str = DATABASE, schema: str | None = None) -> str:
        """The URL of ``database``; with ``schema``, its tables go in that schema (``search_path``)."""
        query = f"?options=-csearch_path%3D{schema}" if schema else ""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}{query}"

    def _admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True)

    def new_database(self) -> str:
        """The URL of a new, empty place for a test's tables: a schema of its own in the test database
        (made in a millisecond, where a database takes a second)."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with self._admin(DATABASE) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return self.url(schema=name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("%3D", 1)[1]
        with self._admin(DATABASE) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def start_server() -> TestServer:
    """A started server, or RuntimeError saying why it could not be started."""
    server = None
    try:
        server = TestServer()
        return server.start()
    except Exception as exc:
        detail = f"{exc.__class__.__name__}: {exc}"
        if server is not None:
            detail += f"\n{server.log_tail()}"
            server.remove()
        raise RuntimeError(f"PostgreSQL could not be started for the storage tests ({detail})") from exc


def rows(db: Database, sql: str) -> list[tuple]:
    """The rows of ``sql`` run on a store's own database, whichever back end it is."""
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).fetchall()]


def dump(db: Database) -> str:
    """Every row of every table of a store's database as text, whichever back end it is."""
    with db.engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        return "\n".join(
            f"{table}: {tuple(row)}" for table in tables for row in conn.execute(sa.text(f'SELECT * FROM "{table}"'))
        )
