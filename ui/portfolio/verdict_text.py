"""Sentences about the contact plans' prices, the simulator's verdict on them (their programmes, the best split,
today's spend) and last year's churn.

Each is a small pure function of the numbers it quotes (no user text), property-tested in
tests/pages/test_portfolio_verdict_text.py at both signs and at each threshold.
"""

from __future__ import annotations

from ui.shared import precision
from ui.shared.style import money, percent, points

CENT = 0.005  # a plan within half a cent of the value it protects costs as much as it saves


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
    if abs(cost - protected) < CENT:
        return f"{head}: it costs as much as it can save."
    if cost > protected:
        return f"{head}: **it costs more than it can save**, by {money(cost - protected, currency)}."
    return f"{head}: it costs less than it can save, by {money(protected - cost, currency)}."


def split_sentence(
    plan_share: float,
    best_share: float,
    best_range: tuple[float, float],
    gain: float,
    gain_se: float,
    best_value: float,
    currency: str,
    core: float,
    period: str,
) -> str:
    """The simulator's best split of the acquisition and retention budgets (``core`` per ``period``) against the
    plans' own split, judged as the Plan page judges it (:func:`ui.shared.precision.closeness`: within noise,
    under 1 % of NPV, or a gain).

    ``gain`` is the best split's NPV minus the plans' (mean of the run-by-run difference), ``gain_se`` its
    standard error, ``best_value`` the best split's mean NPV.
    """
    lo, hi = best_range
    noise = f" (anything from {percent(lo, 0)} to {percent(hi, 0)} is within noise)" if lo < hi else ""
    head = (
        f"The simulator's best split of the acquisition and retention budgets ({money(core, currency)} per "
        f"{period}; the contact plans are programmes, outside it) puts **{percent(best_share, 0)}** into "
        f"acquisition{noise}; your plans put {percent(plan_share, 0)}."
    )
    apart = round(best_share * 100) - round(plan_share * 100)
    side = "acquisition" if apart > 0 else "retention"
    verdict = precision.closeness(apart, gain, gain_se, best_value, is_money=True)
    if verdict == precision.SAME:
        return f"{head} **Your plans' split is at the best.**"
    if verdict == precision.NOISE:
        return (
            f"{head} **Your plans' split is within noise of the best**: it differs by {money(gain, currency)} of NPV "
            "on average, less than the simulation can tell apart."
        )
    if verdict == precision.IMMATERIAL:
        return (
            f"{head} **Your plans' split is as good as the best in practice**: moving {points(abs(apart) / 100)} to "
            f"{side} adds {money(gain, currency)} of NPV on average, under 1 % of {money(best_value, currency)}."
        )
    return f"{head} **Move {points(abs(apart) / 100)} to {side}**: it adds {money(gain, currency)} of NPV on average."


def programmes_sentence(count: int, mean: float, low: float, high: float, better: int, runs: int, currency: str) -> str:
    """What the contact plans' ``count`` programmes together add to the plan: the mean and 90 % range of the
    plan's NPV with them minus without them, run by run on the same futures, and in how many of ``runs``
    futures it is higher (``better``). They pay when the mean is above zero and more than half the futures
    are better, as a programme does on the Plan page."""
    them = "its programme" if count == 1 else f"their {count:,} programmes"
    if money(abs(mean), currency) == money(0.0, currency):
        change = f"change the plan's NPV by less than {money(1.0, currency)} on average"
    elif mean > 0:
        change = f"add {money(mean, currency)} to the plan's NPV on average"
    else:
        change = f"take {money(-mean, currency)} off the plan's NPV on average"
    pays = mean > 0 and 2 * better > runs
    verdict = "**the contact plans pay**" if pays else "**the contact plans do not pay**"
    return (
        f"Run as {them}, the contact plans {change} against the same plan without them on the same futures (90 % "
        f"of futures between {money(low, currency)} and {money(high, currency)}); the plan does better with them "
        f"in {better:,} of {runs:,} futures: {verdict}."
    )


def beats_sentence(p_beats: float, low: float, high: float, currency: str) -> str:
    """The chance the plan beats today's spend on the levers (the Plan page's status quo, which runs the same
    programmes), and the range of the NPV difference."""
    shown = round(p_beats * 100)  # judged as shown, so "50 %" never reads as more likely than not
    if shown > 50:
        odds = "more likely than not to beat"
    elif shown < 50:
        odds = "more likely to fall short of"
    else:
        odds = "as likely to beat as to fall short of"
    return (
        f"Chance the plan beats today's spend: **{percent(p_beats, 0)}** of futures; it is {odds} today's spend. "
        f"The plan's NPV minus today's is {money(low, currency)} to {money(high, currency)} in 90 % of futures "
        "(its campaigns against none, both with the programmes, as on the Plan page)."
    )


def churn_check_sentence(left: int, customers: int, observed: float, low: float, high: float) -> str:
    """Where last year's observed churn lies against the simulated 90 % range."""
    shown = [round(x * 1000) for x in (observed, low, high)]  # judged as shown, to a tenth of a point
    if shown[0] < shown[1]:
        where = "below the simulated range"
    elif shown[0] > shown[2]:
        where = "above the simulated range"
    else:
        where = "inside the simulated range"
    return (
        f"Of the {customers:,} customers active a year ago, {left:,} left ({percent(observed)}); simulated from the "
        f"fits, {percent(low)} to {percent(high)} leave in 90 % of futures. Observed churn lies **{where}**."
    )
