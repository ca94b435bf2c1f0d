"""Keyed (counter-based) random numbers and Binomial variates drawn from them.

Every draw has its own key (source, run, period, segment), hashed with the splitmix64
finaliser into the state of a short splitmix64 sequence. Two budgets run on the same seed
therefore use the same uniforms for the same draw, however many uniforms an earlier draw
consumed, which keeps common random numbers aligned for the whole horizon; and a run's draws
do not depend on how many runs there are or how the runs are split between threads.

Binomial variates (of the rarer outcome, the other as its complement): inversion below a mean of
10 (a draw that is surely 0 is settled by its first uniform alone, without a logarithm), BTRD of
Hormann (1993) above, a transformed rejection whose first uniform settles most draws with a
square root and three divisions and no logarithm. Both are exact. For the same uniforms a
slightly higher probability gives the same or a slightly higher count (inversion always, BTRD
whenever its first uniform is accepted, most of the time), which keeps two budgets' draws coupled.
A draw's uniforms are read by their place in its sequence (:func:`uniform_at`), so no generator
state passes between functions, and a draw can be taken up again where another pass left it
(:func:`simulation.numerics.class_draws.class_binomials`).

References
----------
Hormann, W. (1993). The generation of binomial random variates. Journal of Statistical
    Computation and Simulation 46(1-2), 101-110.
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
# Most restarts of inversion and most rejections of BTRD before a draw gives up and returns the
# count nearest the mean. Inversion restarts only when a uniform lands beyond ten standard
# deviations above the mean (probability below 1e-20), and BTRD accepts each candidate with
# probability above 0.65 when n p >= 10 (tests/numerics measures it from n p = 10 to 1e9), so
# neither cap is reached by any draw with a chance above 2**-60; the caps bound the work of a
# draw whatever its arguments.
MAX_RESTARTS = 64
MAX_REJECTIONS = 64
# Means (of the rarer outcome) from which BTRD is used; it needs n p >= 10.
INVERSION_BELOW = 10.0
# Stirling corrections fc(k) = log(k!) - (k + 1/2) log(k + 1) + (k + 1) - log(2 pi) / 2 for k = 0..9;
# beyond, the series 1/12j - 1/360j^3 + 1/1260j^5 in j = k + 1, whose error there is below 1e-10.
_FC = np.array(
    [
        0.08106146679532726,
        0.04134069595540929,
        0.02767792568499834,
        0.02079067210376509,
        0.01664469118982119,
        0.01387612882307075,
        0.01189670994589177,
        0.01041126526197209,
        0.009255462182712733,
        0.008330563433362871,
    ]
)


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
def uniform_at(key, i):
    """The ``i``-th uniform (from 1) of the draw keyed ``key``: the splitmix64 sequence that starts at
    ``key``, read at any place without a state to carry (so no array passes between functions)."""
    return np.float64(_mix(key + np.uint64(i) * _GOLDEN) >> _S11) * _TO_UNIT


@njit(inline="always")
def first_uniform(key):
    """The first uniform of the draw keyed ``key``."""
    return uniform_at(key, 1)


@njit(inline="always")
def surely_zero(u, mean):
    """Whether inversion's first uniform ``u`` gives 0 for a mean ``n p`` (``p <= 0.5``), known without
    computing ``(1 - p) ** n``: it gives 0 when ``u <= (1 - p) ** n``, and ``(1 - p) ** n >= 1 - n p``
    (Bernoulli's inequality); the factor covers the rounding of ``exp(n log1p(-p))`` (some 1e-16)."""
    return u < (1.0 - mean) * (1.0 - 1e-12)


@njit(inline="always")
def inversion_start(n, p):
    """``(P(0), s, a)`` of inversion for Binomial(n, p): ``P(x) / P(x - 1) = a / x - s``.

    ``log1p`` keeps ``(1 - p) ** n`` exact to rounding when ``p`` is below the spacing of doubles
    near 1; ``log(1 - p)`` there is off by up to a factor of two, which for ``n`` near 1e17 made
    every pass of inversion restart (all the probability beyond its bound) and the loop never end.
    """
    s = p / (1.0 - p)
    return math.exp(n * math.log1p(-p)), s, (n + 1) * s


@njit(cache=True, error_model="numpy")
def _inversion(key, n, p, u):
    """Inversion for ``p <= 0.5`` and ``n p < INVERSION_BELOW`` from the first uniform ``u`` of the
    draw keyed ``key``: the least ``x`` whose cumulative probability reaches ``u``, in at most
    ``MAX_RESTARTS`` passes of at most ``bound + 1`` steps (each restart takes the next uniform).
    """
    mean = n * p
    if surely_zero(u, mean):
        return 0
    qn, s, a = inversion_start(n, p)
    bound = min(n, mean + 10.0 * math.sqrt(mean * (1.0 - p) + 1.0))
    x = 0
    px = qn
    cdf = qn
    restarts = 0
    while u > cdf:
        x += 1
        if x > bound:
            restarts += 1
            if restarts > MAX_RESTARTS:
                return min(n, math.floor(mean + 0.5))
            x = 0
            px = qn
            cdf = qn
            u = uniform_at(key, 1 + restarts)
        else:
            px *= a / x - s
            cdf += px
    return x


@njit(inline="always")
def _fc(k):
    if k < 10:
        return _FC[int(k)]
    r = 1.0 / (k + 1.0)
    rr = r * r
    return (1.0 / 12.0 - (1.0 / 360.0 - rr / 1260.0) * rr) * r


@njit(inline="always")
def btrd_shape(n, p):
    """BTRD's hat for ``p <= 0.5``: ``(b, a, vr)``; a first uniform ``v <= 0.86 vr`` is accepted at once."""
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    vr = 0.92 - 4.2 / b
    return b, a, vr


@njit(inline="always")
def btrd_centre(n, p, b, a, vr, v):
    """The count BTRD returns at once for a uniform ``v <= 0.86 vr`` (always within ``[0, n]``)."""
    u = v / vr - 0.43
    return math.floor((2.0 * a / (0.5 - abs(u)) + b) * u + n * p + 0.5)


@njit(inline="always")
def btrd_log_ratio(n, m, k, r, fc_m):
    """``log(f(k) / f(m))`` for Binomial(n, p) with ``r = p / (1 - p)`` and ``fc_m = fc(m) + fc(n - m)``.

    Stirling's series for each log-factorial, arranged so that every term is small when ``k`` is
    near ``m``: ``log1p`` and one logarithm of a ratio near 1, so rounding stays near 1e-16 times
    ``|k - m|`` however large ``n`` is.
    """
    d = k - m
    return (
        (n - k + 0.5) * math.log1p(d / (n - k + 1.0))
        - (m + 0.5) * math.log1p(d / (m + 1.0))
        + d * math.log(r * (n - m + 1.0) / (k + 1.0))
        + fc_m
        - _fc(k)
        - _fc(n - k)
    )


@njit(inline="always")
def btrd_attempt(n, p, b, a, vr, v, w):
    """One candidate of BTRD from a first uniform ``v > 0.86 vr`` and a second ``w``: ``(k, accepted)``.

    The candidate is tested against the ratio of the Binomial's probabilities at ``k`` and at its
    mode ``m``, to which the hat is scaled: by the bounds ``t +- rho`` on its logarithm of
    Kachitvichyanukul & Schmeiser (1988) when ``|k - m| < n p q / 2 - 1`` (tests/numerics checks
    them there), and where they do not decide, by :func:`btrd_log_ratio`.
    """
    m = math.floor((n + 1) * p)
    npq = n * p * (1.0 - p)
    alpha = (2.83 + 5.1 / b) * math.sqrt(npq)
    inner = v / vr - 0.93
    inner = math.copysign(0.5, inner) - inner
    outer = v >= vr
    u = w - 0.5 if outer else inner
    height = v if outer else w * vr
    us = 0.5 - abs(u)
    x = (2.0 * a / us + b) * u + n * p + 0.5
    valid = us > 0.0 and x >= 0.0 and x < n + 1.0
    k = math.floor(x if valid else 0.0)
    log_height = math.log(height * alpha / (a / (us * us) + b))
    km = abs(k - m)
    rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5)
    t = -km * km / (2.0 * npq)
    squeezed = km < npq / 2.0 - 1.0
    if squeezed and log_height < t - rho:
        return k, valid
    if squeezed and log_height > t + rho:
        return k, False
    return k, valid and log_height <= btrd_log_ratio(n, m, k, p / (1.0 - p), _fc(m) + _fc(n - m))


