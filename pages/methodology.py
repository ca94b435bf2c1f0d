"""Methodology: the model in plain words and formulas, its assumptions and its limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from simulation.engines.vectorized import CLASSES_PER_COHORT
from simulation.model import edits
from simulation.model.closed_forms import expected_survival, sbg_parameters
from simulation.model.distributions import central
from simulation.model.figures import FIGURES
from simulation.model.levers import response as lever_response
from ui.shared import charts, routing, state, style
from ui.shared.assumption_text import multiplier_text
from ui.shared.prose import prose
from ui.shared.safe_text import code
from ui.shared.widgets import CHART_HEIGHT, P_BEATS_LABEL

routing.ensure_routed("pages/methodology.py")

scenario = state.current_scenario()
per, cur = scenario.period, scenario.currency
# the page's prose lives in ui/text/methodology/; these are the values it quotes
quoted = dict(
    per=per,
    horizon=scenario.horizon,
    name=code(scenario.name),
    classes=CLASSES_PER_COHORT,
    exact_periods=2 * CLASSES_PER_COHORT,
    currency=style.currency_symbol(cur),
)


def text(section: str) -> str:
    return prose(f"methodology/{section}", **quoted)


st.title("How Retention Lab works")
st.markdown(text("intro"))

st.header("1. The customers")
st.markdown(text("customers"))
st.latex(
    r"\theta \sim \mathrm{Beta}(a, b), \quad a = c\left(\tfrac{1}{\varphi} - 1\right),"
    r"\quad b = (1-c)\left(\tfrac{1}{\varphi} - 1\right)"
)
st.markdown(text("sbg"))
st.latex(r"S(t) = \frac{B(a,\, b + t)}{B(a,\, b)}")
st.markdown(text("heterogeneity"))

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
    charts.vega_spec(
        charts.survival_chart(
            curves,
            period=per,
            title=f"Why heterogeneity matters: newly won customers of segment {seg.name} still active",
            subtitle=[
                f"Both curves lose {c:.1%} of the cohort in the first {per};",
                "the heterogeneous one keeps more customers afterwards because the riskiest leave first.",
            ],
        )
    ),
    width="stretch",
    height=CHART_HEIGHT,
)

st.header("2. The budget and the four levers")
st.markdown(text("levers"))
st.latex(
    r"\text{units}(\text{spend}) = \text{ceiling} \times "
    r"\left(1 - e^{-\text{spend} / (\text{ceiling} \times \text{marginal cost})}\right)"
)
st.markdown(text("levers_cost"))

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
    charts.vega_spec(
        charts.response_chart(
            response,
            currency=cur,
            period=per,
            title=f"Diminishing returns in the first {per}, at the central assumptions",
            subtitle=[
                f"A new customer costs about {style.money(scenario.cac_central, cur)} on average "
                f"({edits.cost_multiplier(scenario):.1f}× a save of {style.money(central(ret.cost_per_save), cur)}; "
                f"the scenario's multiple: {multiplier_text(scenario)}).",
                f"About {expected_churners:,.0f} customers are expected to leave this {per} without retention.",
            ],
        )
    ),
    width="stretch",
    height=CHART_HEIGHT,
)
st.caption(
    "A customer kept and a customer won are not worth the same: a kept customer is often a lower-risk, "
    "longer-tenure one. The simulation values both through their own churn and revenue."
)

st.header(f"3. One {per}, step by step")
st.markdown(text("period"))

st.header("4. Uncertainty, and what the bands mean")
st.markdown(text("uncertainty"))

st.header("5. The figures")
st.markdown(text("figures"), unsafe_allow_html=True)
st.latex(r"\text{NPV} = \sum_{t=1}^{H} \frac{\text{gross profit}_t - \text{cost to serve}_t - \text{spend}_t}{(1+d)^t}")
st.latex(
    r"\text{CLV} = \sum_{t \ge 0} \frac{(m - c)\,S(t)}{(1+d)^t}"
    r" = (m - c)\,(1+d)\;\mathbb{E}\!\left[\frac{1}{d + \theta(1-\rho)}\right]"
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
st.markdown(text("bridge"))

st.header("6. The main controls on the Plan page")
st.markdown(text("controls"))

st.header("7. The answer: the best split and the size of the budget")
st.markdown(text("advice"))

st.header("8. Your own customers: classes, strategies and the churn fit")
st.markdown(prose("portfolio_method"))

st.header("9. Assumptions and limits")
st.markdown(text("limits"))
