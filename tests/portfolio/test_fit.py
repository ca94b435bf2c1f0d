"""The sBG maximum-likelihood fit: published estimates, recovery of known parameters, censoring."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from simulation.portfolio.fit import Lifetimes, TooLittleDataError, fit_sbg, log_likelihood

# Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal of
# Interactive Marketing 21(1), 76-90: percent of 1,000 customers still active at years 0-7 and
# the maximum-likelihood estimates the paper reports for each cohort. (pymc-marketing's
# tests/clv/models/test_shifted_beta_geo.py carries the same Regular percentages.)
REGULAR = [100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1]
HIGH_END = [100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1]
PUBLISHED = {"Regular": (REGULAR, 0.704, 1.182), "High End": (HIGH_END, 0.668, 3.806)}


def _counts(percent):
    return np.round(np.asarray(percent) * 10).astype(int)


def _three_significant(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_recovers_fader_hardie_2007_estimates(name):
    percent, alpha, beta = PUBLISHED[name]
    fit = fit_sbg(Lifetimes.from_cohorts([_counts(percent)]), name)
    for key, got, published in (("alpha", fit.alpha, alpha), ("beta", fit.beta, beta)):
        message = f"{name}: {key} {got:.5f}, published {published}"
        assert _three_significant(got) == _three_significant(published), message
        assert round(got, 3) == published, f"{name}: {key} {got:.5f} should print as the paper's {published}"
    assert fit.customers == 1000, f"{name}: 1,000 customers expected, got {fit.customers}"
    assert fit.periods == 7, f"{name}: 7 years of renewals expected, got {fit.periods}"


def test_same_fit_from_cohort_counts_and_from_one_row_per_customer():
    counts = _counts(REGULAR)
    lost = counts[:-1] - counts[1:]
    tenure = np.concatenate([np.repeat(np.arange(1, 8), lost), np.full(counts[-1], 7)])
    churned = np.concatenate([np.ones(lost.sum(), bool), np.zeros(counts[-1], bool)])
    a = fit_sbg(Lifetimes.from_cohorts([counts]))
    b = fit_sbg(Lifetimes.from_tenures(tenure, churned))
    assert a.alpha == pytest.approx(b.alpha, rel=1e-6), "the aggregated and per-customer likelihoods must agree"
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-9), "same data, same log-likelihood"


def test_log_likelihood_matches_direct_sum_of_probabilities():
    # P(T = t) and S(t) computed from the Beta mixture by numerical integration, not from the Beta functions
    a, b = 0.8, 2.5
    data = Lifetimes(lost=np.array([0.0, 5, 3, 2]), alive=np.array([0.0, 0, 0, 4]))
    theta = np.linspace(1e-6, 1 - 1e-6, 200001)
    from scipy.stats import beta as beta_dist

    w = beta_dist(a, b).pdf(theta)
    w /= np.trapezoid(w, theta)
    p = [np.trapezoid(w * theta * (1 - theta) ** (t - 1), theta) for t in (1, 2, 3)]
    s3 = np.trapezoid(w * (1 - theta) ** 3, theta)
    direct = 5 * np.log(p[0]) + 3 * np.log(p[1]) + 2 * np.log(p[2]) + 4 * np.log(s3)
    assert log_likelihood(a, b, data) == pytest.approx(direct, rel=1e-5), "likelihood must be the sBG's"


def _simulate(a, b, n, max_observed, rng):
    """Customers who joined at staggered times: theta ~ Beta(a, b), lifetimes geometric, censored."""
    theta = rng.beta(a, b, n)
    life = rng.geometric(theta)  # periods paid, 1, 2, ...
    observed = rng.integers(1, max_observed + 1, n)  # renewals seen since each customer joined
    churned = life <= observed
    return np.where(churned, life, observed), churned


def test_recovers_known_parameters_within_sampling_error():
    # 2 (max log-likelihood - log-likelihood at the truth) follows chi-square with 2 degrees of freedom
    # for large samples, so the truth must lie inside the 99.9 % likelihood region: 2 dLL < 13.8.
    # A wrong likelihood (or swapped a and b) moves the maximum far outside it with 20,000 customers.
    rng = np.random.default_rng(2007)
    for a, b in ((0.7, 1.2), (0.5, 8.0), (3.0, 40.0)):
        tenure, churned = _simulate(a, b, 20_000, 36, rng)
        data = Lifetimes.from_tenures(tenure, churned)
        fit = fit_sbg(data)
        drop = 2 * (fit.log_likelihood - log_likelihood(a, b, data))
        assert 0 <= drop < chi2.ppf(0.999, 2), f"a={a}, b={b}: fitted {fit.alpha:.3f}, {fit.beta:.3f}; 2dLL={drop:.2f}"
        swapped = 2 * (fit.log_likelihood - log_likelihood(b, a, data))
        assert swapped > chi2.ppf(0.999, 2), f"a={a}, b={b}: swapped parameters must not fit as well"


@pytest.mark.slow
def test_ninety_percent_intervals_cover_the_truth_about_ninety_percent_of_the_time():
    # 100 independent data sets: the count of intervals holding the true churn is Binomial(100, 0.9),
    # standard deviation 3; the check allows three standard deviations either side (81..99).
    rng = np.random.default_rng(11)
    a, b = 0.9, 6.0
    churn, phi = a / (a + b), 1 / (a + b + 1)
    covered = {"churn": 0, "churn_heterogeneity": 0}
    for _ in range(100):
        fit = fit_sbg(Lifetimes.from_tenures(*_simulate(a, b, 2000, 24, rng)))
        for key, truth in (("churn", churn), ("churn_heterogeneity", phi)):
            lo, hi = fit.intervals[key]
            covered[key] += lo <= truth <= hi
    for key, n in covered.items():
        assert 81 <= n <= 99, f"{key}: the 90 % interval held the truth {n} times in 100"


def test_intervals_surround_the_estimate():
    fit = fit_sbg(Lifetimes.from_cohorts([_counts(HIGH_END)]))
    for key, value in (
        ("alpha", fit.alpha),
        ("beta", fit.beta),
        ("churn", fit.churn),
        ("churn_heterogeneity", fit.churn_heterogeneity),
    ):
        lo, hi = fit.intervals[key]
        assert lo < value < hi, f"{key}: interval ({lo:.4g}, {hi:.4g}) must hold the estimate {value:.4g}"


def test_nobody_left_yet_gives_a_message_not_a_fit():
    data = Lifetimes.from_tenures(np.arange(1, 25).repeat(10), np.zeros(240, bool))
    with pytest.raises(TooLittleDataError, match="no customer has left yet") as info:
        fit_sbg(data, "Class A")
    assert "Class A" in str(info.value), "the message should name what could not be fitted"


def test_everyone_left_is_fitted_without_censoring():
    rng = np.random.default_rng(5)
    a, b = 1.5, 4.0
    theta = rng.beta(a, b, 5000)
    life = rng.geometric(theta)
    data = Lifetimes.from_tenures(life, np.ones(life.size, bool))
    assert data.alive.sum() == 0, "no one is active in this data"
    fit = fit_sbg(data)
    drop = 2 * (fit.log_likelihood - log_likelihood(a, b, data))
    assert drop < chi2.ppf(0.999, 2), f"fitted {fit.alpha:.3f}, {fit.beta:.3f}; truth 1.5, 4.0; 2dLL={drop:.2f}"
    assert fit.observed[-1] == pytest.approx(0.0), "with everyone gone the observed survival ends at 0"


@pytest.mark.parametrize(
    ("tenure", "churned", "message"),
    [
        ([1, 2, 1, 2, 1, 2, 2, 1, 2, 2, 1, 2], [True, False] * 6, "longest tenure is 2"),
        ([3, 4, 5], [True, False, True], "only 3 customer"),
    ],
)
def test_too_little_data_gives_a_message(tenure, churned, message):
    with pytest.raises(TooLittleDataError, match=message):
        fit_sbg(Lifetimes.from_tenures(tenure, churned))


def test_observed_survival_is_kaplan_meier():
    # 4 customers: left after 1 and 3 periods; active after 2 and 3 periods.
    data = Lifetimes.from_tenures([1, 3, 2, 3], [True, True, False, False])
    s = data.observed_survival()
    # t=1: 4 at risk, 1 leaves -> 3/4; t=2: 3 at risk, none leave; t=3: 2 at risk (one was last seen at 2), 1 leaves
    assert s.tolist() == pytest.approx([1.0, 0.75, 0.75, 0.375]), f"Kaplan-Meier by hand: got {s}"


def test_small_and_awkward_data_fit_or_give_a_message():
    # Small samples, heavy censoring and near-homogeneous churn put the estimate at the edge of the
    # parameter space, where the profile likelihood is flat: the fit must still return intervals
    # that hold the estimate, or refuse with a message.
    rng = np.random.default_rng(3)
    fitted = 0
    for _ in range(60):
        n, periods = int(rng.integers(10, 60)), int(rng.integers(3, 30))
        tenure, churned = rng.integers(0, periods, n), rng.random(n) < rng.random()
        try:
            fit = fit_sbg(Lifetimes.from_tenures(tenure, churned))
        except TooLittleDataError:
            continue
        fitted += 1
        lo, hi = fit.intervals["churn"]
        assert lo <= fit.churn * (1 + 1e-9) and fit.churn <= hi * (1 + 1e-9), f"churn {fit.churn} outside ({lo}, {hi})"
    assert fitted > 30, f"most of these data sets can be fitted; {fitted} were"


def test_intervals_are_right_when_customers_are_alike():
    """Heterogeneity near 0 (20,000 customers, churn 0.03, all alike): each end of the churn interval is where the
    profile log-likelihood is exactly chi2(1, 0.9)/2 below the maximum, as a dense grid over heterogeneity finds it.

    The likelihood is written as sums of small terms, so it keeps its precision when a + b is in the millions; the
    geometric likelihood (heterogeneity exactly 0) is a lower bound of the profile at every churn value.
    """
    from simulation.portfolio.fit import _DROP, _from_mean

    rng = np.random.default_rng(7)
    n, churn, periods = 20_000, 0.03, 24
    life = rng.geometric(churn, n)
    window = periods - rng.integers(0, periods, n)
    churned = life <= window
    data = Lifetimes.from_tenures(np.where(churned, life, window), churned)
    fit = fit_sbg(data)
    t = np.arange(data.lost.size)

    def geometric(c):
        return float(data.lost[1:] @ (np.log(c) + (t[1:] - 1) * np.log1p(-c)) + data.alive @ (t * np.log1p(-c)))

    def profile(c):
        phis = 1 / (1 + np.exp(-np.linspace(-30, 4, 1500)))
        return max(geometric(c), *(log_likelihood(*_from_mean(c, phi), data) for phi in phis))

    assert fit.log_likelihood >= geometric(fit.churn) - 1e-4, "the fit is as good as everyone alike"
    target = fit.log_likelihood - _DROP
    for end in fit.intervals["churn"]:
        assert abs(profile(end) - target) < 1e-3, f"churn interval end {end:.5f}: profile {profile(end) - target:+.4f}"
