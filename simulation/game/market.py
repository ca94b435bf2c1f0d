"""The shared market of the team game: teams compete for one pool of prospects, round after round.

**Prospects.** The market starts with ``market_size`` prospects; every customer won uses one up, and
customers who leave go to their firm's lapsed pool, not back to the prospects (docs/MODEL.md,
section 4). A round can win at most ``C = WON_SHARE_CEILING x prospects left``: the model's
acquisition ceiling, ``max_new_per_period x P_t / M``, so each customer costs more as the market fills.

**Attraction.** The market's expected new customers in a round are the model's acquisition response
to the teams' total acquisition spend ``A``, ``W = C (1 - exp(-A / (C x CAC)))``, and each team's
share of them is its own spend over the total, ``a_i / A`` (an attraction model, "us over us plus
them"). A team that spends nothing on acquisition wins nobody; spending more never wins fewer in
expectation (``W`` rises with ``A``, and so does ``a_i / A`` with ``a_i``); with one team the rule is
exactly the model's acquisition lever.

**Draws.** The customers won are ``Binomial(ceil(C), W / ceil(C))``, at most the prospects left, split
among the teams by a multinomial draw with the shares ``a_i / A``. Every draw comes from its own
stream, ``SeedSequence(seed, spawn_key=(round, source, team))``, so a game replays exactly from its
seed and its decisions, and one team's choice moves no other team's churn or upsell draws.

**Customer equity** of a team after round t is the money it made, discounted to the start of the
game, plus the discounted value of its remaining base (:func:`.firm.value_of_base`):
``sum_{s<=t} contribution_s / (1 + d)^s + value of base_t / (1 + d)^t``: the model's
``customer_equity`` figure, with the game's rounds as its periods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..model.levers import response
from .economics import WON_SHARE_CEILING, Economics, economics
from .firm import LEVERS, Drawn, FirmState, RoundFlows, play_round, starting_state, value_of_base

MAX_ROUNDS = 12
MAX_TEAMS = 20
MIN_MARKET, MAX_MARKET = 100, 10_000_000
MAX_BUDGET = 1e9
MAX_SEED = 2**63 - 1
SOURCES = ("market", "split", "start", "lapsed", "join", "winback", "upsell", "churn", "saved")


class GameError(InputError):
    """A game's settings or decisions that cannot be played; the message names the field."""


def _shown(value: float) -> str:
    """A refused number as a person reads it: digits with separators, or 3 significant figures when huge."""
    return f"{value:,.0f}" if abs(value) < 1e15 else f"{value:.3g}"


def _whole(value, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value != int(value):
        raise GameError(f"{what}: must be a whole number from {lo:,} to {hi:,}; got {str(value)[:40]!r}")
    value = int(value)
    if not lo <= value <= hi:
        raise GameError(f"{what}: must be from {lo:,} to {hi:,}; got {_shown(value)}")
    return value


def _money(value, what: str, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GameError(f"{what}: must be an amount of money (a number); got {str(value)[:40]!r}")
    if value < 0:
        shown = f"{value:,.2f}" if value > -1e15 else _shown(value)
        raise GameError(f"{what}: cannot be negative; got {shown}")
    if value > hi:
        raise GameError(f"{what}: at most {hi:,.0f}; got {_shown(value)}")
    return round(float(value), 2)


@dataclass(frozen=True)
class GameSettings:
    """What the trainer chooses: rounds (quarters), the budget of each team per round, the market's
    prospects and the seed of the random streams."""

    rounds: int = 4
    budget: float = 60_000.0
    market_size: int = 4_000
    seed: int = 1

    def __post_init__(self):
        object.__setattr__(self, "rounds", _whole(self.rounds, "rounds", 1, MAX_ROUNDS))
        budget = _money(self.budget, "budget per team", MAX_BUDGET)
        if budget <= 0:
            raise GameError("budget per team: must be above 0")
        object.__setattr__(self, "budget", budget)
        object.__setattr__(self, "market_size", _whole(self.market_size, "market size", MIN_MARKET, MAX_MARKET))
        object.__setattr__(self, "seed", _whole(self.seed, "seed", 0, MAX_SEED))


@dataclass(frozen=True)
class Split:
    """A team's spend in one round on each lever (currency); together at most the budget."""

    acquisition: float = 0.0
    retention: float = 0.0
    expansion: float = 0.0
    winback: float = 0.0

    @property
    def total(self) -> float:
        return self.acquisition + self.retention + self.expansion + self.winback

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in LEVERS}


def check_split(values, budget: float) -> Split:
    """A :class:`Split` from ``{lever: amount}``, or :class:`GameError` naming the field and what is allowed."""
    if not isinstance(values, dict):
        raise GameError("split: must give acquisition, retention, expansion and winback amounts")
    unknown = sorted(set(values) - set(LEVERS))
    if unknown:
        raise GameError(f"split: unknown field {str(unknown[0])[:30]!r}; the fields are {', '.join(LEVERS)}")
    amounts = {k: _money(values.get(k, 0.0), k, MAX_BUDGET) for k in LEVERS}
    split = Split(**amounts)
    if split.total > budget + 0.005:
        raise GameError(
            f"split: spends {split.total:,.2f} in all, more than the budget of {budget:,.2f} per round; "
            f"lower one of the amounts by {split.total - budget:,.2f}"
        )
    return split


@dataclass(frozen=True)
class TeamRound:
    """One team's round: what it spent (``decided`` False when it repeated its last split) and what happened."""

    team: int
    round: int
    split: Split
    decided: bool
    flows: RoundFlows
    customers: int
    lapsed: int
    equity: float


@dataclass
class GameResult:
    """A played game: per round the prospects at its start and what each team did and got.

    ``states[r][i]`` is team i's firm at the start of round r + 1 (``states[0]`` the starting bases),
    kept for the debrief.
    """

    settings: GameSettings
    teams: list[str]
    econ: Economics
    prospects: list[int] = field(default_factory=list)
    rounds: list[list[TeamRound]] = field(default_factory=list)
    states: list[list[FirmState]] = field(default_factory=list)

    @property
    def played(self) -> int:
        return len(self.rounds)

    def leaderboard(self) -> list[TeamRound]:
        """The last round played, best customer equity first (ties by team order)."""
        if not self.rounds:
            return []
        return sorted(self.rounds[-1], key=lambda tr: (-tr.equity, tr.team))


def ceiling(prospects: float, market_size: int) -> float:
    """Most customers the market can give in a round: ``WON_SHARE_CEILING x market_size x P / M``."""
    return WON_SHARE_CEILING * market_size * (prospects / market_size)


def expected_won(spend, others: float, prospects: float, market_size: int, cac: float):
    """A team's expected new customers in a round: ``W(a + others) x a / (a + others)``; 0 without spend."""
    spend = np.asarray(spend, dtype=float)
    total = spend + others
    won = response(total, ceiling(prospects, market_size), cac)
    return np.where(total > 0, won * spend / np.where(total > 0, total, 1.0), 0.0)


def _streams(seed: int, round_: int, team: int) -> dict[str, np.random.Generator]:
    return {
        s: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(round_, i, team)))
        for i, s in enumerate(SOURCES)
    }


