"""Command line: ``python -m simulation run|validate|optimize|sweep|seek|programmes|bench|compile ...``.

Exit status 0 on success, 2 on bad input (with a message on stderr naming the field).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .cli_common import check_split_search, fraction, int_in, json_safe, write_output
from .engines.runner import compare, engine_name
from .errors import InputError
from .io.cells import to_csv
from .model.scenario import ScenarioError, Simulation, bounds_of, load_scenario

EXIT_OK, EXIT_BAD_INPUT = 0, 2


class BadInputError(InputError):
    """A problem with the command's arguments, reported on stderr with exit status 2."""


_RUNS = bounds_of(Simulation, "runs")
_SEED = bounds_of(Simulation, "seed")
_positive_int = int_in(1)
_runs = int_in(int(_RUNS.lo), int(_RUNS.hi))
_seed = int_in(int(_SEED.lo), int(_SEED.hi))


_scale = fraction("must be in (0, 1]")


def _write(text: str, out: str | None) -> None:
    write_output(text, out, BadInputError)


def _load(path: str, scale: float | None = None):
    scenario = load_scenario(path)
    if scale is not None and scale != 1:
        from .model.scale import scale_scenario

        scenario = scale_scenario(scenario, scale)
    return scenario


def cmd_run(args) -> int:
    scenario = _load(args.scenario, args.scale)
    engine = engine_name(args.engine)
    options = {}
    if args.events:
        if engine != "discrete_event":
            raise BadInputError(
                "--events: the event log comes from the discrete-event engine; add --engine discrete-event"
            )
        options["record_events"] = True
    # the status quo is read only for its figures (JSON, --per-run), never for its saved customers
    comparison = compare(scenario, runs=args.runs, seed=args.seed, engine=engine, baseline_figures_only=True, **options)
    plan, baseline = comparison.plan, comparison.baseline
    table = plan.path_summary()
    if args.events:
        from .engines.discrete_event import write_event_log

        try:
            write_event_log(plan, args.events)
        except OSError as exc:
            raise BadInputError(f"--events: cannot write {args.events}: {exc.strerror}") from None
    if args.per_run:
        from .io.exports import per_run_csv

        try:
            Path(args.per_run).write_text(per_run_csv(plan, None if comparison.identical else baseline), "utf-8")
        except OSError as exc:
            raise BadInputError(f"--per-run: cannot write {args.per_run}: {exc.strerror}") from None
    if args.format == "csv":
        _write(to_csv(table), args.out)
    else:
        doc = {
            "scenario": scenario.name,
            "engine": engine,
            "seed": plan.seed,
            "runs": plan.runs,
            "kpis": plan.kpi_summary(),
            "baseline": baseline.kpi_summary(),
            "p_beats_baseline": comparison.p_beats_baseline,
            "years": plan.year_summary().to_dict(orient="records"),
            "periods": table.to_dict(orient="records"),
        }
        _write(json.dumps(json_safe(doc), indent=2) + "\n", args.out)
    return EXIT_OK


def cmd_validate(args) -> int:
    scenario = load_scenario(args.scenario)
    print(
        f"{args.scenario}: valid. {scenario.name!r}: {len(scenario.segments)} segment(s), "
        f"{scenario.horizon} {scenario.period}s, "
        f"budget {scenario.budget.total:,.0f} {scenario.currency} per {scenario.period}."
    )
    return EXIT_OK


def cmd_optimize(args) -> int:
    from .decide import MIN_RUNS, optimize_split

    scenario = _load(args.scenario)
    check_split_search(args, BadInputError)
    if args.runs is not None and args.runs < MIN_RUNS:
        raise BadInputError(f"--runs: the optimiser needs at least {MIN_RUNS} runs to measure noise; got {args.runs}")
    from .numerics.executor import LocalExecutor, executor_for

    executor = executor_for()  # $RETENTION_LAB_DASK_SCHEDULER, else this machine
    if getattr(executor, "note", None):
        print(f"warning: {executor.note}", file=sys.stderr)
    result = optimize_split(
        scenario,
        objective=args.objective,
        target=args.target,
        grid=args.grid,
        runs=args.runs,
        seed=args.seed,
        executor=executor,
    )
    if getattr(executor, "note", None) and not isinstance(executor, LocalExecutor):
        print(f"warning: {executor.note}", file=sys.stderr)
    if args.format == "csv":
        _write(to_csv(result.grid_frame()), args.out)
    else:
        doc = result.to_dict()
        if any(p.enabled for p in scenario.programmes or []):
            # which programmes pay at the best split: each one's marginal contribution there
            from .decide.programme_value import programme_values

            values = programme_values(scenario, result.best_budget, runs=result.runs, seed=result.seed)
            doc["programmes"] = [v.to_dict() for v in values]
        _write(json.dumps(json_safe(doc), indent=2) + "\n", args.out)
    return EXIT_OK


