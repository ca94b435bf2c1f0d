"""The vectorised Monte Carlo engine: counts per (run, segment, latent churn class).

Each segment's customers are represented by latent classes with fixed churn
probabilities: ``K`` Gauss-Jacobi classes of Beta(a, b + tenure) for the customers
held at period 0, and ``K`` of Beta(a, b) for customers acquired later, so that
a closed cohort follows the shifted-beta-geometric survival curve exactly for
``t < 2K`` (and to about 1e-6 well beyond). Chance enters through one Binomial or
Poisson draw per run, segment and period for each event type; the draw is then
split across classes in proportion to each class's expected share, which keeps
every class's expected count exact while the cost stays independent of the
number of customers.
"""

from __future__ import annotations

import numpy as np

from .assumptions import Assumptions, split_budget, stream
from .results import EngineOutput
from .scenario import Budget, Scenario

CLASSES_PER_COHORT = 16


def simulate_vectorized(
    scenario: Scenario, budget: Budget, assumptions: Assumptions, seed: int, classes: int = CLASSES_PER_COHORT
) -> EngineOutput:
    """Run the scenario under ``budget`` for every run in ``assumptions``.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario (horizon, period, segments).
    budget : Budget
        Spend per period on each lever.
    assumptions : Assumptions
        Per-run values of every assumption (see :func:`draw_assumptions`).
    seed : int
        Seed of the chance streams (one stream per source of randomness).
    classes : int
        Latent churn classes per cohort type (existing, new).

    Returns
    -------
    EngineOutput
        Per-run paths of every flow and stock, and the quantities the figures need.
    """
    a = assumptions
    R, S, K, H = a.runs, a.customers.size, classes, scenario.horizon
    year_end = min(scenario.periods_per_year, H)
    rng_acq, rng_wb, rng_up, rng_churn = (stream(seed, s) for s in ("acquisition", "winback", "upsell", "churn"))

    theta, w_old, w_new = a.latent_classes(K)  # theta: (R, S, 2K), existing customers' classes first
    theta_max = theta.max(-1)
    theta2 = theta**2
    base = a.revenue  # (R, S)
    upsell_value = a.uplift * base
    margin = a.margin
    share = a.share[None, :]
    cac = a.cac[:, None]
    max_new = a.max_new[:, None]
    market = a.market[:, None]
    finite_market = bool(np.isfinite(a.market).any())
    prospects = a.market[:, None].copy()
    save_cap, save_cost = a.max_churn_reduction[:, None], a.cost_per_save[:, None]
    up_cap, up_cost = a.max_extra_upsell_rate[:, None], a.cost_per_upsell[:, None]
    wb_cap, wb_cost = a.max_winback_rate[:, None], a.cost_per_winback[:, None]
    track_lapsed = budget.winback > 0
    upsell_on = budget.expansion > 0 or bool(np.any(a.upsell_rate > 0))

    n = np.zeros((R, S, 2 * K))
    n[:, :, :K] = a.customers[None, :, None] * w_old
    rev = n * base[:, :, None]
    lapsed = np.zeros_like(n) if track_lapsed else None
    lapsed_rev = np.zeros_like(n) if track_lapsed else None
    active = np.broadcast_to(a.customers, (R, S)).astype(np.int64)
    lapsed_count = np.zeros((R, S), dtype=np.int64)

    # totals over segments per period, (H + 1, R); a product with ones is the fastest segment sum
    ones, ones_c = np.ones(S), np.ones(2 * K)
    rec = {name: np.zeros((H + 1, R)) for name in _RECORDED}
    active_by_segment = np.zeros((H + 1, R, S))
    active_by_segment[0] = active
    rec["active_customers"][0] = active @ ones
    rec["revenue_run_rate"][0] = (rev @ ones_c) @ ones
    saves_total = np.zeros((R, S))
    at_risk_total = np.zeros((R, S))
    year_kept_base = year_cohort = None
    zeros = np.zeros((R, S))

    for t in range(1, H + 1):
        # 1. newly acquired and won-back customers join
        if budget.acquisition > 0:
            ceiling = (max_new * (prospects / market) if finite_market else max_new) * share
            # each of the segment's ceil(ceiling) potential deals closes with the probability
            # that makes the expected count equal the lever's response
            trials = np.ceil(ceiling)
            expected = _response(budget.acquisition * share, ceiling, cac)
            new = rng_acq.binomial(trials.astype(np.int64), np.minimum(expected / np.maximum(trials, 1.0), 1.0))
            if finite_market:
                total = new.sum(1, keepdims=True)
                over = (total > prospects)[:, 0]
                if over.any():
                    room = np.floor(prospects[over])
                    new[over] = np.floor(new[over] * room / total[over]).astype(np.int64)
                prospects = prospects - new.sum(1, keepdims=True)
            joined = new[:, :, None] * w_new
            n[:, :, K:] += joined
            rev[:, :, K:] += joined * base[:, :, None]
            active += new
            rec["new_customers"][t] = new @ ones
            rec["run_rate_new"][t] = (new * base) @ ones
        if track_lapsed:
            spend = split_budget(budget.winback, a.weights["winback"], lapsed_rev @ ones_c)
            expected = _response(spend, wb_cap * lapsed_count, wb_cost)
            back = rng_wb.binomial(lapsed_count, np.minimum(expected / np.maximum(lapsed_count, 1), 1.0))
            frac = (back / np.maximum(lapsed_count, 1))[:, :, None]
            moved, moved_rev = lapsed * frac, lapsed_rev * frac
            lapsed -= moved
            lapsed_rev -= moved_rev
            n += moved
            rev += moved_rev
            active += back
            lapsed_count -= back
            rec["winbacks"][t] = back @ ones
            rec["run_rate_winback"][t] = (moved_rev @ ones_c) @ ones

        # 2. every active customer pays
        revenue = rev @ ones_c
        rec["revenue"][t] = revenue @ ones
        rec["gross_profit"][t] = (revenue * margin) @ ones
        revenue_after = revenue

        # 3. expansions (revenue from the next period on)
        if upsell_on:
            spend = split_budget(budget.expansion, a.weights["expansion"], revenue * a.uplift)
            per_customer = 1.0 / np.maximum(active, 1)
            extra = _response(spend, up_cap * active, up_cost) if budget.expansion > 0 else zeros
            ups = rng_up.binomial(active, np.minimum(a.upsell_rate + extra * per_customer, 1.0))
            added = ups * upsell_value
            rev += n * (added * per_customer)[:, :, None]
            revenue_after = revenue + added
            rec["upsells"][t] = ups @ ones
            rec["run_rate_expansion"][t] = added @ ones

        # 4. renew or leave, after the retention programme
        at_risk = np.einsum("rsk,rsk->rs", n, theta)  # churners expected without retention
        rev_at_risk = np.einsum("rsk,rsk->rs", rev, theta)
        keep_rate = 1.0  # 1 - rho: the share of each customer's churn probability left after retention
        if budget.retention > 0:
            spend = split_budget(budget.retention, a.weights["retention"], rev_at_risk)
            saves = _response(spend, save_cap * at_risk, save_cost)
            saves_total += saves
            rec["saved_customers"][t] = saves @ ones
            keep_rate = 1.0 - saves / np.maximum(at_risk, 1e-300)
        # The segment's churners are a sum of Binomial(n_k, q_k) over classes; draw them as one
        # Binomial(m, p) with the same mean and variance (m = E^2 / sum n_k q_k^2 <= active), so
        # that draws far above the mean, which no class could supply, are as rare as in the sum.
        expected = at_risk * keep_rate
        square = np.einsum("rsk,rsk->rs", n, theta2) * keep_rate**2
        trials = np.minimum(np.rint(expected**2 / np.maximum(square, 1e-300)), active)
        trials = np.maximum(trials, np.minimum(np.ceil(expected), active)).astype(np.int64)
        churned = rng_churn.binomial(trials, np.minimum(expected / np.maximum(trials, 1), 1.0))
        # class k loses theta_k * churned / at_risk of its members: expected class counts stay exact
        scale = churned / np.maximum(at_risk, 1e-300)
        overfull = theta_max * scale > 1.0
        if overfull.any():
            # a draw well above its mean: a class cannot lose more than all its members, so
            # cap those and spread the rest over the others in proportion to their hazard
            frac = _water_fill(n[overfull], theta[overfull], churned[overfull], scale[overfull])
            keep = 1.0 - theta * scale[:, :, None]
            keep[overfull] = 1.0 - frac
        else:
            keep = 1.0 - theta * scale[:, :, None]
        if track_lapsed:
            lapsed += n * (1.0 - keep)
            lapsed_rev += rev * (1.0 - keep)
        n *= keep
        rev *= keep
        run_rate = rev @ ones_c
        lost_rev = revenue_after - run_rate
        active -= churned
        lapsed_count += churned
        at_risk_total += at_risk

        rec["churned_customers"][t] = churned @ ones
        rec["run_rate_lost"][t] = lost_rev @ ones
        rec["active_customers"][t] = active @ ones
        active_by_segment[t] = active
        rec["lapsed_customers"][t] = lapsed_count @ ones
        rec["revenue_run_rate"][t] = run_rate @ ones
        if t == year_end:
            year_kept_base = (n[:, :, :K].sum(-1) * base).sum(1)
            year_cohort = rev[:, :, :K].sum((1, 2))

    residual = (rev * (margin[:, :, None] / (a.discount[:, None, None] + theta))).sum((1, 2))
    paths = {name: values.T for name, values in rec.items()}  # (R, H + 1) views
    return EngineOutput(
        paths=paths,
        active_by_segment=active_by_segment.transpose(1, 0, 2),
        residual_value=residual,
        start_run_rate=paths["revenue_run_rate"][:, 0].copy(),
        year_kept_base=year_kept_base,
        year_cohort_run_rate=year_cohort,
        saves_by_segment=saves_total,
        at_risk_by_segment=at_risk_total,
    )


