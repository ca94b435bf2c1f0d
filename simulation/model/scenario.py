"""Scenario schema, loading and saving.

A scenario is a TOML (or JSON) file validated into one frozen :class:`Scenario`.
Every problem in a file is reported at once, each naming its field path and what
is allowed (:class:`ScenarioError`). The field types the schema is built from (numbers that may be
distributions, plain text, limits) are in :mod:`simulation.model.scenario_fields`.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .distributions import Distribution, central
from .programmes import MAX_PROGRAMMES, PriceChange, Programme, Seasonality, programme_problems
from .scenario_fields import (
    MAX_COUNT,
    MAX_HETEROGENEITY,
    MAX_MONEY,
    MAX_SHOWN_CHARS,
    MAX_UNIT_MONEY,
    MAX_UPLIFT,
    MIN_DISCOUNT_RATE,
    MIN_MONEY,
    PERIODS_PER_YEAR,
    SHARE_TOLERANCE,
    Money,
    Param,
    ScenarioError,
    Share,
    _currency,
    _Frozen,
    _plain,
    bounds_of,
    clip,
    number_text,
    shorten,
    text_problem,
)

__all__ = [
    "MAX_COUNT",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_HETEROGENEITY",
    "MAX_MONEY",
    "MAX_SHOWN_CHARS",
    "MAX_UNIT_MONEY",
    "MAX_UPLIFT",
    "MIN_DISCOUNT_RATE",
    "MIN_MONEY",
    "PERIODS_PER_YEAR",
    "SEGMENT_ASSUMPTIONS",
    "SHARE_TOLERANCE",
    "Acquisition",
    "Budget",
    "Expansion",
    "Money",
    "Param",
    "Programme",
    "Retention",
    "Scenario",
    "ScenarioError",
    "Segment",
    "Share",
    "Simulation",
    "Weights",
    "Winback",
    "bounds_of",
    "clip",
    "cross_field_problems",
    "load_scenario",
    "number_text",
    "parse_scenario",
    "scenario_from_dict",
    "shorten",
    "text_problem",
]


# ISO 4217 minor units where they are not two decimals; a symbol stands for its usual code.
_NO_DECIMALS = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
_THREE_DECIMALS = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_SYMBOL_CODES = {"¥": "JPY", "₫": "VND", "₩": "KRW"}


def currency_decimals(currency: str) -> int:
    """Decimals of the currency's smallest unit: 0 for JPY or VND, 3 for KWD, 2 otherwise."""
    code = _SYMBOL_CODES.get(currency.strip(), currency.strip().upper())
    return 0 if code in _NO_DECIMALS else 3 if code in _THREE_DECIMALS else 2


class Budget(_Frozen):
    """Spend per period on each lever, in the scenario's currency."""

    acquisition: Money = Field(0.0, description="Spend per period on winning new customers")
    retention: Money = Field(0.0, description="Spend per period on keeping customers who would leave")
    expansion: Money = Field(0.0, description="Spend per period on upselling existing customers")
    winback: Money = Field(0.0, description="Spend per period on winning back lapsed customers")

    @property
    def total(self) -> float:
        return self.acquisition + self.retention + self.expansion + self.winback

    @property
    def core(self) -> float:
        """Acquisition + retention per period: the part of the budget a split divides."""
        return self.acquisition + self.retention

    @property
    def fixed(self) -> float:
        """Expansion + win-back per period: the part of the budget a split does not move."""
        return self.expansion + self.winback

    @property
    def acquisition_share(self) -> float | None:
        """Acquisition's share of the core (acquisition + retention); None when the core is zero."""
        return self.acquisition / self.core if self.core > 0 else None

    def with_split(self, total: float, acquisition_share: float, decimals: int | None = None) -> Budget:
        """Acquisition and retention set from a total and a share; other levers kept.

        With ``decimals`` (the currency's minor unit, :func:`currency_decimals`) both amounts are
        rounded to it and still add up to the core, so a split stores 60000, not 60000.00000000001.
        """
        core = max(total - self.fixed, 0.0)
        acquisition = core * acquisition_share
        retention = core * (1 - acquisition_share)
        if decimals is not None:
            core = round(core, decimals)
            acquisition = min(round(acquisition, decimals), core)
            retention = round(core - acquisition, decimals)
        return self.model_copy(update={"acquisition": acquisition, "retention": retention})


