"""A team's firm in the game: the model's economics for one segment, read from a scenario.

Every firm starts alike: the customers, churn, margins and levers of :data:`FIRM`, a quarterly
scenario of the project's own schema (validated by :func:`simulation.model.scenario.scenario_from_dict`),
so the game teaches the same economics as the Plan page: heterogeneous churn (shifted-beta-geometric,
in the vectorised engine's latent classes), the levers' shared saturating response, upsell and
win-back (docs/MODEL.md, sections 3-5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.closed_forms import beta_classes, discount_per_period
from ..model.distributions import central
from ..model.scenario import Scenario, scenario_from_dict

CLASSES = 16  # latent churn classes per group, as in the vectorised engine
START, JOINED = 0, 1  # the two groups: customers at the start (filtered by their tenure), and joiners
# At most this share of the prospects left can be won in one round, whatever the market spends:
# the acquisition ceiling of docs/MODEL.md, max_new_per_period x P_t / M with max_new = share x M.
WON_SHARE_CEILING = 0.1
# Former customers each firm starts with (the win-back lever's first pool).
STARTING_LAPSED = 600

FIRM = {
    "name": "Team game firm",
    "description": "One firm of the team game: a subscription business billed by the quarter.",
    "period": "quarter",
    "horizon": 12,
    "discount_rate": 0.10,
    "currency": "USD",
    "acquisition": {"cost_multiplier": 7.0, "max_new_per_period": 1000.0, "market_size": 4000.0},
    "retention": {"cost_per_save": 150.0, "max_churn_reduction": 0.5},
    "expansion": {"cost_per_upsell": 250.0, "max_extra_upsell_rate": 0.03},
    "winback": {"cost_per_winback": 400.0, "max_winback_rate": 0.1},
    "segments": [
        {
            "name": "Customers",
            "customers": 2000,
            "revenue_per_customer": 250.0,
            "gross_margin": 0.6,
            "churn": 0.15,
            "churn_heterogeneity": 0.2,
            "tenure": 4,
            "upsell_rate": 0.02,
            "upsell_uplift": 0.2,
            "cost_to_serve": 0.0,
        }
    ],
}


def firm_scenario() -> Scenario:
    """The firm every team starts with, as a validated scenario."""
    return scenario_from_dict(FIRM)


@dataclass(frozen=True)
class Economics:
    """One firm's numbers per round (a round is one period of the scenario), central values.

    ``theta`` and ``weights`` are (2, :data:`CLASSES`): the latent classes of the starting customers
    (Beta(a, b + tenure)) and of customers who join later (Beta(a, b)).
    """

    revenue_per_customer: float
    gross_margin: float
    cost_to_serve: float
    upsell_rate: float
    upsell_uplift: float
    cac: float
    cost_per_save: float
    max_churn_reduction: float
    cost_per_upsell: float
    max_extra_upsell_rate: float
    cost_per_winback: float
    max_winback_rate: float
    discount: float
    starting_customers: int
    starting_lapsed: int
    currency: str
    period: str
    theta: np.ndarray
    weights: np.ndarray

    @property
    def margin_per_customer(self) -> float:
        """Gross profit less cost to serve of one customer at the base revenue, per round."""
        return self.revenue_per_customer * self.gross_margin - self.cost_to_serve


def economics(scenario: Scenario | None = None, starting_lapsed: int = STARTING_LAPSED) -> Economics:
    """A firm's :class:`Economics` from the first segment and the levers of ``scenario`` (default :data:`FIRM`).

    Uncertain numbers take their central value: the game draws chance (who joins, expands, leaves),
    not assumptions, so every team plays the same economics.
    """
    scenario = scenario or firm_scenario()
    seg = scenario.segments[0]
    churn, phi = central(seg.churn), central(seg.churn_heterogeneity)
    theta, weights = beta_classes(np.array([churn, churn]), phi, np.array([seg.tenure, 0.0]), CLASSES)
    return Economics(
        revenue_per_customer=central(seg.revenue_per_customer),
        gross_margin=central(seg.gross_margin),
        cost_to_serve=central(seg.cost_to_serve),
        upsell_rate=central(seg.upsell_rate),
        upsell_uplift=central(seg.upsell_uplift),
        cac=scenario.cac_central,
        cost_per_save=central(scenario.retention.cost_per_save),
        max_churn_reduction=central(scenario.retention.max_churn_reduction),
        cost_per_upsell=central(scenario.expansion.cost_per_upsell),
        max_extra_upsell_rate=central(scenario.expansion.max_extra_upsell_rate),
        cost_per_winback=central(scenario.winback.cost_per_winback),
        max_winback_rate=central(scenario.winback.max_winback_rate),
        discount=float(discount_per_period(central(scenario.discount_rate), scenario.periods_per_year)),
        starting_customers=seg.customers,
        starting_lapsed=int(starting_lapsed),
        currency=scenario.currency,
        period=scenario.period,
        theta=theta,
        weights=weights,
    )
