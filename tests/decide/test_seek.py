"""Goal seeking inverts a run: the setting it finds, run forward, reaches the level in the stated share of futures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simulation import cli, simulate
from simulation.decide.seek import seek
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
