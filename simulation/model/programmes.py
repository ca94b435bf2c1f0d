"""Retention programmes: who they cover, what they cost, what they change, and when.

A scenario may list programmes (``[[programmes]]`` in a scenario file): a loyalty tier, a contact
plan, a service level. Each covers every segment or the segments it names, costs a fixed amount
per period plus an amount per covered customer and/or a share of the covered customers' revenue
(a loyalty discount), and multiplies the covered customers' churn probability and revenue per
period. Its effect starts at ``start`` and grows in equal steps to the full multiplier over
``phase_in`` periods; its costs run in full from ``start``. Several programmes covering one
segment multiply their effects.

A scenario may also change its prices (``[price_change]``: for new customers only, or for everyone
from a start period, with churn responding through an uncertain elasticity) and give its churn and
acquisition a season (``[seasonality]``: a multiplier per month, or per quarter, of the year).

Both engines read the same arrays (:func:`programme_arrays`): each programme's multipliers per
run (drawn on streams of their own, keyed by the programme's name, so adding, removing or
switching off one programme moves no other draw), its ramp per period and its coverage per
segment. A scenario without programmes gives factors of exactly 1 and costs of exactly 0.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, NamedTuple

import numpy as np
from pydantic import Field, field_validator

from .distributions import draw
from .scenario_fields import MAX_UNIT_MONEY, Money, Param, Share, _Frozen, _plain, bounds_of, clip

MAX_PROGRAMMES = 20
MAX_MULTIPLIER = 5.0
MAX_ELASTICITY = 10.0
ALL = "all"
MULTIPLIERS = ("churn_multiplier", "revenue_multiplier")  # a programme's effects, each may be uncertain


class Programme(_Frozen):
    """One programme: coverage, costs, effect and timing."""

    name: Annotated[str, _plain()] = Field(min_length=1, max_length=60)
    covers: str | list[Annotated[str, _plain()]] = Field(
        ALL, description='"all", a segment\'s name, or a list of segment names'
    )
    enabled: bool = Field(True, description="Whether the programme runs; off keeps it in the file")
    fixed_cost: Money = Field(0.0, description="Cost per period, whoever it covers")
    cost_per_customer: Annotated[float, Field(ge=0, le=MAX_UNIT_MONEY, allow_inf_nan=False, strict=True)] = Field(
        0.0, description="Cost per covered customer per period"
    )
    revenue_share: Share = Field(
        0.0, description="Share of the covered customers' revenue the programme costs (a loyalty discount), 0..1"
    )
    churn_multiplier: Param(0, MAX_MULTIPLIER) = Field(
        1.0, description="Multiplies the covered customers' churn probability: 0.8 = a fifth less churn"
    )
    revenue_multiplier: Param(0, MAX_MULTIPLIER) = Field(
        1.0, description="Multiplies the covered customers' revenue per period: 1.05 = 5 % more"
    )
    start: int = Field(1, ge=1, le=600, strict=True, description="First period the programme runs")
    phase_in: int = Field(1, ge=1, le=600, strict=True, description="Periods until the full effect (1 = at once)")

    @field_validator("covers")
    @classmethod
    def _covers(cls, value):
        if isinstance(value, list):
            if not 1 <= len(value) <= 50:
                raise ValueError('must name 1 to 50 segments, or be "all"')
            if any(not 1 <= len(v) <= 60 for v in value):
                raise ValueError("each segment name must have 1 to 60 characters")
        elif not 1 <= len(value) <= 60:
            raise ValueError('must be "all" or a segment name of 1 to 60 characters')
        return value

    def covered(self, names: list[str]) -> list[bool]:
        """Whether the programme covers each of the segments ``names``."""
        if self.covers == ALL:
            return [True] * len(names)
        chosen = {self.covers} if isinstance(self.covers, str) else set(self.covers)
        return [n in chosen for n in names]


class PriceChange(_Frozen):
    """A change of revenue per customer, and how churn answers it."""

    change: Annotated[float, Field(ge=-0.9, le=4.0, allow_inf_nan=False)] = Field(
        description="Relative change of revenue per customer: 0.05 = prices 5 % higher, -0.1 = 10 % lower"
    )
    applies_to: Literal["new", "all"] = Field(
        "all", description='"new": customers who join from period 1 on; "all": every customer from start'
    )
    start: int = Field(1, ge=1, le=600, strict=True, description='First period at the new price ("all" only)')
    churn_elasticity: Param(-MAX_ELASTICITY, MAX_ELASTICITY) = Field(
        0.0, description="Relative change of churn per relative change of price: 1.5 = +10 % price, +15 % churn"
    )


class Seasonality(_Frozen):
    """A multiplier per month (or quarter) of the year on churn and on acquisition, first period first."""

    churn: list[Annotated[float, Field(ge=0, le=MAX_MULTIPLIER, allow_inf_nan=False)]] | None = Field(
        None, description="Churn multiplier per month (12) or quarter (4) of the year"
    )
    acquisition: list[Annotated[float, Field(ge=0, le=MAX_MULTIPLIER, allow_inf_nan=False)]] | None = Field(
        None, description="Acquisition multiplier per month (12) or quarter (4) of the year"
    )
    first: int = Field(1, ge=1, le=12, strict=True, description="Month (or quarter) of the year period 1 falls in")


def programme_problems(data: dict) -> list[tuple[str, str]]:
    """Checks of programmes against the rest of the scenario, on raw data (names, coverage, start)."""
    programmes = data.get("programmes")
    segments = data.get("segments")
    if not isinstance(programmes, list) or not isinstance(segments, list):
        return _price_and_season_problems(data)
    names = {s.get("name") for s in segments if isinstance(s, dict) and isinstance(s.get("name"), str)}
    horizon = data.get("horizon", 60)
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, p in enumerate(programmes):
        if not isinstance(p, dict):
            continue
        name = p.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append((f"programmes[{i}].name", f"programme names must be unique; {clip(name)} repeats"))
            seen.add(name)
        covers = p.get("covers", ALL)
        listed = [covers] if isinstance(covers, str) and covers != ALL else covers if isinstance(covers, list) else []
        unknown = [c for c in listed if isinstance(c, str) and c not in names]
        if unknown:
            shown = ", ".join(clip(str(n)) for n in sorted(names)[:10])
            problems.append(
                (f"programmes[{i}].covers", f'unknown segment {clip(unknown[0])}; use "all" or one of {shown}')
            )
        start = p.get("start", 1)
        if isinstance(horizon, int) and isinstance(start, int) and not isinstance(start, bool) and start > horizon:
            problems.append(
                (f"programmes[{i}].start", f"must be at most the horizon ({horizon}) or the programme never runs")
            )
    return problems + _price_and_season_problems(data)


def _price_and_season_problems(data: dict) -> list[tuple[str, str]]:
    problems = []
    price = data.get("price_change")
    if isinstance(price, dict) and price.get("applies_to") == "new" and price.get("start", 1) != 1:
        problems.append(
            (
                "price_change.start",
                'a price for new customers applies from period 1; use applies_to = "all" to start later',
            )
        )
    season = data.get("seasonality")
    if isinstance(season, dict):
        period = data.get("period", "month")
        size = {"month": 12, "quarter": 4}.get(period)
        for field in ("churn", "acquisition"):
            values = season.get(field)
            if values is None or not isinstance(values, list):
                continue
            if size is None:
                problems.append((f"seasonality.{field}", "a yearly scenario has no seasons; remove [seasonality]"))
            elif len(values) != size:
                problems.append(
                    (
                        f"seasonality.{field}",
                        f"give {size} multipliers, one per {period} of the year; got {len(values)}",
                    )
                )
        first = season.get("first", 1)
        if size is not None and isinstance(first, int) and first > size:
            problems.append(("seasonality.first", f"must be a {period} of the year, 1 to {size}; got {first}"))
    return problems


class ProgrammeArrays(NamedTuple):
    """What the engines read of a scenario's programmes that are switched on (P of them).

    A programme's factor on churn (or revenue) in period t for a covered segment is
    ``1 + ramp[p, t] * (multiplier[p, r] - 1)``; its cost in period t is ``running[p, t]`` times
    ``fixed`` plus ``cost_per_customer`` per covered paying customer plus ``revenue_share`` of the
    covered customers' revenue.
    """

    churn: np.ndarray  # (P, runs) churn multiplier per run
    revenue: np.ndarray  # (P, runs) revenue multiplier per run
    ramp: np.ndarray  # (P, horizon + 1) share of the full effect in each period, 0..1
    running: np.ndarray  # (P, horizon + 1) 1 in the periods the programme runs (and costs), else 0
    cover: np.ndarray  # (P, segments) 1 where the programme covers the segment
    fixed: np.ndarray  # (P,) per period
    cost_per_customer: np.ndarray  # (P,) per covered customer per period
    revenue_share: np.ndarray  # (P,) share of covered revenue
    season_churn: np.ndarray  # (horizon + 1,) the season's factor on every customer's churn
    season_acquisition: np.ndarray  # (horizon + 1,) the season's factor on the new customers expected
    join_price: np.ndarray  # (runs,) factor on the revenue of customers who join (a price for new customers)
    join_churn: np.ndarray  # (runs,) factor on the churn of customers who join (its churn response)


def running_programmes(scenario) -> list[Programme]:
    """The scenario's programmes that are switched on."""
    return [p for p in (scenario.programmes or []) if p.enabled]


