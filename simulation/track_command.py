"""``python -m simulation track``: a plan's forecast against the actuals of the periods so far."""

from __future__ import annotations

import json

from .cli_common import int_in, json_safe, write_output
from .errors import InputError
from .io.cells import to_csv
from .io.files import read_limited
from .track import MAX_BYTES, read_actuals_file, refit_churn, reforecast, track

TRACK_HELP = "where each period's actuals landed in the plan's forecast, and how good the forecast was"


def add_commands(subparsers) -> None:
    """Add ``track`` to the command line's subcommands."""
    p = subparsers.add_parser("track", help=TRACK_HELP, description=TRACK_HELP[:1].upper() + TRACK_HELP[1:] + ".")
    p.add_argument(
        "plan",
        help="the plan: a scenario file (.toml or .json), run on its own runs and seed, or version:ID for a saved "
        "plan version (see plan-versions)",
    )
    p.add_argument(
        "actuals", help="CSV or .xlsx: a period column (1 = the plan's first period) and one column per metric"
    )
    p.add_argument("--runs", type=int_in(2), help="Monte Carlo runs (default: the plan's)")
    p.add_argument("--seed", type=int_in(0), help="random seed (default: the plan's)")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--refit", action="store_true", help="refit churn from the actuals and re-forecast the rest")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.add_argument("--data-dir", help="the folder of saved plan versions (default $RETENTION_LAB_DATA_DIR or ./data)")
    p.set_defaults(func=cmd_track)

    v = subparsers.add_parser("plan-versions", help="save a plan as a dated, immutable version, or list the versions")
    v.add_argument("action", choices=("save", "list"))
    v.add_argument("scenario", nargs="?", help="with save: the scenario file of the plan")
    v.add_argument("--name", help="with save: the plan's name (default: the scenario's)")
    v.add_argument("--data-dir", help="the data folder (default $RETENTION_LAB_DATA_DIR or ./data)")
    v.set_defaults(func=cmd_plan_versions)


def cmd_track(args) -> int:
    from .engines.runner import simulate
    from .model.scenario import load_scenario

    version = None
    if args.plan.startswith(VERSION_PREFIX):
        version = _version(args.plan, args.data_dir)
        plan = version.scenario
        if args.runs is not None or args.seed is not None:
            raise InputError("--runs and --seed: a saved version keeps its own; leave them out")
        args.runs, args.seed = version.runs, version.seed
    else:
        plan = load_scenario(args.plan)
    try:
        data = read_limited(args.actuals, MAX_BYTES, "a CSV file")
    except InputError as exc:
        raise InputError(f"ACTUALS: {exc}") from None
    actuals = read_actuals_file(data, str(args.actuals), plan.horizon)
    forecast = simulate(plan, runs=args.runs, seed=args.seed)
    if version is not None:
        from .io.plan_versions import check_reproduced

        check_reproduced(version, forecast)
    result = track(forecast, actuals)
    if args.format == "csv":
        write_output(to_csv(result.rows), args.out)
    else:
        runs = plan.simulation.runs if args.runs is None else args.runs
        seed = plan.simulation.seed if args.seed is None else args.seed
        doc = {"plan": plan.name, "version": None if version is None else version.label, "runs": runs, "seed": seed}
        doc |= result.to_dict()
        if args.refit:
            refit = refit_churn(forecast, actuals)
            doc["refit"] = refit.to_dict()
            doc["reforecast"] = reforecast(forecast, actuals, refit).to_dict(orient="records")
        write_output(json.dumps(json_safe(doc), indent=2) + "\n", args.out)
    return 0


VERSION_PREFIX = "version:"


def _version(text: str, directory):
    from .io.plan_versions import PlanVersions

    raw = text[len(VERSION_PREFIX) :]
    if not raw.isdigit():
        raise InputError(f"PLAN: a saved version is version:ID with a whole number ID; got {text!r}")
    return PlanVersions(directory).get(int(raw))


def cmd_plan_versions(args) -> int:
    from .engines.runner import simulate
    from .io.plan_versions import PlanVersions
    from .model.scenario import load_scenario

    store = PlanVersions(args.data_dir)
    if args.action == "list":
        for version_id, name, number, saved_at in store.list():
            print(f"version:{version_id}\t{name}\tversion {number}\t{saved_at}")
        return 0
    if not args.scenario:
        raise InputError("plan-versions save: give the scenario file of the plan")
    scenario = load_scenario(args.scenario)
    saved = store.save(args.name or scenario.name, simulate(scenario))
    print(f"Saved version:{saved.id} ({saved.label}).")
    return 0
