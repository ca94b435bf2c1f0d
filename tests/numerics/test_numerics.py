"""Keyed Binomial sampler, Gauss rules, and blocks of runs on the shared pool."""

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from simulation import simulate
from simulation.io.presets import DEFAULT_PRESET, load_preset
from simulation.model.assumptions import stream_key
from simulation.numerics import keyed_random, parallel, quadrature

DRAWS = 40_000
KEY = np.uint64(stream_key(11, "churn"))


def _draws(n, p, count=DRAWS, key=KEY):
    return keyed_random.binomial_array(key, np.full(count, n, dtype=np.int64), np.full(count, p))


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (20, 0.3),  # inversion
        (60, 0.9),  # inversion on the complement
        (99, 0.1),  # inversion just below BTRD (mean 9.9)
        (100, 0.1),  # BTRD at its lowest mean, 10
        (20, 0.5),  # BTRD at p = 1/2, where its hat is widest for the mean
        (1_000, 0.2),  # BTRD
        (400, 0.75),  # BTRD on the complement
        (10_000_000, 0.003),  # BTRD far from the mode's neighbourhood
        (5 * 10**17, 5.7e-17),  # BTRD with n far beyond 2**53
    ],
)
def test_binomial_moments(n, p):
    x = _draws(n, p)
    mean, var = n * p, n * p * (1 - p)
    # the sample mean has standard error sqrt(var / N); the sample variance, for a nearly normal
    # count, var * sqrt(2 / (N - 1)) (the binomial's excess kurtosis, under 0.2 here, adds little)
    assert abs(x.mean() - mean) < 4 * math.sqrt(var / DRAWS), "mean"
    assert abs(x.var(ddof=1) - var) < 5 * var * math.sqrt(2 / (DRAWS - 1)), "variance"
    assert x.min() >= 0 and x.max() <= n


def _chi_square_p(x, n, p):
    """Chi-square goodness of fit against the exact pmf, bins with fewer than 20 expected merged into
    the tails."""
    values = np.arange(n + 1)
    expected = stats.binom.pmf(values, n, p) * x.size
    observed = np.bincount(x, minlength=n + 1).astype(float)
    lo = np.argmax(np.cumsum(expected) >= 20)
    hi = n - np.argmax(np.cumsum(expected[::-1]) >= 20)
    obs = np.concatenate([[observed[: lo + 1].sum()], observed[lo + 1 : hi], [observed[hi:].sum()]])
    exp = np.concatenate([[expected[: lo + 1].sum()], expected[lo + 1 : hi], [expected[hi:].sum()]])
    exp *= obs.sum() / exp.sum()
    return stats.chisquare(obs, exp).pvalue


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (20, 0.3),  # inversion
        (99, 0.1),  # inversion at its largest mean
        (100, 0.1),  # BTRD at its smallest mean, where most draws need a second candidate
        (24, 0.5),  # BTRD at p = 1/2
        (60, 0.8),  # BTRD on the complement
        (1_000, 0.2),  # BTRD
        (400, 0.75),  # BTRD on the complement
        (200_000, 0.02),  # BTRD with a wide hat: the squeeze and Stirling's series decide off the centre
    ],
)
def test_binomial_distribution(n, p):
    # fixed keys: a correct sampler fails this only if this one key set is a 1-in-10,000 outlier
    assert _chi_square_p(_draws(n, p), n, p) > 1e-4


@njit
def _btrd_acceptance(n, p, count, key):
    """Share of BTRD's candidates accepted: the centre's at once, and the others' after their test."""
    b, a, vr = keyed_random.btrd_shape(n, p)
    accepted = 0
    for i in range(count):
        k = keyed_random.draw_key(key, i, 0, 0)
        v, w = keyed_random.uniform_at(k, 1), keyed_random.uniform_at(k, 2)
        if v <= 0.86 * vr:
            accepted += 1
        else:
            accepted += keyed_random.btrd_attempt(n, p, b, a, vr, v, w)[1]
    return accepted / count


