"""The discrete-event engine against theory, its own books, its event log, and the command line.

Tolerances come from Monte Carlo standard errors (SE). A closed cohort's customers are
independent and identically distributed (each draws its own theta, then its own fate), so
the share still active at period t over runs x customers is a binomial proportion with
SE = sqrt(S(t) (1 - S(t)) / (runs x customers)). A check over many periods uses 4.5 SE:
by Bonferroni the chance of a false failure over the ~150 comparisons of a test is at most
150 x P(|Z| > 4.5) = 1e-3, however the periods are correlated.
"""

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import compare, expected_survival, simulate
from simulation.engines.discrete_event import EVENT_COLUMNS, EVENTS, check_size, write_event_log
from simulation.errors import InputError
from simulation.io.presets import load_preset
from simulation.model.assumptions import draw_assumptions
from simulation.model.closed_forms import discount_per_period, expected_residual_value
from simulation.model.scale import scale_scenario
from tests.helpers import all_levers as levers
from tests.helpers import scenario

Z = 4.5
ROOT = Path(__file__).resolve().parents[2]
FLOWS = {  # event -> the path that counts it
    "acquired": "new_customers",
    "saved": "saved_customers",
    "expanded": "upsells",
    "churned": "churned_customers",
    "won_back": "winbacks",
}
REVENUE_FLOWS = {"acquired": "run_rate_new", "won_back": "run_rate_winback", "churned": "run_rate_lost"}


def des(sc, **options):
    return simulate(sc, engine="discrete_event", **options)


# Against theory -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customers", "runs", "churn", "phi", "tenure"),
    [(4000, 40, 0.05, 0.3, 0), (4000, 40, 0.08, 0.5, 12), (4000, 40, 0.05, 0.0, 0), (8, 2000, 0.06, 0.4, 10)],
    ids=["sbg", "sbg-with-tenure", "geometric", "eight-customers"],
)
def test_closed_cohort_follows_sbg_survival(customers, runs, churn, phi, tenure):
    """No spend, no acquisition: the mean share still active is S(t), even for a tiny cohort."""
    sc = scenario(
        horizon=36, segment={"customers": customers, "churn": churn, "churn_heterogeneity": phi, "tenure": tenure}
    )
    share = des(sc, runs=runs, seed=3).paths["active_customers"].mean(0) / customers
    expected = expected_survival(churn, phi, np.arange(37), tenure)
    tol = Z * np.sqrt(expected * (1 - expected) / (runs * customers))
    excess = np.abs(share - expected) - tol
    t = int(np.argmax(excess))
    assert excess[t] <= 0, f"survival at t={t}: simulated {share[t]:.5f}, sBG {expected[t]:.5f}, tolerance {tol[t]:.2e}"


def test_residual_value_and_grr_of_a_closed_cohort_match_the_closed_forms():
    """Survivors of Beta(a, b + tenure) after H periods have theta ~ Beta(a, b + tenure + H)."""
    customers, runs, horizon, churn, phi, tenure = 1000, 60, 24, 0.06, 0.4, 5
    sc = scenario(
        horizon=horizon,
        discount_rate=0.1,
        segment={
            "customers": customers,
            "churn": churn,
            "churn_heterogeneity": phi,
            "tenure": tenure,
            "gross_margin": 0.5,
        },
    )
    result = des(sc, runs=runs, seed=8)
    d = discount_per_period(0.1, 12)
    survival = expected_survival(churn, phi, horizon, tenure)
    expected = customers * survival * expected_residual_value(100 * 0.5, churn, phi, d, tenure + horizon)
    residual = result.output.residual_value
    se = residual.std(ddof=1) / np.sqrt(runs)
    assert abs(residual.mean() - expected) <= Z * se, f"residual {residual.mean():.6g} vs closed form {expected:.6g}"
    grr, s12 = result.kpis["grr"], expected_survival(churn, phi, 12, tenure)
    se = np.sqrt(s12 * (1 - s12) / (runs * customers))
    assert abs(grr.mean() - s12) <= Z * se, f"GRR {grr.mean():.5f} vs sBG S(12) {s12:.5f}"


