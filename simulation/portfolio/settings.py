"""How to read and analyse a customer file: one frozen, validated object that travels as JSON.

The Portfolio page builds it from its widgets, the ``fit`` and ``portfolio`` commands from
their options; :func:`~simulation.portfolio.pipeline.analyse_portfolio` takes it. Its
canonical JSON (:meth:`PortfolioSettings.to_json`) is what a cache is keyed by, and
:meth:`PortfolioSettings.from_json` gives the same object back.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError
from .classify import CLASSES, LEVELS
from .columns import KINDS
from .encoding import ENCODINGS
from .limits import FIRST_DATE, LAST_DATE
from .plans import PLAN_GROUPS, ContactPlan

Kind = Literal[KINDS]
Encoding = Literal[tuple(ENCODINGS)]
Period = Literal["week", "month", "quarter", "year"]
Level = Literal[LEVELS]
ClassName = Literal[CLASSES]
PlanGroup = Literal[PLAN_GROUPS]


def _cuts(pair: tuple[float, float]) -> tuple[float, float]:
    lo, hi = pair
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi < lo:
        raise ValueError(f"must be two numbers, 0 or more, the first not above the second; got {lo:g} and {hi:g}")
    return pair


def _probabilities(pair: tuple[float, float]) -> tuple[float, float]:
    if pair[1] > 1:
        raise ValueError(f"must be probabilities, at most 1; got {pair[1]:g}")
    return pair


def _money(value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a number, 0 or more; got {value:g}")
    return value


def _margin(value: float) -> float:
    if not 0 < value <= 1:
        raise ValueError(f"must be above 0 and at most 1; got {value:g}")
    return value


def _days(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be 1 or more; got {value}")
    return value


Cuts = Annotated[tuple[float, float], AfterValidator(_cuts)]


class SettingsError(InputError):
    """Settings that cannot be used; ``problems`` lists ``(field, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" if name else message for name, message in problems))


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            message = f"not a setting; the settings are {', '.join(PortfolioSettings.model_fields)}"
        else:
            message = err["msg"].removeprefix("Value error, ")
        problems.append((where, message))
    return problems


class PortfolioSettings(BaseModel):
    """Every choice that shapes the analysis of one customer file; any left out is the data's default.

    Attributes
    ----------
    kind : {"customers", "transactions", "cohorts"}, optional
        What the file is; by default recognised from its header.
    columns : dict
        Role -> file column (None: the file has no such column), over the columns proposed
        from the header (:func:`~simulation.portfolio.columns.propose_mapping`).
    sheet : str, optional
        The Excel sheet to read; by default the first with data.
    encoding : str, optional
        A CSV's encoding (:data:`~simulation.portfolio.encoding.ENCODINGS`); by default detected.
    period : {"week", "month", "quarter", "year"}, optional
        Period of revenue and tenure (and the time unit of a transaction log's purchase model);
        by default month, year for a cohort table. A scenario's period is a month, quarter or year.
    as_of : date, optional
        The date the data describe; by default the latest date in the file.
    inactivity_days : int, optional
        Transaction logs: days without a purchase after which a customer is lapsed.
    gross_margin : float
        Gross margin (above 0, at most 1) of customers the file gives none.
    contribution_cuts, potential_cuts : (float, float), optional
        Nine-box thresholds in money per period, ``(low to medium, medium to high)``.
    winback_min : float, optional
        Past contribution per period from which a lapsed customer is worth winning back.
    risk_cuts : (float, float), optional
        Churn probabilities next period between the low / medium / high risk bands.
    cell_classes : dict
        ``{contribution level: {potential level: class}}`` over the default nine-box classes.
    plans : dict
        Contact plans by class, ``win back`` or ``acquire``, over the default plans.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind | None = None
    columns: dict[str, str | None] = Field(default_factory=dict)
    sheet: str | None = None
    encoding: Encoding | None = None
    period: Period | None = None
    as_of: date | None = None
    inactivity_days: Annotated[int, AfterValidator(_days)] | None = None
    gross_margin: Annotated[float, AfterValidator(_margin)] = 1.0
    contribution_cuts: Cuts | None = None
    potential_cuts: Cuts | None = None
    winback_min: Annotated[float, AfterValidator(_money)] | None = None
    risk_cuts: Annotated[Cuts, AfterValidator(_probabilities)] | None = None
    cell_classes: dict[Level, dict[Level, ClassName]] = Field(default_factory=dict)
    plans: dict[PlanGroup, ContactPlan] = Field(default_factory=dict)

    def __init__(self, **fields: Any):
        try:
            super().__init__(**fields)
        except ValidationError as exc:
            raise SettingsError(_problems(exc)) from None

    @field_validator("as_of", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None
        return value

    @field_validator("as_of")
    @classmethod
    def _date_in_range(cls, value: date | None) -> date | None:
        if value is not None and not FIRST_DATE.date() <= value <= LAST_DATE.date():
            raise ValueError(f"{value} is outside the dates this reads, {FIRST_DATE.date()} to {LAST_DATE.date()}")
        return value

    def __hash__(self) -> int:
        return hash(self.to_json())

    def to_json(self) -> str:
        """The canonical text of these settings: every field, keys sorted, no spaces."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PortfolioSettings:
        """The settings :meth:`to_json` wrote (or any JSON object of their fields)."""
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SettingsError([("", f"not JSON: {exc.msg} at character {exc.pos}")]) from None
        if not isinstance(fields, dict):
            raise SettingsError([("", "settings must be a JSON object of fields")])
        return cls(**fields)

    def cell_class(self) -> dict[tuple[str, str], str]:
        """The nine-box classes set here, as ``{(contribution level, potential level): class}``."""
        return {(c, p): cls for c, row in self.cell_classes.items() for p, cls in row.items()}
