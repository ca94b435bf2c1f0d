"""The Plan page's sentences, in business words, as plain functions (unit-tested as text).

Nothing here calls Streamlit: each function takes figures and returns the text a person reads.
Text that comes from a user (a segment's name, a typed value, a message quoting them) goes into
these sentences only as a code span (:func:`ui.safe_text.code`), which shows it literally.
"""

from __future__ import annotations

import math
import re

import numpy as np

from simulation import Budget, Scenario, ScenarioError
from simulation.decide import BudgetSize, SplitResult
from simulation.decide.seek import SeekResult
from simulation.errors import InputError
from simulation.model import edits
from simulation.model.distributions import central
from simulation.model.fields import FIELD_LABELS
from simulation.model.figures import FIGURES
from ui.shared import precision, style
from ui.shared.figure_text import kpi_text
from ui.shared.safe_text import code

WORKING_OUT = "Working out the best split for this budget…"
# Above this share of what a lever can deliver per period, its ceiling, not its cost, sets the split.
SATURATED = 0.8


# Small words ----------------------------------------------------------------------------------
def spend(b: Budget, cur: str, per: str) -> str:
    """A budget in words: ``$200k per month (acquisition $185k, retention $15.0k)``."""
    parts = [f"acquisition {style.money(b.acquisition, cur)}", f"retention {style.money(b.retention, cur)}"]
    parts += [f"{name} {style.money(v, cur)}" for name, v in (("expansion", b.expansion), ("win-back", b.winback)) if v]
    return f"{style.money(b.total, cur)} per {per} ({', '.join(parts)})"


def intro(s: Scenario) -> str:
    """The scenario in one line, then the plan and the status quo."""
    customers = sum(seg.customers for seg in s.segments)
    n = len(s.segments)
    return (
        f"{style.number(customers)} customers in {n} segment{'s' * (n != 1)} · {s.horizon} {s.period}s ahead · "
        f"{s.simulation.runs:,} simulated futures  \n"
        f"**Plan:** {spend(s.budget, s.currency, s.period)} · "
        f"**Status quo:** {spend(s.baseline, s.currency, s.period)}"
    )


def multiplier_caption(s: Scenario, mc) -> str:
    """Under the multiplier: the file's central value and which, the researched range, costs in money."""
    lo_r, hi_r = edits.RESEARCH_MULTIPLIER
    now = mc.value
    badge = (
        f":green-badge[within the researched {lo_r:.0f}–{hi_r:.0f}× range]"
        if lo_r <= now <= hi_r
        else f":orange-badge[outside the researched {lo_r:.0f}–{hi_r:.0f}× range]"
    )
    stated = f"The scenario says {mc.range_text}."
    if mc.which == "mean" and s.acquisition.cost_per_customer is not None:
        stated = f"The scenario's cost per new customer is {mc.range_text} a save."
    return (
        f"{badge} {stated} A new customer costs about {style.money(s.cac_central, s.currency)}, "
        f"preventing a churn about {style.money(central(s.retention.cost_per_save), s.currency)}."
    )


# Messages -------------------------------------------------------------------------------------
class ControlError(ValueError):
    """A typed value a control cannot take; the message says, in words, what is allowed."""


CONTROL_NAMES = {
    "plan_total": "The total budget",
    "plan_status_quo_total": "The status quo's budget",
    "plan_split": "The split",
    "plan_multiplier": "The acquisition cost",
    "plan_churn": "Churn",
    "plan_revenue": "Revenue per customer",
    "plan_upsell": "The upsell rate",
}


def _who(path: str, s: Scenario) -> str:
    """A problem's field for a person: ``segments[1].churn`` is ``churn of segment Core``."""
    m = re.match(r"segments(?:\[(\d+)\])?\.?([a-z_]*)", path)
    if m and path.startswith("segments"):
        field = FIELD_LABELS.get(m[2], m[2].replace("_", " ")).lower()
        if m[1] is not None and int(m[1]) < len(s.segments):
            return f"{field} of segment {code(s.segments[int(m[1])].name)}"
        return f"{field} of a segment"
    return FIELD_LABELS.get(path, path.replace("_", " ").replace(".", " ")).lower()


