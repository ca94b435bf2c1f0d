"""The team game's market and firms: conservation, the attraction rule, saturation, replay, expectation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.game.economics import CLASSES, economics
from simulation.game.firm import Drawn, Expected, play_round, starting_state
from simulation.game.market import (
    GameError,
    GameSettings,
    Split,
    _streams,
    ceiling,
    check_split,
    draw_won,
    expected_won,
    play,
)
from simulation.game.replay import result_rows

ECON = economics()
BUDGET = 60_000.0
money = st.floats(0, BUDGET / 4, allow_nan=False)
split = st.builds(Split, money, money, money, money)


def _game(seed: int, teams: int = 3, rounds: int = 4, market: int = 4000, splits=None):
    rng = np.random.default_rng(seed)
    decisions = {}
    for r in range(1, rounds + 1):
        for t in range(teams):
            shares = rng.dirichlet(np.ones(5))[:4] * BUDGET
            decisions[(t, r)] = splits[t] if splits else Split(*np.round(shares, 2))
    cfg = GameSettings(rounds=rounds, budget=BUDGET, market_size=market, seed=seed)
    return play(cfg, [f"T{i}" for i in range(teams)], decisions)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prospects_and_customers_are_conserved(seed):
    result = _game(seed, market=500)
    for r, row in enumerate(result.rounds):
        won = sum(int(tr.flows.won) for tr in row)
        assert result.prospects[r] - result.prospects[r + 1] == won, f"round {r + 1}: prospects used = customers won"
        assert result.prospects[r + 1] >= 0, "never more customers won than prospects left"
        for tr in row:
            before = result.states[r][tr.team]
            assert tr.customers == int(before.customers) + tr.flows.won + tr.flows.winbacks - tr.flows.churned, (
                f"team {tr.team} round {tr.round}: active = before + won + won back - churned"
            )
            assert tr.lapsed == int(before.lapsed_customers) + tr.flows.churned - tr.flows.winbacks, (
                f"team {tr.team} round {tr.round}: lapsed = before + churned - won back"
            )
            assert tr.flows.contribution == pytest.approx(
                tr.flows.gross_profit - tr.flows.cost_to_serve - tr.split.total
            ), "contribution = gross profit - cost to serve - spend"


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    market=st.integers(100, 2000),
    spends=st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=5),
)
def test_no_market_gives_more_customers_than_it_has(seed, market, spends):
    # huge budgets into a small market: the prospects run out, and are never overdrawn
    cfg = GameSettings(rounds=3, budget=1e9, market_size=market, seed=seed)
    names = [f"T{i}" for i in range(len(spends))]
    result = play(cfg, names, {(i, 1): Split(a) for i, a in enumerate(spends)})
    for r, row in enumerate(result.rounds):
        won = [int(tr.flows.won) for tr in row]
        assert result.prospects[r] - result.prospects[r + 1] == sum(won) >= 0
        assert all(w == 0 for w, a in zip(won, spends, strict=True) if a == 0), "no spend, no customers"
    assert 0 <= result.prospects[-1] <= market


@settings(max_examples=40, deadline=None)
@given(split=split, other=st.floats(0, BUDGET, allow_nan=False), seed=st.integers(0, 2**32))
def test_a_team_that_spends_nothing_on_acquisition_wins_nobody(split, other, seed):
    zero = Split(0.0, split.retention, split.expansion, split.winback)
    cfg = GameSettings(rounds=2, budget=BUDGET, seed=seed)
    result = play(cfg, ["none", "other"], {(0, 1): zero, (0, 2): zero, (1, 1): Split(other), (1, 2): Split(other)})
    assert all(int(row[0].flows.won) == 0 for row in result.rounds), "no acquisition spend, no new customers"
    assert float(expected_won(0.0, other, 4000, 4000, ECON.cac)) == 0.0, "and none in expectation"


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(0, 1e6, allow_nan=False),
    more=st.floats(0, 1e6, allow_nan=False),
    others=st.floats(0, 1e6, allow_nan=False),
    prospects=st.integers(0, 10_000),
)
def test_more_acquisition_spend_never_wins_fewer_in_expectation(a, more, others, prospects):
    low = float(expected_won(a, others, prospects, 10_000, ECON.cac))
    high = float(expected_won(a + more, others, prospects, 10_000, ECON.cac))
    assert high >= low - 1e-9 * max(1.0, low), f"spend {a:.0f} -> {low:.4f}, spend {a + more:.0f} -> {high:.4f}"


def test_drawn_customers_won_have_the_expected_mean():
    # 2,000 rounds drawn on their own seeds; each count's sd is at most sqrt(ceiling) ~ 20, so the
    # mean's standard error is under 0.5; 4 standard errors of the sample's own spread bound the gap.
    acq = np.array([40_000.0, 10_000.0, 0.0])
    draws = np.array([draw_won(acq, 3000, GameSettings(seed=s), ECON.cac, 1) for s in range(2000)])
    for i, a in enumerate(acq):
        expected = float(expected_won(a, acq.sum() - a, 3000, 4000, ECON.cac))
        se = draws[:, i].std(ddof=1) / np.sqrt(len(draws)) + 1e-12
        assert abs(draws[:, i].mean() - expected) <= 4 * se + 1e-9, f"team {i}: {draws[:, i].mean()} vs {expected}"
    assert (draws[:, 2] == 0).all(), "the team without acquisition spend never wins anyone"
    assert draws[:, 0].mean() > draws[:, 1].mean(), "four times the spend wins more customers"


@settings(max_examples=100, deadline=None)
@given(
    spend=st.floats(1, 1e6, allow_nan=False),
    fuller=st.integers(1, 3999),
    emptier=st.integers(1, 3999),
)
def test_saturation_raises_the_cost_of_a_customer(spend, fuller, emptier):
    # fewer prospects left (a fuller market) -> a lower ceiling -> more spend per customer won
    few, many = sorted((fuller, emptier))
    cost_few = spend / float(expected_won(spend, 0.0, few, 4000, ECON.cac))
    cost_many = spend / float(expected_won(spend, 0.0, many, 4000, ECON.cac))
    assert cost_few >= cost_many * (1 - 1e-12), f"{few} prospects: {cost_few:.2f}; {many}: {cost_many:.2f}"
    assert cost_many >= ECON.cac * (1 - 1e-12), "never below the cost of the first customer"


def test_a_filling_market_lowers_the_ceiling_round_by_round():
    result = _game(5, teams=4, rounds=6, market=400, splits=[Split(60_000)] * 4)
    caps = [ceiling(p, 400) for p in result.prospects]
    assert all(b < a for a, b in itertools.pairwise(caps) if a > 0), f"ceilings {caps}"
    cost = [
        sum(tr.split.acquisition for tr in row) / max(1, sum(int(tr.flows.won) for tr in row)) for row in result.rounds
    ]
    assert cost[-1] > cost[0], f"cost per customer won by round: {cost}"


def test_a_game_replays_exactly_from_its_seed_and_decisions():
    first, again, other = _game(11), _game(11), _game(12)
    assert result_rows(first) == result_rows(again), "same seed and decisions, same results"
    assert result_rows(first) != result_rows(other), "another seed, other draws"


def test_one_teams_choice_moves_no_other_teams_own_draws():
    # with no acquisition anywhere, only the firms' own streams are used: team 1 is untouched by team 0
    cfg = GameSettings(rounds=3, budget=BUDGET, seed=4)
    a = play(cfg, ["a", "b"], {(0, 1): Split(0, 50_000), (1, 1): Split(0, 10_000)})
    b = play(cfg, ["a", "b"], {(0, 1): Split(0, 0, 50_000), (1, 1): Split(0, 10_000)})
    assert result_rows(a)[1::2] == result_rows(b)[1::2], "team b's rows depend only on its own decisions"


def test_the_expected_round_is_the_mean_of_drawn_rounds():
    # 1,000 drawn rounds of one firm; the gap to the expectation is held within 4 standard errors of the
    # drawn spread (tiny nonlinearity from the win-back draw feeding retention is far below that)
    spend = {"acquisition": 0.0, "retention": 20_000.0, "expansion": 5_000.0, "winback": 10_000.0}
    state = starting_state(ECON, Drawn(_streams(0, 0, 1)))  # whole customers, as in a game
    _, mean = play_round(ECON, state, spend, 50.0, Expected())
    fields = ("winbacks", "upsells", "churned", "saved", "revenue")
    draws = {f: [] for f in fields}
    for s in range(1000):
        _, flows = play_round(ECON, state, spend, 50, Drawn(_streams(s, 1, 1)))
        for f in fields:
            draws[f].append(float(getattr(flows, f)))
    for f in fields:
        x = np.array(draws[f])
        se = x.std(ddof=1) / np.sqrt(x.size)
        assert abs(x.mean() - float(getattr(mean, f))) <= 4 * se + 1e-9, (
            f"{f}: drawn {x.mean()}, expected {getattr(mean, f)}"
        )


def test_the_starting_base_uses_the_models_latent_classes():
    state = starting_state(ECON, Expected())
    assert state.active.shape == (2, CLASSES)
    assert float(state.customers) == pytest.approx(ECON.starting_customers)
    assert float(state.lapsed_customers) == pytest.approx(ECON.starting_lapsed)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"acquisition": -1}, "acquisition: cannot be negative"),
        ({"retention": float("nan")}, "retention: must be an amount"),
        ({"acquisition": 50_000, "retention": 20_000}, "more than the budget"),
        ({"bribes": 1}, "unknown field 'bribes'"),
        ({"winback": "lots"}, "winback: must be an amount"),
    ],
)
def test_a_bad_split_is_refused_with_the_field_named(values, message):
    with pytest.raises(GameError, match=message):
        check_split(values, BUDGET)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"rounds": 0}, "rounds"), ({"rounds": 13}, "rounds"), ({"budget": 0}, "budget per team"),
     ({"market_size": 50}, "market size"), ({"seed": -1}, "seed"), ({"rounds": 2.5}, "rounds")],
)  # fmt: skip
def test_bad_settings_are_refused_with_the_field_named(kwargs, message):
    with pytest.raises(GameError, match=message):
        GameSettings(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [({"rounds": 1e308}, "got 1e+308"), ({"budget": 1e300}, "got 1e+300"), ({"rounds": 13}, "got 13")],
)
def test_a_huge_refused_setting_is_shown_short(kwargs, shown):
    with pytest.raises(GameError) as refused:
        GameSettings(**kwargs)
    assert str(refused.value).endswith(shown) and len(str(refused.value)) < 120