# The books ------------------------------------------------------------------------------------


def test_conservation_in_every_run():
    result = des(levers())
    p = result.paths
    change = p["new_customers"] + p["winbacks"] - p["churned_customers"]
    assert np.array_equal(np.diff(p["active_customers"], axis=1), change[:, 1:]), "active(t) = active(t-1) + flows"
    lapsed = p["churned_customers"] - p["winbacks"]
    assert np.array_equal(np.diff(p["lapsed_customers"], axis=1), lapsed[:, 1:]), "lapsed pool = churned - won back"
    assert np.array_equal(result.active_by_segment.sum(-1), p["active_customers"]), "segments add up to the total"
    run_rate = p["run_rate_new"] + p["run_rate_winback"] + p["run_rate_expansion"] - p["run_rate_lost"]
    assert np.allclose(np.diff(p["revenue_run_rate"], axis=1), run_rate[:, 1:], rtol=0, atol=1e-6), (
        "revenue run rate moves only by the revenue joining, expanding and leaving"
    )
    assert (p["new_customers"].sum(1) <= 500).all(), "never more acquisitions than the market holds"
    assert p["winbacks"].sum() > 0 and p["upsells"].sum() > 0 and p["saved_customers"].sum() > 0, "every lever acts"
    joined = (p["active_customers"][:, :-1] + p["new_customers"][:, 1:] + p["winbacks"][:, 1:]).sum()
    assert result.output.extras["customer_periods"] == joined, "customer-periods = customers present each period"


def test_same_seed_same_customers_and_events_other_seed_differs():
    sc = levers(runs=10)
    first, again = des(sc, record_events=True), des(sc, record_events=True)
    for metric, values in first.paths.items():
        assert np.array_equal(values, again.paths[metric]), f"{metric} differs between two runs with one seed"
    assert first.output.extras["events"].equals(again.output.extras["events"]), "event logs differ for one seed"
    other = des(sc, seed=12)
    assert not np.array_equal(first.paths["churned_customers"], other.paths["churned_customers"]), "seed ignored"


def test_common_random_numbers_more_retention_never_more_churn_in_any_run():
    """Same seed, more retention money: each customer meets the same draws, with a lower churn
    probability, so in period 1 (identical customers in both plans) no run loses more customers."""
    sc = levers(runs=40)
    low = des(sc, budget=sc.budget.model_copy(update={"retention": 1_000}))
    high = des(sc, budget=sc.budget.model_copy(update={"retention": 20_000}))
    assert np.array_equal(low.paths["new_customers"][:, 1], high.paths["new_customers"][:, 1]), "same arrivals"
    assert (high.paths["churned_customers"][:, 1] <= low.paths["churned_customers"][:, 1]).all(), (
        "more retention spend lost more customers in some run"
    )
    assert high.paths["churned_customers"][:, 1].sum() < low.paths["churned_customers"][:, 1].sum(), "no effect"


def test_runner_and_comparison_work_unchanged():
    sc = levers(runs=10, baseline_budget={"acquisition": 25_000, "retention": 1_000})
    comparison = compare(sc, engine="discrete-event")
    assert comparison.plan.engine == "discrete_event", "engine name recorded"
    for name in ("npv", "customer_equity", "clv", "cac", "grr", "nrr", "roi"):
        assert np.isfinite(comparison.plan.kpis[name]).all(), f"{name} undefined in some run"
    assert 0 <= comparison.p_beats_baseline <= 1, "a probability"


# The event log --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logged():
    result = des(levers(), record_events=True)
    return result, result.output.extras["events"]


