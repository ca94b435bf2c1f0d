"""The class on the Lessons page, step by step, as a trainer and learners do it in their browsers.

Each step acts on the page as a person does (widgets found by their fixed keys, as
``ui/lessons/class_mode.py`` lists them) and returns the :class:`~loadtest.streamlit_client.Run`
it caused, finished; the step checks that the page shows what the person expects next and raises
:class:`FlowError` otherwise. These are the only functions that know the pages' widgets: when the
class pages change, this module follows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loadtest.streamlit_client import Run, Session

TRAINER_PAGE, LEARNER_PAGE = "class_trainer", "lessons"
LINK = re.compile(r"/lessons\?class=([A-Z0-9]+)$")
TRAINER_LINK = re.compile(r"/class_trainer\?class=([A-Z0-9]+)&trainer=([^&\s]+)$")
LESSON_KEY = "leaky_bucket"  # lesson 1
PREDICTIONS = "Predictions"
JOINED = "Learners joined"
NOT_SENT = "Your answer was not sent to the class"


class FlowError(AssertionError):
    """The page did not show what the step expected."""


@dataclass(frozen=True)
class Class:
    code: str
    secret: str


def _check(session: Session, what: str) -> None:
    if session.exceptions:
        raise FlowError(f"{what}: the page shows an error: {session.exceptions[-1]}")


async def start_class(trainer: Session, title: str) -> Class:
    """Open the trainer's page, start a class and unlock lesson 1; the class's code and the trainer's secret."""
    await trainer.open(TRAINER_PAGE)
    _check(trainer, "trainer's page")
    await trainer.set({trainer.widget("trainer_title"): title}, press=trainer.widget("trainer_start_submit"))
    _check(trainer, "starting a class")
    texts = trainer.texts()
    codes = [m[1] for t in texts if (m := LINK.search(t))]
    secrets = [m[2] for t in texts if (m := TRAINER_LINK.search(t))]
    if not codes or not secrets:
        raise FlowError("starting a class: no learners' link or trainer link on the trainer's page")
    await trainer.click(trainer.widget(f"trainer_unlock_{LESSON_KEY}"))
    _check(trainer, "unlocking lesson 1")
    return Class(codes[0], secrets[0])


def panel_metric(trainer: Session, label: str, lesson_number: int = 1) -> str:
    """A figure of one lesson's panel in the trainer's view, as shown (``"12"``, ``"1,100"``, ``"—"``)."""
    heading = f"Lesson {lesson_number}."
    in_panel = False
    for _, element in trainer.elements():
        kind = element.WhichOneof("type")
        if kind == "heading":
            in_panel = element.heading.body.startswith(heading)
        elif kind == "metric" and in_panel and element.metric.label == label:
            return element.metric.body
    raise FlowError(f"the trainer's view shows no {label!r} for lesson {lesson_number}")


def prediction_count(trainer: Session, lesson_number: int = 1) -> int:
    """The number of predictions the trainer's view shows for a lesson."""
    return int(panel_metric(trainer, PREDICTIONS, lesson_number).replace(",", ""))


def joined_count(trainer: Session) -> int:
    for label, body in trainer.metrics():
        if label == JOINED:
            return int(body.replace(",", ""))
    raise FlowError("the trainer's view shows no count of learners")


def predicted(trainer: Session, lesson_number: int = 1) -> set[str]:
    """The learners the trainer's roster shows as having predicted this lesson."""
    column = f"Lesson {lesson_number}"
    for rows in trainer.tables():
        if rows and "Learner" in rows[0] and column in rows[0]:
            return {row["Learner"] for row in rows if row[column] == "predicted"}
    if joined_count(trainer) == 0:
        return set()
    raise FlowError("the trainer's view shows no roster")


async def refresh(trainer: Session) -> Run:
    """Press the trainer's Refresh button (the live part also refreshes by itself every few seconds)."""
    return await trainer.click(trainer.widget("trainer_refresh"))


async def open_link(learner: Session, cls: Class) -> Run:
    """Open the learners' link (the Lessons page with the class code)."""
    run = await learner.open(LEARNER_PAGE, f"class={cls.code}")
    _check(learner, "opening the learners' link")
    if learner.widget("lessons_join_code").element.text_input.value not in {"", cls.code}:
        raise FlowError("the learners' link did not fill in the class code")
    return run


async def join(learner: Session, name: str) -> Run:
    """Type a display name and join the class the link named."""
    run = await learner.set({learner.widget("lessons_join_name"): name}, press=learner.widget("lessons_join_submit"))
    _check(learner, "joining")
    if "You are in class" not in learner.texts():
        raise FlowError(f"joining: {name!r} is not in the class ({_alerts(learner)})")
    return run


async def predict(learner: Session, lesson_key: str, value: float) -> Run:
    """Commit a prediction in the lesson's form (the lesson the page shows)."""
    box = learner.widget(f"lessons_{lesson_key}_prediction_input")
    run = await learner.set({box: value}, press=learner.widget(f"lessons_{lesson_key}_predict_submit"))
    _check(learner, "committing a prediction")
    texts = learner.texts()
    if not any(t.startswith("Your prediction is in") for t in texts):
        raise FlowError(f"committing a prediction: not confirmed ({_alerts(learner)})")
    if any(t.startswith(NOT_SENT) for t in texts):  # the page confirms, but the class did not get it
        raise FlowError(f"committing a prediction: {_alerts(learner)}")
    return run


def _alerts(session: Session) -> str:
    return "; ".join(e.alert.body for _, e in session.elements("alert")) or "no message"


# The same steps in a real browser (a Playwright page) ------------------------------------------
async def browser_join(page, url: str, cls: Class, name: str) -> None:
    """Open the learners' link in the browser and join under ``name``."""
    from playwright.async_api import expect

    await page.goto(f"{url.rstrip('/')}/{LEARNER_PAGE}?class={cls.code}")
    await expect(page.get_by_role("textbox", name="Class code")).to_have_value(cls.code, timeout=60_000)
    await page.get_by_role("textbox", name="Your display name").fill(name)
    await page.get_by_role("button", name="Join the class").click()
    await expect(page.get_by_text(name, exact=True)).to_be_visible(timeout=60_000)


async def browser_predict(page, value: float) -> None:
    """Commit a prediction in the browser; returns once the page says it is in."""
    from playwright.async_api import expect

    await page.get_by_role("spinbutton", name="Your prediction").fill(f"{value:.0f}")
    await page.get_by_role("button", name="Commit my prediction").click()
    await expect(page.get_by_text("Your prediction is in")).to_be_visible(timeout=60_000)
    await expect(page.get_by_test_id("stException")).to_have_count(0)
