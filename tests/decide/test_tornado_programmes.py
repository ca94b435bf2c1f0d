"""Programmes' uncertain effects and a price change's elasticity in the tornado.

Random checks run with fixed seeds. A direction is asserted only where the paired difference of
the objective between the two ends, measured future by future on common random numbers, is more
than ``Z`` of its own standard errors from zero (the standard deviation of the paired differences
over runs / sqrt(runs)); at Z = 4 a correct model fails such a check with probability about 3e-5.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from simulation import scenario_from_dict, simulate
from simulation.decide import OBJECTIVES, moved_scenario, sensitivity, tornado_assumptions
from simulation.model.assumptions import draw_assumptions
from simulation.model.distributions import quantile
from simulation.model.programmes import Programme, scenario_programmes
from simulation.model.scenario import bounds_of
from tests.helpers import scenario
from tests.pages.markdown_reading import as_read, outside_code
from ui.optimise import text as optimise_text
from ui.shared import style

Z = 4.0
RUNS, SEED = 100, 9
WIDE = {"low": 0.3, "high": 1.0}  # a churn multiplier anywhere from 70 % less churn to none


def _base():
    return scenario(
        budget={"acquisition": 40_000, "retention": 20_000},
        horizon=12,
        retention={"cost_per_save": {"low": 60, "mode": 100, "high": 160}, "max_churn_reduction": 0.5},
        segment={"churn": {"low": 0.03, "high": 0.07}, "revenue_per_customer": 100},
    )


def _with(base, programmes=(), price=None):
    data = base.to_dict()
    data["programmes"] = list(programmes)
    if price is not None:
        data["price_change"] = price
    return scenario_from_dict(data)


# The tornado of _base() with RUNS runs and seed SEED as main computed it before programmes could be
# moved (hashed by _digest); a scenario without programmes must give it bit for bit.
MAIN_TORNADO = "00640c9f3584b27591fa10be713c360d224c6638de8587eefe8a38860275a07c"


def _digest(tornado) -> str:
    return hashlib.sha256(tornado.frame.to_csv(float_format="%.17g").encode()).hexdigest()


def test_a_scenario_without_programmes_gives_the_tornado_it_gave_before():
    t = sensitivity(_base(), "npv", runs=RUNS, seed=SEED)
    assert _digest(t) == MAIN_TORNADO, f"the tornado changed:\n{t.frame[['key', 'value_low', 'value_high']]}"


def test_plain_programmes_and_no_price_change_add_no_bar():
    base = _base()
    plain = _with(
        base,
        [{"name": "Calls", "churn_multiplier": 0.8, "revenue_multiplier": 1.02},
         {"name": "Off", "churn_multiplier": WIDE, "enabled": False}],
        {"change": 0.0, "churn_elasticity": {"low": 0.5, "high": 2.0}},
    )  # fmt: skip
    assert tornado_assumptions(plain) == tornado_assumptions(base), (
        "a plain multiplier is the programme as designed, a switched-off programme does nothing, "
        "and an elasticity without a price change cannot matter"
    )


def test_uncertain_programme_effects_and_the_elasticity_become_bars_named_in_words():
    sc = _with(
        _base(),
        [{"name": "Loyalty tier", "churn_multiplier": WIDE, "revenue_multiplier": {"low": 0.98, "high": 1.06}},
         {"name": "Tier 1.5", "churn_multiplier": 0.9, "revenue_multiplier": {"mean": 1.02, "sd": 0.01}}],
        {"change": 0.05, "applies_to": "all", "start": 3, "churn_elasticity": {"low": 0.5, "high": 2.0}},
    )  # fmt: skip
    items = {i.key: i for i in tornado_assumptions(sc)}
    churn = items["programmes.Loyalty tier.churn_multiplier"]
    assert churn.label == "Loyalty tier: churn multiplier", churn.label
    b = bounds_of(Programme, "churn_multiplier").clip_range()
    assert churn.low[0] == pytest.approx(quantile(sc.programmes[0].churn_multiplier, 0.1, *b)), "10th percentile"
    assert churn.high[0] == pytest.approx(quantile(sc.programmes[0].churn_multiplier, 0.9, *b)), "90th percentile"
    assert churn.low[0] == pytest.approx(0.37) and churn.high[0] == pytest.approx(0.93), "10 %/90 % of U(0.3, 1)"
    assert items["programmes.Tier 1.5.revenue_multiplier"].label == "Tier 1.5: revenue multiplier"
    assert "programmes.Tier 1.5.churn_multiplier" not in items, "a plain multiplier is not moved"
    elasticity = items["price_change.churn_elasticity"]
    assert elasticity.label == "Price change: churn elasticity", elasticity.label
    assert (elasticity.low[0], elasticity.high[0]) == pytest.approx((0.65, 1.85)), "10 %/90 % of U(0.5, 2)"
    # moving one programme's effect keeps every other draw: the other programme's and the assumptions'
    moved = moved_scenario(sc, items["programmes.Tier 1.5.revenue_multiplier"], "high")
    assert moved.programmes[1].revenue_multiplier == items["programmes.Tier 1.5.revenue_multiplier"].high[0]
    before, after = draw_assumptions(sc, 50, 3), draw_assumptions(moved, 50, 3)
    arrays = [scenario_programmes(s, a, 3) for s, a in ((sc, before), (moved, after))]
    assert np.array_equal(arrays[0].churn, arrays[1].churn), "the churn multipliers were redrawn"
    assert np.array_equal(arrays[0].revenue[0], arrays[1].revenue[0]), "the other programme's draws moved"
    assert np.all(arrays[1].revenue[1] == moved.programmes[1].revenue_multiplier), "set to its high value"
    assert np.array_equal(before.churn, after.churn), "the segment's churn draws moved"


def test_a_plain_negative_elasticity_moves_both_ways():
    sc = _with(_base(), price={"change": -0.1, "churn_elasticity": -1.5})
    item = {i.key: i for i in tornado_assumptions(sc)}["price_change.churn_elasticity"]
    assert (item.low[0], item.high[0]) == pytest.approx((-1.8, -1.2)), "+-20 % around -1.5, low below high"


def _paired_npv(sc, item, share, total):
    budget = sc.budget.with_split(total, share)
    low, high = (simulate(moved_scenario(sc, item, side), budget, runs=RUNS, seed=SEED).npv for side in ("low", "high"))
    return high - low


NAME = "Loyalty [tier](https://evil.example)"  # a name is user text: Markdown must stay literal on the page


@pytest.fixture(scope="module")
def wide():
    sc = _with(_base(), [{"name": NAME, "churn_multiplier": WIDE, "cost_per_customer": 0.5}])
    return sc, sensitivity(sc, "npv", runs=RUNS, seed=SEED)


def test_a_wide_churn_multiplier_swings_the_tornado_the_expected_way(wide):
    sc, t = wide
    key = f"programmes.{NAME}.churn_multiplier"
    row = t.frame.set_index("key").loc[key]
    assert row["assumption"] == f"{NAME}: churn multiplier", row["assumption"]
    assert row["delta_high"] < 0 < row["delta_low"], "a weaker programme (more churn) must lower NPV"
    item = {i.key: i for i in tornado_assumptions(sc)}[key]
    total = sc.budget.acquisition + sc.budget.retention
    diff = _paired_npv(sc, item, t.base_share, total)
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() < -Z * se, f"paired NPV difference {diff.mean():,.0f} is not clearly below 0 (se {se:,.0f})"
    assert row["value_high"] - row["value_low"] == pytest.approx(diff.mean(), rel=1e-9), (
        "the bar's swing is the mean of the paired differences at the recommended split"
    )


def test_the_programme_bar_reads_in_words_and_its_name_stays_literal(wide):
    _sc, t = wide
    shown = optimise_text.tornado_table(t.frame, "money", "USD").set_index("Assumption")
    row = shown.loc[f"{NAME}: churn multiplier"]
    assert (row["Low value"], row["High value"]) == ("0.37", "0.93"), "the 10th and 90th percentiles of U(0.3, 1)"
    assert row["Moved to"] == "10th-90th percentile", row["Moved to"]
    delta = t.frame.set_index("key").loc[f"programmes.{NAME}.churn_multiplier"]
    assert row["Change at low"] == "+" + style.money(delta["delta_low"], "USD"), row["Change at low"]
    assert row["Change at high"] == "-" + style.money(-delta["delta_high"], "USD"), row["Change at high"]
    frame = t.frame.copy()
    frame[["regret_low", "regret_high"]] = 0.0  # the sentence that names the assumption moving the objective most
    first = frame.index[frame["key"] == f"programmes.{NAME}.churn_multiplier"][0]
    frame = frame.loc[[first, *(i for i in frame.index if i != first)]].reset_index(drop=True)
    tornado = type(t)(objective=t.objective, base_share=t.base_share, base_value=t.base_value, frame=frame)
    text = optimise_text.tornado_text(tornado, OBJECTIVES["npv"], "money", "USD")
    assert f"{NAME}: churn multiplier" in as_read(text), text
    assert "evil.example" not in outside_code(text), f"the programme's name is only in a code span: {text}"
