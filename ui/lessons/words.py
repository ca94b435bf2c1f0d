"""Small sentences about numbers for the lessons: each is true of the numbers it is given, as they are shown."""

from __future__ import annotations

from simulation.decide import NOISE_Z
from ui.shared.style import money, multiple, number, percent, plain


def count_noun(n: float, singular: str, plural: str | None = None) -> str:
    """The count ``n`` as shown with its noun in the number that reading takes ("1 customer", "2 customers")."""
    shown = number(n)
    return f"{shown} {singular if shown == '1' else (plural or singular + 's')}"


def compared(a_shown: str, b_shown: str, a: float, b: float, more: str = "more than", less: str = "less than",
             same: str = "about the same as") -> str:  # fmt: skip
    """``more`` when ``a`` is above ``b``, ``less`` below; ``same`` when the two look the same as shown."""
    if a_shown == b_shown or a == b:
        return same
    return more if a > b else less


def share_text(value: float) -> str:
    """A share as the lessons show it: one decimal below 10 %, none from 10 % up."""
    return percent(value, 1 if 0 < abs(value) < 0.1 else 0)


def shows_zero(shown: str) -> bool:
    """Whether a formatted number reads as zero ("0 %", "0.0 %", "$0")."""
    return not shown.strip(" %$0.,-−")


def beyond_noise(change: float, se: float) -> bool:
    """Whether a change is more than :data:`~simulation.decide.NOISE_Z` standard errors and shows as non-zero."""
    return abs(change) > NOISE_Z * se and not shows_zero(share_text(abs(change)))


def change_text(change: float, se: float, rises: str = "rises", falls: str = "falls",
                same: str = "stays about the same") -> str:  # fmt: skip
    """The change as words: "rises 43 %", "falls 3.0 %", or "stays about the same" within noise."""
    if not beyond_noise(change, se):
        return same
    return f"{rises if change > 0 else falls} {share_text(abs(change))}"


def signed_share(change: float, se: float) -> str:
    """The change as a signed share: "+43 %", "−3.0 %", or "about the same" within noise."""
    if not beyond_noise(change, se):
        return "about the same"
    return f"{'+' if change > 0 else '−'}{share_text(abs(change))}"


def more_text(change: float, se: float, noun: str, more: str = "more", fewer: str = "fewer") -> str:
    """The change in a quantity: "34 % more customers", "5 % fewer customers", or "about as many customers"."""
    if not beyond_noise(change, se):
        return f"about as {'much' if fewer == 'less' else 'many'} {noun}"
    return f"{share_text(abs(change))} {more if change > 0 else fewer} {noun}"


def gain_text(value: float) -> str:
    """Money added or lost: "adds $1.15M", "loses $126k", "adds nothing" (when it shows as $0)."""
    shown = money(abs(value))
    if shown == money(0.0):
        return "adds nothing"
    return f"{'adds' if value > 0 else 'loses'} {shown}"


def per_dollar_text(value: float) -> str:
    """Value added per dollar spent, after the dollar: "$3.68 per dollar" or "−$0.42 per dollar"."""
    shown = f"{abs(value):.2f}"
    sign = "−" if value < 0 and shown != "0.00" else ""
    return f"{sign}${shown} per dollar spent, after the dollar"


def unit_text(value: float | None, unit: str, digits: int = 3) -> str:
    """A number as a person reads it: a count, a percentage, money (USD) or a multiple."""
    if value is None:
        return "—"
    if unit == "share":
        return percent(value, 1 if 0 < abs(value) < 0.1 else 0)
    if unit == "money":
        return money(value, "USD", digits)
    if unit == "multiple":
        return multiple(value)
    if unit == "ratio":
        return f"{value:.2f}"
    return plain(value, digits)
