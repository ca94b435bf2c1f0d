"""The action tab's sentences state the numbers they are made of, at zero, one and many."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.io.portfolio_store import compare, movement_counts
from ui.portfolio.act_text import moves_sentence, winback_sentence
from ui.shared.style import number

CLASSES = ("A", "B", "C", "D")
STATUSES = ("active", "lapsed")
customer = st.tuples(st.sampled_from(CLASSES), st.sampled_from(STATUSES))


@settings(deadline=None, max_examples=200)
@given(
    before=st.dictionaries(st.integers(0, 40), customer, max_size=40),
    after=st.dictionaries(st.integers(0, 40), customer, max_size=40),
)
def test_the_moves_sentence_counts_each_kind_of_change_truly(before, after):
    def frame(d):
        return pd.DataFrame([(str(k), c, s) for k, (c, s) in d.items()], columns=["customer_id", "class", "status"])

    moves = compare(frame(before), frame(after))
    counts = movement_counts(moves)
    text = moves_sentence(moves, counts)
    by = moves["change"].value_counts()
    if moves.empty:
        assert text.startswith("No customer changed"), text
        return
    phrases = {
        "moved": "moved to another class",
        "left": "left (active, then lapsed)",
        "returned": "came back (lapsed, then active)",
        "new": "are new",
        "gone": "are no longer in the file",
    }
    for change, words in phrases.items():
        n = int(by.get(change, 0))
        noun = "customer" if n == 1 else "customers"
        assert (f"{number(n)} {noun} {words}" in text) == (n > 0), (change, text)
        assert (words in text) == (n > 0), (change, text)
    if len(counts):
        top = counts.iloc[0]
        assert f"from {top['from']} to {top['to']}" in text and counts["customers"].max() == top["customers"]


@given(everyone=st.integers(0, 10_000), share=st.floats(0, 1), months=st.integers(1, 60))
def test_the_win_back_sentence_says_how_many_of_how_many(everyone, share, months):
    count = int(everyone * share)
    text = winback_sentence(count, everyone, months)
    if everyone == 0:
        assert text.startswith("No lapsed customer"), text
        return
    assert text.startswith(f"{number(count)} of the {number(everyone)} customer"), text
    assert f"last {number(months)} month{'' if months == 1 else 's'};" in text
