"""``python -m simulation bench``: how fast the engines are on this machine.

Times the vectorised engine on a preset (the default preset unless ``--scenario`` is given)
for each run count, with the median of several repetitions, and reports milliseconds per
run, runs per second, random variates drawn per second, the peak memory of one call, and
the time the same number of Binomial draws takes on its own (the floor for any engine that
draws each count). Then, unless ``--skip-des``, the discrete-event engine on a scaled-down
copy: customer-periods per second and its wall time against the vectorised engine's; and,
unless ``--skip-optimizer``, the optimiser's split sweep, budget map and tornado.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np

from .engines.runner import simulate
from .engines.vectorized import CLASSES_PER_COHORT
from .io.presets import DEFAULT_PRESET, load_preset
from .model.assumptions import draw_assumptions, stream_key
from .model.scenario import load_scenario
from .numerics.keyed_random import binomial_array
from .numerics.parallel import workers


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

    comparison = compare(scenario, runs=runs, seed=1)
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
    """Seconds to draw, on their own and on one core, the Binomial variates one call of the engine draws.

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
    return _median_time(keyed_only, repeat), _median_time(numpy_only, repeat), count


def main(args) -> int:
    scenario = load_scenario(args.scenario) if args.scenario else load_preset(DEFAULT_PRESET)
    run_counts = args.runs or [1000, 10000]
    print(f"Scenario: {scenario.name} ({len(scenario.segments)} segments, {scenario.horizon} {scenario.period}s)")
    print(
        f"Vectorised engine on {workers()} core(s), median of {args.repeat} "
        "(assumption draws and latent classes included):"
    )
    print("  draws alone: the same number of Binomial variates on one core, engine's sampler / NumPy's")
    print(f"{'runs':>8} {'ms':>9} {'ms/run':>8} {'runs/s':>9} {'draws/s':>9} {'draws alone ms':>17} {'peak MB':>8}")
    for runs in run_counts:

        def one(runs=runs):
            return simulate(scenario, runs=runs, seed=1)

        result = one()
        seconds = _median_time(one, args.repeat)
        keyed, numpy_draws, draws = _draw_floor(result, args.repeat)
        peak = _peak_mb(one)
        alone = f"{keyed * 1e3:.1f} / {numpy_draws * 1e3:.1f}"
        print(
            f"{runs:>8} {seconds * 1e3:>9.1f} {seconds * 1e3 / runs:>8.3f} {runs / seconds:>9,.0f} "
            f"{draws / seconds:>9.2e} {alone:>17} {peak:>8.0f}"
        )
        assumptions = draw_assumptions(scenario, runs, 1)
        assumptions.latent_classes(CLASSES_PER_COHORT)
        again, again_cpu = _median_times(
            lambda a=assumptions, r=runs: simulate(scenario, runs=r, seed=1, assumptions=a), args.repeat
        )
        print(
            f"{'':>8} with assumptions reused (another budget on the same draws): {again * 1e3:.1f} ms "
            f"(processor {again_cpu * 1e3:.1f} ms)"
        )
        if runs > 2000:
            continue  # the command line's run is timed where interactive use happens
        full, full_cpu = _median_times(lambda r=runs: _command_line_run(scenario, r), args.repeat)
        small, small_cpu = _median_times(lambda: _command_line_run(scenario, 10), args.repeat)
        print(
            f"{'':>8} command-line run (plan, status quo, every figure, JSON): {full * 1e3:.1f} ms, "
            f"{(full - small) * 1e3:.1f} ms more than at 10 runs (processor {(full_cpu - small_cpu) * 1e3:.1f} ms more)"
        )
    if not args.skip_des:
        _bench_des(scenario, args)
    if not args.skip_optimizer:
        _bench_optimizer(scenario)
    return 0


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
