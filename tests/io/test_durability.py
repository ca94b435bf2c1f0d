"""The library survives a writer killed at any moment: it opens, passes SQLite's integrity check
and holds every change whose commit returned, on SQLite and on PostgreSQL. On PostgreSQL the
server going away is a message, and the first action after it is back succeeds.

A forked writer saves, renames and deletes scenarios as fast as it can, logging "begin" before and
"done" after each change to a journal (an O_APPEND file: what the kernel has accepted outlives a
killed process). It is killed with SIGKILL after a random moment. The library must then hold
exactly the changes logged as done, plus at most the one change that had begun (its commit may
have reached the disk before the "done" line did).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import time
import uuid

import pytest

from simulation.game.market import GameSettings
from simulation.io.classroom import ClassroomError, ClassroomStore
from simulation.io.database import DATABASE_URL_ENV, dispose_engines
from simulation.io.games import GameStore, GameStoreError
from simulation.io.plan_versions import PlanVersionError, PlanVersions
from simulation.io.portfolio_store import PortfolioStore
from simulation.io.short_links import ShortLinkError, ShortLinks
from simulation.io.storage import ScenarioStore, StorageError
from tests.helpers import scenario

KILLS = 20


def _writer(directory: str, journal: str, seed: int) -> None:
    store = ScenarioStore(directory)
    rng = random.Random(seed)
    sc = scenario()
    names = store.names()
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def log(event: str, op: list) -> None:
        os.write(fd, (json.dumps([event, *op]) + "\n").encode())

    os.write(fd, b'["ready"]\n')
    while True:
        roll = rng.random()
        if not names or roll < 0.45:
            op = ["save", f"s-{uuid.uuid4().hex[:12]}"]
        elif roll < 0.75:
            op = ["rename", rng.choice(names), f"r-{uuid.uuid4().hex[:12]}"]
        else:
            op = ["delete", rng.choice(names)]
        log("begin", op)
        if op[0] == "save":
            store.save(op[1], sc)
            names.append(op[1])
        elif op[0] == "rename":
            store.rename(op[1], op[2])
            names[names.index(op[1])] = op[2]
        else:
            store.delete(op[1])
            names.remove(op[1])
        log("done", op)


def _apply(names: set[str], op: list) -> set[str]:
    kind, *args = op
    if kind == "save":
        return names | {args[0]}
    if kind == "rename":
        return (names - {args[0]}) | {args[1]}
    return names - {args[0]}


def _read_journal(path) -> list[list]:
    lines = path.read_text().splitlines() if path.exists() else []
    # the last line may be cut short by the kill
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return out


@pytest.mark.timeout(300)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_killed_writers_never_lose_or_damage_a_committed_change(tmp_path, backend):
    directory = tmp_path / "library"
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(20261125)
    state: set[str] = set()
    committed = 0
    for round_no in range(KILLS):
        journal = tmp_path / f"journal-{round_no}.jsonl"
        proc = ctx.Process(target=_writer, args=(str(directory), str(journal), round_no), daemon=True)
        proc.start()
        deadline = time.monotonic() + 30
        while not (journal.exists() and journal.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        assert proc.exitcode == -signal.SIGKILL, f"round {round_no}: the writer was killed, not finished"

        events = _read_journal(journal)
        expected = set(state)
        pending = None
        for event in events[1:]:
            if event[0] == "begin":
                pending = event[1:]
            else:
                expected = _apply(expected, event[1:])
                committed += 1
                pending = None
        if backend.is_sqlite:
            with sqlite3.connect(directory / "scenarios.sqlite3") as conn:
                check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            assert check == "ok", f"round {round_no}: integrity check says {check}"
        actual = set(ScenarioStore(directory).names())
        allowed = [expected] + ([_apply(expected, pending)] if pending else [])
        assert actual in allowed, (
            f"round {round_no}: library {sorted(actual)[:5]}… differs from the committed changes "
            f"({len(actual)} names, expected {len(expected)}; pending {pending})"
        )
        for name in list(actual)[:3]:
            assert ScenarioStore(directory).load(name) == scenario(), f"round {round_no}: {name} opens intact"
        state = actual
    assert committed > KILLS, f"the writers committed {committed} changes: too few to test anything"
    print(f"\n{KILLS} kills, {committed} committed changes checked, {len(state)} scenarios at the end")


@pytest.mark.timeout(300)
def test_a_database_server_that_goes_away_is_a_message_and_the_next_action_reconnects(
    tmp_path, monkeypatch, postgres_server
):
    url = postgres_server.new_database()
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    store, links = ScenarioStore(tmp_path), ShortLinks(tmp_path)
    try:
        store.save("Before", scenario())
        token = links.create(scenario()).token
        postgres_server.pg_ctl("restart", "-m", "fast")
        # every pooled connection died with the server: each is found dead and replaced before use
        store.save("After a restart", scenario())
        assert store.names() == ["After a restart", "Before"], "a restart loses nothing and the next save works"
        assert links.resolve(token) == scenario(), "a short link opens after a restart"

        postgres_server.pg_ctl("stop", "-m", "fast")
        down = [
            (StorageError, lambda: store.save("While down", scenario())),
            (StorageError, store.names),
            (ShortLinkError, lambda: links.resolve(token)),
            (PlanVersionError, PlanVersions(tmp_path).list),
            (ClassroomError, lambda: ClassroomStore(tmp_path).start("While down")),
            (GameStoreError, lambda: GameStore(tmp_path).create(GameSettings())),
            (StorageError, PortfolioStore(tmp_path).list),
        ]
        for error, action in down:
            with pytest.raises(error, match=r"database server .* cannot be reached just now; nothing was changed"):
                action()
        postgres_server.pg_ctl("start")
        assert store.names() == ["After a restart", "Before"], "the first action after the server is back works"
        store.save("Back", scenario())
        assert store.load("Back") == scenario(), "and so does the next save"
        assert ClassroomStore(tmp_path).start("Back").code, "and a class starts"
        assert GameStore(tmp_path).create(GameSettings()).code, "and a game starts"
        assert PortfolioStore(tmp_path).list() == [], "and the saved portfolios open"
    finally:
        if not postgres_server.executor.running():
            postgres_server.pg_ctl("start")
        dispose_engines()
        postgres_server.drop_database(url)
