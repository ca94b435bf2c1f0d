"""Keyed draws for latent classes: one Binomial per class, and multinomial allocations.

A class's draw is keyed by its source, run, period, segment and class index, so it never
depends on how many uniforms another class's draw used: two budgets on the same seed give
the same class the same uniforms (common random numbers), and a run's draws do not depend on
how the runs are split between threads.

:func:`binomial_in` is :func:`simulation.numerics.keyed_random.binomial` (the same algorithms,
the same variate for the same key) with the generator's one-word state supplied by the caller,
so that a loop drawing millions of small counts does not allocate a state array per draw.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .keyed_random import _btpe, _inversion, _mix, draw_key


@njit(inline="always")
def class_key(source_key, run, period, segment, cls):
    """The key of one class's draw: the segment's key (:func:`draw_key`) hashed with the class index."""
    return _mix(draw_key(source_key, run, period, segment) + np.uint64(cls + 1))


@njit(cache=True)
def binomial_in(state, key, n, p):
    """One Binomial(n, p) variate from the uniforms that start at ``key``, using ``state`` (a
    one-element uint64 array) as the generator's state; 0 when ``p`` is not a number."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    state[0] = key
    if p <= 0.5:
        if p * n <= 30.0:
            return _inversion(state, n, p)
        return _btpe(state, n, p)
    q = 1.0 - p
    if q * n <= 30.0:
        return n - _inversion(state, n, q)
    return n - _btpe(state, n, q)


@njit(cache=True)
def multinomial_in(state, source_key, run, period, segment, total, weights, order, out):
    """Write into ``out`` a Multinomial(``total``, ``weights``) allocation to classes.

    Drawn as sequential conditional Binomials in ``order`` (classes by falling weight, so that
    the allocation usually ends, with nothing left to share, before the rarest classes): class
    ``k`` receives Binomial(left, w_k / weight left), the last class what remains. Each class's
    draw is keyed by its own index. ``out`` is overwritten.
    """
    for i in range(out.size):
        out[i] = 0
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
        x = binomial_in(state, class_key(source_key, run, period, segment, k), left, w / weight_left)
        out[k] = x
        left -= x
        weight_left -= w