def programme_key(scenario) -> str:
    """Text that differs between scenarios whose programmes, price change or seasons differ (for keys of
    cached results); empty for a scenario with none."""
    parts = [p.model_dump() for p in running_programmes(scenario)]
    for extra in (scenario.price_change, scenario.seasonality):
        if extra is not None:
            parts.append(extra.model_dump())
    return json.dumps(parts, sort_keys=True, default=str) if parts else ""


def ramp(start: int, phase_in: int, horizon: int) -> np.ndarray:
    """Share of a programme's full effect in periods 0..horizon: 0 before ``start``, then 1/phase_in, … 1."""
    t = np.arange(horizon + 1, dtype=float)
    return np.where(t >= start, np.minimum((t - start + 1) / phase_in, 1.0), 0.0)


def programme_arrays(scenario, runs: int, seed: int) -> ProgrammeArrays:
    """The arrays of :class:`ProgrammeArrays` for ``scenario``'s running programmes, ``runs`` runs."""
    running: list = running_programmes(scenario)
    H, names = scenario.horizon, [s.name for s in scenario.segments]
    price = scenario.price_change
    join_price, join_churn = np.ones(runs), np.ones(runs)
    if price is not None:
        response = elasticity_draws(price, seed, runs)
        churn_factor = np.clip(1.0 + response * price.change, 0.0, MAX_MULTIPLIER)
        if price.applies_to == "new":
            join_price[:] = 1.0 + price.change
            join_churn = churn_factor
        else:  # everyone, from its start: a programme over every segment that costs nothing
            running = [*running, _PriceEffect(price.start, churn_factor, 1.0 + price.change)]
    P, S = len(running), len(names)
    churn, revenue = np.ones((P, runs)), np.ones((P, runs))
    ramps, on = np.zeros((P, H + 1)), np.zeros((P, H + 1))
    cover = np.zeros((P, S))
    for i, p in enumerate(running):
        if isinstance(p, _PriceEffect):
            churn[i], revenue[i] = p.churn_factor, p.revenue_factor
        else:
            churn[i], revenue[i] = (multiplier_draws(p, field, seed, runs) for field in MULTIPLIERS)
        ramps[i] = ramp(p.start, p.phase_in, H)
        on[i] = (np.arange(H + 1) >= p.start).astype(float)
        cover[i] = p.covered(names)
    return ProgrammeArrays(
        churn=churn,
        revenue=revenue,
        ramp=ramps,
        running=on,
        cover=cover,
        fixed=np.array([p.fixed_cost for p in running], dtype=float),
        cost_per_customer=np.array([p.cost_per_customer for p in running], dtype=float),
        revenue_share=np.array([p.revenue_share for p in running], dtype=float),
        season_churn=_season(scenario, "churn"),
        season_acquisition=_season(scenario, "acquisition"),
        join_price=join_price,
        join_churn=np.ascontiguousarray(join_churn, dtype=float),
    )


