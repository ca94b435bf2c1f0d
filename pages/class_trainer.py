"""Class (trainer): start a class session, watch the spread of predictions, reveal answers, export, close."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.io.classroom import ClassroomError, ClassroomStore, clean_code
from simulation.lessons import LESSONS, Lesson
from ui.lessons import charts as lesson_charts
from ui.lessons import text as lessons_text
from ui.lessons.state import answer_at_start, show_chart
from ui.shared import routing

routing.ensure_routed("pages/class_trainer.py")

K_CODE, K_SECRET, K_NEW_SECRET = "trainer_code", "trainer_secret", "trainer_new_secret"
LESSON_PATH = "lessons"


def learner_link(code: str) -> str:
    """The link learners open: the Lessons page with the class code."""
    base = (st.context.url or "").split("?")[0].rstrip("/")
    if base.endswith("/class_trainer"):
        base = base.removesuffix("/class_trainer")
    return f"{base}/{LESSON_PATH}?class={code}" if base else f"/{LESSON_PATH}?class={code}"


def sign_in(store: ClassroomStore) -> None:
    st.markdown(
        "Run a class from the **Lessons** page: start a session here, give the learners its code or link, and "
        "watch their predictions arrive. Each learner's answer stays hidden from them until you reveal it."
    )
    start, reopen = st.columns(2)
    with start, st.form("trainer_start"):
        st.subheader("Start a class")
        st.text_input("Title (for you and the learners)", key="trainer_title", max_chars=80,
                      placeholder="Retention economics, 3rd year")  # fmt: skip
        started = st.form_submit_button("Start the class")
    with reopen, st.form("trainer_open"):
        st.subheader("Open a class you started")
        st.text_input("Class code", key="trainer_open_code", max_chars=12)
        st.text_input("Trainer secret", key="trainer_open_secret", type="password", max_chars=64)
        opened = st.form_submit_button("Open")
    if started:
        try:
            new = store.start(st.session_state.get("trainer_title") or "Class")
        except ClassroomError as exc:
            st.error(str(exc))
        else:
            st.session_state[K_CODE], st.session_state[K_SECRET] = new.code, new.secret
            st.session_state[K_NEW_SECRET] = new.secret
            st.rerun()
    if opened:
        try:
            code = clean_code(st.session_state.get("trainer_open_code", ""))
        except ClassroomError as exc:
            st.error(str(exc))
            return
        secret = st.session_state.get("trainer_open_secret", "")
        if store.verify(code, secret):
            st.session_state[K_CODE], st.session_state[K_SECRET] = code, secret
            st.rerun()
        st.error("That code and secret do not match a class. Check both (the secret is case-sensitive).")


def lesson_panel(store: ClassroomStore, code: str, secret: str, lesson: Lesson, revealed: bool, is_open: bool) -> None:
    st.subheader(f"Lesson {lesson.number}. {lesson.title}")
    answer = answer_at_start(lesson)
    values = store.predictions(code, lesson.key)
    answered, correct = store.exercise_results(code, lesson.key)
    unit = lesson.prediction_unit
    options = lesson.prediction_options
    left, mid, right, last = st.columns(4)
    left.metric("Predictions", f"{len(values)}")
    mid.metric("Simulated answer", lessons_text.answer_text(lesson, answer))
    if options:
        common = max(set(values), key=values.count) if values else None
        right.metric("Most chosen", lessons_text.answer_text(lesson, common))
    else:
        median = float(pd.Series(values).median()) if values else None
        right.metric("Median prediction", lessons_text.unit_text(median, unit))
    last.metric("Exercise right", f"{correct} of {answered}")
    st.caption(lessons_text.prediction_label(lesson))
    if values and options:
        counts = pd.DataFrame(
            {"option": list(options), "learners": [values.count(float(i)) for i in range(len(options))]}
        )
        show_chart(
            lesson_charts.choice_chart(counts, lessons_text.answer_text(lesson, answer), title="The class's choices",
                                       subtitle=[f"{len(values)} learners; orange: the simulation's best."]),
        )  # fmt: skip
    elif values:
        frame = pd.DataFrame({"value": values})
        show_chart(
            lesson_charts.spread_chart(
                frame, answer, unit_format=".0%" if unit == "share" else ",.0f",
                axis_title="Prediction" + (" (share of the budget)" if unit == "share" else ""),
                title="The class's predictions", subtitle=[f"{len(values)} learners; orange: the simulated answer."],
            ),
        )  # fmt: skip
    else:
        st.caption("No predictions yet.")
    label = "Hide the answer from learners" if revealed else "Reveal the answer to learners"
    if is_open and st.button(label, key=f"trainer_reveal_{lesson.key}"):
        try:
            store.set_revealed(code, secret, lesson.key, not revealed)
        except ClassroomError as exc:
            st.error(str(exc))
        else:
            st.rerun()
    st.caption("Learners see the answer." if revealed else "Hidden from learners.")


def dashboard(store: ClassroomStore, code: str, secret: str) -> None:
    try:
        session = store.session(code)
        learners = store.learner_count(code)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    new_secret = st.session_state.pop(K_NEW_SECRET, None)
    if new_secret:
        st.success("Class started. Copy the trainer secret now: it is shown only this once.")
        st.markdown("**Trainer secret** (to open this view again from another browser)")
        st.code(new_secret, language=None)
    st.text(session.title)
    st.markdown("**Class code** (learners type it on the Lessons page)")
    st.code(code, language=None)
    st.markdown("**Link for learners**")
    st.code(learner_link(code), language=None)
    st.metric("Learners joined", f"{learners}")
    if not session.open:
        st.warning("This class is closed: learners can no longer join or answer. Answers remain for export.")
    top = st.columns(3)
    top[0].button("Refresh", key="trainer_refresh", type="primary")
    try:
        csv_text = store.export_csv(code, secret)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    top[1].download_button("Export answers (CSV)", csv_text, file_name=f"class-{code}.csv", mime="text/csv",
                           key="trainer_export")  # fmt: skip
    if top[2].button("Sign out of this class", key="trainer_sign_out"):
        for k in (K_CODE, K_SECRET):
            st.session_state.pop(k, None)
        st.rerun()
    for lesson in sorted(LESSONS.values(), key=lambda x: x.number):
        st.divider()
        lesson_panel(store, code, secret, lesson, lesson.key in session.revealed, session.open)
    st.divider()
    if session.open:
        with st.form("trainer_close"):
            st.subheader("Close the class")
            st.checkbox("Yes, stop taking answers for this class", key="trainer_close_confirm")
            closing = st.form_submit_button("Close the class")
        if closing:
            if not st.session_state.get("trainer_close_confirm"):
                st.error("Tick the box to confirm.")
            else:
                try:
                    store.close(code, secret)
                except ClassroomError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()


st.title("Class (trainer)")
classroom = ClassroomStore()
code, secret = st.session_state.get(K_CODE), st.session_state.get(K_SECRET)
if code and secret and classroom.verify(code, secret):
    dashboard(classroom, code, secret)
else:
    sign_in(classroom)
