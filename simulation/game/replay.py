"""A game as data: the replay file (settings, teams, decisions) and the results as rows.

A replay file is JSON, ``{"settings": {"rounds", "budget", "market_size", "seed"}, "teams": [names],
"decisions": [{"team", "round", "acquisition", "retention", "expansion", "winback"}]}``, or CSV with
the decision columns (``team, round, acquisition, retention, expansion, winback``; other columns, such
as the results of the app's export, are ignored, and a row whose ``decided`` is false is not a
decision), teams in the order they first appear, the settings given apart. Both are bounded and
checked field by field: a file is hostile until read.
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata

from ..io.cells import FORMULA_TRIGGERS, QUOTE
from .firm import LEVERS
from .market import MAX_ROUNDS, MAX_TEAMS, GameError, GameResult, GameSettings, Split, check_split

MAX_FILE_CHARS = 2_000_000
NAME_MAX_CHARS = 30
NOT_DECIDED = {"false", "0", "no"}
DECISION_COLUMNS = ("team", "round", *LEVERS)
RESULT_COLUMNS = (
    "round",
    "team",
    *LEVERS,
    "decided",
    "prospects_at_start",
    "won",
    "winbacks",
    "upsells",
    "churned",
    "saved",
    "customers",
    "lapsed",
    "revenue",
    "contribution",
    "customer_equity",
)


def clean_team_name(name) -> str:
    """A team name as kept: NFC, spaces collapsed, at most :data:`NAME_MAX_CHARS`, no control characters."""
    if not isinstance(name, str):
        raise GameError("team name: must be text")
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        raise GameError("team name: give your team a name (it is empty)")
    if len(text) > NAME_MAX_CHARS:
        raise GameError(f"team name: at most {NAME_MAX_CHARS} characters; got {len(text)}")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise GameError("team name: contains control characters; use letters, digits and punctuation")
    return text


def result_rows(result: GameResult) -> list[dict]:
    """One row per round and team (columns :data:`RESULT_COLUMNS`), rounds in order, teams by position."""
    rows = []
    for r, row in enumerate(result.rounds):
        for tr in row:
            f = tr.flows
            rows.append(
                {
                    "round": tr.round,
                    "team": result.teams[tr.team],
                    **tr.split.as_dict(),
                    "decided": tr.decided,
                    "prospects_at_start": result.prospects[r],
                    "won": int(f.won),
                    "winbacks": int(f.winbacks),
                    "upsells": int(f.upsells),
                    "churned": int(f.churned),
                    "saved": int(f.saved),
                    "customers": tr.customers,
                    "lapsed": tr.lapsed,
                    "revenue": round(float(f.revenue), 2),
                    "contribution": round(float(f.contribution), 2),
                    "customer_equity": round(tr.equity, 2),
                }
            )
    return rows


def _number(value, what: str) -> float:
    if isinstance(value, bool):
        raise GameError(f"{what}: must be a number; got {value!r}")
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    if isinstance(value, str):
        try:
            number = float(value.replace(",", "").strip())
        except ValueError:
            raise GameError(f"{what}: must be a number; got {value[:30]!r}") from None
        if math.isfinite(number):
            return number
    raise GameError(f"{what}: must be a finite number; got {str(value)[:30]!r}")


def _decisions(records: list, teams: list[str], settings: GameSettings) -> dict:
    decisions: dict[tuple[int, int], Split] = {}
    for n, rec in enumerate(records, start=1):
        where = f"decision {n}"
        if not isinstance(rec, dict):
            raise GameError(f"{where}: must be an object with {', '.join(DECISION_COLUMNS)}")
        name = clean_team_name(rec.get("team", ""))
        if name not in teams:
            raise GameError(f"{where}: team {name!r} is not one of the teams")
        round_ = _number(rec.get("round"), f"{where}: round")
        if round_ != int(round_) or not 1 <= round_ <= settings.rounds:
            raise GameError(f"{where}: round must be a whole number from 1 to {settings.rounds}; got {round_:g}")
        try:
            split = check_split({k: _number(rec.get(k, 0), k) for k in LEVERS}, settings.budget)
        except GameError as exc:
            raise GameError(f"{where}: {exc}") from None
        key = (teams.index(name), int(round_))
        if key in decisions:
            raise GameError(f"{where}: team {name!r} already has a decision for round {int(round_)}")
        decisions[key] = split
    return decisions


def parse_replay(text: str, fmt: str, settings: GameSettings | None = None) -> tuple[GameSettings, list[str], dict]:
    """Settings, team names and decisions from a replay file's text (``fmt`` "json" or "csv").

    A CSV file holds decisions only: ``settings`` must be given. In a JSON file ``settings`` (when
    given) replaces the file's own.
    """
    if len(text) > MAX_FILE_CHARS:
        raise GameError(f"replay file: at most {MAX_FILE_CHARS:,} characters; got {len(text):,}")
    if fmt == "json":
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise GameError(f"replay file: not valid JSON ({str(exc)[:80]})") from None
        if not isinstance(data, dict):
            raise GameError("replay file: must be an object with settings, teams and decisions")
        unknown = sorted(set(data) - {"settings", "teams", "decisions"})
        if unknown:
            raise GameError(
                f"replay file: unknown field {unknown[0][:30]!r}; the fields are settings, teams, decisions"
            )
        if settings is None:
            given = data.get("settings", {})
            if not isinstance(given, dict) or set(given) - {"rounds", "budget", "market_size", "seed"}:
                raise GameError("settings: must be an object with rounds, budget, market_size and seed")
            settings = GameSettings(**given)
        names = data.get("teams")
        if not isinstance(names, list) or not 1 <= len(names) <= MAX_TEAMS:
            raise GameError(f"teams: must be a list of 1 to {MAX_TEAMS} team names")
        teams = [clean_team_name(n) for n in names]
        if len({t.casefold() for t in teams}) != len(teams):
            raise GameError("teams: two teams have the same name")
        records = data.get("decisions", [])
        if not isinstance(records, list) or len(records) > MAX_TEAMS * MAX_ROUNDS:
            raise GameError(f"decisions: must be a list of at most {MAX_TEAMS * MAX_ROUNDS} decisions")
        return settings, teams, _decisions(records, teams, settings)
    if fmt != "csv":
        raise GameError(f"replay file: format must be json or csv; got {str(fmt)[:10]!r}")
    if settings is None:
        raise GameError("replay file: a CSV file holds decisions only; give the game's settings")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in DECISION_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise GameError(f"replay file: missing column {missing[0]!r}; the columns are {', '.join(DECISION_COLUMNS)}")
    records, teams = [], []
    for n, rec in enumerate(reader, start=1):
        if n > MAX_TEAMS * MAX_ROUNDS:
            raise GameError(f"decisions: at most {MAX_TEAMS * MAX_ROUNDS} rows")
        # the app's export escapes a name that starts like a formula with a quote
        team = rec["team"] or ""
        escaped = team.startswith(QUOTE) and team[1:2] in FORMULA_TRIGGERS
        team = clean_team_name(team[1:] if escaped else team)
        if team not in teams:
            if len(teams) >= MAX_TEAMS:
                raise GameError(f"teams: at most {MAX_TEAMS}")
            teams.append(team)
        # in the app's export, a row the team did not decide repeats its last split: not a decision
        if str(rec.get("decided", "True")).strip().lower() not in NOT_DECIDED:
            records.append({**rec, "team": team})
    if not teams:
        raise GameError("replay file: no decisions")
    return settings, teams, _decisions(records, teams, settings)


def replay_json(settings: GameSettings, teams: list[str], decisions: dict[tuple[int, int], Split]) -> str:
    """The replay file of a game, as JSON (what :func:`parse_replay` reads back)."""
    records = [
        {"team": teams[t], "round": r, **split.as_dict()}
        for (t, r), split in sorted(decisions.items(), key=lambda item: (item[0][1], item[0][0]))
    ]
    data = {
        "settings": {
            "rounds": settings.rounds,
            "budget": settings.budget,
            "market_size": settings.market_size,
            "seed": settings.seed,
        },
        "teams": teams,
        "decisions": records,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
