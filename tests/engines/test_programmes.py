"""Retention programmes in both engines: what they change, what they cost, and that nothing else moves.

Random checks run with fixed seeds. A mean over runs is compared with its exact value within
``Z`` standard errors of the mean (the standard deviation over runs / sqrt(runs)); at Z = 4 a
correct engine fails with probability about 6e-5 per check. Checks of costs compare two runs on
common random numbers: a programme whose effect is 1 changes no draw, so the difference is exact
(to rounding) run by run.
"""

import hashlib

import numpy as np
import pytest

from simulation import scenario_from_dict, simulate
from simulation.io.presets import load_preset
from simulation.model.closed_forms import expected_lifetime, expected_survival
from simulation.model.programmes import period_factors, programme_arrays, ramp
from tests.helpers import all_levers, make

ENGINES = ("vectorized", "discrete_event")
Z = 4.0

# The recorded paths of main before programmes existed, hashed (see _digest) for fixed seeds: a
# scenario with no programmes must reproduce them bit for bit.
MAIN_PATHS = (
    "active_customers", "churned_customers", "contribution", "cost_to_serve", "cumulative_contribution",
    "gross_profit", "lapsed_customers", "new_customers", "operating_costs", "operating_profit",
    "referred_customers", "revenue", "revenue_run_rate", "run_rate_expansion", "run_rate_lost", "run_rate_new",
    "run_rate_referred", "run_rate_winback", "saved_customers", "spend", "upsells", "winbacks",
)  # fmt: skip
MAIN_DIGESTS = {
    ("saas_mid_market", "vectorized", 200): "1dd0171c7b53ff94a096b600cfd3a7869f6d6a5a561f1c982d7296f72ef47334",
    ("b2b_key_accounts", "discrete_event", 20): "086a4a8f1309f9e8b505bb293307461a7f8db12f4e0e39f77b8bf76408a3bd18",
}


