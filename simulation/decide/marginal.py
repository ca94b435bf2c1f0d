"""What the next unit of currency buys on acquisition and on retention, at one split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engines.results import SimulationResult
from ..engines.vectorized import CLASSES_PER_COHORT
from ..model.levers import marginal_response
from .objectives import REFINE_TOLERANCE


@dataclass(frozen=True)
class MarginalReturns:
    """What the next unit of currency per period buys on each side, at one split.

    ``*_units_per_1000``: customers acquired (or churns prevented) per 1,000 of spend;
    ``*_value_per_unit``: the value of one; ``*_return``: value per 1 of spend, both
    discounted to period 0. A return below 1 means the lever returns less than it costs.
    """

    share: float
    horizon_only: bool
    acquisition_units_per_1000: float
    acquisition_value_per_unit: float
    acquisition_return: float
    retention_units_per_1000: float
    retention_value_per_unit: float
    retention_return: float
    acquisition_return_p5: float
    acquisition_return_p95: float
    retention_return_p5: float
    retention_return_p95: float

    @property
    def corner(self) -> str | None:
        """``"acquisition"`` or ``"retention"`` when the whole budget goes to one lever, else None."""
        if self.share >= 1 - REFINE_TOLERANCE / 2:
            return "acquisition"
        if self.share <= REFINE_TOLERANCE / 2:
            return "retention"
        return None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"corner": self.corner}


class _ClassValues:
    """Expected discounted gross profit per unit of margin of one customer in each churn class.

    A customer ``joining`` in a period pays in it, then renews or leaves each period; a
    customer kept at the end of a period pays from the next one. ``after`` periods of the
    horizon follow. Churn within the horizon is ``c * theta``; with ``residual`` the
    customers still active at the horizon are valued as the engine values them
    (``m / (d + theta)``, no further retention). Valued at the period itself. Shapes:
    ``theta`` (runs, segments, classes), ``c`` (runs, segments), ``discount`` (runs,).
    """

    def __init__(self, theta, c, discount, residual: bool):
        d = discount[:, None, None]
        self.log_v = -np.log1p(d)
        # log of (1 - c theta) / (1 + d), the per-period factor of survival and discounting
        self.L = np.log1p(-np.clip(c[:, :, None] * theta, 0.0, 1.0 - 1e-15)) + self.log_v
        self.em1 = np.expm1(self.L)
        self.v = np.exp(self.log_v)
        self.after_horizon = 1.0 / np.maximum(d + theta, 1e-300) if residual else None

    def _geometric(self, n: int) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.em1 < 0, np.expm1(n * self.L) / self.em1, float(n))

    def joining(self, after: int) -> np.ndarray:
        value = self._geometric(after + 1)
        if self.after_horizon is not None:
            value = value + np.exp((after + 1) * self.L - self.log_v) * self.after_horizon
        return value

    def kept(self, after: int) -> np.ndarray:
        value = self.v * self._geometric(after)
        if self.after_horizon is not None:
            value = value + np.exp(after * self.L) * self.after_horizon
        return value


def _marginal_rho(rho: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """How much one more expected churner adds to the saves, per churner: d saves / d at_risk.

    With saves = cap P (1 - exp(-x)), x = spend / (cap P cost), this is
    cap (1 - (1 + x) exp(-x)), written with exp(-x) = 1 - rho / cap; less than rho,
    because one more customer shares the same retention budget.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        left = np.clip(1.0 - rho / np.where(cap > 0, cap, 1.0), 1e-300, 1.0)
        out = np.where(cap > 0, cap * (1.0 - left * (1.0 - np.log(left))), 0.0)
    return np.clip(out, 0.0, rho)