Weights = dict[str, Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]]


class Acquisition(_Frozen):
    cost_multiplier: Param(1, 100) | None = Field(
        None, description="Cost of acquiring a customer as a multiple of retention.cost_per_save"
    )
    cost_per_customer: Param(0, MAX_UNIT_MONEY, lo_open=True) | None = Field(
        None, description="Cost of acquiring one customer at low spend (CAC); instead of cost_multiplier"
    )
    max_new_per_period: Param(0, MAX_COUNT, lo_open=True) = Field(
        100.0, description="Most new customers a period can bring at unlimited spend"
    )
    market_size: Param(0, MAX_COUNT, lo_open=True) | None = Field(
        None, description="Prospects in the market; acquisition saturates as they are won"
    )

    @model_validator(mode="after")
    def _one_cac(self):
        if self.cost_multiplier is not None and self.cost_per_customer is not None:
            raise ValueError("give cost_multiplier or cost_per_customer, not both")
        return self


class Retention(_Frozen):
    cost_per_save: Param(0, MAX_UNIT_MONEY, lo_open=True) = Field(
        200.0, description="Cost of preventing the first churn"
    )
    max_churn_reduction: Param(0, 1, hi_open=True) = Field(
        0.5, description="Largest share of expected churners the programme can keep in a period"
    )
    weights: Weights | None = Field(None, description="Budget split across segments; default by value at risk")


class Expansion(_Frozen):
    cost_per_upsell: Param(0, MAX_UNIT_MONEY, lo_open=True) = Field(300.0, description="Cost of the first extra upsell")
    max_extra_upsell_rate: Param(0, 1) = Field(
        0.02, description="Most extra upsells per active customer per period at unlimited spend"
    )
    weights: Weights | None = Field(None, description="Budget split across segments; default by value")


class Winback(_Frozen):
    cost_per_winback: Param(0, MAX_UNIT_MONEY, lo_open=True) = Field(
        600.0, description="Cost of winning back the first customer"
    )
    max_winback_rate: Param(0, 1) = Field(
        0.05, description="Largest share of the lapsed pool that can return in a period"
    )
    weights: Weights | None = Field(None, description="Budget split across segments; default by lapsed value")


class Segment(_Frozen):
    name: Annotated[str, _plain()] = Field(min_length=1, max_length=60)
    customers: int = Field(ge=0, le=100_000_000, strict=True, description="Active customers at period 0")
    revenue_per_customer: Param(0, MAX_UNIT_MONEY) = Field(description="Revenue per customer per period before upsell")
    gross_margin: Param(0, 1) = Field(0.7, description="Share of revenue kept as gross profit")
    churn: Param(0, 1, hi_open=True) = Field(
        description="Mean probability that a new customer leaves in a period, without retention spend"
    )
    churn_heterogeneity: Param(0, MAX_HETEROGENEITY) = Field(
        0.2, description="Polarisation of churn across customers: 0 = all alike, towards 1 = very mixed"
    )
    tenure: int = Field(0, ge=0, le=1200, strict=True, description="Periods existing customers have stayed")
    upsell_rate: Param(0, 1) = Field(0.0, description="Probability per period that a customer expands")
    upsell_uplift: Param(0, MAX_UPLIFT) = Field(0.2, description="Revenue increase per expansion, share of revenue")
    new_customer_share: Share | None = Field(None, description="Share of new customers landing here")
    cost_to_serve: Param(0, MAX_UNIT_MONEY) = Field(
        0.0, description="Cost per active customer per period beyond the gross margin (support, hosting)"
    )
    referral_rate: Param(0, 1) = Field(
        0.0, description="Expected customers referred per active customer per period, at no marketing cost"
    )