def control_problem(key: str, value, exc: Exception, s: Scenario) -> str:
    """Why a control's value was not applied, in business words (no field paths)."""
    what = CONTROL_NAMES.get(key, "The value")
    head = f"**{what} was not changed.**"
    if isinstance(exc, ControlError):
        return f"{head} {code(value)}: {exc}."
    if isinstance(exc, ValueError) and not isinstance(exc, InputError):
        return f"{head} {code(value)} is not an amount: type it as 250,000, 250k or 1.5M."
    if key in ("plan_total", "plan_status_quo_total"):
        fixed = edits.fixed_spend(s.budget if key == "plan_total" else s.baseline)
        return (
            f"{head} The total must at least cover expansion and win-back "
            f"({style.money(fixed, s.currency)} per {s.period}); change those in All assumptions."
        )
    if isinstance(exc, ScenarioError):
        fields = sorted({_who(path, s) for path, _ in exc.problems})
        return (
            f"{head} With that value the {', '.join(fields)} would leave the range the model allows "
            "(for example a churn of 100 % or more, or a negative revenue). The scenario is as it was."
        )
    return f"{head} {code(exc)}"


def lever_fill(units_per_1000: float, unit_cost: float) -> float:
    """How far a lever is along its saturating response, from its marginal yield.

    With ``units = C (1 - exp(-spend / (C m)))`` the next 1,000 buys ``1000 exp(-x) / m``
    units, so the share of the ceiling reached, ``1 - exp(-x)``, is
    ``1 - units_per_1000 * m / 1000``.
    """
    if not (math.isfinite(units_per_1000) and math.isfinite(unit_cost)) or unit_cost <= 0:
        return math.nan
    return float(min(max(1.0 - units_per_1000 * unit_cost / 1000.0, 0.0), 1.0))


def _return(x: float, cur: str) -> str:
    symbol = style.currency_symbol(cur)
    return "—" if not math.isfinite(x) else f"{symbol}{x:,.2f}"


def _shown(x: float) -> float:
    """A return as the sentence shows it (to the cent), so what the sentence says holds of what it shows."""
    return round(x, 2)


def returns_clause(acquisition: float, retention: float, cur: str) -> str:
    """What the next unit buys on each side, and which side is better, true of the returns as shown.

    A side "pays for itself" when its return, to the cent, is at least 1: the next unit brings
    back at least what it costs. Equal returns (to the cent) are called the same.
    """
    symbol = style.currency_symbol(cur)
    returns = (
        f"the next {symbol}1 returns {_return(acquisition, cur)} in acquisition "
        f"and {_return(retention, cur)} in retention"
    )
    a, r = _shown(acquisition), _shown(retention)
    if not (math.isfinite(acquisition) and math.isfinite(retention)):
        return returns
    if a == r:
        return f"{returns}, the same on either side"
    better = "acquisition" if a > r else "retention"
    if min(a, r) >= 1:
        return f"{returns}, so {better} pays more"
    if max(a, r) < 1:
        return f"{returns}: neither pays for itself, {better} loses less"
    return f"{returns}: only {better} pays for itself"


def why_text(best: SplitResult, s: Scenario) -> str:
    """Why the best split is where it is: a lever at its limit, and what the next unit buys on each side."""
    m, per = best.marginal, s.period
    retention = lever_fill(m.retention_units_per_1000, central(s.retention.cost_per_save))
    acquisition = lever_fill(m.acquisition_units_per_1000, s.cac_central)
    where = {
        "retention": "with the whole budget in retention",
        "acquisition": "with the whole budget in acquisition",
    }.get(m.corner, "at this split")
    limit = ""
    if math.isfinite(retention) and retention >= SATURATED:
        limit = (
            f"retention is funded to {style.percent(retention, 0)} of what it can do "
            "(the churners it can reach are the limit); "
        )
    elif math.isfinite(acquisition) and acquisition >= SATURATED:
        limit = (
            f"acquisition brings in {style.percent(acquisition, 0)} of the new customers it can per {per} "
            "(the market is the limit); "
        )
    return f"Why: {limit}{where}, {returns_clause(m.acquisition_return, m.retention_return, s.currency)}."


def spend_less(best: SplitResult) -> bool:
    """Whether the next unit returns less than it costs on both sides at the best split (as shown, to the cent)."""
    m = best.marginal
    return max(_shown(m.acquisition_return), _shown(m.retention_return)) < 1


