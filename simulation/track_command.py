"""``python -m simulation track``: a plan's forecast against the actuals of the periods so far."""

from __future__ import annotations

import json

from .cli_common import int_in, json_safe, write_output
from .errors import InputError
from .io.cells import to_csv
from .io.files import read_limited
from .track import MAX_BYTES, read_actuals, track

TRACK_HELP = "where each period's actuals landed in the plan's forecast, and how good the forecast was"


def add_commands(subparsers) -> None:
    """Add ``track`` to the command line's subcommands."""
    p = subparsers.add_parser("track", help=TRACK_HELP, description=TRACK_HELP[:1].upper() + TRACK_HELP[1:] + ".")
    p.add_argument("plan", help="the plan: a scenario file (.toml or .json), run on its own runs and seed")
    p.add_argument("actuals", help="CSV: a period column (1 = the plan's first period) and one column per metric")
    p.add_argument("--runs", type=int_in(2), help="Monte Carlo runs (default: the plan's)")
    p.add_argument("--seed", type=int_in(0), help="random seed (default: the plan's)")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_track)


def cmd_track(args) -> int:
    from .engines.runner import simulate
    from .model.scenario import load_scenario

    plan = load_scenario(args.plan)
    try:
        data = read_limited(args.actuals, MAX_BYTES, "a CSV file")
    except InputError as exc:
        raise InputError(f"ACTUALS: {exc}") from None
    actuals = read_actuals(data, plan.horizon)
    result = track(simulate(plan, runs=args.runs, seed=args.seed), actuals)
    if args.format == "csv":
        write_output(to_csv(result.rows), args.out)
    else:
        runs = plan.simulation.runs if args.runs is None else args.runs
        seed = plan.simulation.seed if args.seed is None else args.seed
        doc = {"plan": plan.name, "runs": runs, "seed": seed, **result.to_dict()}
        write_output(json.dumps(json_safe(doc), indent=2) + "\n", args.out)
    return 0
