"""Names of the scenario's fields for people: short labels (charts, tables) and longer descriptions (editor).

One home for the words, so the optimiser's tornado, the editor and the exports name a field
the same way.
"""

from __future__ import annotations

from .scenario import Acquisition, Expansion, Retention, Winback

LEVER_MODELS = {"acquisition": Acquisition, "retention": Retention, "expansion": Expansion, "winback": Winback}

# Short labels of the assumptions, by field path (segment fields by their name).
FIELD_LABELS = {
    "discount_rate": "Discount rate",
    "operating_costs": "Operating costs",
    "acquisition.cost_multiplier": "Acquisition cost (multiple of a save)",
    "acquisition.cost_per_customer": "Cost per new customer",
    "acquisition.max_new_per_period": "Acquisition ceiling (new per period)",
    "acquisition.market_size": "Market size",
    "retention.cost_per_save": "Cost per save",
    "retention.max_churn_reduction": "Retention ceiling (churners kept)",
    "expansion.cost_per_upsell": "Cost per upsell",
    "expansion.max_extra_upsell_rate": "Expansion ceiling (extra upsells)",
    "winback.cost_per_winback": "Cost per win-back",
    "winback.max_winback_rate": "Win-back ceiling (lapsed won back)",
    "revenue_per_customer": "Revenue per customer",
    "gross_margin": "Gross margin",
    "churn": "Churn",
    "churn_heterogeneity": "Churn heterogeneity",
    "upsell_rate": "Upsell rate",
    "upsell_uplift": "Upsell uplift",
    "cost_to_serve": "Cost to serve",
    "referral_rate": "Referral rate",
    "price_change.churn_elasticity": "Price change: churn elasticity",
}
# A programme's uncertain effects, after its name: "Loyalty tier: churn multiplier".
PROGRAMME_FIELD_LABELS = {"churn_multiplier": "churn multiplier", "revenue_multiplier": "revenue multiplier"}


def programme_field_label(name: str, field: str) -> str:
    """How a programme's field reads in charts and tables: ``Loyalty tier: churn multiplier``."""
    return f"{name}: {PROGRAMME_FIELD_LABELS[field]}"


# The lever assumptions as the editor lists them: (path, description); "{period}" is the scenario's period word.
LEVER_FIELDS = (
    ("discount_rate", "Discount rate per year"),
    ("operating_costs", "Operating costs per {period} that stay flat (salaries, rent)"),
    ("acquisition.cost_multiplier", "Acquisition cost as a multiple of the cost of a save"),
    ("acquisition.cost_per_customer", "Acquisition cost per customer (CAC), instead of the multiple"),
    ("acquisition.max_new_per_period", "Most new customers per {period} at unlimited spend"),
    ("acquisition.market_size", "Prospects in the market (empty: unlimited)"),
    ("retention.cost_per_save", "Cost of preventing the first churn"),
    ("retention.max_churn_reduction", "Largest share of would-be churners the programme can keep"),
    ("expansion.cost_per_upsell", "Cost of the first extra upsell"),
    ("expansion.max_extra_upsell_rate", "Most extra upsells per customer per {period}"),
    ("winback.cost_per_winback", "Cost of winning back the first customer"),
    ("winback.max_winback_rate", "Largest share of lapsed customers won back per {period}"),
)

# A segment's fields as the editor's table heads them (budget weights last).
SEGMENT_FIELDS = {
    "name": "Segment",
    "customers": "Customers now",
    "revenue_per_customer": "Revenue per customer",
    "gross_margin": "Gross margin",
    "churn": "Churn",
    "churn_heterogeneity": "Churn spread (φ)",
    "tenure": "Tenure",
    "upsell_rate": "Upsell rate",
    "upsell_uplift": "Upsell uplift",
    "cost_to_serve": "Cost to serve",
    "referral_rate": "Referrals per customer",
    "new_customer_share": "Share of new customers",
    "retention": "Retention weight",
    "expansion": "Expansion weight",
    "winback": "Win-back weight",
}
