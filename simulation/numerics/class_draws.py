"""Keyed draws for latent classes: one Binomial per class, and multinomial allocations.

A class's draw is keyed by its source, run, period, segment and class index, so it never
depends on how many uniforms another class's draw used: two budgets on the same seed give
the same class the same uniforms (common random numbers), and a run's draws do not depend on
how the runs are split between threads.

A segment's draws of one kind (its classes' churners, their upsells, the won-back customers of
each lapsed class) are made together by :func:`class_binomials`, in passes that let the work of
one draw overlap with the next's; each class still gets exactly the variate its key gives alone
(:func:`binomial_in`, defined in :mod:`simulation.numerics.keyed_random`). Uniforms are read by
their place in a draw's sequence (:func:`~simulation.numerics.keyed_random.uniform_at`), so no
generator state passes between functions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .keyed_random import (
    INVERSION_BELOW,
    _mix,
    binomial_in,
    binomial_rest,
    btrd_attempt,
    btrd_centre,
    btrd_rest,
    btrd_shape,
    draw_key,
    first_uniform,
    inversion_start,
    surely_zero,
    uniform_at,
)

# Members up to which a multinomial allocation is drawn member by member (one uniform each).
FEW_PICKS = 64
# Rows of a cohort's placement tables (multinomial_in): class weights and alias probabilities in
# one float array, classes by falling weight and aliases in one integer array.
WEIGHT, ALIAS_PROBABILITY = range(2)
ORDER, ALIAS = range(2)
# Rows of class_binomials' two arrays: its inputs and variates, then scratch space. Rows are
# indexed in place (a view of a row costs two atomic updates of the array's reference count).
CLASS, TRIALS, DRAWN, _PENDING, _STAGE = range(5)
PROBABILITY, _UNIFORM, _PX, _CDF, _RATIO_S, _RATIO_A = range(6)
DRAW_ROWS, CHANCE_ROWS = 5, 6
# Steps of inversion taken for all of a segment's small class draws at once (below the bound of
# inversion's restarts, which is at least 10); a count beyond them is finished draw by draw.
FIRST_STEPS = 8


@njit(inline="always")
def sub_key(segment_key, cls):
    """The key of class ``cls``'s draw, from the key of its segment's draw (:func:`draw_key`)."""
    return _mix(segment_key + np.uint64(cls + 1))


@njit(inline="always")
def class_key(source_key, run, period, segment, cls):
    """The key of one class's draw: the segment's key (:func:`draw_key`) hashed with the class index."""
    return sub_key(draw_key(source_key, run, period, segment), cls)


@njit(cache=True, error_model="numpy")
def alias_tables(weights, prob, alias):
    """Fill ``prob`` and ``alias`` with Walker's alias tables of each row of ``weights`` (rows sum to 1).

    A uniform ``u`` then picks column ``i = floor(u K)``, or ``alias[i]`` when the rest of ``u K``
    is at least ``prob[i]``: column ``j`` with probability ``weights[j]``, in one step (Vose's
    construction, which keeps the tables exact to rounding).
    """
    K = weights.shape[-1]
    flat_w = weights.reshape(-1, K)
    flat_p = prob.reshape(-1, K)
    flat_a = alias.reshape(-1, K)
    scaled = np.empty(K)
    small = np.empty(K, dtype=np.int64)
    large = np.empty(K, dtype=np.int64)
    for row in range(flat_w.shape[0]):
        ns = 0
        nl = 0
        for i in range(K):
            scaled[i] = flat_w[row, i] * K
            flat_a[row, i] = i
            if scaled[i] < 1.0:
                small[ns] = i
                ns += 1
            else:
                large[nl] = i
                nl += 1
        while ns > 0 and nl > 0:
            ns -= 1
            lo = small[ns]
            hi = large[nl - 1]
            flat_p[row, lo] = scaled[lo]
            flat_a[row, lo] = hi
            scaled[hi] = (scaled[hi] + scaled[lo]) - 1.0
            if scaled[hi] < 1.0:
                nl -= 1
                small[ns] = hi
                ns += 1
        for j in range(ns):
            flat_p[row, small[j]] = 1.0
        for j in range(nl):
            flat_p[row, large[j]] = 1.0


@njit(inline="always")
def multinomial_in(segment_key, total, reals, ints, r, s, out):
    """Write into ``out`` a Multinomial(``total``, ``reals[r, s, WEIGHT]``) allocation to classes, drawn
    from the uniforms of ``segment_key`` (:func:`draw_key` of the allocation's source, run, period
    and segment).

    Up to :data:`FEW_PICKS` members, each picks a class with probability ``w_k`` by one uniform
    and the alias tables ``reals[r, s, ALIAS_PROBABILITY]`` and ``ints[r, s, ALIAS]``
    (:func:`alias_tables`); above it, sequential conditional Binomials in the order of falling
    weight ``ints[r, s, ORDER]``: class ``k`` receives Binomial(left, w_k / weight left), the last
    class what remains, each class's draw keyed by its own index (the allocation usually ends,
    with nothing left to share, before the rarest classes). Both are exact. ``out`` is overwritten.
    """
    K = out.size
    for i in range(K):
        out[i] = 0
    if total <= FEW_PICKS:
        for m in range(total):
            x = uniform_at(segment_key, m + 1) * K
            i = min(int(x), K - 1)
            out[i if x - i < reals[r, s, ALIAS_PROBABILITY, i] else ints[r, s, ALIAS, i]] += 1
    else:
        _conditional_binomials(segment_key, total, reals, ints, r, s, out)


@njit(cache=True, error_model="numpy")
def _conditional_binomials(segment_key, total, reals, ints, r, s, out):
    left = total
    weight_left = 1.0
    last = out.size - 1
    for i in range(out.size):
        if left <= 0:
            break
        k = ints[r, s, ORDER, i]
        w = reals[r, s, WEIGHT, k]
        if i == last or w >= weight_left:
            out[k] = left
            break
        x = binomial_in(sub_key(segment_key, k), left, w / weight_left)
        out[k] = x
        left -= x
        weight_left -= w


@njit(cache=True, error_model="numpy")
def spread_over_members(key, picks, counts, row, size, taken):
    """Write into ``taken[:size]`` where ``picks`` members chosen at random without replacement fall.

    ``counts[row, :size]`` holds the members of each class (it is not changed); each pick takes one
    member uniformly from those not yet picked, using the uniforms that start at ``key``. So
    the allocation is multivariate hypergeometric: given a total of Binomial(sum counts, p)
    events that strike every member alike, this is exactly how they fall across classes.
    Cost: ``picks`` uniforms and scans of the classes.
    """
    left = 0
    for j in range(size):
        taken[j] = 0
        left += counts[row, j]
    if picks <= 0 or left <= 0:
        return
    for m in range(min(picks, left)):
        target = min(int(uniform_at(key, m + 1) * left), left - 1)
        j = 0
        while True:
            free = counts[row, j] - taken[j]
            if target < free:
                break
            target -= free
            j += 1
        taken[j] += 1
        left -= 1


@njit(cache=True, error_model="numpy")
def class_binomials(segment_key, draws, chances, count):
    """Draw, for each ``i < count``, one Binomial(``draws[TRIALS, i]``, ``chances[PROBABILITY, i]``)
    into ``draws[DRAWN, i]``, keyed by :func:`sub_key` of ``segment_key`` and ``draws[CLASS, i]``:
    the variates :func:`binomial_in` gives for those keys.

    The draws are independent, so they are made in passes, each over the draws of one kind, rather
    than one after the other. The first, branch-free over all draws, takes each draw's first
    uniform and settles the sure 0s and the draws whose uniform falls in the centre of BTRD's hat;
    the second takes the first :data:`FIRST_STEPS` steps of inversion for every small draw left,
    all draws in step; the third makes BTRD's next candidate for every large draw left; the few
    draws still open are finished one by one. The passes give exactly the variates of the draw made
    alone. ``draws`` (int64, :data:`DRAW_ROWS` rows) and ``chances`` (float64, :data:`CHANCE_ROWS`
    rows) hold the inputs, the variates and scratch space, each row at least ``count`` long (two
    arrays rather than one per row: each array passed to a compiled function costs two atomic
    updates of its reference count).
    """
    for i in range(count):  # no branch: every draw, its uniform, its sure answer or what it waits for
        ni = draws[TRIALS, i]
        pi = chances[PROBABILITY, i]
        u = first_uniform(sub_key(segment_key, draws[CLASS, i]))
        chances[_UNIFORM, i] = u
        r = min(pi, 1.0 - pi)
        nf = np.float64(ni)
        mean = nf * r
        small = mean < INVERSION_BELOW
        nb = 40.0 if small else nf  # any draw that does not use BTRD gets a harmless hat (mean 10)
        rb = 0.25 if small else r
        b, a, vr = btrd_shape(nb, rb)
        x = 0.0 if small else np.float64(btrd_centre(nb, rb, b, a, vr, u))
        settled = surely_zero(u, mean) if small else u <= 0.86 * vr
        x = nf - x if pi > 0.5 else x
        empty = ni <= 0 or not pi > 0.0
        full = pi >= 1.0
        x = nf if full else x
        draws[DRAWN, i] = np.int64(0.0 if empty else x)
        draws[_STAGE, i] = 0 if (settled or empty or full) else (1 if small else 2)
    small = 0
    big = count
    for i in range(count):
        if draws[_STAGE, i] == 1:
            draws[_PENDING, small] = i
            small += 1
        elif draws[_STAGE, i] == 2:
            big -= 1
            draws[_PENDING, big] = i
    # inversion's first steps for the small draws, in step: x counts the cumulative probabilities below u
    for j in range(small):
        i = draws[_PENDING, j]
        pi = chances[PROBABILITY, i]
        qn, ratio_s, ratio_a = inversion_start(draws[TRIALS, i], min(pi, 1.0 - pi))
        chances[_RATIO_S, j] = ratio_s
        chances[_RATIO_A, j] = ratio_a
        chances[_PX, j] = qn
        chances[_CDF, j] = qn
        draws[_STAGE, j] = 1 if chances[_UNIFORM, i] > qn else 0
    for k in range(1, FIRST_STEPS):
        for j in range(small):
            chances[_PX, j] *= chances[_RATIO_A, j] / k - chances[_RATIO_S, j]
            chances[_CDF, j] += chances[_PX, j]
            draws[_STAGE, j] += 1 if chances[_UNIFORM, draws[_PENDING, j]] > chances[_CDF, j] else 0
    left = 0
    for j in range(small):
        i = draws[_PENDING, j]
        ni = draws[TRIALS, i]
        x = draws[_STAGE, j]
        if x < FIRST_STEPS and x <= ni:
            draws[DRAWN, i] = ni - x if chances[PROBABILITY, i] > 0.5 else x
        else:
            draws[_PENDING, left] = i
            left += 1
    small_left = left
    # BTRD's second uniform and the candidate it makes, for the large draws off the centre
    for j in range(big, count):
        i = draws[_PENDING, j]
        ni = draws[TRIALS, i]
        pi = chances[PROBABILITY, i]
        r = min(pi, 1.0 - pi)
        b, a, vr = btrd_shape(ni, r)
        w = uniform_at(sub_key(segment_key, draws[CLASS, i]), 2)
        k, accepted = btrd_attempt(ni, r, b, a, vr, chances[_UNIFORM, i], w)
        if accepted:
            draws[DRAWN, i] = ni - k if pi > 0.5 else k
        else:
            draws[_PENDING, left] = i
            left += 1
    for j in range(left):
        i = draws[_PENDING, j]
        ni = draws[TRIALS, i]
        pi = chances[PROBABILITY, i]
        key = sub_key(segment_key, draws[CLASS, i])
        if j < small_left:
            draws[DRAWN, i] = binomial_rest(key, ni, pi, chances[_UNIFORM, i])
        else:
            k = btrd_rest(key, ni, min(pi, 1.0 - pi), 0.0, 1)
            draws[DRAWN, i] = ni - k if pi > 0.5 else k
