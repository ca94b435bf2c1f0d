"""The Compare page's workbook (.xlsx): inputs with what differs shaded, figures side by side, each P&L."""

from __future__ import annotations

from collections.abc import Mapping

from simulation import Scenario, SimulationResult
from simulation.io.exports import projections_wide
from ui.compare.inputs import DIFFERS, check_comparable, inputs_cells
from ui.shared.workbook import (
    COUNT_FORMAT,
    DIFFERS_FILL,
    PERCENT_FORMAT,
    assumptions_frame,
    figures_frame,
    money_format,
    new_workbook,
    pnl_formats,
    pnl_frame,
    projection_formats,
    save,
    sheet_name,
    write_figures,
    write_sheet,
)


def compare_workbook(scenarios: Mapping[str, Scenario], results: Mapping[str, SimulationResult]) -> bytes:
    """2-5 scenarios: the inputs (what differs shaded), the figures side by side, each one's P&L and projections."""
    check_comparable(scenarios)
    lead = next(iter(scenarios.values()))
    cur = lead.currency
    wb = new_workbook()
    inputs, kinds = inputs_cells(scenarios)
    shown = inputs.drop(columns=[DIFFERS]).reset_index(names="Input")
    shown["Differs"] = ["yes" if d else "" for d in inputs[DIFFERS]]
    ws = write_sheet(wb, "Inputs", shown, fills=[DIFFERS_FILL if d else None for d in inputs[DIFFERS]])
    # numbers are numbers, each row with its own format (a column holds money, shares and counts)
    formats = {"money": money_format(cur), "percent": PERCENT_FORMAT, "count": COUNT_FORMAT, "number": "General"}
    for r, label in enumerate(inputs.index, start=2):
        fmt = formats.get(kinds[label])
        for c in range(2, len(scenarios) + 2):
            cell = ws.cell(row=r, column=c)
            if fmt and isinstance(cell.value, int | float):
                cell.number_format = fmt
    write_figures(wb, "Comparison", figures_frame(results, lead), lead)
    for i, (name, result) in enumerate(results.items(), start=1):
        write_sheet(wb, sheet_name(f"P&L {i}", name), pnl_frame(result), pnl_formats(cur))
    for i, (name, result) in enumerate(results.items(), start=1):
        wide = projections_wide(result)
        write_sheet(wb, sheet_name(f"Projections {i}", name), wide, projection_formats(wide, cur))
    for i, (name, s) in enumerate(scenarios.items(), start=1):
        write_sheet(wb, sheet_name(f"Assumptions {i}", name), assumptions_frame(s))
    return save(wb)
