"""Which saved library a session sees (its workspace), and the optional app-wide password.

A session starts in the shared default workspace. A link with ``?w=KEY`` opens a private
workspace; the key is then taken out of the address bar, so a link copied later to share a
plan does not carry it. The app asks for a password first when Streamlit's secrets hold
``app_password``.
"""

from __future__ import annotations

import hmac

import streamlit as st

from simulation.errors import InputError
from simulation.io.storage import DEFAULT_WORKSPACE, ScenarioStore, Workspace, new_workspace_key, workspace_from_key
from ui.shared.safe_text import code
from ui.shared.state import client_id

WORKSPACE_KEY = "_workspace"
NEW_KEY_KEY = "_workspace_new_key"
QUERY_PARAM = "w"
_PASSWORD_OK = "_app_password_ok"


def current() -> Workspace:
    """This session's workspace; a ``?w=KEY`` in the address switches to it (once)."""
    key = st.query_params.get(QUERY_PARAM)
    if key is not None:
        del st.query_params[QUERY_PARAM]
        try:
            st.session_state[WORKSPACE_KEY] = workspace_from_key(key)
        except InputError as exc:
            st.session_state.setdefault("_notices", []).append(("error", f"Workspace not opened: {code(exc)}"))
    return st.session_state.get(WORKSPACE_KEY, DEFAULT_WORKSPACE)


def store() -> ScenarioStore:
    """The saved-scenario library as this session's workspace sees it."""
    return ScenarioStore(workspace=current())


def _private() -> None:
    key = new_workspace_key()
    st.session_state[WORKSPACE_KEY] = workspace_from_key(key)
    st.session_state[NEW_KEY_KEY] = key


def _shared() -> None:
    st.session_state[WORKSPACE_KEY] = DEFAULT_WORKSPACE
    st.session_state.pop(NEW_KEY_KEY, None)


def panel() -> None:
    """Where the session's scenarios are saved, and how to move to a private or named workspace."""
    ws = current()
    # a named workspace's label is the name a person typed
    label = code(ws.label) if ws.is_named else ws.label
    with st.expander(f"Workspace: {label}", icon=":material/folder_shared:"):
        st.caption(
            "Scenarios saved in a workspace are seen only from that workspace. The shared one is seen by everyone "
            "using this server; a private one only through its link, or its name and passphrase."
        )
        key = st.session_state.get(NEW_KEY_KEY)
        if key is not None:
            st.markdown("**Keep this link**: it is the only way back to this private workspace.")
            st.code(f"?{QUERY_PARAM}={key}", language=None)
        c1, c2 = st.columns(2)
        c1.button("New private workspace", on_click=_private, key="ws_new", icon=":material/lock:")
        if not ws.is_default:
            c2.button("Back to the shared workspace", on_click=_shared, key="ws_shared")
        with st.form("ws_named", border=False):
            name = st.text_input("Workspace name", max_chars=80, key="ws_name")
            passphrase = st.text_input("Passphrase", type="password", max_chars=1024, key="ws_pass")
            create = st.checkbox("Create this workspace", key="ws_create")
            if st.form_submit_button("Open workspace"):
                try:
                    st.session_state[WORKSPACE_KEY] = ScenarioStore().named_workspace(
                        name, passphrase, create=create, client=client_id()
                    )
                except InputError as exc:
                    st.error(f"Workspace not opened: {code(exc)}")
                else:
                    st.session_state.pop(NEW_KEY_KEY, None)
                    st.rerun()


def require_password() -> None:
    """Stop the page until the app password is given, when ``app_password`` is set in Streamlit's secrets."""
    try:
        expected = st.secrets.get("app_password")
    except Exception:  # no secrets file: the app is open, as on a person's own machine
        expected = None
    if not expected or st.session_state.get(_PASSWORD_OK):
        return
    given = st.text_input("Password", type="password", key="app_password_input")
    if given and hmac.compare_digest(given.encode(), str(expected).encode()):
        st.session_state[_PASSWORD_OK] = True
        st.session_state.pop("app_password_input", None)
        st.rerun()
    if given:
        st.error("Wrong password.")
    st.stop()
