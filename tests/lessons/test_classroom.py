"""Class sessions on SQLite and PostgreSQL: codes and names validated, answers kept across restarts,
trainer-only actions."""

from __future__ import annotations

import csv
import io
import random

import pytest

from simulation.io.classroom import CODE_ALPHABET, CODE_LENGTH, ClassroomError, ClassroomStore, clean_code, clean_name
from tests.postgres import rows

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def store(tmp_path):
    return ClassroomStore(tmp_path / "data")


def test_a_class_survives_a_restart_with_its_answers(store, tmp_path):
    new = store.start("Retention 101")
    store.set_unlocked(new.code, new.secret, "leaky_bucket", True)
    assert len(new.code) == CODE_LENGTH and set(new.code) <= set(CODE_ALPHABET), f"bad code {new.code!r}"
    ids = [store.join(new.code, name) for name in ("Ann", "Bo", "Cy")]
    for learner, value in zip(ids, (1500, 2000, 2600), strict=True):
        store.record(new.code, learner, "leaky_bucket", "prediction", value)
    store.record(new.code, ids[0], "leaky_bucket", "exercise", 1500, correct=True)
    store.record(new.code, ids[0], "leaky_bucket", "prediction", 1800)  # a later answer replaces the first
    reopened = ClassroomStore(tmp_path / "data")  # a new process would open the same file
    assert reopened.predictions(new.code, "leaky_bucket") == [1800, 2000, 2600], "answers must survive a restart"
    assert reopened.exercise_results(new.code, "leaky_bucket") == (1, 1), "one exercise answer, right"
    assert reopened.learner_count(new.code) == 3, "three learners joined"
    assert reopened.own_answers(new.code, ids[0]) == {("leaky_bucket", "prediction"): 1800,
                                                       ("leaky_bucket", "exercise"): 1500}, "own answers"  # fmt: skip


def test_only_the_secret_opens_trainer_actions(store):
    new = store.start()
    assert store.verify(new.code, new.secret), "the secret given at start must open the class"
    assert not store.verify(new.code, new.secret + "x"), "a wrong secret must not"
    with pytest.raises(ClassroomError, match="trainer secret"):
        store.set_revealed(new.code, "guess", "leaky_bucket", True)
    with pytest.raises(ClassroomError, match="trainer secret"):
        store.export_csv(new.code, "guess")
    with pytest.raises(ClassroomError, match="unlock it"):
        store.set_revealed(new.code, new.secret, "leaky_bucket", True)
    with pytest.raises(ClassroomError, match="trainer secret"):
        store.set_unlocked(new.code, "guess", "leaky_bucket", True)
    store.set_unlocked(new.code, new.secret, "leaky_bucket", True)
    store.set_revealed(new.code, new.secret, "leaky_bucket", True)
    assert store.session(new.code).revealed == {"leaky_bucket"}, "revealed"
    store.set_revealed(new.code, new.secret, "leaky_bucket", False)
    assert store.session(new.code).revealed == frozenset(), "hidden again"
    ((stored,),) = rows(store.database, "SELECT secret_sha256 FROM sessions")
    assert new.secret not in stored, "the secret itself must not be stored"


def test_closing_stops_answers_but_keeps_the_export(store):
    new = store.start()
    store.set_unlocked(new.code, new.secret, "stage", True)
    learner = store.join(new.code, "=HYPERLINK(1)")
    store.record(new.code, learner, "stage", "prediction", 0.4)
    store.close(new.code, new.secret)
    assert not store.session(new.code).open, "closed"
    with pytest.raises(ClassroomError, match="closed"):
        store.record(new.code, learner, "stage", "prediction", 0.5)
    with pytest.raises(ClassroomError, match="no open class"):
        store.join(new.code, "Late")
    rows = list(csv.DictReader(io.StringIO(store.export_csv(new.code, new.secret))))
    assert len(rows) == 1 and rows[0]["value"] == "0.4", f"the answer must be exported: {rows}"
    assert rows[0]["learner"] == "'=HYPERLINK(1)", "a name a spreadsheet would run as a formula is quoted"


@pytest.mark.parametrize("bad", ["", "abc", "ABCDEFG", "AB0O1I", "<b>x</b>", "ÄBCDEF", None, 123456])
def test_hostile_codes_are_refused_with_a_message(bad):
    with pytest.raises(ClassroomError, match="class code"):
        clean_code(bad)


def test_codes_are_forgiving_about_case_and_spaces():
    assert clean_code(" k7m 2qx ") == "K7M2QX", "lower case and spaces are tidied"


@pytest.mark.parametrize(("bad", "what"), [("", "empty"), ("x" * 31, "at most 30"), ("a\x00b", "control"),
                                           ("a\u202eb", "control"), (None, "text")])  # fmt: skip
def test_hostile_names_are_refused_with_a_message(bad, what):
    with pytest.raises(ClassroomError, match=what):
        clean_name(bad)


