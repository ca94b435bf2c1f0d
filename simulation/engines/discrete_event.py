"""The discrete-event engine: every customer a SimPy process, with an event log.

Each customer is a process with their own churn probability theta, drawn from the
segment's Beta distribution (existing customers from the tenure-filtered
Beta(a, b + tenure), new ones from Beta(a, b)). Once a period the process wakes on
the period's shared renewal event and renews or leaves with probability
theta (1 - rho); a customer who leaves joins the lapsed pool and, when win-back
is funded, waits there as the same process until the win-back programme brings
them back with the same theta and revenue. The levers are processes of their own.

Period ``t`` occupies the simulated time ``[t, t + 1)``; its steps run in
the order of docs/MODEL.md (section 2) at fixed offsets (exact binary fractions, so times never drift):

==========  ======================================================================
``t + 0``   acquisition, then referrals: the period's new customers join, one process each
``t + 1/8`` win-back: chosen lapsed customers return
``t + 1/4`` every active customer pays the period's revenue (the ledger records it)
``t + 3/8`` expansion: customers who expand pay more from the next period on
``t + 1/2`` retention programme: sets each segment's churn reduction rho
``t + 3/4`` renewal: every customer process renews or leaves
==========  ======================================================================

Programmes, a price change and seasons (:mod:`simulation.model.programmes`) act as in the
vectorised engine: at the payment their factors multiply each segment's revenue and their costs are
booked, at the renewal their factors multiply each customer's churn, and a new price sets the
revenue and churn of the customers who join.

The lever rules are the vectorised engine's (:mod:`simulation.engines.vectorized`):
the same saturating responses, budget splits across segments and acquisition
draws, so that on any scenario both can run their means agree within Monte
Carlo error.

Random streams. Run ``r`` draws each source of randomness from its own child of
the per-source seed sequence (the one :func:`simulation.model.assumptions.stream_key` uses),
``SeedSequence(seed, spawn_key=(STREAMS[source], r))``: ``acquisition`` (new
customers per segment), ``referral`` (referred customers per segment), ``winback``
(who returns), ``theta`` (its children 0 and 1: existing and new customers' churn
probabilities), ``upsell`` and ``churn``.
The last two give each customer one uniform per period, read at a position that
depends only on the period and the customer's id (existing customers are
numbered first), so two budgets run with the same seed treat the same customer
in the same period with the same number: the comparison of plans uses common
random numbers down to the individual customer.
"""

from __future__ import annotations

import gc
import math
from types import SimpleNamespace

import numpy as np
import simpy

from ..model.assumptions import STREAMS, Assumptions
from ..model.closed_forms import sbg_parameters
from ..model.levers import response as _response
from ..model.levers import split_budget
from ..model.programmes import period_factors, scenario_programmes
from ..model.scenario import Budget, Scenario
from .discrete_event_size import DEFAULT_LIMIT, MAX_CUSTOMERS_PER_RUN, check_size, estimate_customer_periods
from .event_log import EVENT_COLUMNS, EVENTS, event_frame, write_event_log
from .paths import RECORDED
from .results import EngineOutput

__all__ = [
    "DEFAULT_LIMIT",
    "EVENTS",
    "EVENT_COLUMNS",
    "MAX_CUSTOMERS_PER_RUN",
    "check_size",
    "estimate_customer_periods",
    "simulate_discrete_event",
    "write_event_log",
]

_ACQUIRED, _SAVED, _EXPANDED, _CHURNED, _WON_BACK, _REFERRED = range(len(EVENTS))

JOIN, WINBACK, PAY, EXPAND, RETAIN, RENEW = 0.0, 0.125, 0.25, 0.375, 0.5, 0.75

# Uniforms reserved per period in the churn and upsell streams: more than any run's customers.
_STRIDE = 1 << 40


