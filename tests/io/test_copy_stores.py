"""Moving an installation onto PostgreSQL: a data folder's SQLite stores copied in one transaction."""

from __future__ import annotations

import pytest

from simulation import simulate
from simulation.io.classroom import ClassroomStore
from simulation.io.copy_stores import CopyError, copy_stores
from simulation.io.database import DATABASE_URL_ENV, dispose_engines
from simulation.io.plan_versions import PlanVersions
from simulation.io.short_links import ShortLinks
from simulation.io.storage import ScenarioStore
from tests.helpers import scenario

PASSPHRASE = "correct horse battery"


@pytest.fixture
def target(postgres_server):
    url = postgres_server.new_database()
    yield url
    dispose_engines()
    postgres_server.drop_database(url)


def test_every_store_arrives_whole_and_a_second_copy_is_refused(tmp_path, monkeypatch, target):
    folder = tmp_path / "data"
    library = ScenarioStore(folder)
    library.save("Plan A", scenario(name="A"))
    private = library.in_workspace(library.named_workspace("Client", PASSPHRASE, create=True))
    private.save("Only theirs", scenario(name="Theirs"))
    token = ShortLinks(folder).create(scenario(name="Linked")).token
    classes = ClassroomStore(folder)
    started = classes.start("Moved class", seed=7)
    classes.set_unlocked(started.code, started.secret, "leaky_bucket", True)
    link = classes.join(started.code, "Ann")
    classes.record(started.code, link, "leaky_bucket", "prediction", 1234.5)
    plans = PlanVersions(folder)
    first = plans.save("Budget", simulate(scenario(), runs=50, seed=3))

    copied = copy_stores(folder, target)
    assert copied["scenarios"] == 2 and copied["short_links"] == 1 and copied["learners"] == 1, copied
    assert copied["plan_versions"] == 1 and copied["answer_log"] == 1, copied

    monkeypatch.setenv(DATABASE_URL_ENV, target)
    moved = ScenarioStore(tmp_path / "elsewhere")
    assert moved.database.path is None, "the stores now read PostgreSQL"
    assert moved.names() == ["Plan A"] and moved.load("Plan A") == scenario(name="A"), "the library arrived"
    opened = moved.in_workspace(moved.named_workspace("client", PASSPHRASE))
    assert opened.load("Only theirs") == scenario(name="Theirs"), "a workspace opens with its passphrase"
    assert ShortLinks().resolve(token) == scenario(name="Linked"), "a short link opens"
    moved_classes = ClassroomStore()
    assert moved_classes.verify(started.code, started.secret), "the trainer's secret still opens the class"
    assert moved_classes.predictions(started.code, "leaky_bucket") == [1234.5], "answers arrived"
    assert moved_classes.own_answers(started.code, link) == {("leaky_bucket", "prediction"): 1234.5}
    assert moved_classes.session(started.code).seed == 7, "the class keeps its own numbers"
    moved_plans = PlanVersions()
    assert moved_plans.get(first.id).forecast == first.forecast, "a plan version arrived as saved"
    second = moved_plans.save("Budget", simulate(scenario(), runs=50, seed=4))
    assert (second.id, second.version) == (first.id + 1, 2), "new versions are numbered after the copied ones"

    with pytest.raises(CopyError, match="already holds rows"):
        copy_stores(folder, target)
    assert moved.names() == ["Plan A"], "a refused copy writes nothing"


def test_only_postgresql_is_a_target(tmp_path):
    with pytest.raises(CopyError, match="only PostgreSQL"):
        copy_stores(tmp_path, "sqlite:///elsewhere.db")
    with pytest.raises(CopyError, match="no stores to copy"):
        copy_stores(tmp_path / "empty", "postgresql://lab@127.0.0.1:1/none")
