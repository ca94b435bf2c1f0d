"""What every lesson is made of: controls, a prediction, a computed outcome and an exercise.

A lesson is model code: it builds a scenario from a few plain parameters, runs the
simulator on it and returns the numbers and small frames that the page shows. Nothing
a lesson says about the result is written by hand: every number comes from a run.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model.scenario import Scenario


@dataclass(frozen=True)
class Control:
    """A number the learner sets: its key, label, valid range, default and step.

    ``unit`` is how it is written: ``count``, ``share`` (0-1, shown as a percentage),
    ``money``, ``multiple``, ``ratio``, or ``choice`` (an index into ``options``).
    """

    key: str
    label: str
    low: float
    high: float
    default: float
    step: float
    unit: str
    help: str = ""
    options: tuple[str, ...] = ()

    def check(self, value) -> float:
        """``value`` as a float inside the range, or :class:`InputError` naming the control."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError(f"{self.key}: must be a number from {self.low:g} to {self.high:g}; got {value!r}")
        if not self.low <= value <= self.high:
            raise InputError(f"{self.key}: must be from {self.low:g} to {self.high:g}; got {value:g}")
        if self.unit == "choice" and value != int(value):
            raise InputError(f"{self.key}: must be the number of one of the {len(self.options)} options; got {value:g}")
        return float(value)


@dataclass(frozen=True)
class Exercise:
    """An exercise with a checkable answer: anything in ``[low, high]`` counts as right."""

    answer: float
    low: float
    high: float
    unit: str
    inputs: dict = field(default_factory=dict)

    def check(self, value: float) -> bool:
        """Whether ``value`` is accepted (a number inside the accepted range)."""
        return isinstance(value, int | float) and math.isfinite(value) and self.low <= value <= self.high


@dataclass(frozen=True)
class Outcome:
    """A lesson's experiment at one setting of its controls.

    ``answer`` is the quantity the prediction asks for, at this setting; ``figures``
    holds every number the explanation quotes; ``frames`` the small tables its charts
    draw (aggregated, never raw runs).
    """

    params: dict
    answer: float
    figures: dict
    frames: dict[str, pd.DataFrame]
    runs: int
    seed: int


class Lesson:
    """Base of the lessons: the parameters, the scenario and the run.

    Subclasses set the class attributes and implement :meth:`scenario`, :meth:`run` and
    :meth:`exercise`.
    """

    key: str = ""
    number: int = 0
    title: str = ""
    controls: tuple[Control, ...] = ()
    prediction_unit: str = "count"
    prediction_range: tuple[float, float] = (0.0, 1e9)
    prediction_options: tuple[str, ...] = ()  # for a prediction that is a choice (its index is stored)
    runs: int = 200
    seed: int = 2024
    # A class works on its own numbers: its starting setting is drawn, on each control's step grid,
    # from these ranges (control key -> (low, high)), where the lesson's conclusion holds throughout.
    class_ranges: Mapping[str, tuple[float, float]] = MappingProxyType({})
    # and its own exercise: these inputs of the exercise (name -> (low, high, step)) are drawn from
    # the class's seed too, far enough from the exercise on its own that neither answer counts for the other
    exercise_ranges: Mapping[str, tuple[float, float, float]] = MappingProxyType({})

    def defaults(self) -> dict:
        return {c.key: c.default for c in self.controls}

    def class_grid(self, key: str) -> np.ndarray:
        """The settings a class may start from on control ``key``: its steps within :attr:`class_ranges`."""
        control = next(c for c in self.controls if c.key == key)
        low, high = self.class_ranges[key]
        steps = round((high - low) / control.step)
        return np.round(low + control.step * np.arange(steps + 1), 10)

    def class_start(self, seed: int) -> dict:
        """The starting setting of the class whose seed is ``seed``: each control of :attr:`class_ranges`
        drawn on its grid, never the setting of the lesson on its own (whose answer anyone can see).

        Deterministic in ``seed`` and the lesson (one stream per lesson), so every session of a class
        shows the same numbers.
        """
        solo = self.defaults()
        keys = sorted(self.class_ranges)
        settings = [
            combo
            for combo in itertools.product(*(self.class_grid(k) for k in keys))
            if not all(math.isclose(v, solo[k]) for k, v in zip(keys, combo, strict=True))
        ]
        if not settings:
            return self.params()
        chosen = settings[int(np.random.default_rng([int(seed), self.number]).integers(len(settings)))]
        draw = {k: float(v) for k, v in zip(keys, chosen, strict=True)}
        return self.params(draw)

    def class_exercise_inputs(self, seed: int) -> dict:
        """The exercise inputs of the class whose seed is ``seed`` (a stream of its own, apart from the start's)."""
        rng = np.random.default_rng([int(seed), self.number, 1])
        out = {}
        for key in sorted(self.exercise_ranges):
            low, high, step = self.exercise_ranges[key]
            out[key] = float(rng.choice(np.round(low + step * np.arange(round((high - low) / step) + 1), 10)))
        return out

    def exercise_inputs(self, inputs: dict | None, defaults: dict) -> dict:
        """``defaults`` updated with ``inputs``; an input the lesson does not vary is an error naming it."""
        unknown = set(inputs or {}) - set(self.exercise_ranges)
        if unknown:
            raise InputError(f"{sorted(unknown)[0]}: not an exercise input of this lesson")
        return defaults | {k: float(v) for k, v in (inputs or {}).items()}

    def params(self, given: dict | None = None) -> dict:
        """The defaults updated with ``given``, every value checked; unknown keys are an error."""
        out = self.defaults()
        known = {c.key: c for c in self.controls}
        for key, value in (given or {}).items():
            if key not in known:
                raise InputError(f"{key}: not a control of this lesson; controls are {', '.join(known)}")
            out[key] = known[key].check(value)
        return out

    @staticmethod
    def params_key(params: dict) -> str:
        """Plain text of the parameters, for caches."""
        return json.dumps(params, sort_keys=True)

    def scenario(self, params: dict | None = None) -> Scenario:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, params: dict | None = None, runs: int | None = None, seed: int | None = None) -> Outcome:
        raise NotImplementedError  # pragma: no cover - abstract

    def exercise(self, runs: int | None = None, seed: int | None = None, inputs: dict | None = None) -> Exercise:
        raise NotImplementedError  # pragma: no cover - abstract

    def _runs_seed(self, runs, seed) -> tuple[int, int]:
        return (self.runs if runs is None else int(runs)), (self.seed if seed is None else int(seed))
