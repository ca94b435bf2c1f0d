"""The cost multiple is stated one way everywhere: the slider, its caption, the PDF, Compare and the workbook."""

from __future__ import annotations

import pytest

from simulation.io.presets import load_preset
from simulation.model import edits
from ui.compare.inputs import inputs_table
from ui.plan import controls as plan_controls
from ui.plan import text as plan_text
from ui.shared import report
from ui.shared.assumption_text import multiplier_text

STATED = "most likely 7×, range 5–12×"


@pytest.fixture(scope="module")
def saas():
    return load_preset("saas_mid_market")


def _pdf_row(s) -> str:
    return dict(report.assumption_rows(s))["New customer, × a save"]


def test_every_place_states_the_most_likely_value_and_the_range(saas):
    assert multiplier_text(saas) == STATED, multiplier_text(saas)
    mc = plan_controls.multiplier_control(saas)
    assert plan_controls.control_values(saas)[plan_controls.K_MULT] == 7.0, "the slider shows the most likely value"
    assert STATED in plan_text.multiplier_caption(saas, mc), plan_text.multiplier_caption(saas, mc)
    assert _pdf_row(saas) == STATED, f"the PDF states the same: {_pdf_row(saas)!r}"
    other = saas.replace(name="Other", budget={"acquisition": 1.0, "retention": 2.0})
    row = inputs_table({"A": saas, "B": other}).loc["Cost multiplier"]
    assert row["A"] == STATED, f"Compare's inputs state the same: {row['A']!r}"
    assert "8.0×" not in _pdf_row(saas) + row["A"], "the mean is not shown as if it were the slider's value"


def test_a_moved_slider_is_what_the_pdf_says(saas):
    mc = plan_controls.multiplier_control(saas)
    moved = edits.with_cost_multiplier(saas, 10.0 * mc.per_stated)
    assert plan_controls.control_values(moved)[plan_controls.K_MULT] == pytest.approx(10.0), "the slider reads 10×"
    assert _pdf_row(moved) == "most likely 10×, range 7.1–17.1×", _pdf_row(moved)
    assert "11.4×" not in _pdf_row(moved), "the PDF does not show the mean after a move"


def test_the_workbook_names_its_value_column(saas):
    from ui.shared.workbook import assumptions_frame

    frame = assumptions_frame(saas)
    assert "Value (mean of a range)" in frame.columns, f"the value column says what it is: {list(frame.columns)}"
    row = frame[frame["Field"] == "acquisition.cost_multiplier"].iloc[0]
    assert row["mode"] == 7 and row["low"] == 5 and row["high"] == 12, (
        "the range's ends and most likely value are listed"
    )


def test_other_forms_are_named():
    s = load_preset("saas_mid_market")
    uniform = s.replace(
        acquisition={**s.acquisition.model_dump(exclude_none=True), "cost_multiplier": {"low": 5, "high": 11}}
    )
    assert multiplier_text(uniform) == "8× (midpoint of 5–11×)", multiplier_text(uniform)
    fixed = s.replace(acquisition={**s.acquisition.model_dump(exclude_none=True), "cost_multiplier": 6.5})
    assert multiplier_text(fixed) == "6.5×", multiplier_text(fixed)