def test_event_log_counts_equal_the_flows(logged):
    result, events = logged
    assert tuple(events.columns) == EVENT_COLUMNS, f"columns {list(events.columns)}"
    assert list(events["event"].cat.categories) == list(EVENTS), "event names"
    assert list(events["segment"].cat.categories) == ["A", "B"], "segment names"
    counts = events.groupby(["event", "run", "period"], observed=False).size()
    revenue = events.groupby(["event", "run", "period"], observed=False)["revenue"].sum()
    shape = result.paths["active_customers"].shape
    for event, metric in FLOWS.items():
        grid = np.zeros(shape)
        for (run, period), n in counts[event].items():
            grid[run, period] = n
        assert np.array_equal(grid, result.paths[metric]), f"{event} rows differ from {metric}"
    for event, metric in REVENUE_FLOWS.items():
        grid = np.zeros(shape)
        for (run, period), total in revenue[event].items():
            grid[run, period] = total
        assert np.allclose(grid, result.paths[metric], atol=1e-6), f"{event} revenue differs from {metric}"


def test_event_log_tells_each_customers_story(logged):
    """Acquired first (new customers only), saved or expanded only while active, won back only
    after leaving, with the revenue they left with (the same person), expansions add the uplift."""
    result, events = logged
    start = int(sum(s.customers for s in result.scenario.segments))
    base = result.assumptions.revenue
    uplift = result.assumptions.uplift
    codes = {segment.name: i for i, segment in enumerate(result.scenario.segments)}
    for (run, customer), story in events.groupby(["run", "customer_id"], sort=False):
        seg = codes[story["segment"].iloc[0]]
        active, revenue = customer < start, base[run, seg]
        assert story["period"].is_monotonic_increasing, f"run {run} customer {customer}: events out of order"
        for event, after in zip(story["event"], story["revenue"], strict=True):
            where = f"run {run} customer {customer} {event}"
            if event == "acquired":
                assert not active and customer >= start and revenue == base[run, seg] == after, where
                active = True
            elif event == "won_back":
                assert not active and math.isclose(after, revenue), f"{where}: not lapsed or revenue changed"
                active = True
            elif event == "churned":
                assert active and math.isclose(after, revenue), f"{where}: not active or revenue changed"
                active = False
            elif event == "expanded":
                assert active and math.isclose(after, revenue + uplift[run, seg] * base[run, seg]), where
                revenue = after
            else:
                assert active and math.isclose(after, revenue), f"{where}: saved while lapsed"


def test_write_event_log_round_trips(logged, tmp_path):
    result, events = logged
    path = tmp_path / "events.csv"
    write_event_log(result, path)
    back = pd.read_csv(path)
    assert list(back.columns) == list(EVENT_COLUMNS), "CSV header"
    assert len(back) == len(events), "one CSV row per event"
    assert (back["event"] == events["event"].astype(str)).all(), "event names written"
    assert np.allclose(back["revenue"], events["revenue"], rtol=1e-11), "revenue written at full precision"


def test_write_event_log_needs_an_event_log(tmp_path):
    for result in (simulate(levers(runs=10)), des(levers(runs=10))):
        with pytest.raises(InputError, match=r"no event log.*--events"):
            write_event_log(result, tmp_path / "events.csv")
    assert not (tmp_path / "events.csv").exists(), "nothing written without a log"


# The size guard -------------------------------------------------------------------------------


def test_size_guard_names_the_numbers_and_a_scale_that_fits():
    big = load_preset("telecom_base")
    with pytest.raises(InputError) as caught:
        des(big, runs=100)
    message = str(caught.value)
    for fragment in ("customer-periods", "2,000,000 customers", "36 months", "100 runs", "--scale", "vectorised"):
        assert fragment in message, f"size message lacks {fragment!r}: {message}"
    factor = float(re.search(r"--scale ([0-9.e-]+)", message).group(1))
    small = scale_scenario(big, factor)
    assumptions = draw_assumptions(small, 100, small.simulation.seed)
    assert check_size(small, small.budget, assumptions) <= 30_000_000, "the suggested scale still does not fit"


def test_size_guard_limit_is_an_option():
    sc = levers(runs=10)
    with pytest.raises(InputError, match="above its limit of 1,000"):
        des(sc, max_customer_periods=1_000)
    assert des(sc, max_customer_periods=None).runs == 10, "None lifts the limit"
    for bad in (0, -5, 2.5, "many"):
        with pytest.raises(InputError, match="max_customer_periods"):
            des(sc, max_customer_periods=bad)
