"""The learner's side of a class on the Lessons page: joining, the seat in this browser, answers sent.

What "this browser" means here: the first time a learner's link is used, the page gives the
browser a random token and keeps it in the page's address (``browser=``) and in the session; the
class store binds the learner's seat to that token. A reload keeps the address, so the learner is
back with their answers; the same link opened without that token (another browser, a copied link
without its token) is refused until the trainer re-issues it. Whoever copies the whole address,
token included, takes the seat: the address is the learner's key, to keep like a password.

Every widget of the class flow has a fixed key (listed in :data:`WIDGET_KEYS`), so that scripts
that drive the page speak of the same widgets in every version.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import streamlit as st

from simulation.io.classroom import ClassroomError, ClassroomStore, ClassSession, clean_code
from simulation.lessons import LESSONS, Lesson
from ui.shared import state

K_CLASS, K_LINK, K_BROWSER = "lessons_class_code", "lessons_learner_link", "lessons_browser"
K_LINK_READ = "lessons_class_link_read"
K_NOTICE = "lessons_class_notice"
CLASS_PARAM, LEARNER_PARAM, BROWSER_PARAM = "class", "learner", "browser"
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
WIDGET_KEYS = {
    "join code": "lessons_join_code",
    "join name": "lessons_join_name",
    "join button": "lessons_join_submit",
    "lesson picker": "lessons_pick",
    "prediction": "lessons_{lesson}_prediction_input",
    "commit prediction": "lessons_{lesson}_predict_submit",
    "check the reveal": "lessons_{lesson}_poll",
    "check for a lesson": "lessons_wait_poll",
    "leave": "lessons_leave",
}
FROZEN = (
    "The answer has been revealed, so this lesson's predictions are frozen: your change is kept for your "
    "trainer, with its time, but the class's figures keep your first prediction."
)
LATE = (
    "The answer was revealed before you predicted: your prediction is kept for your trainer, with its time, "
    "but not counted in the class's figures."
)


@dataclass(frozen=True)
class Seat:
    """A learner's place in a class, as this browser holds it."""

    code: str
    link: str
    browser: str
    name: str
    session: ClassSession

    def start(self, lesson: Lesson) -> dict:
        """The class's own starting setting of ``lesson``."""
        return lesson.class_start(self.session.seed)

    def exercise_inputs(self, lesson: Lesson) -> dict:
        """The class's own exercise of ``lesson``."""
        return lesson.class_exercise_inputs(self.session.seed)


def store() -> ClassroomStore:
    return ClassroomStore()


def browser_token() -> str:
    """This browser's token: from the address, else the session's, else a new one (kept in both)."""
    given = st.query_params.get(BROWSER_PARAM)
    if isinstance(given, str) and TOKEN.fullmatch(given):
        st.session_state[K_BROWSER] = given
    token = st.session_state.setdefault(K_BROWSER, secrets.token_urlsafe(12))
    st.query_params[BROWSER_PARAM] = token
    return token


def forget_class_work() -> None:
    """Drop what the session holds of a class: predictions, exercise results and the lessons' controls."""
    for key in list(st.session_state):
        if (
            isinstance(key, str)
            and key.startswith("lessons_")
            and any(key.startswith(f"lessons_{lesson}_") for lesson in LESSONS)
        ):
            del st.session_state[key]


def leave() -> None:
    for k in (K_CLASS, K_LINK):
        st.session_state.pop(k, None)
    forget_class_work()
    for k in (CLASS_PARAM, LEARNER_PARAM, BROWSER_PARAM):
        st.query_params.pop(k, None)


def take_seat(code: str, link: str, browser: str) -> None:
    """Hold the seat of ``link`` in this browser and bring back the learner's answers."""
    store().claim(code, link, browser)
    answers = store().own_answers(code, link, browser)
    forget_class_work()
    st.session_state[K_CLASS], st.session_state[K_LINK] = code, link
    st.query_params[CLASS_PARAM], st.query_params[LEARNER_PARAM] = code, link
    for (lesson, kind), value in answers.items():
        if kind == "prediction" and lesson in LESSONS:
            st.session_state[f"lessons_{lesson}_prediction"] = value