def multiplier_draws(programme: Programme, field: str, seed: int, runs: int) -> np.ndarray:
    """A programme's ``churn_multiplier`` or ``revenue_multiplier`` in each of ``runs`` runs, on the
    stream ``programmes.<name>.<field>``."""
    path = f"programmes.{programme.name}.{field}"
    return draw(getattr(programme, field), bounds_of(Programme, field), seed, path, runs)


def elasticity_draws(price: PriceChange, seed: int, runs: int) -> np.ndarray:
    """A price change's churn elasticity in each of ``runs`` runs, on the stream ``price_change.churn_elasticity``."""
    bounds = bounds_of(PriceChange, "churn_elasticity")
    return draw(price.churn_elasticity, bounds, seed, "price_change.churn_elasticity", runs)


class _PriceEffect(NamedTuple):
    """A price change for everyone, as the engines apply it: a programme over every segment at no cost."""

    start: int
    churn_factor: np.ndarray
    revenue_factor: float
    covers: str = ALL
    phase_in: int = 1
    fixed_cost: float = 0.0
    cost_per_customer: float = 0.0
    revenue_share: float = 0.0

    def covered(self, names: list[str]) -> list[bool]:
        return [True] * len(names)


def _season(scenario, field: str) -> np.ndarray:
    """The season's factor in periods 0..horizon (1 at period 0, and everywhere when none is given)."""
    out = np.ones(scenario.horizon + 1)
    season = scenario.seasonality
    values = getattr(season, field) if season is not None else None
    if values:
        t = np.arange(1, scenario.horizon + 1)
        out[1:] = np.asarray(values, dtype=float)[(season.first - 1 + t - 1) % len(values)]
    return out


