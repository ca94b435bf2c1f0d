"""The Team game's sentences say what their numbers say, at both signs and at the thresholds (Hypothesis)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from simulation.game.debrief import UNSPENT, RoundAdvice
from simulation.game.firm import LEVERS
from simulation.game.market import Split
from tests.pages.markdown_reading import as_read, outside_code
from ui.game import text
from ui.shared import style

BUDGET = 60_000.0
amount = st.floats(0, BUDGET / 4, allow_nan=False).map(lambda x: round(x, 2))
splits = st.builds(Split, amount, amount, amount, amount)
values = st.floats(1e5, 1e8, allow_nan=False)
shares = st.fixed_dictionaries({k: st.floats(0, 0.25, allow_nan=False) for k in (*LEVERS, UNSPENT)})
NAMES = st.sampled_from(["North", "=1+1 [x](http://e.vil)", "`tick`", "A $5 team"])


@given(actual=splits, best=splits, value=values, gap=st.floats(0, 50_000, allow_nan=False), own=st.booleans())
@example(actual=Split(), best=Split(10_000), value=1e6, gap=0.01 * BUDGET, own=True)  # at the threshold
@example(actual=Split(), best=Split(10_000), value=1e6, gap=0.01 * BUDGET - 0.01, own=True)  # just below
@example(actual=Split(5_000), best=Split(5_000.4), value=1e6, gap=2_000, own=False)  # a change that reads as nothing
def test_the_advice_says_near_best_exactly_when_the_gap_is_under_a_point_of_the_budget(actual, best, value, gap, own):
    advice = RoundAdvice(round=2, actual=actual, best=best, actual_value=value - gap, best_value=value)
    read = as_read(text.advice_sentence(advice, BUDGET, "USD", own=own))
    assert ("your situation" in read) == own and ("its situation" in read) != own, read
    near = advice.gap < 0.01 * BUDGET
    assert ("as good as the best" in read) == near, read
    assert style.money(advice.gap, "USD") in read, f"the gap is quoted as shown: {read}"
    if near:
        return
    assert text.split_text(best, BUDGET, "USD") in read, "the best split is quoted in full"
    lever, change = text.largest_change(actual, best)
    shown = style.money(abs(change), "USD")
    if shown == style.money(0, "USD"):
        assert "largest change" not in read, f"no change is named when it reads as nothing: {read}"
    else:
        direction = "more" if change > 0 else "less"
        assert f"{shown} {direction} on {text.LEVER_WORDS[lever]}" in read, read
        diffs = [abs(getattr(best, k) - getattr(actual, k)) for k in LEVERS]
        assert abs(change) == max(diffs), "the named change is the largest"


@given(winner=shares, team=shares, names=st.tuples(NAMES, NAMES))
@example(winner=dict.fromkeys((*LEVERS, UNSPENT), 0.2), team=dict.fromkeys((*LEVERS, UNSPENT), 0.2), names=("A", "B"))
@example(winner={**dict.fromkeys(LEVERS, 0.2), UNSPENT: 0.204}, team={**dict.fromkeys(LEVERS, 0.2), UNSPENT: 0.196},
         names=("A", "B"))  # fmt: skip
def test_the_winner_sentence_names_the_largest_shown_difference(winner, team, names):
    winner_name, team_name = names
    markdown = text.winner_sentence(winner_name, team_name, winner, team)
    read = as_read(markdown)
    assert "http://e.vil" not in outside_code(markdown), "names reach Markdown only as code spans"
    if winner_name == team_name:
        assert "won" in read
        return
    shown = {k: text.shown_points(winner[k]) - text.shown_points(team[k]) for k in (*LEVERS, UNSPENT)}
    if all(v == 0 for v in shown.values()):
        assert "to the nearest point on every lever" in read, read
        return
    largest = max(abs(v) for v in shown.values())
    key, diff = text.largest_share_difference(winner, team)
    assert abs(diff) == largest and diff == shown[key]
    m = re.search(r"(\d+) points? (more|less) than", read)
    assert m and int(m[1]) == abs(diff) and (m[2] == "more") == (diff > 0), read
    assert f"({style.percent(team[key], 0)}" in read and style.percent(winner[key], 0) in read, read
    assert ("unspent" in read) == (key == UNSPENT), read


@given(
    equities=st.lists(st.tuples(NAMES, st.floats(-1e7, 1e8, allow_nan=False)), min_size=1, max_size=4),
)
@example(equities=[("A", 1_000_000.0), ("B", 999_999.0)])  # a lead that reads as nothing
@example(equities=[("A", 1_000_000.0), ("B", 990_000.0)])
def test_the_standing_names_the_leader_and_a_lead_as_shown(equities):
    equities = sorted(equities, key=lambda e: -e[1])
    markdown = text.standing_sentence(equities, "USD")
    read = as_read(markdown)
    assert "http://e.vil" not in outside_code(markdown)
    assert read.startswith(equities[0][0]), read
    if len(equities) == 1:
        return
    lead = style.money(equities[0][1] - equities[1][1], "USD")
    if lead == style.money(0, "USD"):
        assert "level" in read, read
    else:
        assert f"{lead} ahead of {equities[1][0]}" in read, read
