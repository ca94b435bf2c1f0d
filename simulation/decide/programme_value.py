"""What each programme is worth to a plan: the plan with it against the plan without it.

A programme's marginal contribution is, run by run, a figure of the plan (operating NPV by
default) less the same figure with that one programme switched off, on the same assumption draws
and random streams (common random numbers): what the plan loses without it. The plan's other
programmes stay as they are. A programme *pays* when the plan does better with it in more than
half of the futures and on average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engines.runner import runs_and_seed, shared_draws, simulate
from ..errors import InputError
from ..model import limits
from ..model.figures import FIGURES
from ..model.programmes import running_programmes
from ..model.scenario import Budget, Scenario

FIGURE = "operating_npv"


@dataclass(frozen=True)
class ProgrammeValue:
    """One programme's marginal contribution: ``mean``, ``p5``, ``p50``, ``p95`` of the per-run
    difference in ``figure`` (plan with it minus plan without it), ``share_positive`` the share of
    futures in which it is above zero (of ``runs``), ``cost`` the mean discounted cost of the programme itself."""

    name: str
    covers: str
    figure: str
    mean: float
    p5: float
    p50: float
    p95: float
    share_positive: float
    cost: float
    runs: int

    @property
    def pays(self) -> bool:
        """Better with it on average and in more than half of the futures."""
        return self.mean > 0 and self.share_positive > 0.5

    def to_dict(self) -> dict:
        return {**{k: getattr(self, k) for k in self.__dataclass_fields__}, "pays": self.pays}


def without(scenario: Scenario, name: str) -> Scenario:
    """``scenario`` with the programme ``name`` switched off."""
    return without_all(scenario, [name])


def without_all(scenario: Scenario, names=None) -> Scenario:
    """``scenario`` with the programmes ``names`` (every one, by default) switched off."""
    programmes = [p.model_dump() for p in scenario.programmes or []]
    for p in programmes:
        if names is None or p["name"] in names:
            p["enabled"] = False
    return scenario.replace(programmes=programmes)


def _covers(programme) -> str:
    return programme.covers if isinstance(programme.covers, str) else ", ".join(programme.covers)


def programme_values(
    scenario: Scenario,
    budget: Budget | None = None,
    *,
    figure: str = FIGURE,
    runs: int | None = None,
    seed: int | None = None,
) -> list[ProgrammeValue]:
    """The marginal contribution of each running programme of ``scenario`` under ``budget`` (default: its own)."""
    if figure not in FIGURES:
        raise InputError(f"--figure must be one of {', '.join(FIGURES)}; got {figure!r}")
    running = running_programmes(scenario)
    budget = scenario.budget if budget is None else budget
    runs, seed = runs_and_seed(scenario, runs, seed)
    limits.check_request(scenario, runs, len(running) + 1, "the programmes' marginal contributions", "the runs")
    if not running:
        return []
    draws = shared_draws(scenario, runs, seed)
    plan = simulate(scenario, budget, runs=runs, seed=seed, assumptions=draws)
    with_all = np.asarray(plan.figure(figure), dtype=float)
    out = []
    for i, programme in enumerate(running):
        other = simulate(without(scenario, programme.name), budget, runs=runs, seed=seed, assumptions=draws)
        gain = with_all - np.asarray(other.figure(figure), dtype=float)
        own_cost = _own_cost(plan, other, scenario, i)
        p5, p50, p95 = (float(x) for x in np.nanpercentile(gain, (5, 50, 95)))
        out.append(
            ProgrammeValue(
                name=programme.name,
                covers=_covers(programme),
                figure=figure,
                mean=float(np.nanmean(gain)),
                p5=p5,
                p50=p50,
                p95=p95,
                share_positive=float(np.mean(gain > 0)),
                cost=own_cost,
                runs=runs,
            )
        )
    return out


def _own_cost(plan, other, scenario: Scenario, index: int) -> float:
    """The mean discounted cost of programme ``index``: the plan's programme costs less the costs without it
    (exact when the programme leaves the others' covered customers unchanged; otherwise it includes what its
    effect does to their costs)."""
    difference = plan.paths["programme_costs"] - other.paths["programme_costs"]
    return float((difference * plan.discount_factors).sum(1).mean())


def values_frame(values: list[ProgrammeValue]):
    """The values as a table, one row per programme (for CSV)."""
    import pandas as pd

    columns = [*ProgrammeValue.__dataclass_fields__, "pays"]
    return pd.DataFrame([v.to_dict() for v in values], columns=columns)
