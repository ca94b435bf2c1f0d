"""Keyed draws for latent classes: the same variates as the keyed sampler, and exact allocations."""

import numpy as np
import pytest
from numba import njit
from scipy import stats

from simulation.model.assumptions import stream_key
from simulation.numerics import keyed_random
from simulation.numerics.class_draws import binomial_in, multinomial_in, spread_over_members, sub_key

KEY = np.uint64(stream_key(5, "churn"))


@njit
def _pairs(source, n, p, count):
    out = np.empty((count, 2), dtype=np.int64)
    state = np.empty(1, dtype=np.uint64)
    for i in range(count):
        key = sub_key(keyed_random.draw_key(source, i, 1, 0), i % 7)
        out[i, 0] = keyed_random.binomial(key, n, p)
        out[i, 1] = binomial_in(state, key, n, p)
    return out


@pytest.mark.parametrize(("n", "p"), [(1, 0.3), (3, 0.2), (40, 0.01), (200, 0.004), (60, 0.9), (5000, 0.02)])
def test_class_sampler_gives_the_keyed_samplers_variate(n, p):
    draws = _pairs(KEY, n, p, 50_000)
    assert np.array_equal(draws[:, 0], draws[:, 1]), "binomial_in is the keyed sampler with a caller's state"


@njit
def _multinomials(source, total, weights, order, count):
    out = np.empty((count, weights.size), dtype=np.int64)
    state = np.empty(1, dtype=np.uint64)
    for i in range(count):
        multinomial_in(state, source, i, 1, 0, total, weights, order, out[i])
    return out


@pytest.mark.parametrize("total", [7, 64, 65, 5000])
def test_multinomial_allocation_is_multinomial(total):
    """Member by member (up to 64) or by conditional Binomials (above): each class's count is
    Binomial(total, w_k). Its mean is checked against the sample's SE, its variance against the SE
    of a sample variance, var * sqrt(2 / (n - 1) + kurtosis / n), the Binomial's excess kurtosis
    being (1 - 6 w (1 - w)) / var; 4.5 SE over 12 checks keeps a false failure below 1e-4."""
    weights = np.array([0.05, 0.5, 0.3, 0.1, 0.04, 0.01])
    order = np.argsort(-weights, kind="stable").astype(np.int64)
    draws = _multinomials(KEY, total, weights, order, 20_000)
    assert np.all(draws.sum(1) == total), "every member is placed once"
    for k, w in enumerate(weights):
        dist = stats.binom(total, w)
        x = draws[:, k]
        # mean and variance of a class's count against the Binomial's, at 4.5 SE each
        se_mean = np.sqrt(dist.var() / x.size)
        assert abs(x.mean() - dist.mean()) <= 4.5 * se_mean, f"class {k}: mean {x.mean():.3f} vs {dist.mean():.3f}"
        se_var = dist.var() * np.sqrt(2 / (x.size - 1) + (1 - 6 * w * (1 - w)) / (dist.var() * x.size))
        assert abs(x.var(ddof=1) - dist.var()) <= 4.5 * se_var, f"class {k}: variance {x.var():.3f} vs {dist.var():.3f}"


@njit
def _spreads(key, picks, counts, count):
    out = np.empty((count, counts.size), dtype=np.int64)
    state = np.empty(1, dtype=np.uint64)
    for i in range(count):
        spread_over_members(state, keyed_random.draw_key(key, i, 0, 0), picks, counts, counts.size, out[i])
    return out


def test_spread_over_members_is_hypergeometric():
    counts = np.array([3, 0, 40, 7, 150], dtype=np.int64)
    picks = 12
    draws = _spreads(KEY, picks, counts, 20_000)
    assert np.all(draws.sum(1) == picks) and np.all(draws <= counts), "picks without replacement, within classes"
    assert np.all(draws[:, counts == 0] == 0), "an empty class is never picked"
    for k, c in enumerate(counts):
        if c == 0:
            continue
        dist = stats.hypergeom(counts.sum(), c, picks)
        x = draws[:, k]
        se = np.sqrt(dist.var() / x.size) if dist.var() > 0 else 0.0
        assert abs(x.mean() - dist.mean()) <= 4.5 * se + 1e-12, f"class {k}: mean {x.mean():.3f} vs {dist.mean():.3f}"
