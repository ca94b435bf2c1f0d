"""The kernel's named input groups hold each assumption under its own name, in the types it was compiled for.

Every number is given a value no other field has, so a field filled from the wrong assumption (two
inputs traded places) shows as a value that does not match its name.
"""

import dataclasses

import numpy as np

from simulation.engines.kernel_inputs import (
    SOURCES,
    Chance,
    Levers,
    Segments,
    Spend,
    Timing,
    kernel_inputs,
    kernel_outputs,
)
from simulation.engines.paths import RECORDED
from simulation.io.presets import load_preset
from simulation.model.assumptions import draw_assumptions, stream_key
from simulation.model.programmes import ProgrammeArrays
from simulation.model.scenario import Budget

RUNS = 5


def _distinct_assumptions():
    """The default preset's assumptions with every per-run and per-segment number made unique to its field."""
    scenario = load_preset("saas_mid_market")
    a = draw_assumptions(scenario, RUNS, 0)
    S = a.customers.size
    changes = {}
    for i, name in enumerate(("revenue", "margin", "uplift", "upsell_rate", "cost_to_serve", "referral_rate")):
        changes[name] = np.full((RUNS, S), 0.001 * (i + 1)) + np.arange(S) * 1e-6
    for i, name in enumerate(Levers._fields):
        changes[name] = np.full(RUNS, 10.0 * (i + 1)) + np.arange(RUNS) * 1e-3
    changes["discount"] = np.full(RUNS, 0.0042)
    changes["share"] = np.arange(1, S + 1) / (S * (S + 1) / 2)
    changes["customers"] = np.arange(101, 101 + S, dtype=np.int64)
    changes["weights"] = {"retention": np.full(S, 1 / S), "expansion": None, "winback": np.arange(1, S + 1) / 10}
    return scenario, dataclasses.replace(a, **changes)


def test_each_field_holds_the_assumption_of_its_name():
    scenario, a = _distinct_assumptions()
    budget = Budget(acquisition=1.0, retention=2.0, expansion=3.0, winback=4.0)
    spend, segments, levers, chance, timing, programmes = kernel_inputs(scenario, budget, a, seed=7, classes=4)
    assert programmes.cover.shape == (0, a.customers.size), "no programmes: none to apply"
    for name in Segments._fields:
        expected = np.broadcast_to(getattr(a, name), getattr(segments, name).shape)
        assert np.array_equal(getattr(segments, name), expected), f"segments.{name} is not assumptions.{name}"
    for name in Levers._fields:
        assert np.array_equal(getattr(levers, name), getattr(a, name)), f"levers.{name} is not assumptions.{name}"
    assert np.array_equal(timing.discount, a.discount), "timing.discount is not the discount per period"
    assert timing.year_end == scenario.periods_per_year, "the first year ends after a year's periods"
    for lever in Spend._fields[:4]:
        assert getattr(spend, lever) == getattr(budget, lever), f"spend.{lever} is not the budget's {lever}"
    assert spend.use_retention_weights and np.array_equal(spend.retention_weights, a.weights["retention"]), (
        "explicit retention weights go to the retention split"
    )
    assert not spend.use_expansion_weights, "no expansion weights given: split by value"
    assert spend.use_winback_weights and np.array_equal(spend.winback_weights, a.weights["winback"]), (
        "explicit win-back weights go to the win-back split"
    )
    keys = [stream_key(7, source) for source in SOURCES]
    assert list(chance.keys) == keys, "one key per source of randomness, in the order of SOURCES"
    theta, _, _ = a.latent_classes(4)
    assert np.array_equal(chance.theta, theta), "chance.theta is the assumptions' latent classes"


def test_inputs_have_the_types_the_kernel_was_compiled_for():
    """A field of another type or layout would compile (and cache) a second kernel, or fail inside it."""
    scenario, a = _distinct_assumptions()
    groups = kernel_inputs(scenario, scenario.budget, a, seed=1, classes=4)
    for group in groups:
        for name, value in zip(group._fields, group, strict=True):
            if isinstance(value, np.ndarray) and value.size == 0:
                assert value.dtype == np.float64, f"{type(group).__name__}.{name} (no programmes) is float64"
            if isinstance(value, np.ndarray):
                assert value.flags.c_contiguous, f"{type(group).__name__}.{name} is not contiguous"
                assert value.dtype in (np.float64, np.int64, np.uint64), f"{name} has dtype {value.dtype}"
            else:
                assert type(value) in (float, int, bool), f"{type(group).__name__}.{name} is a {type(value)}"
    assert groups.segments.customers.dtype == np.int64, "customers are counts"
    assert all(
        isinstance(g, t)
        for g, t in zip(groups, (Spend, Segments, Levers, Chance, Timing, ProgrammeArrays), strict=True)
    )
    out = kernel_outputs(RUNS, scenario.horizon, a.customers.size)
    assert out.paths.shape == (len(RECORDED), RUNS, scenario.horizon + 1), "one row of paths per recorded metric"
