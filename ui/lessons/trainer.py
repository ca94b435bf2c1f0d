"""The trainer's view of a class (the Class page): signing in, pacing, the roster, the projector.

Nothing of a class is shown before its secret is given, by the sign-in form or by the trainer's
link (the page's address with ``class=`` and ``trainer=``, which the page keeps in the address so
that a reload brings the trainer back). The live part (figures, roster, projector) is a fragment
that reruns by itself every :data:`REFRESH_SECONDS` seconds. Every widget has a fixed key.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from simulation.io.classroom import ClassroomError, ClassroomStore, ClassSession, RosterEntry, clean_code
from simulation.lessons import LESSONS, Lesson
from ui.lessons import charts as lesson_charts
from ui.lessons import text as lessons_text
from ui.lessons.state import answer_at_start, show_chart

K_CODE, K_SECRET, K_NEW, K_REISSUED = "trainer_code", "trainer_secret", "trainer_new", "trainer_reissued"
K_LINK_READ = "trainer_link_read"
CLASS_PARAM, TRAINER_PARAM = "class", "trainer"
REFRESH_SECONDS = 0.75
LESSON_KEYS = tuple(sorted(LESSONS, key=lambda k: LESSONS[k].number))
PRIVATE = (
    "Keep this link private: it opens this class, its answers and its learners' names, in any browser. "
    "It is also the page's address now: bookmark it to come back after a reload or from another computer."
)


# Links -------------------------------------------------------------------------------------------
def app_base() -> str:
    """The app's address as the trainer opened it (the learners' links are made from it)."""
    base = (st.context.url or "").split("?")[0].rstrip("/")
    return base.removesuffix("/class_trainer")


def learner_link(code: str) -> str:
    """The link learners open: the Lessons page with the class code."""
    return f"{app_base()}/lessons?{urlencode({'class': code})}"


def seat_link(code: str, link: str) -> str:
    """A learner's own link (after a re-issue): the first browser that opens it holds the seat."""
    return f"{app_base()}/lessons?{urlencode({'class': code, 'learner': link})}"


def trainer_link(code: str, secret: str) -> str:
    return f"{app_base()}/class_trainer?{urlencode({CLASS_PARAM: code, TRAINER_PARAM: secret})}"


# Signing in --------------------------------------------------------------------------------------
def signed_in(store: ClassroomStore) -> tuple[str, str] | None:
    """The class this session runs, from the session or the trainer's link in the address; None if none."""
    if not st.session_state.get(K_LINK_READ):
        st.session_state[K_LINK_READ] = True
        code, secret = st.query_params.get(CLASS_PARAM), st.query_params.get(TRAINER_PARAM)
        if code is not None and secret is not None:
            if store.verify(code, secret):
                st.session_state[K_CODE], st.session_state[K_SECRET] = clean_code(code), secret
            else:
                st.error("This trainer link does not open a class: check that it was copied whole.")
    code, secret = st.session_state.get(K_CODE), st.session_state.get(K_SECRET)
    if not (code and secret and store.verify(code, secret)):
        return None
    st.query_params[CLASS_PARAM], st.query_params[TRAINER_PARAM] = code, secret
    return code, secret


def sign_in(store: ClassroomStore) -> None:
    st.markdown(
        "Run a class from the **Lessons** page: start a session here, give the learners its code or link, open "
        "the lessons one at a time, and watch their predictions arrive. Each class has its own numbers, and each "
        "lesson's answer stays hidden from the learners until you reveal it."
    )
    start, reopen = st.columns(2)
    with start, st.form("trainer_start"):
        st.subheader("Start a class")
        st.text_input("Title (for you and the learners)", key="trainer_title", max_chars=80,
                      placeholder="Retention economics, 3rd year")  # fmt: skip
        started = st.form_submit_button("Start the class", key="trainer_start_submit")
    with reopen, st.form("trainer_open"):
        st.subheader("Open a class you started")
        st.text_input("Class code", key="trainer_open_code", max_chars=12)
        st.text_input("Trainer secret", key="trainer_open_secret", type="password", max_chars=64)
        opened = st.form_submit_button("Open", key="trainer_open_submit")
    if started:
        try:
            new = store.start(st.session_state.get("trainer_title") or "Class")
        except ClassroomError as exc:
            st.error(str(exc))
        else:
            st.session_state[K_CODE], st.session_state[K_SECRET], st.session_state[K_NEW] = new.code, new.secret, True
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


def sign_out() -> None:
    for k in (K_CODE, K_SECRET, K_NEW, K_REISSUED):
        st.session_state.pop(k, None)
    for k in (CLASS_PARAM, TRAINER_PARAM):
        st.query_params.pop(k, None)


# The class's figures -----------------------------------------------------------------------------
def lesson_figures(store: ClassroomStore, code: str, lesson: Lesson, session: ClassSession) -> dict:
    """What the trainer's panel and the projector show of a lesson: the class's predictions and its answer."""
    start = lesson.class_start(session.seed)
    values = store.predictions(code, lesson.key)
    answered, correct = store.exercise_results(code, lesson.key)
    return {"start": start, "answer": answer_at_start(lesson, start), "values": values,
            "answered": answered, "correct": correct}  # fmt: skip


