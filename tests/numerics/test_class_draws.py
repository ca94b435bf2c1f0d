"""Keyed draws for latent classes: the same variates as the keyed sampler, and exact allocations."""

import numpy as np
import pytest
from numba import njit
from scipy import stats

from simulation.model.assumptions import stream_key
from simulation.numerics import keyed_random
from simulation.numerics.class_draws import (
    ALIAS,
    ALIAS_PROBABILITY,
    CHANCE_ROWS,
    CLASS,
    DRAW_ROWS,
    DRAWN,
    FEW_PICKS,
    ORDER,
    PROBABILITY,
    TRIALS,
    WEIGHT,
    alias_tables,
    binomial_in,
    class_binomials,
    multinomial_in,
    spread_over_members,
    sub_key,
)

KEY = np.uint64(stream_key(5, "churn"))


@njit
def _pairs(source, n, p, count):
    out = np.empty((count, 2), dtype=np.int64)
    for i in range(count):
        key = sub_key(keyed_random.draw_key(source, i, 1, 0), i % 7)
        out[i, 0] = keyed_random.binomial(key, n, p)
        out[i, 1] = binomial_in(key, n, p)
    return out


@pytest.mark.parametrize(("n", "p"), [(1, 0.3), (3, 0.2), (40, 0.01), (200, 0.004), (60, 0.9), (5000, 0.02)])
def test_class_sampler_gives_the_keyed_samplers_variate(n, p):
    draws = _pairs(KEY, n, p, 50_000)
    assert np.array_equal(draws[:, 0], draws[:, 1]), "binomial_in, inlined where it is called, is the keyed sampler"


@njit
def _batched_and_alone(source, n, p, segments):
    """Each segment's class draws made together by class_binomials, and one by one by binomial_in."""
    count = n.size
    together = np.empty((segments, count), dtype=np.int64)
    alone = np.empty((segments, count), dtype=np.int64)
    draws = np.empty((DRAW_ROWS, count), dtype=np.int64)
    chances = np.empty((CHANCE_ROWS, count))
    for s in range(segments):
        segment_key = keyed_random.draw_key(source, s, 3, 1)
        for i in range(count):
            draws[CLASS, i] = 2 * i + 1  # any class indices
            draws[TRIALS, i] = n[i]
            chances[PROBABILITY, i] = p[i]
        class_binomials(segment_key, draws, chances, count)
        for i in range(count):
            together[s, i] = draws[DRAWN, i]
            alone[s, i] = binomial_in(sub_key(segment_key, 2 * i + 1), n[i], p[i])
    return together, alone


def test_class_draws_made_together_are_the_draws_made_alone():
    """Every kind of draw, mixed as a segment's classes mix them: empty classes, a NaN or certain
    probability, sure 0s, inversion within and beyond its first steps, BTRD at its centre and off
    it, and complements of each."""
    n = np.array(
        [0, 5, 7, 12, 1, 40, 300, 99, 100, 1000, 25, 60, 2_000_000, 10**12, 3, 80, 500, 64, 9, 20, 4000, 17],
        dtype=np.int64,
    )
    p = np.array(
        [
            0.3,
            float("nan"),
            1.0,
            0.0,
            0.001,
            0.05,
            0.01,
            0.1,
            0.1,
            0.2,
            0.9,
            0.97,
            0.003,
            1e-9,
            0.5,
            0.45,
            0.6,
            0.5,
            0.99,
            0.6,
            0.999,
            0.35,
        ]
    )
    together, alone = _batched_and_alone(KEY, n, p, 20_000)
    assert np.array_equal(together, alone), "class_binomials gives each class the variate its key gives alone"
    assert together[:, 1].max() == 0 and np.all(together[:, 2] == 7), "NaN gives 0, certainty gives n"


@njit
def _multinomials(source, total, reals, ints, count):
    out = np.empty((count, reals.shape[-1]), dtype=np.int64)
    for i in range(count):
        multinomial_in(keyed_random.draw_key(source, i, 1, 0), total, reals, ints, 0, 0, out[i])
    return out


