"""Plan versions: a dated, immutable record of a plan and its forecast, to track actuals against later.

Saving a plan adds a version: its scenario, runs and seed, and the forecast's percentiles per
period of every tracked metric, as they were that day. A version is never changed; saving the
same plan name again (after an edit) adds the next version. The forecast is also reproducible
from the scenario, runs and seed (the engine is deterministic for a seed), and tracking checks
that the reproduced percentiles are the stored ones, so a version always means the numbers it
was saved with. Kept in SQLite at ``<data folder>/plans.sqlite3``; each save is one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engines.results import SimulationResult
from ..errors import InputError
from ..model.scenario import Scenario, scenario_from_dict
from ..track import METRICS
from .sqlite import atomic, connect, data_dir, is_busy, utc_now

FILE_NAME = "plans.sqlite3"
PERCENTILES = (5, 25, 50, 75, 95)
MAX_NAME = 80
SCHEMA = """
CREATE TABLE IF NOT EXISTS plan_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    saved_at TEXT NOT NULL,
    scenario TEXT NOT NULL,
    runs INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    forecast TEXT NOT NULL,
    UNIQUE (name, version)
);
"""


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

    def _connect(self, *, write: bool) -> sqlite3.Connection:
        try:
            conn = connect(self.path, create_folder=write)
            conn.row_factory = sqlite3.Row
            if write:
                conn.executescript(SCHEMA)
            return conn
        except (OSError, sqlite3.Error) as exc:
            raise PlanVersionError(f"the plan versions at {self.path} cannot be opened: {exc}") from None

    def save(self, name: str, result: SimulationResult) -> PlanVersion:
        """Add the next version of plan ``name``: ``result``'s scenario, runs, seed and forecast."""
        name = " ".join(str(name).split())
        if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
            raise PlanVersionError(f"plan name: 1 to {MAX_NAME} characters, no control characters")
        scenario = result.scenario.replace(budget=result.budget.model_dump())
        row = (
            name, utc_now(), scenario.canonical_json(), int(result.runs), int(result.seed),
            json.dumps(forecast_of(result), separators=(",", ":")),
        )  # fmt: skip
        conn = self._connect(write=True)
        try:
            with atomic(conn):
                (last,) = conn.execute("SELECT MAX(version) FROM plan_versions WHERE name = ?", (name,)).fetchone()
                cur = conn.execute(
                    "INSERT INTO plan_versions (name, version, saved_at, scenario, runs, seed, forecast) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (row[0], (last or 0) + 1, *row[1:]),
                )
                new_id = cur.lastrowid
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise PlanVersionError("the plan versions are busy; try again") from None
            raise PlanVersionError(f"the plan version could not be saved: {exc}") from None
        finally:
            conn.close()
        return self.get(new_id)

    def _rows(self, query: str, args: tuple) -> list[sqlite3.Row]:
        if not self.path.exists():
            return []
        conn = self._connect(write=False)
        try:
            return conn.execute(query, args).fetchall()
        except sqlite3.Error as exc:
            if "no such table" in str(exc):
                return []
            raise PlanVersionError(f"the plan versions cannot be read: {exc}") from None
        finally:
            conn.close()

    def list(self) -> list[tuple[int, str, int, str]]:
        """Every version as ``(id, name, version, saved_at)``, newest first."""
        rows = self._rows("SELECT id, name, version, saved_at FROM plan_versions ORDER BY id DESC", ())
        return [(r["id"], r["name"], r["version"], r["saved_at"]) for r in rows]

    def get(self, version_id: int) -> PlanVersion:
        """The version with ``version_id``."""
        rows = self._rows("SELECT * FROM plan_versions WHERE id = ?", (int(version_id),))
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
