"""The faster summaries give the same numbers as the straightforward code they replaced.

The tables of a run (percentiles per period, the year-by-year P&L) are built in one pass over all
metrics; a slider move keeps them and every figure; the command line's ``run`` draws no saved
customers for the status quo, whose saved customers it never shows. Each is checked here against the
straightforward computation, kept in this file: the tables and every figure equal to the last digit,
the CLV (and LTV:CAC, its ratio) to a relative 1e-12 (its hypergeometric function is evaluated by a
reflection, tests/model/test_clv_fast.py); with SciPy's function put back the JSON of ``run`` is the
same to the byte.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from simulation import simulate
from simulation.cli import main
from simulation.engines import results as results_module
from simulation.engines import runner
from simulation.engines.paths import PATH_METRICS, pnl_metrics
from simulation.engines.results import PERCENTILES
from simulation.engines.runner import shared_draws
from simulation.engines.summary import CHART_METRICS, ResultSummary
from simulation.io.presets import list_presets, load_preset, preset_path
from simulation.model import closed_forms
from simulation.model.figures import KPIS

CLV_FIGURES = ("clv", "ltv_to_cac")
RTOL = 1e-12


def old_path_summary(result, metrics=PATH_METRICS) -> pd.DataFrame:
    frames = []
    for metric in metrics:
        values = result.paths[metric]
        q = np.percentile(values, PERCENTILES, axis=0)
        frame = pd.DataFrame({"period": result.periods, "metric": metric, "mean": values.mean(0)})
        for p, row in zip(PERCENTILES, q, strict=True):
            frame[f"p{p}"] = row
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def old_year_summary(result, metrics=None) -> pd.DataFrame:
    frames = []
    years = np.arange(1, result.year_ends.size + 1)
    for metric in pnl_metrics(result.scenario) if metrics is None else metrics:
        values = result.yearly(metric)
        p5, p50, p95 = np.percentile(values, (5, 50, 95), axis=0)
        summary = {"mean": values.mean(0), "p5": p5, "p50": p50, "p95": p95}
        frames.append(pd.DataFrame({"year": years, "metric": metric, **summary}))
    return pd.concat(frames, ignore_index=True)


def old_compare(scenario, *, baseline_figures_only=False, **kw):
    """``compare`` as it was: the status quo draws its saved customers too."""
    return runner.compare(scenario, **kw)


def scipy_hyp2f1_unit(a, b, z):
    return hyp2f1(1.0, b, np.asarray(a) + b, z)


def close(new, old, what: str) -> None:
    new, old = np.asarray(new, dtype=float), np.asarray(old, dtype=float)
    assert np.array_equal(np.isnan(new), np.isnan(old)), f"{what}: undefined in one and not the other"
    both = ~np.isnan(old)
    assert np.allclose(new[both], old[both], rtol=RTOL, atol=0), f"{what}: differs by more than {RTOL:g}"


@pytest.mark.parametrize("key", list_presets())
def test_a_slider_move_keeps_the_same_tables_and_figures(key):
    """Two splits on one preset's kept draws, as the app runs them: tables exact, figures exact but the CLV's."""
    scenario = load_preset(key)
    drawn = shared_draws(scenario, 200, 5)
    for share in (0.3, 0.7):
        budget = scenario.budget.with_split(scenario.budget.total, share)
        result = simulate(scenario, budget, runs=200, seed=5, assumptions=drawn, count_saved=False)
        kept = ResultSummary.of(result, CHART_METRICS)
        pd.testing.assert_frame_equal(kept.paths, old_path_summary(result, CHART_METRICS), check_exact=True)
        pd.testing.assert_frame_equal(result.year_summary(), old_year_summary(result), check_exact=True)
        pd.testing.assert_frame_equal(result.path_summary(), old_path_summary(result), check_exact=True)
        for name in KPIS:
            if name in CLV_FIGURES:
                close(kept.kpis[name], result.figure(name), f"{key} {name}")
            else:
                np.testing.assert_array_equal(kept.kpis[name], result.figure(name), err_msg=f"{key} {name}")
        fresh = simulate(scenario, budget, runs=200, seed=5, count_saved=False)
        for name in KPIS:  # the kept draws give what fresh draws give
            np.testing.assert_array_equal(fresh.figure(name), result.figure(name), err_msg=f"{key} {name} fresh")


def test_tables_of_one_metric_and_of_a_run_with_undefined_paths():
    """One metric, and a path that is NaN (saved customers not drawn): the same frames as before."""
    scenario = load_preset("subscription_box")
    result = simulate(scenario, runs=40, seed=2, count_saved=False)
    assert np.isnan(result.paths["saved_customers"][:, 1:]).all(), "the count was not drawn"
    for metrics in (("revenue",), ("saved_customers", "revenue"), PATH_METRICS):
        pd.testing.assert_frame_equal(result.path_summary(metrics), old_path_summary(result, metrics), check_exact=True)
    pd.testing.assert_frame_equal(
        result.year_summary(("revenue",)), old_year_summary(result, ("revenue",)), check_exact=True
    )


def run_json(path, out) -> str:
    code = main(["run", str(path), "--runs", "150", "--seed", "4", "--format", "json", "--out", str(out)])
    assert code == 0, "run succeeds"
    return out.read_text()


@pytest.mark.parametrize("key", list_presets())
def test_run_json_is_the_same(key, tmp_path, monkeypatch):
    """``run --format json``: with the old tables, compare and SciPy's 2F1 it is the same to the byte as with
    the new tables and compare and SciPy's 2F1; with the reflection, the CLV figures differ by at most 1e-12."""
    path = preset_path(key)
    new = json.loads(run_json(path, tmp_path / "new.json"))
    with monkeypatch.context() as patch:
        patch.setattr(closed_forms, "hyp2f1_unit", scipy_hyp2f1_unit)
        same_clv = run_json(path, tmp_path / "scipy.json")
        patch.setattr(results_module.SimulationResult, "path_summary", old_path_summary)
        patch.setattr(results_module.SimulationResult, "year_summary", old_year_summary)
        patch.setattr("simulation.cli.compare", old_compare)
        old = run_json(path, tmp_path / "old.json")
    assert same_clv == old, f"{key}: the JSON differs beyond the CLV's function"
    old = json.loads(old)
    for section in ("kpis", "baseline"):
        for name in CLV_FIGURES:
            for stat, value in old[section][name].items():
                if value is None:
                    assert new[section][name][stat] is None, f"{key} {section} {name} {stat} defined in one only"
                else:
                    close(new[section][name][stat], value, f"{key} {section} {name} {stat}")
                new[section][name][stat] = value
    assert new == old, f"{key}: the JSON differs outside the CLV figures"
