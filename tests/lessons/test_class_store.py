"""An assessed class in the store: pacing, frozen predictions and their log, bound and re-issued links,
removed learners, the roster, hashed secrets compared in constant time, and the upgrade of a version-2 store."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from simulation.io import classroom
from simulation.io.classroom import ClassroomError, ClassroomStore
from simulation.io.classroom_schema import SCHEMA_VERSION, token_hash
from tests.postgres import dump

pytestmark = pytest.mark.usefixtures("backend")

LESSON = "leaky_bucket"
BROWSER_A, BROWSER_B = "browser-aaaaaaaa", "browser-bbbbbbbb"


@pytest.fixture
def store(tmp_path):
    return ClassroomStore(tmp_path / "data")


@pytest.fixture
def opened(store):
    new = store.start("Assessed")
    store.set_unlocked(new.code, new.secret, LESSON, True)
    return new


def export_rows(store, new) -> list[dict]:
    return list(csv.DictReader(io.StringIO(store.export_csv(new.code, new.secret))))


def test_a_revealed_lesson_freezes_predictions_and_the_export_keeps_every_change(store, opened):
    code, secret = opened.code, opened.secret
    ann = store.join(code, "=Ann", browser=BROWSER_A)
    bo = store.join(code, "Bo", browser=BROWSER_B)
    assert store.record(code, ann, LESSON, "prediction", 1000, browser=BROWSER_A), "before the reveal it counts"
    assert store.record(code, ann, LESSON, "prediction", 1500, browser=BROWSER_A), "a change before it counts too"
    assert store.record(code, bo, LESSON, "prediction", 2500)
    store.set_revealed(code, secret, LESSON, True)
    assert not store.record(code, ann, LESSON, "prediction", 5000, browser=BROWSER_A), "frozen: not counted"
    assert store.predictions(code, LESSON) == [1500, 2500], "the class's figures keep the prediction before reveal"
    store.set_revealed(code, secret, LESSON, False)
    assert not store.record(code, ann, LESSON, "prediction", 1996), "hiding the answer again does not unfreeze it"
    assert store.predictions(code, LESSON) == [1500, 2500], "still the predictions made before the answer was seen"
    assert store.own_answers(code, ann)[(LESSON, "prediction")] == 1500, "the learner sees the one that counts"
    rows = [r for r in export_rows(store, opened) if r["learner"] == "'=Ann"]
    assert [r["value"] for r in rows] == ["1000", "1500", "5000", "1996"], f"every prediction, in order: {rows}"
    assert [r["status"] for r in rows] == ["first", "change", "after reveal, not counted",
                                           "after reveal, not counted"], rows  # fmt: skip
    assert [r["in_class_figures"] for r in rows] == ["no", "yes", "no", "no"], rows
    assert all(r["answered_at"][:4].isdigit() and r["answered_at"].endswith("+00:00") for r in rows), "time-stamped"


def test_a_learner_who_predicts_only_after_the_reveal_is_logged_not_counted(store, opened):
    store.set_revealed(opened.code, opened.secret, LESSON, True)
    late = store.join(opened.code, "Late")
    assert not store.record(opened.code, late, LESSON, "prediction", 42), "not counted"
    assert store.predictions(opened.code, LESSON) == [], "not in the class's figures"
    assert store.own_answers(opened.code, late) == {(LESSON, "prediction"): 42}, "but the learner gets it back"
    assert store.record(opened.code, late, LESSON, "exercise", 2000, correct=True), "exercises count after a reveal"


def test_a_learners_link_is_bound_to_its_first_browser_and_can_be_reissued(store, opened):
    code, secret = opened.code, opened.secret
    link = store.join(code, "Cy", browser=BROWSER_A)
    assert store.claim(code, link, BROWSER_A) == "Cy", "the browser that joined comes back"
    with pytest.raises(ClassroomError, match="already in use in another browser"):
        store.claim(code, link, BROWSER_B)
    with pytest.raises(ClassroomError, match="already in use"):
        store.record(code, link, LESSON, "prediction", 1.0, browser=BROWSER_B)
    (entry,) = store.roster(code, secret)
    new_link = store.reissue(code, secret, entry.learner_id)
    assert not store.roster(code, secret)[0].bound, "a re-issued link waits for its first browser"
    with pytest.raises(ClassroomError, match="not valid for this class any more"):
        store.claim(code, link, BROWSER_A)
    assert store.claim(code, new_link, BROWSER_B) == "Cy", "the new link binds the first browser that opens it"
    with pytest.raises(ClassroomError, match="already in use"):
        store.claim(code, new_link, BROWSER_A)
    assert store.learner_name(code, link) is None, "the old link names no one"


def test_an_unbound_seat_is_taken_by_the_first_claim(store, opened):
    link = store.join(opened.code, "Di")
    assert store.claim(opened.code, link, BROWSER_B) == "Di"
    with pytest.raises(ClassroomError, match="already in use"):
        store.claim(opened.code, link, BROWSER_A)
    with pytest.raises(ClassroomError, match="browser"):
        store.claim(opened.code, link, "<script>")


def test_a_removed_learner_leaves_the_figures_and_their_link_stops_working(store, opened):
    code, secret = opened.code, opened.secret
    links = {name: store.join(code, name) for name in ("Ann", "Bo", "Cy")}
    for value, link in zip((100, 200, 9_999_999), links.values(), strict=True):
        store.record(code, link, LESSON, "prediction", value)
    store.record(code, links["Cy"], LESSON, "exercise", 5, correct=False)
    ids = {r.name: r.learner_id for r in store.roster(code, secret)}
    store.remove(code, secret, ids["Cy"])
    assert store.predictions(code, LESSON) == [100, 200], "the removed learner's prediction leaves the figures"
    assert store.exercise_results(code, LESSON) == (0, 0), "and their exercise answer"
    assert store.learner_count(code) == 2 and [r.name for r in store.roster(code, secret)] == ["Ann", "Bo"]
    with pytest.raises(ClassroomError, match="not valid"):
        store.record(code, links["Cy"], LESSON, "prediction", 1)
    with pytest.raises(ClassroomError, match="already removed"):
        store.remove(code, secret, ids["Cy"])
    removed = [r for r in export_rows(store, opened) if r["learner"] == "Cy"]
    assert removed and all(r["learner_removed"] == "yes" for r in removed), f"the export marks them: {removed}"


def test_the_roster_says_who_has_not_predicted(store, opened):
    code, secret = opened.code, opened.secret
    ann, _ = store.join(code, "Ann"), store.join(code, "Bo")
    store.record(code, ann, LESSON, "prediction", 100)
    roster = {r.name: r for r in store.roster(code, secret)}
    assert roster["Ann"].predicted == {LESSON} and roster["Bo"].predicted == frozenset(), f"{roster}"
    with pytest.raises(ClassroomError, match="trainer secret"):
        store.roster(code, "guess")
    with pytest.raises(ClassroomError, match="trainer secret"):
        store.remove(code, "guess", "x")
    with pytest.raises(ClassroomError, match="trainer secret"):
        store.reissue(code, "guess", "x")


def test_secrets_and_links_are_stored_hashed_and_compared_in_constant_time(store, opened, monkeypatch):
    link = store.join(opened.code, "Eve", browser=BROWSER_A)
    stored = dump(store.database)
    for token in (opened.secret, link, BROWSER_A):
        assert token not in stored, "no secret, link or browser token is stored as it is"
        assert token_hash(token) in stored, "its hash is"
    compared = []

    def spy(a, b):
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(classroom.hmac, "compare_digest", spy)
    assert store.verify(opened.code, opened.secret) and not store.verify(opened.code, opened.secret[:-1] + "x")
    store.claim(opened.code, link, BROWSER_A)
    assert len(compared) == 3, f"secrets and browser tokens go through hmac.compare_digest: {compared}"


def test_each_class_has_its_own_seed(store):
    seeds = {store.session(store.start().code).seed for _ in range(5)}
    assert len(seeds) == 5, f"five classes, five seeds: {seeds}"
    assert store.session(store.start(seed=7).code).seed == 7, "a seed can be given"


V2_SCHEMA = """
CREATE TABLE sessions (code TEXT PRIMARY KEY, title TEXT NOT NULL, secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL, closed_at TEXT);
CREATE TABLE reveals (code TEXT NOT NULL REFERENCES sessions(code), lesson TEXT NOT NULL, PRIMARY KEY (code, lesson));
CREATE TABLE learners (code TEXT NOT NULL REFERENCES sessions(code), learner_id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE, joined_at TEXT NOT NULL, PRIMARY KEY (code, learner_id), UNIQUE (code, name));
CREATE TABLE answers (code TEXT NOT NULL, learner_id TEXT NOT NULL, lesson TEXT NOT NULL, kind TEXT NOT NULL,
    value REAL NOT NULL, correct INTEGER, answered_at TEXT NOT NULL, PRIMARY KEY (code, learner_id, lesson, kind),
    FOREIGN KEY (code, learner_id) REFERENCES learners(code, learner_id));
