"""The Team game's sentences about numbers, each a function of the numbers it quotes.

Amounts are compared as they are shown (:func:`ui.shared.style.money`), so a sentence never says
"more" of two amounts that read the same. Team names are user text: they reach these sentences only
as code spans (:func:`ui.shared.safe_text.code`), which Markdown shows as typed.
"""

from __future__ import annotations

from simulation.game.debrief import UNSPENT, RoundAdvice
from simulation.game.firm import LEVERS
from simulation.game.market import Split
from ui.shared import style
from ui.shared.safe_text import code, literal

LEVER_WORDS = {"acquisition": "acquisition", "retention": "retention", "expansion": "expansion", "winback": "win-back"}
# A split whose expected customer equity is within this share of the round's budget of the best is
# "as good as the best": a difference smaller than 1 % of what the team spends is not worth a change.
NEAR_BEST_SHARE = 0.01


def split_text(split: Split, budget: float, currency: str) -> str:
    """``$30.0k acquisition, $20.0k retention, $0 expansion, $10.0k win-back`` (and what is left unspent)."""
    parts = [f"{style.money(getattr(split, k), currency)} {LEVER_WORDS[k]}" for k in LEVERS]
    left = budget - split.total
    if style.money(left, currency) != style.money(0, currency):
        parts.append(f"{style.money(left, currency)} unspent")
    return ", ".join(parts)


def largest_change(actual: Split, best: Split) -> tuple[str, float]:
    """The lever whose amount the best split changes most, and by how much (positive: spend more)."""
    diffs = {k: getattr(best, k) - getattr(actual, k) for k in LEVERS}
    key = max(LEVERS, key=lambda k: (abs(diffs[k]), -LEVERS.index(k)))
    return key, diffs[key]


def is_near_best(advice: RoundAdvice, budget: float) -> bool:
    return advice.gap < NEAR_BEST_SHARE * budget


def advice_sentence(advice: RoundAdvice, budget: float, currency: str, own: bool = True) -> str:
    """What the best split for the round's situation was, and what it would have added (Markdown).

    ``own``: spoken to the team ("your split"), else about it ("the team's split", for the trainer).
    """
    gap = style.money(advice.gap, currency)
    yours, situation = ("your split", "your situation") if own else ("the team's split", "its situation")
    if is_near_best(advice, budget):
        return literal(
            f"Round {advice.round}: {yours} was as good as the best for {situation} "
            f"(within {gap} of expected customer equity, under {style.percent(NEAR_BEST_SHARE, 0)} of the budget)."
        )
    lever, change = largest_change(advice.actual, advice.best)
    amount = style.money(abs(change), currency)
    direction = "more" if change > 0 else "less"
    change_text = (
        f" The largest change: {amount} {direction} on {LEVER_WORDS[lever]}."
        if amount != style.money(0, currency)
        else ""
    )
    return literal(
        f"Round {advice.round}: the best split for {situation} was "
        f"{split_text(advice.best, budget, currency)}; it would have added {gap} of expected customer equity "
        f"({style.percent(advice.gap / budget)} of the round's budget).{change_text}"
    )


def shown_points(share: float) -> int:
    """A share as the whole percentage the sentences show (``0.404`` -> 40)."""
    return int(style.percent(share, 0).split()[0])


def largest_share_difference(winner: dict[str, float], team: dict[str, float]) -> tuple[str, int]:
    """The lever (or unspent) where the shown shares differ most, and the winner's minus the team's, in points."""
    keys = (*LEVERS, UNSPENT)
    diffs = {k: shown_points(winner[k]) - shown_points(team[k]) for k in keys}
    key = max(keys, key=lambda k: (abs(diffs[k]), -keys.index(k)))
    return key, diffs[key]


def winner_sentence(winner: str, team: str, winner_shares: dict[str, float], team_shares: dict[str, float]) -> str:
    """How the winner's average split differed most from ``team``'s (Markdown; names as code spans).

    ``winner == team`` says the team won. Shares are averages over the rounds of each lever's share of
    the budget (and the share left unspent), compared as shown, to the nearest point.
    """
    if winner == team:
        return f"{code(team)} won: the highest customer equity at the end of the game."
    key, diff = largest_share_difference(winner_shares, team_shares)
    if diff == 0:
        return (
            f"The winner, {code(winner)}, split its budget as {code(team)} did on average, "
            "to the nearest point on every lever."
        )
    share = style.percent(winner_shares[key], 0)
    what = (
        f"left {share} of its budget unspent"
        if key == UNSPENT
        else f"put {share} of its budget into {LEVER_WORDS[key]}"
    )
    return (
        f"The winner, {code(winner)}, {literal(what)} on average: {literal(style.points(abs(diff) / 100))} "
        f"{'more' if diff > 0 else 'less'} than {code(team)} ({literal(style.percent(team_shares[key], 0))}), "
        "the largest difference between their splits."
    )


def standing_sentence(equities: list[tuple[str, float]], currency: str) -> str:
    """Who leads and by how much (Markdown; names as code spans); ``equities`` best first."""
    (first, top), *rest = equities
    if not rest:
        return f"{code(first)} has {literal(style.money(top, currency))} of customer equity."
    second, runner = rest[0]
    lead = style.money(top - runner, currency)
    if lead == style.money(0, currency):
        return (
            f"{code(first)} and {code(second)} are level at {literal(style.money(top, currency))} of customer equity."
        )
    return (
        f"{code(first)} leads with {literal(style.money(top, currency))} of customer equity, "
        f"{literal(lead)} ahead of {code(second)}."
    )
