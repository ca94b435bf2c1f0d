"""Goal seeking: what it takes to reach a target with a stated confidence.

The question backwards: which total budget, churn change, price change or programme effect brings a figure (NPV,
operating NPV, revenue in the last period, customers at the horizon) to at least a level in a
stated share of the simulated futures? The level reached with confidence ``c`` at a setting is
the ``1 - c`` quantile of the figure across futures; the answer is where that crosses the level.

Every setting runs on the same futures: a budget changes only the budget, on the scenario's own
draws; a churn or price change scales every segment's value and both ends of its range, and the
scaled draws come from the same random streams (each field has its own), so the futures are the
same ones, scaled. A programme's effect (its churn multiplier, scaled the same way) changes only that
programme, on the scenario's own draws. The crossing nearest the scenario's own setting (for a
budget: the smallest budget that reaches the level) is bracketed on a grid of the setting's range,
whose points are simulated as the search reaches them (a budget from zero up, a change from today's
setting outwards), and found by regula falsi to the currency's unit (a budget) or a tenth of a
percentage point (a change). The range is the same crossing for the confidence plus and minus two
standard errors of a share of futures. Each setting is simulated once: every simulation gives the
figure in every future, so the range's crossings start from the brackets the answer's search left.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engines.runner import runs_and_seed, simulate
from ..errors import InputError
from ..model import edits, limits
from ..model.assumptions import Assumptions, draw_assumptions
from ..model.distributions import central
from ..model.figures import FIGURES
from ..model.programmes import MAX_MULTIPLIER, running_programmes
from ..model.scenario import Scenario, Segment, bounds_of

TARGETS = ("npv", "operating_npv", "revenue_final", "active_customers_final")
SOLVES = ("total_budget", "churn_change", "price_change")
PROGRAMME_EFFECT = "programme_effect"  # needs the programme's name
ALL_SOLVES = (*SOLVES, PROGRAMME_EFFECT)
PROGRAMME_RANGE = (0.01, 2.0)  # the churn multiplier searched, within the field's bounds
CONFIDENCES = (0.5, 0.8, 0.9)
GRID = 9
BUDGET_RANGE = 10.0  # up to this many times today's core budget (or the status quo's when it has none)
CHANGE_TOLERANCE = 0.001  # a tenth of a percentage point
PRICE_RANGE = (0.1, 10.0)  # revenue per customer from a tenth to ten times today's
MIN_CHURN_FACTOR = 0.01
MAX_EVALUATIONS = GRID + 3 * 40


@dataclass(frozen=True)
class SeekResult:
    """The setting that reaches ``level`` of ``target`` in ``confidence`` of the futures.

    ``value`` is a core budget per period (``total_budget``) or a relative change (``-0.2``: churn
    20 % lower; ``0.05``: prices 5 % higher; for ``programme_effect`` the programme's churn multiplier
    less 1, ``-0.25`` for a programme that cuts its customers' churn by a quarter); ``low`` and ``high``
    are the same answer for the confidence give or take two standard errors of a share of futures (None
    when one cannot be reached). When the level cannot be reached in the searched range, ``reachable`` is False,
    ``value`` is the setting with the highest level reached with that confidence and ``best_level``
    that level.
    """

    target: str
    level: float
    confidence: float
    solve: str
    value: float
    low: float | None
    high: float | None
    reachable: bool
    best_level: float
    current: float
    runs: int
    seed: int
    programme: str | None = None  # the programme whose effect was solved for

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def check(target: str, level: float, confidence: float, solve: str) -> None:
    """Refuse a question the seeker cannot answer, naming the option and what is allowed."""
    if target not in TARGETS:
        raise InputError(f"--target must be one of {', '.join(TARGETS)}; got {target!r}")
    if solve not in ALL_SOLVES:
        raise InputError(f"--solve must be one of {', '.join(ALL_SOLVES)}; got {solve!r}")
    if not math.isfinite(level):
        raise InputError(f"--level must be a finite number; got {level!r}")
    if not 0.05 <= confidence <= 0.95:
        raise InputError(f"--confidence must be between 0.05 and 0.95 (a share of futures); got {confidence!r}")


class _Setting:
    """One kind of setting: its range, today's value, and the scenario at a value."""

    def __init__(self, scenario: Scenario, solve: str, programme: str | None = None):
        self.scenario, self.solve, self.programme = scenario, solve, programme
        if solve == PROGRAMME_EFFECT:
            names = [p.name for p in running_programmes(scenario)]
            if programme not in names:
                shown = "; ".join(f'"{n}"' for n in names) if names else "none runs in this scenario"
                raise InputError(f"--programme: name a programme that runs ({shown}); got {programme!r}")
            multiplier = next(p for p in scenario.programmes if p.name == programme).churn_multiplier
            self.centre = central(multiplier)
            top = _top(multiplier) / self.centre if self.centre > 0 else 1.0
            self.current = self.centre - 1
            self.low = PROGRAMME_RANGE[0] - 1
            self.high = min(PROGRAMME_RANGE[1], MAX_MULTIPLIER / top) - 1
            self.tolerance = CHANGE_TOLERANCE
        elif solve == "total_budget":
            today = scenario.budget.core or scenario.baseline.core
            if today <= 0:
                raise InputError("--solve total_budget: the scenario has no acquisition or retention budget to scale")
            share = scenario.budget.acquisition_share
            self.share = edits.EVEN_SPLIT if share is None else share
            self.current, self.low, self.high = scenario.budget.core, 0.0, today * BUDGET_RANGE
            self.tolerance = 1.0
        elif solve == "churn_change":
            hi = bounds_of(Segment, "churn").hi
            tops = [_top(s.churn) for s in scenario.segments if _top(s.churn) > 0]
            if not tops:
                raise InputError("--solve churn_change: the scenario has no churn to change")
            self.current, self.low, self.high = 0.0, MIN_CHURN_FACTOR - 1, 0.999 * hi / max(tops) - 1
            self.tolerance = CHANGE_TOLERANCE
        else:
            self.current, self.low, self.high = 0.0, PRICE_RANGE[0] - 1, PRICE_RANGE[1] - 1
            self.tolerance = CHANGE_TOLERANCE

    def scenario_at(self, x: float) -> Scenario:
        s = self.scenario
        if self.solve == "total_budget":
            return s.with_budget(s.budget.with_split(x + s.budget.fixed, self.share))
        if self.solve == PROGRAMME_EFFECT:
            return _with_effect(s, self.programme, (1 + x) / self.centre if self.centre > 0 else None, 1 + x)
        field = "churn" if self.solve == "churn_change" else "revenue_per_customer"
        return edits.with_segment_average(s, field, edits.segment_average(s, field) * (1 + x))


def _with_effect(scenario: Scenario, name: str, scale: float | None, plain: float) -> Scenario:
    """``scenario`` with programme ``name``'s churn multiplier scaled by ``scale`` (a range keeps its shape),
    or set to ``plain`` when there is nothing to scale."""
    programmes = [p.model_dump() for p in scenario.programmes]
    for p in programmes:
        if p["name"] == name:
            value = p["churn_multiplier"]
            if isinstance(value, dict) and scale is not None:
                p["churn_multiplier"] = {k: v * scale for k, v in value.items()}
            else:
                p["churn_multiplier"] = plain
    return scenario.replace(programmes=programmes)


def _top(value) -> float:
    return max(value.as_dict().values()) if hasattr(value, "as_dict") else float(value)


class _Futures:
    """The target figure in every future at each setting tried; each setting is simulated once.

    A budget or a programme's effect leaves every drawn assumption as it is: one set of draws
    serves every setting. A churn or price change scales the assumptions, which are drawn again
    from the same streams; a price change leaves the churn draws as they are, so the latent churn
    classes and what is computed from them alone are the first setting's, not computed again.
    """

    def __init__(self, setting: _Setting, target: str, runs: int, seed: int):
        self.setting, self.target, self.runs, self.seed = setting, target, runs, seed
        same = setting.solve in ("total_budget", PROGRAMME_EFFECT)
        self.kept = draw_assumptions(setting.scenario, runs, seed) if same else None
        self.first: Assumptions | None = None
        self.values: dict[float, np.ndarray] = {}

    def _draws(self, moved: Scenario) -> Assumptions:
        if self.kept is not None:
            return self.kept
        drawn = draw_assumptions(moved, self.runs, self.seed)
        if self.first is None:
            self.first = drawn
            return drawn
        return drawn.with_churn_work_of(self.first)

    def at(self, x: float) -> np.ndarray:
        """The target's finite values across the futures at setting ``x`` (to nine decimals)."""
        key = round(float(x), 9)
        if key not in self.values:
            moved = self.setting.scenario_at(key)
            # no figure sought reads the count of saved customers, the value left at the horizon or the
            # no-marketing counterfactual: they are not computed, and the rest is the same to the last digit
            drawn = self._draws(moved)
            options = {"count_saved": False, "value_left": False}
            result = simulate(moved, moved.budget, runs=self.runs, seed=self.seed, assumptions=drawn, **options)
            v = np.asarray(result.figure(self.target), dtype=float)
            self.values[key] = v[np.isfinite(v)]
        return self.values[key]

    def reached(self, x: float, confidence: float) -> float:
        """The level the target reaches at ``x`` in ``confidence`` of the futures: their ``1 - confidence`` quantile."""
        v = self.at(x)
        return float(np.quantile(v, 1 - confidence)) if v.size else -math.inf

    @property
    def tried(self) -> list[float]:
        return list(self.values)


def seek(
    scenario: Scenario,
    target: str,
    level: float,
    confidence: float = 0.8,
    solve: str = "total_budget",
    *,
    runs: int | None = None,
    seed: int | None = None,
    programme: str | None = None,
) -> SeekResult:
    """The setting of ``solve`` at which ``target`` reaches ``level`` in ``confidence`` of the futures
    (``programme`` names the programme whose effect is solved for)."""
    check(target, level, confidence, solve)
    runs, seed = runs_and_seed(scenario, runs, seed)
    limits.check_request(scenario, runs, MAX_EVALUATIONS, "the goal seek", "the runs")
    setting = _Setting(scenario, solve, programme)
    futures = _Futures(setting, target, runs, seed)
    grid = list(np.linspace(setting.low, setting.high, GRID))
    if setting.low <= setting.current <= setting.high:
        grid.append(setting.current)
    grid = sorted(set(grid))
    se = math.sqrt(confidence * (1 - confidence) / runs)
    name = programme if solve == PROGRAMME_EFFECT else None
    value = _crossing(grid, lambda x: futures.reached(x, confidence), level, setting, futures)
    if value is None:  # no setting on the grid reaches it: every one was tried
        best = max(grid, key=lambda x: futures.reached(x, confidence))
        best_level = futures.reached(best, confidence)
        return SeekResult(
            target, level, confidence, solve, float(best), None, None, False, best_level, float(setting.current),
            runs, seed, name,
        )  # fmt: skip
    ends = []
    for c in (min(confidence + 2 * se, 0.999), max(confidence - 2 * se, 0.001)):
        # the range's ends only need the precision of the noise they measure
        tolerance = (setting.high - setting.low) / 1000
        end = _crossing(grid, lambda x, c=c: futures.reached(x, c), level, setting, futures, tolerance)
        if end is not None:
            ends.append(end)
    low, high = (min(ends), max(ends)) if len(ends) == 2 else (None, None)
    return SeekResult(
        target, level, confidence, solve, float(value), low, high, True, futures.reached(value, confidence),
        float(setting.current), runs, seed, name,
    )  # fmt: skip


def _search_order(grid: list[float], setting: _Setting) -> list[float]:
    """The grid in the order a reaching setting is looked for: a budget from the smallest up, a change
    from today's setting outwards (of two as near, the lower first)."""
    if setting.solve == "total_budget":
        return list(grid)
    return sorted(grid, key=lambda x: abs(x - setting.current))


def _crossing(
    grid: list[float],
    g: Callable[[float], float],
    level: float,
    setting: _Setting,
    futures: _Futures,
    tolerance: float | None = None,
) -> float | None:
    """Where ``g`` (the level reached) crosses ``level``: for a budget the smallest setting that reaches it,
    for a change the crossing nearest today's setting; None when no grid point reaches it.

    Grid points are simulated only as the search reaches them (a budget from the smallest up, a
    change from today's setting outwards), so the bracket is the one a scan of the whole grid gives.
    Inside it, the settings already tried (for another share of futures) narrow it first.
    """
    start = next((x for x in _search_order(grid, setting) if g(x) >= level), None)
    if start is None:
        return None
    if start == setting.current and setting.solve != "total_budget":
        return float(start)
    # the nearest grid point on the other side that does not reach the level, towards today's setting
    # (for a budget: towards zero)
    toward = setting.low if setting.solve == "total_budget" else setting.current
    side = [x for x in grid if (x < start if toward < start else x > start)]
    outside = next((x for x in sorted(side, key=lambda x: abs(x - start)) if g(x) < level), None)
    if outside is None:
        return float(start)
    inside, outside = _narrowed(futures.tried, g, level, start, outside)
    return _illinois(g, level, inside, outside, setting.tolerance if tolerance is None else tolerance)


def _narrowed(
    tried: list[float], g: Callable[[float], float], level: float, inside: float, outside: float
) -> tuple[float, float]:
    """The narrowest bracket within (``outside``, ``inside``) the settings already tried give: walking from
    ``outside`` (today's side), the first tried setting that reaches the level and the one before it."""
    lo, hi = min(inside, outside), max(inside, outside)
    between = sorted((x for x in tried if lo < x < hi), key=lambda x: abs(x - outside))
    last = outside
    for x in between:
        if g(x) >= level:
            return x, last
        last = x
    return inside, last


def _illinois(g: Callable[[float], float], level: float, inside: float, outside: float, tolerance: float) -> float:
    """The crossing of ``g`` and ``level`` between a setting that reaches it and one that does not.

    Regula falsi with the Illinois rule (an end kept twice has its gap halved), so both ends close
    in and a smooth crossing takes a handful of simulations. Returns the end that reaches the level.
    """
    f_in, f_out = g(inside) - level, g(outside) - level
    kept = None
    while abs(inside - outside) > tolerance:
        x = inside - f_in * (outside - inside) / (f_out - f_in) if f_out != f_in else (inside + outside) / 2
        if not min(inside, outside) < x < max(inside, outside):
            x = (inside + outside) / 2
        f = g(x) - level
        if f >= 0:
            inside, f_in = x, f
            if kept == "inside":
                f_out /= 2
            kept = "inside"
        else:
            outside, f_out = x, f
            if kept == "outside":
                f_in /= 2
            kept = "outside"
    return float(inside)


def target_label(target: str, scenario: Scenario) -> str:
    """The target's name for ``scenario``, from the figure registry."""
    return FIGURES[target].label_for(scenario)