def _digest(result) -> str:
    h = hashlib.sha256()
    for name in MAIN_PATHS:
        h.update(name.encode())
        h.update(np.ascontiguousarray(result.paths[name]).tobytes())
    h.update(result.output.residual_value.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize(("preset", "engine", "runs"), list(MAIN_DIGESTS))
def test_no_programmes_reproduce_main_bit_for_bit(preset, engine, runs):
    result = simulate(load_preset(preset), runs=runs, seed=7, engine=engine)
    assert _digest(result) == MAIN_DIGESTS[(preset, engine, runs)], "a scenario without programmes changed"
    assert not result.paths["programme_costs"].any(), "no programme, no programme costs"


def _with(data: dict, *programmes) -> dict:
    return {**data, "programmes": list(programmes)}


@pytest.mark.parametrize("engine", ENGINES)
def test_switched_off_and_idle_programmes_change_nothing(engine):
    data = all_levers(runs=12).to_dict()
    plain = simulate(scenario_from_dict(data), engine=engine)
    off = {"name": "Off", "enabled": False, "fixed_cost": 500, "churn_multiplier": 0.5}
    idle = {"name": "Idle", "churn_multiplier": 1.0, "revenue_multiplier": 1.0}
    for programmes in ([off], [idle], [off, idle]):
        other = simulate(scenario_from_dict(_with(data, *programmes)), engine=engine)
        for name in MAIN_PATHS:
            assert np.array_equal(plain.paths[name], other.paths[name]), f"{programmes}: {name} moved"
        assert np.array_equal(plain.output.residual_value, other.output.residual_value)


def test_reichheld_sasser_in_closed_form():
    # Reichheld & Sasser (1990): 10 % yearly defection means 10 years; 5 % means 20
    assert expected_lifetime(0.10, 0.0) == pytest.approx(10.0, rel=1e-12)
    assert expected_lifetime(0.10, 0.0, churn_multiplier=0.5) == pytest.approx(20.0, rel=1e-12)
    assert expected_lifetime(0.05, 0.0) == pytest.approx(20.0, rel=1e-12)
    # heterogeneous churn: the mean of 1 / theta over the Beta, against the survival curve summed
    total = expected_survival(0.5, 0.1, np.arange(200_000)).sum()  # the tail beyond is under 1e-12
    assert expected_lifetime(0.5, 0.1) == pytest.approx(total, rel=1e-9)
    assert expected_lifetime(0.5, 0.1, churn_multiplier=0.5) == pytest.approx(2 * total, rel=1e-9)


def _cohort(multiplier: float, runs: int, horizon: int = 200) -> dict:
    """A closed yearly cohort of 1,000 customers with homogeneous 10 % churn and a programme over all of them."""
    data = make(
        period="year",
        horizon=horizon,
        segment={"customers": 1000, "churn": 0.10, "churn_heterogeneity": 0.0},
        simulation={"runs": runs, "seed": 3},
    )
    return _with(data, {"name": "Zero defections", "churn_multiplier": multiplier})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("multiplier", [1.0, 0.5])
def test_reichheld_sasser_in_both_engines(engine, multiplier):
    """Mean life = sum over t < H of the share still active at t (the periods paid); exact value
    sum_t (1 - 0.1 m)^t, which is 10 or 20 years less a truncation of 0.95^200 (under 1e-3 of a year)."""
    horizon, runs = 200, 40
    result = simulate(scenario_from_dict(_cohort(multiplier, runs, horizon)), engine=engine)
    life = result.paths["active_customers"][:, :horizon].sum(1) / 1000
    exact = ((1 - 0.1 * multiplier) ** np.arange(horizon)).sum()
    assert exact == pytest.approx(float(expected_lifetime(0.1, 0.0, multiplier)), abs=1e-3)
    se = life.std(ddof=1) / np.sqrt(runs)
    assert abs(life.mean() - exact) < Z * se, f"mean life {life.mean():.3f} vs {exact:.3f} (se {se:.3f})"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_programme_without_effect_costs_its_discounted_cost_run_by_run(engine):
    data = all_levers(runs=12).to_dict()
    fixed, per_customer, share = 700.0, 3.0, 0.04
    plain = simulate(scenario_from_dict(data), engine=engine)
    programme = {"name": "Costly", "covers": "A", "fixed_cost": fixed, "cost_per_customer": per_customer,
                 "revenue_share": share, "start": 4}  # fmt: skip
    costly = simulate(scenario_from_dict(_with(data, programme)), engine=engine)
    p = plain.paths
    by_segment = plain.active_by_segment[:, :, 0]
    # customers of A paying in period t: those active at the end of t - 1 and that period's joiners; A's
    # revenue is the total less B's, which is the same in both runs. Rather than rebuild A's revenue, the
    # check fixes revenue_share's part by the recorded cost of a run with the share alone.
    share_only = simulate(scenario_from_dict(_with(data, {"name": "Share", "covers": "A", "revenue_share": share,
                                                          "start": 4})), engine=engine)  # fmt: skip
    share_cost = share_only.paths["programme_costs"]
    assert (share_cost[:, :4] == 0).all() and (share_cost[:, 4:] > 0).all()
    assert (share_cost[:, 4:] <= share * p["revenue"][:, 4:] + 1e-9).all(), "the share is of A's revenue only"
    joined_a = costly.paths["programme_costs"] - share_cost - fixed * (np.arange(p["revenue"].shape[1]) >= 4)
    paying_a = joined_a / per_customer
    assert (paying_a[:, 4:] >= by_segment[:, 3:-1] - 1e-6).all(), "at least last period's customers of A pay"
    assert np.allclose(paying_a[:, 4:], np.round(paying_a[:, 4:]), atol=1e-6), "whole customers pay"
    cost = costly.paths["programme_costs"]
    discounted = (cost * plain.discount_factors).sum(1)
    assert np.allclose(plain.operating_npv - costly.operating_npv, discounted, rtol=1e-12, atol=1e-6)
    assert np.allclose(plain.npv - costly.npv, discounted, rtol=1e-12, atol=1e-6)
    for name in ("revenue", "gross_profit", "active_customers", "spend", "operating_costs"):
        assert np.array_equal(p[name], costly.paths[name]), f"{name} moved"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_programme_covering_nobody_costs_only_its_fixed_part(engine):
    data = all_levers(runs=10).to_dict()
    data["segments"].append({"name": "Empty", "customers": 0, "revenue_per_customer": 10, "churn": 0.1,
                             "new_customer_share": 0.0})  # fmt: skip
    data["segments"][1]["new_customer_share"] = 0.4
    programme = {"name": "Nobody", "covers": "Empty", "fixed_cost": 250.0, "cost_per_customer": 9.0,
                 "revenue_share": 0.1, "churn_multiplier": 0.5, "start": 3}  # fmt: skip
    result = simulate(scenario_from_dict(_with(data, programme)), engine=engine)
    expected = np.where(np.arange(result.paths["revenue"].shape[1]) >= 3, 250.0, 0.0)
    assert (result.paths["programme_costs"] == expected).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_revenue_multiplier_scales_revenue_and_leaves_the_customers(engine):
    data = all_levers(runs=10).to_dict()
    plain = simulate(scenario_from_dict(data), engine=engine)
    more = simulate(scenario_from_dict(_with(data, {"name": "Premium", "revenue_multiplier": 1.1})), engine=engine)
    assert np.array_equal(plain.paths["active_customers"], more.paths["active_customers"])
    assert np.allclose(more.paths["revenue"], 1.1 * plain.paths["revenue"], rtol=1e-12)
    assert np.allclose(more.paths["gross_profit"], 1.1 * plain.paths["gross_profit"], rtol=1e-12)


def test_phase_in_ramps_in_equal_steps_from_the_start():
    assert ramp(3, 4, 8).tolist() == [0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1]
    assert ramp(1, 1, 3).tolist() == [0, 1, 1, 1]
    data = make(segment={"churn": 0.1}, horizon=10)
    data["segments"].append({"name": "B", "customers": 10, "revenue_per_customer": 5, "churn": 0.2})
    data = _with(data, {"name": "One", "covers": "A", "churn_multiplier": 0.5, "phase_in": 2},
                 {"name": "Two", "churn_multiplier": 0.8, "revenue_multiplier": 1.2, "start": 5})  # fmt: skip
    arrays = programme_arrays(scenario_from_dict(data), runs=3, seed=1)
    churn, revenue, _, _, _ = period_factors(arrays, 0, 1)
    assert churn.tolist() == pytest.approx([0.75, 1.0]) and revenue.tolist() == [1.0, 1.0]
    churn, revenue, _, _, _ = period_factors(arrays, 0, 6)
    assert churn.tolist() == pytest.approx([0.5 * 0.8, 0.8]) and revenue.tolist() == pytest.approx([1.2, 1.2])


def test_programme_draws_keep_their_own_stream():
    base = make()
    uncertain = {"name": "Loyalty", "churn_multiplier": {"low": 0.6, "high": 0.9}}
    other = {"name": "Other", "revenue_multiplier": {"low": 1.0, "high": 1.2}}
    one = programme_arrays(scenario_from_dict(_with(base, uncertain)), runs=50, seed=4)
    two = programme_arrays(scenario_from_dict(_with(base, other, uncertain)), runs=50, seed=4)
    assert np.array_equal(one.churn[0], two.churn[1]), "adding a programme moves no other programme's draws"
    assert one.churn.min() >= 0.6 and one.churn.max() <= 0.9 and one.churn.std() > 0


def test_engines_agree_in_the_mean_with_programmes():
    """Run r of both engines shares its assumption and programme draws; the mean run-by-run difference of
    final active customers and operating NPV is within Z of its standard error (the engines' chance only)."""
    data = _with(all_levers(runs=40).to_dict(),
                 {"name": "Loyalty", "covers": ["A"], "churn_multiplier": {"low": 0.5, "high": 0.9}, "phase_in": 6,
                  "revenue_share": 0.05, "revenue_multiplier": 1.05},
                 {"name": "Contact plan", "covers": "B", "churn_multiplier": 0.8, "cost_per_customer": 2.0,
                  "fixed_cost": 100.0, "start": 3})  # fmt: skip
    sc = scenario_from_dict(data)
    vec, de = simulate(sc, engine="vectorized"), simulate(sc, engine="discrete_event")
    for name, a, b in (
        ("active", vec.paths["active_customers"][:, -1], de.paths["active_customers"][:, -1]),
        ("programme costs", vec.paths["programme_costs"].sum(1), de.paths["programme_costs"].sum(1)),
        ("operating NPV", vec.operating_npv, de.operating_npv),
    ):
        d = b - a
        se = d.std(ddof=1) / np.sqrt(d.size)
        assert abs(d.mean()) < Z * se + 1e-9, f"{name}: engines differ by {d.mean():.4g} (se {se:.4g})"


# Price changes and seasons ----------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_a_price_for_everyone_without_response_scales_revenue_from_its_start(engine):
    data = all_levers(runs=10).to_dict()
    plain = simulate(scenario_from_dict(data), engine=engine)
    dearer = simulate(scenario_from_dict({**data, "price_change": {"change": 0.1, "start": 5}}), engine=engine)
    assert np.array_equal(plain.paths["active_customers"], dearer.paths["active_customers"])
    ratio = np.where(np.arange(plain.paths["revenue"].shape[1]) >= 5, 1.1, 1.0)
    assert np.allclose(dearer.paths["revenue"], plain.paths["revenue"] * ratio, rtol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_price_for_new_customers_moves_only_theirs(engine):
    data = all_levers(runs=10, budget={"acquisition": 20_000, "retention": 3_000}).to_dict()
    plain = simulate(scenario_from_dict(data), engine=engine)
    newer = simulate(scenario_from_dict({**data, "price_change": {"change": -0.2, "applies_to": "new"}}), engine=engine)
    assert np.array_equal(plain.paths["new_customers"], newer.paths["new_customers"])
    assert np.allclose(newer.paths["run_rate_new"], 0.8 * plain.paths["run_rate_new"], rtol=1e-12)
    assert np.array_equal(plain.paths["revenue_run_rate"][:, 0], newer.paths["revenue_run_rate"][:, 0])
    assert (newer.paths["revenue"][:, -1] < plain.paths["revenue"][:, -1]).all(), "joiners pay less"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("applies_to", ["all", "new"])
def test_the_churn_response_to_a_price_is_its_elasticity(engine, applies_to):
    """A closed cohort (all) or a cohort of joiners (new) with homogeneous churn 0.1: +10 % price at
    elasticity 2 makes churn 0.1 x 1.2, so the share who leave in a period is 0.12 (exact mean; Z standard errors)."""
    runs = 40
    if applies_to == "all":
        data = make(period="year", horizon=3, segment={"customers": 2000, "churn": 0.1, "churn_heterogeneity": 0.0},
                    simulation={"runs": runs, "seed": 5})  # fmt: skip
        base = 2000
    else:
        data = make(period="year", horizon=1, budget={"acquisition": 1e9},
                    acquisition={"cost_per_customer": 1.0, "max_new_per_period": 2000},
                    segment={"customers": 0, "churn": 0.1, "churn_heterogeneity": 0.0},
                    simulation={"runs": runs, "seed": 5})  # fmt: skip
        base = None
    data["price_change"] = {"change": 0.1, "applies_to": applies_to, "churn_elasticity": {"low": 2.0, "high": 2.0}}
    result = simulate(scenario_from_dict(data), engine=engine)
    at_risk = result.paths["active_customers"][:, 0] if base else result.paths["new_customers"][:, 1]
    share = result.paths["churned_customers"][:, 1] / at_risk
    se = share.std(ddof=1) / np.sqrt(runs)
    assert abs(share.mean() - 0.12) < Z * se, f"{share.mean():.4f} vs 0.12 (se {se:.4f})"


@pytest.mark.parametrize("engine", ENGINES)
def test_seasons_multiply_churn_and_acquisition_month_by_month(engine):
    """Homogeneous churn 0.05 and a season that doubles it in the first month of the year and halves it in the
    second: the share who leave is 0.1, then 0.025, then 0.05 (exact means; Z standard errors). No customer
    joins in a month whose acquisition multiplier is 0."""
    runs = 30
    churn = [2.0, 0.5] + [1.0] * 10
    acquisition = [1.0] * 11 + [0.0]
    data = make(horizon=13, budget={"acquisition": 50_000},
                segment={"customers": 3000, "churn": 0.05, "churn_heterogeneity": 0.0},
                seasonality={"churn": churn, "acquisition": acquisition, "first": 12},
                simulation={"runs": runs, "seed": 8})  # fmt: skip
    result = simulate(scenario_from_dict(data), engine=engine)
    p = result.paths
    paying = p["active_customers"][:, :-1] + p["new_customers"][:, 1:]
    share = p["churned_customers"][:, 1:] / paying
    assert (p["new_customers"][:, [1, 13]] == 0).all(), "December (periods 1 and 13) wins nobody"
    assert (p["new_customers"][:, 2:13] > 0).all()
    for period, expected in ((2, 0.1), (3, 0.025), (4, 0.05), (13, 0.05)):
        s = share[:, period - 1]
        se = s.std(ddof=1) / np.sqrt(runs)
        assert abs(s.mean() - expected) < Z * se, f"period {period}: {s.mean():.4f} vs {expected} (se {se:.4f})"


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        ({"price_change": {"change": 0.1, "applies_to": "new", "start": 3}}, "price_change.start", "period 1"),
        ({"price_change": {"change": 7}}, "price_change.change", "less than or equal to 4"),
        ({"price_change": {"change": 0.1, "churn_elasticity": 20}}, "price_change.churn_elasticity", "[-10, 10]"),
        ({"seasonality": {"churn": [1.0] * 11}}, "seasonality.churn", "give 12 multipliers"),
        ({"seasonality": {"acquisition": [1.0] * 12}, "period": "year"}, "seasonality.acquisition", "yearly"),
        ({"seasonality": {"churn": [-1.0] * 12}}, "seasonality.churn[0]", "greater than or equal to 0"),
    ],
)
def test_price_and_season_problems_name_the_field(extra, path, words):
    from simulation import ScenarioError

    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**make(), **extra})
    messages = dict(info.value.problems)
    assert path in messages and words in messages[path], info.value.problems


def test_scaling_a_scenario_scales_its_programmes_fixed_costs_only():
    from simulation.model.scale import scale_scenario

    loyalty = load_preset("wholesale_loyalty")
    small = scale_scenario(loyalty, 0.1)
    for big, scaled in zip(loyalty.programmes, small.programmes, strict=True):
        assert scaled.fixed_cost == pytest.approx(big.fixed_cost * 0.1)
        assert (scaled.cost_per_customer, scaled.revenue_share) == (big.cost_per_customer, big.revenue_share)
        assert scaled.churn_multiplier == big.churn_multiplier
