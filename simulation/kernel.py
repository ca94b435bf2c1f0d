"""Compiled inner loop of the vectorised engine, and its keyed random numbers.

Chance comes from counter-based random numbers: every draw has its own key (source, run,
period, segment), hashed with the splitmix64 finaliser into the state of a short splitmix64
sequence. Two budgets run on the same seed therefore use the same uniforms for the same
draw, however many uniforms an earlier draw consumed, which keeps common random numbers
aligned for the whole horizon; and a run's draws do not depend on how many runs there are
or how the runs are split between threads.

Binomial variates use the algorithms NumPy uses (inversion below a mean of 30, BTPE of
Kachitvichyanukul & Schmeiser above), written against these uniforms.

The functions are compiled by Numba on first use and cached on disk; the loop releases the
interpreter lock, so blocks of runs proceed on several cores at once.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

# positions of the recorded paths in the output array
RECORDED = (
    "active_customers", "new_customers", "churned_customers", "saved_customers", "upsells",
    "winbacks", "lapsed_customers", "revenue", "gross_profit", "revenue_run_rate",
    "run_rate_new", "run_rate_expansion", "run_rate_winback", "run_rate_lost",
)  # fmt: skip
(ACTIVE, NEW, CHURNED, SAVED, UPSELLS, WINBACKS, LAPSED, REVENUE, GROSS_PROFIT, RUN_RATE,
 RR_NEW, RR_EXPANSION, RR_WINBACK, RR_LOST) = range(len(RECORDED))  # fmt: skip

SOURCES = ("acquisition", "winback", "upsell", "churn")
MIN_BLOCK = 64  # rows (runs, rules); fewer are not worth a thread
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def workers() -> int:
    """Cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def in_blocks(func, rows: int, *args) -> None:
    """Call ``func(lo, hi, *args)`` on blocks of ``range(rows)``, one block per core.

    ``func`` releases the GIL for its work (a function compiled with ``nogil=True``, or a NumPy
    or SciPy ufunc over the block) and writes each row's results into the output arrays in
    ``args``; a row's result must not depend on the block it falls in.
    """
    global _pool
    blocks = min(workers(), max(1, rows // MIN_BLOCK))
    if blocks == 1:
        func(0, rows, *args)
        return
    with _pool_lock:  # app sessions run on their own threads and share one pool
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="retention-lab")
    edges = np.linspace(0, rows, blocks + 1).round().astype(np.int64)
    jobs = [_pool.submit(func, int(lo), int(hi), *args) for lo, hi in itertools.pairwise(edges)]
    for job in jobs:
        job.result()


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
    q = 1.0 - p
    qn = math.exp(n * math.log(q))
    mean = n * p
    bound = min(n, mean + 10.0 * math.sqrt(mean * q + 1.0))
    x = 0
    px = qn
    u = _uniform(state)
    while u > px:
        x += 1
        if x > bound:
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
    """BTPE for ``r <= 0.5`` and ``n r > 30``."""
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
    while True:
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


@njit(cache=True)
def binomial(key, n, p):
    """One Binomial(n, p) variate from the uniforms that start at ``key`` (0 when p is not a number)."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    state = np.empty(1, dtype=np.uint64)
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
def binomial_array(source_key, n, p):
    """Binomial variates for arrays ``n`` and ``p``, element ``i`` keyed as run ``i``."""
    out = np.empty(n.size, dtype=np.int64)
    for i in range(n.size):
        out[i] = binomial(draw_key(source_key, i, 0, 0), n[i], p[i])
    return out


@njit(inline="always")
def _response(spend, ceiling, cost):
    return ceiling * -math.expm1(-spend / max(ceiling * cost, 1e-300))


@njit(inline="always")
def _split(amount, weights, use_weights, value, out):
    """A lever's budget split across segments: given weights, else in proportion to ``value``."""
    if use_weights:
        for s in range(out.size):
            out[s] = amount * weights[s]
        return
    total = 0.0
    for s in range(value.size):
        total += value[s]
    factor = amount / max(total, 1e-300)
    for s in range(out.size):
        out[s] = value[s] * factor


@njit(cache=True, nogil=True)
def simulate_block(
    run_lo, run_hi, keys, budget, theta, w_old, w_new, base, uplift, margin, upsell_rate, share,
    customers, cac, max_new, market, save_cap, save_cost, up_cap, up_cost, wb_cap, wb_cost,
    discount, weights, use_weights, year_end, rec, active_by_segment, residual, year_kept_base,
    year_cohort, saves_total, at_risk_total,
):  # fmt: skip
    """Simulate runs ``run_lo`` to ``run_hi - 1``, writing into the output arrays.

    Per run and segment the state is the expected count and run-rate revenue of each latent
    class (``K`` classes of today's customers, then ``K`` of new ones), with integer counts
    of active and lapsed customers. ``budget`` is (acquisition, retention, expansion,
    win-back) per period; ``weights`` (3, S) and ``use_weights`` give the explicit splits of
    retention, expansion and win-back budgets.
    """
    S, C = theta.shape[1], theta.shape[2]
    K = C // 2
    H = rec.shape[2] - 1
    acq_budget, ret_budget, exp_budget, wb_budget = budget[0], budget[1], budget[2], budget[3]
    track_lapsed = wb_budget > 0.0
    n = np.empty((S, C))
    rev = np.empty((S, C))
    lapsed = np.zeros((S, C))
    lapsed_rev = np.zeros((S, C))
    active = np.empty(S, dtype=np.int64)
    lapsed_count = np.empty(S, dtype=np.int64)
    new = np.empty(S, dtype=np.int64)
    value = np.empty(S)
    spend = np.empty(S)
    revenue_after = np.empty(S)
    at_risk = np.empty(S)
    squares = np.empty(S)
    theta_max = np.empty(S)
    capped = np.empty(C, dtype=np.bool_)
    keep = np.empty(C)
    for r in range(run_lo, run_hi):
        th = theta[r]
        for s in range(S):
            theta_max[s] = th[s].max()
        upsell_on = exp_budget > 0.0
        for s in range(S):
            upsell_on = upsell_on or upsell_rate[r, s] > 0.0
        finite_market = math.isfinite(market[r])
        prospects = market[r]
        run_rate0 = 0.0
        for s in range(S):
            active[s] = customers[s]
            lapsed_count[s] = 0
            for k in range(K):
                n[s, k] = customers[s] * w_old[r, s, k]
                rev[s, k] = n[s, k] * base[r, s]
                n[s, K + k] = 0.0
                rev[s, K + k] = 0.0
                run_rate0 += rev[s, k]
            if track_lapsed:
                for k in range(C):
                    lapsed[s, k] = 0.0
                    lapsed_rev[s, k] = 0.0
            active_by_segment[r, 0, s] = customers[s]
        for m in range(rec.shape[0]):
            rec[m, r, 0] = 0.0
        rec[ACTIVE, r, 0] = customers.sum()
        rec[RUN_RATE, r, 0] = run_rate0

        for t in range(1, H + 1):
            for m in range(rec.shape[0]):
                rec[m, r, t] = 0.0
            # 1. newly acquired and won-back customers join
            if acq_budget > 0.0:
                total_new = 0
                for s in range(S):
                    ceiling = max_new[r] * share[s]
                    if finite_market:
                        ceiling *= prospects / market[r]
                    # each of the segment's ceil(ceiling) potential deals closes with the
                    # probability that makes the expected count the lever's response
                    trials = math.ceil(ceiling)
                    expected = _response(acq_budget * share[s], ceiling, cac[r])
                    new[s] = binomial(draw_key(keys[0], r, t, s), int(trials), min(expected / max(trials, 1.0), 1.0))
                    total_new += new[s]
                if finite_market:
                    if total_new > prospects:
                        room = math.floor(prospects)
                        shrunk = 0
                        for s in range(S):
                            new[s] = math.floor(new[s] * room / total_new)
                            shrunk += new[s]
                        total_new = shrunk
                    prospects -= total_new
                for s in range(S):
                    for k in range(K):
                        joined = new[s] * w_new[r, s, k]
                        n[s, K + k] += joined
                        rev[s, K + k] += joined * base[r, s]
                    active[s] += new[s]
                    rec[NEW, r, t] += new[s]
                    rec[RR_NEW, r, t] += new[s] * base[r, s]
            if track_lapsed:
                for s in range(S):
                    value[s] = 0.0
                    for k in range(C):
                        value[s] += lapsed_rev[s, k]
                _split(wb_budget, weights[2], use_weights[2], value, spend)
                for s in range(S):
                    count = lapsed_count[s]
                    expected = _response(spend[s], wb_cap[r] * count, wb_cost[r])
                    back = binomial(draw_key(keys[1], r, t, s), count, min(expected / max(count, 1), 1.0))
                    frac = back / max(count, 1)
                    moved_rev = 0.0
                    for k in range(C):
                        moved = lapsed[s, k] * frac
                        lapsed[s, k] -= moved
                        n[s, k] += moved
                        moved = lapsed_rev[s, k] * frac
                        lapsed_rev[s, k] -= moved
                        rev[s, k] += moved
                        moved_rev += moved
                    active[s] += back
                    lapsed_count[s] -= back
                    rec[WINBACKS, r, t] += back
                    rec[RR_WINBACK, r, t] += moved_rev

            # 2. every active customer pays
            for s in range(S):
                revenue = 0.0
                for k in range(C):
                    revenue += rev[s, k]
                revenue_after[s] = revenue
                rec[REVENUE, r, t] += revenue
                rec[GROSS_PROFIT, r, t] += revenue * margin[r, s]

            # 3. expansions (revenue from the next period on)
            if upsell_on:
                for s in range(S):
                    value[s] = revenue_after[s] * uplift[r, s]
                _split(exp_budget, weights[1], use_weights[1], value, spend)
                for s in range(S):
                    per_customer = 1.0 / max(active[s], 1)
                    extra = _response(spend[s], up_cap[r] * active[s], up_cost[r]) if exp_budget > 0.0 else 0.0
                    p = min(upsell_rate[r, s] + extra * per_customer, 1.0)
                    ups = binomial(draw_key(keys[2], r, t, s), active[s], p)
                    added = ups * uplift[r, s] * base[r, s]
                    increment = added * per_customer
                    for k in range(C):
                        rev[s, k] += n[s, k] * increment
                    revenue_after[s] += added
                    rec[UPSELLS, r, t] += ups
                    rec[RR_EXPANSION, r, t] += added

            # 4. renew or leave, after the retention programme
            for s in range(S):
                hazard = 0.0
                rev_hazard = 0.0
                square = 0.0
                for k in range(C):
                    hazard += n[s, k] * th[s, k]
                    rev_hazard += rev[s, k] * th[s, k]
                    square += n[s, k] * th[s, k] * th[s, k]
                at_risk[s] = hazard  # churners expected without retention
                value[s] = rev_hazard
                squares[s] = square
                at_risk_total[r, s] += hazard
            if ret_budget > 0.0:
                _split(ret_budget, weights[0], use_weights[0], value, spend)
            for s in range(S):
                keep_rate = 1.0  # the share of each customer's churn probability left after retention
                if ret_budget > 0.0:
                    saves = _response(spend[s], save_cap[r] * at_risk[s], save_cost[r])
                    saves_total[r, s] += saves
                    rec[SAVED, r, t] += saves
                    keep_rate = 1.0 - saves / max(at_risk[s], 1e-300)
                # The segment's churners are a sum of Binomial(n_k, q_k) over classes; draw them as
                # one Binomial(m, p) with the same mean and variance (m = E^2 / sum n_k q_k^2 <= active),
                # so that draws far above the mean, which no class could supply, are as rare as in the sum.
                expected = at_risk[s] * keep_rate
                square = squares[s] * keep_rate * keep_rate
                trials = min(np.rint(expected * expected / max(square, 1e-300)), float(active[s]))
                trials = max(trials, min(math.ceil(expected), float(active[s])))
                churned = binomial(draw_key(keys[3], r, t, s), int(trials), min(expected / max(trials, 1.0), 1.0))
                # class k loses theta_k * churned / at_risk of its members: expected class counts stay exact
                scale = churned / max(at_risk[s], 1e-300)
                if theta_max[s] * scale > 1.0:
                    _water_fill(n[s], th[s], churned, scale, capped, keep)
                else:
                    for k in range(C):
                        keep[k] = 1.0 - th[s, k] * scale
                run_rate = 0.0
                for k in range(C):
                    if track_lapsed:
                        lapsed[s, k] += n[s, k] * (1.0 - keep[k])
                        lapsed_rev[s, k] += rev[s, k] * (1.0 - keep[k])
                    n[s, k] *= keep[k]
                    rev[s, k] *= keep[k]
                    run_rate += rev[s, k]
                active[s] -= churned
                lapsed_count[s] += churned
                rec[CHURNED, r, t] += churned
                rec[RR_LOST, r, t] += revenue_after[s] - run_rate
                rec[ACTIVE, r, t] += active[s]
                rec[LAPSED, r, t] += lapsed_count[s]
                rec[RUN_RATE, r, t] += run_rate
                active_by_segment[r, t, s] = active[s]
            if t == year_end:
                kept = 0.0
                cohort = 0.0
                for s in range(S):
                    for k in range(K):
                        kept += n[s, k] * base[r, s]
                        cohort += rev[s, k]
                year_kept_base[r] = kept
                year_cohort[r] = cohort
        value_left = 0.0
        for s in range(S):
            for k in range(C):
                value_left += rev[s, k] * margin[r, s] / (discount[r] + th[s, k])
        residual[r] = value_left


@njit(cache=True)
def _water_fill(n, theta, churned, scale, capped, keep):
    """Set ``keep`` to ``1 - min(1, lam theta_k)`` with ``sum n_k (1 - keep_k) = churned``.

    The riskiest classes are capped at losing all their members and the rest of the draw is
    spread over the others in proportion to their hazard: with capped set ``C``,
    ``lam = (churned - members of C) / (hazard outside C)``. Capping only raises ``lam``, so the
    set grows until it no longer changes (at most one step per class).
    """
    C = theta.size
    for k in range(C):
        capped[k] = scale * theta[k] > 1.0
    lam = scale
    for _ in range(C):
        free_hazard = 0.0
        gone = 0.0
        for k in range(C):
            if capped[k]:
                gone += n[k]
            else:
                free_hazard += n[k] * theta[k]
        lam = (churned - gone) / max(free_hazard, 1e-300)
        changed = False
        for k in range(C):
            if not capped[k] and lam * theta[k] > 1.0:
                capped[k] = True
                changed = True
        if not changed:
            break
    for k in range(C):
        keep[k] = 0.0 if capped[k] else 1.0 - min(1.0, lam * theta[k])


def gauss_rules(alpha, beta):
    """Nodes and weights of the Gauss rules with recurrence coefficients ``alpha`` and ``beta``.

    Row ``i`` describes one rule: ``alpha[i]`` (k,) is the Jacobi matrix's diagonal and
    ``beta[i]`` (k - 1,) its off-diagonal. Nodes are the matrix's eigenvalues, found by the
    implicit QL method with Wilkinson shifts, in ascending order; weights are Christoffel
    numbers ``1 / sum_j p_j(x)^2`` from the orthonormal recurrence, normalised to sum to 1.
    """
    alpha, beta = np.ascontiguousarray(alpha, dtype=np.float64), np.ascontiguousarray(beta, dtype=np.float64)
    nodes, weights = np.empty(alpha.shape), np.empty(alpha.shape)
    in_blocks(_gauss_rows, alpha.shape[0], alpha, beta, nodes, weights)
    return nodes, weights


@njit(cache=True, nogil=True)
def _gauss_rows(row_lo, row_hi, alpha, beta, nodes, weights):
    k = alpha.shape[1]
    d = np.empty(k)
    e = np.empty(k)
    inv_beta = np.empty(max(k - 1, 1))
    eps = 2.220446049250313e-16
    for row in range(row_lo, row_hi):
        for i in range(k):
            d[i] = alpha[row, i]
            e[i] = beta[row, i] if i < k - 1 else 0.0
        for first in range(k):
            for _ in range(100):
                m = first
                while m < k - 1:
                    if abs(e[m]) <= eps * (abs(d[m]) + abs(d[m + 1])):
                        break
                    m += 1
                if m == first:
                    break
                g = (d[first + 1] - d[first]) / (2.0 * e[first])
                r = math.sqrt(g * g + 1.0)
                g = d[m] - d[first] + e[first] / (g + (r if g >= 0.0 else -r))
                s = c = 1.0
                p = 0.0
                i = m - 1
                while i >= first:
                    f = s * e[i]
                    b = c * e[i]
                    r = math.sqrt(f * f + g * g)
                    e[i + 1] = r
                    if r == 0.0:
                        d[i + 1] -= p
                        e[m] = 0.0
                        break
                    s = f / r
                    c = g / r
                    g = d[i + 1] - p
                    r = (d[i] - g) * s + 2.0 * c * b
                    p = s * r
                    d[i + 1] = g + p
                    g = c * r - b
                    i -= 1
                if r == 0.0 and i >= first:
                    continue
                d[first] -= p
                e[first] = g
                e[m] = 0.0
        d.sort()
        for i in range(k - 1):
            inv_beta[i] = 1.0 / beta[row, i]
        total_weight = 0.0
        for j in range(k):
            x = d[j]
            p_prev, p_cur, total = 0.0, 1.0, 1.0
            for i in range(k - 1):
                p_next = ((x - alpha[row, i]) * p_cur - (beta[row, i - 1] * p_prev if i else 0.0)) * inv_beta[i]
                p_prev, p_cur = p_cur, p_next
                total += p_cur * p_cur
            nodes[row, j] = x
            weights[row, j] = 1.0 / total
            total_weight += weights[row, j]
        for j in range(k):
            weights[row, j] /= total_weight
