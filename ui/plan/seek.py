"""The Plan page's "what does it take" box: a target, a level, a confidence and what to change."""

from __future__ import annotations

import streamlit as st

from simulation import Scenario
from simulation.decide.seek import CONFIDENCES, PROGRAMME_EFFECT, SOLVES, TARGETS
from simulation.model.figures import FIGURES
from simulation.model.programmes import running_programmes
from ui.plan import text as plan_text
from ui.plan.controls import parse_amount
from ui.shared import cache, style, widgets
from ui.shared.safe_text import code

K_OPEN = "plan_seek_open"
LABEL = "What does it take to reach a target?"
SOLVE_WORDS = {
    "total_budget": "the acquisition + retention budget",
    "churn_change": "churn (all segments alike)",
    "price_change": "prices (revenue per customer)",
}
PROGRAMME_PREFIX = PROGRAMME_EFFECT + ":"


def solve_choices(scenario: Scenario) -> list[str]:
    """What the box can change: the three settings, then each running programme's effect."""
    return [*SOLVES, *(PROGRAMME_PREFIX + p.name for p in running_programmes(scenario))]


def solve_words(choice: str) -> str:
    """A choice as the selectbox shows it (plain text: a programme's name is shown as typed)."""
    if choice.startswith(PROGRAMME_PREFIX):
        return f"the effect of programme {choice.removeprefix(PROGRAMME_PREFIX)} on churn"
    return SOLVE_WORDS[choice]


def seek_box(scenario: Scenario) -> None:
    """The box, built only while open: the form, and once asked the answer in words."""
    box = st.expander(LABEL, icon=":material/flag:", key=K_OPEN, on_change="rerun")
    if not box.open:
        return
    cur = scenario.currency
    with box, st.form("plan_seek"):
        c1, c2, c3, c4 = st.columns([3, 2, 2, 3])
        target = c1.selectbox(
            "Target", TARGETS, format_func=lambda k: FIGURES[k].label_for(scenario), key="plan_seek_target"
        )
        level_text = c2.text_input(
            "At least", key="plan_seek_level", placeholder="3M",
            help=f"Money in {cur} (typed as 3,000,000, 3M or 250k), or a number of customers.",
        )  # fmt: skip
        confidence = c3.selectbox(
            "In this share of futures", CONFIDENCES, index=1, format_func=lambda c: style.percent(c, 0),
            key="plan_seek_confidence",
        )  # fmt: skip
        choice = c4.selectbox("By changing", solve_choices(scenario), format_func=solve_words, key="plan_seek_solve")
        asked = st.form_submit_button("Work it out", icon=":material/calculate:")
    if not asked:
        return
    try:
        level = parse_amount(level_text)
    except ValueError:
        box.error(f"At least: type a number such as 3,000,000, 3M or 250k; got {code(level_text)}.")
        return
    with box, st.spinner("Working it out on the plan's futures…"), widgets.errors_shown(
        "This target cannot be worked out for this scenario.", "The target could not be worked out."
    ):
        programme = choice.removeprefix(PROGRAMME_PREFIX) if choice.startswith(PROGRAMME_PREFIX) else None
        solve = PROGRAMME_EFFECT if programme is not None else choice
        result = cache.goal_seek(scenario, target, level, float(confidence), solve, programme)
        st.info(plan_text.seek_text(result, scenario), icon=":material/flag:")
