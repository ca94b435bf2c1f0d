"""The Optimise page's budget map and sensitivity sections: the work they ask of the engine."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.decide import default_totals, split_total
from simulation.io.presets import load_preset
from ui.optimise import sections


def test_the_page_maps_the_budgets_the_bench_times():
    """``python -m simulation bench`` and scripts/optimise_overhead.py time the page's own map."""
    sc = load_preset()
    total = split_total(sc)
    low, high, _ = sections.map_range(total)
    page = sections.map_totals(low, high)
    bench = tuple(float(x) for x in default_totals(total))
    assert page == pytest.approx(bench, rel=1e-12), f"the page maps {page}, the bench {bench}"
    assert sections.map_runs(sc.simulation.runs) == 1000, "the bench's map runs 1,000 futures per cell"


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (200_000.0, (50_000.0, 400_000.0, 10_000.0)),
        (123_456.0, (30_000.0, 250_000.0, 10_000.0)),  # 0.25 x 123,456 = 30,864 rounds to 30,000
        (5.0, (1.0, 10.0, 1.0)),  # the step is at least 1
    ],
)
def test_map_range_rounds_its_ends_to_the_inputs_step(total, expected):
    assert sections.map_range(total) == expected, f"range offered for a total of {total:,.0f}"


def test_map_totals_are_evenly_spaced_and_include_both_ends():
    totals = sections.map_totals(50_000.0, 400_000.0)
    assert len(totals) == sections.MAP_TOTALS, f"{len(totals)} totals"
    assert totals[0] == 50_000.0 and totals[-1] == 400_000.0, f"ends {totals[0]}, {totals[-1]}"
    assert np.allclose(np.diff(totals), 35_000.0), f"steps {np.diff(totals)}"


def test_map_runs_are_capped():
    assert sections.map_runs(200) == 200, "fewer futures than the cap are kept"
    assert sections.map_runs(5000) == sections.MAP_RUNS, "more futures than the cap are capped"