def typical_text(lesson: Lesson, values: list[float]) -> tuple[str, str]:
    """``(label, text)``: the most chosen option, or the median prediction."""
    if lesson.prediction_options:
        common = max(set(values), key=values.count) if values else None
        return "Most chosen", lessons_text.answer_text(lesson, common)
    median = float(pd.Series(values).median()) if values else None
    return "Median prediction", lessons_text.unit_text(median, lesson.prediction_unit)


def spread(lesson: Lesson, values: list[float], answer: float | None) -> None:
    """The class's predictions as a chart, with the simulated answer when ``answer`` is given."""
    if not values:
        st.caption("No predictions yet.")
        return
    learners = lessons_text.count_noun(len(values), "learner")
    if lesson.prediction_options:
        counts = pd.DataFrame(
            {
                "option": list(lesson.prediction_options),
                "learners": [values.count(float(i)) for i in range(len(lesson.prediction_options))],
            }
        )
        shown = None if answer is None else lessons_text.answer_text(lesson, answer)
        note = "" if answer is None else "; orange: the simulation's best"
        show_chart(lesson_charts.choice_chart(counts, shown, title="The class's choices",
                                              subtitle=[f"{learners}{note}."]))  # fmt: skip
        return
    share = lesson.prediction_unit == "share"
    note = "" if answer is None else "; orange: the simulated answer"
    show_chart(
        lesson_charts.spread_chart(
            pd.DataFrame({"value": values}), answer, unit_format=".0%" if share else ",.0f",
            axis_title="Prediction" + (" (share of the budget)" if share else " (customers)"),
            title="The class's predictions", subtitle=[f"{learners}{note}."],
        )
    )  # fmt: skip


def lesson_panel(lesson: Lesson, figures: dict, session: ClassSession) -> None:
    values = figures["values"]
    left, mid, right, last = st.columns(4)
    left.metric("Predictions", f"{len(values)}")
    mid.metric("Simulated answer", lessons_text.answer_text(lesson, figures["answer"]))
    label, typical = typical_text(lesson, values)
    right.metric(label, typical)
    last.metric("Exercise right", f"{figures['correct']} of {figures['answered']}")
    st.caption(lessons_text.prediction_label(lesson, figures["start"]))
    spread(lesson, values, figures["answer"])
    revealed = lesson.key in session.revealed
    st.caption(("Learners see the answer." if revealed else "Hidden from learners.")
               + (" Predictions are frozen: changes are logged, not counted." if lesson.key in session.frozen
                  else ""))  # fmt: skip


def roster_panel(roster: list[RosterEntry], lesson: Lesson) -> None:
    waiting = [r for r in roster if lesson.key not in r.predicted]
    left, right = st.columns(2)
    left.metric("Learners joined", f"{len(roster)}")
    right.metric("Not yet predicted this lesson", f"{len(waiting)}")
    if not roster:
        st.caption("No one has joined yet.")
        return
    st.dataframe(
        pd.DataFrame({
            "Learner": [r.name for r in roster],
            "Joined (UTC)": [r.joined_at.replace("T", " ")[:19] for r in roster],
            f"Lesson {lesson.number}": ["predicted" if lesson.key in r.predicted else "not yet" for r in roster],
            "Lessons predicted": [len(r.predicted) for r in roster],
            "Link in use": ["yes" if r.bound else "not yet" for r in roster],
        }),
        hide_index=True, key="trainer_roster_table",
    )  # fmt: skip


def projector(store: ClassroomStore, code: str, secret: str, lesson: Lesson, session: ClassSession) -> None:
    """Large type for the room: the question, the spread of predictions, the answer once revealed."""
    figures = lesson_figures(store, code, lesson, session)
    revealed = lesson.key in session.revealed
    st.markdown(f"# Lesson {lesson.number}. {lesson.title}")
    st.markdown(f"### {lessons_text.prediction_label(lesson, figures['start'])}")
    label, typical = typical_text(lesson, figures["values"])
    st.markdown(f"## {lessons_text.count_noun(len(figures['values']), 'prediction')} · {label.lower()}: {typical}")
    spread(lesson, figures["values"], figures["answer"] if revealed else None)
    if revealed:
        st.markdown(f"# The simulation says: {lessons_text.answer_text(lesson, figures['answer'])}")
    else:
        st.markdown(f"## Join with the code {session.code} on the Lessons page.")
    if st.session_state.get("trainer_projector_names"):
        roster = store.roster(code, secret)
        done = [r.name for r in roster if lesson.key in r.predicted]
        st.markdown("### Predicted so far")
        st.text(", ".join(done) if done else "No one yet.")


@st.fragment(run_every=REFRESH_SECONDS)
def live(store: ClassroomStore, code: str, secret: str, lesson_key: str) -> None:
    """The part of the trainer's view that follows the class by itself."""
    lesson = LESSONS[lesson_key]
    try:
        session = store.session(code)
        if st.session_state.get("trainer_projector"):
            projector(store, code, secret, lesson, session)
            return
        roster_panel(store.roster(code, secret), lesson)
        st.subheader(f"Lesson {lesson.number}. {lesson.title}")
        lesson_panel(lesson, lesson_figures(store, code, lesson, session), session)
    except ClassroomError as exc:
        st.error(str(exc))
    st.button("Refresh", key="trainer_refresh")
