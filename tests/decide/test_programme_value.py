"""Each programme's marginal contribution, the command that lists them, and goal seeking a programme's effect.

Contributions are differences run by run on common random numbers: a programme whose effect is 1
changes no draw, so what the plan loses without it is exactly its discounted cost, in every run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulation import cli, scenario_from_dict, simulate
from simulation.decide.programme_value import programme_values, values_frame, without
from simulation.decide.seek import seek
from simulation.errors import InputError
from simulation.io.presets import load_preset
from tests.helpers import all_levers

RUNS = 40


def _with(*programmes, runs=RUNS):
    data = all_levers(runs=runs).to_dict()
    return scenario_from_dict({**data, "programmes": list(programmes)})


def test_a_programme_without_effect_is_worth_minus_its_discounted_cost():
    sc = _with({"name": "Idle", "fixed_cost": 400.0, "cost_per_customer": 1.5},
               {"name": "Strong", "churn_multiplier": 0.2, "covers": "A"})  # fmt: skip
    idle, strong = programme_values(sc)
    plan = simulate(sc)
    rest = simulate(without(sc, "Idle"), assumptions=plan.assumptions)
    cost = ((plan.paths["programme_costs"] - rest.paths["programme_costs"]) * plan.discount_factors).sum(1)
    assert idle.mean == pytest.approx(-cost.mean(), rel=1e-9) and idle.cost == pytest.approx(cost.mean(), rel=1e-9)
    assert idle.share_positive == 0 and not idle.pays, "a programme that changes nothing never pays"
    assert idle.p5 <= idle.p50 <= idle.p95 < 0
    assert strong.share_positive == 1 and strong.pays, "cutting churn by 80 % for free pays in every future"


def test_switching_one_off_keeps_the_others():
    sc = _with({"name": "One", "churn_multiplier": 0.9}, {"name": "Two", "fixed_cost": 10.0})
    off = without(sc, "One")
    assert [p.enabled for p in off.programmes] == [False, True]
    assert programme_values(off)[0].name == "Two", "a programme switched off has no contribution to list"


def test_the_default_preset_has_no_programmes_and_the_loyalty_preset_has_both_kinds():
    assert programme_values(load_preset()) == []
    loyalty = load_preset("wholesale_loyalty")
    kinds = {p.name: p for p in loyalty.programmes}
    assert any(p.revenue_share > 0 for p in kinds.values()), "a loyalty tier costs a share of revenue"
    assert any(p.cost_per_customer > 0 and p.covers == "A" for p in kinds.values()), "a contact plan by class"


def test_the_command_lists_each_programme_in_json_and_csv(tmp_path, capsys):
    sc = _with({"name": "Loyalty, gold", "covers": ["A"], "revenue_share": 0.02, "churn_multiplier": 0.8},
               {"name": "=cmd()", "fixed_cost": 50.0})  # fmt: skip
    path = tmp_path / "s.toml"
    path.write_text(sc.to_toml(), encoding="utf-8")
    assert cli.main(["programmes", str(path), "--runs", "20", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["programmes"]
    assert [r["name"] for r in rows] == ["Loyalty, gold", "=cmd()"]
    assert {"mean", "p5", "p95", "share_positive", "cost", "pays"} <= set(rows[0])
    assert cli.main(["programmes", str(path), "--runs", "20", "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("name,covers,figure,mean")
    assert "\n=cmd()" not in text, "a name that reads as a formula is escaped in the CSV"
    assert len(values_frame(programme_values(sc, runs=20))) == 2
    with pytest.raises(SystemExit):  # argparse refuses a figure that is not in the registry, naming them
        cli.main(["programmes", str(path), "--figure", "bogus"])
    assert "--figure" in capsys.readouterr().err


def test_goal_seek_solves_for_a_programmes_effect_and_inverts_run():
    """The multiplier found, run forward on the same futures, reaches the level in 80 % of them (to one
    future), and a tenth of a point weaker does not."""
    sc = _with({"name": "Care", "covers": "all", "churn_multiplier": 1.0, "cost_per_customer": 0.5}, runs=200)
    today = np.asarray(simulate(sc).figure("active_customers_final"), dtype=float)
    level = float(np.quantile(today, 0.2)) * 1.04
    r = seek(sc, "active_customers_final", level, 0.8, "programme_effect", programme="Care")
    assert r.reachable and -1 < r.value < 0, f"more customers at the horizon needs the programme to cut churn: {r}"

    def share(effect):
        moved = sc.replace(programmes=[{**sc.programmes[0].model_dump(), "churn_multiplier": 1 + effect}])
        values = np.asarray(simulate(moved, assumptions=simulate(sc).assumptions).figure("active_customers_final"))
        return float(np.mean(values >= level))

    assert share(r.value) >= 0.8 - 1 / 200
    assert share(r.value + 0.001) < 0.8 + 1 / 200
    with pytest.raises(InputError, match="--programme"):
        seek(sc, "npv", 1.0, 0.8, "programme_effect", programme="Nobody")


def test_the_optimiser_says_which_programmes_pay_at_its_best_split(tmp_path, capsys):
    sc = _with({"name": "Free and strong", "churn_multiplier": 0.3}, {"name": "Idle", "fixed_cost": 100.0})
    path = tmp_path / "s.toml"
    path.write_text(sc.to_toml(), encoding="utf-8")
    assert cli.main(["optimize", str(path), "--runs", "20", "--grid", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    pays = {row["name"]: row["pays"] for row in doc["programmes"]}
    assert pays == {"Free and strong": True, "Idle": False}, doc["programmes"]
