"""The split the user chose survives a zero total, on the plan and on the status quo (AppTest)."""

from __future__ import annotations

from simulation.model import edits
from simulation.model.scenario import Budget, currency_decimals

from .test_app_plan import SPLIT, labelled, widget


def _intro(at) -> str:
    return next(m.value for m in at.markdown if "**Status quo:**" in m.value)


def test_the_split_is_kept_through_a_zero_total(app, test_scenario):
    total = labelled(app.text_input, r"^Total budget per month")
    total.set_value("0").run()
    assert not app.exception, f"the page raised: {app.exception}"
    labelled(app.text_input, r"^Total budget per month").set_value("200,000").run()
    assert not app.exception, f"the page raised: {app.exception}"
    slider = widget(app.slider, SPLIT).value
    caption = next(c.value for c in app.caption if c.value.startswith("Acquisition "))
    assert slider == 90, f"the slider should keep the plan's 90 % through a zero total, shows {slider}"
    assert "Acquisition €180k · retention €20.0k" in caption, f"the caption should match the slider: {caption!r}"
    assert "**Plan:** €200k per month (acquisition €180k, retention €20.0k)" in _intro(app), _intro(app)


def test_the_status_quo_keeps_its_split_through_a_zero_total(app):
    box = labelled(app.text_input, r"^Status quo budget per month")
    box.set_value("0").run()
    labelled(app.text_input, r"^Status quo budget per month").set_value("200,000").run()
    assert not app.exception, f"the page raised: {app.exception}"
    intro = _intro(app)
    assert "**Status quo:** €200k per month (acquisition €180k, retention €20.0k)" in intro, (
        f"the status quo should keep its own 90 % split through a zero total: {intro!r}"
    )


def test_a_split_stores_money_in_the_currencys_smallest_unit(test_scenario):
    s = test_scenario.with_budget(Budget(acquisition=140000, retention=60000))
    for share in (0.7, 0.29, 0.57, 0.33, 1 / 3):
        b = edits.with_split(s, share).budget
        assert b.retention == round(b.retention, 2) and b.acquisition == round(b.acquisition, 2), (
            f"a {share:.0%} split should store cents, got {b.acquisition!r} / {b.retention!r}"
        )
        assert b.acquisition + b.retention == 200000, f"the split should add up to the total: {b}"
    assert edits.with_split(s, 0.7).budget.retention == 60000.0, "70 % of 200,000 leaves 60,000 to retention"
    yen = s.replace(currency="JPY")
    b = edits.with_split(yen, 1 / 3).budget
    assert b.acquisition == round(b.acquisition) and b.retention == round(b.retention), f"yen have no cents: {b}"
    assert (currency_decimals("JPY"), currency_decimals("VND"), currency_decimals("EUR"), currency_decimals("KWD")) == (
        0,
        0,
        2,
        3,
    ), "minor units follow ISO 4217"


def test_two_plans_at_the_same_split_are_the_same_scenario(test_scenario):
    from ui.compare.inputs import same_scenario

    typed = test_scenario.with_budget(Budget(acquisition=140000, retention=60000))
    moved = edits.with_split(test_scenario.with_budget(Budget(acquisition=100000, retention=100000)), 0.7)
    assert moved.budget.retention == 60000, f"70 % of 200,000 leaves 60,000, not {moved.budget.retention!r}"
    assert same_scenario(typed, moved), f"the same split of the same total is the same plan: {moved.budget}"
