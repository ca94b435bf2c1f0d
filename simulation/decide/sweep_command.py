"""``python -m simulation sweep``: the best split of many scenario files, here or on a Dask cluster."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..cli_common import check_split_search, int_in
from ..errors import InputError
from ..io.cells import to_csv

SWEEP_HELP = "the best split and the objective curve for many scenario files at once (locally or on Dask)"


def add_commands(subparsers) -> None:
    """Add ``sweep`` to the command line's subcommands."""
    p = subparsers.add_parser("sweep", help=SWEEP_HELP, description=SWEEP_HELP[:1].upper() + SWEEP_HELP[1:] + ".")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files (.toml or .json)")
    p.add_argument("--objective", default="npv", help="npv (default), equity, revenue, p10_npv or target")
    p.add_argument("--target", type=float, help="revenue target for --objective target")
    p.add_argument("--grid", type=int_in(2), default=21, help="grid points from 0 to 100%% (default 21)")
    p.add_argument("--runs", type=int_in(2), help="Monte Carlo runs (default: each scenario's)")
    p.add_argument("--seed", type=int_in(0), help="random seed (default: each scenario's)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler to run on (tcp://HOST:8786, or local:N for N worker processes here); "
        "default $RETENTION_LAB_DASK_SCHEDULER, else this machine",
    )
    p.add_argument("--out", required=True, metavar="FILE.csv", help="write the table here")
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    p.set_defaults(func=cmd_sweep)


def _check(args):
    check_split_search(args)
    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():
        raise InputError(f"--out: cannot write {args.out}: not a file in an existing folder")


def _load_all(paths: list[str]):
    from ..model.scenario import ScenarioError, load_scenario

    scenarios, problems = [], []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as exc:
            problems.append(f"{path}: {exc.describe()}")
        except InputError as exc:
            problems.append(f"{path}: {exc}")
        except OSError as exc:
            problems.append(f"{path}: cannot read it: {exc.strerror or exc}")
    if problems:
        raise InputError("SCENARIO: " + ("\n  ".join(["some files are not valid scenarios:", *problems])))
    for path, sc in zip(paths, scenarios, strict=True):
        if sc.budget.core <= 0:
            raise InputError(f"SCENARIO: {path}: has no acquisition or retention budget to split")
    return scenarios


def cmd_sweep(args) -> int:
    """Run the sweep; 0 on success (bad input raises :class:`InputError`: exit 2)."""
    from ..numerics.executor import ClusterUnavailableError, connect, executor_for
    from .batch import BatchRequest, batch_frame, optimize_batch

    _check(args)
    scenarios = _load_all(args.scenarios)
    if args.scheduler:
        try:
            executor = connect(args.scheduler)
        except ClusterUnavailableError as exc:
            raise InputError(f"--scheduler: {exc}") from None
    else:
        executor = executor_for()
        if getattr(executor, "note", None):
            print(f"warning: {executor.note}", file=sys.stderr)
    request = BatchRequest(args.objective, args.target, args.grid, args.runs, args.seed)
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    count = len(scenarios)
    say(f"sweep: {count} scenario(s) on {executor.describe()}")
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        say(f"sweep: {done} of {total} done ({time.perf_counter() - start:.1f} s)")

    try:
        results = optimize_batch(scenarios, request, progress=progress, executor=executor)
    finally:
        if args.scheduler:  # connected for this command alone
            executor.close()
    if getattr(executor, "note", None):
        print(f"warning: {executor.note}", file=sys.stderr)
    table = batch_frame(results, args.scenarios)
    try:
        Path(args.out).write_text(to_csv(table), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out: cannot write {args.out}: {exc.strerror}") from None
    for path, r in zip(args.scenarios, results, strict=True):
        value = f"{r.best_value:,.0f} {r.currency}" if r.objective_info.is_money else f"{r.best_value:.1%}"
        say(f"{path}: best split {r.best_share:.1%} to acquisition; {r.objective_info.label}: {value}")
    return 0
