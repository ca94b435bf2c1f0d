"""Sentences of the Portfolio page's action tab, from the numbers they state (no Streamlit)."""

from __future__ import annotations

import pandas as pd

from ui.shared.style import number

CHANGES = ("moved", "left", "returned", "new", "gone")
_CHANGE_WORDS = {
    "moved": "moved to another class",
    "left": "left (active, then lapsed)",
    "returned": "came back (lapsed, then active)",
    "new": "are new",
    "gone": "are no longer in the file",
}


def _customers(n: int) -> str:
    return f"{number(n)} customer" + ("" if n == 1 else "s")


def moves_sentence(moves: pd.DataFrame, counts: pd.DataFrame) -> str:
    """What changed between two saved portfolios, in words: how many moved, the largest move, who left or came."""
    by_change = moves["change"].value_counts()
    parts = [f"{_customers(int(by_change[c]))} {_CHANGE_WORDS[c]}" for c in CHANGES if by_change.get(c, 0)]
    if not parts:
        return "No customer changed class or status between the two saved portfolios."
    sentence = "Between the two saved portfolios, " + "; ".join(parts) + "."
    if len(counts):
        top = counts.iloc[0]
        sentence += f" The largest move: {_customers(int(top['customers']))} from {top['from']} to {top['to']}."
    return sentence


def winback_sentence(count: int, everyone: int, months: int) -> str:
    """How many of the lapsed customers worth winning back left within the months chosen."""
    if everyone == 0:
        return "No lapsed customer is worth winning back at the current threshold."
    return (
        f"{number(count)} of the {_customers(everyone)} worth winning back left within the last "
        f"{number(months)} month{'' if months == 1 else 's'}; the most valuable are first."
    )
