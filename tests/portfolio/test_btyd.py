"""BG/NBD and Gamma-Gamma fits: the published CDNOW estimates, the likelihood, recovery of known parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import gammaln, hyp2f1
from scipy.stats import beta as beta_dist
from scipy.stats import gamma as gamma_dist

from simulation.portfolio.btyd import (
    BGNBDFit,
    _hyp2f1,
    bgnbd_gradient,
    bgnbd_log_likelihood,
    fit_bgnbd,
    gamma_gamma_gradient,
    gamma_gamma_log_likelihood,
    rfm,
)
from simulation.portfolio.btyd_sample import simulate_purchases
from simulation.portfolio.fit import TooLittleDataError

from .cdnow import AS_OF, cdnow_purchases

# Fader, Hardie and Lee (2005), "Counting your customers" the easy way, Marketing Science 24(2),
# section 4: CDNOW 1/10 sample, 2,357 customers, calibration to 1997-09-30, time in weeks.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4
# Fader and Hardie (2013), The Gamma-Gamma model of monetary value: the 946 repeat buyers.
PUBLISHED_SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _three_significant(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def cdnow_fit():
    data = rfm(cdnow_purchases(), AS_OF, 7.0)
    return data, fit_bgnbd(data, "CDNOW", "week")


def test_cdnow_summary_matches_the_published_data(cdnow_fit):
    data, fit = cdnow_fit
    assert data.customers == 2357, f"the 1/10 sample has 2,357 customers, got {data.customers}"
    assert fit.repeat_buyers == 946, f"946 customers bought again in the calibration period, got {fit.repeat_buyers}"
    # Fader and Hardie's summary: customer 4 (the first) bought on 1997-01-01, -01-18 and -08-02
    assert data.x[0] == 2 and round(data.t_x[0], 2) == 30.43 and round(data.T[0], 2) == 38.86, (
        f"customer 4: x, t_x, T = {data.x[0]}, {data.t_x[0]:.2f}, {data.T[0]:.2f}; published 2, 30.43, 38.86"
    )


def test_reproduces_fader_hardie_lee_2005_cdnow_estimates(cdnow_fit):
    _, fit = cdnow_fit
    for key, published in {**PUBLISHED_BGNBD, **PUBLISHED_SPEND}.items():
        got = getattr(fit, key)
        assert _three_significant(got) == _three_significant(published), f"{key}: {got:.5f}, published {published}"
        lo, hi = fit.intervals[key]
        assert lo < got < hi, f"{key}: the 90 % interval ({lo:.4g}, {hi:.4g}) must contain the estimate {got:.4g}"
        assert hi / lo < 3, f"{key}: the 90 % interval ({lo:.4g}, {hi:.4g}) is implausibly wide for 2,357 customers"
    assert round(fit.log_likelihood, 1) == PUBLISHED_LL, f"log-likelihood {fit.log_likelihood:.2f}, published -9582.4"


def test_cdnow_expectations_match_the_published_ones(cdnow_fit):
    # Fader, Hardie and Lee's worked example for the CDNOW fit ("Implementing the BG/NBD model for
    # customer base analysis in Excel", 2005): a customer with x = 2, t_x = 30.43, T = 38.86 is
    # expected to make 1.226 purchases in the next 39 weeks.
    _, fit = cdnow_fit
    got = float(fit.expected_purchases(39, 2, 30.43, 38.86))
    assert round(got, 3) == 1.226, f"E[Y(39) | x=2, t_x=30.43, T=38.86] = {got:.4f}, published 1.226"


def test_log_likelihood_matches_the_mixture_integrated_numerically():
    # the likelihood of one customer, integrated over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) directly
    r, alpha, a, b = 0.6, 3.0, 1.2, 2.5
    x, t_x, T = 3, 10.0, 20.0

    def individual(lam, p):
        return (1 - p) ** x * lam**x * math.exp(-lam * T) + p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x)

    def weight(p, lam):
        return individual(lam, p) * gamma_dist.pdf(lam, r, scale=1 / alpha) * beta_dist.pdf(p, a, b)

    direct, _ = integrate.dblquad(weight, 0, 50, 0, 1, epsabs=1e-13)
    got = bgnbd_log_likelihood((r, alpha, a, b), np.array([x]), np.array([t_x]), np.array([T]))
    assert got == pytest.approx(math.log(direct), abs=1e-6), f"closed form {got:.8f}, integral {math.log(direct):.8f}"


def test_recovers_known_parameters_from_a_simulated_log():
    true = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "gamma": 15.0}
    log = simulate_purchases(20_000, **true, rng=11)
    fit = fit_bgnbd(rfm(log, AS_OF, 7.0))
    for key, value in true.items():
        got = getattr(fit, key)
        lo, hi = fit.intervals[key]
        # the interval is exp(log estimate +- 1.645 se); 3.5 se either side holds each true value with
        # probability 0.9995, so all seven together with probability above 0.996 at any seed
        se = (math.log(hi) - math.log(lo)) / (2 * 1.645)
        assert abs(math.log(got) - math.log(value)) < 3.5 * se, (
            f"{key}: estimate {got:.4g} (90 % interval {lo:.4g}-{hi:.4g}) is more than 3.5 se from the true {value}"
        )


def test_too_little_data_is_a_message_not_a_fit():
    log = simulate_purchases(5, r=1, alpha=1, a=1, b=1, p=5, q=4, gamma=10, rng=1)
    with pytest.raises(TooLittleDataError, match="at least 10"):
        fit_bgnbd(rfm(log, AS_OF, 7.0))


def test_conditional_expectation_is_the_published_formula_where_that_is_finite(cdnow_fit):
    # Fader, Hardie and Lee (2005), equation 10, evaluated as printed
    _, fit = cdnow_fit
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    x, t_x, T = np.array([0.0, 1, 5, 20]), np.array([0.0, 2, 30, 38]), np.full(4, 38.86)
    for t in (1.0, 39.0, 520.0):
        z = t / (alpha + T + t)
        printed = (
            (a + b + x - 1)
            / (a - 1)
            * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
            * fit.p_alive(x, t_x, T)
        )
        np.testing.assert_allclose(fit.expected_purchases(t, x, t_x, T), printed, rtol=1e-8, err_msg=f"t = {t}")


def test_conditional_expectation_stays_finite_for_frequent_buyers():
    fit = BGNBDFit("f", r=2.0, alpha=1.0, a=3.0, b=40.0, log_likelihood=0.0, customers=1, repeat_buyers=1, period="")
    x, t_x, T = np.array([50.0, 300, 2000]), np.array([50.0, 51.9, 52]), np.full(3, 52.0)
    ahead = np.array([fit.expected_purchases(t, x, t_x, T) for t in (1.0, 52.0, 520.0, 5200.0)])
    assert np.isfinite(ahead).all(), f"E[Y(t)] must be a number for customers with many purchases: {ahead}"
    assert (np.diff(ahead, axis=0) > 0).all(), f"more time, more expected purchases: {ahead}"


def test_hypergeometric_series_where_scipy_gives_none():
    # the Euler integral: 2F1(a, b; c; z) = G(c) / (G(b) G(c - b)) int_0^1 s^(b-1) (1-s)^(c-b-1) (1 - z s)^(-a) ds
    a, b, c, z = 40.0, 2.0, 342.0, 520 / 573
    integral, _ = integrate.quad(lambda s: s ** (b - 1) * (1 - s) ** (c - b - 1) * (1 - z * s) ** (-a), 0, 1)
    expected = integral * math.exp(gammaln(c) - gammaln(b) - gammaln(c - b))
    assert math.isnan(hyp2f1(a, b, c, z)) or hyp2f1(a, b, c, z) == pytest.approx(expected), "SciPy's value, if any"
    assert _hyp2f1(a, b, c, z) == pytest.approx(expected, rel=1e-10), f"{_hyp2f1(a, b, c, z)} against {expected}"


def test_gradient_matches_central_differences_of_the_likelihood():
    x, t_x, T = np.array([0.0, 1, 3, 12]), np.array([0.0, 5.0, 20.0, 30.0]), np.array([38.0, 30.0, 25.0, 31.0])
    for params in ((0.243, 4.414, 0.793, 2.426), (1.5, 0.7, 3.0, 0.4)):
        got = bgnbd_gradient(params, x, t_x, T)
        for i in range(4):
            step = 1e-6 * params[i]
            up, down = list(params), list(params)
            up[i] += step
            down[i] -= step
            numeric = (bgnbd_log_likelihood(up, x, t_x, T) - bgnbd_log_likelihood(down, x, t_x, T)) / (2 * step)
            assert got[i] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (
                f"{params}: d/d param {i}: {got[i]} vs {numeric}"
            )


def test_spend_gradient_matches_central_differences_of_the_likelihood():
    x, m = np.array([1.0, 2, 5, 12]), np.array([20.0, 35.5, 12.0, 80.0])
    for params in ((6.25, 3.74, 15.44), (0.8, 1.5, 120.0)):
        got = gamma_gamma_gradient(params, x, m)
        for i in range(3):
            step = 1e-6 * params[i]
            up, down = list(params), list(params)
            up[i] += step
            down[i] -= step
            numeric = (gamma_gamma_log_likelihood(up, x, m) - gamma_gamma_log_likelihood(down, x, m)) / (2 * step)
            assert got[i] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (
                f"{params}: d/d param {i}: {got[i]} vs {numeric}"
            )


def test_spend_is_fitted_to_the_repeat_buyers_who_paid():
    log = simulate_purchases(3000, r=0.5, alpha=6.0, a=0.8, b=2.5, p=6.0, q=4.0, gamma=15.0, rng=3)
    data = rfm(log, AS_OF, 7.0)
    paid = fit_bgnbd(data)
    free = log.copy()
    repeat_buyer = data.customer_id[data.x > 0][0]
    free.loc[free["customer_id"] == repeat_buyer, "amount"] = 0.0  # every purchase of one repeat buyer was free
    fit = fit_bgnbd(rfm(free, AS_OF, 7.0))
    assert fit.p is not None and math.isfinite(fit.spend_log_likelihood), "one free repeat buyer must not stop the fit"
    assert fit.p == pytest.approx(paid.p, rel=0.05), f"one buyer fewer barely moves p: {fit.p} against {paid.p}"
