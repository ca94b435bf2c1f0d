"""Closed forms of the model: lever response, sBG survival, CLV and residual value.

References
----------
Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
    Journal of Interactive Marketing 21(1), 76-90.
Reichheld, F. F. and Sasser, W. E. (1990). Zero defections: quality comes to services.
    Harvard Business Review 68(5), 105-111.
Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation in a contractual
    setting: the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93.
Golub, G. H. and Welsch, J. H. (1969). Calculation of Gauss quadrature rules.
    Mathematics of Computation 23, 221-230.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gamma, hyp2f1, poch

from ..numerics.parallel import in_blocks
from ..numerics.quadrature import gauss_rules

HOMOGENEOUS_PHI = 1e-9
# Beta parameters below this are treated as the homogeneous limit by the Gauss-Jacobi rules: in
# floating point ``a - 1`` is then -1 to within 1e-4, and the Jacobi matrix's first off-diagonal
# loses every digit (exactly 0 below 1.1e-16, where it divided by zero). With heterogeneity at
# most 0.999, ``1/phi - 1 >= 1e-3``, so ``a`` this small means churn below 1e-9 (``b``: churn
# above 1 - 1e-9); the survival curves of the two models then differ by less than
# ``horizon x 1e-9``, under 1e-6 of a cohort over the longest horizon.
DEGENERATE_BETA = 1e-12


def discount_per_period(rate_per_year, periods_per_year: int):
    """Per-period discount rate equivalent to a yearly one: ``(1 + d) ** (1 / n) - 1``."""
    return (1.0 + np.asarray(rate_per_year, dtype=float)) ** (1.0 / periods_per_year) - 1.0


def sbg_parameters(churn, heterogeneity):
    """Beta(a, b) of per-period churn probabilities with mean ``churn`` and polarisation ``phi``.

    ``a = churn (1/phi - 1)``, ``b = (1 - churn)(1/phi - 1)``. Infinite (the homogeneous
    limit) for ``phi = 0`` or ``churn = 0``.
    """
    churn = np.asarray(churn, dtype=float)
    phi = np.asarray(heterogeneity, dtype=float)
    with np.errstate(divide="ignore"):
        # phi = 0 (everyone alike) and churn = 0 (nobody leaves) are the homogeneous limit
        scale = np.where((phi > HOMOGENEOUS_PHI) & (churn > 0), 1.0 / np.maximum(phi, HOMOGENEOUS_PHI) - 1.0, np.inf)
    homogeneous = np.isinf(scale)
    finite = np.where(homogeneous, 0.0, scale)
    return (
        np.where(homogeneous, np.inf, churn * finite),
        np.where(homogeneous, np.inf, (1.0 - churn) * finite),
    )


def expected_survival(churn, heterogeneity, t, tenure=0):
    """sBG survival of a closed cohort: ``S(t) = B(a, b + tenure + t) / B(a, b + tenure)``.

    With ``heterogeneity = 0`` this is the geometric curve ``(1 - churn) ** t``.
    ``tenure`` is how long the cohort has already been customers (their churn mix
    has been filtered: theta ~ Beta(a, b + tenure)).
    """
    t = np.asarray(t, dtype=float)
    a, b = sbg_parameters(churn, heterogeneity)
    if np.all(np.isinf(a)):
        return (1.0 - np.asarray(churn, dtype=float)) ** t
    b = b + tenure
    return np.exp(betaln(a, b + t) - betaln(a, b))


def expected_retention_rate(churn, heterogeneity, t, tenure=0):
    """Period-to-period retention of a cohort: ``r_t = (b + t - 1) / (a + b + t - 1)`` for t >= 1."""
    t = np.asarray(t, dtype=float)
    a, b = sbg_parameters(churn, heterogeneity)
    if np.all(np.isinf(a)):
        return np.broadcast_to(1.0 - np.asarray(churn, dtype=float), t.shape).copy()
    b = b + tenure
    return (b + t - 1) / (a + b + t - 1)


def _mean_inverse(churn, heterogeneity, discount, churn_factor=1.0, tenure=0.0, reflect=False):
    """``E[1 / (d + c theta)]`` for theta ~ Beta(a, b + tenure), in closed form.

    Uses ``E[1/(d + c theta)] = 2F1(1, b; a + b; c / (c + d)) / (c + d)`` (Euler's
    integral after a Pfaff transformation). ``reflect``: evaluate 2F1 by :func:`hyp2f1_unit` (the
    same to a relative 1e-12, and fast) rather than by SciPy alone.
    """
    churn, phi, d, c, tenure = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (churn, heterogeneity, discount, churn_factor, tenure))
    )
    a, b = sbg_parameters(churn, phi)
    b = b + tenure
    out = np.empty(churn.shape)
    homo = np.isinf(a)
    out[homo] = 1.0 / (d[homo] + c[homo] * churn[homo])
    het = ~homo
    if np.any(het):
        cd = c[het] + d[het]
        z = c[het] / cd
        if reflect:
            values = hyp2f1_unit(a[het], b[het], z) / cd
        else:
            values = np.empty(cd.shape)
            # the series converges slowly as z nears 1, so the evaluations are spread over cores
            in_blocks(_hyp2f1_rows, cd.size, b[het], a[het] + b[het], z, values)
            values /= cd
        # 2F1 fails (NaN) for b above a few hundred when d / c is tiny: a nearly homogeneous segment
        # and a discount rate near its minimum
        failed = ~(np.isfinite(values) & (values > 0))
        if np.any(failed):
            values[failed] = _mean_inverse_concentrated(a[het][failed], b[het][failed], d[het][failed], c[het][failed])
        out[het] = values
    return out


RECURRENCE_FROM_B = 120.0  # 2F1 is reliable at any discount up to this b
MAX_RECURRENCE_STEPS = 20_000
RECURRENCE_BELOW_A = 4.0  # from here a 128-node Gauss-Jacobi rule is the more accurate


def _mean_inverse_concentrated(a, b, d, c):
    """``E[1 / (d + c theta)]`` for theta ~ Beta(a, b) with b large, where 2F1 fails.

    With ``delta = d / c`` and ``I(b) = E_b[1 / (delta + theta)]``, ``E_b[(1 - theta) g] =
    b / (a + b) E_{b+1}[g]`` gives ``I(b + 1) = (a + b) / b ((1 + delta) I(b) - 1)``, started from 2F1
    at ``b - n`` below :data:`RECURRENCE_FROM_B`. Each step multiplies an error by about
    ``(1 + a / b)(1 + delta)``, so for small ``a`` the recurrence keeps most digits; for larger ``a``
    (or more steps) the Beta's mass lies away from the pole at ``-delta`` and a Gauss-Jacobi rule of
    128 nodes converges. Against a fine numerical integral the two agree to 1e-5 or better (1e-12
    where the rule is used) on the cases tested.
    """
    delta = d / c
    out = np.empty(a.shape)
    steps = np.floor(np.maximum(b - RECURRENCE_FROM_B, 0.0))
    by_recurrence = (a < RECURRENCE_BELOW_A) & (steps <= MAX_RECURRENCE_STEPS)
    if np.any(by_recurrence):
        ar, dr, n = a[by_recurrence], delta[by_recurrence], steps[by_recurrence]
        br = b[by_recurrence] - n
        value = hyp2f1(1.0, br, ar + br, 1.0 / (1.0 + dr)) / (1.0 + dr)
        for _ in range(int(n.max())):
            going = n > 0
            value = np.where(going, (ar + br) / br * ((1.0 + dr) * value - 1.0), value)
            br = np.where(going, br + 1.0, br)
            n = n - going
        out[by_recurrence] = value
    by_rule = ~by_recurrence
    if np.any(by_rule):
        nodes, weights = _beta_rule(a[by_rule], b[by_rule], 128)
        out[by_rule] = (weights / (delta[by_rule, None] + nodes)).sum(-1)
    return out / c


# Where the reflection at z = 1 is used (:func:`hyp2f1_unit`): its two terms cancel as ``a`` nears 1 or 2
# (poles of Gamma(1 - a)) and as ``b (1 - z)`` grows (both grow like ``exp(b (1 - z))``), so it is used only
# where ``a`` is at least REFLECTION_GAP from 1 and below 2 - REFLECTION_GAP, ``b`` below REFLECTION_MAX_B and
# ``b (1 - z)`` at most REFLECTION_MAX_BW; there it agrees with SciPy to 3e-13 over 400,000 random cases.
REFLECTION_GAP = 0.05
REFLECTION_MAX_B = 30.0
REFLECTION_MAX_BW = 0.5
REFLECTION_TERMS = 400  # far more than the region needs (a few dozen); a sum not done by then goes to SciPy


def hyp2f1_unit(a, b, z):
    """``2F1(1, b; a + b; z)`` for Beta parameters ``a, b > 0`` and ``0 < z < 1``.

    The series at 0 converges slowly as ``z`` nears 1 (a small discount rate, little retention), and
    :func:`scipy.special.hyp2f1` takes about 10 microseconds there. Where it is safe this uses the
    reflection to ``1 - z`` (Abramowitz and Stegun 15.3.6 with ``2F1(a, a + b - 1; a; w) = z^(1 - a - b)``)::

        2F1(1, b; a + b; z) = (a + b - 1) / (a - 1) * 2F1(1, b; 2 - a; w)
                              + Gamma(a + b) Gamma(1 - a) / Gamma(b) * w^(a - 1) z^(1 - a - b)

    whose series in ``w`` has positive terms for ``a < 2`` and converges in a few dozen terms; the
    rest (see :data:`REFLECTION_GAP`; ``z`` below 1/2, where the series at 0 is fast; a series not
    converged) goes to SciPy. The two agree to a relative 1e-12 (tests/model/test_clv_fast.py).
    """
    a, b, z = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (a, b, z)))
    shape = a.shape
    a, b, z = (x.ravel() for x in (a, b, z))
    w = 1.0 - z  # exact for z from 1/2 up (Sterbenz), the only z the reflection is used for
    out = np.full(a.shape, np.nan)
    with np.errstate(all="ignore"):
        fast = (
            (np.abs(a - 1.0) >= REFLECTION_GAP) & (a < 2.0 - REFLECTION_GAP) & (a > 0.0)
            & (b > 0.0) & (b < REFLECTION_MAX_B) & (w > 0.0) & (z >= 0.5) & (b * w <= REFLECTION_MAX_BW)
        )  # fmt: skip
        if np.any(fast):
            af, bf, zf, wf = a[fast], b[fast], z[fast], w[fast]
            series, converged = _series_in_w(af, bf, wf)
            powers = np.exp((af - 1.0) * np.log(wf) + (1.0 - af - bf) * np.log(zf))  # w^(a-1) z^(1-a-b)
            singular = poch(bf, af) * gamma(1.0 - af) * powers
            value = (af + bf - 1.0) / (af - 1.0) * series + singular
            good = converged & np.isfinite(value) & (value > 0.0)
            idx = np.flatnonzero(fast)
            out[idx[good]] = value[good]
            fast[idx[~good]] = False
    rest = np.flatnonzero(~fast)
    if rest.size:
        values = np.empty(rest.size)
        # the series at 0 converges slowly as z nears 1, so these evaluations are spread over cores
        in_blocks(_hyp2f1_rows, rest.size, b[rest], a[rest] + b[rest], z[rest], values)
        out[rest] = values
    return out.reshape(shape)


def _hyp2f1_rows(lo, hi, b, c, z, out):
    out[lo:hi] = hyp2f1(1.0, b[lo:hi], c[lo:hi], z[lo:hi])


def _series_in_w(a, b, w):
    """``sum_n (b)_n / (2 - a)_n w^n`` (``2F1(1, b; 2 - a; w)``), and whether each sum converged."""
    term = np.ones(a.shape)
    total = np.ones(a.shape)
    going = np.arange(a.size)
    for n in range(REFLECTION_TERMS):
        t = term[going] * ((b[going] + n) / (2.0 - a[going] + n) * w[going])
        term[going] = t
        total[going] += t
        going = going[t > 1e-17 * total[going]]
        if going.size == 0:
            break
    converged = np.ones(a.shape, dtype=bool)
    converged[going] = False
    return total, converged


def expected_lifetime(churn, heterogeneity, churn_multiplier=1.0, tenure=0.0):
    """A customer's expected number of periods paid, ``sum_{t>=0} S(t)``, with churn ``theta * m``.

    For one customer ``1 / (m theta)``; over theta ~ Beta(a, b + tenure) that is
    ``(a + b + tenure - 1) / (m (a - 1))`` when ``a > 1`` and infinite otherwise (the customers
    who almost never leave dominate). Homogeneous churn (phi = 0) gives ``1 / (m churn)``: yearly
    defection of 10 % means a mean life of 10 years, and halving it (``m = 0.5``) 20 years
    (Reichheld and Sasser 1990).
    """
    churn, m, tenure = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (churn, churn_multiplier, tenure)))
    a, b = sbg_parameters(churn, heterogeneity)
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed = np.where(a > 1.0, (a + b + tenure - 1.0) / (m * (a - 1.0)), np.inf)
        return np.where(np.isinf(a), 1.0 / (m * churn), mixed)


def expected_clv(margin_per_period, churn, heterogeneity, discount_per_period, churn_reduction=0.0):
    """CLV of a new customer: ``sum_{t>=0} m S(t) / (1 + d) ** t`` (first margin undiscounted).

    Parameters
    ----------
    margin_per_period : array_like
        Gross profit per period of one customer (currency).
    churn, heterogeneity : array_like
        Mean churn probability per period and its polarisation phi.
    discount_per_period : array_like
        Discount rate per period.
    churn_reduction : array_like, optional
        Share rho by which retention lowers every customer's churn probability.

    Returns
    -------
    ndarray
        Expected discounted gross profit over the customer's life. With constant
        retention r (``heterogeneity = 0``) this equals ``m (1 + d) / (1 + d - r)``.

    Notes
    -----
    A run's CLV depends on the churn its retention achieved, so every budget (a slider move, each
    split of a sweep) evaluates it afresh for every run and segment: its 2F1 is evaluated by
    :func:`hyp2f1_unit`, the same as SciPy's to a relative 1e-12. The residual value, computed
    once per set of draws and part of customer equity, keeps SciPy's.
    """
    d = np.asarray(discount_per_period, dtype=float)
    c = 1.0 - np.asarray(churn_reduction, dtype=float)
    mean_inverse = _mean_inverse(churn, heterogeneity, d, c, reflect=True)
    return np.asarray(margin_per_period, dtype=float) * (1.0 + d) * mean_inverse


def expected_residual_value(margin_per_period, churn, heterogeneity, discount_per_period, tenure=0):
    """Expected discounted gross profit still to come from a customer active at the end of a period.

    The customer pays next period if still active and churns with theta ~ Beta(a, b + tenure):
    ``sum_{j>=1} m (1 - theta) ** (j - 1) / (1 + d) ** j = m / (d + theta)`` in expectation over theta.
    Valued at the end of the period (not discounted to period 0).
    """
    d = np.asarray(discount_per_period, dtype=float)
    return np.asarray(margin_per_period, dtype=float) * _mean_inverse(churn, heterogeneity, d, 1.0, tenure)


def beta_classes(churn, heterogeneity, tenure, k: int):
    """Latent churn classes: Gauss-Jacobi nodes and weights of Beta(a, b + tenure) on [0, 1].

    ``sum_j w_j (1 - theta_j) ** t`` equals ``B(a, b + tenure + t) / B(a, b + tenure)``
    exactly for ``t < 2 k``. Nodes are the eigenvalues of the Jacobi matrix of the Beta
    weight (Golub and Welsch, 1969), computed for every parameter set in one compiled loop.

    Returns
    -------
    nodes, weights : ndarray
        Shape ``broadcast(churn, heterogeneity, tenure).shape + (k,)``; weights sum to 1.
        With homogeneous churn (phi = 0), or a Beta parameter below :data:`DEGENERATE_BETA`,
        the first node carries all the weight at ``churn``.
    """
    churn, phi, tenure = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (churn, heterogeneity, tenure)))
    a, b = sbg_parameters(churn, phi)
    b = b + tenure
    shape = a.shape
    af, bf = a.ravel(), b.ravel()
    homo = np.isinf(af) | (af < DEGENERATE_BETA) | (bf < DEGENERATE_BETA)
    a_, b_ = np.where(homo, 1.0, af), np.where(homo, 1.0, bf)
    vals, weights = _beta_rule(a_, b_, k)
    nodes = np.clip(vals, 0.0, 1.0)
    if np.any(homo):
        nodes[homo] = churn.ravel()[homo, None]
        weights[homo] = 0.0
        weights[homo, 0] = 1.0
    return nodes.reshape((*shape, k)), weights.reshape((*shape, k))


def _beta_rule(a, b, k: int):
    """Gauss-Jacobi nodes and weights (n, k) of Beta(a, b) on [0, 1], for 1-d ``a`` and ``b`` (Golub-Welsch)."""
    # Jacobi polynomials on [-1, 1] with weight (1-x)^al (1+x)^be; theta = (1 + x) / 2.
    al, be = b - 1.0, a - 1.0
    n = np.arange(k, dtype=float)[None, :]
    s = al[:, None] + be[:, None]
    two_n_s = 2 * n + s
    with np.errstate(divide="ignore", invalid="ignore"):
        diag = (be[:, None] ** 2 - al[:, None] ** 2) / (two_n_s * (two_n_s + 2))
    diag[:, 0] = (be - al) / (s[:, 0] + 2)
    m = np.arange(1, k, dtype=float)[None, :]
    tm = 2 * m + s
    with np.errstate(divide="ignore", invalid="ignore"):
        off2 = 4 * m * (m + al[:, None]) * (m + be[:, None]) * (m + s) / (tm**2 * (tm + 1) * (tm - 1))
    if k > 1:
        # first term: the factor (m + s) / (tm - 1) is 1 at m = 1 (and 0/0 when a + b = 1)
        off2[:, 0] = 4 * (1 + al) * (1 + be) / ((2 + s[:, 0]) ** 2 * (3 + s[:, 0]))
    alpha = (1 + diag) / 2  # recurrence coefficients of the Beta weight on [0, 1]
    beta = np.sqrt(np.maximum(off2, 0.0)) / 2
    return gauss_rules(alpha, beta)