def _alias(weights):
    prob, alias = np.empty_like(weights), np.empty(weights.shape, dtype=np.int64)
    alias_tables(weights, prob, alias)
    return prob, alias


def _tables(weights):
    """One run and segment's placement tables (runs, segments, 2, classes), as the engine builds them."""
    reals = np.empty((1, 1, 2, weights.size))
    ints = np.empty((1, 1, 2, weights.size), dtype=np.int64)
    reals[0, 0, WEIGHT], ints[0, 0, ORDER] = weights, np.argsort(-weights, kind="stable")
    reals[0, 0, ALIAS_PROBABILITY], ints[0, 0, ALIAS] = _alias(weights)
    return reals, ints


@pytest.mark.parametrize(
    "weights",
    [
        np.array([0.05, 0.5, 0.3, 0.1, 0.04, 0.01]),
        np.array([0.3, 0.27, 0.2, 0.13, 0.065, 0.028, 0.01, 0.003, 6e-4, 1e-4, 1.6e-5, 1.4e-6, 0.0, 0.0, 0.0, 0.0]),
        np.array([1.0, 0.0, 0.0]),
    ],
)
def test_alias_tables_give_each_class_its_weight(weights):
    weights = weights / weights.sum()
    prob, alias = _alias(weights)
    K = weights.size
    implied = prob / K
    np.add.at(implied, alias, (1 - prob) / K)
    assert np.allclose(implied, weights, rtol=0, atol=1e-15), f"alias tables give {implied}, not {weights}"


@pytest.mark.parametrize("total", [7, FEW_PICKS, FEW_PICKS + 1, 5000])
def test_multinomial_allocation_is_multinomial(total):
    """Member by member (up to FEW_PICKS) or by conditional Binomials (above): each class's count is
    Binomial(total, w_k). Its mean is checked against the sample's SE, its variance against the SE
    of a sample variance, var * sqrt(2 / (n - 1) + kurtosis / n), the Binomial's excess kurtosis
    being (1 - 6 w (1 - w)) / var; 4.5 SE over 12 checks keeps a false failure below 1e-4."""
    weights = np.array([0.05, 0.5, 0.3, 0.1, 0.04, 0.01])
    draws = _multinomials(KEY, total, *_tables(weights), 20_000)
    assert np.all(draws.sum(1) == total), "every member is placed once"
    for k, w in enumerate(weights):
        dist = stats.binom(total, w)
        x = draws[:, k]
        # mean and variance of a class's count against the Binomial's, at 4.5 SE each
        se_mean = np.sqrt(dist.var() / x.size)
        assert abs(x.mean() - dist.mean()) <= 4.5 * se_mean, f"class {k}: mean {x.mean():.3f} vs {dist.mean():.3f}"
        se_var = dist.var() * np.sqrt(2 / (x.size - 1) + (1 - 6 * w * (1 - w)) / (dist.var() * x.size))
        assert abs(x.var(ddof=1) - dist.var()) <= 4.5 * se_var, f"class {k}: variance {x.var():.3f} vs {dist.var():.3f}"


def test_members_placed_one_by_one_follow_the_multinomial_pmf():
    """Chi-square of the joint counts of 4 members over 3 classes (15 outcomes) against the
    multinomial pmf; fixed keys, so a correct sampler fails only for a 1-in-10,000 key set."""
    weights = np.array([0.6, 0.3, 0.1])
    draws = _multinomials(KEY, 4, *_tables(weights), 40_000)
    outcomes, observed = np.unique(draws, axis=0, return_counts=True)
    expected = np.array([stats.multinomial.pmf(o, 4, weights) for o in outcomes]) * draws.shape[0]
    assert outcomes.shape[0] == 15, "every outcome occurs"
    assert stats.chisquare(observed, expected).pvalue > 1e-4


@njit
def _spreads(key, picks, counts, count):
    out = np.empty((count, counts.size), dtype=np.int64)
    for i in range(count):
        spread_over_members(keyed_random.draw_key(key, i, 0, 0), picks, counts[None, :], 0, counts.size, out[i])
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
