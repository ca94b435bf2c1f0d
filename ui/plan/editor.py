"""The "All assumptions" editor: every scenario field, applied together in one form.

Uncertain numbers are written as text (``0.012``, ``0.008 .. 0.016``,
``0.008 / 0.012 / 0.016`` or ``0.012 ± 0.002``; see :mod:`simulation.model.param_text`). Nothing
changes until "Apply changes" is pressed; then the whole scenario is validated
at once and every problem is listed with the field it concerns, while the last
valid scenario stays in use.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from simulation import Scenario
from simulation.errors import InputError
from simulation.model import edits
from simulation.model.fields import LEVER_MODELS
from simulation.model.scenario import PERIODS_PER_YEAR, SEGMENT_ASSUMPTIONS, Segment, Simulation, bounds_of
from ui.plan import editor_tables as tables
from ui.plan.distribution_picker import distribution_picker
from ui.shared.safe_text import code
from ui.shared.state import describe_problems

ROW_HEIGHT = 35  # pixels per table row in Streamlit's data editor
PARAM_HELP = (
    "A fixed number (0.012), or an uncertain one: a range 0.008 .. 0.016 (uniform), "
    "low / most likely / high such as 0.008 / 0.012 / 0.016 (triangular), or mean ± sd such as 0.012 ± 0.002 "
    "(normal). Each simulated future draws its own value from a range."
)


def _digest(scenario: Scenario) -> str:
    # Widget keys carry the scenario's digest: a new scenario (preset, upload, slider) resets the editor.
    return hashlib.sha1(scenario.canonical_json().encode("utf-8")).hexdigest()[:12]


def assumptions_editor(scenario: Scenario) -> Scenario | None:
    """Render the editor; return the new scenario when changes were applied and are valid, else None."""
    return _tables_editor(scenario) or uncertainty_picker(scenario)


def uncertain_fields(scenario: Scenario) -> dict[str, tuple[str, type, str, object]]:
    """Every number that may be uncertain: ``{path: (label, model, field, current value)}``."""
    fields: dict[str, tuple[str, type, str, object]] = {}
    for path, label in tables.LEVER_ROWS:
        if "." in path:
            section, field = path.split(".")
            value, model = getattr(getattr(scenario, section), field), LEVER_MODELS[section]
        else:
            field, value, model = path, getattr(scenario, path), Scenario
        if value is not None:
            fields[path] = (label.format(period=scenario.period), model, field, value)
    for i, segment in enumerate(scenario.segments):
        for field in SEGMENT_ASSUMPTIONS:
            label = f"Segment {segment.name}: {tables.SEGMENT_COLUMNS[field].lower()}"
            fields[f"segments[{i}].{field}"] = (label, Segment, field, getattr(segment, field))
    return fields


def uncertainty_picker(scenario: Scenario) -> Scenario | None:
    """One assumption at a time, as a number, a range, low / most likely / high or mean ± sd, with a preview."""
    st.markdown("**One assumption and its uncertainty**")
    st.caption("Choose an assumption, give it a form and its numbers, see what the simulation will draw, and apply.")
    fields = uncertain_fields(scenario)
    path = st.selectbox(
        "Assumption", list(fields), format_func=lambda p: fields[p][0], key=f"pick_path_{_digest(scenario)}"
    )
    label, model, field, value = fields[path]
    picked = distribution_picker(label, value, model, field, key=f"pick_{path}_{_digest(scenario)}", path=path)
    if picked is None or not st.button("Apply this assumption", icon=":material/check:", key=f"pick_apply_{path}"):
        return None
    try:
        return edits.with_value(scenario, path, picked)
    except InputError as exc:
        st.error(f"**Not applied.** {code(exc)}")
        return None


def _tables_editor(scenario: Scenario) -> Scenario | None:
    v = _digest(scenario)
    period = scenario.period
    with st.form(key=f"assumptions_{v}", border=False):
        st.markdown("**The scenario**")
        c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
        name = c1.text_input("Title", value=scenario.name, max_chars=120, key=f"ed_name_{v}")
        period_choice = c2.selectbox(
            "Period",
            list(PERIODS_PER_YEAR),
            index=list(PERIODS_PER_YEAR).index(period),
            key=f"ed_period_{v}",
            help="Every rate and budget in the scenario is per period. Changing the period does not convert them.",
        )
        hb = bounds_of(Scenario, "horizon")
        horizon = c3.number_input(
            "Horizon (periods)",
            min_value=int(hb.lo),
            max_value=int(hb.hi),
            value=scenario.horizon,
            step=1,
            key=f"ed_horizon_{v}",
        )
        currency = c4.text_input(
            "Currency", value=scenario.currency, max_chars=8, key=f"ed_currency_{v}", help="An ISO code such as USD"
        )
        description = st.text_area(
            "Description", value=scenario.description, max_chars=4000, height=68, key=f"ed_description_{v}"
        )

        st.markdown(f"**Budgets per {period} ({scenario.currency})**")
        st.caption(
            "The plan and the status quo it is compared with. When the status quo was not set it equals the plan."
        )
        money_col = st.column_config.NumberColumn(min_value=0.0, format="localized", step=100.0)
        budgets = st.data_editor(
            tables.budgets_frame(scenario),
            key=f"ed_budgets_{v}",
            column_config=dict.fromkeys(tables.BUDGET_LEVERS.values(), money_col),
            width="stretch",
        )

        st.markdown("**Levers and money**")
        st.caption(PARAM_HELP + " Give either the acquisition cost multiple or the CAC, not both.")
        lever_rows = tables.levers_frame(scenario)
        levers = st.data_editor(
            lever_rows,
            key=f"ed_levers_{v}",
            height=ROW_HEIGHT * (len(lever_rows) + 1) + 3,
            hide_index=True,
            disabled=["Assumption", "Allowed"],
            column_config={
                "Assumption": st.column_config.TextColumn(width="large"),
                "Value": st.column_config.TextColumn(width="medium", help=PARAM_HELP),
                "Allowed": st.column_config.TextColumn(width="small"),
            },
            width="stretch",
        )

        st.markdown("**Customer segments**")
        st.caption(
            f"One row per segment; add or delete rows at the bottom. Rates are per {period} as fractions "
            "(0.012 = 1.2 %). Empty weight columns split a lever's budget by value at risk."
        )
        segments = st.data_editor(
            tables.segments_frame(scenario),
            key=f"ed_segments_{v}",
            num_rows="dynamic",
            hide_index=True,
            column_config=_segment_columns(period),
            width="stretch",
        )

        st.markdown("**Simulation**")
        s1, s2, _ = st.columns([1, 1, 2])
        rb, sb = bounds_of(Simulation, "runs"), bounds_of(Simulation, "seed")
        runs = s1.number_input(
            "Simulated futures (runs)",
            min_value=int(rb.lo),
            max_value=int(rb.hi),
            value=scenario.simulation.runs,
            step=100,
            key=f"ed_runs_{v}",
            help="More runs give steadier percentiles but take longer; 1,000 keeps the page quick.",
        )
        # Text, not a number input: seeds go up to 2**63 - 1, beyond what a browser number holds exactly.
        seed = s2.text_input(
            "Seed",
            value=str(scenario.simulation.seed),
            key=f"ed_seed_{v}",
            help=f"A whole number from {int(sb.lo)} to {int(sb.hi):,}. "
            "The same seed and runs give exactly the same figures on any machine.",
        )
        applied = st.form_submit_button("Apply changes", type="primary", icon=":material/check:")
    if not applied:
        return None
    general = {
        "name": name,
        "description": description,
        "period": period_choice,
        "horizon": horizon,
        "currency": currency,
        "runs": runs,
        "seed": seed,
    }
    try:
        return tables.scenario_from_editor(scenario, general, budgets, levers, segments)
    except InputError as exc:
        problems = getattr(exc, "problems", [("", str(exc))])
        lines = describe_problems(problems, {"segments": segments.to_dict("records")})
        st.error("**Not applied: fix these and apply again.**\n\n" + "\n".join(f"- {code(line)}" for line in lines))
        return None


def _segment_columns(period: str) -> dict:
    text = st.column_config.TextColumn
    num = st.column_config.NumberColumn
    cb, tb = bounds_of(Segment, "customers"), bounds_of(Segment, "tenure")
    share = bounds_of(Segment, "new_customer_share")
    labels = tables.SEGMENT_COLUMNS
    return {
        "name": text(labels["name"], required=True, max_chars=60, help="A unique name (A, B, key accounts, ...)"),
        "customers": num(labels["customers"], min_value=int(cb.lo), max_value=int(cb.hi), step=1, required=True),
        "revenue_per_customer": text(
            labels["revenue_per_customer"], help=f"Revenue per customer per {period} before upsell. " + PARAM_HELP
        ),
        "gross_margin": text(
            labels["gross_margin"], help="Share of revenue kept as gross profit, 0 to 1. " + PARAM_HELP
        ),
        "churn": text(
            labels["churn"],
            help=f"Mean probability that a new customer leaves in a {period} without retention spend. " + PARAM_HELP,
        ),
        "churn_heterogeneity": text(
            labels["churn_heterogeneity"],
            help="How much churn differs between customers: 0 = all alike, towards 1 = very mixed. " + PARAM_HELP,
        ),
        "tenure": num(
            labels["tenure"],
            min_value=int(tb.lo),
            max_value=int(tb.hi),
            step=1,
            help=f"{period.capitalize()}s the current customers have already stayed (the riskiest have left).",
        ),
        "upsell_rate": text(
            labels["upsell_rate"],
            help=f"Probability per {period} that a customer expands, without spend. " + PARAM_HELP,
        ),
        "upsell_uplift": text(
            labels["upsell_uplift"], help="Revenue increase per expansion, as a share of revenue. " + PARAM_HELP
        ),
        "new_customer_share": num(
            labels["new_customer_share"],
            min_value=float(share.lo),
            max_value=float(share.hi),
            step=0.01,
            format="%.3f",
            help="Share of newly won customers who land in this segment; give all (summing to 1) or none.",
        ),
        "retention": num(
            labels["retention"], min_value=0.0, help="Share of the retention budget; empty: by value at risk"
        ),
        "expansion": num(labels["expansion"], min_value=0.0, help="Share of the expansion budget; empty: by value"),
        "winback": num(labels["winback"], min_value=0.0, help="Share of the win-back budget; empty: by lapsed value"),
    }
