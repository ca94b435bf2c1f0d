"""Short share links: a scenario kept in the library's database under a short, unguessable token.

The full share link (:mod:`simulation.io.sharing`) carries the whole scenario and is
650-1,000 characters long. A short link carries only ``?k=<token>``: twelve URL-safe
characters from 72 random bits (:func:`secrets.token_urlsafe`), so a link on a usual
host stays under 80 characters and a token cannot be guessed or enumerated. The
scenario is stored in the table ``short_links`` of the saved library's database file
(``scenarios.sqlite3`` in the data folder, :func:`simulation.io.storage.data_dir`) as
its canonical JSON, so the link reopens it exactly; or the link names a saved scenario,
and follows it.

A deleted link, or a link to a saved scenario that was deleted since, says so
(:class:`ShortLinkGoneError`). Tokens arrive from the address bar and are treated as hostile:
anything but exactly twelve characters of ``A-Z a-z 0-9 - _`` is refused before the
database is touched, and queries are parameterised.

The table is this module's own; the library's ``scenarios`` table is read only through
:class:`~simulation.io.storage.ScenarioStore`. Every link belongs to a ``workspace``
(``"default"`` until the library has workspaces).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InputError
from ..model.scenario import Scenario, ScenarioError, scenario_from_dict
from .database import (
    Database,
    ensure_table,
    open_database,
    open_folder,
    store_errors,
)
from .sqlite import data_dir, utc_now
from .storage import DB_FILE, ScenarioStore, StorageError

QUERY_PARAM = "k"
TOKEN_BYTES = 9  # 72 random bits, 12 characters
TOKEN_CHARS = 12
DEFAULT_WORKSPACE = "default"
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}")
_metadata = sa.MetaData()
SHORT_LINKS = sa.Table(
    "short_links",
    _metadata,
    sa.Column("token", sa.Text, primary_key=True),
    sa.Column("workspace", sa.Text, nullable=False),
    sa.Column("scenario_json", sa.Text),
    sa.Column("saved_name", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("deleted_at", sa.Text),
)


class ShortLinkError(InputError):
    """A short link that cannot be made or read; the message says what is wrong."""


class ShortLinkGoneError(ShortLinkError):
    """A short link whose scenario was deleted."""


@dataclass(frozen=True)
class ShortLink:
    """A stored short link: its token and what it opens (a stored copy, or a saved scenario by name)."""

    token: str
    workspace: str
    saved_name: str | None
    created_at: str


def validate_token(token: object) -> str:
    """``token`` if it is exactly a token of ours, else :class:`ShortLinkError` (nothing else is looked up)."""
    if not isinstance(token, str) or not token.strip():
        raise ShortLinkError("the short link holds no token (the 'k' parameter is empty)")
    token = token.strip()
    if not _TOKEN.fullmatch(token):
        raise ShortLinkError(
            f"the short link is damaged: its token should be {TOKEN_CHARS} letters, digits, '-' or '_' "
            "(was it cut short when copied?)"
        )
    return token


def short_url(base_url: str | None, token: str) -> str:
    """The link that opens ``token``: ``<base>?k=<token>`` (a bare ``?k=...`` when the base is unknown)."""
    base = (base_url or "").split("?", 1)[0].split("#", 1)[0]
    return f"{base}?{QUERY_PARAM}={validate_token(token)}"


class ShortLinks:
    """Short links kept in the saved library's database file.

    Parameters
    ----------
    directory : path-like, optional
        The data folder (see :func:`simulation.io.storage.data_dir`).
    workspace : str
        Whose links these are; a link opens only in its own workspace.
    """

    def __init__(self, directory: str | os.PathLike | None = None, workspace: str = DEFAULT_WORKSPACE):
        if not isinstance(workspace, str) or not workspace.strip():
            raise ShortLinkError("the workspace must be a non-empty name")
        self.directory = data_dir(directory)
        self.path = self.directory / DB_FILE
        self.workspace = workspace

    @property
    def database(self) -> Database:
        """Where the links are kept: the library's SQLite file, or the PostgreSQL database."""
        try:
            return open_database(DB_FILE, self.directory)
        except ValueError as exc:
            raise ShortLinkError(str(exc)) from None

    @contextlib.contextmanager
    def _connect(self, *, write: bool = True) -> Iterator[Connection]:
        db = self.database
        open_folder(db, ShortLinkError, "the short links")
        with store_errors(db, ShortLinkError, "the store of short links", noun="library"):
            ensure_table(db, "short_links", _metadata)
            with db.transaction(write=write) as conn:
                yield conn

    def _insert(self, scenario_json: str | None, saved_name: str | None) -> ShortLink:
        now = utc_now()
        # 72 random bits make a collision unlikely beyond belief; the loop keeps one harmless.
        for _ in range(5):
            token = secrets.token_urlsafe(TOKEN_BYTES)
            with self._connect(write=False) as conn:
                added = conn.execute(
                    sa.text(
                        "INSERT INTO short_links (token, workspace, scenario_json, saved_name, created_at) "
                        "VALUES (:token, :workspace, :json, :saved, :now) ON CONFLICT (token) DO NOTHING"
                    ),
                    {"token": token, "workspace": self.workspace, "json": scenario_json, "saved": saved_name,
                     "now": now},
                ).rowcount  # fmt: skip
            if added:
                return ShortLink(token, self.workspace, saved_name, now)
        raise ShortLinkError("could not find a free short link token; try again")

    def create(self, scenario: Scenario) -> ShortLink:
        """Store a copy of ``scenario`` and return its link; it reopens exactly this scenario for good."""
        if not isinstance(scenario, Scenario):
            raise ShortLinkError("only a validated scenario can be shared")
        return self._insert(scenario.canonical_json(), None)

    def create_for_saved(self, name: str, store: ScenarioStore | None = None) -> ShortLink:
        """A link to the saved scenario ``name``: it opens the saved version, and says so once it is deleted."""
        store = store or ScenarioStore(self.directory)
        try:
            store.load(name)
        except StorageError as exc:
            raise ShortLinkError(f"no short link was made: {exc}") from None
        return self._insert(None, name)

    def resolve(self, token: object, store: ScenarioStore | None = None) -> Scenario:
        """The scenario a short link opens.

        Raises
        ------
        ShortLinkError
            The token is malformed, unknown, or belongs to another workspace (all said the same
            way, so a token's existence elsewhere is not revealed).
        ShortLinkGoneError
            The link, or the saved scenario it names, was deleted.
        """
        token = validate_token(token)
        if not self.database.exists():
            raise ShortLinkError("this short link is not known here (it may be from another server or mistyped)")
        with self._connect(write=False) as conn:
            row = conn.execute(
                sa.text(
                    "SELECT scenario_json, saved_name, deleted_at FROM short_links "
                    "WHERE token = :token AND workspace = :workspace"
                ),
                {"token": token, "workspace": self.workspace},
            ).fetchone()
        if row is None:
            raise ShortLinkError("this short link is not known here (it may be from another server or mistyped)")
        scenario_json, saved_name, deleted_at = row
        if deleted_at is not None:
            raise ShortLinkGoneError(f"the scenario behind this short link was deleted on {deleted_at[:10]}")
        if saved_name is not None:
            store = store or ScenarioStore(self.directory)
            if not store.exists(saved_name):
                raise ShortLinkGoneError(f"the saved scenario {saved_name!r} this short link opened has been deleted")
            return store.load(saved_name)
        try:
            return scenario_from_dict(json.loads(scenario_json))
        except json.JSONDecodeError:
            raise ShortLinkError("the scenario behind this short link is damaged and cannot be opened") from None
        except ScenarioError as exc:
            raise ShortLinkError(
                f"the scenario behind this short link no longer passes the app's checks: {exc.describe()}"
            ) from None

    def delete(self, token: object) -> None:
        """Delete a short link's scenario; the link then says it was deleted."""
        token = validate_token(token)
        with self._connect() as conn:
            changed = conn.execute(
                sa.text(
                    "UPDATE short_links SET scenario_json = NULL, deleted_at = :now "
                    "WHERE token = :token AND workspace = :workspace AND deleted_at IS NULL"
                ),
                {"now": utc_now(), "token": token, "workspace": self.workspace},
            ).rowcount
        if changed == 0:
            raise ShortLinkError("no such short link to delete")
