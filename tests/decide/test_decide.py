"""The budget optimiser: corners, an interior optimum, a closed-form limit, marginal returns, sensitivity, CLI.

Monte Carlo tolerances are derived where they are used. Chance draws of two splits do not
stay in step (Poisson and binomial draws consume a variable number of uniforms), so the
paired difference between two splits carries independent chance noise; its standard error
is measured from the runs themselves.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

from simulation import load_scenario, scenario_from_dict, simulate
from simulation.decide import (
    NOISE_Z,
    OBJECTIVES,
    REFINE_TOLERANCE,
    budget_map,
    marginal_returns,
    moved_scenario,
    optimize_split,
    sensitivity,
    sweep_total,
    tornado_assumptions,
)
from simulation.errors import InputError
from simulation.io.presets import load_preset
from simulation.model.assumptions import draw_assumptions
from simulation.model.distributions import quantile
from simulation.model.scenario import Segment, bounds_of
from tests.helpers import scenario

Z = 4.0  # one-sided normal tail 3e-5 per comparison


def se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / math.sqrt(values.size))


# Corners --------------------------------------------------------------------------------------
def test_retention_with_no_effect_puts_everything_into_acquisition():
    """With ``max_churn_reduction = 0`` a retention dollar buys nothing, so all of it goes to acquisition.

    The acquisition response is kept nearly linear (ceiling far above what the budget buys)
    so that the gain of the last grid step (5 points = 5,000 a month = 5 customers a month,
    each worth several hundred of gross profit) dwarfs the chance noise; the refined best
    must lie within the refinement's tolerance of 100 %.
    """
    sc = scenario(
        budget={"acquisition": 50_000, "retention": 50_000},
        acquisition={"cost_per_customer": 1000, "max_new_per_period": 10_000},
        retention={"cost_per_save": 100, "max_churn_reduction": 0.0},
    )
    r = optimize_split(sc, "npv", runs=300, seed=3)
    assert r.best_share >= 1 - REFINE_TOLERANCE, f"best share {r.best_share:.4f}, expected 100 % acquisition"
    assert r.best_share_range[1] == 1.0, f"100 % is not within noise of the best: range {r.best_share_range}"
    assert r.marginal.retention_return == 0.0, f"retention returns {r.marginal.retention_return} with no effect"
    assert r.marginal.acquisition_return > 0, "acquisition should return something at the corner"


def test_no_reachable_market_puts_everything_into_retention():
    """With a market of one prospect acquisition can win at most one customer: all goes to retention.

    Retention is kept unsaturated (x = spend / (ceiling x cost) = 0.8) so that a few hundred
    a month moved away from it costs more than the one customer acquisition could win; the
    refined best must be within the refinement's tolerance of 0 %. (The very first dollars
    of acquisition would still pay, for that one customer: the exact optimum is a sliver
    above 0, which the 1-point tolerance covers.)
    """
    sc = scenario(
        budget={"acquisition": 10_000, "retention": 10_000},
        acquisition={"cost_per_customer": 1000, "max_new_per_period": 100, "market_size": 1},
        retention={"cost_per_save": 100, "max_churn_reduction": 0.5},
    )
    r = optimize_split(sc, "npv", runs=300, seed=4)
    assert r.best_share <= REFINE_TOLERANCE, f"best share {r.best_share:.4f}, expected 0 % acquisition"
    assert r.best_share_range[0] == 0.0, f"0 % is not within noise of the best: range {r.best_share_range}"
    assert r.marginal.corner == "retention", f"corner reported as {r.marginal.corner!r}"


# An interior optimum --------------------------------------------------------------------------
@pytest.mark.parametrize("objective", ["npv", "equity"])
def test_interior_best_is_at_least_as_good_as_its_neighbours(objective):
    """Re-simulated on the same draws and seed, the reported best beats its grid and refinement neighbours."""
    sc = load_preset()
    runs, seed = 300, 11
    r = optimize_split(sc, objective, runs=runs, seed=seed)
    assert 0.05 < r.best_share < 0.999, f"expected an interior optimum for the default preset; got {r.best_share}"
    a = draw_assumptions(sc, runs, seed)
    total = sc.budget.acquisition + sc.budget.retention
    metric = OBJECTIVES[objective].metric

    def value(share: float) -> float:
        res = simulate(sc, sc.budget.with_split(total, share), runs=runs, seed=seed, assumptions=a)
        return float(getattr(res, metric).mean())

    best = value(r.best_share)
    assert best == pytest.approx(r.best_value, rel=1e-12), "the reported best value is not reproducible"
    step = 0.05
    grid_lo = math.floor(r.best_share / step) * step
    neighbours = {round(grid_lo, 6), round(min(grid_lo + step, 1.0), 6)}
    neighbours |= {max(r.best_share - REFINE_TOLERANCE, 0.0), min(r.best_share + REFINE_TOLERANCE, 1.0)}
    for share in sorted(neighbours - {r.best_share}):
        v = value(share)
        assert best >= v, f"{objective}: split {share:.4f} gives {v:,.0f} > reported best {best:,.0f}"


def test_within_noise_follows_the_paired_differences():
    """A split is within noise exactly when its mean paired difference from the best is above -2 SE."""
    sc = load_preset()
    r = optimize_split(sc, "npv", runs=200, seed=5)
    pts = r.points
    assert bool(pts.loc[pts["acquisition_share"] == r.best_share, "within_noise"].item()), "best not within noise"
    expected = pts["diff_from_best"] >= -NOISE_Z * pts["diff_se"] - 1e-6 * abs(r.best_value)
    assert (pts["within_noise"] == expected).all(), "within_noise flags disagree with the paired differences"
    lo, hi = r.best_share_range
    inside = pts.loc[pts["within_noise"], "acquisition_share"]
    assert (lo, hi) == (inside.min(), inside.max()), f"range {r.best_share_range} is not the span of flagged splits"
    assert lo <= r.best_share <= hi, "the best split lies outside its own range"
    assert (pts["diff_from_best"] <= 1e-6).all(), "a split beats the reported best"


def test_per_run_best_is_each_runs_own_argmax():
    sc = scenario(budget={"acquisition": 40_000, "retention": 20_000})
    r = optimize_split(sc, "npv", grid=11, runs=50, seed=2)
    a = draw_assumptions(sc, 50, 2)
    grid = np.linspace(0, 1, 11)
    values = np.stack(
        [simulate(sc, sc.budget.with_split(60_000, s), runs=50, seed=2, assumptions=a).npv for s in grid], axis=1
    )
    expected = grid[np.argmax(values, axis=1)]
    assert np.allclose(r.per_run_best, expected), "per-run best split is not each run's own argmax over the grid"
    frame = r.per_run_best_frame()
    assert frame["runs_share"].sum() == pytest.approx(1.0), "per-run best shares do not add up to all runs"
    for key in ("p10_npv", "target"):
        rr = optimize_split(sc, key, target=1.0, grid=5, runs=20, seed=2, refine=False)
        assert rr.per_run_best is None, f"{key}: a per-run best split is not meaningful and must be None"
        assert rr.per_run_best_summary()["meaningful"] is False, f"{key}: summary claims a per-run best"


# A deterministic limit ------------------------------------------------------------------------
M, N0, CHURN, D = 100.0, 100_000_000, 0.2, 0.1
MAX_NEW, CAC, COST_SAVE, CAP, TOTAL = 20_000_000.0, 200.0, 50.0, 0.5, 1e9


def _one_period_scenario():
    return scenario_from_dict(
        {
            "name": "One period, one segment",
            "period": "year",
            "horizon": 1,
            "discount_rate": D,
            "budget": {"acquisition": TOTAL / 2, "retention": TOTAL / 2},
            "acquisition": {"cost_per_customer": CAC, "max_new_per_period": MAX_NEW},
            "retention": {"cost_per_save": COST_SAVE, "max_churn_reduction": CAP},
            "segments": [
                {
                    "name": "A",
                    "customers": N0,
                    "revenue_per_customer": M,
                    "gross_margin": 1.0,
                    "churn": CHURN,
                    "churn_heterogeneity": 0.0,
                }
            ],
            "simulation": {"runs": 1000, "seed": 5},
        }
    )


def _equity(acquisition: float, retention: float) -> float:
    """Expected customer equity of the one-period scenario, from the closed forms.

    Period 1: n = C (1 - exp(-A / (C CAC))) customers join, all N0 + n pay m, then the
    expected churners P = theta (N0 + n) face the retention programme, which keeps
    s = cap P (1 - exp(-R / (cap P cost))). The customers left, (N0 + n)(1 - theta) + s,
    are valued at m / (d + theta) (no further retention), and everything is discounted
    once: E = [m (N0 + n) - A - R + ((N0 + n)(1 - theta) + s) m / (d + theta)] / (1 + d).
    """
    n = MAX_NEW * -math.expm1(-acquisition / (MAX_NEW * CAC))
    at_risk = CHURN * (N0 + n)
    saves = CAP * at_risk * -math.expm1(-retention / (CAP * at_risk * COST_SAVE))
    kept = (N0 + n) * (1 - CHURN) + saves
    return (M * (N0 + n) - acquisition - retention + kept * M / (D + CHURN)) / (1 + D)


def _closed_form_best() -> float:
    res = minimize_scalar(
        lambda s: -_equity(TOTAL * s, TOTAL * (1 - s)), bounds=(0, 1), method="bounded", options={"xatol": 1e-10}
    )
    return float(res.x)


def test_deterministic_limit_matches_the_closed_form_optimum():
    """One period, one segment, every assumption a plain number, homogeneous churn, 100M customers.

    Derivation: customer equity of the split s is :func:`_equity` (A = s T, R = (1 - s) T);
    its first-order condition n'(A) [m + m (1 - theta + theta ds/dP) / (d + theta)] =
    ds/dR m / (d + theta) (next dollar on each side equal) is solved numerically by
    maximising the closed form: s* = 0.3213. Tolerance: the refinement leaves the optimum
    within half its last bracket (REFINE_TOLERANCE) of the reported split, plus the Monte
    Carlo error of the location: with curvature kappa = -E''(s*) and the paired standard
    error SE of E(s*) - E(s) measured here, the optimiser can mistake s for s* only if
    kappa / 2 (s - s*) ** 2 < Z SE, i.e. |s - s*| < sqrt(2 Z SE / kappa) (about 0.001 here).
    """
    sc = _one_period_scenario()
    runs, seed = 1000, 5
    best = _closed_form_best()
    r = optimize_split(sc, "equity", runs=runs, seed=seed)
    a = draw_assumptions(sc, runs, seed)
    h = 0.02
    e0, e1 = (
        simulate(sc, sc.budget.with_split(TOTAL, s), runs=runs, seed=seed, assumptions=a).customer_equity
        for s in (best, best + h)
    )
    paired_se = se(e1 - e0)

    def equity_at(share):
        return _equity(TOTAL * share, TOTAL * (1 - share))

    kappa = -(equity_at(best + h) + equity_at(best - h) - 2 * equity_at(best)) / h**2
    mc = math.sqrt(2 * Z * paired_se / kappa)
    tol = REFINE_TOLERANCE + mc
    assert abs(r.best_share - best) <= tol, (
        f"optimiser {r.best_share:.4f} vs closed form {best:.4f}; tolerance {tol:.4f} (MC part {mc:.4f})"
    )
    swapped = 1 - best
    assert abs(swapped - best) > 2 * tol, "the test cannot tell acquisition from retention at this optimum"


def test_returns_per_dollar_meet_at_the_interior_optimum():
    """At the reported best split of the one-period limit the two returns per dollar are (nearly) equal.

    In this limit the decomposition is exact: the next dollar of acquisition buys n'(A)
    customers each worth m + m (1 - theta (1 - rho_marginal)) / (d + theta), which is
    (1 + d) dE/dA + 1 (the +1 puts back the dollar's own cost), and the next dollar of
    retention buys exp(-x) / cost saves each worth m / (d + theta) = (1 + d) dE/dR + 1.
    So (a) each return must equal its closed-form derivative (to 1e-3 relative: the only
    noise is the Poisson count of new customers, whose relative sd on the at-risk pool is
    about 1e-5), and (b) the two differ only because the reported split is not exactly s*:
    by at most |d(ra - rb)/ds| times the distance allowed in the previous test.
    """
    sc = _one_period_scenario()
    r = optimize_split(sc, "equity", runs=1000, seed=5)
    m = r.marginal
    s = r.best_share
    A, R = TOTAL * s, TOTAL * (1 - s)
    eps = 1e-6 * TOTAL

    def ra(a_, r_):
        return (1 + D) * (_equity(a_ + eps, r_) - _equity(a_ - eps, r_)) / (2 * eps) + 1

    def rb(a_, r_):
        return (1 + D) * (_equity(a_, r_ + eps) - _equity(a_, r_ - eps)) / (2 * eps) + 1

    assert m.acquisition_return == pytest.approx(ra(A, R), rel=1e-3), (
        f"acquisition return {m.acquisition_return:.5f} vs closed form {ra(A, R):.5f}"
    )
    assert m.retention_return == pytest.approx(rb(A, R), rel=1e-3), (
        f"retention return {m.retention_return:.5f} vs closed form {rb(A, R):.5f}"
    )
    best = _closed_form_best()
    assert ra(TOTAL * best, TOTAL * (1 - best)) == pytest.approx(rb(TOTAL * best, TOTAL * (1 - best)), rel=1e-4), (
        "the closed-form returns are not equal at the closed-form optimum"
    )
    ds = 1e-3

    def gap(x):
        return ra(TOTAL * x, TOTAL * (1 - x)) - rb(TOTAL * x, TOTAL * (1 - x))

    slope = abs(gap(best + ds) - gap(best - ds)) / (2 * ds)
    allowed = slope * (REFINE_TOLERANCE + 0.005)
    difference = m.acquisition_return - m.retention_return
    assert abs(difference) <= allowed, (
        f"returns differ by {difference:.4f} at split {s:.4f}; allowed {allowed:.4f} (slope {slope:.2f} per unit share)"
    )


@pytest.mark.parametrize(("phi", "allowed"), [(0.0, 0.01), (0.3, 0.05)], ids=["homogeneous", "heterogeneous"])
@pytest.mark.parametrize(("metric", "horizon_only"), [("npv", True), ("customer_equity", False)])
def test_returns_per_dollar_agree_with_the_simulated_marginal_returns(phi, allowed, metric, horizon_only):
    """Over 24 periods the decomposition matches central finite differences of the simulation.

    The simulated return of the next unit on a lever is ``(1 + [E(b + h) - E(b - h)] / (2 h D))``
    with D the sum of the discount factors (one unit more in every period costs D in NPV
    terms, added back); its standard error is measured run by run (paired). Allowed: 4 SE
    plus a relative bias: 1 % with homogeneous churn, where the replay of the periods is
    exact in expectation and central differences leave only a second-order error; 5 %
    with heterogeneous churn, where a saved customer's later churn uses the horizon average
    of the programme's marginal effect (measured here: about 3 % for customer equity).
    """
    sc = scenario(
        horizon=24,
        budget={"acquisition": 500_000, "retention": 100_000},
        acquisition={"cost_per_customer": 1000, "max_new_per_period": 2000},
        retention={"cost_per_save": 100, "max_churn_reduction": 0.5},
        segment={"customers": 1_000_000, "churn": 0.05, "churn_heterogeneity": phi},
    )
    runs, seed = 2000, 3
    a = draw_assumptions(sc, runs, seed)
    base = simulate(sc, runs=runs, seed=seed, assumptions=a)
    m = marginal_returns(base, horizon_only=horizon_only)
    units = ((1 + a.discount[:, None]) ** -np.arange(1, sc.horizon + 1)).sum(1)
    for lever, h, mine in (("acquisition", 20_000, m.acquisition_return), ("retention", 5_000, m.retention_return)):
        up, down = (
            getattr(
                simulate(
                    sc,
                    sc.budget.model_copy(update={lever: getattr(sc.budget, lever) + dh}),
                    runs=runs,
                    seed=seed,
                    assumptions=a,
                ),
                metric,
            )
            for dh in (h, -h)
        )
        simulated = (up - down) / (2 * h * units) + 1
        tol = Z * se(simulated) + allowed * abs(simulated.mean())
        assert abs(mine - simulated.mean()) <= tol, (
            f"{lever} ({metric}, phi={phi}): decomposition {mine:.4f} vs simulated {simulated.mean():.4f} "
            f"+- {se(simulated):.4f}; allowed {tol:.4f}"
        )


# Budget size ----------------------------------------------------------------------------------
def test_budget_map_rows_are_the_sweep_on_the_same_random_numbers():
    sc = scenario(budget={"acquisition": 30_000, "retention": 30_000}, horizon=12)
    calls = []
    totals = [20_000, 60_000, 120_000]
    bmap = budget_map(sc, totals, "npv", grid=6, runs=40, seed=8, progress=lambda d, n: calls.append((d, n)))
    assert calls == [(i, 18) for i in range(1, 19)], f"progress calls {calls}: one per cell of 3 totals x 6 splits"
    frame, best = bmap.frame(), bmap.best_frame()
    assert len(frame) == 18 and list(best["total"]) == totals, "map has the wrong shape"
    for total in totals:
        row = frame[frame["total"] == total].sort_values("acquisition_share")
        assert (
            best.loc[best["total"] == total, "best_share"].item()
            == row["acquisition_share"].iloc[int(np.argmax(row["value"].to_numpy()))]
        ), f"best split of total {total} is not the row's argmax"
    row = sweep_total(sc, 60_000, "npv", grid=6, runs=40, seed=8)
    r = optimize_split(sc, "npv", grid=6, runs=40, seed=8, refine=False)
    grid_values = r.grid_frame()["value"].to_numpy()
    assert np.allclose(row.values, grid_values, rtol=0, atol=1e-6), "map row differs from the sweep at the same total"
    assert bmap.best_total() in totals, "best total is not one of the totals"


# Sensitivity ----------------------------------------------------------------------------------
def _uncertain_scenario():
    return scenario(
        budget={"acquisition": 40_000, "retention": 20_000},
        horizon=12,
        retention={"cost_per_save": {"low": 60, "mode": 100, "high": 160}, "max_churn_reduction": 0.5},
        segment={"churn": {"low": 0.03, "high": 0.07}, "revenue_per_customer": 100},
    )


def test_tornado_ranges_follow_the_rules_and_keep_other_draws():
    sc = _uncertain_scenario()
    items = {i.key: i for i in tornado_assumptions(sc)}
    churn = items["segments.A.churn"]
    b = bounds_of(Segment, "churn").clip_range()
    assert churn.low[0] == pytest.approx(quantile(sc.segments[0].churn, 0.1, *b)), "low is not the 10th percentile"
    assert churn.high[0] == pytest.approx(quantile(sc.segments[0].churn, 0.9, *b)), "high is not the 90th percentile"
    rev = items["segments.A.revenue_per_customer"]
    assert (rev.low[0], rev.high[0]) == pytest.approx((80, 120)), "a plain number should move by +-20 %"
    assert "expansion.cost_per_upsell" not in items, "a lever with no budget cannot matter and must be left out"
    assert "segments.A.upsell_rate" not in items, "a plain zero has nothing to move"
    assert "segments.A.upsell_uplift" not in items, "with no upsell at all its size cannot matter"
    base = draw_assumptions(sc, 50, 9)
    moved = draw_assumptions(moved_scenario(sc, churn, "high"), 50, 9)
    assert np.all(moved.churn == churn.high[0]), "the moved assumption is not set to its high value"
    assert np.array_equal(moved.cost_per_save, base.cost_per_save), "other assumptions were redrawn"


def test_tornado_directions_and_order():
    sc = _uncertain_scenario()
    t = sensitivity(sc, "npv", runs=100, seed=9)
    f = t.frame.set_index("key")
    assert f.loc["segments.A.churn", "delta_high"] < 0 < f.loc["segments.A.churn", "delta_low"], (
        "higher churn must lower NPV at the recommended split"
    )
    assert f.loc["segments.A.revenue_per_customer", "delta_high"] > 0, "higher revenue must raise NPV"
    assert f.loc["retention.cost_per_save", "delta_high"] < 0, "dearer saves must lower NPV"
    swings = t.frame["swing"].to_numpy()
    assert np.all(np.diff(swings) <= 0), "tornado rows are not sorted by impact"
    assert t.frame[["best_share_low", "best_share_high"]].stack().between(0, 1).all(), "best split outside [0, 1]"


# Input checks ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"objective": "profit"}, "objective"),
        ({"objective": "target"}, "target"),
        ({"objective": "target", "target": float("nan")}, "target"),
        ({"grid": 1}, "grid"),
        ({"runs": 1}, "runs"),
        ({"total": 0.0}, "total"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    sc = scenario(budget={"acquisition": 1000, "retention": 1000})
    with pytest.raises(InputError, match=field):
        optimize_split(sc, **{"runs": 20, **kwargs})


def test_no_budget_to_split_is_an_input_error():
    with pytest.raises(InputError, match="total"):
        optimize_split(scenario(), runs=20)


# Command line ---------------------------------------------------------------------------------
def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "simulation", "optimize", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def scenario_file(tmp_path):
    sc = scenario(budget={"acquisition": 40_000, "retention": 20_000}, horizon=12)
    path = tmp_path / "scenario.toml"
    path.write_text(sc.to_toml(), encoding="utf-8")
    return path


def test_cli_json_and_csv(scenario_file, tmp_path):
    done = _cli("scenario.toml", "--runs", "60", "--seed", "4", "--grid", "11", "--out", "best.json", cwd=tmp_path)
    assert done.returncode == 0, f"optimize failed: {done.stderr}"
    doc = json.loads((tmp_path / "best.json").read_text())
    for key in ("best_share", "best_share_range", "objective", "grid", "per_run_best_share", "marginal_returns"):
        assert key in doc, f"JSON lacks {key!r}"
    assert doc["objective"] == "npv", f"default objective is {doc['objective']!r}"
    lo, hi = doc["best_share_range"]
    assert lo <= doc["best_share"] <= hi, f"best {doc['best_share']} outside its range {doc['best_share_range']}"
    assert len(doc["grid"]) == 11, f"{len(doc['grid'])} grid records"
    assert {"acquisition_share", "mean", "p5", "p50", "p95"} <= set(doc["grid"][0]), "grid record lacks columns"
    api = optimize_split(load_scenario(scenario_file), runs=60, seed=4, grid=11)
    assert doc["best_share"] == pytest.approx(api.best_share), "the command line and the API disagree"

    done = _cli("scenario.toml", "--runs", "60", "--grid", "11", "--format", "csv", "--out", "grid.csv", cwd=tmp_path)
    assert done.returncode == 0, f"optimize --format csv failed: {done.stderr}"
    table = pd.read_csv(tmp_path / "grid.csv")
    assert len(table) == 11, f"{len(table)} CSV rows for an 11-point grid"
    assert {"acquisition_share", "mean", "p5", "p50", "p95"} <= set(table.columns), f"CSV columns {list(table)}"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--objective", "profit"], "--objective"),
        (["--objective", "target"], "--target"),
        (["--grid", "1"], "--grid"),
    ],
)
def test_cli_bad_options_exit_2_naming_the_option(scenario_file, tmp_path, args, option):
    done = _cli("scenario.toml", "--runs", "20", *args, cwd=tmp_path)
    assert done.returncode == 2, f"exit status {done.returncode} for {args}; stderr: {done.stderr}"
    assert option in done.stderr, f"message does not name {option}: {done.stderr!r}"
    assert "Traceback" not in done.stderr, "a traceback reached the user"