@pytest.mark.parametrize("mean", [10.0, 14.0, 30.0, 300.0, 1e4, 1e9])
@pytest.mark.parametrize("p", [0.5, 0.1, 1e-6])
def test_btrd_accepts_most_candidates(mean, p):
    """Each candidate is accepted with probability above 0.65 (what bounds the work of a draw: 64
    rejections in a row then have a chance below 0.35**64); the lowest, 0.71, is at n p = 10 and
    p = 1/2. 50,000 candidates estimate the rate within 0.01 (4 SE)."""
    n = math.ceil(mean / p)
    rate = _btrd_acceptance(n, p, 50_000, KEY)
    assert rate > 0.65 + 0.01, f"BTRD accepted {rate:.3f} of its candidates for n = {n}, p = {p}"


def _exact_log_ratios(n, p, m, offsets):
    """log(f(m + d) / f(m)) for Binomial(n, p), summed term by term (exact to rounding for any n)."""
    q = 1.0 - p
    out = []
    for d in offsets:
        if d >= 0:
            i = np.arange(1, d + 1, dtype=float)
            out.append(np.sum(np.log((n - m - i + 1) * p) - np.log((m + i) * q)))
        else:
            i = np.arange(0, -d, dtype=float)
            out.append(-np.sum(np.log((n - m + i + 1) * p) - np.log((m - i) * q)))
    return np.array(out)


@njit
def _log_ratio_and_squeeze(n, p, m, offsets):
    out = np.empty((offsets.size, 3))
    npq = n * p * (1.0 - p)
    fc_m = keyed_random._fc(m) + keyed_random._fc(n - m)
    for j in range(offsets.size):
        k = m + offsets[j]
        km = abs(offsets[j])
        out[j, 0] = keyed_random.btrd_log_ratio(n, m, k, p / (1.0 - p), fc_m)
        out[j, 1] = -km * km / (2.0 * npq)
        out[j, 2] = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5)
    return out


@pytest.mark.parametrize(
    ("n", "p"), [(20, 0.5), (100, 0.1), (1_000, 0.3), (40_000, 0.01), (10**7, 0.003), (10**12, 1e-9)]
)
def test_btrd_tests_its_candidates_against_the_exact_pmf(n, p):
    """The log-ratio by Stirling's series matches the pmf's, and the squeeze's bounds t +- rho contain
    it wherever the squeeze is used (|k - m| < n p q / 2 - 1)."""
    m = math.floor((n + 1) * p)
    npq = n * p * (1 - p)
    reach = int(min(8 * math.sqrt(npq) + 20, m, n - m))  # the hat's candidates lie within about 8 sd
    near = min(reach, 400)
    offsets = np.unique(np.r_[np.arange(-near, near + 1), np.linspace(-reach, reach, 101)]).astype(np.int64)
    exact = _exact_log_ratios(float(n), p, float(m), offsets)
    got = _log_ratio_and_squeeze(n, p, m, offsets)
    # rounding in the exact sums grows with the number of terms; 1e-9 of |log ratio| + 1e-9 covers it
    assert np.allclose(got[:, 0], exact, rtol=1e-9, atol=1e-9), "Stirling's log-ratio"
    used = np.abs(offsets) < npq / 2 - 1
    tol = 1e-9 * (1 + np.abs(exact[used]))
    assert np.all(exact[used] >= got[used, 1] - got[used, 2] - tol), "squeeze's lower bound"
    assert np.all(exact[used] <= got[used, 1] + got[used, 2] + tol), "squeeze's upper bound"


@njit
def _centres(n, p, count):
    b, a, vr = keyed_random.btrd_shape(n, p)
    out = np.empty(count, dtype=np.int64)
    for i in range(count):
        out[i] = keyed_random.btrd_centre(n, p, b, a, vr, 0.86 * vr * i / (count - 1))
    return out