CREATE TABLE failed_joins (at REAL NOT NULL, client TEXT NOT NULL);
PRAGMA user_version = 2;
"""


@pytest.mark.sqlite_file
def test_a_version_2_store_is_upgraded_with_its_classes_learners_and_answers(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    with sqlite3.connect(folder / classroom.DB_FILE) as conn:
        conn.executescript(V2_SCHEMA)
        conn.execute("INSERT INTO sessions VALUES ('K7M2QX', 'Old', ?, '2026-01-01T00:00:00+00:00', NULL)",
                     (token_hash("old-secret"),))  # fmt: skip
        conn.execute("INSERT INTO learners VALUES ('K7M2QX', 'old-learner-id', 'Pat', '2026-01-01T00:00:00+00:00')")
        conn.execute("INSERT INTO answers VALUES ('K7M2QX', 'old-learner-id', 'stage', 'prediction', 0.3, NULL, "
                     "'2026-01-01T00:01:00+00:00')")  # fmt: skip
        conn.execute("INSERT INTO reveals VALUES ('K7M2QX', 'stage')")
    store = ClassroomStore(folder)
    session = store.session("K7M2QX")
    assert session.unlocked == session.revealed == session.frozen == {"stage"}, f"{session}"
    assert session.seed > 0, "an old class gets a seed from its code"
    assert store.claim("K7M2QX", "old-learner-id", BROWSER_A) == "Pat", "an old learner link still works"
    assert store.predictions("K7M2QX", "stage") == [0.3], "old answers count"
    rows = list(csv.DictReader(io.StringIO(store.export_csv("K7M2QX", "old-secret"))))
    assert [(r["learner"], r["value"], r["status"]) for r in rows] == [("Pat", "0.3", "first")], rows
    with sqlite3.connect(folder / classroom.DB_FILE) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
