"""The two engines agree in the mean on every preset, scaled down to a size both can run.

Both engines run the same scaled scenario on the same per-run assumption draws (common
random numbers for the assumptions, independent chance), so run r of each engine shares
every uncertain number and the difference d_r = discrete-event - vectorised carries only
the two engines' chance noise and any disagreement between them. The standard error of the
mean difference is sd(d) / sqrt(runs) = sqrt(se_a^2 + se_b^2 - 2 cov_ab): both engines'
standard errors, less their covariance through the shared assumptions (which would
otherwise swamp a disagreement, since the assumptions dominate the spread of each engine).

A family of m checks (every period of every path metric of a preset, or every figure) uses
the threshold t_{1 - alpha / (2 m)} with runs - 1 degrees of freedom: by Bonferroni, the chance
that any check of the family fails when the engines agree is at most alpha = 1e-3, however
the periods are correlated. With 200 runs and ~600 checks the threshold is about 4.9 SE.
"""

from functools import cache

import numpy as np
import pytest
from scipy import stats

from simulation import simulate
from simulation.engines import paths
from simulation.engines.discrete_event import estimate_customer_periods
from simulation.io.presets import list_presets, load_preset
from simulation.model import figures
from simulation.model.assumptions import draw_assumptions
from simulation.model.scale import scale_scenario

RUNS = 200
ALPHA = 1e-3
# Estimated customer-periods per preset for the discrete-event engine (an upper bound that
# ignores churn): about 5-8 seconds each on 2 cores, so that the file stays near a minute as
# presets are added.
CUSTOMER_PERIODS = 8_000_000
# every recorded path and every figure of the registry: a new one is checked without editing this file
PATH_METRICS = paths.PATH_METRICS
FIGURES = figures.KPIS


@cache
def engines(key: str):
    """The preset scaled to the budget above, simulated by both engines on the same assumptions."""
    full = load_preset(key)
    seed = full.simulation.seed
    estimate = estimate_customer_periods(full, full.budget, draw_assumptions(full, RUNS, seed)).sum()
    scenario = scale_scenario(full, min(1.0, CUSTOMER_PERIODS / estimate))
    assumptions = draw_assumptions(scenario, RUNS, seed)
    des = simulate(scenario, runs=RUNS, seed=seed, engine="discrete_event", assumptions=assumptions)
    vec = simulate(scenario, runs=RUNS, seed=seed, assumptions=assumptions)
    return scenario, des, vec


def threshold(checks: int) -> float:
    return float(stats.t.isf(ALPHA / (2 * checks), RUNS - 1))


def paired(des: np.ndarray, vec: np.ndarray):
    """Mean difference and its standard error, along the runs axis."""
    diff = des - vec
    return diff.mean(0), diff.std(0, ddof=1) / np.sqrt(diff.shape[0])


@pytest.mark.slow
@pytest.mark.parametrize("key", list_presets())
def test_engines_agree_on_every_period(key):
    scenario, des, vec = engines(key)
    z = threshold(len(PATH_METRICS) * (scenario.horizon + 1))
    for metric in PATH_METRICS:
        mean, se = paired(des.paths[metric], vec.paths[metric])
        excess = np.abs(mean) - z * se
        t = int(np.argmax(excess))
        assert excess[t] <= 0, (
            f"{scenario.name}: {metric} at period {t}: discrete-event {des.paths[metric][:, t].mean():.6g}, "
            f"vectorised {vec.paths[metric][:, t].mean():.6g}; difference {mean[t]:.4g} > {z:.2f} x SE {se[t]:.3g}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("key", list_presets())
def test_engines_agree_on_the_figures(key):
    scenario, des, vec = engines(key)
    z = threshold(len(FIGURES))
    for figure in FIGURES:
        a, b = des.kpis[figure], vec.kpis[figure]
        both = np.isfinite(a) & np.isfinite(b)
        if not (np.isfinite(a).any() or np.isfinite(b).any()):
            continue  # undefined in every run of both engines (no acquisition spend, say): nothing to compare
        assert both.sum() >= RUNS // 2, f"{scenario.name}: {figure} is defined in too few runs of both engines"
        mean, se = paired(a[both], b[both])
        assert abs(mean) <= z * se, (
            f"{scenario.name}: {figure}: discrete-event {a[both].mean():.6g}, vectorised {b[both].mean():.6g}; "
            f"difference {mean:.4g} > {z:.2f} x SE {se:.3g}"
        )


def test_scaled_presets_keep_a_useful_size():
    """Every segment of every scaled preset keeps customers, so no segment is left out of the check."""
    for key in list_presets():
        full = load_preset(key)
        estimate = estimate_customer_periods(full, full.budget, draw_assumptions(full, RUNS, 1)).sum()
        scaled = scale_scenario(full, min(1.0, CUSTOMER_PERIODS / estimate))
        for before, after in zip(full.segments, scaled.segments, strict=True):
            assert (after.customers > 0) == (before.customers > 0), f"{key}: segment {after.name} lost its customers"