def scenario_programmes(scenario, assumptions, seed: int) -> ProgrammeArrays:
    """:func:`programme_arrays` for ``scenario`` on ``assumptions``, kept with them for every budget run on them."""
    key = ("programmes", programme_key(scenario), seed, scenario.horizon, tuple(s.name for s in scenario.segments))
    return assumptions.cached(key, lambda: programme_arrays(scenario, assumptions.runs, seed))


def period_factors(
    arrays: ProgrammeArrays, r: int, t: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Run ``r``'s factors and cost rates in period ``t``, per segment: churn, revenue, cost per
    customer, revenue share; and the fixed cost. The compiled engine computes the same in its loop."""
    S = arrays.cover.shape[1]
    churn, revenue = np.full(S, arrays.season_churn[t]), np.ones(S)
    per_customer, share = np.zeros(S), np.zeros(S)
    fixed = 0.0
    for p in range(arrays.cover.shape[0]):
        step = arrays.ramp[p, t]
        on = arrays.running[p, t]
        fixed += on * arrays.fixed[p]
        for s in range(S):
            if arrays.cover[p, s] > 0.0:
                churn[s] *= 1.0 + step * (arrays.churn[p, r] - 1.0)
                revenue[s] *= 1.0 + step * (arrays.revenue[p, r] - 1.0)
                per_customer[s] += on * arrays.cost_per_customer[p]
                share[s] += on * arrays.revenue_share[p]
    return churn, revenue, per_customer, share, fixed
