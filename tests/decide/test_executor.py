"""Where sweeps run: this machine's thread pool, or a Dask cluster, with identical results.

The cluster tests share one two-worker ``LocalCluster`` (single-threaded worker processes on
127.0.0.1, forked as the app forks them). Every comparison is between a local run and a
cluster run of the same code on the same seed, so results must be equal exactly: a unit's
result depends only on its arguments, and both sides run the same compiled engine.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.decide import (
    BatchRequest,
    budget_map,
    optimize_batch,
    optimize_split,
    sensitivity,
    tornado_assumptions,
)
from simulation.numerics import executor as ex_mod
from simulation.numerics.executor import (
    ENV,
    ClusterUnavailableError,
    DaskExecutor,
    LocalExecutor,
    connect,
    executor_for,
    local_executor,
    start_local_cluster,
)
from simulation.numerics.parallel import in_serial, parallel_map, serial
from tests.helpers import scenario

ROOT = Path(__file__).resolve().parents[2]


def _small(**changes):
    base = {"budget": {"acquisition": 40_000, "retention": 20_000}, "horizon": 12}
    return scenario(**(base | changes))


def _uncertain():
    return scenario(
        budget={"acquisition": 40_000, "retention": 20_000},
        horizon=12,
        retention={"cost_per_save": {"low": 60, "mode": 100, "high": 160}, "max_churn_reduction": 0.5},
        segment={"churn": {"low": 0.03, "high": 0.07}, "revenue_per_customer": 100},
    )


@pytest.fixture(scope="module")
def cluster():
    """One two-worker cluster for the module: (executor connected by address, the cluster)."""
    local = start_local_cluster(2)
    try:
        executor = connect(local.scheduler_address)
        try:
            yield executor
        finally:
            executor.close()
    finally:
        local.close()


# This machine ---------------------------------------------------------------------------------
def test_parallel_map_keeps_order_and_reports_progress_from_the_calling_thread():
    caller = threading.get_ident()
    calls = []

    def progress(done, count):
        calls.append((done, count, threading.get_ident() == caller))

    out = parallel_map(lambda x: x * x, list(range(7)), max_workers=2, progress=progress)
    assert out == [x * x for x in range(7)], f"results out of order: {out}"
    assert [c[:2] for c in calls] == [(i, 7) for i in range(1, 8)], f"progress calls {calls}"
    assert all(c[2] for c in calls), "progress was called from a pool thread"


def test_parallel_map_starts_the_next_item_before_reporting_progress():
    """A slow progress callback (a page redrawing its bar) must not leave a core without work.

    Two at a time: when item ``done`` is reported, items up to ``done + 2`` have been handed out,
    and each unit returns at once, so they have all started.
    """
    started = []
    lock = threading.Lock()
    waited = []

    def unit(x):
        with lock:
            started.append(x)
        return x

    def progress(done, count):
        if done == count:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with lock:
                if len(started) >= min(done + 2, count):
                    break
            time.sleep(0.001)
        with lock:
            waited.append((done, len(started)))

    parallel_map(unit, list(range(6)), max_workers=2, progress=progress)
    stalled = [(d, s) for d, s in waited if s < min(d + 2, 6)]
    assert not stalled, f"(done, started) while progress ran: the next item had not started in {stalled}"


def test_serial_runs_nested_work_inline_and_on_this_machine(monkeypatch):
    """Inside a unit of work nothing fans out again, and no cluster is contacted from a worker."""
    monkeypatch.setenv(ENV, "tcp://192.0.2.1:8786")  # a documentation address: never reachable
    names = []
    with serial():
        assert in_serial(), "serial() did not mark the thread"
        parallel_map(lambda _: names.append(threading.current_thread().name), [1, 2, 3], max_workers=3)
        chosen = executor_for()
        said = chosen.describe()
    assert not in_serial(), "serial() did not unmark the thread"
    assert set(names) == {threading.current_thread().name}, f"work left the calling thread: {names}"
    assert chosen is local_executor(), f"inside a unit the executor is {chosen!r}, not this machine"
    assert said == "this machine, 1 core", f"inside a unit describe() says {said!r}"


def test_without_the_setting_work_stays_on_this_machine(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    chosen = executor_for()
    assert isinstance(chosen, LocalExecutor) and chosen.note is None, f"got {chosen!r} with no setting"


@pytest.mark.parametrize("address", ["local:none", "local:0", "not a scheduler address"])
def test_a_bad_address_is_refused_with_a_message(address, monkeypatch):
    monkeypatch.setattr(ex_mod, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(ClusterUnavailableError) as caught:
        connect(address)
    assert address in str(caught.value), f"message does not name the address: {caught.value}"


def test_an_unreachable_cluster_falls_back_to_this_machine_with_a_note(monkeypatch):
    """The setting names a port nobody listens on: the work runs here and says why; results are unchanged."""
    monkeypatch.setattr(ex_mod, "CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr(ex_mod, "_failures", {})
    address = "tcp://127.0.0.1:9"  # the discard port: closed on this machine
    monkeypatch.setenv(ENV, address)
    chosen = executor_for()
    assert isinstance(chosen, LocalExecutor), f"an unreachable cluster gave {chosen!r}"
    assert chosen.note and address in chosen.note and "this machine" in chosen.note, f"note: {chosen.note!r}"
    again = executor_for()
    assert again.note == chosen.note, "a second call within the retry interval should not try again"
    sc = _small()
    fell_back = optimize_split(sc, runs=30, seed=2, grid=6)
    local = optimize_split(sc, runs=30, seed=2, grid=6, executor=local_executor())
    pd.testing.assert_frame_equal(fell_back.points, local.points)


# On a Dask cluster ----------------------------------------------------------------------------
def test_cluster_is_described_and_workers_have_the_engine(cluster):
    assert isinstance(cluster, DaskExecutor), f"connect gave {cluster!r}"
    assert cluster.describe().endswith("2 workers"), f"describe() says {cluster.describe()!r}"
    assert cluster.describe().startswith(f"Dask cluster at {cluster.address}"), cluster.describe()

    def engine_seconds(dask_worker):
        plugin = dask_worker.plugins.get("retention-lab-engine")
        return None if plugin is None else plugin.seconds

    seconds = cluster.client.run(engine_seconds)
    assert len(seconds) == 2, f"plugin state from {len(seconds)} workers"
    assert all(s is not None for s in seconds.values()), f"engine not loaded on every worker: {seconds}"


def test_split_search_on_the_cluster_equals_this_machine(cluster):
    sc = _small()
    scatters = []
    real = cluster.client.scatter
    cluster.client.scatter = lambda data, **kw: scatters.append(type(data).__name__) or real(data, **kw)
    try:
        remote = optimize_split(sc, "npv", grid=11, runs=80, seed=5, executor=cluster)
    finally:
        del cluster.client.scatter
    local = optimize_split(sc, "npv", grid=11, runs=80, seed=5, executor=local_executor())
    pd.testing.assert_frame_equal(remote.points, local.points)
    assert remote.best_share == local.best_share, f"best split {remote.best_share} != {local.best_share}"
    assert remote.marginal == local.marginal, "marginal returns differ between the cluster and this machine"
    np.testing.assert_array_equal(remote.per_run_best, local.per_run_best)
    # the grid, every refinement round and the best's marginal returns share what was sent once
    assert scatters == ["SplitInputs"], f"scenario and draws sent {len(scatters)} times: {scatters}"


def test_budget_map_and_tornado_on_the_cluster_equal_this_machine(cluster):
    sc = _uncertain()
    totals = [20_000, 60_000, 120_000]
    remote_calls, local_calls = [], []
    remote = budget_map(
        sc, totals, grid=5, runs=60, seed=3, executor=cluster, progress=lambda d, n: remote_calls.append(d)
    )
    local = budget_map(
        sc, totals, grid=5, runs=60, seed=3, executor=local_executor(), progress=lambda d, n: local_calls.append(d)
    )
    pd.testing.assert_frame_equal(remote.frame(), local.frame())
    assert remote_calls == local_calls == list(range(1, 16)), f"progress {remote_calls} vs {local_calls}"

    base = optimize_split(sc, runs=60, seed=3, grid=6, executor=local_executor())
    t_remote = sensitivity(sc, runs=60, seed=3, base=base, executor=cluster)
    t_local = sensitivity(sc, runs=60, seed=3, base=base, executor=local_executor())
    assert len(t_local.frame) == len(tornado_assumptions(sc)) > 0, "the tornado has no bars to compare"
    pd.testing.assert_frame_equal(t_remote.frame, t_local.frame)


def test_a_batch_on_the_cluster_equals_each_scenario_alone(cluster):
    scenarios = [_small(), _uncertain(), _small(budget={"acquisition": 10_000, "retention": 50_000})]
    request = BatchRequest(objective="p10_npv", grid=6, runs=40, seed=9)
    done = []
    remote = optimize_batch(scenarios, request, executor=cluster, progress=lambda d, n: done.append((d, n)))
    assert done == [(1, 3), (2, 3), (3, 3)], f"progress calls {done}"
    for sc, r in zip(scenarios, remote, strict=True):
        alone = optimize_split(sc, "p10_npv", grid=6, runs=40, seed=9, executor=local_executor())
        pd.testing.assert_frame_equal(r.points, alone.points)
        assert r.marginal == alone.marginal, f"{sc.name}: marginal returns differ"


def test_an_error_in_a_unit_reaches_the_caller_unchanged(cluster):
    """Bad input found on a worker is the same error as here, not a cluster failure (no fall back)."""

    with pytest.raises(ZeroDivisionError):
        cluster.map(_divide, [1, 0, 2], 10)
    assert cluster.note is None, f"a unit's own error was taken for a cluster failure: {cluster.note}"


def _divide(numerator, item):
    return numerator / item


def test_units_sent_to_workers_do_not_refer_to_streamlit():
    """What a worker receives names only functions of ``simulation``: workers need no Streamlit."""
    from simulation.decide.search import SplitInputs, split_values
    from simulation.model.assumptions import draw_assumptions
    from simulation.numerics.executor import _run_unit

    sc = _small()
    payload = pickle.dumps((_run_unit, split_values, SplitInputs(sc, 10, 1, draw_assumptions(sc, 10, 1), "npv")))
    assert b"streamlit" not in payload, "a unit of work refers to Streamlit"
    assert b"simulation.decide.search" in payload, "the unit's function is not sent by name"


# The command line -----------------------------------------------------------------------------
def _sweep(*args, cwd, env=None):
    environment = {k: v for k, v in os.environ.items() if k != ENV} | {"PYTHONPATH": str(ROOT)} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "simulation", "sweep", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )


@pytest.fixture
def scenario_files(tmp_path):
    paths = []
    for name, sc in (("a.toml", _small()), ("b.toml", _uncertain())):
        (tmp_path / name).write_text(sc.to_toml(), encoding="utf-8")
        paths.append(name)
    return paths


def test_sweep_command_here_and_on_the_cluster(scenario_files, tmp_path, cluster):
    args = [*scenario_files, "--runs", "40", "--seed", "4", "--grid", "6"]
    here = _sweep(*args, "--out", "here.csv", cwd=tmp_path)
    assert here.returncode == 0, f"sweep failed: {here.stderr}"
    assert "2 of 2 done" in here.stderr and "this machine" in here.stderr, f"no progress: {here.stderr!r}"
    table = pd.read_csv(tmp_path / "here.csv")
    assert list(table["source"].unique()) == scenario_files, f"sources {table['source'].unique()}"
    for path in scenario_files:
        from simulation import load_scenario

        api = optimize_split(load_scenario(tmp_path / path), runs=40, seed=4, grid=6, executor=local_executor())
        rows = table[table["source"] == path]
        assert rows["best_share"].iloc[0] == pytest.approx(api.best_share, abs=1e-6), f"{path}: CLI and API disagree"
        assert int(rows["on_grid"].sum()) == 6, f"{path}: {int(rows['on_grid'].sum())} grid rows, expected 6"

    there = _sweep(*args, "--scheduler", cluster.address, "--out", "there.csv", cwd=tmp_path)
    assert there.returncode == 0, f"sweep --scheduler failed: {there.stderr}"
    assert "Dask cluster at" in there.stderr, f"does not say where it ran: {there.stderr!r}"
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "there.csv"), table)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["missing.toml"], "missing.toml"),
        (["a.toml", "--objective", "profit"], "--objective"),
        (["a.toml", "--objective", "target"], "--target"),
        (["a.toml", "--grid", "1"], "--grid"),
        (["a.toml", "--runs", "1"], "--runs"),
        (["a.toml", "--scheduler", "local:none"], "--scheduler"),
        (["a.toml", "--out", "no-such-folder/x.csv"], "--out"),
    ],
)
def test_sweep_bad_input_exits_2_naming_it(scenario_files, tmp_path, args, named):
    if "--out" not in args:
        args = [*args, "--out", "x.csv"]
    done = _sweep(*args, cwd=tmp_path)
    assert done.returncode == 2, f"exit status {done.returncode} for {args}; stderr: {done.stderr}"
    assert named in done.stderr, f"message does not name {named}: {done.stderr!r}"
    assert "Traceback" not in done.stderr, f"a traceback reached the user: {done.stderr}"


# The Optimise page ----------------------------------------------------------------------------
def _read(text: str) -> str:
    """Markdown source as a person reads it (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)


