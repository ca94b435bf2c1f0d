"""The Optimise page's sentences: the answer, how sure it is, why, and what the tornado means."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.decide import FLAT_TOLERANCE, OBJECTIVES, SplitResult, Tornado
from ui.optimise.charts import lower_first
from ui.shared import precision, style
from ui.shared.safe_text import code


# Words ----------------------------------------------------------------------------------------
def pct(x: float) -> str:
    return style.percent(x, 0)


def span(lo: float, hi: float) -> str:
    """``between 55 % and 70 %``, or ``at 62 %`` when both round to the same percent."""
    return f"at {pct(lo)}" if round(lo * 100) == round(hi * 100) else f"between {pct(lo)} and {pct(hi)}"


def value_text(x: float | None, kind: str, currency: str) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return style.money(x, currency) if kind == "money" else style.percent(x, 0)


def signed_text(x: float | None, kind: str, currency: str) -> str | None:
    if x is None or not math.isfinite(x):
        return None
    sign = "+" if x >= 0 else "-"
    return sign + (style.money(abs(x), currency) if kind == "money" else f"{abs(x) * 100:.0f} pts")


def sweep_wait_text(seconds: float | None, grid: int, runs: int) -> str:
    """What the spinner says while the sweep runs: what is being done and, once the engine was timed, how long."""
    text = f"Trying {grid} splits and refining the best, each on the same {runs:,} simulated futures"
    if seconds is None or not math.isfinite(seconds):
        return text + "…"
    if seconds < 55:
        return text + f" (about {max(round(seconds), 1)} s)…"
    return text + f" (about {max(round(seconds / 60), 1)} min)…"


def answer_text(r: SplitResult) -> str:
    """The answer in plain words: the split, its range within noise, and what it means in money."""
    lo, hi = r.best_share_range
    if round(lo * 100) == round(hi * 100):
        noise = f"nothing outside {pct(lo)} is within noise"
    else:
        noise = f"anything from {pct(lo)} to {pct(hi)} is within noise"
    per, cur = r.period, r.currency
    budget = r.best_budget
    return (
        f"Put {pct(r.best_share)} of the budget into acquisition ({noise}): about "
        f"{style.money(budget.acquisition, cur)} per {per} on winning customers and "
        f"{style.money(budget.retention, cur)} on keeping them, out of {style.money(r.total, cur)}."
    )


def flat_text(r: SplitResult, kind: str) -> str:
    lo, hi = r.near_best_range
    obj = OBJECTIVES[r.objective]
    tolerance = f"{style.percent(FLAT_TOLERANCE, 0)} of the best" if kind == "money" else "1 point"
    which = f"only {pct(lo)} comes" if pct(lo) == pct(hi) else f"anything from {pct(lo)} to {pct(hi)} comes"
    return (
        f"How much the exact split matters: {which} within {tolerance} "
        f"{'on' if kind == 'money' else 'of'} {lower_first(obj.label)}."
    )


def plan_text(r: SplitResult, kind: str) -> str | None:
    """The plan's split against the best, stated as a gain only when it is beyond noise and material.

    The plan's split is evaluated on the same futures as the best, so its row of
    :attr:`SplitResult.points` holds the paired difference and its standard error; the
    wording follows :func:`ui.precision.closeness`, as on the Plan page.
    """
    if r.plan_share is None:
        return None
    apart = round(r.best_share * 100) - round(r.plan_share * 100)
    what = lower_first(OBJECTIVES[r.objective].label)
    row = r.points.loc[(r.points["acquisition_share"] - r.plan_share).abs() < 1e-9]
    se = float(row["diff_se"].iloc[0]) if len(row) else math.nan
    gain = float(r.best_minus_plan)
    verdict = precision.closeness(apart, gain, se, r.best_value, kind == "money")
    amount = value_text(abs(gain), kind, r.currency) if kind == "money" else f"{abs(gain) * 100:.1f} points"
    often = ""
    if r.p_best_beats_plan is not None:
        often = f", better in {pct(r.p_best_beats_plan)} of the simulated futures"
    if verdict == precision.SAME:
        return f"Your plan already puts {pct(r.plan_share)} into acquisition: it is the best split."
    if verdict == precision.NOISE:
        return (
            f"Your plan puts {pct(r.plan_share)} into acquisition: **within noise of the best**. The best split "
            f"differs by {amount} of {what}{often}, less than two standard errors of the difference."
        )
    if verdict == precision.IMMATERIAL:
        best = value_text(r.best_value, kind, r.currency) if kind == "money" else pct(r.best_value)
        return (
            f"Your plan puts {pct(r.plan_share)} into acquisition: **as good as the best in practice**. The best "
            f"split adds {amount} on {best} of {what}, under 1 %{often}."
        )
    return f"Your plan puts {pct(r.plan_share)} into acquisition; the best split adds {amount} of {what}{often}."


def returns_text(r: SplitResult) -> str:
    """Why: the next dollar on each side, and what that says about the split and the total."""
    m, cur = r.marginal, r.currency
    a, b = m.acquisition_return, m.retention_return
    unit = style.currency_symbol(cur).strip() or cur
    one = f"{unit}1"

    def back(x: float) -> str:
        return f"{unit}{x:.2f}"

    if m.corner is not None:
        kept, dropped = m.corner, "retention" if m.corner == "acquisition" else "acquisition"
        r_kept, r_dropped = (a, b) if kept == "acquisition" else (b, a)
        if r_dropped < r_kept:
            text = (
                f"All of it goes to {kept}: the next {one} on {dropped} would bring back {back(r_dropped)}, "
                f"less than {kept}'s {back(r_kept)}" + (", and less than it costs." if r_dropped < 1 else ".")
            )
        else:
            text = (
                f"All of it goes to {kept}, although the first {one} on {dropped} would bring back "
                f"{back(r_dropped)} against {kept}'s {back(r_kept)}. That return does not last: it falls "
                f"quickly after the first dollars (for example when the market runs out), which the simulation "
                "sees and this reading of the next dollar does not. The simulated answer stands."
            )
    else:
        text = (
            f"At the best split the next {one} brings back {back(a)} on acquisition and {back(b)} on retention. "
            "Under a fixed budget the best split is where the two are equal (the budget-constrained form of "
            "Blattberg and Deighton's customer equity test); the simulation balances them exactly, this reading "
            "of it approximately."
        )
        if a > 1 and b > 1:
            text += " Both return more than they cost, so a bigger budget would still pay (Pfeifer 2005)."
        elif a < 1 and b < 1:
            text += " Both return less than they cost: a smaller budget would do better (Pfeifer 2005)."
    return text


def points_text(points: float) -> str:
    """``at most 3 points``, ``at most 1 point``, ``less than a point``."""
    if points < 0.5:
        return "less than a point"
    return f"at most {points:.0f} point" + ("" if round(points) == 1 else "s")


def tornado_text(t: Tornado, obj, kind: str, currency: str) -> str:
    """What the tornado means for the decision: how far the best split moves and what keeping it would cost."""
    table = t.frame
    regrets = table[["regret_low", "regret_high"]].to_numpy()
    row_i, side_i = np.unravel_index(int(np.argmax(regrets)), regrets.shape)
    worst = float(regrets[row_i, side_i])
    shifts = (table[["best_share_low", "best_share_high"]] - t.base_share).abs().to_numpy()
    shift_points = float(shifts.max()) * 100
    what = lower_first(obj.label)
    small = FLAT_TOLERANCE * abs(t.base_value) if kind == "money" else FLAT_TOLERANCE
    if worst <= small:
        loss = value_text(worst, kind, currency) if kind == "money" else f"{worst * 100:.1f} points"
        return (
            f"**The recommended split holds up.** Moving any one assumption to its low or high value moves the "
            f"best split by {points_text(shift_points)}, and re-optimising would gain at most {loss} of "
            f"{what}. What moves the {what} most is {code(table.iloc[0]['assumption'])}."
        )
    row, side = table.iloc[row_i], ("low", "high")[side_i]
    loss = value_text(worst, kind, currency) if kind == "money" else f"{worst * 100:.0f} points"
    return (
        f"**The split depends on {code(row['assumption'])}.** At its {side} value ({row[side]}) the best split "
        f"would be {pct(row[f'best_share_{side}'])}, and keeping {pct(t.base_share)} would give up {loss} of {what}. "
        "Pin that assumption down before committing the budget."
    )


def noise_text(r: SplitResult) -> str:
    """What "within noise" means for this answer."""
    lo, hi = r.best_share_range
    head = (
        f"**Within noise.** Every split is run on the same {r.runs:,} simulated futures, so the difference "
        "between two splits is measured future by future. "
    )
    if round(lo * 100) != round(hi * 100):
        return head + (
            f"Splits from {pct(lo)} to {pct(hi)} are less than two standard errors of that difference below the "
            "best: more futures would be needed to tell them apart."
        )
    return head + (
        f"The splits within two standard errors of that difference all round to {pct(lo)}: with this "
        "many futures the best stands clear of its neighbours."
    )


def per_run_text(summary: dict) -> str:
    """How far each future's own best split spreads."""
    return (
        f"**Each future's own best split.** The middle half of the futures have their own best "
        f"{span(summary['p25'], summary['p75'])}, nine in ten {span(summary['p5'], summary['p95'])}. "
        "This spread comes from the assumptions you are unsure of and from luck; it is how much the best "
        "split could move once you know more, not noise in the answer."
    )


