"""Per-run values of every scenario assumption, shared by both engines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .closed_forms import beta_classes, discount_per_period
from .distributions import draw
from .limits import check_simulation
from .scenario import Acquisition, Expansion, Retention, Scenario, Segment, Winback, bounds_of

# One random stream per source of randomness (SPEC 7); stream 0 is the assumptions'.
STREAMS = {
    "acquisition": 1,
    "winback": 2,
    "upsell": 3,
    "churn": 4,
    "theta": 5,
    "segment": 6,
    "referral": 7,
    "join": 8,  # which latent class each joining customer falls in
    "start": 9,  # which latent class each customer held at period 0 falls in
    "save": 10,  # which customers who stayed the retention programme kept
}
DEFAULT_COST_MULTIPLIER = 7.0
# What the latent churn classes are computed from, and what is computed from them alone (the kinds
# of kept work: the classes, the engine's placement tables, its tenure corrections of customer value).
CHURN_INPUTS = ("churn", "heterogeneity", "tenure", "discount", "customers")
CHURN_WORK = ("classes", "placement tables", "tenure corrections")


@dataclass(frozen=True)
class Assumptions:
    """Every scenario number as drawn for each run: shape (runs,) or (runs, segments)."""

    runs: int
    discount: np.ndarray  # per period
    revenue: np.ndarray
    margin: np.ndarray
    churn: np.ndarray
    heterogeneity: np.ndarray
    upsell_rate: np.ndarray
    uplift: np.ndarray
    cost_to_serve: np.ndarray  # per active customer per period
    referral_rate: np.ndarray  # expected referrals per active customer per period
    customers: np.ndarray  # (segments,) int
    tenure: np.ndarray  # (segments,) int
    share: np.ndarray  # (segments,)
    cac: np.ndarray
    max_new: np.ndarray
    market: np.ndarray  # inf where unlimited
    cost_per_save: np.ndarray
    max_churn_reduction: np.ndarray
    cost_per_upsell: np.ndarray
    max_extra_upsell_rate: np.ndarray
    cost_per_winback: np.ndarray
    max_winback_rate: np.ndarray
    weights: dict  # lever -> (segments,) normalised weights, or None
    operating_costs: np.ndarray  # (runs,) per period
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def latent_classes(self, k: int):
        """Churn classes: nodes (runs, segments, 2k), existing customers' k first, and both weight sets.

        Computed once per set of assumptions and reused by every budget run on them.
        """
        key = ("classes", k)
        if key not in self._cache:
            theta_old, w_old = beta_classes(self.churn, self.heterogeneity, self.tenure[None, :], k)
            theta_new, w_new = beta_classes(self.churn, self.heterogeneity, 0.0, k)
            self._cache[key] = (np.concatenate([theta_old, theta_new], axis=-1), w_old, w_new)
        return self._cache[key]

    @property
    def margin_per_customer(self) -> np.ndarray:
        """Gross profit per customer per period before upsell, (runs, segments)."""
        return self.revenue * self.margin

    @property
    def net_margin_per_customer(self) -> np.ndarray:
        """Gross profit less cost to serve, per customer per period before upsell, (runs, segments)."""
        return self.revenue * self.margin - self.cost_to_serve

    def cached(self, key, make):
        """``make()``, computed once per set of assumptions under ``key`` (shared by every budget run on them)."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def with_churn_work_of(self, other: Assumptions) -> Assumptions:
        """These draws, given what ``other`` has computed from its churn alone when both drew the same churn.

        The latent churn classes, their placement tables and the tenure corrections of a survivor's
        value depend only on the runs' churn, heterogeneity, tenure and discount rate: when those
        are equal to the last digit (a price change, say), ``other``'s are the same numbers and are
        kept instead of being computed again. Otherwise the draws are returned as they are.
        """
        same = self.runs == other.runs and all(
            np.array_equal(getattr(self, name), getattr(other, name)) for name in CHURN_INPUTS
        )
        if same:
            for key, value in other._cache.items():
                if key[0] in CHURN_WORK:
                    self._cache.setdefault(key, value)
        return self


