"""The CLV's hypergeometric function by reflection at z = 1 agrees with SciPy's to rounding.

``hyp2f1_unit`` evaluates ``2F1(1, b; a + b; z)`` by the reflection at ``z = 1`` where its two terms do
not cancel, and by :func:`scipy.special.hyp2f1` elsewhere. The bound is a relative 1e-12: the most
seen over 400,000 random cases in the reflection's region is 3e-13, about a thousand times double
precision's rounding, from the cancellation of its two terms near its edges.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1

from simulation import simulate
from simulation.engines.runner import shared_draws
from simulation.io.presets import list_presets, load_preset
from simulation.model import closed_forms
from simulation.model.closed_forms import (
    REFLECTION_GAP,
    REFLECTION_MAX_B,
    REFLECTION_MAX_BW,
    expected_clv,
    expected_residual_value,
    hyp2f1_unit,
    sbg_parameters,
)
from simulation.model.figures import net_margin_per_new_customer

RTOL = 1e-12


def scipy_mean_inverse(churn, heterogeneity, discount, churn_factor=1.0, tenure=0.0):
    """``E[1 / (d + c theta)]`` as it was computed before the reflection: SciPy's 2F1 for every element."""
    churn, phi, d, c, tenure = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (churn, heterogeneity, discount, churn_factor, tenure))
    )
    a, b = sbg_parameters(churn, phi)
    b = b + tenure
    out = np.empty(churn.shape)
    homo = np.isinf(a)
    out[homo] = 1.0 / (d[homo] + c[homo] * churn[homo])
    het = ~homo
    cd = c[het] + d[het]
    values = hyp2f1(1.0, b[het], a[het] + b[het], c[het] / cd) / cd
    failed = ~(np.isfinite(values) & (values > 0))
    if np.any(failed):
        values[failed] = closed_forms._mean_inverse_concentrated(
            a[het][failed], b[het][failed], d[het][failed], c[het][failed]
        )
    out[het] = values
    return out


def agree(new, old, what: str) -> None:
    new, old = np.asarray(new), np.asarray(old)
    assert np.array_equal(np.isfinite(new), np.isfinite(old)), f"{what}: finite in one and not the other"
    both = np.isfinite(old)
    rel = np.abs(new[both] - old[both]) / np.abs(old[both])
    assert rel.size == 0 or rel.max() <= RTOL, f"{what}: relative difference {rel.max():.2e} > {RTOL:g}"


near_one = st.floats(1 - 3 * REFLECTION_GAP, 1 + 3 * REFLECTION_GAP)
near_two = st.floats(2 - 3 * REFLECTION_GAP, 2.2)
shape_a = st.one_of(st.floats(1e-4, 3.0), near_one, near_two, st.sampled_from([1 - REFLECTION_GAP, 1 + REFLECTION_GAP]))
shape_b = st.one_of(
    st.floats(1e-3, 2 * REFLECTION_MAX_B), st.sampled_from([REFLECTION_MAX_B, REFLECTION_MAX_B * 0.999])
)
# z from the reflection's lower edge (1/2) to within 1e-6 of 1, and below it (SciPy's own series)
unit_z = st.one_of(st.floats(0.5, 1 - 1e-6), st.floats(1e-6, 0.5), st.just(0.5))


@settings(max_examples=400, deadline=None)
@given(shape_a, shape_b, unit_z)
@example(a=0.12, b=2.8, z=1 / (1 + 0.008))  # the default preset's monthly discount and no retention
@example(a=1 - REFLECTION_GAP, b=20.0, z=0.999)  # the reflection's edges
@example(a=1 + REFLECTION_GAP, b=20.0, z=0.999)
@example(a=2 - REFLECTION_GAP * 1.01, b=REFLECTION_MAX_B * 0.99, z=1 - REFLECTION_MAX_BW / REFLECTION_MAX_B)
@example(a=1e-4, b=1e-3, z=1 - 1e-6)
def test_reflection_agrees_with_scipy(a, b, z):
    agree(hyp2f1_unit(a, b, z), hyp2f1(1.0, b, a + b, z), f"2F1(1, {b}; {a} + {b}; {z})")


def test_reflection_is_used_where_it_is_safe_and_shapes_are_kept():
    rng = np.random.default_rng(7)
    a = rng.uniform(0.05, 0.9, (30, 4))
    b = rng.uniform(1.0, 25.0, (30, 4))
    z = 1 / (1 + rng.uniform(0.002, 0.02, (30, 4)))
    out = hyp2f1_unit(a, b, z)
    assert out.shape == (30, 4), "the result has the inputs' shape"
    agree(out, hyp2f1(1.0, b, a + b, z), "typical monthly cases")
    assert np.ndim(hyp2f1_unit(0.5, 3.0, 0.99)) == 0, "a scalar in gives a scalar out"


@settings(max_examples=200, deadline=None)
@given(
    churn=st.floats(1e-4, 0.9),
    phi=st.one_of(st.floats(0.0, 0.99), st.just(0.0), st.just(1e-10)),
    discount=st.floats(1e-5, 0.5),
    reduction=st.one_of(st.floats(0.0, 0.999), st.just(0.0)),
    tenure=st.one_of(st.just(0.0), st.floats(0.0, 500.0)),
)
def test_clv_and_residual_value_agree_with_scipy_throughout(churn, phi, discount, reduction, tenure):
    agree(
        expected_clv(1.0, churn, phi, discount, reduction),
        (1.0 + discount) * scipy_mean_inverse(churn, phi, discount, 1.0 - reduction),
        "CLV",
    )
    agree(
        expected_residual_value(1.0, churn, phi, discount, tenure),
        scipy_mean_inverse(churn, phi, discount, 1.0, tenure),
        "residual value",
    )


def test_every_presets_clv_figure_agrees_with_scipy():
    """The CLV the app shows of a run, on every preset: each run's figure to 1e-12 of SciPy's."""
    for key in list_presets():
        scenario = load_preset(key)
        drawn = shared_draws(scenario, 300, 3)
        result = simulate(scenario, runs=300, seed=3, assumptions=drawn, count_saved=False)
        a, out = result.assumptions, result.output
        rho = np.divide(
            out.saves_by_segment,
            out.at_risk_by_segment,
            out=np.zeros_like(out.saves_by_segment),
            where=out.at_risk_by_segment > 0,
        )
        margin = net_margin_per_new_customer(result)
        d = a.discount[:, None]
        old = (margin * (1.0 + d) * scipy_mean_inverse(a.churn, a.heterogeneity, d, 1.0 - rho)) @ a.share
        agree(result.figure("clv"), old, f"{key}: CLV per run")
