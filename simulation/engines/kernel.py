"""Compiled period loop of the vectorised engine.

Per run and segment the state is the integer count and the run-rate revenue of each latent
churn class; chance comes from keyed Binomial draws, one per occupied class for every event
whose outcome depends on who the customer is, a segment's draws of one kind made together
(:func:`~simulation.numerics.class_draws.class_binomials`). The loop releases the interpreter
lock, so blocks of runs proceed on several cores at once; it is compiled by Numba on first use
and cached on disk.

The inputs come in named groups (:mod:`simulation.engines.kernel_inputs`), each array read by its
field name. What happens once a run (placing the starting customers, closing the first year,
valuing the customers left) is a function of its own, compiled into the loop; the steps of a
period are written out in it (see :func:`simulate_block`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

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
from .kernel_inputs import SOURCES
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
PROGRAMME = RECORDED.index("programme_costs")

_ACQ, _WB, _UP, _CHURN, _REF, _JOIN, _START, _SAVE = (SOURCES.index(source) for source in (
    "acquisition", "winback", "upsell", "churn", "referral", "join", "start", "save"
))  # fmt: skip
# Expected events in a segment up to which an event that strikes every member alike is drawn as
# one total and spread over the classes member by member; above it, one Binomial per class.
FEW_EVENTS = 64.0


class State(NamedTuple):
    """One run's state and scratch space, (segments, slots) unless noted; reused run after run.

    Slots ``0..K-1`` are the latent classes of the customers held at period 0, ``K..2K-1`` those of
    customers who joined later, and ``2K..3K-1``, until the end of the first year, customers held
    at period 0 who left and were won back.
    """

    theta: np.ndarray  # each slot's churn probability
    members: np.ndarray  # int64: customers in each slot
    revenue: np.ndarray  # their run-rate revenue
    lapsed: np.ndarray  # int64 (segments, 2K): customers who left, by the class they left
    lapsed_revenue: np.ndarray  # (segments, 2K): the run-rate revenue they took
    placed: np.ndarray  # int64 (K,): a cohort's customers placed in classes
    struck: np.ndarray  # int64 (3K,): members of each slot an event fell on
    draws: np.ndarray  # int64 (DRAW_ROWS, 3K): a segment's class draws (class_binomials)
    chances: np.ndarray  # (CHANCE_ROWS, 3K)
    active: np.ndarray  # int64 (segments,)
    lapsed_count: np.ndarray  # int64 (segments,)
    new: np.ndarray  # int64 (segments,): paid acquisitions this period
    referred: np.ndarray  # int64 (segments,): referrals this period
    value: np.ndarray  # (segments,): what a lever's budget is split by
    lever_spend: np.ndarray  # (segments,): a lever's budget per segment
    revenue_after: np.ndarray  # (segments,): revenue paid this period, then with this period's upsells
    expected_churners: np.ndarray  # (segments,): churners expected without retention
    cohort_placed: np.ndarray  # int64 (segments, horizon + 1, K): each period's joiners by class (0: the base)
    kept_share: np.ndarray  # (segments, horizon + 1, 2K): share of each class's members who renewed in a period


@njit(inline="always")
def _new_state(S, C, H):
    K = C // 2
    C3 = C + K
    return State(
        theta=np.empty((S, C3)),
        members=np.zeros((S, C3), dtype=np.int64),
        revenue=np.zeros((S, C3)),
        lapsed=np.zeros((S, C), dtype=np.int64),
        lapsed_revenue=np.zeros((S, C)),
        placed=np.empty(K, dtype=np.int64),
        struck=np.zeros(C3, dtype=np.int64),
        draws=np.empty((DRAW_ROWS, C3), dtype=np.int64),
        chances=np.empty((CHANCE_ROWS, C3)),
        active=np.empty(S, dtype=np.int64),
        lapsed_count=np.empty(S, dtype=np.int64),
        new=np.zeros(S, dtype=np.int64),
        referred=np.zeros(S, dtype=np.int64),
        value=np.empty(S),
        lever_spend=np.empty(S),
        revenue_after=np.empty(S),
        expected_churners=np.empty(S),
        cohort_placed=np.zeros((S, H + 1, K), dtype=np.int64),
        kept_share=np.ones((S, H + 1, C)),
    )


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


@njit(inline="always")
def _start_run(r, segments, chance, st, out):
    """Load run ``r``'s class probabilities, place the customers held at period 0 and record period 0."""
    members = st.members
    lapsed = st.lapsed
    theta = st.theta
    active = st.active
    lapsed_count = st.lapsed_count
    placed = st.placed
    revenue = st.revenue
    lapsed_revenue = st.lapsed_revenue
    cohort_placed = st.cohort_placed
    customers = segments.customers
    base = segments.revenue
    theta_in = chance.theta
    keys = chance.keys
    placing_old = chance.placing_old
    picking_old = chance.picking_old
    active_by_segment = out.active_by_segment
    paths = out.paths
    S, C3 = members.shape
    C = lapsed.shape[1]
    K = C // 2
    for s in range(S):
        for j in range(C):
            theta[s, j] = theta_in[r, s, j]
        for k in range(K):
            theta[s, C + k] = theta_in[r, s, k]
    run_rate0 = 0.0
    for s in range(S):
        active[s] = customers[s]
        lapsed_count[s] = 0
        start_key = draw_key(keys[_START], r, 0, s)
        multinomial_in(start_key, customers[s], placing_old, picking_old, r, s, placed)
        cohort_placed[s, :, :] = 0
        for k in range(K):
            cohort_placed[s, 0, k] = placed[k]
        for j in range(C3):
            members[s, j] = placed[j] if j < K else 0
            revenue[s, j] = members[s, j] * base[r, s]
            run_rate0 += revenue[s, j]
        for j in range(C):
            lapsed[s, j] = 0
            lapsed_revenue[s, j] = 0.0
        active_by_segment[r, 0, s] = customers[s]
    for m in range(paths.shape[0]):
        paths[m, r, 0] = 0.0
    paths[ACTIVE, r, 0] = customers.sum()
    paths[RUN_RATE, r, 0] = run_rate0