def budget_size_text(best_total: float, low: float, high: float, best_share: float, obj, currency: str, period: str):
    """Where more budget stops paying, or which way to widen the range; None for objectives that are not value."""
    if obj.metric not in ("npv", "customer_equity"):
        return None
    what, money = lower_first(obj.label), style.money(best_total, currency)
    if best_total >= high:
        return (
            f"The {what} still rises at the top of this range ({money} per {period}): a bigger budget would "
            "still pay. Widen the range to find where it stops."
        )
    if best_total <= low:
        return (
            f"The {what} is highest at the bottom of this range ({money} per {period}): the budget could be "
            "smaller. Lower the range to see how far."
        )
    return f"More budget stops paying at about **{money} per {period}** (best split there: {pct(best_share)})."


def target_flat_warning(r: SplitResult) -> str | None:
    """When every split reaches the target in every future, or in none, the split cannot matter."""
    values = r.points["value"].to_numpy()
    if r.objective != "target" or float(np.ptp(values)) != 0.0:
        return None
    reach = "every" if values[0] >= 1 else "no"
    return (
        f"The target is reached in {reach} simulated future at every split, so the split cannot change the "
        "chance of reaching it; the answer below is the split with the highest mean revenue. "
        + ("Raise the target to see a difference." if reach == "every" else "Lower the target.")
    )


