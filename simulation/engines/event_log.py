"""The discrete-event engine's event log: one row per customer event, and its CSV file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.cells import to_csv

EVENTS = ("acquired", "saved", "expanded", "churned", "won_back", "referred")
EVENT_COLUMNS = ("run", "period", "customer_id", "segment", "event", "revenue")


def event_frame(frames: list[dict], segment_names: list[str]) -> pd.DataFrame:
    """One table of the events of every run (segment and event as categories)."""
    frames = [f for f in frames if f["run"].size]
    if not frames:
        cols = {c: np.zeros(0, np.int64) for c in ("run", "period", "customer_id", "segment", "event")}
        cols["revenue"] = np.zeros(0)
        frames = [cols]
    col = {name: np.concatenate([f[name] for f in frames]) for name in EVENT_COLUMNS}
    return pd.DataFrame(
        {
            "run": col["run"],
            "period": col["period"],
            "customer_id": col["customer_id"],
            "segment": pd.Categorical.from_codes(col["segment"], categories=segment_names),
            "event": pd.Categorical.from_codes(col["event"], categories=EVENTS),
            "revenue": col["revenue"],
        }
    )


def write_event_log(result, path: str | Path) -> None:
    """Write a discrete-event result's event log to a CSV file.

    Parameters
    ----------
    result : SimulationResult
        A result of ``simulate(..., engine="discrete_event", record_events=True)``.
    path : str or Path
        The CSV file to write (columns run, period, customer_id, segment, event, revenue).

    Raises
    ------
    InputError
        When the result carries no event log.
    """
    events = getattr(getattr(result, "output", None), "extras", {}).get("events")
    if events is None:
        engine = getattr(result, "engine", "unknown")
        raise InputError(
            f"this result has no event log (engine {engine!r}): run the discrete-event engine with "
            "record_events=True (on the command line: --engine discrete-event --events FILE.csv)"
        )
    Path(path).write_text(to_csv(events), encoding="utf-8")
