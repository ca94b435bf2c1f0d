"""Reading a scenario file someone uploads: a scenario, or a message saying what is wrong with it."""

from __future__ import annotations

import json
import tomllib

from simulation import Scenario, parse_scenario
from simulation.errors import InputError
from simulation.model.scenario import MAX_FILE_BYTES
from ui.shared.safe_text import code
from ui.shared.state import problems_text


def read_upload(file_name: str, data: bytes) -> tuple[Scenario | None, str]:
    """The scenario in an uploaded file and a Markdown message for the page.

    Returns ``(scenario, "Opened ...")``, or ``(None, message)`` naming every problem; never
    raises for any content of the file.
    """
    fmt = "json" if str(file_name).lower().endswith(".json") else "toml"
    try:
        scenario = parse_scenario(data, fmt)
    except InputError as exc:
        problems = problems_text(exc, _raw_data(data, fmt))
        return None, f"**{code(file_name)} could not be opened; nothing was changed.**\n\n{problems}"
    return scenario, f"Opened {code(scenario.name)} from {code(file_name)}."


def _raw_data(data: bytes, fmt: str) -> dict | None:
    """The file's contents as a mapping, if they parse at all (only to name segments in messages)."""
    if len(data) > MAX_FILE_BYTES or data.count(b"[") + data.count(b"{") > 10_000:
        return None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
        raw = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return raw if isinstance(raw, dict) else None