def draw_won(acquisition: np.ndarray, prospects: int, settings: GameSettings, cac: float, round_: int) -> np.ndarray:
    """Customers won by each team in a round: the market's total drawn, then split by attraction."""
    acquisition = np.asarray(acquisition, dtype=float)
    total = float(acquisition.sum())
    cap = ceiling(prospects, settings.market_size)
    if total <= 0 or cap <= 0 or prospects <= 0:
        return np.zeros(acquisition.size, dtype=np.int64)
    streams = _streams(settings.seed, round_, 0)
    deals = math.ceil(cap)
    mean = float(response(total, cap, cac))
    won = min(int(streams["market"].binomial(deals, min(1.0, mean / deals))), int(prospects))
    return streams["split"].multinomial(won, acquisition / total)


def play(
    settings: GameSettings,
    teams: list[str],
    decisions: dict[tuple[int, int], Split],
    rounds: int | None = None,
    econ: Economics | None = None,
) -> GameResult:
    """Play ``rounds`` rounds (default all) from the settings and the decisions.

    ``decisions[(team, round)]`` is team ``team``'s split in round ``round`` (teams by position from 0,
    rounds from 1). A team without a decision for a round repeats its last split (in the first round it
    spends nothing).
    """
    if not 1 <= len(teams) <= MAX_TEAMS:
        raise GameError(f"teams: a game has 1 to {MAX_TEAMS} teams; got {len(teams)}")
    rounds = settings.rounds if rounds is None else rounds
    if not 0 <= rounds <= settings.rounds:
        raise GameError(f"rounds: the game has {settings.rounds} rounds; got {rounds}")
    for (team, round_), split in decisions.items():
        if not (0 <= team < len(teams) and 1 <= round_ <= settings.rounds):
            raise GameError(f"decision: no team {team + 1} in round {round_} of this game")
        if split.total > settings.budget + 0.005:
            raise GameError(f"decision of team {team + 1}, round {round_}: spends more than the budget per round")
    econ = econ or economics()
    result = GameResult(settings=settings, teams=list(teams), econ=econ)
    states = [starting_state(econ, Drawn(_streams(settings.seed, 0, i + 1))) for i in range(len(teams))]
    result.states.append(states)
    prospects = settings.market_size
    splits = [Split() for _ in teams]
    banked = [0.0 for _ in teams]
    for round_ in range(1, rounds + 1):
        decided = [(i, round_) in decisions for i in range(len(teams))]
        splits = [decisions.get((i, round_), splits[i]) for i in range(len(teams))]
        won = draw_won(np.array([s.acquisition for s in splits]), prospects, settings, econ.cac, round_)
        result.prospects.append(prospects)
        prospects -= int(won.sum())
        factor = (1.0 + econ.discount) ** -round_
        row, new_states = [], []
        for i, state in enumerate(states):
            chance = Drawn(_streams(settings.seed, round_, i + 1))
            new, flows = play_round(econ, state, splits[i].as_dict(), int(won[i]), chance)
            banked[i] += float(flows.contribution) * factor
            equity = banked[i] + float(value_of_base(econ, new)) * factor
            row.append(
                TeamRound(
                    team=i,
                    round=round_,
                    split=splits[i],
                    decided=decided[i],
                    flows=flows,
                    customers=int(new.customers),
                    lapsed=int(new.lapsed_customers),
                    equity=equity,
                )
            )
            new_states.append(new)
        states = new_states
        result.rounds.append(row)
        result.states.append(states)
    result.prospects.append(prospects)
    return result
