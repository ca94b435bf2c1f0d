"""The Lessons page end to end, and an assessed class: trainer, learners, pacing, roster, projector (AppTest)."""

from __future__ import annotations

import csv
import io

import pytest
from streamlit.testing.v1 import AppTest

from simulation.io import classroom
from simulation.io.classroom import ClassroomStore
from simulation.lessons import LESSONS
from ui.lessons import text as lessons_text

from .conftest import APP, APP_TIMEOUT, start_app, start_app_warm

LESSON_KEYS = sorted(LESSONS, key=lambda k: LESSONS[k].number)


def open_lessons(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception, f"the Lessons page raised: {at.exception}"
    return at


def submit(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, f"pressing {key} raised: {at.exception}"
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
    return submit(at, f"lessons_{key}_predict_submit")


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
    submit(at, f"lessons_{key}_exercise_submit")
    assert any("Not quite" in w.value for w in at.warning), "a wrong answer is marked wrong"
    at.number_input(key=f"lessons_{key}_exercise_input").set_value(round(ex.answer * scale, 6))
    submit(at, f"lessons_{key}_exercise_submit")
    assert any(s.value.startswith("Right") for s in at.success), "the simulated answer is marked right"

    at.button(key=f"lessons_{key}_open").click().run()
    assert not at.exception, f"opening the lesson's scenario on Plan raised: {at.exception}"
    assert at.session_state["scenario"].name.startswith(f"Lesson {lesson.number}"), "Plan has the lesson's scenario"
    assert not at.error, f"the Plan page shows an error for the lesson's scenario: {[e.value for e in at.error]}"
    assert [m for m in at.metric if m.label == "NPV"], "the Plan page shows its figures for the lesson's scenario"


def test_a_bad_class_link_gives_a_message_not_a_traceback():
    at = open_lessons({"class": "<script>alert(1)</script>"})
    assert any("class link is not valid" in e.value for e in at.sidebar.error), "a hostile link is refused in words"


# A class ------------------------------------------------------------------------------------------
SEED, OTHER_SEED = 11, 12  # two classes whose starting settings differ in every lesson (checked below)
NUMERIC = [k for k in LESSON_KEYS if not LESSONS[k].prediction_options]


def class_answer(key: str, seed: int = SEED) -> float:
    lesson = LESSONS[key]
    return lesson.run(lesson.class_start(seed)).answer


def start_class(title: str, monkeypatch=None, seed: int = SEED, first: bool = True) -> tuple[AppTest, str, str]:
    """A trainer starts a class (with the class seed ``seed`` when ``monkeypatch`` is given). The test's
    ``first`` class opens the app on the engine results of the session's first start (tests/pages/conftest.py);
    a later one shares the caches the test's sessions filled, as it would on a server."""
    if monkeypatch is not None:
        monkeypatch.setattr(classroom.secrets, "randbits", lambda bits: seed)
    trainer = start_app_warm() if first else start_app()
    trainer.switch_page("pages/class_trainer.py").run()
    trainer.text_input(key="trainer_title").input(title)
    submit(trainer, "trainer_start_submit")
    code, secret = trainer.query_params["class"], trainer.query_params["trainer"]
    codes = [c.value for c in trainer.code]
    assert codes[0] == code and codes[1].endswith(f"/lessons?class={code}"), f"code and learners' link: {codes}"
    assert codes[2].endswith(f"/class_trainer?class={code}&trainer={secret}"), f"the trainer's link: {codes}"
    assert any("Keep this link private" in w.value for w in trainer.warning), "the trainer link comes with a warning"
    return trainer, code, secret


def unlock(trainer: AppTest, key: str) -> AppTest:
    trainer.selectbox(key="trainer_lesson").set_value(key).run()
    return submit(trainer, f"trainer_unlock_{key}")


def join(code: str, name: str) -> AppTest:
    at = open_lessons()
    at.sidebar.text_input(key="lessons_join_code").input(code.lower())
    at.sidebar.text_input(key="lessons_join_name").input(name)
    submit(at, "lessons_join_submit")
    assert name in [t.value for t in at.sidebar.text], f"{name} joined: {[e.value for e in at.error]}"
    return at


def refreshed(trainer: AppTest) -> AppTest:
    return submit(trainer, "trainer_refresh")


def test_two_classes_of_these_tests_differ_in_every_lesson():
    for key in LESSON_KEYS:
        assert LESSONS[key].class_start(SEED) != LESSONS[key].class_start(OTHER_SEED), key


def test_a_class_with_a_trainer_and_three_learners(monkeypatch):
    trainer, code, secret = start_class("Retention *101*", monkeypatch)
    assert "Retention *101*" in [t.value for t in trainer.text], "the title is shown as plain text"
    key = "leaky_bucket"
    answer = class_answer(key)
    unlock(trainer, key)

    learners = []
    for name, guess in (("Ann", 1500), ("Bo", 2000), ("<b>Cy</b>", 3000)):
        at = join(code, name)
        predict(at, key, guess)
        assert "Your trainer will reveal the answer" in texts(at), "the answer waits for the trainer"
        assert not [m for m in at.metric if m.label == "Simulated answer"], "no answer before the reveal"
        learners.append(at)
    for at in learners:
        shown = "\n".join(t.value for t in at.sidebar.text)
        others = {"Ann", "Bo", "<b>Cy</b>"} - {shown.split("\n")[-1]}
        assert not any(o in texts(at) for o in others), "a learner never sees another learner's name"

    refreshed(trainer)
    assert metric(trainer, "Learners joined") == "3", "three learners joined"
    assert metric(trainer, "Predictions") == "3", "three predictions for lesson 1"
    assert metric(trainer, "Simulated answer") == lessons_text.unit_text(answer, "count"), "the class's own answer"
    assert metric(trainer, "Median prediction") == lessons_text.unit_text(2000, "count"), "the median prediction"

    submit(trainer, f"trainer_reveal_{key}")
    for at in learners:
        submit(at, f"lessons_{key}_poll")
        assert metric(at, "Simulated answer") == lessons_text.unit_text(answer, "count"), "revealed to the learner"
    ex = LESSONS[key].exercise(inputs=LESSONS[key].class_exercise_inputs(SEED))
    assert lessons_text.exercise_question(LESSONS[key], ex) in texts(learners[0]), "the class's own exercise"
    at = learners[0]
    at.number_input(key=f"lessons_{key}_exercise_input").set_value(round(ex.answer))
    submit(at, f"lessons_{key}_exercise_submit")
    refreshed(trainer)
    assert metric(trainer, "Exercise right") == "1 of 1", "the exercise is counted"

    submit(trainer, f"trainer_reveal_{key}")  # now labelled "Hide the answer from learners"
    assert any(c.value.startswith("Hidden from learners.") for c in trainer.caption), "the trainer hid the answer"
    learners[2].run()
    assert "Your trainer will reveal the answer" in texts(learners[2]), "a hidden answer is hidden from learners"

    csv_text = ClassroomStore().export_csv(code, secret)
    assert csv_text.count("\n") == 5, f"header, three predictions and one exercise answer:\n{csv_text}"

    trainer.checkbox(key="trainer_close_confirm").check()
    submit(trainer, "trainer_close_submit")
    assert any("This class is closed" in w.value for w in trainer.warning), "the trainer sees the class closed"
    late = learners[1]
    late.run()
    assert any("closed this class" in w.value for w in late.sidebar.warning), "learners are told the class is closed"


def test_the_class_page_without_the_secret_shows_nothing_of_any_class():
    _, code, secret = start_class("Evening class")
    other = start_app()
    other.switch_page("pages/class_trainer.py").run()
    assert not other.metric and not other.code and not other.dataframe, "nothing of a class before the secret"
    other.text_input(key="trainer_open_code").input(code)
    other.text_input(key="trainer_open_secret").input(secret + "nope")
    submit(other, "trainer_open_submit")
    assert any("do not match" in e.value for e in other.error), "a wrong secret is refused"
    assert not other.metric and not other.code, "no dashboard without the secret"
    other.text_input(key="trainer_open_secret").input(secret)
    submit(other, "trainer_open_submit")
    assert metric(other, "Learners joined") == "0", "the right secret opens the class from another browser"


def test_a_stranger_who_starts_a_class_reads_only_their_own_classs_numbers(monkeypatch):
    start_class("The real class", monkeypatch, seed=SEED)
    stranger, _, _ = start_class("A stranger's class", monkeypatch, seed=OTHER_SEED, first=False)
    for key in NUMERIC:
        stranger.selectbox(key="trainer_lesson").set_value(key).run()
        assert not stranger.exception, f"{key}: {stranger.exception}"
        theirs = metric(stranger, "Simulated answer")
        assert theirs == lessons_text.answer_text(LESSONS[key], class_answer(key, OTHER_SEED)), key
        assert theirs != lessons_text.answer_text(LESSONS[key], class_answer(key, SEED)), (
            f"{key}: the stranger's class shows the real class's answer {theirs}"
        )


def test_leaving_the_class_or_a_new_tab_does_not_give_the_classs_answer(monkeypatch):
    trainer, code, _ = start_class("No leaks", monkeypatch)
    key = "leaky_bucket"
    unlock(trainer, key)
    at = join(code, "Sam")
    link = dict(at.query_params)
    class_text = lessons_text.unit_text(class_answer(key), "count")
    predict(at, key, 1000)
    assert not [m for m in at.metric if m.label == "Simulated answer"], "no answer before the reveal"
    submit(at, "lessons_leave")
    assert not [m for m in at.metric if m.label == "Your prediction"], "the class's prediction stays in the class"
    predict(at, key, 1000)
    solo = metric(at, "Simulated answer")
    assert solo == lessons_text.unit_text(LESSONS[key].run().answer, "count"), "solo mode answers the solo lesson"
    assert solo != class_text, f"leaving the class does not give the class's answer {class_text}"
    assert class_text not in texts(at), "nor anywhere on the page"

    tab = open_lessons({"class": code})
    predict(tab, key, 1000)
    assert metric(tab, "Simulated answer") != class_text and class_text not in texts(tab), "a new tab neither"
    stranger = open_lessons({"class": code, "learner": link["learner"]})
    assert any("already in use in another browser" in e.value for e in stranger.sidebar.error), (
        "the learner's link without their browser's token is refused"
    )
    assert not [t for t in stranger.sidebar.text if t.value == "Sam"], "and takes no seat"


def test_a_prediction_is_frozen_once_the_answer_is_revealed(monkeypatch):
    trainer, code, secret = start_class("Frozen", monkeypatch)
    key = "leaky_bucket"
    unlock(trainer, key)
    ann, bo = join(code, "Ann"), join(code, "Bo")
    predict(ann, key, 5000)
    predict(bo, key, 3000)
    submit(trainer, f"trainer_reveal_{key}")
    submit(ann, f"lessons_{key}_poll")
    predict(ann, key, 1996)
    assert any("predictions are frozen" in w.value for w in ann.warning), "the learner is told it is not counted"
    assert metric(ann, "Your prediction") == "5,000", "the prediction shown is the one that counts"
    refreshed(trainer)
    assert metric(trainer, "Median prediction") == "4,000", "the change after the reveal does not move the median"
    rows = [r for r in csv.DictReader(io.StringIO(ClassroomStore().export_csv(code, secret))) if r["learner"] == "Ann"]
    assert [(r["value"], r["status"], r["in_class_figures"]) for r in rows] == [
        ("5000", "first", "yes"), ("1996", "after reveal, not counted", "no")], rows  # fmt: skip
    assert all(r["answered_at"] for r in rows), "each time-stamped"


def test_the_trainer_comes_back_after_a_reload_by_the_trainer_link():
    trainer, code, secret = start_class("Reloaded")
    reloaded = start_app_with({"class": code, "trainer": secret}).switch_page("pages/class_trainer.py").run()
    assert not reloaded.exception, f"{reloaded.exception}"
    assert metric(reloaded, "Learners joined") == "0", "the trainer's link opens the class"
    assert dict(reloaded.query_params).get("trainer") == secret, "and stays in the address"
    forged = start_app_with({"class": code, "trainer": secret[:-2] + "xx"})
    forged.switch_page("pages/class_trainer.py").run()
    assert any("does not open a class" in e.value for e in forged.error), "a wrong trainer link is refused"
    assert not forged.metric and not forged.code, "and shows nothing of the class"
    submit(trainer, "trainer_sign_out")
    assert "trainer" not in dict(trainer.query_params), "signing out takes the secret out of the address"


def start_app_with(query: dict) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at


def test_a_learner_link_is_bound_to_its_browser_and_the_trainer_can_reissue_it():
    trainer, code, _ = start_class("Bound")
    unlock(trainer, "leaky_bucket")
    at = join(code, "Pat")
    predict(at, "leaky_bucket", 1234)
    own = dict(at.query_params)
    assert own.get("browser") and own.get("learner") and own.get("class") == code, f"the address holds all: {own}"
    back = open_lessons({k: own[k] for k in ("class", "learner", "browser")})
    assert "Pat" in [t.value for t in back.sidebar.text], "a reload of the same address rejoins"
    assert "Your trainer will reveal the answer" in texts(back), "with their prediction: the lesson waits"
    stranger = open_lessons({"class": code, "learner": "not-a-real-learner-link"})
    assert any("not valid" in e.value for e in stranger.sidebar.error), "an unknown link is refused in words"
    assert stranger.sidebar.text_input(key="lessons_join_code").value == code, "and offered the join form"
    other = open_lessons({"class": code, "learner": own["learner"]})
    assert any("already in use in another browser" in e.value for e in other.sidebar.error), "another browser: no"
    refreshed(trainer)
    submit(trainer, "trainer_reissue")
    new_link = [c.value for c in trainer.code][-1]
    assert "learner=" in new_link and own["learner"] not in new_link, f"a new link: {new_link}"
    at.run()
    assert any("no longer works" in e.value for e in at.sidebar.error), "the old link stops working at once"
    new = new_link.split("learner=")[1]
    moved = open_lessons({"class": code, "learner": new})
    assert "Pat" in [t.value for t in moved.sidebar.text], "the re-issued link seats the learner in a new browser"


def test_the_roster_and_removing_a_learner(monkeypatch):
    trainer, code, secret = start_class("Roster", monkeypatch)
    key = "leaky_bucket"
    unlock(trainer, key)
    ann, _bo, cy = join(code, "Ann"), join(code, "Bo"), join(code, "Cy")
    predict(ann, key, 1000)
    predict(cy, key, 900_000)
    refreshed(trainer)
    assert metric(trainer, "Learners joined") == "3" and metric(trainer, "Not yet predicted this lesson") == "1"
    table = trainer.dataframe[0].value
    assert dict(zip(table["Learner"], table["Lesson 1"], strict=True)) == {
        "Ann": "predicted", "Bo": "not yet", "Cy": "predicted"}, table  # fmt: skip
    ids = {r.name: r.learner_id for r in ClassroomStore().roster(code, secret)}
    trainer.selectbox(key="trainer_roster_pick").set_value(ids["Cy"]).run()
    trainer.checkbox(key="trainer_remove_confirm").check()
    submit(trainer, "trainer_remove")
    assert metric(trainer, "Learners joined") == "2", "one learner removed"
    assert metric(trainer, "Predictions") == "1", "their prediction leaves the class's figures"
    assert metric(trainer, "Median prediction") == "1,000"
    cy.run()
    assert any("no longer works" in e.value for e in cy.sidebar.error), "the removed learner's link stops working"


def test_learners_see_only_the_lessons_the_trainer_unlocked(monkeypatch):
    trainer, code, _ = start_class("Paced", monkeypatch)
    at = join(code, "Lee")
    assert "has not opened a lesson yet" in texts(at), "no lesson before the trainer opens one"
    unlock(trainer, "cost_ratio")
    submit(at, "lessons_wait_poll")
    assert at.sidebar.radio(key="lessons_pick").options == ["2. Acquiring costs 5-25× keeping"], "only lesson 2"
    start = LESSONS["cost_ratio"].class_start(SEED)
    assert f"has {start['customers']:,.0f} customers" in texts(at), "the class's own numbers in the question"
    unlock(trainer, "leaky_bucket")
    at.run()
    assert len(at.sidebar.radio(key="lessons_pick").options) == 2, "a second lesson unlocked"


def test_the_projector_shows_the_spread_and_the_answer_only_once_revealed(monkeypatch):
    trainer, code, _ = start_class("Projected", monkeypatch)
    key = "leaky_bucket"
    unlock(trainer, key)
    ann = join(code, "Ann")
    predict(ann, key, 2500)
    answer = lessons_text.unit_text(class_answer(key), "count")
    trainer.toggle(key="trainer_projector").set_value(True).run()
    shown = "\n".join(m.value for m in trainer.markdown)
    assert "1 prediction" in shown and "2,500" in shown, f"the class's predictions in large type:\n{shown}"
    assert answer not in shown and not trainer.metric, "no answer on the projector before the reveal"
    assert not trainer.code, "no links or secret on the projector"
    assert "Ann" not in [t.value for t in trainer.text], "no names unless the trainer chooses"
    submit(trainer, f"trainer_reveal_{key}")
    shown = "\n".join(m.value for m in trainer.markdown)
    assert f"# The simulation says: {answer}" in shown, f"the answer once revealed:\n{shown}"
    trainer.checkbox(key="trainer_projector_names").check().run()
    assert "Ann" in [t.value for t in trainer.text], "names when the trainer chooses, as plain text"


def test_a_learner_joins_from_the_class_link():
    _, code, _ = start_class("Link class")
    at = open_lessons({"class": code})
    assert at.sidebar.text_input(key="lessons_join_code").value == code, "the link fills in the code"