def budget_text(best: SplitResult, size: BudgetSize | None, s: Scenario) -> str | None:
    """Whether the budget's size is right, from the returns at the best split (None when one side pays and one not).

    Below one on both sides (as shown), spending less raises NPV: ``size`` (the search over smaller
    budgets on the same futures; None while it is being worked out) says how much less and what
    that is worth, stated as a gain only when it is beyond noise and material
    (:func:`ui.shared.precision.closeness`). At or above one on both sides, more budget pays.
    """
    m, cur, per = best.marginal, s.currency, s.period
    a, r = _shown(m.acquisition_return), _shown(m.retention_return)
    returns = returns_clause(m.acquisition_return, m.retention_return, cur)
    if not (math.isfinite(a) and math.isfinite(r)):
        return None
    if min(a, r) >= 1:
        return (
            f"**More budget would pay**: at the best split {returns}. The Optimise page's budget map shows "
            "where more stops paying."
        )
    if max(a, r) >= 1:
        return None
    head = f"**Spend less**: at the best split {returns}."
    if size is None:
        return f"{head} How much less is being worked out."
    cut_text = f"{style.money(size.best_total, cur)} per {per} for acquisition and retention"
    verdict_ = precision.closeness(
        0 if size.best_total == size.total else 1, size.mean_gain, size.se, size.best_value, is_money=True
    )
    if verdict_ == precision.SAME:
        return f"{head} Yet no smaller budget did better on these {size.gain.size:,} futures."
    if verdict_ == precision.NOISE:
        return (
            f"{head} Cutting to {cut_text} changes NPV by {style.money(size.mean_gain, cur)} on average, "
            "less than the simulation can tell apart."
        )
    if verdict_ == precision.IMMATERIAL:
        return (
            f"{head} Cutting to {cut_text} adds {style.money(size.mean_gain, cur)} of NPV on average, under 1 % "
            f"of {style.money(size.best_value, cur)}."
        )
    return (
        f"{head} **At {cut_text}** ({style.percent(size.cut, 0)} less than {style.money(size.total, cur)}) NPV is "
        f"higher by **{style.money(size.mean_gain, cur)}** on average "
        f"(± {style.money(precision.NOISE_Z * size.se, cur)}), better in {pct(size.p_better)} of "
        f"{size.gain.size:,} futures."
    )


def recommendation(best: SplitResult, plan_share: float, gain: np.ndarray, s: Scenario) -> str:
    """The best split for NPV, how the plan compares with it, and why, in one paragraph.

    ``gain`` is the best split's NPV minus the plan's, run by run on the same futures. A
    difference is stated as a gain only when it is beyond noise and material
    (:func:`ui.precision.closeness`).
    """
    cur = s.currency
    lo, hi = best.best_share_range
    noise = f" (anything from {pct(lo)} to {pct(hi)} is within noise)" if round(lo * 100) != round(hi * 100) else ""
    best_words = f"The best split for NPV puts **{pct(best.best_share)}** of the budget into acquisition{noise}."
    gain = np.asarray(gain, dtype=float)
    gain = gain[np.isfinite(gain)]
    mean = float(gain.mean()) if gain.size else 0.0
    se = float(gain.std(ddof=1) / math.sqrt(gain.size)) if gain.size > 1 else math.inf
    apart = round(best.best_share * 100) - round(plan_share * 100)
    verdict_ = precision.closeness(apart, mean, se, best.best_value, is_money=True)
    better = float(np.mean(gain > 0)) if gain.size else math.nan
    if verdict_ == precision.SAME:
        compare = f"**Your plan ({pct(plan_share)}) is at the best split.**"
    elif verdict_ == precision.NOISE:
        compare = (
            f"**Your plan ({pct(plan_share)}) is within noise of the best**: the best differs from it by "
            f"{style.money(mean, cur)} of NPV on average, less than the simulation can tell apart."
        )
    elif verdict_ == precision.IMMATERIAL:
        side = "acquisition" if apart > 0 else "retention"
        compare = (
            f"**Your plan ({pct(plan_share)}) is as good as the best in practice**: moving "
            f"{style.points(apart / 100)} to {side} adds {style.money(mean, cur)} of NPV on average, under 1 % of "
            f"{style.money(best.best_value, cur)}, and does better in only {pct(better)} of futures."
        )
    else:
        side = "acquisition" if apart > 0 else "retention"
        compare = (
            f"**Moving {style.points(apart / 100)} to {side} adds {style.money(mean, cur)} NPV** on average "
            f"(± {style.money(precision.NOISE_Z * se, cur)}), better in {pct(better)} of {gain.size:,} futures."
        )
    return f"{compare} {best_words} {why_text(best, s)}"


