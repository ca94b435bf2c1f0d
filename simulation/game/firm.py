"""One firm's round: the model's four steps (join, pay, expand, renew or leave) on its latent classes.

The same code computes a round drawn at random (:class:`Drawn`, integer counts from Binomial and
multinomial draws, as the vectorised engine does) and its expectation (:class:`Expected`, every
draw replaced by its mean), so the debrief's search and the game itself cannot drift apart. In
expectation the arrays may carry leading axes (one row per candidate split).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..model.levers import response
from .economics import JOINED, START, Economics

LEVERS = ("acquisition", "retention", "expansion", "winback")


@dataclass(frozen=True)
class FirmState:
    """A firm's customers at the end of a round, per (group, latent class): shape (..., 2, classes).

    ``run_rate`` is the revenue per round of the active customers (expansions included);
    ``lapsed_rate`` what the lapsed customers paid when they left.
    """

    active: np.ndarray
    run_rate: np.ndarray
    lapsed: np.ndarray
    lapsed_rate: np.ndarray

    @property
    def customers(self):
        return self.active.sum(axis=(-2, -1))

    @property
    def lapsed_customers(self):
        return self.lapsed.sum(axis=(-2, -1))


@dataclass(frozen=True)
class RoundFlows:
    """What happened to one firm in one round (counts and money of the round)."""

    won: np.ndarray | float
    winbacks: np.ndarray | float
    upsells: np.ndarray | float
    churned: np.ndarray | float
    saved: np.ndarray | float
    revenue: np.ndarray | float
    gross_profit: np.ndarray | float
    cost_to_serve: np.ndarray | float
    spend: np.ndarray | float
    contribution: np.ndarray | float


class Expected:
    """Chance replaced by its mean: a Binomial(n, p) is n p, a multinomial n w."""

    def binomial(self, source: str, n, p):
        return n * p

    def multinomial(self, source: str, n, weights):
        return np.asarray(n, dtype=float)[..., None] * weights


class Drawn:
    """Chance drawn from one generator per source (``streams[source]``), so a round replays exactly."""

    def __init__(self, streams: dict[str, np.random.Generator]):
        self.streams = streams

    def binomial(self, source: str, n, p):
        return self.streams[source].binomial(np.asarray(n, dtype=np.int64), np.clip(p, 0.0, 1.0))

    def multinomial(self, source: str, n, weights):
        w = np.asarray(weights, dtype=float)
        return self.streams[source].multinomial(int(n), w / w.sum())


def starting_state(econ: Economics, chance) -> FirmState:
    """The base every firm starts with: its customers placed in the starting classes, and its
    former customers spread as leavers are (class weight times class churn)."""
    classes = econ.theta.shape[-1]
    active = np.zeros((2, classes))
    lapsed = np.zeros((2, classes))
    active[START] = chance.multinomial("start", econ.starting_customers, econ.weights[START])
    leavers = econ.weights[START] * econ.theta[START]
    lapsed[START] = chance.multinomial("lapsed", econ.starting_lapsed, leavers / leavers.sum())
    rate = econ.revenue_per_customer
    return FirmState(active=active, run_rate=active * rate, lapsed=lapsed, lapsed_rate=lapsed * rate)


def _safe_ratio(num, den):
    den = np.asarray(den, dtype=float)
    return np.where(den > 0, np.asarray(num, dtype=float) / np.where(den > 0, den, 1.0), 0.0)


def _per_firm(x):
    # a per-firm amount broadcast against (..., 2, classes) arrays
    return np.asarray(x, dtype=float)[..., None, None]


def play_round(econ: Economics, state: FirmState, spend: dict, won, chance) -> tuple[FirmState, RoundFlows]:
    """One round of one firm, in the order of docs/MODEL.md section 2.

    Parameters
    ----------
    econ : Economics
    state : FirmState
        The firm at the end of the previous round.
    spend : dict
        Spend of the round on each of :data:`LEVERS` (currency; arrays broadcast over leading axes).
    won : int or ndarray
        New customers the market gave the firm this round (see :mod:`.market`).
    chance : Drawn or Expected

    Returns
    -------
    FirmState, RoundFlows
    """
    theta = econ.theta
    active, run_rate, lapsed, lapsed_rate = state.active, state.run_rate, state.lapsed, state.lapsed_rate
    # 1. Join: the paid new customers, then win-back
    lead = np.broadcast_shapes(np.shape(won), *(np.shape(spend[k]) for k in LEVERS))
    active, run_rate, lapsed, lapsed_rate = (
        np.broadcast_to(np.asarray(x, dtype=float), (*lead, *theta.shape)).copy()
        for x in (active, run_rate, lapsed, lapsed_rate)
    )
    placed = chance.multinomial("join", won, econ.weights[JOINED])
    active[..., JOINED, :] = active[..., JOINED, :] + placed
    run_rate[..., JOINED, :] = run_rate[..., JOINED, :] + placed * econ.revenue_per_customer
    pool = lapsed.sum(axis=(-2, -1))
    returning = response(np.asarray(spend["winback"], dtype=float), econ.max_winback_rate * pool, econ.cost_per_winback)
    back = chance.binomial("winback", lapsed, _per_firm(_safe_ratio(returning, pool)))
    back_rate = lapsed_rate * _safe_ratio(back, lapsed)
    active, run_rate = active + back, run_rate + back_rate
    lapsed, lapsed_rate = lapsed - back, lapsed_rate - back_rate
    # 2. Pay
    paying = active.sum(axis=(-2, -1))
    revenue = run_rate.sum(axis=(-2, -1))
    gross = revenue * econ.gross_margin
    serve = paying * econ.cost_to_serve
    # 3. Expand: from the next round on
    extra = response(
        np.asarray(spend["expansion"], dtype=float), econ.max_extra_upsell_rate * paying, econ.cost_per_upsell
    )
    chance_up = np.minimum(1.0, econ.upsell_rate + _safe_ratio(extra, paying))
    ups = chance.binomial("upsell", active, _per_firm(chance_up))
    run_rate = run_rate + ups * econ.upsell_uplift * econ.revenue_per_customer
    # 4. Renew or leave: the retention programme lowers every customer's churn by the same share
    at_risk = (active * theta).sum(axis=(-2, -1))
    saves = response(
        np.asarray(spend["retention"], dtype=float), econ.max_churn_reduction * at_risk, econ.cost_per_save
    )
    rho = _per_firm(_safe_ratio(saves, at_risk))
    left = chance.binomial("churn", active, theta * (1.0 - rho))
    stayed = active - left
    # of the stayers, those who would have left without the programme
    saved = chance.binomial("saved", stayed, _safe_ratio(theta * rho, 1.0 - theta * (1.0 - rho)))
    left_rate = run_rate * _safe_ratio(left, active)
    active, run_rate = stayed, run_rate - left_rate
    lapsed, lapsed_rate = lapsed + left, lapsed_rate + left_rate
    total_spend = sum(np.asarray(spend[k], dtype=float) for k in LEVERS)
    flows = RoundFlows(
        won=np.asarray(won, dtype=float),
        winbacks=back.sum(axis=(-2, -1)),
        upsells=ups.sum(axis=(-2, -1)),
        churned=left.sum(axis=(-2, -1)),
        saved=saved.sum(axis=(-2, -1)),
        revenue=revenue,
        gross_profit=gross,
        cost_to_serve=serve,
        spend=total_spend,
        contribution=gross - serve - total_spend,
    )
    return replace(state, active=active, run_rate=run_rate, lapsed=lapsed, lapsed_rate=lapsed_rate), flows


def value_of_base(econ: Economics, state: FirmState):
    """Discounted value of the customers active at the end of a round, valued then: the residual value
    of docs/MODEL.md section 5, ``sum (revenue x margin - cost to serve) / (d + theta)`` over each latent
    class, with no further spend or expansion."""
    margin = state.run_rate * econ.gross_margin - state.active * econ.cost_to_serve
    return (margin / (econ.discount + econ.theta)).sum(axis=(-2, -1))
