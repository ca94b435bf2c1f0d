"""The Optimise page's files: the scenario at the best split beside its status quo."""

from __future__ import annotations

from collections.abc import Callable

from simulation import Scenario, compare
from simulation.io.exports import per_run_csv
from ui.optimise import report
from ui.shared import cache, workbook
from ui.shared.downloads import page_downloads
from ui.shared.widgets import slug


def optimise_files(scenario: Scenario, split, tornado=None) -> dict[str, Callable[..., bytes | str]]:
    """Callables building the Optimise page's files: the scenario at the best split, beside its status quo."""
    best = scenario.with_budget(split.best_budget).replace(simulation={"runs": split.runs, "seed": split.seed})
    cache.check_size(best, split.runs)

    def run():
        c = compare(best)
        return c.plan, None if c.identical else c.baseline

    return {
        "pdf": lambda paper="a4": report.optimise_report(scenario, split, *run(), tornado, paper=paper),
        "xlsx": lambda: workbook.plan_workbook(best, *run(), split=split),
        "csv": lambda: per_run_csv(*run()),
    }


def optimise_downloads(scenario: Scenario, split, tornado=None, key: str = "opt_kit") -> None:
    """The Optimise page's report, workbook and per-run downloads."""
    page_downloads(lambda: optimise_files(scenario, split, tornado), f"{slug(scenario.name)}-best-split", key)
