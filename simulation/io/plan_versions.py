"""Plan versions: a dated, immutable record of a plan and its forecast, to track actuals against later.

Saving a plan adds a version: its scenario, runs and seed, and the forecast's percentiles per
period of every tracked metric, as they were that day. A version is never changed; saving the
same plan name again (after an edit) adds the next version. The forecast is also reproducible
from the scenario, runs and seed (the engine is deterministic for a seed), and tracking checks
that the reproduced percentiles are the stored ones, so a version always means the numbers it
was saved with. Kept in SQLite at ``<data folder>/plans.sqlite3``, or in the PostgreSQL database of
``RETENTION_LAB_DATABASE_URL`` (:mod:`.database`); each save is one transaction.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..engines.results import SimulationResult
from ..errors import InputError
from ..model.scenario import Scenario, scenario_from_dict
from ..track import METRICS
from .database import (
    Database,
    ensure_table,
    open_database,
    open_folder,
    store_errors,
)
from .sqlite import data_dir, utc_now

FILE_NAME = "plans.sqlite3"
PERCENTILES = (5, 25, 50, 75, 95)
MAX_NAME = 80
_metadata = sa.MetaData()
PLAN_VERSIONS = sa.Table(
    "plan_versions",
    _metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("saved_at", sa.Text, nullable=False),
    sa.Column("scenario", sa.Text, nullable=False),
    sa.Column("runs", sa.Integer, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("forecast", sa.Text, nullable=False),
    sa.UniqueConstraint("name", "version"),
    sqlite_autoincrement=True,
)


class PlanVersionError(InputError):
    """A plan version that cannot be saved or found; the message says why."""


@dataclass(frozen=True)
class PlanVersion:
    """One saved version: ``label`` names it in every report (``Budget 2027, version 2 of 2026-12-07``)."""

    id: int
    name: str
    version: int
    saved_at: str
    scenario: Scenario
    runs: int
    seed: int
    forecast: dict[str, dict[str, list[float]]]

    @property
    def label(self) -> str:
        return f"{self.name}, version {self.version} of {self.saved_at[:10]}"


def forecast_of(result: SimulationResult) -> dict[str, dict[str, list[float]]]:
    """The forecast kept with a version: per tracked metric, each percentile's path over periods 0..horizon."""
    out = {}
    for metric in METRICS:
        q = np.percentile(np.asarray(result.paths[metric], dtype=float), PERCENTILES, axis=1)
        out[metric] = {f"p{p}": [float(x) for x in row] for p, row in zip(PERCENTILES, q, strict=True)}
    return out


class PlanVersions:
    """The plan versions kept in a data folder (``directory``, else ``$RETENTION_LAB_DATA_DIR``, else ``./data``)."""

    def __init__(self, directory=None):
        self.path: Path = data_dir(directory) / FILE_NAME

    @property
    def database(self) -> Database:
        """Where the versions are kept: :attr:`path`, or the PostgreSQL database."""
        try:
            return open_database(FILE_NAME, self.path.parent)
        except ValueError as exc:
            raise PlanVersionError(str(exc)) from None

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection]:
        db = self.database
        if write:
            open_folder(db, PlanVersionError, "the plan versions")
        with store_errors(db, PlanVersionError, "the store of plan versions", noun="store of plan versions"):
            if write:
                ensure_table(db, "plan_versions", _metadata)
            with db.transaction(write=write) as conn:
                yield conn

    def save(self, name: str, result: SimulationResult) -> PlanVersion:
        """Add the next version of plan ``name``: ``result``'s scenario, runs, seed and forecast."""
        name = " ".join(str(name).split())
        if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
            raise PlanVersionError(f"plan name: 1 to {MAX_NAME} characters, no control characters")
        scenario = result.scenario.replace(budget=result.budget.model_dump())
        row = {
            "name": name, "saved_at": utc_now(), "scenario": scenario.canonical_json(), "runs": int(result.runs),
            "seed": int(result.seed), "forecast": json.dumps(forecast_of(result), separators=(",", ":")),
        }  # fmt: skip
        with self._connect(write=True) as conn:
            last = conn.execute(sa.text("SELECT MAX(version) FROM plan_versions WHERE name = :name"), row).scalar()
            new_id = conn.execute(
                sa.text(
                    "INSERT INTO plan_versions (name, version, saved_at, scenario, runs, seed, forecast) "
                    "VALUES (:name, :version, :saved_at, :scenario, :runs, :seed, :forecast) RETURNING id"
                ),
                {**row, "version": (last or 0) + 1},
            ).scalar_one()
        return self.get(new_id)

    def _rows(self, query: str, args: dict) -> list:
        if not self.database.exists():
            return []
        with self._connect(write=False) as conn:
            if not self.database.ready("plan_versions") and not self.database.has_table(conn, "plan_versions"):
                return []
            return conn.execute(sa.text(query), args).mappings().fetchall()

    def list(self) -> list[tuple[int, str, int, str]]:
        """Every version as ``(id, name, version, saved_at)``, newest first."""
        rows = self._rows("SELECT id, name, version, saved_at FROM plan_versions ORDER BY id DESC", {})
        return [(r["id"], r["name"], r["version"], r["saved_at"]) for r in rows]

    def get(self, version_id: int) -> PlanVersion:
        """The version with ``version_id``."""
        rows = self._rows("SELECT * FROM plan_versions WHERE id = :id", {"id": int(version_id)})
        if not rows:
            raise PlanVersionError(f"plan version {version_id}: no such version")
        r = rows[0]
        return PlanVersion(
            id=r["id"], name=r["name"], version=r["version"], saved_at=r["saved_at"],
            scenario=scenario_from_dict(json.loads(r["scenario"])), runs=r["runs"], seed=r["seed"],
            forecast=json.loads(r["forecast"]),
        )  # fmt: skip


def check_reproduced(version: PlanVersion, result: SimulationResult) -> None:
    """Refuse a forecast that is not the one saved with ``version`` (the engine's numbers changed since)."""
    again = forecast_of(result)
    for metric, saved in version.forecast.items():
        for key, path in saved.items():
            if not np.allclose(again[metric][key], path, rtol=1e-9, atol=1e-9):
                raise PlanVersionError(
                    f"{version.label}: this version of the app does not reproduce the forecast saved with it "
                    f"({metric} {key} differs); track against a version saved with this app"
                )
