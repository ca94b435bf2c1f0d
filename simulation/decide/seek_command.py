"""``python -m simulation seek``: what it takes to reach a target with a stated confidence."""

from __future__ import annotations

import argparse
import json
import math

from ..cli_common import int_in, json_safe, write_output
from ..errors import InputError
from .seek import ALL_SOLVES, PROGRAMME_EFFECT, TARGETS, seek

SEEK_HELP = (
    "what total budget, churn change, price change or programme effect reaches a target in a share of the futures"
)


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number; got {text!r}")
    return value


def add_commands(subparsers) -> None:
    """Add ``seek`` to the command line's subcommands."""
    p = subparsers.add_parser("seek", help=SEEK_HELP, description=SEEK_HELP[:1].upper() + SEEK_HELP[1:] + ".")
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--target", required=True, choices=TARGETS, help="the figure to reach")
    p.add_argument("--level", required=True, type=_level, help="the level to reach (money in the scenario's currency)")
    p.add_argument("--confidence", type=float, default=0.8, help="share of futures that must reach it (default 0.8)")
    p.add_argument("--solve", choices=ALL_SOLVES, default="total_budget", help="what to change (default total_budget)")
    p.add_argument("--programme", help=f"the programme whose churn multiplier --solve {PROGRAMME_EFFECT} changes")
    p.add_argument("--runs", type=int_in(2), help="Monte Carlo runs (default: the scenario's)")
    p.add_argument("--seed", type=int_in(0), help="random seed (default: the scenario's)")
    p.add_argument("--format", choices=("json", "text"), default="json")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_seek)


def cmd_seek(args) -> int:
    from ..model.scenario import load_scenario

    if not 0.05 <= args.confidence <= 0.95:
        raise InputError(f"--confidence must be between 0.05 and 0.95 (a share of futures); got {args.confidence:g}")
    scenario = load_scenario(args.scenario)
    result = seek(
        scenario, args.target, args.level, args.confidence, args.solve, runs=args.runs, seed=args.seed,
        programme=args.programme,
    )  # fmt: skip
    if args.format == "json":
        write_output(json.dumps(json_safe(result.to_dict()), indent=2) + "\n", args.out)
    else:
        state = "reached" if result.reachable else "not reachable; best level"
        write_output(f"{args.solve} = {result.value:.6g} ({state} {result.best_level:.6g})\n", args.out)
    return 0
