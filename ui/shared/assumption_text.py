"""How the cost of winning a customer against keeping one is stated, the same on every page and file.

The Plan page's slider, its caption, the PDF reports, the Compare page's inputs and the
workbooks all name one value and say which it is: the most likely value of a triangular
range, the midpoint of a uniform one, the mean of a normal one, or the number itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation import Scenario
from simulation.model.distributions import Distribution
from simulation.model.edits import cost_multiplier


@dataclass(frozen=True)
class StatedMultiplier:
    """The multiple a scenario states: ``value`` and ``which`` it is; ``low``/``high`` its range (or None)."""

    value: float
    which: str
    low: float | None = None
    high: float | None = None


def stated_multiplier(s: Scenario) -> StatedMultiplier:
    """The cost multiple as ``s`` states it (a CAC given in money: the mean CAC over the mean save cost)."""
    param = s.acquisition.cost_multiplier if s.acquisition.cost_per_customer is None else None
    if param is None:
        which = "mean" if s.acquisition.cost_per_customer is not None else "as stated"
        return StatedMultiplier(cost_multiplier(s), which)
    if not isinstance(param, Distribution):
        return StatedMultiplier(float(param), "as stated")
    if param.kind == "triangular":
        return StatedMultiplier(float(param.mode), "mode", float(param.low), float(param.high))
    if param.kind == "uniform":
        return StatedMultiplier((param.low + param.high) / 2, "midpoint", float(param.low), float(param.high))
    return StatedMultiplier(float(param.mean), "mean")


def _x(v: float) -> str:
    return f"{round(v, 1):g}"


def multiplier_text(s: Scenario) -> str:
    """The multiple in words: ``most likely 7×, range 5–12×``, ``8× (midpoint of 5–11×)``, ``8× on average``."""
    m = stated_multiplier(s)
    if m.which == "mode":
        return f"most likely {_x(m.value)}×, range {_x(m.low)}–{_x(m.high)}×"
    if m.which == "midpoint":
        return f"{_x(m.value)}× (midpoint of {_x(m.low)}–{_x(m.high)}×)"
    if m.which == "mean":
        return f"{_x(m.value)}× on average"
    return f"{_x(m.value)}×"