def _open_optimise(sc):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["scenario"] = sc
    at.run()
    assert not at.exception, f"the Plan page failed: {at.exception}"
    at.switch_page("pages/optimise.py").run()
    assert not at.exception, f"the Optimise page failed: {at.exception}"
    return at


def _page_answer(at) -> str | None:
    return next((m.value for m in at.markdown if m.value.startswith("Put ")), None)


def test_optimise_page_says_it_runs_on_the_cluster(cluster, monkeypatch):
    monkeypatch.setenv(ENV, cluster.address)
    monkeypatch.setattr(ex_mod, "_executors", {cluster.address: cluster})
    at = _open_optimise(_small(simulation={"runs": 100, "seed": 3}))
    said = [_read(c.value) for c in at.caption]
    expected = f"Runs on the Dask cluster at {cluster.address}, 2 workers."
    assert expected in said, f"no {expected!r} among the captions {said}"
    assert _page_answer(at) is not None, "no answer on the page"
    assert not at.warning and not at.error, f"messages: {[w.value for w in at.warning]} {[e.value for e in at.error]}"


def test_optimise_page_with_an_unreachable_cluster_warns_and_works_here(monkeypatch):
    address = "tcp://127.0.0.1:9"
    monkeypatch.setenv(ENV, address)
    monkeypatch.setattr(ex_mod, "CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr(ex_mod, "_failures", {})
    at = _open_optimise(_small(simulation={"runs": 100, "seed": 3}))
    warnings = [_read(w.value) for w in at.warning]
    assert any(f"cannot reach the Dask scheduler at {address}" in w for w in warnings), f"warnings: {warnings}"
    said = [_read(c.value) for c in at.caption]
    assert any(s.startswith("Runs on this machine, ") for s in said), f"captions {said}"
    assert _page_answer(at) is not None, "no answer on the page after falling back"


def test_a_cluster_without_workers_runs_the_sweep_here_and_says_so(monkeypatch):
    """Units sent to a scheduler with no workers would wait for ever: they run here instead, with a note."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=":0") as empty:
        executor = connect(empty.scheduler_address)
        try:
            assert executor.describe().endswith("0 workers"), f"describe() says {executor.describe()!r}"
            sc = _small()
            here = optimize_split(sc, runs=30, seed=6, grid=5, executor=executor)
            alone = optimize_split(sc, runs=30, seed=6, grid=5, executor=local_executor())
            pd.testing.assert_frame_equal(here.points, alone.points)
            assert executor.note and "has no workers" in executor.note, f"note: {executor.note!r}"
            monkeypatch.setattr(ex_mod, "_executors", {empty.scheduler_address: executor})
            chosen = executor_for(empty.scheduler_address)
            assert isinstance(chosen, LocalExecutor), f"a cluster without workers was chosen: {chosen!r}"
            assert "has no workers" in (chosen.note or ""), f"note: {chosen.note!r}"
        finally:
            executor.close()