# A segment's numbers that may be uncertain (distributions), in the order people read them.
SEGMENT_ASSUMPTIONS = (
    "revenue_per_customer",
    "gross_margin",
    "churn",
    "churn_heterogeneity",
    "upsell_rate",
    "upsell_uplift",
    "cost_to_serve",
    "referral_rate",
)


class Simulation(_Frozen):
    runs: int = Field(1000, ge=10, le=100_000, strict=True, description="Monte Carlo runs")
    seed: int = Field(42, ge=0, le=2**63 - 1, strict=True, description="Seed of the random streams")


class Scenario(_Frozen):
    """A validated, frozen scenario (the contract between files, pages and engines)."""

    name: Annotated[str, _plain()] = Field(min_length=1, max_length=120)
    description: Annotated[str, _plain(multiline=True)] = Field("", max_length=4000)
    period: Literal["month", "quarter", "year"] = "month"
    horizon: int = Field(60, ge=1, le=600, strict=True, description="Number of periods simulated")
    discount_rate: Param(MIN_DISCOUNT_RATE, 1) = Field(0.10, description="Discount rate per year")
    currency: Annotated[str, _plain(), AfterValidator(_currency)] = Field("USD", min_length=1, max_length=8)
    operating_costs: Param(0, MAX_MONEY) = Field(
        0.0, description="Costs per period that scale with neither customers nor marketing (salaries, rent)"
    )
    budget: Budget = Budget()
    baseline_budget: Budget | None = None
    acquisition: Acquisition = Acquisition()
    retention: Retention = Retention()
    expansion: Expansion = Expansion()
    winback: Winback = Winback()
    segments: list[Segment] = Field(min_length=1, max_length=50)
    programmes: list[Programme] | None = Field(None, max_length=MAX_PROGRAMMES)
    price_change: PriceChange | None = None
    seasonality: Seasonality | None = None
    simulation: Simulation = Simulation()

    @field_validator("segments")
    @classmethod
    def _unique_names(cls, segments: list[Segment]):
        names = [s.name for s in segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names must be unique; repeated: {', '.join(clip(d) for d in dupes[:5])}")
        return segments

    @model_validator(mode="after")
    def _shares_and_weights(self):
        # reported with their own field paths by scenario_from_dict, from cross_field_problems
        if cross_field_problems(self.model_dump()):
            raise ValueError(_CROSS_FIELD)
        return self

    # Derived values -----------------------------------------------------------------
    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.period]

    @property
    def shares(self) -> list[float]:
        """New-customer share of each segment (equal when none are given)."""
        given = [s.new_customer_share for s in self.segments]
        if given[0] is None:
            return [1 / len(self.segments)] * len(self.segments)
        return list(given)

    @property
    def baseline(self) -> Budget:
        """The status-quo budget: ``baseline_budget``, or the plan's own budget."""
        return self.baseline_budget if self.baseline_budget is not None else self.budget

    @property
    def cac_central(self) -> float:
        """Central cost of acquiring a customer at low spend."""
        acq = self.acquisition
        if acq.cost_per_customer is not None:
            return central(acq.cost_per_customer)
        multiplier = 7.0 if acq.cost_multiplier is None else central(acq.cost_multiplier)
        return multiplier * central(self.retention.cost_per_save)

    def replace(self, **changes) -> Scenario:
        """A new validated scenario with top-level fields replaced (nested values as dicts or models)."""
        data = self.to_dict()
        for key, value in changes.items():
            data[key] = value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else value
        return scenario_from_dict(data)

    def with_budget(self, budget: Budget) -> Scenario:
        return self.replace(budget=budget)

    # Serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict:
        return self.model_dump(mode="python", exclude_none=True)

    def canonical_json(self) -> str:
        """Compact JSON with sorted keys: equal scenarios give equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def to_toml(self) -> str:
        """The scenario as TOML in the layout people write by hand (reads back identically)."""
        data = self.to_dict()
        lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict | list)]
        for key, value in data.items():
            if isinstance(value, dict):
                lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in value.items()]
        for table in ("segments", "programmes"):
            for item in data.get(table, []):
                lines += ["", f"[[{table}]]"] + [f"{k} = {_toml_value(v)}" for k, v in item.items()]
        return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


_CROSS_FIELD = "cross-field problems"


def _finite_numbers(values) -> bool:
    try:
        return all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(float(x)) for x in values)
    except OverflowError:
        return False


def _listed(names, limit: int = 10) -> str:
    shown = ", ".join(clip(str(n)) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def cross_field_problems(data: dict) -> list[tuple[str, str]]:
    """Checks that involve several fields, run on raw data so they are reported with field errors."""
    problems: list[tuple[str, str]] = []
    segments = data.get("segments")
    if not isinstance(segments, list) or not all(isinstance(s, dict) for s in segments) or not segments:
        return problems
    shares = [s.get("new_customer_share") for s in segments]
    given = [x for x in shares if x is not None]
    if given and len(given) != len(shares):
        missing = [i for i, x in enumerate(shares) if x is None]
        problems.append(
            (f"segments[{missing[0]}].new_customer_share", "give new_customer_share for every segment or for none")
        )
    elif given and _finite_numbers(given) and abs(sum(given) - 1) > SHARE_TOLERANCE:
        problems.append(
            ("segments.new_customer_share", f"must sum to 1 over the segments; they sum to {sum(given):.6g}")
        )
    referring = [i for i, s in enumerate(segments) if s.get("referral_rate") not in (None, 0, 0.0)]
    acquisition = data.get("acquisition")
    if referring and not (isinstance(acquisition, dict) and acquisition.get("market_size") is not None):
        problems.append(
            (
                "acquisition.market_size",
                f"required when a segment has referrals (segments[{referring[0]}].referral_rate): referred "
                "customers come out of the market, which keeps the base from growing without end",
            )
        )
    names = {s.get("name") for s in segments if isinstance(s.get("name"), str)}
    for lever in ("retention", "expansion", "winback"):
        section = data.get(lever)
        weights = section.get("weights") if isinstance(section, dict) else None
        if not isinstance(weights, dict):
            continue
        unknown = sorted(str(k) for k in set(weights) - names)
        if unknown:
            problems.append(
                (
                    f"{lever}.weights",
                    f"unknown segment(s) {_listed(unknown)}; segments are {_listed(sorted(names))}",
                )
            )
        elif _finite_numbers(weights.values()) and sum(weights.values()) <= 0:
            problems.append((f"{lever}.weights", "at least one weight must be positive"))
    return problems + programme_problems(data)


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            # a key that is empty or holds spaces or dots is quoted, so the path stays readable
            if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
                text = json.dumps(text, ensure_ascii=False)
            out += ("." if out else "") + clip(text)
    return out


_FRIENDLY = {
    "extra_forbidden": "unknown field",
    "missing": "required field is missing",
}


def _problems(exc: ValidationError, data: Any) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        if msg == _CROSS_FIELD:
            continue
        if kind in _FRIENDLY:
            msg = _FRIENDLY[kind]
            if kind == "extra_forbidden":
                model = _model_at(loc[:-1])
                if model is not None:
                    msg += f"; allowed: {', '.join(model.model_fields)}"
        elif kind == "literal_error":
            msg = msg.replace("Input should be", "must be")
        else:
            msg = msg.replace("Input should be", "must be")
            if "input" in err and kind not in ("value_error", "assertion_error"):
                msg += f"; got {shorten(err['input'])}" if not isinstance(err["input"], dict | list) else ""
        problems.append((_format_loc(loc), msg))
    return problems


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: type[BaseModel] = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *list(getattr(ann, "__args__", ()))]
        nxt = None
        for c in candidates:
            for cc in [c, *list(getattr(c, "__args__", ()))]:
                if isinstance(cc, type) and issubclass(cc, BaseModel) and cc is not Distribution:
                    nxt = cc
        if nxt is None:
            return None
        model = nxt
    return model


def scenario_from_dict(data: Any) -> Scenario:
    """Validate a mapping into a :class:`Scenario`, raising :class:`ScenarioError`."""
    if not isinstance(data, dict):
        raise ScenarioError([("", "a scenario must be a table of fields")])
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError([("", f"the scenario is nested more than {MAX_DEPTH} levels deep; a scenario needs 4")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, data)
        if not any(path == "segments" or path.endswith(".weights") for path, _ in problems):
            problems += [p for p in cross_field_problems(data) if p not in problems]
        raise ScenarioError(problems) from None
    except RecursionError:
        raise ScenarioError([("", f"the scenario is nested more than {MAX_DEPTH} levels deep")]) from None


MAX_DEPTH = 8  # tables or lists inside one another; a scenario needs 4 (segments, a segment, a distribution)
MAX_FILE_BYTES = 1_000_000  # a scenario with fifty segments and long descriptions is under 100 kB


def _depth(value: Any, limit: int = MAX_DEPTH + 1) -> int:
    """Nesting depth of dicts and lists, counted no further than ``limit`` (so never deeply recursive)."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level >= limit:
                return level
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _too_deep(text: str) -> bool:
    """Whether brackets nest beyond :data:`MAX_DEPTH` (checked before parsing, which recurses)."""
    level = 0
    for ch in text:
        if ch in "[{":
            level += 1
            if level > MAX_DEPTH + 2:
                return True
        elif ch in "]}":
            level -= 1
    return False


