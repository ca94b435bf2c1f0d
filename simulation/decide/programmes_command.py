"""``python -m simulation programmes``: what each programme of a scenario is worth to its plan."""

from __future__ import annotations

import json

from ..cli_common import int_in, json_safe, write_output
from ..model.figures import KPIS
from .programme_value import FIGURE, programme_values, values_frame

PROGRAMMES_HELP = "each programme's marginal contribution: what the plan loses without it, with its range"


def add_commands(subparsers) -> None:
    """Add ``programmes`` to the command line's subcommands."""
    p = subparsers.add_parser(
        "programmes", help=PROGRAMMES_HELP, description=PROGRAMMES_HELP[:1].upper() + PROGRAMMES_HELP[1:] + "."
    )
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--figure", choices=KPIS, default=FIGURE, help=f"the figure compared (default {FIGURE})")
    p.add_argument("--runs", type=int_in(10, 100_000), help="Monte Carlo runs (default: the scenario's)")
    p.add_argument("--seed", type=int_in(0), help="random seed (default: the scenario's)")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_programmes)


def cmd_programmes(args) -> int:
    from ..io.cells import to_csv
    from ..model.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    values = programme_values(scenario, figure=args.figure, runs=args.runs, seed=args.seed)
    if args.format == "csv":
        write_output(to_csv(values_frame(values)), args.out)
    else:
        doc = {"scenario": scenario.name, "currency": scenario.currency, "programmes": [v.to_dict() for v in values]}
        write_output(json.dumps(json_safe(doc), indent=2) + "\n", args.out)
    return 0
