"""Uncertain assumptions: a number in a scenario may be a distribution.

A distribution is written as one of

* ``{low, high}``: uniform;
* ``{low, mode, high}``: triangular;
* ``{mean, sd}``: normal, clipped to the field's valid range.

Each Monte Carlo run draws its own value once. Draws go through the inverse
cumulative distribution function of one uniform per run, and every field has
its own random stream keyed by its path in the scenario, so two scenarios that
share an assumption draw exactly the same values for it (common random numbers),
whatever else differs between them.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator
from scipy.special import ndtri

_KINDS = {
    frozenset({"low", "high"}): "uniform",
    frozenset({"low", "mode", "high"}): "triangular",
    frozenset({"mean", "sd"}): "normal",
}
DISTRIBUTION_FORMS = "{low, high} (uniform), {low, mode, high} (triangular) or {mean, sd} (normal)"


class Distribution(BaseModel):
    """A distribution over one scenario number (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_form(cls, data):
        if isinstance(data, dict):
            keys = frozenset(data)
            if keys not in _KINDS:
                shown = ", ".join(sorted(str(k)[:20] for k in keys)[:6])
                raise ValueError(f"a distribution is {DISTRIBUTION_FORMS}; got keys {{{shown}}}")
            for key, value in data.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(
                        f"{key} must be a number; got {type(value).__name__ if value is not None else 'null'}"
                    )
                try:
                    finite = math.isfinite(float(value))
                except OverflowError:
                    finite = False
                if not finite:
                    raise ValueError(f"{key} must be a finite number")
        return data

    @model_validator(mode="after")
    def _consistent(self):
        if self.kind == "normal":
            if self.sd < 0:
                raise ValueError("sd must be 0 or more")
        elif self.kind == "triangular":
            if not self.low <= self.mode <= self.high:
                raise ValueError("needs low <= mode <= high")
        elif self.low > self.high:
            raise ValueError("needs low <= high")
        return self

    @property
    def kind(self) -> str:
        if self.mean is not None:
            return "normal"
        return "triangular" if self.mode is not None else "uniform"

    @property
    def expected(self) -> float:
        """Mean of the distribution, before any clipping."""
        if self.kind == "normal":
            return self.mean
        if self.kind == "triangular":
            return (self.low + self.mode + self.high) / 3
        return (self.low + self.high) / 2

    def ppf(self, u: np.ndarray, lo: float = -np.inf, hi: float = np.inf) -> np.ndarray:
        """Quantile function at probabilities ``u``, clipped to ``[lo, hi]``."""
        u = np.asarray(u, dtype=float)
        if self.kind == "uniform":
            x = self.low + u * (self.high - self.low)
        elif self.kind == "triangular":
            a, c, b = self.low, self.mode, self.high
            if b == a:
                x = np.full_like(u, a)
            else:
                fc = (c - a) / (b - a)
                left = a + np.sqrt(u * (b - a) * (c - a))
                right = b - np.sqrt((1 - u) * (b - a) * (b - c))
                x = np.where(u < fc, left, right)
        else:
            x = self.mean + self.sd * ndtri(np.clip(u, 1e-12, 1 - 1e-12))
        return np.clip(x, lo, hi)

    def as_dict(self) -> dict[str, float]:
        return self.model_dump(exclude_none=True)


def central(value: float | Distribution) -> float:
    """The central value of a scenario number: itself, or its distribution's mean."""
    return value.expected if isinstance(value, Distribution) else float(value)


def quantile(value: float | Distribution, q: float, lo: float = -np.inf, hi: float = np.inf) -> float:
    """The ``q`` quantile of a scenario number (a plain number is its own quantile)."""
    if isinstance(value, Distribution):
        return float(value.ppf(np.array([q]), lo, hi)[0])
    return float(value)


@dataclass(frozen=True)
class Bounds:
    """Valid range of a scenario number, used for validation, clipping and widgets."""

    lo: float = -np.inf
    hi: float = np.inf
    lo_open: bool = False
    hi_open: bool = False

    def contains(self, x: float) -> bool:
        above = x > self.lo if self.lo_open else x >= self.lo
        below = x < self.hi if self.hi_open else x <= self.hi
        return bool(above and below)

    def describe(self) -> str:
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        lo = "-inf" if np.isinf(self.lo) else f"{self.lo:g}"
        hi = "inf" if np.isinf(self.hi) else f"{self.hi:g}"
        if np.isinf(self.hi):
            return f"{'greater than' if self.lo_open else 'at least'} {lo}"
        return f"in {left}{lo}, {hi}{right}"

    def clip_range(self) -> tuple[float, float]:
        """Closed interval strictly inside the bounds, for clipping normal draws."""
        eps = 1e-9
        lo = self.lo + (eps if self.lo_open else 0.0)
        hi = self.hi - (eps if self.hi_open else 0.0)
        return lo, hi


def uniforms(seed: int, path: str, runs: int) -> np.ndarray:
    """One uniform per run from the stream that belongs to the field at ``path``."""
    key = zlib.crc32(path.encode("utf-8"))
    ss = np.random.SeedSequence(seed, spawn_key=(0, key))
    return np.random.default_rng(ss).random(runs)


def draw(value: float | Distribution, bounds: Bounds, seed: int, path: str, runs: int) -> np.ndarray:
    """Values of a scenario number for each run: constant, or drawn from its distribution."""
    if not isinstance(value, Distribution):
        return np.full(runs, float(value))
    lo, hi = bounds.clip_range()
    return value.ppf(uniforms(seed, path, runs), lo, hi)