def next_dollar_label(side: str, currency: str) -> str:
    return f"Next {style.currency_symbol(currency)}1,000 on {side}"


def next_dollar(r: SplitResult, side: str, horizon: int) -> tuple[str, str, str]:
    """What the next 1,000 buys on one side at the best split: the figure, its help, and its worth."""
    m, cur, sym = r.marginal, r.currency, style.currency_symbol(r.currency)
    worth = (
        f"gross profit within the {horizon}-{r.period} horizon"
        if m.horizon_only
        else "gross profit over the customer's life"
    )
    if side == "acquisition":
        value = f"{m.acquisition_units_per_1000:.3g} new customers"
        help_text = (
            "New customers the next 1,000 of acquisition spend per period brings, averaged over the horizon "
            "(acquisition costs more per customer as the market saturates)."
        )
        each, back = m.acquisition_value_per_unit, m.acquisition_return
    else:
        value = f"{m.retention_units_per_1000:.3g} churns prevented"
        help_text = "Customers kept who would have left, per 1,000 more retention spend per period."
        each, back = m.retention_value_per_unit, m.retention_return
    caption = f"Each worth {style.money(each, cur)} ({worth}): **{sym}{back:.2f} back per {sym}1 spent**."
    return value, help_text, caption


def tornado_table(table, kind: str, currency: str):
    """The tornado's rows as a person reads them."""
    return pd.DataFrame(
        {
            "Assumption": table["assumption"],
            "Low value": table["low"],
            "High value": table["high"],
            "Moved to": [b.replace("+-", "±") for b in table["basis"]],
            "Change at low": [signed_text(x, kind, currency) for x in table["delta_low"]],
            "Change at high": [signed_text(x, kind, currency) for x in table["delta_high"]],
            "Best split at low": [pct(x) for x in table["best_share_low"]],
            "Best split at high": [pct(x) for x in table["best_share_high"]],
        }
    )