def pct(x: float) -> str:
    return style.percent(x, 0)


def loss_text(gain: np.ndarray, cur: str) -> str:
    """The chance the plan loses against the status quo, and how much it loses in the worst twentieth."""
    gain = np.asarray(gain, dtype=float)
    gain = gain[np.isfinite(gain)]
    if not gain.size:
        return "No future could be compared."
    p_loss = float(np.mean(gain < 0))
    if p_loss == 0:
        return f"The plan does at least as well as the status quo in all {gain.size:,} futures."
    worst = float(np.percentile(gain, 5))
    tail = f"; in the worst 5 % of futures it is {style.money(-worst, cur)} or more behind" if worst < 0 else ""
    return f"Chance of a loss against the status quo: **{style.percent(p_loss, 0)}**{tail}."


# The outcome view -----------------------------------------------------------------------------
def gain_bins(gain: np.ndarray, bins: int = 30) -> list[dict]:
    """A histogram of the plan's NPV gain over the status quo: ``start, end, share, side`` per bin.

    Bins never straddle zero, so a bar is a gain or a loss; ``share`` is the share of futures.
    """
    gain = np.asarray(gain, dtype=float)
    gain = gain[np.isfinite(gain)]
    if not gain.size:
        return []
    lo, hi = float(gain.min()), float(gain.max())
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi), 1.0):
        width = max(abs(lo) * 0.01, 1.0)
        edges = np.array([lo - width / 2, lo + width / 2])
    elif lo < 0 < hi:
        # edges at whole multiples of the width, so zero is an edge and no bin holds both gains and losses
        width = (hi - lo) / bins
        edges = np.arange(math.floor(lo / width), math.ceil(hi / width) + 1) * width
    else:
        edges = np.linspace(lo, hi, bins + 1)
    counts, edges = np.histogram(gain, bins=edges)
    rows = []
    for a, b, n in zip(edges[:-1], edges[1:], counts, strict=True):
        rows.append({"start": float(a), "end": float(b), "share": n / gain.size, "side": "Loss" if a < 0 else "Gain"})
    return rows


# What does it take --------------------------------------------------------------------------------
def seek_setting(solve: str, x: float, s: Scenario, programme: str | None = None) -> str:
    """A setting of the goal seek as people read it: a budget per period, a change to churn or prices, or
    a programme's effect on its customers' churn (``x`` = its churn multiplier less 1)."""
    if solve == "total_budget":
        return f"an acquisition + retention budget of {style.money(x, s.currency)} per {s.period}"
    if solve == "programme_effect":
        name = code(programme or "")
        if round(abs(x) * 1000) == 0:
            return f"programme {name} leaving its customers' churn as it is"
        direction = "lower" if x < 0 else "higher"
        return f"programme {name} making its customers' churn {direction} by {style.percent(abs(x), 1)}"
    noun = "churn" if solve == "churn_change" else "prices"
    if round(abs(x) * 1000) == 0:
        return f"{noun} as they are"
    return f"{noun} {'lower' if x < 0 else 'higher'} by {style.percent(abs(x), 1)}"