def simulate_discrete_event(
    scenario: Scenario,
    budget: Budget,
    assumptions: Assumptions,
    seed: int,
    *,
    record_events: bool = False,
    max_customer_periods: int | None = DEFAULT_LIMIT,
) -> EngineOutput:
    """Simulate every customer of every run as a SimPy process.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario (horizon, period, segments).
    budget : Budget
        Spend per period on each lever.
    assumptions : Assumptions
        Per-run values of every assumption; run ``r`` uses index ``r``.
    seed : int
        Seed of the chance streams (see the module docstring).
    record_events : bool
        Keep one row per event in ``extras["events"]`` (a DataFrame with the columns
        run, period, customer_id, segment, event, revenue; revenue is the customer's
        revenue per period after the event, and for ``churned`` the revenue per period
        they took with them, which they bring back if won back).
    max_customer_periods : int or None
        Refuse to start when the estimated customer-periods, summed over runs, exceed
        this (see :func:`estimate_customer_periods`); None for no limit.

    Returns
    -------
    EngineOutput
        The same structure as the vectorised engine's, plus ``extras["customer_periods"]``
        (customer-periods simulated, int) and, when asked, ``extras["events"]``.

    Raises
    ------
    InputError
        When the scenario is too large for per-customer simulation.
    """
    check_size(scenario, budget, assumptions, max_customer_periods)
    R, H, S = assumptions.runs, scenario.horizon, assumptions.customers.size
    out = SimpleNamespace(  # the arrays every run writes its row of
        paths={name: np.zeros((R, H + 1)) for name in RECORDED},
        active_by_segment=np.zeros((R, H + 1, S)),
        end_run_rate=np.zeros((R, S)),
        residual=np.zeros(R),
        year_kept_base=np.zeros(R),
        year_cohort=np.zeros(R),
        saves=np.zeros((R, S)),
        at_risk=np.zeros((R, S)),
    )
    frames = []
    customer_periods = 0
    programmes = scenario_programmes(scenario, assumptions, seed)
    for r in range(R):
        # The cyclic garbage collector would rescan every live customer process many times
        # a run (4-5x slower with tens of thousands of customers); pause it for one run at
        # a time and break the run's reference cycles afterwards, so nothing piles up.
        collecting = gc.isenabled()
        gc.disable()
        try:
            run = _Run(scenario, budget, assumptions, seed, r, out, record_events, programmes)
            run.simulate()
        finally:
            if collecting:
                gc.enable()
        customer_periods += run.customer_periods
        if record_events:
            frames.append(run.event_arrays())
        run.release()
    paths = out.paths
    extras = {"customer_periods": int(customer_periods)}
    if record_events:
        extras["events"] = event_frame(frames, [s.name for s in scenario.segments])
    return EngineOutput(
        paths=paths,
        active_by_segment=out.active_by_segment,
        end_run_rate_by_segment=out.end_run_rate,
        residual_value=out.residual,
        start_run_rate=paths["revenue_run_rate"][:, 0].copy(),
        year_kept_base=out.year_kept_base,
        year_cohort_run_rate=out.year_cohort,
        saves_by_segment=out.saves,
        at_risk_by_segment=out.at_risk,
        extras=extras,
    )


