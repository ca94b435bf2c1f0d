"""Keyed draws for latent classes: one Binomial per class, and multinomial allocations.

A class's draw is keyed by its source, run, period, segment and class index, so it never
depends on how many uniforms another class's draw used: two budgets on the same seed give
the same class the same uniforms (common random numbers), and a run's draws do not depend on
how the runs are split between threads.

:func:`binomial_in` (defined in :mod:`simulation.numerics.keyed_random`, where
:func:`~simulation.numerics.keyed_random.binomial` is built on it) takes the generator's
one-word state from the caller, so that a loop drawing millions of small counts does not
allocate a state array per draw.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .keyed_random import _mix, _uniform, binomial_in, draw_key

# Members up to which a multinomial allocation is drawn member by member (one uniform each).
FEW_PICKS = 64


@njit(inline="always")
def sub_key(segment_key, cls):
    """The key of class ``cls``'s draw, from the key of its segment's draw (:func:`draw_key`)."""
    return _mix(segment_key + np.uint64(cls + 1))


@njit(inline="always")
def class_key(source_key, run, period, segment, cls):
    """The key of one class's draw: the segment's key (:func:`draw_key`) hashed with the class index."""
    return sub_key(draw_key(source_key, run, period, segment), cls)


@njit(cache=True)
def multinomial_in(state, source_key, run, period, segment, total, weights, order, out):
    """Write into ``out`` a Multinomial(``total``, ``weights``) allocation to classes.

    Up to :data:`FEW_PICKS` members, each picks a class with probability ``w_k`` (one uniform,
    classes scanned in ``order``, by falling weight, so the scan is short); above it, sequential
    conditional Binomials in ``order``: class ``k`` receives Binomial(left, w_k / weight left),
    the last class what remains, each class's draw keyed by its own index (the allocation
    usually ends, with nothing left to share, before the rarest classes). Both are exact.
    ``out`` is overwritten.
    """
    for i in range(out.size):
        out[i] = 0
    segment_key = draw_key(source_key, run, period, segment)
    if total <= FEW_PICKS:
        state[0] = segment_key
        last = order.size - 1
        for _ in range(total):
            u = _uniform(state)
            i = 0
            while i < last and u >= weights[order[i]]:
                u -= weights[order[i]]
                i += 1
            out[order[i]] += 1
        return
    left = total
    weight_left = 1.0
    last = order.size - 1
    for i in range(order.size):
        if left <= 0:
            break
        k = order[i]
        w = weights[k]
        if i == last or w >= weight_left:
            out[k] = left
            break
        x = binomial_in(state, sub_key(segment_key, k), left, w / weight_left)
        out[k] = x
        left -= x
        weight_left -= w


@njit(cache=True)
def spread_over_members(state, key, picks, counts, size, taken):
    """Write into ``taken[:size]`` where ``picks`` members chosen at random without replacement fall.

    ``counts[:size]`` holds the members of each class (it is not changed); each pick takes one
    member uniformly from those not yet picked, using the uniforms that start at ``key``. So
    the allocation is multivariate hypergeometric: given a total of Binomial(sum counts, p)
    events that strike every member alike, this is exactly how they fall across classes.
    Cost: ``picks`` uniforms and scans of the classes.
    """
    left = 0
    for j in range(size):
        taken[j] = 0
        left += counts[j]
    if picks <= 0 or left <= 0:
        return
    state[0] = key
    for _ in range(min(picks, left)):
        target = min(int(_uniform(state) * left), left - 1)
        j = 0
        while True:
            free = counts[j] - taken[j]
            if target < free:
                break
            target -= free
            j += 1
        taken[j] += 1
        left -= 1
