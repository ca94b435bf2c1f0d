"""The saved-scenario library: exact round trips, clear refusals, and nothing ever lost, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from simulation import Scenario
from simulation.io import database
from simulation.io.storage import DB_FILE, NAME_MAX_CHARS, ScenarioStore, StorageError, clean_name, data_dir
from tests.locks import BUSY, write_lock_held

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def store(tmp_path) -> ScenarioStore:
    return ScenarioStore(tmp_path / "library")


def test_save_and_load_round_trip_exactly(store, test_scenario):
    store.save("Plan A", test_scenario)
    loaded = store.load("Plan A")
    assert loaded == test_scenario, "the loaded scenario differs from the saved one"
    assert loaded.canonical_json() == test_scenario.canonical_json(), "the canonical text changed"


def test_library_survives_a_restart(tmp_path, test_scenario):
    ScenarioStore(tmp_path / "library").save("Kept", test_scenario)
    reopened = ScenarioStore(tmp_path / "library")
    assert reopened.names() == ["Kept"], "a new store on the same folder should see the saved scenario"
    assert reopened.load("kept") == test_scenario, "names are found regardless of case"


@pytest.mark.sqlite_file
def test_default_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RETENTION_LAB_DATA_DIR", str(tmp_path / "from-env"))
    assert ScenarioStore().path == tmp_path / "from-env" / DB_FILE, "the env var should set the folder"
    monkeypatch.delenv("RETENTION_LAB_DATA_DIR")
    assert data_dir() == data_dir("data"), "without the env var the folder is ./data"


def test_reading_an_empty_folder_creates_nothing(tmp_path):
    store = ScenarioStore(tmp_path / "nothing-here")
    assert store.list() == [] and not store.exists("x"), "an empty library lists nothing"
    assert not (tmp_path / "nothing-here").exists(), "reading must not create the folder"


def test_taken_name_is_refused_whatever_its_case(store, test_scenario):
    store.save("Plan A", test_scenario)
    other = test_scenario.replace(horizon=12)
    with pytest.raises(StorageError, match="already called 'Plan A'"):
        store.save("PLAN a", other)
    assert store.load("Plan A") == test_scenario, "a refused save must leave the first scenario"


def test_replace_keeps_the_creation_date(store, test_scenario):
    first = store.save("Plan A", test_scenario)
    second = store.save("Plan A", test_scenario.replace(horizon=12), replace=True)
    assert second.created_at == first.created_at, "replacing should keep when it was first saved"
    assert store.load("Plan A").horizon == 12, "replacing should store the new scenario"
    assert store.names() == ["Plan A"], "replacing must not add an entry"


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "empty"), ("   ", "empty"), ("x" * (NAME_MAX_CHARS + 1), "at most"), ("bad\x00name", "control")],
)
def test_bad_names_are_refused_with_a_reason(store, test_scenario, name, message):
    with pytest.raises(StorageError, match=message):
        store.save(name, test_scenario)
    assert store.names() == [], "nothing should be saved under a bad name"


def test_names_are_tidied():
    assert clean_name("  Plan   A  ") == "Plan A", "spaces should be collapsed"


def test_rename(store, test_scenario):
    store.save("Old", test_scenario)
    store.save("Other", test_scenario)
    with pytest.raises(StorageError, match="already called 'Other'"):
        store.rename("Old", "other")
    store.rename("Old", "OLD")
    assert store.names() == ["OLD", "Other"], "a change of case only is a valid rename"
    store.rename("old", "New")
    assert store.names() == ["New", "Other"] and store.load("New") == test_scenario, "rename lost the scenario"
    with pytest.raises(StorageError, match="no saved scenario"):
        store.rename("Missing", "Anything")


def test_duplicate_numbers_its_copies(store, test_scenario):
    store.save("Plan", test_scenario)
    assert store.duplicate("Plan").name == "Plan (copy)"
    assert store.duplicate("Plan").name == "Plan (copy 2)"
    assert store.duplicate("Plan (copy)").name == "Plan (copy 3)", "a copy of a copy keeps one suffix"
    assert store.duplicate("Plan", "Variant").name == "Variant"
    with pytest.raises(StorageError, match="already called"):
        store.duplicate("Plan", "variant")
    assert all(store.load(n) == test_scenario for n in store.names()), "copies must equal the original"


def test_delete(store, test_scenario):
    store.save("Gone", test_scenario)
    store.delete("gone")
    assert store.names() == [], "the scenario should be deleted"
    with pytest.raises(StorageError, match="no saved scenario"):
        store.delete("Gone")
    with pytest.raises(StorageError, match="no saved scenario"):
        store.load("Gone")


def test_a_failed_replace_loses_nothing(store, test_scenario, monkeypatch):
    store.save("Precious", test_scenario)

    def broken(self):
        raise RuntimeError("disk full while writing")

    monkeypatch.setattr(Scenario, "canonical_json", broken)
    with pytest.raises(RuntimeError):
        store.save("Precious", test_scenario.replace(horizon=12), replace=True)
    monkeypatch.undo()
    assert store.load("Precious") == test_scenario, "a failure half way must roll back to the saved scenario"


@pytest.mark.sqlite_file
def test_a_damaged_library_is_reported_and_left_alone(tmp_path, test_scenario):
    folder = tmp_path / "library"
    folder.mkdir()
    junk = b"this is not a database" * 50
    (folder / DB_FILE).write_bytes(junk)
    store = ScenarioStore(folder)
    with pytest.raises(StorageError, match="cannot be read"):
        store.list()
    with pytest.raises(StorageError, match="nothing was changed"):
        store.save("New", test_scenario)
    assert (folder / DB_FILE).read_bytes() == junk, "a damaged file must not be overwritten"


def test_concurrent_saves_all_arrive(store, test_scenario):
    errors = []

    def save(i):
        try:
            store.save(f"Plan {i}", test_scenario.replace(horizon=10 + i))
        except Exception as exc:  # collected and reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, f"concurrent saves failed: {errors}"
    assert sorted(store.names()) == sorted(f"Plan {i}" for i in range(8)), store.names()
    assert all(store.load(f"Plan {i}").horizon == 10 + i for i in range(8)), "a save landed under the wrong name"


def test_a_write_lock_held_too_long_is_a_busy_message_and_changes_nothing(store, test_scenario, monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.5)
    store.save("First", test_scenario)
    with write_lock_held(store.database), pytest.raises(StorageError, match=BUSY.format("the scenario library")):
        store.save("Second", test_scenario)
    assert store.names() == ["First"], "a save refused as busy stores nothing"
    store.save("Second", test_scenario)
    assert store.names() == ["First", "Second"], "once the lock is released the save goes through"