class _Run:
    """One Monte Carlo run: a SimPy environment, its customers and its lever processes.

    The book of customers (theta, revenue, segment, active) is kept in arrays indexed by
    customer id, so that the programmes' sums over customers cost one NumPy call each;
    the customer processes decide their own renewals.
    """

    def __init__(self, scenario, budget, a, seed, r, out, record, programmes):
        self.env = simpy.Environment()
        self.H, self.S, self.r, self.out, self.record = scenario.horizon, a.customers.size, r, out, record
        self.budget = budget
        self.year_end = min(scenario.periods_per_year, scenario.horizon)
        self.base, self.margin = a.revenue[r], a.margin[r]
        self.uplift, self.upsell_rate = a.uplift[r], a.upsell_rate[r]
        self.add = self.uplift * self.base
        self.discount = float(a.discount[r])
        self.share, self.cac, self.max_new = a.share, float(a.cac[r]), float(a.max_new[r])
        self.market = float(a.market[r])
        self.prospects = self.market
        self.save_cap, self.save_cost = float(a.max_churn_reduction[r]), float(a.cost_per_save[r])
        self.up_cap, self.up_cost = float(a.max_extra_upsell_rate[r]), float(a.cost_per_upsell[r])
        self.wb_cap, self.wb_cost = float(a.max_winback_rate[r]), float(a.cost_per_winback[r])
        self.weights = a.weights
        self.cost_to_serve, self.referral_rate = a.cost_to_serve[r], a.referral_rate[r]
        self.referrals_on = bool(np.any(self.referral_rate > 0))
        self.churn = a.churn[r]
        self.beta_a, self.beta_b = sbg_parameters(a.churn[r], a.heterogeneity[r])
        self.winback_on = budget.winback > 0
        self.programmes = programmes
        self.churn_factor = [1.0] * self.S  # the programmes' factor on each segment's churn this period
        self.upsell_on = budget.expansion > 0 or bool(np.any(self.upsell_rate > 0))

        def child(source, *key):
            return np.random.SeedSequence(seed, spawn_key=(STREAMS[source], r, *key))

        self.rng_acq = np.random.default_rng(child("acquisition"))
        self.rng_wb = np.random.default_rng(child("winback"))
        self.rng_ref = np.random.default_rng(child("referral"))
        self.rng_theta_old = np.random.default_rng(child("theta", 0))
        self.rng_theta_new = np.random.default_rng(child("theta", 1))
        self.rng_up = np.random.Generator(np.random.PCG64(child("upsell")))
        self.rng_churn = np.random.Generator(np.random.PCG64(child("churn")))
        self.up_state = self.rng_up.bit_generator.state
        self.churn_state = self.rng_churn.bit_generator.state

        start = a.customers
        capacity = max(int(start.sum()) * 2, 256)
        self.theta = np.zeros(capacity)
        self.rev = np.zeros(capacity)
        self.seg = np.zeros(capacity, dtype=np.int64)
        self.active = np.zeros(capacity, dtype=bool)
        self.left = np.zeros(capacity, dtype=bool)  # has left at least once (GRR counts them as lost)
        self.n = 0
        self.n_start = int(start.sum())

        # state shared between the period's steps and the customer processes
        self.renewal = self.env.event()
        self.keep = [1.0] * self.S
        self.u_churn: list[float] = []
        self.saved: list[int] = []
        self.churned: list[int] = []
        self.waiting: dict[int, simpy.Event] = {}
        self.ids = self.sids = None
        self.count = self.revenue = None
        self.customer_periods = 0
        self.log: list[tuple[int, np.ndarray, int, np.ndarray]] = []

        thetas = [self._draw_theta(self.rng_theta_old, s, int(c), a.tenure[s]) for s, c in enumerate(start)]
        self._open_accounts(np.repeat(np.arange(self.S), start), np.concatenate(thetas))

    # The customer ------------------------------------------------------------------
    def _customer(self, cid: int, s: int, theta: float):
        """One customer's life: renew or leave once a period; if lapsed, wait to be won back."""
        while True:
            while True:
                yield self.renewal
                u = self.u_churn[cid]
                hazard = min(theta * self.churn_factor[s], 1.0)
                if u < hazard:  # would leave without the retention programme
                    if u < hazard * self.keep[s]:
                        break
                    self.saved.append(cid)
            self.churned.append(cid)
            if not self.winback_on:
                return
            back = self.env.event()
            self.waiting[cid] = back
            yield back  # the win-back programme has put them back on the books

    # The levers and the ledger -------------------------------------------------------
    def _acquisition(self):
        share = self.share
        finite = math.isfinite(self.market)
        paid = self.budget.acquisition > 0
        for t in range(1, self.H + 1):
            yield self._at(t, JOIN)
            if self.referrals_on:
                # the customers active at the end of the last period refer: counted before this
                # period's paid acquisitions join
                current = self.seg[: self.n][self.active[: self.n]]
                referrers = np.bincount(current, minlength=self.S)
            if paid:
                ceiling = (self.max_new * (self.prospects / self.market) if finite else self.max_new) * share
                # each of the segment's ceil(ceiling) potential deals closes with the probability
                # that makes the expected count equal the lever's response (as the vectorised engine)
                season = self.programmes.season_acquisition[t]
                trials = np.ceil(ceiling * max(season, 1.0))
                expected = _response(self.budget.acquisition * share, ceiling, self.cac) * season
                new = self.rng_acq.binomial(
                    trials.astype(np.int64), np.minimum(expected / np.maximum(trials, 1.0), 1.0)
                )
                self._admit(t, new, finite, "new_customers", "run_rate_new", _ACQUIRED)
            if self.referrals_on:
                # each of them refers one more with the segment's rate, thinned by the share of the
                # market still unwon (as paid acquisition is)
                reach = max(self.prospects / self.market, 0.0) if finite else 1.0
                referred = self.rng_ref.binomial(referrers, np.minimum(self.referral_rate * reach, 1.0))
                self._admit(t, referred, finite, "referred_customers", "run_rate_referred", _REFERRED)

    def _admit(self, t: int, joining: np.ndarray, finite: bool, count_path: str, run_rate_path: str, event: int):
        """Let a period's joiners in, within the prospects left, and record them (count, run rate, log)."""
        ids = self._join(self._within_market(joining, finite))
        if ids.size:
            p = self.out.paths
            p[count_path][self.r, t] = ids.size
            p[run_rate_path][self.r, t] = self.rev[ids].sum()
            self._log(t, ids, event)

    def _within_market(self, new: np.ndarray, finite: bool) -> np.ndarray:
        """Shrink a period's joiners to the prospects left (whole customers), and use them up."""
        if not finite:
            return new
        total = int(new.sum())
        if total > self.prospects:
            new = np.floor(new * math.floor(self.prospects) / total).astype(np.int64)
        self.prospects -= int(new.sum())
        return new

    def _join(self, new: np.ndarray) -> np.ndarray:
        """Open accounts for ``new[s]`` customers of each segment s, churn drawn from Beta(a, b)."""
        if not new.any():
            return np.zeros(0, dtype=np.int64)
        segs = np.repeat(np.arange(self.S), new)
        thetas = [self._draw_theta(self.rng_theta_new, s, int(c), 0.0) for s, c in enumerate(new) if c]
        # a price for new customers: their revenue, and their churn through its response
        ids = self._open_accounts(segs, np.minimum(np.concatenate(thetas) * self.programmes.join_churn[self.r], 1.0))
        self.rev[ids] *= self.programmes.join_price[self.r]
        return ids

    def _winback(self):
        p, S = self.out.paths, self.S
        for t in range(1, self.H + 1):
            yield self._at(t, WINBACK)
            lapsed = np.flatnonzero(~self.active[: self.n])
            lseg = self.seg[lapsed]
            count = np.bincount(lseg, minlength=S)
            value = np.bincount(lseg, weights=self.rev[lapsed], minlength=S)
            spend = split_budget(self.budget.winback, self.weights["winback"], value)
            expected = _response(spend, self.wb_cap * count, self.wb_cost)
            back = self.rng_wb.binomial(count, np.minimum(expected / np.maximum(count, 1), 1.0))
            if not back.any():
                continue
            chosen = [
                pool[self.rng_wb.choice(pool.size, size=k, replace=False)]
                for pool, k in ((lapsed[lseg == s], int(back[s])) for s in range(S))
                if k
            ]
            ids = np.sort(np.concatenate(chosen))
            self.active[ids] = True
            p["winbacks"][self.r, t] = ids.size
            p["run_rate_winback"][self.r, t] = self.rev[ids].sum()
            self._log(t, ids, _WON_BACK)
            for cid in ids.tolist():
                self.waiting.pop(cid).succeed()

    def _ledger(self):
        p, S = self.out.paths, self.S
        for t in range(1, self.H + 1):
            yield self._at(t, PAY)
            self.ids = ids = np.flatnonzero(self.active[: self.n])
            self.sids = sids = self.seg[ids]
            self.count = np.bincount(sids, minlength=S)
            self.revenue = np.bincount(sids, weights=self.rev[ids], minlength=S)
            self.customer_periods += ids.size
            churn, revenue, per_customer, share, fixed = period_factors(self.programmes, self.r, t)
            self.churn_factor = churn.tolist()
            charged = self.revenue * revenue  # what the customers pay under the programmes
            p["revenue"][self.r, t] = charged.sum()
            p["gross_profit"][self.r, t] = charged @ self.margin
            p["programme_costs"][self.r, t] = fixed + self.count @ per_customer + charged @ share
            p["cost_to_serve"][self.r, t] = self.count @ self.cost_to_serve

    def _expansion(self):
        p = self.out.paths
        for t in range(1, self.H + 1):
            yield self._at(t, EXPAND)
            prob = self.upsell_rate
            if self.budget.expansion > 0:
                spend = split_budget(self.budget.expansion, self.weights["expansion"], self.revenue * self.uplift)
                extra = _response(spend, self.up_cap * self.count, self.up_cost)
                prob = prob + extra / np.maximum(self.count, 1)
            u = self._uniforms(self.rng_up, self.up_state, t)
            ids = self.ids[u[self.ids] < np.minimum(prob, 1.0)[self.sids]]
            if ids.size == 0:
                continue
            added = self.add[self.seg[ids]]
            self.rev[ids] += added
            p["upsells"][self.r, t] = ids.size
            p["run_rate_expansion"][self.r, t] = added.sum()
            self._log(t, ids, _EXPANDED)

    def _retention(self):
        S = self.S
        for t in range(1, self.H + 1):
            yield self._at(t, RETAIN)
            theta = self.theta[self.ids] * np.asarray(self.churn_factor)[self.sids]
            at_risk = np.bincount(self.sids, weights=theta, minlength=S)  # churners expected without spend
            self.out.at_risk[self.r] += at_risk
            if self.budget.retention <= 0:
                continue
            value = np.bincount(self.sids, weights=theta * self.rev[self.ids], minlength=S)
            spend = split_budget(self.budget.retention, self.weights["retention"], value)
            saves = _response(spend, self.save_cap * at_risk, self.save_cost)
            self.out.saves[self.r] += saves
            rho = np.divide(saves, at_risk, out=np.zeros(S), where=at_risk > 0)
            self.keep = (1.0 - rho).tolist()

    def _calendar(self):
        for t in range(1, self.H + 1):
            yield self._at(t, RENEW)
            self.u_churn = self._uniforms(self.rng_churn, self.churn_state, t).tolist()
            current, self.renewal = self.renewal, self.env.event()
            current.succeed()
            yield current  # resumes after every customer process has renewed or left
            self._close(t)

    # Book-keeping ----------------------------------------------------------------------
    def simulate(self) -> None:
        env = self.env
        if self.budget.acquisition > 0 or self.referrals_on:
            env.process(self._acquisition())
        if self.winback_on:
            env.process(self._winback())
        env.process(self._ledger())
        if self.upsell_on:
            env.process(self._expansion())
        env.process(self._retention())
        env.process(self._calendar())
        p, r = self.out.paths, self.r
        p["active_customers"][r, 0] = self.n
        p["revenue_run_rate"][r, 0] = self.rev[: self.n].sum()
        self.out.active_by_segment[r, 0] = np.bincount(self.seg[: self.n], minlength=self.S)
        env.run()
        ids = np.flatnonzero(self.active[: self.n])
        seg = self.seg[ids]
        net = self.rev[ids] * self.margin[seg] - self.cost_to_serve[seg]
        with np.errstate(divide="ignore"):  # a customer who never leaves, valued at no discount, is worth infinity
            self.out.residual[r] = (net / (self.discount + self.theta[ids])).sum()

    def release(self) -> None:
        """Drop the processes still waiting (on next period's renewal or on a win-back), so that
        reference counting frees the run's customers without the cyclic collector.

        A waiting process and its event refer to each other (the event's callbacks hold the
        process, the process holds its target event): emptying the callbacks breaks the cycle.
        """
        for event in (self.renewal, *self.waiting.values()):
            event.callbacks.clear()
        self.renewal = None
        self.waiting = {}
        self.env = None

    def _close(self, t: int) -> None:
        """End of period t: take the leavers off the books and record the period."""
        p, r = self.out.paths, self.r
        churned = np.array(self.churned, dtype=np.int64)
        self.active[churned] = False
        self.left[churned] = True
        if self.record:
            self._log(t, np.array(self.saved, dtype=np.int64), _SAVED)
            self._log(t, churned, _CHURNED)
        p["saved_customers"][r, t] = len(self.saved)
        p["churned_customers"][r, t] = churned.size
        p["run_rate_lost"][r, t] = self.rev[churned].sum()
        self.saved, self.churned = [], []
        ids = np.flatnonzero(self.active[: self.n])
        by_segment = np.bincount(self.seg[ids], minlength=self.S)
        self.out.active_by_segment[r, t] = by_segment
        p["active_customers"][r, t] = ids.size
        p["lapsed_customers"][r, t] = self.n - ids.size
        p["revenue_run_rate"][r, t] = self.rev[ids].sum()
        if t == self.H:
            self.out.end_run_rate[r] = np.bincount(self.seg[ids], weights=self.rev[ids], minlength=self.S)
        if t == self.year_end:
            # customers of period 0 (ids are given in order) who never left: one lost and won back is lost
            held = ids[(ids < self.n_start) & ~self.left[ids]]
            self.out.year_kept_base[r] = self.base[self.seg[held]].sum()
            self.out.year_cohort[r] = self.rev[held].sum()

    def _open_accounts(self, segs: np.ndarray, thetas: np.ndarray) -> np.ndarray:
        """Put new customers on the books and start their processes; return their ids."""
        start, stop = self.n, self.n + segs.size
        if stop > self.theta.size:
            size = max(stop, 2 * self.theta.size)
            for name in ("theta", "rev", "seg", "active", "left"):
                old = getattr(self, name)
                grown = np.zeros(size, dtype=old.dtype)
                grown[:start] = old[:start]
                setattr(self, name, grown)
        ids = np.arange(start, stop)
        self.theta[start:stop] = thetas
        self.rev[start:stop] = self.base[segs]
        self.seg[start:stop] = segs
        self.active[start:stop] = True
        self.n = stop
        process, customer = self.env.process, self._customer
        for cid, s, theta in zip(ids.tolist(), segs.tolist(), thetas.tolist(), strict=True):
            process(customer(cid, s, theta))
        return ids

    def _draw_theta(self, rng, s: int, n: int, tenure: float) -> np.ndarray:
        a, b = self.beta_a[s], self.beta_b[s]
        if math.isinf(a):  # homogeneous churn: everyone has the segment's rate
            return np.full(n, self.churn[s])
        return rng.beta(a, b + tenure, size=n)

    def _uniforms(self, rng: np.random.Generator, state: dict, t: int) -> np.ndarray:
        """One uniform per customer id for period t, read at a position fixed by (t, id)."""
        bit_generator = rng.bit_generator
        bit_generator.state = state
        bit_generator.advance(t * _STRIDE)
        return rng.random(self.n)

    def _at(self, t: int, offset: float) -> simpy.Timeout:
        return self.env.timeout(t + offset - self.env.now)

    def _log(self, t: int, ids: np.ndarray, event: int) -> None:
        if self.record and ids.size:
            self.log.append((t, ids, event, self.rev[ids].copy()))

    def event_arrays(self) -> dict[str, np.ndarray]:
        """This run's events as columns (segment as a code)."""
        if not self.log:
            return {"run": np.zeros(0, np.int64)}
        ids = np.concatenate([chunk[1] for chunk in self.log])
        sizes = [chunk[1].size for chunk in self.log]
        return {
            "run": np.full(ids.size, self.r, dtype=np.int64),
            "period": np.repeat([chunk[0] for chunk in self.log], sizes).astype(np.int64),
            "customer_id": ids,
            "segment": self.seg[ids],
            "event": np.repeat([chunk[2] for chunk in self.log], sizes).astype(np.int8),
            "revenue": np.concatenate([chunk[3] for chunk in self.log]),
        }