def read_link() -> None:
    """On a session's first run: the class link fills in the code; a learner's own link takes their seat."""
    if st.session_state.get(K_LINK_READ):
        return
    st.session_state[K_LINK_READ] = True
    raw = st.query_params.get(CLASS_PARAM)
    if raw is None:
        return
    try:
        code = clean_code(raw)
    except ClassroomError as exc:
        st.sidebar.error(f"The class link is not valid: {exc}")
        return
    st.session_state["lessons_join_code"] = code
    link = st.query_params.get(LEARNER_PARAM)
    if link is None:
        return
    try:
        take_seat(code, link, browser_token())
    except ClassroomError as exc:
        st.query_params.pop(LEARNER_PARAM, None)
        st.sidebar.error(str(exc))


def seat() -> Seat | None:
    """The seat this session holds, still valid in the store, or None (and the session leaves the class)."""
    code, link = st.session_state.get(K_CLASS), st.session_state.get(K_LINK)
    if not (code and link):
        return None
    browser = browser_token()
    try:
        name = store().learner_name(code, link, browser)
        session = store().session(code)
    except ClassroomError as exc:
        st.sidebar.error(str(exc))
        return None
    if name is None:
        leave()
        st.sidebar.error(
            "Your link to the class no longer works: your trainer re-issued it or removed you. Ask your trainer."
        )
        return None
    return Seat(code=code, link=link, browser=browser, name=name, session=session)


def join_form() -> None:
    with st.form("lessons_join"):
        st.caption("In a class? Join with the code your trainer gives you. No account needed.")
        st.text_input("Class code", key="lessons_join_code", max_chars=12)
        st.text_input("Your display name", key="lessons_join_name", max_chars=30, help="Only your trainer sees it.")
        joined = st.form_submit_button("Join the class", key="lessons_join_submit")
    if not joined:
        return
    try:
        code = clean_code(st.session_state.get("lessons_join_code", ""))
        browser = browser_token()
        link = store().join(code, st.session_state.get("lessons_join_name", ""), client=state.client_id(),
                            browser=browser)  # fmt: skip
        take_seat(code, link, browser)
    except ClassroomError as exc:
        st.error(str(exc))
    else:
        st.rerun()


def class_sidebar() -> Seat | None:
    """The learner's class in the sidebar: the join form, or the class they are in. Returns their seat."""
    read_link()
    held = seat()
    with st.sidebar:
        st.subheader("Class")
        if held is None:
            join_form()
            return None
        st.caption("You are in class")
        st.text(f"{held.session.title} · {held.code}")
        st.caption("as")
        st.text(held.name)
        st.caption(
            "This page's address is your own link back to the class, with your answers; it works in this "
            "browser only. Keep it to yourself."
        )
        if not held.session.open:
            st.warning("The trainer has closed this class; your answers are no longer recorded.")
        if st.button("Leave the class", key="lessons_leave"):
            leave()
            st.rerun()
    return held


def record(held: Seat | None, lesson: Lesson, kind: str, value: float, correct: bool | None = None) -> bool:
    """Send an answer to the class; returns whether it counts in the class's figures (True outside a class)."""
    if held is None:
        return True
    try:
        return store().record(held.code, held.link, lesson.key, kind, value, correct, browser=held.browser)
    except ClassroomError as exc:
        st.warning(f"Your answer was not sent to the class: {exc}")
        return True


def commit_prediction(held: Seat | None, lesson: Lesson, value: float) -> None:
    """Keep the learner's prediction; in a frozen class lesson, the first one stays the one shown and counted."""
    key = f"lessons_{lesson.key}_prediction"
    had = key in st.session_state
    counted = record(held, lesson, "prediction", value)
    if counted or not had:
        st.session_state[key] = value
    if not counted:
        st.session_state[K_NOTICE] = (lesson.key, FROZEN if had else LATE)


def frozen_notice(lesson: Lesson) -> None:
    """The message of a prediction that came after the reveal, once, under the prediction form."""
    notice = st.session_state.get(K_NOTICE)
    if notice and notice[0] == lesson.key:
        st.session_state.pop(K_NOTICE)
        st.warning(notice[1])
