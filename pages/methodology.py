"""Methodology: the model in plain words and formulas, its assumptions and its limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from simulation.engines.vectorized import CLASSES_PER_COHORT
from simulation.model.closed_forms import expected_survival, sbg_parameters
from simulation.model.distributions import central
from simulation.model.figures import FIGURES
from simulation.model.levers import response as lever_response
from ui import charts, controls, routing, state, style
from ui.widgets import CHART_HEIGHT, P_BEATS_LABEL

routing.ensure_routed("pages/methodology.py")

scenario = state.current_scenario()
per, cur = scenario.period, scenario.currency

st.title("How Retention Lab works")
st.markdown(
    f"""
Retention Lab simulates a customer base {per} by {per} for {scenario.horizon} {per}s, thousands of times,
under two budgets: **your plan** and the **status quo**. Each simulated future draws its own values for the
assumptions you are unsure of and its own luck (who leaves, how many deals close). The charts show the
middle of those futures and how wide they spread; the headline figures compare the plan with the status quo
future by future.

The illustrations on this page use the scenario now open on the Plan page (**{scenario.name}**).
"""
)

st.header("1. The customers")
st.markdown(
    f"""
The base is split into **segments** (for example A/B/C/D value classes). Each segment has a number of
customers today, a revenue per customer per {per}, a gross margin, an upsell rate, a share of newly won
customers, and a **churn** rate: the average chance that a new customer of that segment leaves in a {per}
when nothing is spent to keep them.

Customers are not all alike. Within a segment each customer has their own churn probability θ, and θ varies
across customers following a Beta distribution whose mean is the segment's churn *c* and whose spread is the
*polarisation* φ (0 = everyone the same):
"""
)
st.latex(
    r"\theta \sim \mathrm{Beta}(a, b), \quad a = c\left(\tfrac{1}{\varphi} - 1\right),"
    r"\quad b = (1-c)\left(\tfrac{1}{\varphi} - 1\right)"
)
st.markdown(
    """
This is the **shifted-beta-geometric** model of Fader and Hardie (2007). A group of customers who join together
then survives as
"""
)
st.latex(r"S(t) = \frac{B(a,\, b + t)}{B(a,\, b)}")
st.markdown(
    f"""