def _in_sentence(label: str) -> str:
    """A figure's label inside a sentence: ``revenue in month 60``, but ``NPV of contribution`` keeps its capitals."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def seek_text(r: SeekResult, s: Scenario) -> str:
    """The goal seek's answer in words, true of the result it quotes: reached or not, its range, today against it."""
    goal = (
        f"{_in_sentence(FIGURES[r.target].label_for(s))} of at least "
        f"{kpi_text(r.target, r.level, s)} in {pct(r.confidence)} of futures"
    )
    split = " (at today's split)" if r.solve == "total_budget" else ""
    if not r.reachable:
        return (
            f"**Out of reach**: nothing in the range searched gives {goal}. The most reached in "
            f"{pct(r.confidence)} of futures is {kpi_text(r.target, r.best_level, s)}, with "
            f"{seek_setting(r.solve, r.value, s, r.programme)}{split}."
        )
    if r.solve != "total_budget" and round(abs(r.value - r.current) * 1000) == 0:
        today = seek_setting(r.solve, r.current, s, r.programme)
        return f"**Nothing to change**: with {today} the plan already gives {goal}."
    band = ""
    low, high = (seek_setting(r.solve, x, s, r.programme) if x is not None else None for x in (r.low, r.high))
    if low is not None and high is not None and low != high:
        band = f" (anything from {low} to {high} is within the simulation's noise)"
    if r.solve == "total_budget":
        enough = "is enough" if r.value <= r.current else "is not enough"
        today = f" Today's {style.money(r.current, s.currency)} per {s.period} {enough}."
    elif r.solve == "programme_effect":
        today = f" The scenario assumes {seek_setting(r.solve, r.current, s, r.programme)}."
    else:
        today = ""
    return f"**It takes {seek_setting(r.solve, r.value, s, r.programme)}**{split} to reach {goal}{band}.{today}"


# Against actuals ----------------------------------------------------------------------------------
def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def coverage_text(tracking, period: str) -> str:
    """How many actuals landed inside the forecast's bands, counted as the table shows them."""
    rows = tracking.rows
    n = len(rows)
    inside_90 = int(((rows["actual"] >= rows["p5"]) & (rows["actual"] <= rows["p95"])).sum())
    inside_50 = int(((rows["actual"] >= rows["p25"]) & (rows["actual"] <= rows["p75"])).sum())
    return (
        f"**{inside_90} of {_count(n, 'actual')} inside the 90 % band** and {inside_50} inside the 50 % band "
        f"(a right forecast holds about nine in ten and half). Each actual's percentile says where it landed "
        "among the simulated futures (50 % is the median)."
    )


def landed_text(name: str, rows, period: str) -> str:
    """One metric's actuals against the forecast: inside the 90 % band, and above or below the median."""
    n = len(rows)
    inside = int(((rows["actual"] >= rows["p5"]) & (rows["actual"] <= rows["p95"])).sum())
    below = int((rows["actual"] < rows["p50"]).sum())
    above = int((rows["actual"] > rows["p50"]).sum())
    at = n - below - above
    if below == n:
        side = f"below the median every {period}"
    elif above == n:
        side = f"above the median every {period}"
    elif at == n:
        side = f"at the median every {period}"
    else:
        side = f"below the median in {below} and above it in {above}" + (f", at it in {at}" if at else "")
    return f"**{name}**: {inside} of {_count(n, period)} inside the 90 % band; {side}."


def refit_text(fit, period: str) -> str:
    """What the actuals say about churn: the refitted multiplier, its interval, and whether it differs from the plan."""
    shown = f"{fit.multiplier:.2f}×"
    band = f"{fit.low:.2f}× to {fit.high:.2f}×"
    if fit.low <= 1 <= fit.high:
        verdict_ = "the plan's churn is within it"
    elif fit.low > 1:
        verdict_ = "churn runs higher than planned"
    else:
        verdict_ = "churn runs lower than planned"
    return (
        f"**Churn, refitted from {_count(fit.periods, period)} of actuals: {shown} the plan's** "
        f"(90 % interval {band}); {verdict_}. The re-forecast runs the rest of the horizon from the last "
        "reported customers with that churn."
    )


def score_text(tracking, names: dict, currency: str) -> str | None:
    """How good the forecast was, per metric: its CRPS against the naive "same as last period" forecast's.

    ``names`` maps a metric to ``(name, kind)``. "Better" or "worse" is said of the scores as shown;
    equal as shown is "as good as". None when no metric could be scored.
    """
    parts = []
    for metric, ours in tracking.crps.items():
        naive = tracking.crps_naive.get(metric)
        if naive is None:
            continue
        name, kind = names[metric]
        a, b = (style.money(x, currency) if kind == "money" else style.plain(x) for x in (ours, naive))
        verdict_ = "as good as" if a == b else ("better than" if ours < naive else "worse than")
        parts.append(f"{name.lower()} {a} against {b}, {verdict_} the naive forecast")
    if not parts:
        return None
    return (
        "**How good the forecast was** (the continuous ranked probability score, lower is better, against the "
        f"naive forecast \"the same as last period\"): {'; '.join(parts)}."
    )
