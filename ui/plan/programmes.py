"""The Plan page's programmes box: the plan's loyalty tiers, contact plans and service levels.

Each programme is listed with what it covers and costs, a switch, a button that removes it and its
marginal contribution in words (what the plan's operating NPV loses without it, future by future
on the same draws); a form below adds a programme or edits one. Every change goes through the
scenario's validation, so a bad value is named and the scenario is left as it was.
"""

from __future__ import annotations

import streamlit as st

from simulation import Scenario, ScenarioError
from simulation.decide.programme_value import ProgrammeValue
from simulation.model.programmes import ALL, Programme
from ui.plan.distribution_picker import distribution_picker
from ui.shared import cache, state, style, widgets
from ui.shared.safe_text import code

K_OPEN = "plan_programmes_open"
K_EDIT = "plan_programme_edit"
LABEL = "Programmes: loyalty tiers, contact plans, service levels"
NEW = "A new programme"
INTRO = (
    "A programme covers some customers, costs a fixed amount, an amount per covered customer and/or a share "
    "of their revenue (a loyalty discount), and multiplies their churn and their revenue. Its cost is the "
    "line *Programme costs* of the year-by-year table. Each one's contribution is what the plan's operating "
    "NPV loses without it, future by future on the same draws."
)


def _names(names: list[str]) -> str:
    shown = [code(n) for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def covers_text(programme: Programme) -> str:
    """Who the programme covers, in words (segment names as code spans)."""
    if programme.covers == ALL:
        return "every segment"
    chosen = [programme.covers] if isinstance(programme.covers, str) else list(programme.covers)
    return f"segment{'s' if len(chosen) > 1 else ''} {_names(chosen)}"


def costs_text(programme: Programme, currency: str, period: str) -> str:
    """What the programme costs, in words; "nothing" when every cost is zero."""
    parts = []
    if programme.fixed_cost:
        parts.append(f"{style.money(programme.fixed_cost, currency)} per {period}")
    if programme.cost_per_customer:
        parts.append(f"{style.money(programme.cost_per_customer, currency)} per covered customer per {period}")
    if programme.revenue_share:
        parts.append(f"{style.percent(programme.revenue_share)} of their revenue")
    return " + ".join(parts) if parts else "nothing"


def contribution_text(value: ProgrammeValue, currency: str) -> str:
    """The programme's marginal contribution in words, true of the numbers it quotes.

    Adds or takes off by the sign of the mean (and "less than one unit" when the mean rounds to
    nothing), the 90 % range, the futures in which the plan does better with it (counted, so never
    rounded to a misleading "50 %"), and whether it pays (better on average and in more than half).
    """
    money = lambda x: style.money(x, currency)  # noqa: E731
    if money(abs(value.mean)) == money(0.0):
        change = f"changes operating NPV by less than {money(1.0)} on average"
    elif value.mean > 0:
        change = f"adds {money(value.mean)} to operating NPV on average"
    else:
        change = f"takes {money(-value.mean)} off operating NPV on average"
    better = round(value.share_positive * value.runs)
    verdict = "**it pays**" if value.pays else "it does not pay"
    return (
        f"{code(value.name)} {change} (90 % of futures between {money(value.p5)} and {money(value.p95)}); "
        f"the plan does better with it in {better:,} of {value.runs:,} futures: {verdict}."
    )


def _apply(scenario: Scenario, programmes: list[dict], done: str) -> None:
    """Validate the scenario with ``programmes``; make it current, or show every problem and keep the old one."""
    try:
        changed = scenario.replace(programmes=programmes or None)
    except ScenarioError as exc:
        st.error("The programme could not be applied:\n\n" + state.problems_text(exc, scenario.to_dict()))
        return
    state.set_scenario(changed)
    state.notify("success", done)
    st.rerun()


def programmes_box(scenario: Scenario) -> None:
    """The box, built only while open."""
    box = st.expander(LABEL, icon=":material/loyalty:", key=K_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        st.markdown(INTRO)
        listed = [p.model_dump() for p in scenario.programmes or []]
        values: dict[str, ProgrammeValue] = {}
        if any(p.enabled for p in scenario.programmes or []):
            with (
                st.spinner("Running the plan without each programme…"),
                widgets.errors_shown(
                    "The programmes' contributions cannot be worked out.", "The contributions could not be worked out."
                ),
            ):
                values = {v.name: v for v in cache.programme_values(scenario)}
        if not listed:
            st.caption("This plan runs no programme yet: add one below.")
        for i, programme in enumerate(scenario.programmes or []):
            _row(scenario, listed, i, programme, values.get(programme.name))
        _editor(scenario, listed)


def _row(scenario: Scenario, listed: list[dict], i: int, programme: Programme, value: ProgrammeValue | None) -> None:
    words, switch, remove = st.columns([6, 1, 1], vertical_alignment="center")
    words.markdown(
        f"{code(programme.name)} covers {covers_text(programme)} and costs "
        f"{costs_text(programme, scenario.currency, scenario.period)}."
    )
    if value is not None:
        words.markdown(contribution_text(value, scenario.currency))
    elif not programme.enabled:
        words.caption("Switched off: it changes nothing and costs nothing.")
    on = switch.toggle("On", value=programme.enabled, key=f"plan_programme_on_{i}_{programme.name}")
    if on != programme.enabled:
        changed = [dict(p) for p in listed]
        changed[i]["enabled"] = on
        _apply(scenario, changed, "The programme was switched " + ("on." if on else "off."))
    if remove.button("Remove", key=f"plan_programme_remove_{i}_{programme.name}"):
        _apply(scenario, [p for j, p in enumerate(listed) if j != i], "The programme was removed.")


def _editor(scenario: Scenario, listed: list[dict]) -> None:
    st.markdown("**Add a programme, or edit one**")
    names = [p["name"] for p in listed]
    chosen = st.selectbox("Programme", [NEW, *names], key=K_EDIT)
    index = names.index(chosen) if chosen in names else None
    current = listed[index] if index is not None else Programme(name="New programme").model_dump()
    segments = [s.name for s in scenario.segments]
    covers = current["covers"]
    picked = [] if covers == ALL else [covers] if isinstance(covers, str) else list(covers)
    k = f"plan_programme_{index}"
    left, right = st.columns(2)
    name = left.text_input("Name", value=current["name"], max_chars=60, key=f"{k}_name")
    chosen_segments = right.multiselect(
        "Covers (none chosen: every segment)", segments, default=[s for s in picked if s in segments], key=f"{k}_covers"
    )
    cur, per = scenario.currency, scenario.period
    c1, c2, c3 = st.columns(3)
    fixed = c1.number_input(f"Fixed cost per {per} ({cur})", min_value=0.0, value=float(current["fixed_cost"]),
                            key=f"{k}_fixed")  # fmt: skip
    per_customer = c2.number_input(
        f"Cost per covered customer per {per} ({cur})", min_value=0.0, value=float(current["cost_per_customer"]),
        key=f"{k}_per_customer",
    )  # fmt: skip
    share = c3.number_input(
        "Share of their revenue (a discount, %)", min_value=0.0, max_value=100.0,
        value=float(current["revenue_share"]) * 100, key=f"{k}_share",
    )  # fmt: skip
    churn = distribution_picker(
        "Churn multiplier (0.8 = a fifth less churn)", current["churn_multiplier"], Programme, "churn_multiplier",
        key=f"{k}_churn", path="churn_multiplier",
    )  # fmt: skip
    revenue = distribution_picker(
        "Revenue multiplier (1.05 = 5 % more revenue per customer)", current["revenue_multiplier"], Programme,
        "revenue_multiplier", key=f"{k}_revenue", path="revenue_multiplier",
    )  # fmt: skip
    c1, c2 = st.columns(2)
    start = c1.number_input(f"First {per}", min_value=1, max_value=scenario.horizon,
                            value=min(int(current["start"]), scenario.horizon), key=f"{k}_start")  # fmt: skip
    phase_in = c2.number_input(f"{per.capitalize()}s to the full effect", min_value=1, max_value=600,
                               value=int(current["phase_in"]), key=f"{k}_phase_in")  # fmt: skip
    if churn is None or revenue is None:
        return
    if st.button("Apply the programme", icon=":material/check:", key=f"{k}_apply"):
        edited = {
            "name": name.strip(),
            "covers": chosen_segments if chosen_segments else ALL,
            "enabled": current.get("enabled", True),
            "fixed_cost": fixed,
            "cost_per_customer": per_customer,
            "revenue_share": share / 100,
            "churn_multiplier": churn,
            "revenue_multiplier": revenue,
            "start": int(start),
            "phase_in": int(phase_in),
        }
        changed = [dict(p) for p in listed]
        if index is None:
            changed.append(edited)
        else:
            changed[index] = edited
        _apply(scenario, changed, "The programme was applied.")
