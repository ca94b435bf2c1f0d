"""Compiled period loop of the vectorised engine.

Per run and segment the state is the expected count and run-rate revenue of each latent
churn class, with integer counts of active and lapsed customers; chance comes from keyed
Binomial draws (:mod:`simulation.numerics.keyed_random`). The loop releases the interpreter
lock, so blocks of runs proceed on several cores at once; it is compiled by Numba on first
use and cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..model.levers import response_compiled as _response
from ..model.levers import split_compiled as _split
from ..numerics.keyed_random import binomial, draw_key
from .paths import RECORDED

(ACTIVE, NEW, CHURNED, SAVED, UPSELLS, WINBACKS, LAPSED, REVENUE, GROSS_PROFIT, RUN_RATE,
 RR_NEW, RR_EXPANSION, RR_WINBACK, RR_LOST) = range(len(RECORDED))  # fmt: skip

SOURCES = ("acquisition", "winback", "upsell", "churn")


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
