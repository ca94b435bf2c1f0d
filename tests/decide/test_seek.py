"""Goal seeking inverts a run: the setting it finds, run forward, reaches the level in the stated share of futures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simulation import cli, simulate
from simulation.decide.seek import ALL_SOLVES, seek
from tests.helpers import scenario

RUNS = 300


@pytest.fixture(scope="module")
def base():
    return scenario(budget={"acquisition": 20000, "retention": 5000}).replace(simulation={"runs": RUNS, "seed": 11})


def share_reaching(s, target, level, seed=11, runs=RUNS):
    values = np.asarray(simulate(s, runs=runs, seed=seed).figure(target), dtype=float)
    return float(np.mean(values >= level))


def test_the_budget_found_reaches_the_level_in_the_stated_share_of_futures(base):
    today = np.asarray(simulate(base).figure("revenue_final"), dtype=float)
    level = float(np.quantile(today, 0.5)) * 1.1  # beyond what today's budget reaches in most futures
    r = seek(base, "revenue_final", level, 0.8, "total_budget")
    assert r.reachable and r.value > base.budget.core, f"more budget is needed to reach more revenue: {r}"
    at = base.with_budget(base.budget.with_split(r.value + base.budget.fixed, base.budget.acquisition_share))
    # on the same futures the solved budget reaches the level in 80 % of them, to one future
    assert share_reaching(at, "revenue_final", level) >= 0.8 - 1 / RUNS, "the answer does not reach the target"
    less = at.with_budget(at.budget.with_split(r.value - 1 + at.budget.fixed, at.budget.acquisition_share))
    assert share_reaching(less, "revenue_final", level) < 0.8, "a unit less should not reach it: the smallest budget"
    # on other futures, within Monte Carlo error of 80 % (three standard errors of a share of 2,000 futures)
    other = share_reaching(at, "revenue_final", level, seed=12345, runs=2000)
    assert abs(other - 0.8) < 3 * math.sqrt(0.8 * 0.2 / 2000) + 3 * math.sqrt(0.8 * 0.2 / RUNS), other
    assert r.low is not None and r.high is not None and r.low <= r.value <= r.high, f"the range: {r}"


def test_a_churn_cut_is_solved_to_a_tenth_of_a_point(base):
    today = np.asarray(simulate(base).figure("active_customers_final"), dtype=float)
    level = float(np.quantile(today, 0.5)) * 1.05
    r = seek(base, "active_customers_final", level, 0.5, "churn_change")
    assert r.reachable and -1 < r.value < 0, f"more customers at the horizon needs less churn: {r}"
    from simulation.model import edits

    def moved(change):
        return edits.with_segment_average(base, "churn", edits.segment_average(base, "churn") * (1 + change))

    assert share_reaching(moved(r.value), "active_customers_final", level) >= 0.5, "the cut found reaches it"
    assert share_reaching(moved(r.value + 0.001), "active_customers_final", level) < 0.5 + 1 / RUNS, (
        "a tenth of a point less cut should not reach it"
    )


def test_an_unreachable_target_says_so_and_gives_the_best_reachable_level(base):
    r = seek(base, "npv", 1e15, 0.9, "total_budget")
    assert not r.reachable, "no budget brings NPV to a quadrillion"
    assert math.isfinite(r.best_level) and r.best_level < 1e15, r
    assert r.low is None and r.high is None


def test_the_command_line_answers_in_json_and_refuses_bad_options(tmp_path, capsys, base):
    path = tmp_path / "s.toml"
    path.write_text(base.to_toml(), encoding="utf-8")
    args = ["seek", str(path), "--target", "revenue_final", "--level", "1", "--solve", "total_budget"]
    assert cli.main([*args, "--confidence", "0.8", "--runs", "50"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"value", "low", "high", "reachable"} <= set(doc), doc
    assert doc["reachable"] is True and doc["value"] == 0, "a level every future reaches needs no budget"
    assert cli.main([*args, "--confidence", "1.5"]) == 2
    assert "--confidence must be between 0.05 and 0.95" in capsys.readouterr().err


# The search against a plain reference --------------------------------------------------------------------------
from simulation.decide.seek import _Setting  # noqa: E402
from simulation.model.assumptions import draw_assumptions  # noqa: E402

REFERENCE_RUNS = 200
DENSE = 17  # points scanned inside the grid's bracket


@pytest.fixture(scope="module")
def uncertain():
    """A plan whose churn and prices are ranges (so a change scales draws), with a contact programme."""
    return scenario(
        budget={"acquisition": 20000, "retention": 5000},
        segment={"churn": {"low": 0.03, "mode": 0.05, "high": 0.07}, "revenue_per_customer": {"low": 80, "high": 120}},
        programmes=[{"name": "Calls", "cost_per_customer": 1, "churn_multiplier": {"low": 0.8, "high": 1.0}}],
    ).replace(simulation={"runs": REFERENCE_RUNS, "seed": 5})


def reference(s, target, level, confidence, solve, programme=None, tolerance=None, memo=None):
    """The crossing by brute force: every setting simulated on its own draws (no reuse), the whole grid
    scanned, then the grid's bracket scanned densely from today's side.

    Returns ``(zone, best)``: the span of the dense scan in which the level is crossed, from the point
    before the first setting that reaches it to the point after the last that does not (a Monte Carlo
    figure can cross it more than once where it is within noise of the level), narrowed by bisection
    to the tolerance when it is crossed once; or ``(None, best)`` with the grid's best setting when no
    grid point reaches it. ``memo`` keeps each setting's simulated figure for other confidences.
    """
    setting = _Setting(s, solve, programme)
    tolerance = setting.tolerance if tolerance is None else tolerance
    memo = {} if memo is None else memo

    def g(x):
        key = round(float(x), 9)
        if key not in memo:
            memo[key] = np.asarray(simulate(setting.scenario_at(key)).figure(target), dtype=float)
        v = memo[key]
        return float(np.quantile(v[np.isfinite(v)], 1 - confidence))

    grid = list(np.linspace(setting.low, setting.high, 9))
    if setting.low <= setting.current <= setting.high:
        grid.append(setting.current)
    grid = sorted(set(grid))
    levels = {x: g(x) for x in grid}
    ok = [x for x in grid if levels[x] >= level]
    if not ok:
        return None, max(grid, key=levels.get)
    budget = solve == "total_budget"
    start = min(ok) if budget else min(ok, key=lambda x: abs(x - setting.current))
    if start == setting.current and not budget:
        return (start, start), None
    toward = setting.low if budget else setting.current
    side = [x for x in grid if (x < start if toward < start else x > start) and levels[x] < level]
    if not side:
        return (start, start), None
    outside = max(side) if toward < start else min(side)
    scan = list(np.linspace(outside, start, DENSE))
    reaches = [g(x) >= level for x in scan]
    first = reaches.index(True)
    last = max(i for i, r in enumerate(reaches) if not r)
    if last > first:  # crossed more than once within the noise: the whole span
        return tuple(sorted((scan[first - 1], scan[last + 1]))), None
    inside, outside = scan[first], scan[first - 1]
    while abs(inside - outside) > tolerance / 2:
        mid = (inside + outside) / 2
        inside, outside = (mid, outside) if g(mid) >= level else (inside, mid)
    return (float(inside), float(inside)), None


def within(x, zone, tolerance):
    return zone[0] - tolerance <= x <= zone[1] + tolerance


@pytest.mark.parametrize(
    "solve, target, factor, programme",
    [
        ("total_budget", "revenue_final", 1.02, None),
        ("churn_change", "active_customers_final", 1.05, None),
        ("price_change", "revenue_final", 1.2, None),
        ("programme_effect", "active_customers_final", 1.05, "Calls"),
    ],
)
def test_the_answer_and_its_range_are_the_crossings_a_plain_scan_finds(uncertain, solve, target, factor, programme):
    today = np.asarray(simulate(uncertain).figure(target), dtype=float)
    level = float(np.quantile(today, 0.5)) * factor
    r = seek(uncertain, target, level, 0.8, solve, programme=programme)
    setting = _Setting(uncertain, solve, programme)
    memo = {}
    zone, _ = reference(uncertain, target, level, 0.8, solve, programme, memo=memo)
    assert r.reachable and zone is not None, (r, zone)
    # the same crossing: within the tolerance of the one a plain scan and bisection find
    assert within(r.value, zone, setting.tolerance), (r.value, zone)
    assert r.low is not None and r.high is not None, r
    # each end of the range is found to a thousandth of the setting's range, from brackets the answer's search
    # narrowed; where the figure is within noise of the level it may cross it more than once, so it is the
    # same crossing when it lies between the plain scan's at one future more and one future fewer
    se, coarse = math.sqrt(0.8 * 0.2 / REFERENCE_RUNS), (setting.high - setting.low) / 1000
    one = 1 / REFERENCE_RUNS
    spans = []
    for c in (0.8 - 2 * se, 0.8 + 2 * se):
        zones = [reference(uncertain, target, level, c + d, solve, programme, coarse, memo)[0] for d in (-one, one)]
        spans.append((min(z[0] for z in zones), max(z[1] for z in zones)))
    spans.sort()  # the lower end is the lower span's (a cut in churn: the higher confidence's)
    assert within(r.low, spans[0], coarse) and within(r.high, spans[1], coarse), (r, spans)


@pytest.mark.parametrize(
    "solve, programme", [("churn_change", None), ("price_change", None), ("programme_effect", "Calls")]
)
def test_an_unreachable_change_says_so_with_the_best_setting_a_plain_scan_finds(uncertain, solve, programme):
    r = seek(uncertain, "revenue_final", 1e15, 0.8, solve, programme=programme)
    _, best = reference(uncertain, "revenue_final", 1e15, 0.8, solve, programme)
    assert not r.reachable and r.low is None and r.high is None, r
    assert r.value == pytest.approx(best, abs=1e-9) and r.best_level < 1e15, (r, best)


def test_the_programme_effect_found_reaches_the_level_in_the_stated_share_of_futures(uncertain):
    today = np.asarray(simulate(uncertain).figure("active_customers_final"), dtype=float)
    level = float(np.quantile(today, 0.5)) * 1.05
    r = seek(uncertain, "active_customers_final", level, 0.8, "programme_effect", programme="Calls")
    at = _Setting(uncertain, "programme_effect", "Calls").scenario_at(r.value)
    # on the same futures, to one future
    assert share_reaching(at, "active_customers_final", level, seed=5, runs=REFERENCE_RUNS) >= 0.8 - 1 / REFERENCE_RUNS
    assert r.value < r.current, "more customers at the horizon needs a stronger programme"


def test_a_price_change_reuses_the_churn_classes_and_gives_the_same_numbers_to_the_last_digit(uncertain):
    setting = _Setting(uncertain, "price_change")
    first = draw_assumptions(uncertain, REFERENCE_RUNS, 5)
    simulate(uncertain, assumptions=first)  # computes the latent classes and what follows from them
    moved = setting.scenario_at(0.137)
    kept = draw_assumptions(moved, REFERENCE_RUNS, 5).with_churn_work_of(first)
    assert kept.latent_classes(16) is first.latent_classes(16), "the classes should be the first setting's"
    fresh, reused = simulate(moved), simulate(moved, assumptions=kept)
    assert not np.array_equal(fresh.paths["revenue"], simulate(uncertain).paths["revenue"]), "prices should move"
    for name, path in fresh.paths.items():
        assert np.array_equal(path, reused.paths[name], equal_nan=True), name
    assert np.array_equal(fresh.output.residual_value, reused.output.residual_value)
    # a churn change draws other churn: nothing is reused
    churned = _Setting(uncertain, "churn_change").scenario_at(-0.2)
    other = draw_assumptions(churned, REFERENCE_RUNS, 5).with_churn_work_of(first)
    assert other.latent_classes(16) is not first.latent_classes(16)


def test_the_bench_times_every_setting_reachable_and_out_of_reach(base):
    from simulation.bench import benchmark_seek

    assert not base.programmes, "the bench adds a contact plan to seek a programme's effect on"
    rows = benchmark_seek(base, runs=20)
    assert [(r["solve"], r["reachable"]) for r in rows] == [
        (solve, reached) for solve in ALL_SOLVES for reached in (True, False)
    ], rows
    assert all(r["wall_s"] > 0 and r["cpu_s"] >= 0 for r in rows), rows


def test_leaving_out_the_value_left_at_the_horizon_changes_no_path(uncertain):
    full = simulate(uncertain, count_saved=False)
    lean = simulate(uncertain, count_saved=False, value_left=False)
    for name, path in full.paths.items():
        assert np.array_equal(path, lean.paths[name], equal_nan=True), name
    for target in ("npv", "operating_npv", "revenue_final", "active_customers_final"):  # what goal seeking reads
        assert np.array_equal(full.figure(target), lean.figure(target), equal_nan=True), target
    assert np.isnan(lean.output.residual_value).all() and np.isfinite(full.output.residual_value).all()