Its consequence matters for every figure: **the risky customers leave first**, so the survivors' churn falls
over time although no individual changes. Customers who have already stayed τ {per}s (the segment's *tenure*)
start with the lower-risk mix Beta(a, b + τ). A model that assumed the same churn every {per} would
under-state how long customers stay and what they are worth.

In the engine each segment's customers are held as {CLASSES_PER_COHORT} latent classes for today's base and
{CLASSES_PER_COHORT} for newly won customers, with fixed churn probabilities chosen by Gauss-Jacobi quadrature,
so that the survival curve above is reproduced exactly for the first {2 * CLASSES_PER_COHORT} {per}s and to
within a few customers in a hundred thousand up to 120 {per}s.
"""
)

seg = max(scenario.segments, key=lambda s: s.customers)
c, phi = central(seg.churn), central(seg.churn_heterogeneity)
t = np.arange(scenario.horizon + 1)
curves = pd.concat(
    [
        pd.DataFrame(
            {
                "period": t,
                "curve": f"Segment {seg.name}: customers differ (φ = {phi:.2f})",
                "share": expected_survival(c, phi, t),
            }
        ),
        pd.DataFrame({"period": t, "curve": f"Same churn for everyone ({c:.1%} per {per})", "share": (1 - c) ** t}),
    ],
    ignore_index=True,
)
st.vega_lite_chart(
    charts.survival_chart(
        curves,
        period=per,
        title=f"Why heterogeneity matters: newly won customers of segment {seg.name} still active",
        subtitle=[
            f"Both curves lose {c:.1%} of the cohort in the first {per};",
            "the heterogeneous one keeps more customers afterwards because the riskiest leave first.",
        ],
    ).to_dict(),
    width="stretch",
    height=CHART_HEIGHT,
)

LEVER_TABLE = "\n".join(
    [
        f"| lever | what it delivers | ceiling per {per} | first unit costs |",
        "| --- | --- | --- | --- |",
        f"| acquisition | new customers | the most new customers a {per} can bring, shrunk by the share of the "
        "market already won when a market size is given | CAC = multiple × cost of a save, or the CAC given |",
        "| retention | churns prevented | a share (at most *max churn reduction*) of the customers expected to "
        f"leave this {per} | cost of a save |",
        "| expansion | extra upsells | a share of active customers | cost of an upsell |",
        "| win-back | lapsed customers returned | a share of the customers who have left | cost of a win-back |",
    ]
)
st.header("2. The budget and the four levers")
st.markdown(
    f"""
Every {per} the budget is spent on up to four levers: **acquisition** (win new customers), **retention** (keep
customers who would otherwise leave), **expansion** (upsell) and **win-back** (bring lapsed customers back).
Each lever has the same diminishing-returns response:
"""
)
st.latex(
    r"\text{units}(\text{spend}) = \text{ceiling} \times "
    r"\left(1 - e^{-\text{spend} / (\text{ceiling} \times \text{marginal cost})}\right)"
)
st.markdown(
    f"""
The first units cost the *marginal cost* each (a customer won costs the CAC, a churn prevented costs the cost of
a save); each further unit costs more as the *ceiling* nears.

{LEVER_TABLE}

**Acquiring a customer costs N× retaining one** is the ratio CAC / cost of a save; research puts it at 5-25×
(Bain & Co.). Retention lowers every customer's churn probability in proportion: if the programme prevents a
share ρ of the churn expected in a segment, each θ becomes θ(1 − ρ). The retention budget is shared across
segments by revenue at risk (expected leavers × their revenue) unless the scenario gives weights; expansion by
the revenue upsell would add, win-back by the revenue of the lapsed pool. New customers land in segments by the
segments' shares; won-back customers return to their old segment with their own churn risk and revenue.
"""
)

acq, ret = scenario.acquisition, scenario.retention
top = max(scenario.budget.total, scenario.baseline.total, 1.0) * 1.5
spend = np.linspace(0.0, top, 121)


def _mean_churn_now(segment) -> float:
    """Mean churn of a segment's current customers, E[theta] under Beta(a, b + tenure)."""
    a, b = sbg_parameters(central(segment.churn), central(segment.churn_heterogeneity))
    return float(a / (a + b + segment.tenure)) if np.isfinite(a) else central(segment.churn)


expected_churners = sum(s.customers * _mean_churn_now(s) for s in scenario.segments)
response = pd.concat(
    [
        pd.DataFrame(
            {
                "spend": spend,
                "lever": "Acquisition: new customers",
                "units": lever_response(spend, central(acq.max_new_per_period), scenario.cac_central),
            }
        ),
        pd.DataFrame(
            {
                "spend": spend,
                "lever": "Retention: churns prevented",
                "units": lever_response(
                    spend, central(ret.max_churn_reduction) * expected_churners, central(ret.cost_per_save)
                ),
            }
        ),
    ],
    ignore_index=True,
)
st.vega_lite_chart(
    charts.response_chart(
        response,
        currency=cur,
        period=per,
        title=f"Diminishing returns in the first {per}, at the central assumptions",
        subtitle=[
            f"A new customer costs about {style.money(scenario.cac_central, cur)} "
            f"({controls.cost_multiplier(scenario):.1f}× a save of {style.money(central(ret.cost_per_save), cur)}).",
            f"About {expected_churners:,.0f} customers are expected to leave this {per} without retention.",
        ],
    ).to_dict(),
    width="stretch",
    height=CHART_HEIGHT,
)
st.caption(
    "A customer kept and a customer won are not worth the same: a kept customer is often a lower-risk, "
    "longer-tenure one. The simulation values both through their own churn and revenue."
)

st.header(f"3. One {per}, step by step")
st.markdown(
    f"""
1. Newly won and won-back customers join.
2. Every active customer pays the {per}'s revenue (a new customer pays in the {per} it joins).
3. Upsells happen; each raises that customer's revenue from the next {per} by the segment's uplift.
4. Each customer renews or leaves, with churn lowered by the retention programme. Leavers join the lapsed pool
   that win-back draws from.

The number of deals won, upsells, returns and leavers are random counts (binomial) around the expected numbers
above: that is the **chance** part of the uncertainty. Spend is the same every {per} for the whole horizon.
"""
)

st.header("4. Uncertainty, and what the bands mean")
st.markdown(
    """
Any number in a scenario can be a range instead of a single value: `low .. high` (uniform),
`low / most likely / high` (triangular) or `mean ± sd` (normal, kept inside the allowed values). Each simulated
future draws one value from every range and keeps it for the whole horizon: that is the **assumption** part of
the uncertainty. With thousands of customers it is usually the larger part; a chart that showed only chance
would look falsely precise.

- **Line:** the median future. **Dark band:** the middle 50 % of futures. **Light band:** 90 % of them
  (5th to 95th percentile). The figures under each headline give the same 90 % range.
- **Common random numbers.** The plan and the status quo run on the same draws: the same assumption values and
  the same random streams in future number *k*. So "the plan beats the status quo in 70 % of futures" compares
  like with like; differences are not luck. Each assumption has its own random stream, keyed by its name, so
  scenarios compared on the Compare page share the draws of every assumption they share.
- **Reproducible.** The same scenario, runs and seed give exactly the same figures on any machine; the share
  link carries all three.
"""
)

st.header("5. The figures")
st.markdown(
    f"""
Revenue in a {per} is the sum over active customers of their current revenue; gross profit is revenue × margin;
spend is the four budgets; **contribution** = gross profit − spend. Money is discounted at the scenario's yearly
rate converted to a {per}: (1 + d)<sup>1/n</sup> − 1 with n {per}s a year.
""",
    unsafe_allow_html=True,
)
st.latex(r"\text{NPV} = \sum_{t=1}^{H} \frac{\text{gross profit}_t - \text{spend}_t}{(1+d)^t}")
st.latex(
    r"\text{CLV} = \sum_{t \ge 0} \frac{m\,S(t)}{(1+d)^t}"
    r" = m\,(1+d)\;\mathbb{E}\!\left[\frac{1}{d + \theta(1-\rho)}\right]"
)
# every figure but the two plain totals, in the model's own order
rows = [(f.label, f.help) for k, f in FIGURES.items() if k not in ("revenue_total", "active_customers_final")]
rows.append(
    (
        P_BEATS_LABEL,
        "Share of the simulated futures in which the plan's NPV is higher than the status quo's, "
        "future by future on the same draws.",
    )
)
st.table(pd.DataFrame(rows, columns=["Figure", "What it means"]).set_index("Figure"))
st.markdown(
    f"""
The **revenue bridge** splits the change in the revenue run-rate (revenue per {per} of the customers then
active) from the start to the end of the horizon: + revenue of new customers when they join, + expansion,
+ revenue of customers won back, − revenue of customers who leave. The steps add up exactly, future by future;
the chart shows their average.
"""
)

st.header("6. The main controls on the Plan page")
st.markdown(
    """
- **Total budget** and **acquisition share** set the plan's acquisition and retention spend; expansion and
  win-back budgets are kept (edit them under *All assumptions*).
- **Acquiring a customer costs N× retaining one** scales the acquisition cost: a range is scaled as a whole, so
  its uncertainty is kept.
- **Churn**, **revenue per customer** and **upsell rate** show averages over segments (churn weighted by where
  new customers land, the others by today's customers). Changing one multiplies every segment's value, and both
  ends of every range, by the same factor: segment differences and uncertainty are kept.
"""
)

st.header("7. Assumptions and limits")
st.markdown(
    f"""
What the model leaves out, so that you can say so in front of a client:

- **Prices are flat.** Revenue per customer changes only through upsell: no price rises, inflation, discounts,
  downgrades or seasonality.
- **Budgets are flat.** The same spend every {per}; no ramp-up, no campaigns, no delay between spending and its
  effect, and no lasting brand effect after spending stops.
- **Levers act on averages.** Retention lowers the churn of everyone in a segment in proportion; it does not pick
  the individual customers about to leave. Upsell does not change a customer's churn, and customers never move
  between segments.
- **The market is fixed.** A market size caps how many prospects can be won; competitors do not react, and
  customers who leave go to the lapsed pool (for win-back), not back to the prospects.
- **Only what you spend on the levers is a cost.** There are no fixed costs or overheads besides the gross
  margin; NPV and customer equity are contribution, not profit.
- **Customer equity** adds the discounted gross profit that the customers active at the horizon are still
  expected to bring, with no further spend and no further upsell. **CLV** counts gross profit only, not upsell,
  at the churn the plan's retention programme achieves on average.
- **GRR and NRR** are measured over the first year on the customers held at the start (over the whole horizon if
  it is shorter than a year).
- **The bands are only as honest as the ranges.** They show chance and the ranges you give; an assumption
  entered as a single number is treated as known. They do not include the error of the model itself.
- The rules of thumb in the literature ("a 5 % gain in retention lifts profit by 25-95 %") are not built in: try
  them here, with your own numbers, and see when they hold.

A second, independent engine (a discrete-event simulation with one process per customer) implements the same
model customer by customer; the two agree on average within Monte Carlo error, which is how the fast engine is
checked.

**References.** Fader, P. S. and Hardie, B. G. S. (2007), *How to project customer retention*, Journal of
Interactive Marketing 21(1). Fader, P. S. and Hardie, B. G. S. (2010), *Customer-base valuation in a contractual
setting: the perils of ignoring heterogeneity*, Marketing Science 29(1). Golub, G. H. and Welsch, J. H. (1969),
*Calculation of Gauss quadrature rules*, Mathematics of Computation 23.
"""
)
