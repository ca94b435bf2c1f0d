"""Keyed Binomial sampler, Gauss rules, and blocks of runs on the shared pool."""

import math

import numpy as np
import pytest
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
        (1_000, 0.2),  # BTPE
        (400, 0.75),  # BTPE on the complement
        (10_000_000, 0.003),  # BTPE far from the mode's neighbourhood
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


@pytest.mark.parametrize(("n", "p"), [(20, 0.3), (1_000, 0.2), (400, 0.75)])
def test_binomial_distribution(n, p):
    """Chi-square goodness of fit against the exact pmf, bins with fewer than 20 expected merged."""
    x = _draws(n, p)
    values = np.arange(n + 1)
    expected = stats.binom.pmf(values, n, p) * DRAWS
    observed = np.bincount(x, minlength=n + 1).astype(float)
    lo = np.argmax(np.cumsum(expected) >= 20)
    hi = n - np.argmax(np.cumsum(expected[::-1]) >= 20)
    obs = np.concatenate([[observed[: lo + 1].sum()], observed[lo + 1 : hi], [observed[hi:].sum()]])
    exp = np.concatenate([[expected[: lo + 1].sum()], expected[lo + 1 : hi], [expected[hi:].sum()]])
    exp *= obs.sum() / exp.sum()
    # fixed seed: a correct sampler fails this only if this one key set is a 1-in-10,000 outlier
    assert stats.chisquare(obs, exp).pvalue > 1e-4


def test_binomial_edges():
    key = keyed_random.draw_key(KEY, 0, 0, 0)
    assert keyed_random.binomial(key, 0, 0.5) == 0
    assert keyed_random.binomial(key, 100, 0.0) == 0
    assert keyed_random.binomial(key, 100, 1.0) == 100
    assert keyed_random.binomial(key, 5, 1e-12) == 0
    assert keyed_random.binomial(key, 5, float("nan")) == 0, "a NaN probability must not send BTPE into a loop"


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
    assert np.mean(np.abs(high - low) <= 3) > 0.9, "BTPE mostly accepts its first candidate in both"


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
