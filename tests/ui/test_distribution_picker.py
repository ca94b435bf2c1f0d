"""The distribution picker in a tiny app: each form returns the scenario's format, bad numbers get a message."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from simulation.model.distributions import Distribution
from simulation.model.scenario import Segment, bounds_of
from tests.pages.markdown_reading import as_read
from ui.plan.distribution_picker import build_value, preview_frame


def picker_app():
    import json

    import streamlit as st

    from simulation.model.scenario import Segment
    from ui.plan.distribution_picker import distribution_picker

    start = st.session_state.get("start", 0.03)
    value = distribution_picker("Churn per month", start, Segment, "churn", "churn", path="segments[A].churn")
    st.code(json.dumps(value), language=None)


def run(start=0.03) -> AppTest:
    at = AppTest.from_function(picker_app, default_timeout=30)
    at.session_state["start"] = start
    at.run()
    assert not at.exception, f"the picker raised: {at.exception}"
    return at


def returned(at: AppTest):
    return json.loads(at.code[-1].value)


def number(at: AppTest, label: str):
    return next(n for n in at.number_input if n.label == label)


def form(at: AppTest):
    return next(w for w in at.get("button_group") if as_read(w.label) == "Churn per month")


def test_a_plain_number_is_returned_as_a_number():
    at = run(0.03)
    assert returned(at) == 0.03, f"got {returned(at)!r}"
    assert not at.get("vega_lite_chart"), "a plain number has no distribution to preview"


def test_each_form_returns_the_scenarios_format():
    at = run(0.03)
    form(at).set_value("triangular").run()
    number(at, "Low").set_value(0.02).run()
    number(at, "Most likely").set_value(0.03).run()
    number(at, "High").set_value(0.05).run()
    assert returned(at) == {"low": 0.02, "mode": 0.03, "high": 0.05}, f"got {returned(at)!r}"
    assert at.get("vega_lite_chart"), "a distribution shows its preview"
    form(at).set_value("normal").run()
    number(at, "Mean").set_value(0.04).run()
    number(at, "Sd").set_value(0.01).run()
    assert returned(at) == {"mean": 0.04, "sd": 0.01}, f"got {returned(at)!r}"
    form(at).set_value("uniform").run()
    number(at, "Low").set_value(0.01).run()
    number(at, "High").set_value(0.06).run()
    assert returned(at) == {"low": 0.01, "high": 0.06}, f"got {returned(at)!r}"


def test_an_existing_distribution_opens_in_its_form():
    at = run({"low": 0.02, "mode": 0.025, "high": 0.04})
    assert form(at).value == "triangular", f"opened as {form(at).value!r}"
    assert number(at, "Most likely").value == 0.025, "the numbers are the scenario's"
    assert returned(at) == {"low": 0.02, "mode": 0.025, "high": 0.04}, f"got {returned(at)!r}"


@pytest.mark.parametrize(
    ("form_name", "numbers", "message"),
    [
        ("uniform", {"Low": 0.05, "High": 0.02}, "segments[A].churn: needs low <= high"),
        ("uniform", {"Low": 0.02, "High": 1.5}, "segments[A].churn: high must be in [0, 1); got 1.5"),
        ("number", {"Value": -0.1}, "segments[A].churn: must be in [0, 1); got -0.1"),
        ("normal", {"Mean": 0.03, "Sd": -0.01}, "segments[A].churn: sd must be 0 or more"),
    ],
)
def test_bad_numbers_get_a_message_naming_the_field(form_name, numbers, message):
    at = run(0.03)
    form(at).set_value(form_name).run()
    for label, x in numbers.items():
        number(at, label).set_value(x).run()
    assert not at.exception, f"the picker raised: {at.exception}"
    errors = [e.value for e in at.error]
    assert errors == [message], f"expected {message!r}, got {errors}"
    assert returned(at) is None, "an invalid value is not returned"


def test_build_value_matches_the_schema():
    bounds = bounds_of(Segment, "churn")
    value, problem = build_value("triangular", {"low": 0.01, "mode": 0.02, "high": 0.04}, bounds, "churn")
    assert problem is None and Distribution.model_validate(value).kind == "triangular", f"{value}, {problem}"
    Segment(name="A", customers=1, revenue_per_customer=1, churn=value)  # the schema accepts what the picker returns


def test_preview_is_what_the_model_draws_clipped_to_the_range():
    bounds = bounds_of(Segment, "churn")
    frame = preview_frame({"mean": 0.01, "sd": 0.02}, bounds)
    assert frame["start"].min() >= 0.0, "draws below zero are clipped, as in a run"
    assert frame["share"].sum() == pytest.approx(1.0), "the shares add up to every future"
    # evenly spaced quantiles of a uniform fill its bins equally (2000 draws / 30 bins, up to one per bin)
    flat = preview_frame({"low": 0.0, "high": 0.3}, bounds)
    assert np.ptp(flat["share"]) <= 1.5 / 2000 + 1e-12, f"a uniform preview should be flat: {flat['share'].tolist()}"