def cmd_bench(args) -> int:
    from .bench import main as bench_main

    return bench_main(args)


def cmd_compile(args) -> int:
    from .engines.vectorized import compile_kernels

    print(f"Engine ready ({compile_kernels():.1f} s).")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulation", description="Retention Lab: simulate customer budgets from a scenario file."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="simulate a scenario and its status quo; print percentiles and figures")
    run.add_argument("scenario", help="scenario file (.toml or .json)")
    run.add_argument(
        "--runs", type=_runs, help=f"Monte Carlo runs, {int(_RUNS.lo)} to {int(_RUNS.hi):,} (default: the scenario's)"
    )
    run.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
    run.add_argument("--format", choices=("csv", "json"), default="csv")
    run.add_argument("--out", help="write to this file instead of standard output")
    run.add_argument("--engine", default="vectorized", help="vectorized (default) or discrete-event")
    run.add_argument("--events", metavar="FILE.csv", help="write the discrete-event engine's event log")
    run.add_argument("--per-run", metavar="FILE.csv", help="write each simulated future's assumptions and figures")
    run.add_argument("--scale", type=_scale, help="divide customers, budgets and ceilings by 1/SCALE first")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check a scenario file and list every problem")
    val.add_argument("scenario")
    val.set_defaults(func=cmd_validate)

    opt = sub.add_parser("optimize", help="find the acquisition/retention split that maximises an objective")
    opt.add_argument("scenario")
    opt.add_argument("--objective", default="npv", help="npv (default), equity, revenue, p10_npv or target")
    opt.add_argument("--target", type=float, help="revenue target for --objective target")
    opt.add_argument("--grid", type=int_in(1, 10_000), default=21, help="grid points from 0 to 100%% (default 21)")
    opt.add_argument("--runs", type=int_in(2, int(_RUNS.hi)), help=f"Monte Carlo runs, 2 to {int(_RUNS.hi):,}")
    opt.add_argument("--seed", type=_seed)
    opt.add_argument("--format", choices=("csv", "json"), default="json")
    opt.add_argument("--out")
    opt.set_defaults(func=cmd_optimize)

    bench = sub.add_parser("bench", help="time the engines on the default preset")
    bench.add_argument("--scenario", help="scenario file (default: the default preset)")
    bench.add_argument("--runs", type=_runs, action="append", help="runs to time (repeatable)")
    bench.add_argument("--repeat", type=int_in(1, 100), default=7, help="timed repetitions (median reported)")
    bench.add_argument("--des-scale", type=_scale, default=0.1, help="scale for the discrete-event comparison")
    bench.add_argument("--skip-des", action="store_true", help="leave out the discrete-event engine")
    bench.add_argument("--skip-optimizer", action="store_true", help="leave out the optimiser")
    bench.add_argument("--skip-seek", action="store_true", help="leave out goal seeking")
    bench.add_argument("--skip-presets", action="store_true", help="leave out the other presets")
    bench.add_argument("--peer", metavar="FILE.py", help="another program to time against the engine (python FILE.py)")
    bench.add_argument("--peer-scenario", help="the engine's scenario against the peer (default: the default preset)")
    bench.add_argument("--peer-runs", type=_runs, default=10000, help="engine runs against the peer (default 10,000)")
    bench.set_defaults(func=cmd_bench)

    comp = sub.add_parser("compile", help="compile the engine now, so the first simulation is not slowed by it")
    comp.set_defaults(func=cmd_compile)

    from .decide.programmes_command import add_commands as add_programmes
    from .decide.seek_command import add_commands as add_seek
    from .decide.sweep_command import add_commands as add_sweep
    from .game.command import add_commands as add_game
    from .portfolio.cli import add_commands as add_portfolio
    from .track_command import add_commands as add_track

    add_sweep(sub)
    add_seek(sub)
    add_programmes(sub)
    add_track(sub)
    add_portfolio(sub)
    add_game(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # The commands say on standard error what a person needs (a cluster's fallback included); the
    # executor's log, which Python would otherwise print there too, with a traceback, stays quiet.
    quiet = logging.getLogger("retention_lab")
    if not any(isinstance(h, logging.NullHandler) for h in quiet.handlers):
        quiet.addHandler(logging.NullHandler())
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        print(f"error: {args.scenario if hasattr(args, 'scenario') else 'scenario'}: {exc.describe()}", file=sys.stderr)
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return EXIT_BAD_INPUT
