"""Keyed (counter-based) random numbers and Binomial variates drawn from them.

Every draw has its own key (source, run, period, segment), hashed with the splitmix64
finaliser into the state of a short splitmix64 sequence. Two budgets run on the same seed
therefore use the same uniforms for the same draw, however many uniforms an earlier draw
consumed, which keeps common random numbers aligned for the whole horizon; and a run's draws
do not depend on how many runs there are or how the runs are split between threads.

Binomial variates use the algorithms NumPy uses (inversion below a mean of 30, BTPE of
Kachitvichyanukul & Schmeiser above), written against these uniforms.

References
----------
Kachitvichyanukul, V. and Schmeiser, B. W. (1988). Binomial random variate generation.
    Communications of the ACM 31(2), 216-222.
Steele, G. L., Lea, D. and Flood, C. H. (2014). Fast splittable pseudorandom number
    generators. OOPSLA 2014, 453-472.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
# Most restarts of inversion and most rejections of BTPE before a draw gives up and returns the
# count nearest the mean. Inversion restarts only when a uniform lands beyond ten standard
# deviations above the mean (probability below 1e-20), and BTPE accepts each candidate with
# probability above one half (Kachitvichyanukul & Schmeiser, 1988, table 2), so neither cap is
# reached by any draw with a chance above 2**-60; the caps bound the work of a draw whatever its
# arguments.
MAX_RESTARTS = 64
MAX_REJECTIONS = 64


@njit(inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always")
def draw_key(source_key, run, period, segment):
    """The state that starts the uniforms of one draw."""
    h = _mix(source_key + np.uint64(run))
    h = _mix(h + np.uint64(period))
    return _mix(h + np.uint64(segment))


@njit(inline="always")
def _uniform(state):
    state[0] += _GOLDEN
    return np.float64(_mix(state[0]) >> _S11) * _TO_UNIT


@njit(cache=True)
def _inversion(state, n, p):
    """Inversion for ``n p <= 30``: at most ``MAX_RESTARTS`` passes of at most ``bound + 1`` steps.

    ``log1p`` keeps ``(1 - p) ** n`` exact to rounding when ``p`` is below the spacing of doubles
    near 1; ``log(1 - p)`` there is off by up to a factor of two, which for ``n`` near 1e17 made
    every pass restart (all the probability beyond the bound) and the loop never end.
    """
    q = 1.0 - p
    qn = math.exp(n * math.log1p(-p))
    mean = n * p
    bound = min(n, mean + 10.0 * math.sqrt(mean * q + 1.0))
    x = 0
    px = qn
    u = _uniform(state)
    restarts = 0
    while u > px:
        x += 1
        if x > bound:
            restarts += 1
            if restarts > MAX_RESTARTS:
                return min(n, math.floor(mean + 0.5))
            x = 0
            px = qn
            u = _uniform(state)
        else:
            u -= px
            px = ((n - x + 1) * p * px) / (x * q)
    return x


@njit(cache=True)
def _stirling(x):
    x2 = x * x
    return (13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2) / x / 166320.0


@njit(cache=True)
def _btpe(state, n, r):
    """BTPE for ``r <= 0.5`` and ``n r > 30``, with at most ``MAX_REJECTIONS`` rejected candidates.

    Each candidate costs a bounded number of steps: the explicit ratio runs over ``|y - m|``
    terms only when ``|y - m| <= 20`` or ``|y - m| >= n r q / 2 - 1``; the tails reach at most
    ``p1 + 36.8 / lambda`` (about ``19 sqrt(n r q)``) from the mode for uniforms of 53 bits, so
    the second case needs ``n r q`` below about 1,500 and is at most that many terms.
    """
    q = 1.0 - r
    fm = n * r + r
    m = math.floor(fm)
    nrq = n * r * q
    p1 = math.floor(2.195 * math.sqrt(nrq) - 4.6 * q) + 0.5
    xm = m + 0.5
    xl = xm - p1
    xr = xm + p1
    c = 0.134 + 20.5 / (15.3 + m)
    a = (fm - xl) / (fm - xl * r)
    laml = a * (1.0 + a / 2.0)
    a = (xr - fm) / (xr * q)
    lamr = a * (1.0 + a / 2.0)
    p2 = p1 * (1.0 + 2.0 * c)
    p3 = p2 + c / laml
    p4 = p3 + c / lamr
    for _ in range(MAX_REJECTIONS + 1):
        u = _uniform(state) * p4
        v = _uniform(state)
        if u <= p1:  # triangular centre: accepted at once
            return math.floor(xm - p1 * v + u)
        if u <= p2:  # parallelograms
            x = xl + (u - p1) / c
            v = v * c + 1.0 - abs(m - x + 0.5) / p1
            if v > 1.0:
                continue
            y = math.floor(x)
        elif u <= p3:  # left exponential tail
            y = math.floor(xl + math.log(v) / laml)
            if y < 0 or v == 0.0:
                continue
            v = v * (u - p2) * laml
        else:  # right exponential tail
            y = math.floor(xr - math.log(v) / lamr)
            if y > n or v == 0.0:
                continue
            v = v * (u - p3) * lamr
        k = abs(y - m)
        if k <= 20 or k >= nrq / 2.0 - 1:
            # explicit ratio f(y) / f(m)
            s = r / q
            a = s * (n + 1)
            f = 1.0
            if m < y:
                for i in range(m + 1, y + 1):
                    f *= a / i - s
            elif m > y:
                for i in range(y + 1, m + 1):
                    f /= a / i - s
            if v <= f:
                return y
            continue
        # squeeze, then the Stirling bound on log f(y) / f(m)
        rho = (k / nrq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5)
        t = -k * k / (2.0 * nrq)
        big_a = math.log(v)
        if big_a < t - rho:
            return y
        if big_a > t + rho:
            continue
        x1 = y + 1.0
        f1 = m + 1.0
        z = n + 1.0 - m
        w = n - y + 1.0
        bound = (
            xm * math.log(f1 / x1)
            + (n - m + 0.5) * math.log(z / w)
            + (y - m) * math.log(w * r / (x1 * q))
            + _stirling(f1)
            + _stirling(z)
            - _stirling(x1)
            - _stirling(w)
        )
        if big_a <= bound:
            return y
    return m


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
def binomial(key, n, p):
    """One Binomial(n, p) variate from the uniforms that start at ``key`` (0 when p is not a number)."""
    return binomial_in(np.empty(1, dtype=np.uint64), key, n, p)


@njit(cache=True)
def binomial_array(source_key, n, p):
    """Binomial variates for arrays ``n`` and ``p``, element ``i`` keyed as run ``i``."""
    out = np.empty(n.size, dtype=np.int64)
    for i in range(n.size):
        out[i] = binomial(draw_key(source_key, i, 0, 0), n[i], p[i])
    return out
