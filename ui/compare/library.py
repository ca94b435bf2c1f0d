"""The Compare page's library actions: rename, duplicate and delete a saved scenario.

They run as widget callbacks, before the page, so they can update other widgets' state safely;
each ends in a notice the page shows.
"""

from __future__ import annotations

import streamlit as st

from simulation.errors import InputError
from ui.shared import state, widgets
from ui.shared.safe_text import code

K_SELECTED, K_NEW_NAME, K_CONFIRM = "cmp_selected", "cmp_new_name", "cmp_confirm_delete"
K_PICK = "cmp_pick"


def _replace_in_pick(old: str, new: str | None) -> None:
    picked = [p for p in st.session_state.get(K_PICK, []) if p != old or new is not None]
    st.session_state[K_PICK] = [new if p == old else p for p in picked]


def rename() -> None:
    old, new = st.session_state.get(K_SELECTED), st.session_state.get(K_NEW_NAME, "")
    try:
        saved = widgets.open_store().rename(old, new)
    except InputError as exc:
        state.notify("error", f"Not renamed: {code(exc)}")
        return
    st.session_state[K_SELECTED] = saved.name
    st.session_state[K_NEW_NAME] = ""
    _replace_in_pick(old, saved.name)
    state.notify("success", f"Renamed {code(old)} to {code(saved.name)}.")


def duplicate() -> None:
    name = st.session_state.get(K_SELECTED)
    try:
        saved = widgets.open_store().duplicate(name)
    except InputError as exc:
        state.notify("error", f"Not duplicated: {code(exc)}")
        return
    st.session_state[K_SELECTED] = saved.name
    state.notify("success", f"Saved a copy of {code(name)} as {code(saved.name)}.")


def delete() -> None:
    name = st.session_state.get(K_SELECTED)
    try:
        widgets.open_store().delete(name)
    except InputError as exc:
        state.notify("error", f"Not deleted: {code(exc)}")
        return
    st.session_state.pop(K_SELECTED, None)
    st.session_state[K_CONFIRM] = False
    _replace_in_pick(name, None)
    state.notify("success", f"Deleted {code(name)}.")
