"""Sentences about the contact plans' prices, the simulator's verdict on them and last year's churn.

Each is a small pure function of the numbers it quotes (no user text), property-tested in
tests/pages/test_portfolio_verdict_text.py at both signs and at each threshold.
"""

from __future__ import annotations

from ui.shared.style import money, percent, points


def pricing_sentence(cls: str, cost: float, protected: float, currency: str, years: int) -> str:
    """Whether class ``cls``'s plan costs more than the value it can protect over ``years`` years."""
    over = f"over {years} year{'s' if years != 1 else ''}"
    if cost <= 0:
        return (
            f"**{cls}**: the plan has no contact, so it costs nothing; it could protect up to "
            f"{money(protected, currency)} {over}."
        )
    head = (
        f"**{cls}**: the plan costs {money(cost, currency)} {over} and can protect up to {money(protected, currency)}"
    )
    if cost > protected:
        return f"{head}: **it costs more than it can save**, by {money(cost - protected, currency)}."
    if cost == protected:
        return f"{head}: it costs as much as it can save."
    return f"{head}: it costs less than it can save, by {money(protected - cost, currency)}."


def split_sentence(plan_share: float, best_share: float, best_range: tuple[float, float]) -> str:
    """The simulator's best split of the plans' total against the plans' own split."""
    lo, hi = best_range
    noise = f" (anything from {percent(lo, 0)} to {percent(hi, 0)} is within noise)" if lo < hi else ""
    best = (
        f"The simulator's best split of the same total puts **{percent(best_share, 0)}** into acquisition{noise}; "
        f"your contact plans put {percent(plan_share, 0)}."
    )
    if lo <= plan_share <= hi:
        return f"{best} Your plans' split is within noise of the best."
    side = "acquisition" if best_share > plan_share else "retention"
    moved = abs(best_share - plan_share)
    amount = points(moved) if round(moved * 100) >= 1 else "less than one point"
    return f"{best} **Move {amount} to {side}** to reach the best."


def beats_sentence(p_beats: float, low: float, high: float, currency: str) -> str:
    """The chance the plan beats today's spend, and the range of the NPV difference."""
    if p_beats > 0.5:
        odds = "more likely than not to beat"
    elif p_beats < 0.5:
        odds = "more likely to fall short of"
    else:
        odds = "as likely to beat as to fall short of"
    return (
        f"Chance the plan beats today's spend: **{percent(p_beats, 0)}** of futures; it is {odds} today's spend. "
        f"The plan's NPV minus today's is {money(low, currency)} to {money(high, currency)} in 90 % of futures."
    )


def churn_check_sentence(left: int, customers: int, observed: float, low: float, high: float) -> str:
    """Where last year's observed churn lies against the simulated 90 % range."""
    if observed < low:
        where = "below the simulated range"
    elif observed > high:
        where = "above the simulated range"
    else:
        where = "inside the simulated range"
    return (
        f"Of the {customers:,} customers active a year ago, {left:,} left ({percent(observed)}); simulated from the "
        f"fits, {percent(low)} to {percent(high)} leave in 90 % of futures. Observed churn lies **{where}**."
    )
