"""The debrief of a played game: each team's split against the best split for its situation, round by
round, and how the winner's spending differed from each team's.

**The best split for a situation.** For team i in round r the situation is its base at the start of
the round, the prospects left and the other teams' acquisition spend in that round, held as they
were. Splits of the budget are played in expectation (:class:`.firm.Expected`: every draw replaced by
its mean, the market's share by :func:`.market.expected_won`) and scored by the team's expected
customer equity at the end of the round (the round's contribution and the value of the base then,
discounted to the start of the game). The search tries every split in steps of :data:`COARSE_STEP`
of the budget (the four levers and what is left unspent: 10,626 splits), then every split in steps
of :data:`FINE_STEP` within two such steps of the best of those on each lever, and the team's own
split. It looks one round ahead, as the team did: later rounds are not played. Since the
team's own split is among those tried, the gap is never negative.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .firm import LEVERS, Expected, play_round, value_of_base
from .market import GameResult, Split, expected_won

COARSE_STEP, FINE_STEP = 0.05, 0.0125
UNSPENT = "unspent"


def grid(step: float) -> np.ndarray:
    """Every split of the budget in steps of ``step`` (shares per lever, summing to at most 1)."""
    units = round(1 / step)
    rows = [c for c in itertools.product(range(units + 1), repeat=len(LEVERS)) if sum(c) <= units]
    return np.array(rows, dtype=float) / units


COARSE = grid(COARSE_STEP)
_FINE_OFFSETS = np.array(list(itertools.product((-2, -1, 0, 1, 2), repeat=len(LEVERS))), dtype=float) * FINE_STEP


def _neighbours(share: np.ndarray) -> np.ndarray:
    near = np.round((share + _FINE_OFFSETS) / FINE_STEP) * FINE_STEP
    ok = (near >= -1e-9).all(axis=1) & (near.sum(axis=1) <= 1 + 1e-9)
    return np.clip(near[ok], 0.0, 1.0)


@dataclass(frozen=True)
class RoundAdvice:
    """One team's round: its split and the best for its situation, with their expected customer equity."""

    round: int
    actual: Split
    best: Split
    actual_value: float
    best_value: float

    @property
    def gap(self) -> float:
        """Expected customer equity the best split adds over the team's own (never negative)."""
        return max(self.best_value - self.actual_value, 0.0)


@dataclass(frozen=True)
class TeamDebrief:
    team: int
    name: str
    rank: int
    equity: float
    rounds: tuple[RoundAdvice, ...]
    shares: dict[str, float]  # average share of the budget per lever (and unspent) over the rounds

    @property
    def total_gap(self) -> float:
        return sum(a.gap for a in self.rounds)


@dataclass(frozen=True)
class Debrief:
    teams: tuple[TeamDebrief, ...]  # in leaderboard order, the winner first
    budget: float
    currency: str

    @property
    def winner(self) -> TeamDebrief:
        return self.teams[0]

    def difference(self, team: TeamDebrief) -> tuple[str, float]:
        """The lever (or unspent) where the winner's average share of the budget differs most from
        ``team``'s, and the winner's share minus the team's (positive: the winner put more there)."""
        keys = (*LEVERS, UNSPENT)
        diffs = {k: self.winner.shares[k] - team.shares[k] for k in keys}
        key = max(keys, key=lambda k: (abs(diffs[k]), -keys.index(k)))
        return key, diffs[key]


def best_split(result: GameResult, team: int, round_: int) -> RoundAdvice:
    """The best split on the grid for ``team``'s situation at the start of ``round_`` (see the module notes)."""
    econ, settings = result.econ, result.settings
    state = result.states[round_ - 1][team]
    row = result.rounds[round_ - 1]
    actual = row[team].split
    others = sum(tr.split.acquisition for tr in row if tr.team != team)

    def score(amounts: np.ndarray) -> np.ndarray:
        spend = {k: amounts[:, j] for j, k in enumerate(LEVERS)}
        won = expected_won(spend["acquisition"], others, result.prospects[round_ - 1], settings.market_size, econ.cac)
        new, flows = play_round(econ, state, spend, won, Expected())
        return (flows.contribution + value_of_base(econ, new)) * (1.0 + econ.discount) ** -round_

    coarse = score(COARSE * settings.budget)
    fine = _neighbours(COARSE[int(np.argmax(coarse))]) * settings.budget
    amounts = np.vstack([fine, [[actual.as_dict()[k] for k in LEVERS]]])
    values = score(amounts)
    best = int(np.argmax(values))
    return RoundAdvice(
        round=round_,
        actual=actual,
        best=Split(**{k: round(float(amounts[best, j]), 2) for j, k in enumerate(LEVERS)}),
        actual_value=float(values[-1]),
        best_value=float(values[best]),
    )


def average_shares(splits: list[Split], budget: float) -> dict[str, float]:
    """Average share of the budget per lever over the rounds, and the share left unspent."""
    shares = {k: float(np.mean([getattr(s, k) for s in splits])) / budget for k in LEVERS}
    shares[UNSPENT] = max(0.0, 1.0 - sum(shares.values()))
    return shares


def debrief(result: GameResult) -> Debrief:
    """The debrief of every round played so far."""
    if not result.rounds:
        raise ValueError("the debrief needs at least one round played")
    board = result.leaderboard()
    teams = []
    for rank, tr in enumerate(board, start=1):
        rounds = tuple(best_split(result, tr.team, r) for r in range(1, result.played + 1))
        splits = [result.rounds[r][tr.team].split for r in range(result.played)]
        teams.append(
            TeamDebrief(
                team=tr.team,
                name=result.teams[tr.team],
                rank=rank,
                equity=tr.equity,
                rounds=rounds,
                shares=average_shares(splits, result.settings.budget),
            )
        )
    return Debrief(teams=tuple(teams), budget=result.settings.budget, currency=result.econ.currency)
