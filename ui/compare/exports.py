"""The Compare page's files: report, workbook and per-run data, each scenario on its own runs and seed
(as on its Plan page); the report's "ahead" sentence and the per-run data on common futures (every scenario on
the same runs and seed, so run k is the same future for all)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from simulation import Scenario, simulate
from simulation.io.cells import to_csv
from simulation.io.exports import per_run_frame
from ui.compare import report, workbook
from ui.shared import cache
from ui.shared.downloads import page_downloads


def compare_files(scenarios: Mapping[str, Scenario], runs: int, seed: int) -> dict[str, Callable[..., bytes | str]]:
    """Callables building the Compare page's files: each scenario on its own runs and seed; ``runs`` and
    ``seed`` are the common futures the report counts who comes out ahead on."""
    for s in scenarios.values():
        cache.check_size(s, max(runs, s.simulation.runs))

    def run():
        return {name: simulate(s) for name, s in scenarios.items()}

    def common():
        return {name: simulate(s, runs=runs, seed=seed) for name, s in scenarios.items()}

    def csv() -> str:
        frames = [per_run_frame(r).assign(scenario=name) for name, r in common().items()]
        table = pd.concat(frames, ignore_index=True)
        return to_csv(table[["scenario", *[c for c in table.columns if c != "scenario"]]])

    return {
        "pdf": lambda paper="a4": report.compare_report(scenarios, run(), paper=paper, common=common()),
        "xlsx": lambda: workbook.compare_workbook(scenarios, run()),
        "csv": csv,
    }


def compare_downloads(scenarios: Mapping[str, Scenario], runs: int, seed: int, key: str = "compare_kit") -> None:
    """The Compare page's report, workbook and per-run downloads."""
    page_downloads(lambda: compare_files(scenarios, int(runs), int(seed)), "comparison", key)