def test_names_are_unique_in_a_class_and_stay_private(store):
    new = store.start()
    store.join(new.code, "Dana")
    with pytest.raises(ClassroomError, match="already uses it"):
        store.join(new.code, "  dana ")
    other = store.start()
    store.join(other.code, "Dana")  # another class may have its own Dana
    assert store.predictions(new.code, "loyalty") == [], "no predictions yet"


def test_unknown_class_learner_lesson_and_values_are_refused(store):
    new = store.start()
    store.set_unlocked(new.code, new.secret, "stage", True)
    learner = store.join(new.code, "Eve")
    code = "".join(c for c in CODE_ALPHABET[:CODE_LENGTH])
    with pytest.raises(ClassroomError, match="no open class"):
        store.join(code if code != new.code else CODE_ALPHABET[-CODE_LENGTH:], "Eve")
    with pytest.raises(ClassroomError, match="learner link: not valid"):
        store.record(new.code, "someone-else", "stage", "prediction", 1.0)
    with pytest.raises(ClassroomError, match="not opened it"):
        store.record(new.code, learner, "loyalty", "prediction", 1.0)
    with pytest.raises(ClassroomError, match="lesson"):
        store.record(new.code, learner, "DROP TABLE", "prediction", 1.0)
    with pytest.raises(ClassroomError, match="kind"):
        store.record(new.code, learner, "stage", "guess", 1.0)
    with pytest.raises(ClassroomError, match="finite"):
        store.record(new.code, learner, "stage", "prediction", float("nan"))


def test_a_closed_class_is_found_by_no_join_but_its_trainer_still_exports_it(store):
    new = store.start()
    store.set_unlocked(new.code, new.secret, "stage", True)
    learner = store.join(new.code, "Ann")
    store.record(new.code, learner, "stage", "prediction", 0.25)
    store.close(new.code, new.secret)
    never = next(
        c for c in ("".join(CODE_ALPHABET[i : i + CODE_LENGTH]) for i in range(20)) if c != new.code
    )  # a code never given out
    messages = []
    for code in (new.code, never):
        with pytest.raises(ClassroomError) as caught:
            store.join(code, "Late")
        messages.append(str(caught.value).replace(code, "CODE"))
    assert messages[0] == messages[1], f"a retired code must read like one never given out: {messages}"
    assert store.verify(new.code, new.secret), "the trainer still opens the closed class"
    rows = list(csv.DictReader(io.StringIO(store.export_csv(new.code, new.secret))))
    assert [r["learner"] for r in rows] == ["Ann"], f"the trainer still exports the answers: {rows}"


def wrong_codes(count: int, avoid: str) -> list[str]:
    rng = random.Random(7)
    codes = []
    while len(codes) < count:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code != avoid:
            codes.append(code)
    return codes


def test_trying_codes_is_limited_per_session(store, monkeypatch):
    from simulation.io import classroom

    clock = [1_000_000.0]
    monkeypatch.setattr(classroom.time, "time", lambda: clock[0])
    new = store.start()
    for code in wrong_codes(classroom.MAX_FAILED_JOINS_PER_CLIENT, new.code):
        with pytest.raises(ClassroomError, match="no open class"):
            store.join(code, "Mallory", client="guesser")
    with pytest.raises(ClassroomError, match=r"too many codes .* try again in 600 s"):
        store.join(new.code, "Mallory", client="guesser")  # even the right code: a hit must not be told
    assert store.join(new.code, "Ann", client="learner"), "another session still joins"
    clock[0] += classroom.JOIN_WINDOW_SECONDS + 1
    assert ClassroomStore(store.directory).join(new.code, "Mallory", client="guesser"), (
        "the window moves on, and the count was kept in the store"
    )


def test_trying_codes_is_limited_for_everyone_even_from_threads(store, monkeypatch):
    """Many sessions (threads, each its own connection) trying codes at once: the count is checked and
    raised in one transaction, so no more look-ups than the limit get through."""
    import threading

    from simulation.io import classroom

    monkeypatch.setattr(classroom, "MAX_FAILED_JOINS", 40)
    new = store.start()
    codes = wrong_codes(120, new.code)
    outcomes = []
    start = threading.Barrier(12)

    def session(i: int) -> None:
        start.wait()
        for code in codes[i::12]:
            try:
                store.join(code, "Mallory", client=f"session {i}")
            except ClassroomError as exc:
                outcomes.append("refused" if "too many" in str(exc) else "looked up")

    threads = [threading.Thread(target=session, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("looked up") == 40, f"{outcomes.count('looked up')} codes looked up; the limit is 40"
    assert outcomes.count("refused") == 80, f"{outcomes.count('refused')} refused"
    with pytest.raises(ClassroomError, match="too many codes"):
        store.join(new.code, "Ann", client="a learner")
