"""The per-period paths a simulation produces: one list, read by both engines, results and exports."""

# The year-by-year profit and loss, top to bottom: operating profit = gross profit - cost to serve
# - marketing spend - programme costs - operating costs (contribution is the line before operating costs).
PNL_METRICS = (
    "revenue",
    "gross_profit",
    "cost_to_serve",
    "spend",
    "programme_costs",
    "contribution",
    "operating_costs",
    "operating_profit",
)
# How the P&L's lines read, in the order above.
PNL_LABELS = {
    "revenue": "Revenue",
    "gross_profit": "Gross profit",
    "cost_to_serve": "Cost to serve",
    "spend": "Marketing spend",
    "programme_costs": "Programme costs",
    "contribution": "Contribution",
    "operating_costs": "Operating costs",
    "operating_profit": "Operating profit",
}
PATH_METRICS = (
    "active_customers",
    "new_customers",
    "referred_customers",
    "churned_customers",
    "saved_customers",
    "upsells",
    "winbacks",
    "lapsed_customers",
    *PNL_METRICS,
    "cumulative_contribution",
    "revenue_run_rate",
    "run_rate_new",
    "run_rate_referred",
    "run_rate_expansion",
    "run_rate_winback",
    "run_rate_lost",
)
# computed from the recorded paths, the budget and the operating costs after a run (see results.build_result)
DERIVED = ("spend", "contribution", "operating_costs", "operating_profit", "cumulative_contribution")
# what an engine records, in the order of the vectorised engine's output array
RECORDED = tuple(m for m in PATH_METRICS if m not in DERIVED)


def pnl_metrics(scenario) -> tuple[str, ...]:
    """The P&L's lines for ``scenario``: programme costs only when it runs a programme."""
    if any(p.enabled for p in (scenario.programmes or [])):
        return PNL_METRICS
    return tuple(m for m in PNL_METRICS if m != "programme_costs")
