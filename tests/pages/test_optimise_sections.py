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


def test_finished_results_are_computed_once_and_each_caller_gets_its_own_copy():
    import threading
    import time

    from ui.shared.cache import FinishedResults

    kept = FinishedResults(max_entries=2)
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.05)
        return {"rows": [1, 2, 3]}

    got = []
    threads = [threading.Thread(target=lambda: got.append(kept.get(("a",), compute))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1, f"six sessions asking at once computed it {len(calls)} times"
    assert all(g == {"rows": [1, 2, 3]} for g in got), f"every caller gets the result: {got}"
    got[0]["rows"].clear()
    assert kept.get(("a",), compute) == {"rows": [1, 2, 3]}, "a caller's change must not reach the next caller"
    kept.get(("b",), compute)
    kept.get(("c",), compute)
    kept.get(("a",), compute)
    assert len(calls) == 4, "the least recently used result is dropped beyond max_entries"
