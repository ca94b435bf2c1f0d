"""Compiled period loop of the vectorised engine.

Per run and segment the state is the integer count and the run-rate revenue of each latent
churn class; chance comes from keyed Binomial draws, one per occupied class for every event
whose outcome depends on who the customer is, a segment's draws of one kind made together
(:func:`~simulation.numerics.class_draws.class_binomials`). The loop releases the interpreter
lock, so blocks of runs proceed on several cores at once; it is compiled by Numba on first use
and cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..model.levers import response_compiled as _response
from ..model.levers import split_compiled as _split
from ..numerics.class_draws import (
    CHANCE_ROWS,
    CLASS,
    DRAW_ROWS,
    DRAWN,
    PROBABILITY,
    TRIALS,
    binomial_in,
    class_binomials,
    class_key,
    multinomial_in,
    spread_over_members,
)
from ..numerics.keyed_random import draw_key
from .paths import RECORDED

ACTIVE = RECORDED.index("active_customers")
NEW = RECORDED.index("new_customers")
REFERRED = RECORDED.index("referred_customers")
CHURNED = RECORDED.index("churned_customers")
SAVED = RECORDED.index("saved_customers")
UPSELLS = RECORDED.index("upsells")
WINBACKS = RECORDED.index("winbacks")
LAPSED = RECORDED.index("lapsed_customers")
REVENUE = RECORDED.index("revenue")
GROSS_PROFIT = RECORDED.index("gross_profit")
COST_TO_SERVE = RECORDED.index("cost_to_serve")
RUN_RATE = RECORDED.index("revenue_run_rate")
RR_NEW = RECORDED.index("run_rate_new")
RR_REFERRED = RECORDED.index("run_rate_referred")
RR_EXPANSION = RECORDED.index("run_rate_expansion")
RR_WINBACK = RECORDED.index("run_rate_winback")
RR_LOST = RECORDED.index("run_rate_lost")

# One key per source of randomness; "join" and "start" place customers in latent classes.
SOURCES = ("acquisition", "winback", "upsell", "churn", "referral", "join", "start")
_ACQ, _WB, _UP, _CHURN, _REF, _JOIN, _START = range(len(SOURCES))
# Expected events in a segment up to which an event that strikes every member alike is drawn as
# one total and spread over the classes member by member; above it, one Binomial per class.
FEW_EVENTS = 64.0


@njit(inline="always")
def _fit_to_prospects(drawn, total, prospects, S):
    """The prospects left once ``drawn`` (per segment, ``total`` in all) have joined.

    A draw larger than the prospects left is shrunk first, each segment's count scaled down
    (rounded down) to fit the whole prospects: the market cannot give more than it holds.
    """
    if total > prospects:
        room = math.floor(prospects)
        shrunk = 0
        for s in range(S):
            drawn[s] = math.floor(drawn[s] * room / total)
            shrunk += drawn[s]
        total = shrunk
    return prospects - total


@njit(cache=True, nogil=True)
def simulate_block(
    run_lo, run_hi, keys, budget, theta, placing_old, picking_old, placing_new, picking_new, base, uplift, margin,
    upsell_rate,
    cost_to_serve, referral_rate, share, customers, cac, max_new, market, save_cap, save_cost, up_cap, up_cost,
    wb_cap, wb_cost, discount, weights, use_weights, year_end, rec, active_by_segment, residual, year_kept_base,
    year_cohort, saves_total, at_risk_total,
):  # fmt: skip
    """Simulate runs ``run_lo`` to ``run_hi - 1``, writing into the output arrays.

    Per run and segment the state is the integer count and run-rate revenue of ``3K`` class
    slots: ``K`` latent classes of the customers held at period 0, ``K`` of customers who
    joined later, and, until the end of the first year, ``K`` for customers held at period 0
    who left and were won back (so that GRR and NRR count only those who never left; the
    slots merge back into the first ``K`` after that year). Each class's churners are
    Binomial(n_k, theta_k (1 - rho)); its upsells, win-backs and joiners are integer
    draws too, so every path has the per-customer model's distribution, not only its mean.
    A class's revenue is the sum over its members; a leaver takes the class's mean revenue.
    ``budget`` is (acquisition, retention, expansion, win-back) per period; ``weights``
    (3, S) and ``use_weights`` give the explicit splits of retention, expansion and win-back.
    """
    S, C = theta.shape[1], theta.shape[2]
    K = C // 2
    C3 = C + K
    H = rec.shape[2] - 1
    acq_budget, ret_budget, exp_budget, wb_budget = budget[0], budget[1], budget[2], budget[3]
    track_lapsed = wb_budget > 0.0
    th = np.empty((S, C3))
    n = np.zeros((S, C3), dtype=np.int64)
    rev = np.zeros((S, C3))
    lapsed = np.zeros((S, C), dtype=np.int64)
    lapsed_rev = np.zeros((S, C))
    placed = np.empty(K, dtype=np.int64)
    struck = np.zeros(C3, dtype=np.int64)
    # one draw per occupied class: its class, members and probability, the variate, scratch space
    draws = np.empty((DRAW_ROWS, C3), dtype=np.int64)
    chances = np.empty((CHANCE_ROWS, C3))
    active = np.empty(S, dtype=np.int64)
    lapsed_count = np.empty(S, dtype=np.int64)
    new = np.zeros(S, dtype=np.int64)
    referred = np.zeros(S, dtype=np.int64)
    value = np.empty(S)
    spend = np.empty(S)
    revenue_after = np.empty(S)
    at_risk = np.empty(S)
    # each lever's explicit split as an array of its own, so that no loop makes a view of a row
    retention_weights, expansion_weights, winback_weights = weights[0].copy(), weights[1].copy(), weights[2].copy()
    for r in range(run_lo, run_hi):
        referrals_on = False
        upsell_on = exp_budget > 0.0
        for s in range(S):
            upsell_on = upsell_on or upsell_rate[r, s] > 0.0
            referrals_on = referrals_on or referral_rate[r, s] > 0.0
            for j in range(C):
                th[s, j] = theta[r, s, j]
            for k in range(K):
                th[s, C + k] = theta[r, s, k]
        finite_market = math.isfinite(market[r])
        prospects = market[r]
        run_rate0 = 0.0
        for s in range(S):
            active[s] = customers[s]
            lapsed_count[s] = 0
            start_key = draw_key(keys[_START], r, 0, s)
            multinomial_in(start_key, customers[s], placing_old, picking_old, r, s, placed)
            for j in range(C3):
                n[s, j] = placed[j] if j < K else 0
                rev[s, j] = n[s, j] * base[r, s]
                run_rate0 += rev[s, j]
            for j in range(C):
                lapsed[s, j] = 0
                lapsed_rev[s, j] = 0.0
            active_by_segment[r, 0, s] = customers[s]
        for m in range(rec.shape[0]):
            rec[m, r, 0] = 0.0
        rec[ACTIVE, r, 0] = customers.sum()
        rec[RUN_RATE, r, 0] = run_rate0

        for t in range(1, H + 1):
            for m in range(rec.shape[0]):
                rec[m, r, t] = 0.0
            first_year = t <= year_end
            # slots C.. hold period-0 customers won back in the first year: only then can they be occupied
            slots = C3 if track_lapsed and first_year else C
            # 1. newly acquired, referred and won-back customers join
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
                    p = min(expected / max(trials, 1.0), 1.0)
                    new[s] = binomial_in(draw_key(keys[_ACQ], r, t, s), int(trials), p)
                    total_new += new[s]
                if finite_market:
                    prospects = _fit_to_prospects(new, total_new, prospects, S)
            if referrals_on:
                # each active customer refers one more with the segment's rate, thinned as paid
                # acquisition is by the share of the market still unwon; referrals use up the market too
                reach = prospects / market[r] if finite_market else 1.0
                total_ref = 0
                for s in range(S):
                    p = min(referral_rate[r, s] * max(reach, 0.0), 1.0)
                    referred[s] = binomial_in(draw_key(keys[_REF], r, t, s), active[s], p)
                    total_ref += referred[s]
                if finite_market:
                    prospects = _fit_to_prospects(referred, total_ref, prospects, S)
            if acq_budget > 0.0 or referrals_on:
                for s in range(S):
                    joining = (new[s] if acq_budget > 0.0 else 0) + (referred[s] if referrals_on else 0)
                    if joining == 0:
                        continue
                    join_key = draw_key(keys[_JOIN], r, t, s)
                    multinomial_in(join_key, joining, placing_new, picking_new, r, s, placed)
                    for k in range(K):
                        if placed[k] > 0:
                            n[s, K + k] += placed[k]
                            rev[s, K + k] += placed[k] * base[r, s]
                    active[s] += joining
                    if acq_budget > 0.0:
                        rec[NEW, r, t] += new[s]
                        rec[RR_NEW, r, t] += new[s] * base[r, s]
                    if referrals_on:
                        rec[REFERRED, r, t] += referred[s]
                        rec[RR_REFERRED, r, t] += referred[s] * base[r, s]
            if track_lapsed:
                for s in range(S):
                    value[s] = 0.0
                    for j in range(C):
                        value[s] += lapsed_rev[s, j]
                _split(wb_budget, winback_weights, use_weights[2], value, spend)
                for s in range(S):
                    count = lapsed_count[s]
                    if count == 0:
                        continue
                    expected = _response(spend[s], wb_cap[r] * count, wb_cost[r])
                    p = min(expected / count, 1.0)
                    back_total = 0
                    moved_rev = 0.0
                    pools = 0
                    for j in range(C):
                        if lapsed[s, j] > 0:
                            draws[CLASS, pools] = j
                            draws[TRIALS, pools] = lapsed[s, j]
                            chances[PROBABILITY, pools] = p
                            pools += 1
                    segment_key = draw_key(keys[_WB], r, t, s)
                    class_binomials(segment_key, draws, chances, pools)
                    for i in range(pools):
                        back = draws[DRAWN, i]
                        if back == 0:
                            continue
                        j = draws[CLASS, i]
                        pool = draws[TRIALS, i]
                        moved = lapsed_rev[s, j] * back / pool
                        lapsed[s, j] = pool - back
                        lapsed_rev[s, j] = 0.0 if back == pool else lapsed_rev[s, j] - moved
                        dest = C + j if j < K and first_year else j  # period-0 customers back in year one
                        n[s, dest] += back
                        rev[s, dest] += moved
                        moved_rev += moved
                        back_total += back
                    active[s] += back_total
                    lapsed_count[s] -= back_total
                    rec[WINBACKS, r, t] += back_total
                    rec[RR_WINBACK, r, t] += moved_rev

            # 2. every active customer pays
            for s in range(S):
                revenue = 0.0
                for j in range(slots):
                    revenue += rev[s, j]
                revenue_after[s] = revenue
                rec[REVENUE, r, t] += revenue
                rec[GROSS_PROFIT, r, t] += revenue * margin[r, s]
                rec[COST_TO_SERVE, r, t] += active[s] * cost_to_serve[r, s]

            # 3. expansions (revenue from the next period on), each customer with the segment's chance
            if upsell_on:
                for s in range(S):
                    value[s] = revenue_after[s] * uplift[r, s]
                _split(exp_budget, expansion_weights, use_weights[1], value, spend)
                for s in range(S):
                    extra = _response(spend[s], up_cap[r] * active[s], up_cost[r]) if exp_budget > 0.0 else 0.0
                    p = min(upsell_rate[r, s] + extra / max(active[s], 1), 1.0)
                    add = uplift[r, s] * base[r, s]
                    ups_total = 0
                    if active[s] * p <= FEW_EVENTS:
                        # every member has the same chance: draw the segment's total, then which
                        # members expanded (exact, and far fewer draws than one per class)
                        ups_total = binomial_in(draw_key(keys[_UP], r, t, s), active[s], p)
                        if ups_total > 0:
                            key = class_key(keys[_UP], r, t, s, C3)
                            spread_over_members(key, ups_total, n, s, slots, struck)
                            for j in range(slots):
                                rev[s, j] += struck[j] * add
                    else:
                        occupied = 0
                        for j in range(slots):
                            if n[s, j] > 0:
                                draws[CLASS, occupied] = j
                                draws[TRIALS, occupied] = n[s, j]
                                chances[PROBABILITY, occupied] = p
                                occupied += 1
                        segment_key = draw_key(keys[_UP], r, t, s)
                        class_binomials(segment_key, draws, chances, occupied)
                        for i in range(occupied):
                            rev[s, draws[CLASS, i]] += draws[DRAWN, i] * add
                            ups_total += draws[DRAWN, i]
                    revenue_after[s] += ups_total * add
                    rec[UPSELLS, r, t] += ups_total
                    rec[RR_EXPANSION, r, t] += ups_total * add

            # 4. renew or leave, after the retention programme
            for s in range(S):
                hazard = 0.0
                rev_hazard = 0.0
                for j in range(slots):
                    if n[s, j] > 0:
                        hazard += n[s, j] * th[s, j]
                        rev_hazard += rev[s, j] * th[s, j]
                at_risk[s] = hazard  # churners expected without retention
                value[s] = rev_hazard
                at_risk_total[r, s] += hazard
            if ret_budget > 0.0:
                _split(ret_budget, retention_weights, use_weights[0], value, spend)
            for s in range(S):
                keep_rate = 1.0  # the share of each customer's churn probability left after retention
                if ret_budget > 0.0:
                    saves = _response(spend[s], save_cap[r] * at_risk[s], save_cost[r])
                    saves_total[r, s] += saves
                    rec[SAVED, r, t] += saves
                    keep_rate = 1.0 - saves / max(at_risk[s], 1e-300)
                churned = 0
                run_rate = 0.0
                occupied = 0
                for j in range(slots):
                    if n[s, j] > 0:
                        draws[CLASS, occupied] = j
                        draws[TRIALS, occupied] = n[s, j]
                        chances[PROBABILITY, occupied] = th[s, j] * keep_rate
                        occupied += 1
                segment_key = draw_key(keys[_CHURN], r, t, s)
                class_binomials(segment_key, draws, chances, occupied)
                for i in range(occupied):
                    j = draws[CLASS, i]
                    members = draws[TRIALS, i]
                    gone = draws[DRAWN, i]
                    if gone > 0:
                        lost = rev[s, j] if gone == members else rev[s, j] * gone / members
                        rev[s, j] = 0.0 if gone == members else rev[s, j] - lost
                        n[s, j] = members - gone
                        churned += gone
                        if track_lapsed:
                            home = j - C if j >= C else j
                            lapsed[s, home] += gone
                            lapsed_rev[s, home] += lost
                    run_rate += rev[s, j]
                active[s] -= churned
                lapsed_count[s] += churned
                rec[CHURNED, r, t] += churned
                rec[RR_LOST, r, t] += revenue_after[s] - run_rate
                rec[ACTIVE, r, t] += active[s]
                rec[LAPSED, r, t] += lapsed_count[s]
                rec[RUN_RATE, r, t] += run_rate
                active_by_segment[r, t, s] = active[s]
            if t == year_end:
                # customers of period 0 who never left: their base revenue, and their revenue with expansion
                kept = 0.0
                cohort = 0.0
                for s in range(S):
                    for k in range(K):
                        kept += n[s, k] * base[r, s]
                        cohort += rev[s, k]
                        n[s, k] += n[s, C + k]
                        rev[s, k] += rev[s, C + k]
                        n[s, C + k] = 0
                        rev[s, C + k] = 0.0
                year_kept_base[r] = kept
                year_cohort[r] = cohort
        value_left = 0.0
        for s in range(S):
            for j in range(C3):
                if n[s, j] > 0:
                    value_left += (rev[s, j] * margin[r, s] - n[s, j] * cost_to_serve[r, s]) / (discount[r] + th[s, j])
        residual[r] = value_left
