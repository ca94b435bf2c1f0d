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
from simulation.decide import SplitResult
from simulation.errors import InputError
from simulation.model import edits
from simulation.model.distributions import central
from simulation.model.fields import FIELD_LABELS
from ui.shared import precision, style
from ui.shared.safe_text import code

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
    if mc.range_text:
        stated = f"The scenario says {now:g}× (the {mc.which} of {mc.range_text})."
    elif mc.which == "mean":
        stated = f"The scenario's cost per new customer is {now:.1f}× a save, on average."
    else:
        stated = f"The scenario says {now:g}×."
    return (
        f"{badge} {stated} A new customer costs about {style.money(s.cac_central, s.currency)}, "
        f"preventing a churn about {style.money(central(s.retention.cost_per_save), s.currency)}."
    )


# Messages -------------------------------------------------------------------------------------
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


def why_text(best: SplitResult, s: Scenario) -> str:
    """Why the best split is where it is, from the optimiser's marginal returns at it."""
    m, cur, per = best.marginal, s.currency, s.period
    retention = lever_fill(m.retention_units_per_1000, central(s.retention.cost_per_save))
    acquisition = lever_fill(m.acquisition_units_per_1000, s.cac_central)
    returns = (
        f"the next {style.currency_symbol(cur)}1 returns {_return(m.acquisition_return, cur)} in acquisition "
        f"and {_return(m.retention_return, cur)} in retention"
    )
    if m.corner == "retention":
        return f"Why: even with the whole budget in retention, {returns}, so none of it goes to acquisition."
    if m.corner == "acquisition":
        return f"Why: even with the whole budget in acquisition, {returns}, so none of it goes to retention."
    if math.isfinite(retention) and retention >= SATURATED:
        return (
            f"Why: retention is funded to {style.percent(retention, 0)} of what it can do: the churners it can "
            f"reach are the limit; the rest pays more in acquisition ({returns})."
        )
    if math.isfinite(acquisition) and acquisition >= SATURATED:
        return (
            f"Why: acquisition brings in {style.percent(acquisition, 0)} of the new customers it can per {per}: "
            f"the market is the limit; the rest pays more in keeping customers ({returns})."
        )
    return f"Why: at this split {returns}: moving more either way buys less than it gives up."


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