@njit(inline="always")
def _close_first_year(r, segments, st, out):
    """Record the base revenue and the revenue of the period-0 customers who never left; merge back
    those won back in the first year."""
    active = st.active
    lapsed = st.lapsed
    members = st.members
    revenue = st.revenue
    base = segments.revenue
    year_kept_base = out.year_kept_base
    year_cohort = out.year_cohort
    S = active.size
    C = lapsed.shape[1]
    K = C // 2
    kept = 0.0
    cohort = 0.0
    for s in range(S):
        for k in range(K):
            kept += members[s, k] * base[r, s]
            cohort += revenue[s, k]
            members[s, k] += members[s, C + k]
            revenue[s, k] += revenue[s, C + k]
            members[s, C + k] = 0
            revenue[s, C + k] = 0.0
    year_kept_base[r] = kept
    year_cohort[r] = cohort


@njit(inline="always")
def _value_left(r, segments, timing, st):
    """The value at the horizon of the customers still active, their net margin valued to infinity.

    A member of a class with churn ``theta`` is worth ``net / (discount + theta)``; the survivors of each
    cohort (the base, and each period's joiners) are then scaled by the ratio of the exact sBG value at
    their tenure to the classes' value (:func:`~simulation.engines.kernel_inputs.tenure_corrections`),
    which the quadrature misses when discounting is slow. A class's survivors of a cohort are its
    joiners times the share of its members kept in every period since (the expectation given the
    class's draws); members who came back after leaving keep the class's value.
    """
    members = st.members
    revenue = st.revenue
    theta = st.theta
    cohort_placed = st.cohort_placed
    kept_share = st.kept_share
    margin = segments.margin
    cost_to_serve = segments.cost_to_serve
    discount = timing.discount
    correction = timing.tenure_correction
    S, C3 = members.shape
    H = cohort_placed.shape[1] - 1
    K = cohort_placed.shape[2]
    value_left = 0.0
    for s in range(S):
        for j in range(C3):
            n = members[s, j]
            if n <= 0:
                continue
            weight = n  # members counted at the classes' value
            if j < 2 * K:
                k = j if j < K else j - K
                kept = 1.0
                counted = 0.0
                scaled = 0.0
                first = 0 if j < K else 1
                last = 0 if j < K else H
                for cohort in range(H, first - 1, -1):
                    kept *= kept_share[s, cohort, j] if cohort > 0 else 1.0
                    if cohort > last:
                        continue
                    alive = cohort_placed[s, cohort, k] * kept
                    counted += alive
                    scaled += alive * correction[r, s, cohort]
                weight = scaled + max(n - counted, 0.0)
            net = revenue[s, j] * margin[r, s] - n * cost_to_serve[r, s]
            value_left += net / (discount[r] + theta[s, j]) * (weight / n)
    return value_left