def _water_fill(n, theta, churned, scale):
    """Fractions ``min(1, lam * theta_k)`` of each class that leave, with ``sum n_k f_k = churned``.

    The riskiest classes are capped at losing all their members and the rest of the draw is
    spread over the others in proportion to their hazard: with capped set ``C``,
    ``lam = (churned - members of C) / (hazard outside C)``. Capping only raises ``lam``, so the
    set grows until it no longer changes (at most one step per class, usually one or two).
    """
    hazard = n * theta
    capped = scale[:, None] * theta > 1.0
    lam = scale.copy()
    todo = np.arange(n.shape[0])  # cells whose capped set may still grow
    for _ in range(theta.shape[-1]):
        c, h, m, th = capped[todo], hazard[todo], n[todo], theta[todo]
        free_hazard = np.where(c, 0.0, h).sum(-1)
        lam[todo] = (churned[todo] - np.where(c, m, 0.0).sum(-1)) / np.maximum(free_hazard, 1e-300)
        grown = c | (lam[todo, None] * th > 1.0)
        changed = (grown != c).any(-1)
        capped[todo] = grown
        todo = todo[changed]
        if todo.size == 0:
            break
    return np.where(capped, 1.0, np.minimum(1.0, lam[:, None] * theta))


def _response(spend, ceiling, cost):
    """:func:`lever_response` without argument checks, for the inner loop (ceiling may be 0)."""
    return ceiling * -np.expm1(-spend / np.maximum(ceiling * cost, 1e-300))


_RECORDED = (
    "active_customers", "new_customers", "churned_customers", "saved_customers", "upsells",
    "winbacks", "lapsed_customers", "revenue", "gross_profit", "revenue_run_rate",
    "run_rate_new", "run_rate_expansion", "run_rate_winback", "run_rate_lost",
)  # fmt: skip
