"""Per-user state: the session's scenario and the messages queued for its next render.

Per-user state lives only in ``st.session_state``; nothing here keeps a user's data in a
module global or in ``st.cache_resource``, so two people using the app never see each
other's scenario.
"""

from __future__ import annotations

import logging
import re
import secrets

import streamlit as st

from simulation import Scenario, ScenarioError
from simulation.errors import InputError
from simulation.io.sharing import QUERY_PARAM, decode_scenario
from ui.shared.cache import preset
from ui.shared.safe_text import code

log = logging.getLogger("retention_lab.app")

SCENARIO_KEY = "scenario"  # contract: the current validated Scenario (pages/plan.py writes it every run)
PENDING_SPLIT_KEY = "pending_split"  # contract: an acquisition share another page asks the Plan page to apply
NOTICES_KEY = "_notices"
URL_READ_KEY = "_url_read"
CLIENT_KEY = "_client_id"


def client_id() -> str:
    """An id of this browser session, so that its failed tries (passphrases, class codes) are counted
    apart from everyone else's."""
    if CLIENT_KEY not in st.session_state:
        st.session_state[CLIENT_KEY] = secrets.token_urlsafe(12)
    return st.session_state[CLIENT_KEY]


# Session --------------------------------------------------------------------------------------
def notify(kind: str, text: str) -> None:
    """Queue a message (``"error"``, ``"warning"``, ``"success"``, ``"info"``) for the next render."""
    st.session_state.setdefault(NOTICES_KEY, []).append((kind, text))


def pop_notices(keep: bool = False) -> list[tuple[str, str]]:
    """The queued messages, taken off the queue unless ``keep``."""
    return list(st.session_state.get(NOTICES_KEY, [])) if keep else st.session_state.pop(NOTICES_KEY, [])


def problems_text(exc: InputError, context: Scenario | dict | None = None) -> str:
    """A user-facing error as Markdown: one bullet per named problem, each shown literally.

    The problems quote names and values from the user's scenario, so each is a code span.
    ``context`` (the scenario, or the raw data that failed) lets a segment be named as
    well as numbered: ``segment 2 (Core) · churn``.
    """
    if isinstance(exc, ScenarioError):
        data = context.to_dict() if isinstance(context, Scenario) else context
        lines = describe_problems(exc.problems, data if isinstance(data, dict) else None)
        return "\n".join(f"- {code(line)}" for line in lines)
    return code(exc)


def describe_problems(problems: list[tuple[str, str]], scenario_data: dict | None = None) -> list[str]:
    """Problems as lines for a person: ``segments[2].churn`` becomes ``segment 3 (C) · churn``."""
    segments = (scenario_data or {}).get("segments", [])
    segments = segments if isinstance(segments, list) else []
    names = [str(s.get("name", "")) if isinstance(s, dict) else "" for s in segments]
    lines = []
    for path, message in problems:
        m = re.match(r"segments\[(\d+)\](?:\.(.*))?$", path or "")
        if m:
            i = int(m[1])
            label = f"segment {i + 1}" + (f" ({names[i]})" if i < len(names) and names[i] else "")
            path = label + (f" · {m[2]}" if m[2] else "")
        lines.append(f"{path}: {message}" if path else message)
    return lines


def current_scenario() -> Scenario:
    """This session's scenario; on the session's first call, the one in the link, else the default preset.

    A broken or tampered link queues an error naming what is wrong and falls back to the
    default preset, so the page keeps working.
    """
    if not st.session_state.get(URL_READ_KEY):
        st.session_state[URL_READ_KEY] = True
        token = st.query_params.get(QUERY_PARAM)
        if token is not None:
            try:
                st.session_state[SCENARIO_KEY] = decode_scenario(token)
                notify("success", "Opened the scenario from the link.")
            except InputError as exc:
                notify(
                    "error",
                    "**This link's scenario could not be opened**, so the default example is shown instead.\n\n"
                    + problems_text(exc),
                )
    scenario = st.session_state.get(SCENARIO_KEY)
    if not isinstance(scenario, Scenario):
        scenario = preset()
        st.session_state[SCENARIO_KEY] = scenario
    return scenario


def set_scenario(scenario: Scenario) -> None:
    """Make ``scenario`` this session's current scenario."""
    st.session_state[SCENARIO_KEY] = scenario
