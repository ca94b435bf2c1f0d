"""Closed forms against the series and integrals they stand for."""

import numpy as np
import pytest
from scipy.special import betaln

from simulation.model.closed_forms import (
    beta_classes,
    discount_per_period,
    expected_clv,
    expected_residual_value,
    expected_retention_rate,
    expected_survival,
    sbg_parameters,
)

CASES = [(0.02, 0.1, 0), (0.05, 0.3, 0), (0.05, 0.3, 12), (0.2, 0.6, 3), (0.03, 0.0, 0)]


def series_sum(churn, phi, d, reduction=0.0, tenure=0, terms=40000):
    """Brute-force sum_t E[(1 - c theta)^t] / (1 + d)^t with theta from the latent-class quadrature."""
    theta, w = beta_classes(churn, phi, tenure, 80)
    t = np.arange(terms)[:, None]
    return float((w * ((1 - (1 - reduction) * theta) / (1 + d)) ** t).sum())


@pytest.mark.parametrize(("churn", "phi", "tenure"), CASES)
def test_survival_is_beta_ratio(churn, phi, tenure):
    t = np.arange(0, 40)
    s = expected_survival(churn, phi, t, tenure)
    if phi == 0:
        expected = (1 - churn) ** t
    else:
        a, b = sbg_parameters(churn, phi)
        expected = np.exp(betaln(a, b + tenure + t) - betaln(a, b + tenure))
    np.testing.assert_allclose(s, expected, rtol=1e-12, err_msg="S(t) = B(a, b + t) / B(a, b)")
    assert s[0] == pytest.approx(1.0), "everyone is there at t = 0"


@pytest.mark.parametrize(("churn", "phi", "tenure"), CASES)
def test_retention_rate_is_survival_ratio(churn, phi, tenure):
    t = np.arange(1, 40)
    s = expected_survival(churn, phi, np.arange(0, 40), tenure)
    np.testing.assert_allclose(
        expected_retention_rate(churn, phi, t, tenure), s[1:] / s[:-1], rtol=1e-10, err_msg="r_t = S(t) / S(t-1)"
    )


def test_retention_rate_rises_with_heterogeneity():
    r = expected_retention_rate(0.05, 0.3, np.arange(1, 30))
    assert np.all(np.diff(r) > 0), "with heterogeneous churn the cohort's retention rate rises over time"
    r0 = expected_retention_rate(0.05, 0.0, np.arange(1, 30))
    np.testing.assert_allclose(r0, 0.95, err_msg="phi = 0 gives a constant retention rate")


@pytest.mark.parametrize(("churn", "phi", "tenure"), CASES)
@pytest.mark.parametrize("k", [4, 12])
def test_latent_classes_reproduce_survival_exactly_below_2k(churn, phi, tenure, k):
    theta, w = beta_classes(churn, phi, tenure, k)
    assert w.sum() == pytest.approx(1.0) and np.all(w >= 0), "weights are a distribution"
    t = np.arange(2 * k)
    quad = (w[:, None] * (1 - theta[:, None]) ** t).sum(0)
    np.testing.assert_allclose(
        quad, expected_survival(churn, phi, t, tenure), rtol=1e-10, atol=1e-13, err_msg="exact for t < 2K"
    )


def test_latent_classes_are_batched():
    churn = np.array([[0.02, 0.05], [0.1, 0.2]])
    theta, w = beta_classes(churn, 0.25, np.array([0.0, 6.0]), 6)
    assert theta.shape == (2, 2, 6) and w.shape == (2, 2, 6), "one class set per parameter pair"
    single_t, single_w = beta_classes(0.2, 0.25, 6.0, 6)
    np.testing.assert_allclose(theta[1, 1], single_t, rtol=1e-12, err_msg="batched equals one at a time")
    np.testing.assert_allclose(w[1, 1], single_w, rtol=1e-10, err_msg="batched weights equal one at a time")


@pytest.mark.parametrize(("churn", "phi", "tenure"), CASES[:4])
@pytest.mark.parametrize("reduction", [0.0, 0.3])
def test_clv_is_discounted_survival_sum(churn, phi, tenure, reduction):
    d = 0.01
    clv = expected_clv(10.0, churn, phi, d, reduction)
    assert clv == pytest.approx(10.0 * series_sum(churn, phi, d, reduction), rel=1e-6), (
        "CLV = sum_t m S(t) / (1 + d)^t with the first margin undiscounted"
    )


@pytest.mark.parametrize("r", [0.8, 0.95, 0.99])
def test_clv_homogeneous_closed_form(r):
    m, d = 120.0, 0.02
    assert expected_clv(m, 1 - r, 0.0, d) == pytest.approx(m * (1 + d) / (1 + d - r), rel=1e-12), (
        "CLV = m (1 + d) / (1 + d - r) with constant retention"
    )


def test_residual_value_is_value_from_next_period():
    m, d = 50.0, 0.01
    for churn, phi, tenure in CASES[:4]:
        expected = m * series_sum(churn, phi, d, tenure=tenure) / (1 + d)
        assert expected_residual_value(m, churn, phi, d, tenure) == pytest.approx(expected, rel=1e-6), (
            "residual = E[m / (d + theta)] = sum_{j>=1} m (1 - theta)^(j-1) / (1 + d)^j"
        )


def test_discount_conversion():
    assert discount_per_period(0.1, 12) == pytest.approx(1.1 ** (1 / 12) - 1), "(1 + d)^(1/12) - 1"
    assert discount_per_period(0.1, 1) == pytest.approx(0.1), "yearly periods keep the rate"


def _integral_of_inverse(a, b, d, c, points=4_000_001):
    """E[1 / (d + c theta)], theta ~ Beta(a, b), by the trapezoid rule in log theta over the whole mass."""
    u = np.linspace(-700.0, -1e-12, points)
    theta = np.exp(u)
    density = np.exp(a * u + (b - 1) * np.log1p(-theta) - betaln(a, b))
    return float(np.trapezoid(density / (d + c * theta), u))


@pytest.mark.parametrize(
    ("churn", "phi", "reduction", "rel"),
    [(0.01, 0.001, 0.0, 1e-9), (0.01, 0.001, 0.7, 1e-9), (0.001, 0.002, 0.0, 1e-9), (0.01, 0.002, 0.0, 1e-5)],
    ids=["rule", "rule-with-retention", "recurrence", "recurrence-larger-a"],
)
def test_clv_of_a_nearly_homogeneous_segment_at_the_lowest_discount(churn, phi, reduction, rel):
    """With heterogeneity near 0 (b near 1000) and a discount of 0.1 % a year, 2F1 gave NaN: CLV is finite
    and equals the integral it stands for (the tolerance is the accuracy stated in closed_forms)."""
    d = float(discount_per_period(0.001, 12))
    a, b = (float(x) for x in sbg_parameters(churn, phi))
    c = 1.0 - reduction
    clv = expected_clv(10.0, churn, phi, d, reduction)
    assert np.isfinite(clv), "CLV is a number"
    assert clv == pytest.approx(10.0 * (1 + d) * _integral_of_inverse(a, b, d, c), rel=rel), (
        "CLV = m (1 + d) E[1 / (d + c theta)]"
    )
