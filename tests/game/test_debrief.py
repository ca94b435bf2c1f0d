"""The debrief: the best split for each team's situation, and what the winner did differently."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.game.debrief import COARSE_STEP, UNSPENT, average_shares, best_split, debrief, grid
from simulation.game.firm import LEVERS, Expected, play_round, value_of_base
from simulation.game.market import GameSettings, Split, expected_won, play

CFG = GameSettings(rounds=3, budget=60_000, market_size=4000, seed=3)
SPLITS = [Split(60_000), Split(25_000, 20_000, 3_000, 12_000), Split(0, 40_000), Split(10_000, 10_000)]


def _result():
    decisions = {(t, r): s for t, s in enumerate(SPLITS) for r in range(1, CFG.rounds + 1)}
    return play(CFG, ["All in", "Balanced", "Keepers", "Savers"], decisions)


def _score(result, team, round_, amounts):
    econ = result.econ
    row = result.rounds[round_ - 1]
    others = sum(tr.split.acquisition for tr in row if tr.team != team)
    spend = {k: amounts[:, j] for j, k in enumerate(LEVERS)}
    won = expected_won(spend["acquisition"], others, result.prospects[round_ - 1], CFG.market_size, econ.cac)
    new, flows = play_round(econ, result.states[round_ - 1][team], spend, won, Expected())
    return (flows.contribution + value_of_base(econ, new)) * (1 + econ.discount) ** -round_


@pytest.mark.parametrize(("team", "round_"), [(0, 1), (1, 2), (2, 3), (3, 1)])
def test_the_search_finds_at_least_the_best_of_every_five_point_split(team, round_):
    result = _result()
    advice = best_split(result, team, round_)
    full = _score(result, team, round_, grid(0.05) * CFG.budget)
    assert advice.best_value >= full.max() - 1e-6 * abs(full.max()), (
        f"search {advice.best_value:.2f} vs the full 5 % grid's best {full.max():.2f}"
    )
    assert advice.gap >= 0, "the team's own split is among those tried"
    actual = _score(result, team, round_, np.array([[getattr(SPLITS[team], k) for k in LEVERS]]))[0]
    assert advice.actual_value == pytest.approx(actual), "the team's own split is scored as it was"
    assert advice.best.total <= CFG.budget + 0.01, "the best split stays within the budget"


def test_a_team_that_played_the_best_split_has_no_gap():
    result = _result()
    advice = best_split(result, 1, 1)
    decisions = {(t, 1): s for t, s in enumerate(SPLITS)}
    decisions[(1, 1)] = advice.best
    again = play(CFG, result.teams, decisions, rounds=1)
    assert best_split(again, 1, 1).gap == pytest.approx(0, abs=1e-6 * advice.best_value)


def test_the_winner_is_first_and_the_difference_is_the_largest_share_gap():
    report = debrief(_result())
    equities = [t.equity for t in report.teams]
    assert equities == sorted(equities, reverse=True), "leaderboard order"
    assert [t.rank for t in report.teams] == [1, 2, 3, 4]
    for team in report.teams:
        lever, diff = report.difference(team)
        all_diffs = {k: report.winner.shares[k] - team.shares[k] for k in (*LEVERS, UNSPENT)}
        assert abs(diff) == max(abs(v) for v in all_diffs.values()), f"{team.name}: {lever} {diff} of {all_diffs}"
    assert report.difference(report.winner)[1] == 0, "the winner differs from itself in nothing"


def test_average_shares_add_up_to_the_budget():
    shares = average_shares([Split(10_000, 20_000), Split(30_000, 0, 0, 5_000)], 60_000)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["acquisition"] == pytest.approx(20_000 / 60_000)
    assert shares[UNSPENT] == pytest.approx(1 - (20_000 + 10_000 + 2_500) / 60_000)


def test_the_coarse_grid_covers_every_split_of_the_budget():
    coarse = grid(COARSE_STEP)
    assert len(coarse) == 10_626 and (coarse.sum(axis=1) <= 1 + 1e-12).all() and (coarse >= 0).all()
