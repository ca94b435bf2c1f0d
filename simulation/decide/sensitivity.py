"""A tornado of the assumptions: each moved to a low and a high value, with the change in the
objective and in the best split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engines.runner import runs_and_seed
from ..model import limits
from ..model.assumptions import DEFAULT_COST_MULTIPLIER
from ..model.distributions import Distribution, central, quantile
from ..model.fields import FIELD_LABELS, LEVER_MODELS, programme_field_label
from ..model.programmes import MULTIPLIERS, PriceChange, Programme, running_programmes
from ..model.scenario import (
    SEGMENT_ASSUMPTIONS,
    Scenario,
    Segment,
    bounds_of,
    scenario_from_dict,
)
from ..numerics.executor import Executor, local_executor, resolve
from .objectives import DEFAULT_GRID, check_request, share_key, total_to_split
from .search import Evaluator, SplitResult, local_optimum, optimize_split, scenario_token

TORNADO_QUANTILES = (0.10, 0.90)
PLAIN_SWING = 0.20  # a plain number is moved by +-20 % in the tornado


_MIXED_BASIS = "10th-90th percentile or +-20 %"
PROGRAMMES = "programmes"
ELASTICITY = "price_change.churn_elasticity"


@dataclass(frozen=True)
class AssumptionRange:
    """One bar of the tornado: a field (or one field in every segment) and its low and high values."""

    key: str  # "discount_rate", "retention.cost_per_save", "segments.churn", "segments.A.churn",
    # "programmes.<name>.churn_multiplier" or "price_change.churn_elasticity"
    label: str
    low: tuple[float, ...]  # one value per field moved (one per segment for a segment field)
    high: tuple[float, ...]
    basis: str  # "10th-90th percentile" or "+-20 %"

    def describe(self, side: str) -> str:
        values = self.low if side == "low" else self.high
        return " / ".join(f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}" for v in values)


def _range_of(value, bounds) -> tuple[float, float, str] | None:
    lo, hi = bounds.clip_range()
    if isinstance(value, Distribution):
        low, high = (quantile(value, q, lo, hi) for q in TORNADO_QUANTILES)
        basis = f"{TORNADO_QUANTILES[0] * 100:.0f}th-{TORNADO_QUANTILES[1] * 100:.0f}th percentile"
    else:
        # a negative number (a price elasticity) is moved as far, its low below its high
        low, high = sorted(float(np.clip(value * (1 + s * PLAIN_SWING), lo, hi)) for s in (-1, 1))
        basis = f"+-{PLAIN_SWING * 100:.0f} %"
    return (low, high, basis) if high > low else None


def tornado_assumptions(scenario: Scenario, by_segment: bool = False) -> list[AssumptionRange]:
    """The assumptions the tornado moves, each with its low and high values.

    Distributions move to their 10th and 90th percentiles, plain numbers by +-20 %, both
    clipped to the field's bounds. Fields of levers with no budget (expansion, win-back)
    cannot change the result and are left out, as are plain zeros (nothing to move) and
    the size of an upsell where none ever happens.
    Segment fields move together in every segment (each to its own low or high) unless
    ``by_segment``. A running programme's churn and revenue multipliers are moved when they
    are ranges (a plain multiplier is the programme as designed), and a price change's churn
    elasticity when the price changes.
    """
    out: list[AssumptionRange] = []

    def add(key, label, pairs):
        pairs = [p for p in pairs if p is not None]
        if pairs:
            basis = pairs[0][2] if len({p[2] for p in pairs}) == 1 else _MIXED_BASIS
            out.append(AssumptionRange(key, label, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), basis))

    add(
        "discount_rate",
        FIELD_LABELS["discount_rate"],
        [_range_of(scenario.discount_rate, bounds_of(Scenario, "discount_rate"))],
    )
    acq = scenario.acquisition
    cac_field = "cost_per_customer" if acq.cost_per_customer is not None else "cost_multiplier"
    fields = [("acquisition", cac_field), ("acquisition", "max_new_per_period")]
    if acq.market_size is not None:
        fields.append(("acquisition", "market_size"))
    fields += [("retention", "cost_per_save"), ("retention", "max_churn_reduction")]
    if scenario.budget.expansion > 0:
        fields += [("expansion", "cost_per_upsell"), ("expansion", "max_extra_upsell_rate")]
    if scenario.budget.winback > 0:
        fields += [("winback", "cost_per_winback"), ("winback", "max_winback_rate")]
    for section, name in fields:
        value = getattr(getattr(scenario, section), name)
        if value is None:  # neither CAC form given: the engine's default multiple of a save
            value = DEFAULT_COST_MULTIPLIER
        add(
            f"{section}.{name}",
            FIELD_LABELS[f"{section}.{name}"],
            [_range_of(value, bounds_of(LEVER_MODELS[section], name))],
        )
    no_upsell = scenario.budget.expansion <= 0 and all(
        central(seg.upsell_rate) == 0 and not isinstance(seg.upsell_rate, Distribution) for seg in scenario.segments
    )
    for name in SEGMENT_ASSUMPTIONS:
        if name == "upsell_uplift" and no_upsell:  # no upsell ever happens: its size cannot matter
            continue
        bounds = bounds_of(Segment, name)
        if by_segment or len(scenario.segments) == 1:
            for seg in scenario.segments:
                label = FIELD_LABELS[name] + ("" if len(scenario.segments) == 1 else f", segment {seg.name}")
                add(f"segments.{seg.name}.{name}", label, [_range_of(getattr(seg, name), bounds)])
        else:
            pairs = [_range_of(getattr(seg, name), bounds) for seg in scenario.segments]
            if any(p is not None for p in pairs):
                # a segment without a range keeps its value on both sides
                pairs = [
                    p if p is not None else (central(getattr(s, name)), central(getattr(s, name)), "")
                    for p, s in zip(pairs, scenario.segments, strict=True)
                ]
                basis = {p[2] for p in pairs if p[2]}
                text = basis.pop() if len(basis) == 1 else _MIXED_BASIS
                out.append(
                    AssumptionRange(
                        f"segments.{name}",
                        FIELD_LABELS[name] + ", all segments",
                        tuple(float(p[0]) for p in pairs),
                        tuple(float(p[1]) for p in pairs),
                        text,
                    )
                )
    for programme in running_programmes(scenario):
        for field in MULTIPLIERS:
            value = getattr(programme, field)
            if isinstance(value, Distribution):
                key = f"{PROGRAMMES}.{programme.name}.{field}"
                add(key, programme_field_label(programme.name, field), [_range_of(value, bounds_of(Programme, field))])
    price = scenario.price_change
    if price is not None and price.change != 0:
        bounds = bounds_of(PriceChange, "churn_elasticity")
        add(ELASTICITY, FIELD_LABELS[ELASTICITY], [_range_of(price.churn_elasticity, bounds)])
    return out


def moved_scenario(scenario: Scenario, item: AssumptionRange, side: str) -> Scenario:
    """The scenario with one assumption set to its low or high value (a plain number)."""
    values = item.low if side == "low" else item.high
    data = scenario.to_dict()
    parts = item.key.split(".")
    if parts[0] == PROGRAMMES:  # "programmes.<name>.<field>"; a name may hold dots
        name, field = item.key[len(PROGRAMMES) + 1 :].rsplit(".", 1)
        programme = next(p for p in data[PROGRAMMES] if p["name"] == name)
        programme[field] = float(values[0])
    elif parts[0] == "segments":
        names = [s["name"] for s in data["segments"]]
        targets = names if len(parts) == 2 else [parts[1]]
        for name, value in zip(targets, values, strict=True):
            data["segments"][names.index(name)][parts[-1]] = float(value)
    elif len(parts) == 1:
        data[parts[0]] = float(values[0])
    else:
        data[parts[0]][parts[1]] = float(values[0])
    return scenario_from_dict(data)


@dataclass(frozen=True)
class TornadoSide:
    """One assumption at one end: the objective at the base best split, and the best split there."""

    value_at_base_split: float
    best_share: float
    best_value: float


def tornado_side(
    scenario: Scenario,
    item: AssumptionRange | None,
    side: str,
    base_share: float,
    objective: str = "npv",
    target: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    *,
    total: float | None = None,
) -> TornadoSide:
    """Move one assumption to one end and find the best split again from the base best.

    The other assumptions keep their draws: every field has its own random stream, so
    redrawing the moved scenario with the same seed reproduces them (common random
    numbers). The best split is the vertex of a parabola through splits two points
    apart around ``base_share``, moved until the vertex lies between them. With ``item``
    None the scenario is not moved: the reference against which :class:`Tornado` measures
    shifts of the best split, so that the fit's own error cancels.
    """
    runs, seed = runs_and_seed(scenario, runs, seed)
    obj = check_request(objective, target, DEFAULT_GRID, runs)
    limits.check_request(scenario, runs, limits.TORNADO_SIDE_SIMULATIONS, "one side of the tornado", "the runs")
    total = total_to_split(scenario, total)
    moved = scenario if item is None else moved_scenario(scenario, item, side)
    # one side is a sequential search: it runs where it is called, on one core
    ev = Evaluator(moved, obj, target, total, runs, seed, workers=1, executor=local_executor())
    ev.evaluate([base_share])
    best = local_optimum(ev, base_share)
    top = ev.best_of(list(ev.values))
    return TornadoSide(
        value_at_base_split=float(obj.score(ev.values[share_key(base_share)], target)),
        best_share=float(best),
        best_value=float(obj.score(ev.values[top], target)),
    )


@dataclass(frozen=True)
class TornadoInputs:
    """What every side of one tornado shares: sent to a cluster once per tornado."""

    scenario: Scenario
    base_share: float
    objective: str
    target: float | None
    runs: int | None
    seed: int | None
    total: float | None


def tornado_unit(inputs: TornadoInputs, item: tuple[AssumptionRange | None, str]) -> TornadoSide:
    """Unit of work: one assumption at one end (``(None, "low")``: the unmoved reference)."""
    assumption, side = item
    i = inputs
    return tornado_side(
        i.scenario, assumption, side, i.base_share, i.objective, i.target, i.runs, i.seed, total=i.total
    )


def tornado_sides(
    scenario: Scenario,
    items: list[AssumptionRange],
    base_share: float,
    objective: str = "npv",
    target: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    *,
    total: float | None = None,
    reference: bool = True,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
) -> tuple[TornadoSide | None, list[tuple[TornadoSide, TornadoSide]]]:
    """Both ends of every assumption in ``items`` (and the unmoved reference), as units of work.

    Each side (:func:`tornado_side`) is one unit for ``executor`` (default: this machine, or
    the Dask cluster named by ``RETENTION_LAB_DASK_SCHEDULER``); ``progress(done, count)``
    is called from the calling thread as sides finish. Returns the reference (None unless
    ``reference``) and one ``(low, high)`` pair per item.
    """
    inputs = TornadoInputs(scenario, float(base_share), objective, target, runs, seed, total)
    units = [(None, "low")] if reference else []
    units += [(item, side) for item in items for side in ("low", "high")]
    key = ("tornado", scenario_token(scenario), float(base_share), objective, target, runs, seed, total)
    done = resolve(executor).map(tornado_unit, units, inputs, key=key, progress=progress, max_workers=workers)
    ref = done.pop(0) if reference else None
    return ref, [(done[2 * i], done[2 * i + 1]) for i in range(len(items))]


def tornado_pair(
    scenario: Scenario,
    item: AssumptionRange,
    base_share: float,
    objective: str = "npv",
    target: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    *,
    total: float | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
) -> tuple[TornadoSide, TornadoSide]:
    """Both ends of one assumption (:func:`tornado_side`), evaluated at the same time."""
    _, pairs = tornado_sides(
        scenario,
        [item],
        base_share,
        objective,
        target,
        runs,
        seed,
        total=total,
        reference=False,
        workers=workers,
        executor=executor,
    )
    return pairs[0]


@dataclass(frozen=True)
class Tornado:
    """Sensitivity of the objective and of the best split to each assumption."""

    objective: str
    base_share: float
    base_value: float
    frame: pd.DataFrame  # one row per assumption, most influential first

    @classmethod
    def from_sides(cls, objective, base_share, base_value, items, sides, reference: TornadoSide) -> Tornado:
        """Assemble from ``sides[i] = (low, high)`` :class:`TornadoSide` for ``items[i]``.

        ``reference`` is the same search on the unmoved scenario: the best split under a
        moved assumption is reported as ``base_share`` plus its shift from the reference.
        """

        def shifted(side: TornadoSide) -> float:
            return float(np.clip(base_share + side.best_share - reference.best_share, 0.0, 1.0))

        rows = []
        for item, (low, high) in zip(items, sides, strict=True):
            rows.append(
                {
                    "key": item.key,
                    "assumption": item.label,
                    "basis": item.basis,
                    "low": item.describe("low"),
                    "high": item.describe("high"),
                    "value_low": low.value_at_base_split,
                    "value_high": high.value_at_base_split,
                    "delta_low": low.value_at_base_split - base_value,
                    "delta_high": high.value_at_base_split - base_value,
                    "best_share_low": shifted(low),
                    "best_share_high": shifted(high),
                    "regret_low": max(low.best_value - low.value_at_base_split, 0.0),
                    "regret_high": max(high.best_value - high.value_at_base_split, 0.0),
                }
            )
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame["swing"] = (frame["value_high"] - frame["value_low"]).abs()
            frame["split_swing"] = (frame["best_share_high"] - frame["best_share_low"]).abs()
            frame = frame.sort_values(["swing", "split_swing"], ascending=False, kind="stable").reset_index(drop=True)
        return cls(objective=objective, base_share=base_share, base_value=base_value, frame=frame)


def sensitivity(
    scenario: Scenario,
    objective: str = "npv",
    target: float | None = None,
    runs: int | None = None,
    seed: int | None = None,
    *,
    base: SplitResult | None = None,
    by_segment: bool = False,
    total: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
) -> Tornado:
    """The tornado: each assumption at its low and high value, the objective and the best split.

    ``value_low/high`` is the objective at the base best split (the decision held);
    ``best_share_low/high`` the best split when the assumption takes that value;
    ``regret_low/high`` what keeping the base split would forgo then. Rows are sorted by
    the swing of the objective. Each side of each assumption is one unit of work for
    ``executor`` (see :func:`tornado_sides`); ``progress(done, count)`` is called as sides
    finish (``count`` = 2 x assumptions + 1, the unmoved reference).
    """
    runs, seed = runs_and_seed(scenario, runs, seed)
    items = tornado_assumptions(scenario, by_segment)
    limits.check_request(
        scenario,
        runs,
        (2 * len(items) + 1) * limits.TORNADO_SIDE_SIMULATIONS,
        f"the tornado of {len(items)} assumptions",
        "the runs" + (" or show the assumptions for all segments together" if by_segment else ""),
    )
    if base is None:
        base = optimize_split(
            scenario, objective, target, runs=runs, seed=seed, total=total, workers=workers, executor=executor
        )
    reference, sides = tornado_sides(
        scenario,
        items,
        base.best_share,
        objective,
        target,
        runs,
        seed,
        total=base.total,
        progress=progress,
        workers=workers,
        executor=executor,
    )
    return Tornado.from_sides(objective, base.best_share, base.best_value, items, sides, reference)