@pytest.mark.parametrize(("n", "p"), [(20, 0.5), (100, 0.1), (10**9, 1e-8), (2**62, 0.5), (11, 0.95)])
def test_btrd_centre_stays_inside_the_support(n, p):
    """A uniform accepted at once always gives a count in [0, n], so it needs no check."""
    r = min(p, 1 - p)
    x = _centres(n, r, 10_001)
    if n * r >= keyed_random.INVERSION_BELOW:
        assert x.min() >= 0 and x.max() <= n, f"centre of BTRD outside [0, {n}]: {x.min()}..{x.max()}"


def test_binomial_edges():
    key = keyed_random.draw_key(KEY, 0, 0, 0)
    assert keyed_random.binomial(key, 0, 0.5) == 0
    assert keyed_random.binomial(key, 100, 0.0) == 0
    assert keyed_random.binomial(key, 100, 1.0) == 100
    assert keyed_random.binomial(key, 5, 1e-12) == 0
    assert keyed_random.binomial(key, 5, float("nan")) == 0, "a NaN probability must not send BTRD into a loop"


def test_same_key_same_draw_and_neighbours_independent():
    a, b = _draws(500, 0.1), _draws(500, 0.1)
    assert np.array_equal(a, b), "a key always gives the same variate"
    other = _draws(500, 0.1, key=np.uint64(stream_key(12, "churn")))
    assert not np.array_equal(a, other)
    # draws keyed by neighbouring runs, and by two seeds, are uncorrelated: |r| < 4 / sqrt(N)
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 4 / math.sqrt(DRAWS)
    assert abs(np.corrcoef(a, other)[0, 1]) < 4 / math.sqrt(DRAWS)


def test_nearby_probabilities_stay_coupled():
    """The same key under a slightly higher p gives a count at least as large almost always."""
    low, high = _draws(20, 0.30), _draws(20, 0.31)
    assert np.mean(high >= low) > 0.99, "inversion is monotone in p for a given uniform"
    low, high = _draws(2_000, 0.200), _draws(2_000, 0.201)
    assert np.mean(np.abs(high - low) <= 3) > 0.9, "BTRD mostly accepts its first uniform's count in both"
    assert np.mean(high >= low) > 0.95, "and that count rises with p"


def test_gauss_rules_match_the_jacobi_matrix():
    rng = np.random.default_rng(5)
    k, rows = 16, 50
    alpha = rng.uniform(0.05, 0.5, (rows, k))
    beta = rng.uniform(0.01, 0.2, (rows, k - 1))
    nodes, weights = quadrature.gauss_rules(alpha, beta)
    for i in range(rows):
        jac = np.diag(alpha[i]) + np.diag(beta[i], 1) + np.diag(beta[i], -1)
        vals, vecs = np.linalg.eigh(jac)
        assert np.allclose(nodes[i], vals, rtol=0, atol=1e-13), "eigenvalues"
        # Golub-Welsch: weights are the squared first components of the normalised eigenvectors
        assert np.allclose(weights[i], vecs[0] ** 2, rtol=1e-9, atol=1e-14), "weights"


def test_results_do_not_depend_on_blocks_or_run_count(monkeypatch):
    scenario = load_preset(DEFAULT_PRESET)
    monkeypatch.setattr(parallel, "workers", lambda: 1)
    one_block = simulate(scenario, runs=300, seed=4)
    monkeypatch.setattr(parallel, "workers", lambda: 5)
    monkeypatch.setattr(parallel, "MIN_BLOCK", 7)
    five_blocks = simulate(scenario, runs=300, seed=4)
    for name, path in one_block.paths.items():
        assert np.array_equal(path, five_blocks.paths[name]), name
    assert np.array_equal(one_block.output.residual_value, five_blocks.output.residual_value)
    fewer = simulate(scenario, runs=120, seed=4)
    assert np.array_equal(fewer.paths["revenue"], one_block.paths["revenue"][:120]), "more runs keep earlier runs"
