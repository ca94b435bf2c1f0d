"""Class (trainer): start a class, pace it lesson by lesson, follow the roster, project, reveal, export, close."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.io.classroom import ClassroomError, ClassroomStore, ClassSession
from simulation.lessons import LESSONS
from ui.lessons import trainer
from ui.shared import routing

routing.ensure_routed("pages/class_trainer.py")


def links(session: ClassSession, code: str, secret: str) -> None:
    if st.session_state.pop(trainer.K_NEW, None):
        st.success("Class started. Your trainer link below brings you back to it: keep it safe.")
    st.text(session.title)
    left, right = st.columns(2)
    with left:
        st.markdown("**Class code** (learners type it on the Lessons page)")
        st.code(code, language=None)
    with right:
        st.markdown("**Link for learners**")
        st.code(trainer.learner_link(code), language=None)
    with st.expander("Trainer link (private)", expanded=False):
        st.warning(trainer.PRIVATE)
        st.code(trainer.trainer_link(code, secret), language=None)
    if not session.open:
        st.warning("This class is closed: learners can no longer join or answer. Answers remain for export.")


def pacing(store: ClassroomStore, code: str, secret: str, session: ClassSession) -> str:
    """The lesson the class is on: the trainer unlocks it for learners and reveals its answer. Returns its key."""
    key = st.selectbox("Lesson the class is on", trainer.LESSON_KEYS, key="trainer_lesson",
                       format_func=lambda k: f"{LESSONS[k].number}. {LESSONS[k].title}")  # fmt: skip
    unlocked, revealed = key in session.unlocked, key in session.revealed
    left, mid, right = st.columns(3)
    if session.open:
        label = "Lock this lesson again" if unlocked else "Unlock this lesson for learners"
        if left.button(label, key=f"trainer_unlock_{key}", type="secondary" if unlocked else "primary"):
            act(lambda: store.set_unlocked(code, secret, key, not unlocked))
        if unlocked:
            label = "Hide the answer from learners" if revealed else "Reveal the answer to learners"
            if mid.button(label, key=f"trainer_reveal_{key}", type="secondary" if revealed else "primary"):
                act(lambda: store.set_revealed(code, secret, key, not revealed))
    right.toggle(
        "Projector view",
        key="trainer_projector",
        help="Large type for the room: the question, the spread of predictions, the answer once revealed.",
    )
    if st.session_state.get("trainer_projector"):
        st.checkbox("Show on the projector who has predicted", key="trainer_projector_names")
    shown = [f"{LESSONS[k].number}" + (" (answer revealed)" if k in session.revealed else "")
             for k in trainer.LESSON_KEYS if k in session.unlocked]  # fmt: skip
    st.caption(f"Learners see lessons: {', '.join(shown)}." if shown else "Learners see no lesson yet.")
    return key


def act(change) -> None:
    """Carry out a trainer's change and show the class as it now is."""
    try:
        change()
    except ClassroomError as exc:
        st.error(str(exc))
    else:
        st.rerun()


def roster_actions(store: ClassroomStore, code: str, secret: str) -> None:
    try:
        roster = store.roster(code, secret)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    reissued = st.session_state.get(trainer.K_REISSUED)
    if reissued:
        st.info("Give this link to that learner only; their old link no longer works.")
        st.text(reissued[0])
        st.code(trainer.seat_link(code, reissued[1]), language=None)
    if not roster:
        return
    with st.expander("A learner: remove, or re-issue their link"):
        ids = [r.learner_id for r in roster]
        names = {r.learner_id: r.name for r in roster}
        picked = st.selectbox("Learner", ids, key="trainer_roster_pick", format_func=lambda i: names.get(i, "?"))
        st.caption(
            "Re-issue a link when a learner changes browser or lost theirs: the old link stops working. Remove a "
            "learner to take their answers out of the class's figures (they stay in the export, marked removed)."
        )
        left, right = st.columns(2)
        if left.button("Re-issue their link", key="trainer_reissue"):
            try:
                st.session_state[trainer.K_REISSUED] = (names[picked], store.reissue(code, secret, picked))
            except ClassroomError as exc:
                st.error(str(exc))
            else:
                st.rerun()
        sure = right.checkbox("Yes, remove this learner", key="trainer_remove_confirm")
        if right.button("Remove from the class", key="trainer_remove"):
            if not sure:
                st.error("Tick the box to confirm.")
            else:
                st.session_state.pop(trainer.K_REISSUED, None)
                act(lambda: store.remove(code, secret, picked))


def wrap_up(store: ClassroomStore, code: str, secret: str, session: ClassSession) -> None:
    top = st.columns(2)
    try:
        csv_text = store.export_csv(code, secret)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    top[0].download_button("Export answers (CSV)", csv_text, file_name=f"class-{code}.csv", mime="text/csv",
                           key="trainer_export")  # fmt: skip
    if top[1].button("Sign out of this class", key="trainer_sign_out"):
        trainer.sign_out()
        st.rerun()
    if session.open:
        with st.form("trainer_close"):
            st.subheader("Close the class")
            st.checkbox("Yes, stop taking answers for this class", key="trainer_close_confirm")
            closing = st.form_submit_button("Close the class", key="trainer_close_submit")
        if closing:
            if not st.session_state.get("trainer_close_confirm"):
                st.error("Tick the box to confirm.")
            else:
                act(lambda: store.close(code, secret))


def status_table(session: ClassSession) -> None:
    st.dataframe(
        pd.DataFrame({
            "Lesson": [f"{LESSONS[k].number}. {LESSONS[k].title}" for k in trainer.LESSON_KEYS],
            "Learners see it": ["yes" if k in session.unlocked else "no" for k in trainer.LESSON_KEYS],
            "Answer": ["revealed" if k in session.revealed else "hidden" for k in trainer.LESSON_KEYS],
        }),
        hide_index=True, key="trainer_status_table",
    )  # fmt: skip


def dashboard(store: ClassroomStore, code: str, secret: str) -> None:
    try:
        session = store.session(code)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    projecting = st.session_state.get("trainer_projector")
    if not projecting:
        links(session, code, secret)
    key = pacing(store, code, secret, session)
    st.divider()
    trainer.live(store, code, secret, key)
    if projecting:
        return
    roster_actions(store, code, secret)
    with st.expander("All lessons"):
        status_table(session)
    st.divider()
    wrap_up(store, code, secret, session)


st.title("Class (trainer)")
classroom = ClassroomStore()
held = trainer.signed_in(classroom)
if held is not None:
    dashboard(classroom, *held)
else:
    trainer.sign_in(classroom)