@njit(cache=True, error_model="numpy")
def btrd_rest(key, n, p, v, tried):
    """BTRD (Hormann, 1993) for ``p <= 0.5`` and ``n p >= INVERSION_BELOW``, for the draw keyed ``key``
    after ``tried`` of its candidates were rejected (with ``tried = 0``, ``v`` is its first uniform).

    Candidate ``i`` (from 0) uses uniforms ``2 i + 1`` and ``2 i + 2``. At most ``MAX_REJECTIONS``
    candidates are rejected before the mode is returned.
    """
    b, a, vr = btrd_shape(n, p)
    urvr = 0.86 * vr
    for attempt in range(tried, MAX_REJECTIONS + 1):
        if attempt > 0:
            v = uniform_at(key, 2 * attempt + 1)
        if v <= urvr:
            return btrd_centre(n, p, b, a, vr, v)
        k, accepted = btrd_attempt(n, p, b, a, vr, v, uniform_at(key, 2 * attempt + 2))
        if accepted:
            return k
    return math.floor((n + 1) * p)


@njit(cache=True, error_model="numpy")
def binomial_rest(key, n, p, u):
    """The Binomial(n, p) variate keyed ``key`` whose first uniform is ``u``, for ``0 < p < 1`` and
    ``n > 0``: the part of :func:`binomial_in` after its first uniform."""
    flip = p > 0.5
    r = 1.0 - p if flip else p
    if n * r < INVERSION_BELOW:
        x = _inversion(key, n, r, u)
    else:
        x = btrd_rest(key, n, r, u, 0)
    return n - x if flip else x


@njit(inline="always")
def binomial_in(key, n, p):
    """One Binomial(n, p) variate from the uniforms that start at ``key``; 0 when ``p`` is not a number.

    Inlined where it is called, so that the most common draw of a class, a sure 0, costs one
    uniform and no call.
    """
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    u = first_uniform(key)
    if p <= 0.5 and surely_zero(u, n * p):
        return 0
    return binomial_rest(key, n, p, u)


@njit(cache=True, error_model="numpy")
def binomial(key, n, p):
    """One Binomial(n, p) variate from the uniforms that start at ``key`` (0 when p is not a number)."""
    return binomial_in(key, n, p)


@njit(cache=True, error_model="numpy")
def binomial_array(source_key, n, p):
    """Binomial variates for arrays ``n`` and ``p``, element ``i`` keyed as run ``i``."""
    out = np.empty(n.size, dtype=np.int64)
    for i in range(n.size):
        out[i] = binomial(draw_key(source_key, i, 0, 0), n[i], p[i])
    return out
