"""Moving an installation onto PostgreSQL: a data folder's SQLite stores copied in one transaction."""

from __future__ import annotations

import pytest

from simulation import simulate
from simulation.game.market import GameSettings
from simulation.io import games
from simulation.io.classroom import ClassroomStore
from simulation.io.copy_stores import CopyError, copy_stores
from simulation.io.database import DATABASE_URL_ENV, dispose_engines
from simulation.io.games import GameStore, GameStoreError
from simulation.io.plan_versions import PlanVersions
from simulation.io.portfolio_store import PortfolioStore
from simulation.io.short_links import ShortLinks
from simulation.io.storage import ScenarioStore
from simulation.portfolio.pipeline import analyse_portfolio
from tests.helpers import scenario
from tests.portfolio.helpers import SAMPLES

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
    game_store = GameStore(folder)
    game = game_store.create(GameSettings(rounds=3, seed=5), "Moved game")
    team = game_store.join(game.code, "Alpha")
    game_store.decide(game.code, team, {"acquisition": 30_000, "retention": 20_000})
    game_store.close_round(game.code, game.secret)
    for _ in range(games.MAX_FAILED_JOINS_PER_CLIENT):
        with pytest.raises(GameStoreError, match="no game has the code"):
            game_store.join("ZZZZZZ", "x", client="c1")
    results = game_store.results(game.code)
    analysis = analyse_portfolio(SAMPLES / "b2b_accounts.csv").analysis
    PortfolioStore(folder).save("Q1", analysis, "b2b_accounts.csv")
    saved_customers = PortfolioStore(folder).load("Q1")

    copied = copy_stores(folder, target)
    assert copied["scenarios"] == 2 and copied["short_links"] == 1 and copied["learners"] == 1, copied
    assert copied["plan_versions"] == 1 and copied["answer_log"] == 1, copied
    assert copied["games"] == 1 and copied["results"] == 1 and copied["game_failed_joins"] == 10, copied
    assert copied["portfolio_customers"] == len(analysis.customers), copied

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
    moved_games = GameStore()
    assert moved_games.verify(game.code, game.secret) and moved_games.results(game.code) == results, "a game arrived"
    with pytest.raises(GameStoreError, match="too many codes"):
        moved_games.join("ZZZZZZ", "x", client="c1")
    assert moved_games.close_round(game.code, game.secret) == 2, "and plays on"
    moved_portfolios = PortfolioStore()
    assert moved_portfolios.names() == ["Q1"], "saved portfolios arrived"
    assert moved_portfolios.load("Q1").equals(saved_customers), "customer by customer"

    with pytest.raises(CopyError, match="already holds rows"):
        copy_stores(folder, target)
    assert moved.names() == ["Plan A"], "a refused copy writes nothing"


def test_only_postgresql_is_a_target(tmp_path):
    with pytest.raises(CopyError, match="only PostgreSQL"):
        copy_stores(tmp_path, "sqlite:///elsewhere.db")
    with pytest.raises(CopyError, match="no stores to copy"):
        copy_stores(tmp_path / "empty", "postgresql://lab@127.0.0.1:1/none")