def parse_scenario(text: str | bytes, fmt: str = "toml") -> Scenario:
    """Parse TOML or JSON text into a :class:`Scenario`.

    A UTF-8 byte-order mark is skipped. Text over :data:`MAX_FILE_BYTES`, nesting deeper than
    :data:`MAX_DEPTH` and integers too long to read are refused with a message.
    """
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(
            [("", f"the file is {len(text):,} bytes; a scenario file may be at most {MAX_FILE_BYTES:,} bytes")]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError([("", "the file is not UTF-8 text")]) from None
    text = text.removeprefix("\ufeff")
    fmt = fmt.lower().lstrip(".")
    kind = "JSON" if fmt == "json" else "TOML"
    # Brackets inside strings count too, which errs on the safe side: no scenario nests that deep.
    if _too_deep(text):
        raise ScenarioError([("", f"the file nests tables or lists more than {MAX_DEPTH} levels deep")])
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([("", f"not valid TOML: {clip(str(exc), 200)}")]) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError([("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]) from None
    except RecursionError:
        raise ScenarioError([("", f"the file nests tables or lists more than {MAX_DEPTH} levels deep")]) from None
    except ValueError as exc:
        # Python refuses to read integers of more than 4,300 digits
        if "digits" in str(exc):
            raise ScenarioError([("", f"not valid {kind}: a number has thousands of digits")]) from None
        raise ScenarioError([("", f"not valid {kind}: {clip(str(exc), 200)}")]) from None
    return scenario_from_dict(data)


def load_scenario(path: str | Path) -> Scenario:
    """Read a ``.toml`` or ``.json`` scenario file.

    Only a regular file is read, and at most :data:`MAX_FILE_BYTES` + 1 bytes of it: a named
    pipe, a device or a folder is refused with a message, as is a larger file.
    """
    from ..io.files import FileReadError, read_limited

    path = Path(path)
    try:
        raw = read_limited(path, MAX_FILE_BYTES, "a scenario file (.toml or .json)")
    except FileReadError as exc:
        if exc.too_large:
            size = f"{exc.size:,} bytes" if exc.size is not None else f"more than {MAX_FILE_BYTES:,} bytes"
            message = f"the file is {size}; a scenario file may be at most {MAX_FILE_BYTES:,} bytes"
            raise ScenarioError([("", message)]) from None
        raise ScenarioError([("", str(exc))]) from None
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    return parse_scenario(raw, fmt)