@njit(inline="always")
def _programme_factors(programmes, r, t, churn_factor, revenue_factor, per_customer, revenue_share):
    """Run ``r``'s programme factors and cost rates in period ``t``, per segment; return the fixed cost.

    The same as :func:`simulation.model.programmes.period_factors`: a covered segment's churn (and
    revenue) is multiplied by ``1 + ramp (multiplier - 1)`` of every programme; with none, by 1.
    """
    fixed = 0.0
    for s in range(churn_factor.size):
        churn_factor[s] = programmes.season_churn[t]
        revenue_factor[s] = 1.0
        per_customer[s] = 0.0
        revenue_share[s] = 0.0
    for p in range(programmes.cover.shape[0]):
        step = programmes.ramp[p, t]
        on = programmes.running[p, t]
        fixed += on * programmes.fixed[p]
        for s in range(churn_factor.size):
            if programmes.cover[p, s] > 0.0:
                churn_factor[s] *= 1.0 + step * (programmes.churn[p, r] - 1.0)
                revenue_factor[s] *= 1.0 + step * (programmes.revenue[p, r] - 1.0)
                per_customer[s] += on * programmes.cost_per_customer[p]
                revenue_share[s] += on * programmes.revenue_share[p]
    return fixed


@njit(cache=True, nogil=True)
def simulate_block(run_lo, run_hi, spend, segments, levers, chance, timing, programmes, out):
    """Simulate runs ``run_lo`` to ``run_hi - 1``, writing into ``out``.

    The inputs are :class:`~simulation.engines.kernel_inputs.Spend`, ``Segments``, ``Levers``,
    ``Chance``, ``Timing`` and the programmes' arrays; ``out`` is ``Outputs``. Per run and segment the state is the
    integer count and run-rate revenue of ``3K`` class slots (:class:`State`). Each class's
    churners are Binomial(n_k, theta_k (1 - rho)); its upsells, win-backs and joiners are integer
    draws too, so every path has the per-customer model's distribution, not only its mean. A
    class's revenue is the sum over its members; a leaver takes the class's mean revenue.
    """
    S, C = chance.theta.shape[1], chance.theta.shape[2]
    K = C // 2
    C3 = C + K
    H = out.paths.shape[2] - 1
    year_end = timing.year_end
    track_lapsed = spend.winback > 0.0
    st = _new_state(S, C, H)
    # Each array gets its name once, here. The steps of a period are written out in the loop
    # rather than called: an array handed to a step (even one compiled into the loop) is
    # reference-counted at every call, which cost some 10 % of the engine's time.
    theta, members, revenue = st.theta, st.members, st.revenue
    lapsed, lapsed_revenue, placed, struck = st.lapsed, st.lapsed_revenue, st.placed, st.struck
    draws, chances = st.draws, st.chances
    active, lapsed_count, new, referred = st.active, st.lapsed_count, st.new, st.referred
    value, lever_spend, revenue_after, expected_churners = (
        st.value, st.lever_spend, st.revenue_after, st.expected_churners
    )  # fmt: skip
    cohort_placed, kept_share = st.cohort_placed, st.kept_share
    base, margin, uplift, upsell_rate = segments.revenue, segments.margin, segments.uplift, segments.upsell_rate
    cost_to_serve, referral_rate, share = segments.cost_to_serve, segments.referral_rate, segments.share
    cac, max_new, market = levers.cac, levers.max_new, levers.market
    max_churn_reduction, cost_per_save = levers.max_churn_reduction, levers.cost_per_save
    max_extra_upsell_rate, cost_per_upsell = levers.max_extra_upsell_rate, levers.cost_per_upsell
    max_winback_rate, cost_per_winback = levers.max_winback_rate, levers.cost_per_winback
    keys, placing_new, picking_new = chance.keys, chance.placing_new, chance.picking_new
    retention_weights, expansion_weights, winback_weights = (
        spend.retention_weights, spend.expansion_weights, spend.winback_weights
    )  # fmt: skip
    paths, active_by_segment, saves_total, at_risk_total = out.paths, out.active_by_segment, out.saves, out.at_risk
    end_run_rate = out.end_run_rate
    churn_factor, revenue_factor, per_customer, revenue_share = np.ones(S), np.ones(S), np.zeros(S), np.zeros(S)
    join_price = programmes.join_price
    for r in range(run_lo, run_hi):
        referring = False
        upsell_on = spend.expansion > 0.0
        for s in range(S):
            upsell_on = upsell_on or upsell_rate[r, s] > 0.0
            referring = referring or referral_rate[r, s] > 0.0
        finite_market = math.isfinite(market[r])
        prospects = market[r]
        _start_run(r, segments, chance, st, out)

        for t in range(1, H + 1):
            for m in range(paths.shape[0]):
                paths[m, r, t] = 0.0
            paths[PROGRAMME, r, t] = _programme_factors(
                programmes, r, t, churn_factor, revenue_factor, per_customer, revenue_share
            )
            first_year = t <= year_end
            # slots 2K.. hold period-0 customers won back in the first year: only then can they be occupied
            slots = C3 if track_lapsed and first_year else C
            # 1. newly acquired, referred and won-back customers join
            if spend.acquisition > 0.0:
                total_new = 0
                for s in range(S):
                    ceiling = max_new[r] * share[s]
                    if finite_market:
                        ceiling *= prospects / market[r]
                    # each of the segment's ceil(ceiling) potential deals closes with the
                    # probability that makes the expected count the lever's response
                    season = programmes.season_acquisition[t]
                    trials = math.ceil(ceiling * max(season, 1.0))
                    expected = _response(spend.acquisition * share[s], ceiling, cac[r]) * season
                    p = min(expected / max(trials, 1.0), 1.0)
                    new[s] = binomial_in(draw_key(keys[_ACQ], r, t, s), int(trials), p)
                    total_new += new[s]
                if finite_market:
                    prospects = _fit_to_prospects(new, total_new, prospects, S)
            if referring:
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
            if spend.acquisition > 0.0 or referring:
                for s in range(S):
                    joining = (new[s] if spend.acquisition > 0.0 else 0) + (referred[s] if referring else 0)
                    if joining == 0:
                        continue
                    join_key = draw_key(keys[_JOIN], r, t, s)
                    multinomial_in(join_key, joining, placing_new, picking_new, r, s, placed)
                    for k in range(K):
                        cohort_placed[s, t, k] = placed[k]
                        if placed[k] > 0:
                            members[s, K + k] += placed[k]
                            revenue[s, K + k] += placed[k] * base[r, s] * join_price[r]
                    active[s] += joining
                    if spend.acquisition > 0.0:
                        paths[NEW, r, t] += new[s]
                        paths[RR_NEW, r, t] += new[s] * base[r, s] * join_price[r]
                    if referring:
                        paths[REFERRED, r, t] += referred[s]
                        paths[RR_REFERRED, r, t] += referred[s] * base[r, s] * join_price[r]
            if track_lapsed:
                for s in range(S):
                    value[s] = 0.0
                    for j in range(C):
                        value[s] += lapsed_revenue[s, j]
                _split(spend.winback, winback_weights, spend.use_winback_weights, value, lever_spend)
                for s in range(S):
                    count = lapsed_count[s]
                    if count == 0:
                        continue
                    expected = _response(lever_spend[s], max_winback_rate[r] * count, cost_per_winback[r])
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
                        moved = lapsed_revenue[s, j] * back / pool
                        lapsed[s, j] = pool - back
                        lapsed_revenue[s, j] = 0.0 if back == pool else lapsed_revenue[s, j] - moved
                        dest = C + j if j < K and first_year else j  # period-0 customers back in year one
                        members[s, dest] += back
                        revenue[s, dest] += moved
                        moved_rev += moved
                        back_total += back
                    active[s] += back_total
                    lapsed_count[s] -= back_total
                    paths[WINBACKS, r, t] += back_total
                    paths[RR_WINBACK, r, t] += moved_rev

            # 2. every active customer pays
            for s in range(S):
                paid = 0.0
                for j in range(slots):
                    paid += revenue[s, j]
                revenue_after[s] = paid
                charged = paid * revenue_factor[s]  # what the customers pay under the programmes
                paths[REVENUE, r, t] += charged
                paths[GROSS_PROFIT, r, t] += charged * margin[r, s]
                paths[PROGRAMME, r, t] += active[s] * per_customer[s] + charged * revenue_share[s]
                paths[COST_TO_SERVE, r, t] += active[s] * cost_to_serve[r, s]

            # 3. expansions (revenue from the next period on), each customer with the segment's chance
            if upsell_on:
                for s in range(S):
                    value[s] = revenue_after[s] * uplift[r, s]
                _split(spend.expansion, expansion_weights, spend.use_expansion_weights, value, lever_spend)
                for s in range(S):
                    extra = 0.0
                    if spend.expansion > 0.0:
                        extra = _response(lever_spend[s], max_extra_upsell_rate[r] * active[s], cost_per_upsell[r])
                    p = min(upsell_rate[r, s] + extra / max(active[s], 1), 1.0)
                    add = uplift[r, s] * base[r, s]
                    ups_total = 0
                    if active[s] * p <= FEW_EVENTS:
                        # every member has the same chance: draw the segment's total, then which
                        # members expanded (exact, and far fewer draws than one per class)
                        ups_total = binomial_in(draw_key(keys[_UP], r, t, s), active[s], p)
                        if ups_total > 0:
                            key = class_key(keys[_UP], r, t, s, C3)
                            spread_over_members(key, ups_total, members, s, slots, struck)
                            for j in range(slots):
                                revenue[s, j] += struck[j] * add
                    else:
                        occupied = 0
                        for j in range(slots):
                            if members[s, j] > 0:
                                draws[CLASS, occupied] = j
                                draws[TRIALS, occupied] = members[s, j]
                                chances[PROBABILITY, occupied] = p
                                occupied += 1
                        segment_key = draw_key(keys[_UP], r, t, s)
                        class_binomials(segment_key, draws, chances, occupied)
                        for i in range(occupied):
                            revenue[s, draws[CLASS, i]] += draws[DRAWN, i] * add
                            ups_total += draws[DRAWN, i]
                    revenue_after[s] += ups_total * add
                    paths[UPSELLS, r, t] += ups_total
                    paths[RR_EXPANSION, r, t] += ups_total * add

            # 4. renew or leave, after the retention programme
            for s in range(S):
                hazard = 0.0
                rev_hazard = 0.0
                for j in range(slots):
                    if members[s, j] > 0:
                        hazard += members[s, j] * theta[s, j]
                        rev_hazard += revenue[s, j] * theta[s, j]
                hazard *= churn_factor[s]  # the programmes' effect on every customer's churn
                rev_hazard *= churn_factor[s]
                expected_churners[s] = hazard  # churners expected without retention
                value[s] = rev_hazard
                at_risk_total[r, s] += hazard
            if spend.retention > 0.0:
                _split(spend.retention, retention_weights, spend.use_retention_weights, value, lever_spend)
            for s in range(S):
                keep_rate = 1.0  # the share of each customer's churn probability left after retention
                if spend.retention > 0.0:
                    saves = _response(lever_spend[s], max_churn_reduction[r] * expected_churners[s], cost_per_save[r])
                    saves_total[r, s] += saves
                    keep_rate = 1.0 - saves / max(expected_churners[s], 1e-300)
                churned = 0
                run_rate = 0.0
                occupied = 0
                for j in range(C):
                    kept_share[s, t, j] = 1.0
                for j in range(slots):
                    if members[s, j] > 0:
                        draws[CLASS, occupied] = j
                        draws[TRIALS, occupied] = members[s, j]
                        chances[PROBABILITY, occupied] = min(theta[s, j] * churn_factor[s], 1.0) * keep_rate
                        occupied += 1
                segment_key = draw_key(keys[_CHURN], r, t, s)
                class_binomials(segment_key, draws, chances, occupied)
                for i in range(occupied):
                    j = draws[CLASS, i]
                    in_class = draws[TRIALS, i]
                    gone = draws[DRAWN, i]
                    if j < C:
                        kept_share[s, t, j] = (in_class - gone) / in_class
                    if gone > 0:
                        lost = revenue[s, j] if gone == in_class else revenue[s, j] * gone / in_class
                        revenue[s, j] = 0.0 if gone == in_class else revenue[s, j] - lost
                        members[s, j] = in_class - gone
                        churned += gone
                        if track_lapsed:
                            home = j - C if j >= C else j
                            lapsed[s, home] += gone
                            lapsed_revenue[s, home] += lost
                    run_rate += revenue[s, j]
                if spend.retention > 0.0 and spend.count_saved:
                    # the customers the programme kept, drawn on a stream of their own: of a class's
                    # stayers, each would have left without it with chance theta (1 - keep) / (1 - theta keep)
                    for i in range(occupied):
                        j = draws[CLASS, i]
                        draws[TRIALS, i] = members[s, j]
                        hazard = min(theta[s, j] * churn_factor[s], 1.0)
                        stay = 1.0 - hazard * keep_rate
                        chances[PROBABILITY, i] = min(hazard * (1.0 - keep_rate) / stay, 1.0) if stay > 0.0 else 0.0
                    class_binomials(draw_key(keys[_SAVE], r, t, s), draws, chances, occupied)
                    for i in range(occupied):
                        paths[SAVED, r, t] += draws[DRAWN, i]
                active[s] -= churned
                lapsed_count[s] += churned
                paths[CHURNED, r, t] += churned
                paths[RR_LOST, r, t] += revenue_after[s] - run_rate
                paths[ACTIVE, r, t] += active[s]
                paths[LAPSED, r, t] += lapsed_count[s]
                paths[RUN_RATE, r, t] += run_rate
                active_by_segment[r, t, s] = active[s]
                end_run_rate[r, s] = run_rate  # the horizon's is the last written
            if t == year_end:
                _close_first_year(r, segments, st, out)
        out.residual[r] = _value_left(r, segments, timing, st)
