"""The Lessons page end to end, and a class run by a trainer with three learners (AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from simulation.io.classroom import ClassroomStore
from simulation.lessons import LESSONS
from ui.lessons import text as lessons_text

from .conftest import APP, APP_TIMEOUT, start_app

LESSON_KEYS = sorted(LESSONS, key=lambda k: LESSONS[k].number)


def open_lessons(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception, f"the Lessons page raised: {at.exception}"
    return at


def submit(at: AppTest, form: str, label: str) -> AppTest:
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not at.exception, f"submitting {form} raised: {at.exception}"
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [s.value for s in at.success]
    parts += [w.value for w in at.warning] + [e.value for e in at.error] + [t.value for t in at.text]
    return "\n".join(parts)


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; metrics: {[m.label for m in at.metric]}"
    return found[0]


def predict(at: AppTest, key: str, value: float) -> AppTest:
    if LESSONS[key].prediction_options:
        at.radio(key=f"lessons_{key}_prediction_input").set_value(int(value))
    else:
        at.number_input(key=f"lessons_{key}_prediction_input").set_value(value)
    return submit(at, f"lessons_{key}_predict", "Commit my prediction")


def pick(at: AppTest, key: str) -> AppTest:
    at.sidebar.radio(key="lessons_pick").set_value(key).run()
    assert not at.exception, f"opening lesson {key} raised: {at.exception}"
    return at


@pytest.mark.parametrize("key", LESSON_KEYS)
def test_a_lesson_end_to_end(key):
    lesson = LESSONS[key]
    at = pick(open_lessons(), key)
    assert "Commit a prediction to open the experiment" in texts(at), "the experiment waits for a prediction"
    assert not at.slider, "no control before the prediction"
    guess = 1.0 if lesson.prediction_options else 40.0
    predict(at, key, guess)
    answer = lesson.run().answer
    unit = lesson.prediction_unit
    shown = lessons_text.answer_text(lesson, answer)
    assert metric(at, "Simulated answer") == shown, "the simulated answer is shown as a person reads it"
    expected_guess = guess / 100 if unit == "share" else guess
    assert metric(at, "Your prediction") == lessons_text.answer_text(lesson, expected_guess), "the prediction beside it"
    assert shown in texts(at), "the explanation quotes the simulated answer"

    # the experiment's last control (a number in every lesson) moves the result at the current setting
    control = lesson.controls[-1]
    slider = at.slider(key=f"lessons_{key}_{control.key}")
    slider.set_value(slider.max).run()
    assert not at.exception, f"moving {control.key} raised: {at.exception}"
    moved = lesson.run({control.key: control.high})
    assert metric(at, "At your setting now") == lessons_text.answer_text(lesson, moved.answer), "follows the control"
    assert lessons_text.explanation(lesson, moved) in texts(at), "the explanation is the moved run's"

    ex = lesson.exercise()
    wrong = ex.high * 3 + 10
    scale = 100 if ex.unit == "share" else 1
    at.number_input(key=f"lessons_{key}_exercise_input").set_value(wrong * scale)
    submit(at, f"lessons_{key}_exercise", "Check my answer")
    assert any("Not quite" in w.value for w in at.warning), "a wrong answer is marked wrong"
    at.number_input(key=f"lessons_{key}_exercise_input").set_value(round(ex.answer * scale, 6))
    submit(at, f"lessons_{key}_exercise", "Check my answer")
    assert any(s.value.startswith("Right") for s in at.success), "the simulated answer is marked right"

    at.button(key=f"lessons_{key}_open").click().run()
    assert not at.exception, f"opening the lesson's scenario on Plan raised: {at.exception}"
    assert at.session_state["scenario"].name.startswith(f"Lesson {lesson.number}"), "Plan has the lesson's scenario"
    assert not at.error, f"the Plan page shows an error for the lesson's scenario: {[e.value for e in at.error]}"
    assert [m for m in at.metric if m.label == "NPV"], "the Plan page shows its figures for the lesson's scenario"


def test_a_bad_class_link_gives_a_message_not_a_traceback():
    at = open_lessons({"class": "<script>alert(1)</script>"})
    assert any("class link is not valid" in e.value for e in at.sidebar.error), "a hostile link is refused in words"


def start_class(title: str) -> tuple[AppTest, str, str]:
    trainer = start_app()
    trainer.switch_page("pages/class_trainer.py").run()
    trainer.text_input(key="trainer_title").input(title)
    submit(trainer, "trainer_start", "Start the class")
    codes = [c.value for c in trainer.code]
    assert len(codes) == 3, f"secret, code and link are shown: {codes}"
    secret, code, link = codes
    assert link.endswith(f"/lessons?class={code}"), f"the learners' link carries the code: {link}"
    return trainer, code, secret


def test_a_class_with_a_trainer_and_three_learners():
    trainer, code, secret = start_class("Retention *101*")
    assert "Retention *101*" in [t.value for t in trainer.text], "the title is shown as plain text"
    key = "leaky_bucket"
    answer = LESSONS[key].run().answer

    learners = []
    for name, guess in (("Ann", 1500), ("Bo", 2000), ("<b>Cy</b>", 3000)):
        at = open_lessons()
        at.sidebar.text_input(key="lessons_join_code").input(code.lower())
        at.sidebar.text_input(key="lessons_join_name").input(name)
        submit(at, "lessons_join", "Join the class")
        assert name in [t.value for t in at.sidebar.text], "a learner sees their own name, as plain text"
        predict(at, key, guess)
        assert "Your trainer will reveal the answer" in texts(at), "the answer waits for the trainer"
        assert not [m for m in at.metric if m.label == "Simulated answer"], "no answer before the reveal"
        learners.append(at)
    for at in learners:
        shown = "\n".join(t.value for t in at.sidebar.text)
        others = {"Ann", "Bo", "<b>Cy</b>"} - {shown.split("\n")[-1]}
        assert not any(o in texts(at) for o in others), "a learner never sees another learner's name"

    trainer.button(key="trainer_refresh").click().run()
    assert metric(trainer, "Learners joined") == "3", "three learners joined"
    panels = [m.value for m in trainer.metric if m.label == "Predictions"]
    assert panels[0] == "3", f"three predictions for lesson 1: {panels}"
    assert lessons_text.unit_text(answer, "count") in [m.value for m in trainer.metric], "the trainer sees the answer"
    assert lessons_text.unit_text(2000, "count") == next(
        m.value for m in trainer.metric if m.label == "Median prediction"
    ), "the median prediction"

    trainer.button(key=f"trainer_reveal_{key}").click().run()
    assert not trainer.exception, f"revealing raised: {trainer.exception}"
    for at in learners:
        at.button(key=f"lessons_{key}_poll").click().run()
        assert metric(at, "Simulated answer") == lessons_text.unit_text(answer, "count"), "revealed to the learner"
    ex = LESSONS[key].exercise()
    at = learners[0]
    at.number_input(key=f"lessons_{key}_exercise_input").set_value(round(ex.answer))
    submit(at, f"lessons_{key}_exercise", "Check my answer")
    trainer.button(key="trainer_refresh").click().run()
    assert next(m.value for m in trainer.metric if m.label == "Exercise right") == "1 of 1", "the exercise is counted"

    trainer.button(key=f"trainer_reveal_{key}").click().run()  # now labelled "Hide the answer from learners"
    assert "Hidden from learners." in [c.value for c in trainer.caption], "the trainer hid the answer again"
    learners[2].run()
    assert "Your trainer will reveal the answer" in texts(learners[2]), "a hidden answer is hidden from learners"

    csv_text = ClassroomStore().export_csv(code, secret)
    assert csv_text.count("\n") == 5, f"header, three predictions and one exercise answer:\n{csv_text}"

    trainer.checkbox(key="trainer_close_confirm").check()
    submit(trainer, "trainer_close", "Close the class")
    assert any("This class is closed" in w.value for w in trainer.warning), "the trainer sees the class closed"
    late = learners[1]
    late.run()
    assert any("closed this class" in w.value for w in late.sidebar.warning), "learners are told the class is closed"


def test_the_trainer_view_needs_the_secret():
    _, code, secret = start_class("Evening class")
    other = start_app()
    other.switch_page("pages/class_trainer.py").run()
    other.text_input(key="trainer_open_code").input(code)
    other.text_input(key="trainer_open_secret").input(secret + "nope")
    submit(other, "trainer_open", "Open")
    assert any("do not match" in e.value for e in other.error), "a wrong secret is refused"
    assert not [m for m in other.metric if m.label == "Learners joined"], "no dashboard without the secret"
    other.text_input(key="trainer_open_secret").input(secret)
    submit(other, "trainer_open", "Open")
    assert metric(other, "Learners joined") == "0", "the right secret opens the class from another browser"


def test_a_learner_joins_from_the_class_link():
    _, code, _ = start_class("Link class")
    at = open_lessons({"class": code})
    assert at.sidebar.text_input(key="lessons_join_code").value == code, "the link fills in the code"


def test_a_learner_who_reloads_rejoins_with_their_prediction():
    _, code, _ = start_class("Reload class")
    store = ClassroomStore()
    learner = store.join(code, "Pat")
    store.record(code, learner, "leaky_bucket", "prediction", 1234)
    at = open_lessons({"class": code, "learner": learner})
    assert "Pat" in [t.value for t in at.sidebar.text], "the learner's own link rejoins them"
    assert "Your trainer will reveal the answer" in texts(at), (
        "their prediction is back: the lesson waits for the reveal"
    )
    stranger = open_lessons({"class": code, "learner": "not-a-real-learner-id"})
    assert not [t for t in stranger.sidebar.text if t.value == "Pat"], "an unknown id joins no one"
    assert stranger.sidebar.text_input(key="lessons_join_code").value == code, "the stranger is offered the join form"
