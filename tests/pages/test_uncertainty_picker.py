"""The editor's one-assumption picker on the Plan page: choose, shape, preview, apply."""

from __future__ import annotations

from .conftest import start_app_warm


def test_a_range_picked_for_churn_reaches_the_scenario(test_scenario):
    at = start_app_warm(test_scenario)
    at.session_state["plan_assumptions_open"] = True
    at.run()
    assert not at.exception, at.exception
    picker = [s for s in at.selectbox if s.label == "Assumption"]
    assert picker, "the picker lists the uncertain assumptions"
    picker[0].set_value("segments[0].churn").run()
    form = [c for c in at.get("button_group") if "churn" in c.label.lower()]
    assert form, "the form of the assumption can be chosen"
    form[0].set_value("triangular").run()
    inputs = {n.label: n for n in at.number_input if n.label in ("Low", "Most likely", "High")}
    inputs["Low"].set_value(0.02)
    inputs["Most likely"].set_value(0.03)
    inputs["High"].set_value(0.06).run()
    assert not at.exception, at.exception
    next(b for b in at.button if b.label == "Apply this assumption").click().run()
    assert not at.exception, at.exception
    churn = at.session_state["scenario"].segments[0].churn
    assert churn.as_dict() == {"low": 0.02, "mode": 0.03, "high": 0.06}, f"applied: {churn}"