def _lever(scenario: Scenario, model, section: str, field: str, runs: int, seed: int) -> np.ndarray:
    value = getattr(getattr(scenario, section), field)
    return draw(value, bounds_of(model, field), seed, f"{section}.{field}", runs)


def _segment(scenario: Scenario, field: str, runs: int, seed: int) -> np.ndarray:
    bounds = bounds_of(Segment, field)
    return np.stack(
        [draw(getattr(s, field), bounds, seed, f"segments.{s.name}.{field}", runs) for s in scenario.segments],
        axis=1,
    )


def draw_assumptions(scenario: Scenario, runs: int, seed: int) -> Assumptions:
    """Draw every uncertain assumption once per run (common across budgets for a seed).

    Every simulation starts here, so this is where work beyond the limit is refused
    (:func:`simulation.model.limits.check_simulation`).
    """
    check_simulation(scenario, runs)
    lev = lambda model, section, field: _lever(scenario, model, section, field, runs, seed)  # noqa: E731
    acq = scenario.acquisition
    cost_per_save = lev(Retention, "retention", "cost_per_save")
    if acq.cost_per_customer is not None:
        cac = lev(Acquisition, "acquisition", "cost_per_customer")
    else:
        multiplier = (
            np.full(runs, DEFAULT_COST_MULTIPLIER)
            if acq.cost_multiplier is None
            else lev(Acquisition, "acquisition", "cost_multiplier")
        )
        cac = multiplier * cost_per_save
    market = np.full(runs, np.inf) if acq.market_size is None else lev(Acquisition, "acquisition", "market_size")
    names = [s.name for s in scenario.segments]
    weights = {}
    for lever in ("retention", "expansion", "winback"):
        given = getattr(scenario, lever).weights
        if given is None:
            weights[lever] = None
        else:
            w = np.array([given.get(n, 0.0) for n in names], dtype=float)
            weights[lever] = w / w.sum()
    d_year = draw(scenario.discount_rate, bounds_of(Scenario, "discount_rate"), seed, "discount_rate", runs)
    return Assumptions(
        runs=runs,
        discount=discount_per_period(d_year, scenario.periods_per_year),
        revenue=_segment(scenario, "revenue_per_customer", runs, seed),
        margin=_segment(scenario, "gross_margin", runs, seed),
        churn=_segment(scenario, "churn", runs, seed),
        heterogeneity=_segment(scenario, "churn_heterogeneity", runs, seed),
        upsell_rate=_segment(scenario, "upsell_rate", runs, seed),
        uplift=_segment(scenario, "upsell_uplift", runs, seed),
        cost_to_serve=_segment(scenario, "cost_to_serve", runs, seed),
        referral_rate=_segment(scenario, "referral_rate", runs, seed),
        customers=np.array([s.customers for s in scenario.segments], dtype=np.int64),
        tenure=np.array([s.tenure for s in scenario.segments], dtype=float),
        share=np.array(scenario.shares, dtype=float),
        cac=cac,
        max_new=lev(Acquisition, "acquisition", "max_new_per_period"),
        market=market,
        cost_per_save=cost_per_save,
        max_churn_reduction=lev(Retention, "retention", "max_churn_reduction"),
        cost_per_upsell=lev(Expansion, "expansion", "cost_per_upsell"),
        max_extra_upsell_rate=lev(Expansion, "expansion", "max_extra_upsell_rate"),
        cost_per_winback=lev(Winback, "winback", "cost_per_winback"),
        max_winback_rate=lev(Winback, "winback", "max_winback_rate"),
        weights=weights,
        operating_costs=draw(
            scenario.operating_costs, bounds_of(Scenario, "operating_costs"), seed, "operating_costs", runs
        ),
    )


def stream_key(seed: int, source: str) -> int:
    """A 64-bit key for one source of randomness, from ``SeedSequence(seed, spawn_key=(STREAMS[source],))``.

    The vectorised engine hashes it with the run, period and segment of each draw.
    """
    return int(np.random.SeedSequence(seed, spawn_key=(STREAMS[source],)).generate_state(1, np.uint64)[0])
