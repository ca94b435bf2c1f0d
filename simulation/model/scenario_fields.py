"""The building blocks of the scenario schema: limits, numbers that may be distributions, plain text.

Each field type here validates one value and says what is allowed when it is not
(:class:`ScenarioError` collects the problems of a whole scenario); the schema itself is in
:mod:`simulation.model.scenario`, which also exports these names.
"""

from __future__ import annotations

import math
import typing
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
)

from ..errors import InputError
from .distributions import DISTRIBUTION_FORMS, Bounds, Distribution

PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
SHARE_TOLERANCE = 1e-6
# Upper bounds that keep every product the engines form finite and every count inside int64:
# new customers times prospects left is at most MAX_COUNT ** 2 = 1e18 < 9.2e18, and money summed
# over 600 periods, 50 segments and 1e9-customer counts stays far below the float limit.
MAX_MONEY = 1e12  # spend per period on one lever
MIN_MONEY = 0.01  # the smallest positive spend per period
MAX_UNIT_MONEY = 1e9  # a cost per customer, per save, per upsell, per win-back; revenue per customer
MAX_COUNT = 1e9  # new customers per period, prospects in the market
MAX_UPLIFT = 10.0  # revenue increase per expansion, as a share of revenue
MAX_HETEROGENEITY = 0.999
MIN_DISCOUNT_RATE = 0.001  # with no discounting a customer who never leaves is worth an infinite amount
MAX_SHOWN_CHARS = 60  # of a value echoed back in a message


def number_text(x: float) -> str:
    """``x`` in short form, or in full where the short form would round it (0.9999999999999999)."""
    short, exact = f"{x:g}", repr(float(x))
    return short if float(short) == x and len(short) < len(exact) else exact


def clip(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


def shorten(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a message never echoes a whole input."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**limit:
        return (
            "an integer of over 4,000 digits"
            if abs(value) >= 10**4000
            else f"an integer of {len(str(abs(value)))} digits"
        )
    return clip(repr(value), limit)


# Characters a name may not hold: controls, format characters (bidirectional overrides and
# isolates, zero-width spaces and joiners, the byte-order mark), private-use and unassigned code
# points. They can make one name look like another or reorder the text around it on screen.
def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` is not plain printable text (None when it is)."""
    for ch in text:
        if multiline and ch in "\n\t":
            continue
        if unicodedata.category(ch).startswith("C"):
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            return (
                f"contains the invisible or control character {name} (U+{ord(ch):04X}); "
                "use letters, digits, spaces and punctuation"
            )
    return None


def _currency(value: str) -> str:
    # a code or a symbol: it is printed beside every amount, in labels and sentences a page reads as
    # Markdown, so it may not carry formatting, nor be a web address (Markdown makes "www.x.co" a link)
    if not all(ch.isalnum() or ch in " ." or unicodedata.category(ch) == "Sc" for ch in value):
        raise ValueError("must be a currency code or symbol (letters, digits, currency signs, spaces and dots)")
    if "www." in value.casefold():
        raise ValueError("must be a currency code or symbol, not a web address")
    return value


def _plain(multiline: bool = False):
    def check(value: str) -> str:
        problem = text_problem(value, multiline=multiline)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


class ScenarioError(InputError):
    """A scenario that cannot be used; ``problems`` lists ``(field path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__(self.describe())

    def describe(self) -> str:
        lines = [f"{len(self.problems)} problem(s) in the scenario:"]
        lines += [f"  {path}: {message}" if path else f"  {message}" for path, message in self.problems]
        return "\n".join(lines)


def _param_validator(bounds: Bounds):
    def validate(value: Any) -> float | Distribution:
        if isinstance(value, Distribution):
            dist = value
        elif isinstance(value, dict):
            try:
                dist = Distribution.model_validate(value)
            except ValidationError as exc:
                msgs = []
                for err in exc.errors():
                    where = ".".join(str(p) for p in err["loc"])
                    msg = err["msg"].removeprefix("Value error, ")
                    msgs.append(f"{where}: {msg}" if where else msg)
                raise ValueError("; ".join(msgs)) from None
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number {bounds.describe()} or a distribution {DISTRIBUTION_FORMS}")
        else:
            try:
                number = float(value)
            except OverflowError:
                raise ValueError(f"must be a number {bounds.describe()}; got {shorten(value)}") from None
            if not math.isfinite(number):
                raise ValueError(f"must be a finite number {bounds.describe()}")
            if not bounds.contains(number):
                raise ValueError(f"must be {bounds.describe()}; got {number_text(number)}")
            return number
        ends = [("mean", dist.mean)] if dist.kind == "normal" else [("low", dist.low), ("high", dist.high)]
        for name, x in ends:
            if not bounds.contains(x):
                raise ValueError(f"distribution {name} must be {bounds.describe()}; got {number_text(x)}")
        if dist.kind == "normal" and math.isfinite(bounds.hi - bounds.lo) and dist.sd > bounds.hi - bounds.lo:
            raise ValueError(
                f"distribution sd must be at most {bounds.hi - bounds.lo:g}, the width of the field's range; "
                f"got {dist.sd:g}"
            )
        return dist

    return validate


def _dump_param(value: float | Distribution):
    return value.as_dict() if isinstance(value, Distribution) else value


def Param(lo=-math.inf, hi=math.inf, *, lo_open=False, hi_open=False):  # noqa: N802 - a type factory
    """A scenario number that may be a distribution, valid in the given range."""
    bounds = Bounds(lo, hi, lo_open, hi_open)
    return Annotated[
        float | Distribution,
        PlainValidator(_param_validator(bounds), json_schema_input_type=float | dict),
        PlainSerializer(_dump_param),
        bounds,
    ]


def bounds_of(model: type[BaseModel], field: str) -> Bounds:
    """The valid range of a numeric field, as declared in the schema (also inside ``Optional``)."""
    info = model.model_fields[field]
    candidates = [info.metadata] + [getattr(arg, "__metadata__", ()) for arg in typing.get_args(info.annotation)]
    for metadata in candidates:
        for meta in metadata:
            if isinstance(meta, Bounds):
                return meta
    for metadata in candidates:
        flat = [m for meta in metadata for m in (getattr(meta, "metadata", None) or [meta])]
        lo = next((m.ge for m in flat if getattr(m, "ge", None) is not None), None)
        hi = next((m.le for m in flat if getattr(m, "le", None) is not None), None)
        if lo is not None or hi is not None:
            return Bounds(-math.inf if lo is None else lo, math.inf if hi is None else hi)
    return Bounds()


def _whole_cents(value: float) -> float:
    # a positive amount below a cent is a typing slip or an attack: ratios to spend would overflow
    if 0 < value < MIN_MONEY:
        raise ValueError(f"must be 0 or at least {MIN_MONEY:g}; got {number_text(value)}")
    return value


Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False, strict=True), AfterValidator(_whole_cents)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
