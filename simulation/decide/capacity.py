"""``python -m simulation.decide.capacity``: measure sweeps here and on a Dask cluster.

Reports, for the default preset: what one core does per second (one unit = one split of one
scenario simulated), the per-unit overhead of a cluster (an empty unit, and a small one,
against the same work here), a budget map of totals x splits, and a batch of scenarios,
each on this machine and on the cluster (by default a two-worker ``LocalCluster`` started
here; ``--scheduler ADDRESS`` for another). Every cluster result is checked equal to the
local one. The figures feed docs/SCALING.md; they are measurements, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from ..engines.vectorized import CLASSES_PER_COHORT, compile_kernels
from ..io.presets import load_preset
from ..model.assumptions import draw_assumptions
from ..model.scenario import scenario_from_dict
from ..numerics.executor import ClusterUnavailableError, connect, local_executor
from ..numerics.parallel import serial, workers
from .batch import BatchRequest, optimize_batch
from .budget_map import budget_map, default_totals
from .search import SplitInputs, split_values


def _timed(func):
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def _nothing(shared, item):
    return item


def _worker_cpu() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def _measured(func, cluster=None):
    """Wall seconds, CPU seconds (this process, plus the cluster's workers when given) and the result.

    CPU seconds are what the work cost whatever else runs on the machine; wall seconds depend
    on how much of the cores other processes took meanwhile.
    """
    workers_before = sum(cluster.client.run(_worker_cpu).values()) if cluster is not None else 0.0
    cpu, wall = time.process_time(), time.perf_counter()
    out = func()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if cluster is not None:
        cpu += sum(cluster.client.run(_worker_cpu).values()) - workers_before
    return wall, cpu, out


def batch_scenarios(count: int, runs: int):
    """``count`` variants of the default preset: budgets from half to twice, acquisition shares spread."""
    base = load_preset().to_dict()
    out = []
    for i in range(count):
        data = json.loads(json.dumps(base))
        scale = 0.5 + 1.5 * (i % 10) / 9
        share = 0.2 + 0.6 * (i // 10 % 10) / 9
        total = (base["budget"]["acquisition"] + base["budget"]["retention"]) * scale
        data["name"] = f"Client {i + 1:03d}"
        data["budget"]["acquisition"], data["budget"]["retention"] = total * share, total * (1 - share)
        data["simulation"] = {"runs": runs, "seed": 1000 + i}
        out.append(scenario_from_dict(data))
    return out


def one_core(runs: int, repeat: int) -> dict:
    """Seconds per unit (one split simulated) on one core, and what that makes per second."""
    sc = load_preset()
    a = draw_assumptions(sc, runs, 1)
    a.latent_classes(CLASSES_PER_COHORT)
    inputs = SplitInputs(sc, runs, 1, a, "npv")
    total = sc.budget.core
    times, cpu = [], []
    with serial():
        split_values(inputs, (total, 0.5))
        for _ in range(repeat):
            c = time.process_time()
            times.append(_timed(lambda: split_values(inputs, (total, 0.5)))[0])
            cpu.append(time.process_time() - c)
    t = statistics.median(times)
    return {
        "runs": runs,
        "seconds_per_unit": t,
        "cpu_seconds_per_unit": statistics.median(cpu),
        "units_per_second": 1 / t,
        "runs_per_second": runs / t,
        "run_periods_per_second": runs * sc.horizon / t,
        "horizon": sc.horizon,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.decide.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="Dask scheduler address (default: a two-worker LocalCluster here)")
    parser.add_argument("--map-runs", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--batch-runs", type=int, default=100)
    parser.add_argument("--batch-grid", type=int, default=11)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--core-only", action="store_true", help="only the one-core figures")
    args = parser.parse_args(argv)
    say = lambda text: print(text, flush=True)  # noqa: E731
    compile_kernels()
    figures: dict = {"cores_here": workers(), "load_average_before": os.getloadavg()[0]}
    say(f"{workers()} cores here; load average {os.getloadavg()[0]:.1f} (other processes share the cores)")

    for runs in (100, 1000, 10_000):
        f = one_core(runs, repeat=5 if runs < 10_000 else 3)
        figures[f"one_core_{runs}"] = f
        say(
            f"one core, {runs:,} runs: {f['seconds_per_unit'] * 1000:.1f} ms per unit "
            f"({f['cpu_seconds_per_unit'] * 1000:.1f} ms of CPU), "
            f"{f['runs_per_second']:,.0f} runs/s, {f['run_periods_per_second'] / 1e6:.2f} M run-periods/s"
        )

    if args.core_only:
        return 0
    try:
        t_connect, cluster = _timed(lambda: connect(args.scheduler or "local:2", timeout=30))
    except ClusterUnavailableError as exc:
        print(f"error: {exc} (--core-only measures this machine alone)", file=sys.stderr)
        return 2
    say(f"cluster: {cluster.describe()} ready in {t_connect:.1f} s")
    figures["cluster"] = {"where": cluster.describe(), "start_seconds": t_connect}
    try:
        here = local_executor()
        # per-unit overhead: empty units, then small real ones
        n = 400
        cluster.map(_nothing, range(20), None)
        t_empty, c_empty, _ = _measured(lambda: cluster.map(_nothing, range(n), None), cluster)
        t_empty_here, _ = _timed(lambda: here.map(_nothing, range(n), None))
        figures["empty_unit_ms"] = {
            "cluster": 1000 * t_empty / n,
            "cluster_cpu": 1000 * c_empty / n,
            "here": 1000 * t_empty_here / n,
        }
        say(
            f"empty unit: {1000 * t_empty / n:.2f} ms on the cluster ({1000 * c_empty / n:.2f} ms of CPU), "
            f"{1000 * t_empty_here / n:.3f} ms here"
        )

        sc = load_preset()
        totals = default_totals(sc.budget.core)
        w_here, c_here, m_here = _measured(lambda: budget_map(sc, totals, runs=args.map_runs, seed=1, executor=here))
        w_there, c_there, m_there = _measured(
            lambda: budget_map(sc, totals, runs=args.map_runs, seed=1, executor=cluster), cluster
        )
        assert m_here.frame().equals(m_there.frame()), "the cluster's budget map differs from this machine's"
        cells = len(totals) * 21
        figures["budget_map"] = {
            "cells": cells,
            "runs": args.map_runs,
            "here_seconds": w_here,
            "cluster_seconds": w_there,
            "here_cpu_seconds": c_here,
            "cluster_cpu_seconds": c_there,
            "extra_cpu_ms_per_unit": 1000 * (c_there - c_here) / cells,
        }
        say(
            f"budget map {len(totals)} x 21 at {args.map_runs:,} runs: {w_here:.1f} s here, {w_there:.1f} s on the "
            f"cluster (equal results); CPU {c_here:.1f} s here, {c_there:.1f} s on the cluster "
            f"({figures['budget_map']['extra_cpu_ms_per_unit']:+.1f} ms per unit)"
        )

        scenarios = batch_scenarios(args.batch, args.batch_runs)
        request = BatchRequest(grid=args.batch_grid)
        w_here, c_here, b_here = _measured(lambda: optimize_batch(scenarios, request, executor=here))
        w_there, c_there, b_there = _measured(lambda: optimize_batch(scenarios, request, executor=cluster), cluster)
        same = all(x.points.equals(y.points) for x, y in zip(b_here, b_there, strict=True))
        assert same, "the cluster's batch differs from this machine's"
        figures["batch"] = {
            "scenarios": args.batch,
            "runs": args.batch_runs,
            "grid": args.batch_grid,
            "here_seconds": w_here,
            "cluster_seconds": w_there,
            "here_cpu_seconds": c_here,
            "cluster_cpu_seconds": c_there,
            "splits_per_scenario": float(np.mean([len(r.points) for r in b_here])),
        }
        say(
            f"batch of {args.batch} scenarios at {args.batch_runs:,} runs, grid {args.batch_grid}: "
            f"{w_here:.1f} s here, {w_there:.1f} s on the cluster (equal results); CPU {c_here:.1f} s here, "
            f"{c_there:.1f} s on the cluster; {figures['batch']['splits_per_scenario']:.1f} splits per scenario"
        )
    finally:
        cluster.close()
    figures["load_average_after"] = os.getloadavg()[0]
    say(f"load average after: {figures['load_average_after']:.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