def marginal_returns(result: SimulationResult, horizon_only: bool = False) -> MarginalReturns:
    """The returns of the next unit of currency per period on acquisition and on retention.

    The periods of the run are replayed in expectation from its own acquisitions: the
    customers in each latent churn class (the engine's classes), joined by the new
    customers each period and thinned by churn net of the retention programme. In each
    period t:

    * acquisition: ``marginal_response(A, ceiling_t, CAC)`` new customers per unit,
      the ceiling rebuilt from the run's acquisitions so far (market saturation), each
      worth a new customer's expected discounted gross profit from t (their CLV, cut at
      the horizon when ``horizon_only``);
    * retention: the next unit is split across segments as the budget is (value at risk,
      or the given weights) and buys ``marginal_response(spend_s, cap P_s, cost)``
      saves in segment s, P_s being the churners expected without retention; a save is a
      would-be churner, so it is drawn from the period's classes in proportion to their
      expected churners, and is worth that customer's discounted gross profit to come.

    Later churn of the customers valued is lowered by the programme's marginal effect
    (:func:`_marginal_rho`, horizon average per segment), not its average: one more
    customer shares the same retention budget. Returns are discount-weighted averages
    over the periods (the next unit is spent in every period), then averaged over runs.
    With one period and one segment the decomposition is exact (see the tests); beyond,
    it leaves out upsell, win-back, chance, and that a customer won now leaves a smaller
    market to win later, so the two returns meet only approximately at an interior
    optimum.

    Parameters
    ----------
    result : SimulationResult
        A run of the scenario at the split in question.
    horizon_only : bool
        Count only gross profit within the horizon (for NPV objectives); otherwise the
        customers still active at the horizon are valued too (customer equity).

    Returns
    -------
    MarginalReturns
    """
    a, out, budget = result.assumptions, result.output, result.budget
    H, K = result.scenario.horizon, CLASSES_PER_COHORT
    acq_total, ret_total = budget.acquisition, budget.retention
    share = acq_total / (acq_total + ret_total) if acq_total + ret_total > 0 else 0.0
    t_all = np.arange(1, H + 1)
    disc = (1.0 + a.discount[:, None]) ** -t_all[None, :]
    period_weight = disc / disc.sum(1, keepdims=True)
    # a customer is worth their margin net of cost to serve, as NPV and customer equity count it
    margin, cap, cost = a.net_margin_per_customer, a.max_churn_reduction[:, None], a.cost_per_save[:, None]
    theta, w_old, w_new = a.latent_classes(K)  # (R, S, 2K): existing customers' classes, then new ones'
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(out.at_risk_by_segment > 0, out.saves_by_segment / out.at_risk_by_segment, 0.0)
    c = 1.0 - _marginal_rho(rho, cap)
    given = a.weights["retention"]
    residual = not horizon_only

    new = result.paths["new_customers"][:, 1:]
    # the engine's reachable market: prospects not yet won by paid acquisition or referral
    joined = new + result.paths["referred_customers"][:, 1:]
    won_before = np.cumsum(joined, axis=1) - joined
    finite = np.isfinite(a.market[:, None])
    prospects = np.where(finite, a.market[:, None] - won_before, np.inf)
    with np.errstate(invalid="ignore"):
        unsaturated = np.where(finite, prospects / a.market[:, None], 1.0)
    new_per_unit = marginal_response(acq_total, a.max_new[:, None] * np.clip(unsaturated, 0.0, 1.0), a.cac[:, None])
    # with less than one prospect left the engine closes no deal, so the next unit buys nothing
    new_per_unit = np.where(prospects < 1.0, 0.0, new_per_unit)

    kept_values = _ClassValues(theta, c, a.discount, residual)
    join_values = _ClassValues(theta[..., K:], c, a.discount, residual)
    count = np.zeros(theta.shape)
    count[:, :, :K] = a.customers[None, :, None] * w_old
    acq_units, acq_return = np.zeros(a.runs), np.zeros(a.runs)
    ret_units, ret_return = np.zeros(a.runs), np.zeros(a.runs)
    for t in t_all:
        w = period_weight[:, t - 1]
        after = H - t
        count[:, :, K:] += new[:, t - 1, None, None] * a.share[None, :, None] * w_new
        at_risk_class = count * theta
        at_risk = at_risk_class.sum(-1)
        if given is not None:
            alloc = np.broadcast_to(given, at_risk.shape)
        else:
            risk_value = at_risk * a.revenue
            total_value = risk_value.sum(1, keepdims=True)
            alloc = np.divide(risk_value, total_value, out=np.zeros_like(risk_value), where=total_value > 0)
        ceiling = cap * at_risk
        per_unit = alloc * marginal_response(ret_total * alloc, ceiling, cost)  # saves per unit, by segment
        pool = np.divide(
            at_risk_class, at_risk[..., None], out=np.zeros_like(at_risk_class), where=at_risk[..., None] > 0
        )
        save_value = margin * (pool * kept_values.kept(after)).sum(-1)
        ret_units += w * per_unit.sum(1)
        ret_return += w * (per_unit * save_value).sum(1)

        join_value = (w_new * join_values.joining(after)).sum(-1)
        acq_units += w * new_per_unit[:, t - 1]
        acq_return += w * new_per_unit[:, t - 1] * ((margin * join_value) @ a.share)

        with np.errstate(invalid="ignore", divide="ignore"):
            kept = np.where(ceiling > 0, -np.expm1(-ret_total * alloc / np.maximum(ceiling * cost, 1e-300)) * cap, 0.0)
        count *= 1.0 - theta * (1.0 - kept)[..., None]

    def value_per_unit(ret, units):
        mean_units = float(units.mean())
        return float(ret.mean()) / mean_units if mean_units > 0 else float("nan")

    return MarginalReturns(
        share=float(share),
        horizon_only=horizon_only,
        acquisition_units_per_1000=float(acq_units.mean() * 1000),
        acquisition_value_per_unit=value_per_unit(acq_return, acq_units),
        acquisition_return=float(acq_return.mean()),
        retention_units_per_1000=float(ret_units.mean() * 1000),
        retention_value_per_unit=value_per_unit(ret_return, ret_units),
        retention_return=float(ret_return.mean()),
        acquisition_return_p5=float(np.percentile(acq_return, 5)),
        acquisition_return_p95=float(np.percentile(acq_return, 95)),
        retention_return_p5=float(np.percentile(ret_return, 5)),
        retention_return_p95=float(np.percentile(ret_return, 95)),
    )
