"""``python -m simulation game FILE``: play a team game again from its replay file and print the results.

The game's arithmetic can be checked without the app: the same seed and decisions give the same
results, draw for draw, as the app stored when the trainer closed each round.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..cli_common import int_in, json_safe, write_output
from ..errors import InputError
from ..io.cells import csv_text
from .debrief import UNSPENT, debrief
from .market import MAX_MARKET, MAX_ROUNDS, MAX_SEED, MIN_MARKET, GameSettings, play
from .replay import MAX_FILE_CHARS, RESULT_COLUMNS, parse_replay, result_rows


class GameCommandError(InputError):
    """A problem with the command's arguments or its file."""


def _read(path: str) -> tuple[str, str]:
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in {"json", "csv"}:
        raise GameCommandError(f"{path}: the replay file must end in .json or .csv")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read(MAX_FILE_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise GameCommandError(f"{path}: cannot read the file ({exc})") from None
    return text, fmt


def _settings(args) -> GameSettings | None:
    given = {k: getattr(args, k) for k in ("rounds", "budget", "market_size", "seed") if getattr(args, k) is not None}
    return GameSettings(**given) if given else None


def cmd_game(args) -> int:
    text, fmt = _read(args.file)
    settings = _settings(args)
    if fmt == "csv" and settings is None:
        settings = GameSettings()
    settings, teams, decisions = parse_replay(text, fmt, settings)
    rounds = max((r for _, r in decisions), default=0) if args.played else settings.rounds
    result = play(settings, teams, decisions, rounds=rounds)
    rows = result_rows(result)
    if args.format == "csv":
        write_output(csv_text(([row[c] for c in RESULT_COLUMNS] for row in rows), RESULT_COLUMNS), args.out)
        return 0
    out = {
        "settings": vars(settings),
        "teams": teams,
        "results": rows,
        "leaderboard": [
            {"rank": n, "team": teams[tr.team], "customer_equity": round(tr.equity, 2), "customers": tr.customers}
            for n, tr in enumerate(result.leaderboard(), start=1)
        ],
    }
    if args.debrief and result.played:
        report = debrief(result)
        out["debrief"] = [
            {
                "team": t.name,
                "rank": t.rank,
                "average_shares": t.shares,
                "rounds": [
                    {"round": a.round, "split": a.actual.as_dict(), "best_split": a.best.as_dict(),
                     "expected_equity": round(a.actual_value, 2), "best_expected_equity": round(a.best_value, 2),
                     "gap": round(a.gap, 2)}
                    for a in t.rounds
                ],
                "largest_difference_from_winner": dict(
                    zip(("lever", "share_difference"), report.difference(t), strict=True)
                ),
            }
            for t in report.teams
        ]  # fmt: skip
    write_output(json.dumps(json_safe(out), indent=2, ensure_ascii=False) + "\n", args.out)
    return 0


def add_commands(sub) -> None:
    game = sub.add_parser("game", help="play a team game again from its replay file (JSON or CSV) and print results")
    game.add_argument("file", help="replay file: the app's JSON replay file or a CSV of decisions")
    game.add_argument("--rounds", type=int_in(1, MAX_ROUNDS), help="rounds of the game (CSV: default 4)")
    game.add_argument("--budget", type=float, help="budget per team per round (CSV: default 60000)")
    game.add_argument("--market-size", type=int_in(MIN_MARKET, MAX_MARKET), help="prospects (CSV: default 4000)")
    game.add_argument("--seed", type=int_in(0, MAX_SEED), help="seed of the random streams (CSV: default 1)")
    game.add_argument("--played", action="store_true", help="play only up to the last round with a decision")
    game.add_argument("--debrief", action="store_true", help=f"add the debrief (JSON; shares include {UNSPENT!r})")
    game.add_argument("--format", choices=("json", "csv"), default="json")
    game.add_argument("--out", help="write to this file instead of standard output")
    game.set_defaults(func=cmd_game)
