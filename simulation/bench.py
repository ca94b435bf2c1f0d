"""``python -m simulation bench``: how fast the engines are on this machine.

Times the vectorised engine on a preset (the default preset unless ``--scenario`` is given)
for each run count, with the median of several repetitions, and reports milliseconds per
run, runs per second, random variates drawn per second, the peak memory of one call, and
the time the same number of Binomial draws takes on its own (the floor for any engine that
draws each count). Then, unless ``--skip-presets``, every preset's slider move and command-line
run (and 10,000 runs of the default preset and the subscription box); unless ``--skip-des``, the
discrete-event engine on a scaled-down copy: customer-periods per second and its wall time
against the vectorised engine's; unless ``--skip-optimizer``, the optimiser's split sweep,
budget map and tornado, and the Plan page's recommendation after a new total; unless ``--skip-seek``, goal seeking
each of its settings at a reachable and an unreachable level; and with
``--peer FILE``, another program's run time against the engine's on ``--peer-scenario``.
Every figure is given as wall time and processor time of all threads, with the load average of
the machine when it was measured.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from .engines.runner import simulate
from .io.presets import DEFAULT_PRESET, list_presets, load_preset
from .model.assumptions import stream_key
from .model.scenario import load_scenario
from .numerics.keyed_random import binomial_array
from .numerics.parallel import workers

# Presets whose 10,000 runs are timed: the default and the largest base a person plans month by month.
TEN_THOUSAND = (DEFAULT_PRESET, "subscription_box")


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes, as printed beside each figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} / {five:.2f} / {fifteen:.2f}"


def _median_time(func, repeat: int) -> float:
    return _median_times(func, repeat)[0]


def _median_times(func, repeat: int) -> tuple[float, float]:
    """Median wall and median processor seconds (all threads) of ``func()``.

    Processor time is the work done; on a shared machine it stays steady when wall time does not.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _command_line_run(scenario, runs: int) -> None:
    """What ``python -m simulation run --format json`` computes: plan, status quo, every figure
    (the no-marketing counterfactual of marketing ROI included), the year-by-year P&L and JSON."""
    import json

    from .cli_common import json_safe
    from .engines.runner import compare

    comparison = compare(scenario, runs=runs, seed=1, baseline_figures_only=True)
    plan, baseline = comparison.plan, comparison.baseline
    doc = {
        "kpis": plan.kpi_summary(),
        "baseline": baseline.kpi_summary(),
        "p_beats_baseline": comparison.p_beats_baseline,
        "years": plan.year_summary().to_dict(orient="records"),
        "periods": plan.path_summary().to_dict(orient="records"),
    }
    json.dumps(json_safe(doc))


def _peak_mb(func) -> float:
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _draw_floor(result, repeat: int) -> tuple[float, float, int]:
    """Processor seconds to draw, on their own and on one core, the Binomial variates one call of the engine draws.

    Timed with the engine's keyed sampler and with NumPy's ``Generator.binomial``.
    """
    scenario, budget = result.scenario, result.budget
    runs, horizon = result.runs, scenario.horizon
    active = np.maximum(result.active_by_segment[:, 1:].mean(1).round().astype(np.int64), 1)
    total = np.maximum(result.paths["active_customers"][:, 1:].mean(1, keepdims=True), 1.0)
    churn_p = np.clip(result.paths["churned_customers"][:, 1:].mean(1, keepdims=True) / total, 0, 1)
    upsell_p = np.clip(result.paths["upsells"][:, 1:].mean(1, keepdims=True) / total, 0, 1)
    new = result.paths["new_customers"][:, 1:].mean(1, keepdims=True) * np.array(scenario.shares)[None, :]
    trials = np.maximum(np.ceil(new * 3), 1).astype(np.int64)
    draws = []
    if budget.acquisition > 0:
        draws.append((trials, np.clip(new / trials, 0, 1)))
    if budget.expansion > 0 or upsell_p.max() > 0:
        draws.append((active, np.broadcast_to(upsell_p, active.shape)))
    draws.append((active, np.broadcast_to(churn_p, active.shape)))
    if budget.winback > 0:
        draws.append((active // 10 + 1, np.full(active.shape, 0.02)))
    rng = np.random.default_rng(0)
    flat = [(np.ascontiguousarray(n).ravel(), np.ascontiguousarray(p, dtype=np.float64).ravel()) for n, p in draws]
    key = np.uint64(stream_key(0, "churn"))

    def numpy_only():
        for _ in range(horizon):
            for n, p in draws:
                rng.binomial(n, p)

    def keyed_only():
        for _ in range(horizon):
            for n, p in flat:
                binomial_array(key, n, p)

    keyed_only()
    count = len(draws) * runs * len(scenario.segments) * horizon
    return _median_times(keyed_only, repeat)[1], _median_times(numpy_only, repeat)[1], count


def main(args) -> int:
    scenario = load_scenario(args.scenario) if args.scenario else load_preset(DEFAULT_PRESET)
    run_counts = args.runs or [1000, 10000]
    print(f"Machine: {workers()} core(s), {load()} at the start")
    print(f"Scenario: {scenario.name} ({len(scenario.segments)} segments, {scenario.horizon} {scenario.period}s)")
    print(
        f"Vectorised engine on {workers()} core(s), median of {args.repeat} "
        "(assumption draws and latent classes included):"
    )
    print("  draws alone: the same number of Binomial variates on one core (processor ms), engine's sampler / NumPy's")
    print(f"{'runs':>8} {'ms':>9} {'ms/run':>8} {'runs/s':>9} {'draws/s':>9} {'draws alone ms':>17} {'peak MB':>8}")
    for runs in run_counts:

        def one(runs=runs):
            return simulate(scenario, runs=runs, seed=1)

        result = one()
        seconds, seconds_cpu = _median_times(one, args.repeat)
        keyed, numpy_draws, draws = _draw_floor(result, args.repeat)
        peak = _peak_mb(one)
        alone = f"{keyed * 1e3:.1f} / {numpy_draws * 1e3:.1f}"
        print(
            f"{runs:>8} {seconds * 1e3:>9.1f} {seconds * 1e3 / runs:>8.3f} {runs / seconds:>9,.0f} "
            f"{draws / seconds:>9.2e} {alone:>17} {peak:>8.0f}"
        )
        print(
            f"{'':>8} processor {seconds_cpu * 1e3:.1f} ms, {seconds_cpu / min(keyed, numpy_draws):.1f}x the draws "
            f"alone on one core ({load()})"
        )
        again, again_cpu = _slider_move(scenario, runs, args.repeat)
        print(
            f"{'':>8} with assumptions reused (another budget on the same draws): {again * 1e3:.1f} ms "
            f"(processor {again_cpu * 1e3:.1f} ms, {again_cpu / min(keyed, numpy_draws):.1f}x the draws alone; "
            f"{load()})"
        )
        kept, kept_cpu = _slider_move(scenario, runs, args.repeat, figures=True)
        print(
            f"{'':>8} the same with what the app keeps of it (figures, percentiles, year table): {kept * 1e3:.1f} ms "
            f"(processor {kept_cpu * 1e3:.1f} ms; {load()})"
        )
        if runs > 2000:
            continue  # the command line's run is timed where interactive use happens
        more, more_cpu, full = _run_overhead(scenario, runs, args.repeat)
        print(
            f"{'':>8} command-line run (plan, status quo, every figure, JSON): {full * 1e3:.1f} ms, "
            f"{more * 1e3:.1f} ms more than at 10 runs (processor {more_cpu * 1e3:.1f} ms more; {load()})"
        )
    if not args.skip_presets:
        _bench_presets(min(args.runs) if args.runs else 1000, args)
    if not args.skip_des:
        _bench_des(scenario, args)
    if not args.skip_optimizer:
        _bench_optimizer(scenario)
    if not args.skip_seek:
        _bench_seek(scenario)
    if args.peer:
        _bench_peer(args)
    return 0


def _slider_move(scenario, runs: int, repeat: int, figures: bool = False) -> tuple[float, float]:
    """Median wall and processor seconds of another budget on the same assumption draws (a slider move).

    The draws are prepared as the app keeps them (:func:`~simulation.engines.runner.shared_draws`):
    the latent classes and the no-marketing counterfactual are made once, before the timing; and the
    engine runs as the app runs it, without the count of saved customers, which no page shows. With
    ``figures``, also what the app keeps of the run (``ui/shared/cache.cached_run``): every figure, the
    charts' percentiles and bridge (:class:`~simulation.engines.summary.ResultSummary`) and the
    year-by-year P&L.
    """
    from .engines.runner import shared_draws
    from .engines.summary import CHART_METRICS, ResultSummary

    assumptions = shared_draws(scenario, runs, 1)
    budgets = [scenario.budget.with_split(scenario.budget.total, share) for share in (0.3, 0.7)]
    moves = iter(range(10**9))

    def move():
        budget = budgets[next(moves) % 2]
        result = simulate(scenario, budget, runs=runs, seed=1, assumptions=assumptions, count_saved=False)
        if figures:
            ResultSummary.of(result, CHART_METRICS)
            result.year_summary()
        return result

    move()
    return _median_times(move, repeat)


def _run_overhead(scenario, runs: int, repeat: int) -> tuple[float, float, float]:
    """The command line's run at ``runs`` minus the same at 10 runs (wall and processor seconds), and its wall time."""
    full, full_cpu = _median_times(lambda: _command_line_run(scenario, runs), repeat)
    small, small_cpu = _median_times(lambda: _command_line_run(scenario, 10), repeat)
    return full - small, full_cpu - small_cpu, full


def _bench_presets(runs: int, args) -> None:
    """Every preset: a slider move and the command line's run at ``runs``; 10,000 runs of :data:`TEN_THOUSAND`."""
    print(f"\nEvery preset, {runs:,} runs, median of {args.repeat} (wall ms, processor ms in brackets):")
    print(f"  {'preset':<20} {'slider move':>18} {'with figures':>18} {'run minus 10 runs':>20}  load")
    for key in list_presets():
        scenario = load_preset(key)
        move, move_cpu = _slider_move(scenario, runs, args.repeat)
        kept, kept_cpu = _slider_move(scenario, runs, args.repeat, figures=True)
        more, more_cpu, _ = _run_overhead(scenario, runs, args.repeat)
        moved = f"{move * 1e3:>8.1f} ({move_cpu * 1e3:>7.1f})"
        with_figures = f"{kept * 1e3:>8.1f} ({kept_cpu * 1e3:>7.1f})"
        print(f"  {key:<20} {moved} {with_figures} {more * 1e3:>9.1f} ({more_cpu * 1e3:>7.1f})  {load()}")
    if runs > 1000 or (args.runs and max(args.runs) < 10000):
        return
    repeat = min(args.repeat, 3)
    print(f"  10,000 runs, everything included, median of {repeat}:")
    for key in TEN_THOUSAND:
        scenario = load_preset(key)
        wall, cpu = _median_times(lambda s=scenario: simulate(s, runs=10000, seed=1), repeat)
        print(f"  {key:<20} {wall:.2f} s (processor {cpu:.2f} s; {load()})")


def _child_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _bench_peer(args) -> None:
    """Another program (``--peer FILE``, run as ``python FILE`` in a process of its own) against the
    engine on ``--peer-scenario`` (default: the default preset) at ``--peer-runs`` runs, in this process."""
    peer = Path(args.peer)
    scenario = load_scenario(args.peer_scenario) if args.peer_scenario else load_preset(DEFAULT_PRESET)
    runs = args.peer_runs
    print(f"\nPeer {peer.name} (run as a process of its own) against the engine on {scenario.name}, {runs:,} runs:")
    wall, cpu = [], []
    for _ in range(min(args.repeat, 3)):
        before, start = _child_seconds(), time.perf_counter()
        done = subprocess.run([sys.executable, str(peer)], capture_output=True, text=True, check=False)
        wall.append(time.perf_counter() - start)
        cpu.append(_child_seconds() - before)
        if done.returncode != 0:
            print(f"  {peer.name} failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
            return
    ours, ours_cpu = _median_times(lambda: simulate(scenario, runs=runs, seed=1), min(args.repeat, 3))
    peer_wall, peer_cpu = statistics.median(wall), statistics.median(cpu)
    print(f"  {peer.name}: {peer_wall:.2f} s (processor {peer_cpu:.2f} s)")
    print(f"  engine: {ours:.2f} s (processor {ours_cpu:.2f} s; {load()})")
    print(f"  the engine is {peer_wall / ours:.1f}x as fast in wall time, {peer_cpu / ours_cpu:.1f}x in processor time")


def benchmark_optimizer(scenario, runs: int = 1000) -> dict[str, float]:
    """Wall and processor seconds of the split sweep with refinement, the 21 x 11 budget map and the tornado.

    The map and the tornado are the Optimise page's own work on the default preset: 11 budgets
    from 0.25 to 2 times the plan's, 21 splits each, and the tornado around the sweep's best
    split (``scripts/optimise_overhead.py`` times the page doing the same in a browser).
    """
    from .decide import budget_map, default_totals, optimize_split, sensitivity

    seed = scenario.simulation.seed
    out: dict[str, float] = {"runs": runs}

    def timed(name, func):
        wall, cpu = time.perf_counter(), time.process_time()
        value = func()
        out[f"{name}_s"] = time.perf_counter() - wall
        out[f"{name}_cpu_s"] = time.process_time() - cpu
        return value

    base = timed("sweep_and_refine", lambda: optimize_split(scenario, runs=runs, seed=seed))
    timed("budget_map", lambda: budget_map(scenario, default_totals(base.total), runs=runs, seed=seed))
    timed("tornado", lambda: sensitivity(scenario, runs=runs, seed=seed, base=base))
    return out


def benchmark_recommendation(scenario, runs: int = 1000, factor: float = 1.2) -> tuple[float, float]:
    """Wall and processor seconds from a new total typed on the Plan page to its recommendation.

    The page keeps the model's assumption draws (they do not depend on the budget) and draws the
    plan's own figures at the new total first; what is left is the sweep of the new total's splits
    (:data:`~simulation.decide.PLAN_GRID` points refined to one, NPV) and the best split's own run,
    which the page compares with the plan run by run. The new total is ``factor`` times the plan's.
    """
    from .decide import PLAN_GRID, optimize_split
    from .engines.runner import shared_draws

    seed = scenario.simulation.seed
    drawn = shared_draws(scenario, runs, seed)
    budget = scenario.budget
    typed = scenario.model_copy(update={"budget": budget.with_split(budget.total * factor, budget.acquisition_share)})
    plan = simulate(typed, runs=runs, seed=seed, assumptions=drawn)
    plan.kpi_summary()  # the plan's figures, drawn before the answer

    def answer():
        best = optimize_split(typed, "npv", None, PLAN_GRID, runs, seed, assumptions=drawn)
        return simulate(typed, best.best_budget, runs=runs, seed=seed, assumptions=drawn).kpis

    wall, cpu = time.perf_counter(), time.process_time()
    answer()
    return time.perf_counter() - wall, time.process_time() - cpu


def _bench_optimizer(scenario) -> None:
    print("\nOptimiser (1,000 runs; processor time of all threads in brackets):")
    full = benchmark_optimizer(scenario, runs=1000)
    print(
        f"  21-point split sweep with refinement: {full['sweep_and_refine_s']:.2f} s "
        f"({full['sweep_and_refine_cpu_s']:.2f} s)"
    )
    print(f"  21 x 11 budget map: {full['budget_map_s']:.1f} s ({full['budget_map_cpu_s']:.1f} s)")
    print(
        "  tornado (every uncertain assumption at its 10th and 90th percentile): "
        f"{full['tornado_s']:.1f} s ({full['tornado_cpu_s']:.1f} s)"
    )
    print(f"  ({load()})")
    print("Plan page's recommendation after a new total (sweep of 11 splits with refinement, the best's run):")
    for key in list_presets():
        wall, cpu = benchmark_recommendation(load_preset(key))
        print(f"  {key:<20} {wall:.2f} s ({cpu:.2f} s; {load()})")


def _bench_des(scenario, args) -> None:
    from .model.scale import scale_scenario

    small = scale_scenario(scenario, args.des_scale)
    runs = 20
    print(f"\nDiscrete-event engine on the scenario scaled to {args.des_scale:g} ({runs} runs):")
    start = time.perf_counter()
    des = simulate(small, runs=runs, seed=1, engine="discrete_event")
    des_seconds = time.perf_counter() - start
    vec_seconds = _median_time(lambda: simulate(small, runs=runs, seed=1), args.repeat)
    customer_periods = des.output.extras.get("customer_periods", 0)
    print(
        f"  {customer_periods:,} customer-periods in {des_seconds:.2f} s: "
        f"{customer_periods / des_seconds:,.0f} per second"
    )
    print(f"  vectorised engine on the same scenario and runs: {vec_seconds * 1e3:.1f} ms")
    print(f"  discrete-event / vectorised wall time: {des_seconds / vec_seconds:,.0f}x")


# a contact plan for every customer, added when a scenario runs no programme whose effect can be sought
SEEK_PROGRAMME = {
    "name": "Contact plan",
    "revenue_share": 0.01,
    "churn_multiplier": {"low": 0.8, "mode": 0.9, "high": 1.0},
    "phase_in": 3,
}


def benchmark_seek(scenario, runs: int = 1000, confidence: float = 0.8) -> list[dict]:
    """Wall and processor seconds of goal seeking each setting on ``scenario``, reachable and not.

    The target is revenue in the last period: 5 % above the plan's median (reachable with more
    budget, less churn, higher prices or a stronger programme) and a quadrillion (out of reach, so
    the whole grid is simulated). A programme's effect is sought on the scenario's first running
    programme, or on a contact plan for every customer (1 % of their revenue; a tenth less churn)
    added when it runs none, as on the Plan page.
    """
    from .decide.seek import ALL_SOLVES, PROGRAMME_EFFECT, seek
    from .model.programmes import running_programmes

    seed = scenario.simulation.seed
    today = np.asarray(simulate(scenario, runs=runs, seed=seed).figure("revenue_final"), dtype=float)
    reachable = float(np.nanmedian(today)) * 1.05
    rows = []
    for solve in ALL_SOLVES:
        s, programme = scenario, None
        if solve == PROGRAMME_EFFECT:
            if not running_programmes(s):
                s = s.replace(programmes=[*(p.model_dump() for p in s.programmes or ()), SEEK_PROGRAMME])
            programme = running_programmes(s)[0].name
        for level in (reachable, 1e15):
            wall, cpu = time.perf_counter(), time.process_time()
            r = seek(s, "revenue_final", level, confidence, solve, runs=runs, seed=seed, programme=programme)
            rows.append(
                {
                    "solve": solve,
                    "level": level,
                    "reachable": r.reachable,
                    "value": r.value,
                    "wall_s": time.perf_counter() - wall,
                    "cpu_s": time.process_time() - cpu,
                    "load": os.getloadavg()[0],
                }
            )
    return rows


def _bench_seek(scenario) -> None:
    print("\nGoal seek (1,000 runs; revenue in the last period in 80 % of futures; processor time in brackets):")
    for row in benchmark_seek(scenario):
        state = "reached" if row["reachable"] else "out of reach"
        print(
            f"  {row['solve']:<17} level {row['level']:<10.4g} {state:<13} {row['wall_s']:.2f} s "
            f"({row['cpu_s']:.2f} s; load {row['load']:.2f})"
        )
