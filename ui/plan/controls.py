"""The Plan page's controls: the scenario pickers, the plan (total and split) and the customers.

Each control shows the session's scenario and writes a change back through
:mod:`simulation.model.edits`. The controls are written from the scenario only when the
scenario changed from elsewhere (an example, a file, the editor, a link, the Optimise
page): rewriting them on every run would send the server's value back to the browser and
overwrite key presses made while the page was recomputing.

Every control offers only values it can apply: the multiplier's ends follow the
scenario's range, churn and upsell stop where a segment's range would leave its bounds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import streamlit as st

from simulation import Scenario
from simulation.errors import InputError
from simulation.model import edits
from simulation.model.distributions import Distribution, central
from simulation.model.scenario import Acquisition, Segment, bounds_of
from ui.plan import text as plan_text
from ui.plan.text import ControlError
from ui.plan.upload import read_upload
from ui.shared import cache, state, style
from ui.shared.assumption_text import multiplier_text, stated_multiplier

K_PRESET, K_UPLOAD, K_UPLOADS = "plan_preset", "plan_upload", "_plan_uploads"
K_TOTAL, K_SPLIT, K_MULT = "plan_total", "plan_split", "plan_multiplier"
K_BASE = "plan_status_quo_total"
K_CHURN, K_REVENUE, K_UPSELL = "plan_churn", "plan_revenue", "plan_upsell"
K_SHOWN = "_plan_controls_show"  # the scenario the controls were last written from
K_SHARES = "_plan_last_shares"  # the last acquisition share the plan and the status quo each had
CONTROL_KEYS = (K_TOTAL, K_BASE, K_SPLIT, K_MULT, K_CHURN, K_REVENUE, K_UPSELL)
SPLIT_LABEL = "Acquisition share of the budget"
MULT_LABEL = "Acquiring a customer costs N× retaining one"
MULT_STEP = 0.1
# The control allows up to 50x, the range people discuss; files may go up to the schema's 100.
MULTIPLIER_CONTROL_MAX = 50.0
# Below the top of a rate's valid range: a churn of exactly 100 % is not allowed (open bound).
RATE_MARGIN = 0.999


# Pure helpers ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MultiplierControl:
    """What the cost-multiplier slider offers for one scenario.

    ``value`` is the central value the file states (``which`` says which: the mode of a
    triangular range, the midpoint of a uniform one, the mean of a normal one, or the
    number itself; ``range_text`` says it in words, as every page and file does);
    ``low`` and ``high`` are the ends the slider offers, chosen so that a scaled range
    stays inside the schema's bounds; ``per_stated`` converts the stated value into the
    mean the model's edit scales by.
    """

    value: float
    low: float
    high: float
    which: str
    range_text: str
    per_stated: float


def multiplier_control(s: Scenario) -> MultiplierControl:
    """The multiplier slider's value and ends for ``s`` (see :class:`MultiplierControl`)."""
    bounds = bounds_of(Acquisition, "cost_multiplier")
    mean = edits.cost_multiplier(s)
    param = s.acquisition.cost_multiplier if s.acquisition.cost_per_customer is None else None
    stated = stated_multiplier(s)
    value, which, rng = stated.value, stated.which, multiplier_text(s)
    if param is None:
        # a CAC given in money (or nothing given): the multiple is the mean CAC over the mean save cost
        lo_factor, hi_factor = 0.0, math.inf
    else:
        lo_factor, hi_factor = 0.0, math.inf
        if isinstance(param, Distribution):
            ends = [v for k, v in param.as_dict().items() if k in ("low", "high", "mean")]
            lo_end, hi_end = min(ends), max(ends)
            # scaling by f keeps the range valid while lo_end * f >= bound and hi_end * f <= bound
            lo_factor = bounds.lo / lo_end if lo_end > 0 else 0.0
            hi_factor = bounds.hi / hi_end if hi_end > 0 else math.inf
        else:
            lo_factor, hi_factor = bounds.lo / value, bounds.hi / value
    low = max(float(bounds.lo), value * lo_factor)
    high = min(MULTIPLIER_CONTROL_MAX, value * hi_factor)
    low = math.ceil(low / MULT_STEP - 1e-9) * MULT_STEP
    high = max(math.floor(high / MULT_STEP + 1e-9) * MULT_STEP, low)
    return MultiplierControl(
        value=round(value, 6),
        low=round(low, 6),
        high=round(high, 6),
        which=which,
        range_text=rng,
        per_stated=mean / value if value > 0 else 1.0,
    )


def rate_limit(s: Scenario, field: str, basis: str) -> float:
    """The largest average of a segment rate the scaling control can reach with every segment still valid."""
    bounds = bounds_of(Segment, field)
    current = edits.segment_average(s, field, basis)
    tops = []
    for seg in s.segments:
        value = getattr(seg, field)
        top = max(value.as_dict().values()) if isinstance(value, Distribution) else float(value)
        if top > 0:
            tops.append(bounds.hi / top)
    if current <= 0 or not tops:
        return float(bounds.hi) * RATE_MARGIN
    return current * min(tops) * (RATE_MARGIN if bounds.hi_open else 1.0)


_AMOUNT = re.compile(r"^\s*([-+]?)\s*([^\d\s.,+-]{0,4})\s*([\d][\d,\s']*(?:\.\d*)?|\.\d+)\s*([kKmMbB]?)\s*$")
# An amount above this many times what all current customers bring in per period gets a note.
PLAUSIBLE_REVENUE_MULTIPLE = 10


def parse_amount(text: str, currency: str | None = None) -> float:
    """An amount as a person types it: ``200,000``, ``200 000``, ``200k``, ``$1.5M``.

    Commas, spaces and apostrophes may only separate thousands (``1,5M`` is refused, not read
    as 15M); a currency sign or code, when typed, must be ``currency``'s.

    Raises
    ------
    ControlError
        When the text reads as an amount only by guessing, or is in another currency.
    ValueError
        When the text is not an amount.
    """
    m = _AMOUNT.match(text or "")
    if not m:
        raise ValueError(f"not an amount: {text!r}")
    groups = re.split(r"[,\s']+", m[3].split(".")[0])
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise ControlError("commas and spaces may only separate thousands (1,500,000); use a dot for a decimal (1.5M)")
    symbol = m[2].strip()
    if symbol and currency is not None:
        allowed = {currency.strip().casefold(), style.currency_symbol(currency).strip().casefold()}
        if symbol.casefold() not in allowed:
            raise ControlError(f"the amount is in {symbol}, this scenario in {currency}: type it in {currency}")
    number = float(re.sub(r"[,\s']", "", m[3]))
    number *= {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}[m[4].lower()]
    return -number if m[1] == "-" else number


def amount_text(value: float) -> str:
    """An amount for an input box: whole units with thousands separators (``200,000``)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _shown_share(budget, last: float | None = None) -> float:
    """The split a control shows: the budget's own; when it has nothing to split, the last one it had
    (``last``), or an even split."""
    share = budget.acquisition_share
    if share is None:
        return edits.EVEN_SPLIT if last is None else last
    return share


def control_values(s: Scenario, last_shares: dict | None = None) -> dict:
    """What each main control shows for scenario ``s``; ``last_shares`` holds the plan's and the
    status quo's last split (keys ``"plan"``, ``"status quo"``), shown while a total is zero."""
    mc = multiplier_control(s)
    last = last_shares or {}
    return {
        K_TOTAL: amount_text(s.budget.total),
        K_BASE: amount_text(s.baseline.total),
        K_SPLIT: float(round(_shown_share(s.budget, last.get("plan")) * 100)),
        K_MULT: float(min(max(round(mc.value / MULT_STEP) * MULT_STEP, mc.low), mc.high)),
        K_CHURN: round(edits.segment_average(s, "churn", "new") * 100, 3),
        K_REVENUE: amount_text(edits.segment_average(s, "revenue_per_customer")),
        K_UPSELL: round(edits.segment_average(s, "upsell_rate") * 100, 3),
    }


# Session --------------------------------------------------------------------------------------
def _last_shares(scenario: Scenario) -> dict:
    """The plan's and the status quo's last acquisition share, kept through a zero total."""
    shares = st.session_state.setdefault(K_SHARES, {})
    for which, budget in (("plan", scenario.budget), ("status quo", scenario.baseline)):
        if budget.acquisition_share is not None:
            shares[which] = budget.acquisition_share
    return shares


def show(scenario: Scenario) -> None:
    """Write the controls from ``scenario`` when it changed from elsewhere (or a control was cleared)."""
    shares = _last_shares(scenario)
    if st.session_state.get(K_SHOWN) != scenario or any(k not in st.session_state for k in CONTROL_KEYS):
        st.session_state.update(control_values(scenario, shares))
        st.session_state[K_SHOWN] = scenario


def _amount(value, s: Scenario) -> float:
    amount = parse_amount(value, s.currency)
    if amount < 0:
        raise ControlError(f"it cannot be negative: type 0 or more (in {s.currency})")
    return amount


def rate_allowed(s: Scenario, key: str) -> tuple[float, float]:
    """The range (in %) the churn or upsell box accepts for ``s``: the segments' ranges stay valid."""
    field, basis = ("churn", "new") if key == K_CHURN else ("upsell_rate", "customers")
    low = float(bounds_of(Segment, field).lo) * 100
    return low, math.floor(rate_limit(s, field, basis) * 1e5) / 1e3


def _rate(key: str, s: Scenario, value) -> float:
    low, high = rate_allowed(s, key)
    if not low <= float(value) <= high:
        raise ControlError(
            f"it can be from {low:g} % to {high:g} % here: above that a segment's range would reach the model's "
            "limit (a churn or upsell rate of 100 %)"
        )
    return float(value) / 100


def plausibility_note(key: str, amount: float, s: Scenario) -> str | None:
    """A note when a budget is far beyond what the customers bring in (applied all the same)."""
    revenue = sum(seg.customers * central(seg.revenue_per_customer) for seg in s.segments)
    if key not in (K_TOTAL, K_BASE) or amount <= PLAUSIBLE_REVENUE_MULTIPLE * max(revenue, 1.0):
        return None
    what = plan_text.CONTROL_NAMES[key]
    return (
        f"**{what} is {style.money(amount, s.currency)} per {s.period}**, "
        f"{style.number(amount / max(revenue, 1.0))} times what all current customers bring in per {s.period} "
        f"({style.money(revenue, s.currency)}). It was applied; check the amount if that is not meant."
    )


def _edit(key: str, s: Scenario, value) -> Scenario:
    if key == K_TOTAL:
        # a plan that had nothing to split takes the split its slider shows
        shown = st.session_state.get(K_SPLIT)
        return edits.with_total(s, _amount(value, s), None if shown is None else float(shown) / 100)
    if key == K_BASE:
        return edits.with_baseline_total(s, _amount(value, s), _last_shares(s).get("status quo"))
    if key == K_SPLIT:
        return edits.with_split(s, float(value) / 100)
    if key == K_MULT:
        return edits.with_cost_multiplier(s, float(value) * multiplier_control(s).per_stated)
    if key == K_CHURN:
        return edits.with_segment_average(s, "churn", _rate(key, s, value), "new")
    if key == K_REVENUE:
        return edits.with_segment_average(s, "revenue_per_customer", _amount(value, s))
    return edits.with_segment_average(s, "upsell_rate", _rate(key, s, value))


def _apply(key: str) -> None:
    """Callback: one control's new value into the session's scenario; a value it cannot take is explained."""
    s = state.current_scenario()
    value = st.session_state.get(key)
    if value is None:
        return
    try:
        new = _edit(key, s, value)
    except (InputError, ValueError) as exc:
        state.notify("error", plan_text.control_problem(key, value, exc, s))
        st.session_state[key] = control_values(s, _last_shares(s))[key]
        return
    state.set_scenario(new)
    if key in (K_TOTAL, K_BASE):
        note = plausibility_note(key, parse_amount(value), s)
        if note:
            state.notify("warning", note)
    st.session_state[K_SHOWN] = new  # the control already shows the value: do not write it back
    if key in (K_TOTAL, K_BASE, K_REVENUE):
        st.session_state[key] = control_values(new, _last_shares(new))[
            key
        ]  # typed text is shown back in the house format


def _load_preset() -> None:
    key = st.session_state.get(K_PRESET)
    if key is None:
        return
    state.set_scenario(cache.preset(key))
    state.notify("success", f"Started from the example **{cache.preset_titles()[key]}**.")
    st.session_state[K_PRESET] = None


def upload_key() -> str:
    """The uploader's key: a new one after every file, so a file read (or rejected) is not left listed."""
    return f"{K_UPLOAD}_{st.session_state.get(K_UPLOADS, 0)}"


def load_upload(file_name: str, data: bytes) -> Scenario | None:
    """Read an uploaded scenario file into the session; a bad file queues the problems and changes nothing."""
    scenario, message = read_upload(file_name, data)
    if scenario is not None:
        state.set_scenario(scenario)
    state.notify("success" if scenario is not None else "error", message)
    return scenario


def _on_upload() -> None:
    uploaded = st.session_state.get(upload_key())
    if uploaded is not None:
        load_upload(uploaded.name, uploaded.getvalue())
    st.session_state[K_UPLOADS] = st.session_state.get(K_UPLOADS, 0) + 1


def apply_pending_split(scenario: Scenario) -> Scenario:
    """Apply a split another page asked for (Optimise's "use this split"), once."""
    if state.PENDING_SPLIT_KEY not in st.session_state:
        return scenario
    share = st.session_state.pop(state.PENDING_SPLIT_KEY)
    try:
        scenario = edits.with_split(scenario, float(share))
    except (InputError, TypeError, ValueError):
        state.notify("error", "The suggested split could not be applied; the plan is unchanged.")
        return scenario
    state.set_scenario(scenario)
    state.notify("info", f"Applied the suggested split: {style.percent(float(share), 0)} of the budget to acquisition.")
    return scenario


# Widgets --------------------------------------------------------------------------------------
def _nice_step(x: float) -> float:
    return float(10 ** max(math.floor(math.log10(max(x, 1.0) / 50)), 0))


def scenario_pickers() -> None:
    """An example to start from, or a scenario file to open."""
    titles = cache.preset_titles()
    st.selectbox(
        "Start from an example",
        list(titles),
        index=None,
        format_func=titles.get,
        placeholder="Choose an example…",
        key=K_PRESET,
        on_change=_load_preset,
        help="Examples with every assumption filled in; each replaces the current scenario.",
    )
    st.file_uploader(
        "…or open a scenario file",
        type=["toml", "json"],
        key=upload_key(),
        on_change=_on_upload,
        help="A .toml or .json scenario, such as one downloaded from this page.",
    )


def total_control(scenario: Scenario) -> None:
    """The total budget per period, typed with thousands separators (or 250k, 1.5M)."""
    cur, per, budget = scenario.currency, scenario.period, scenario.budget
    fixed = edits.fixed_spend(budget)
    base_share = _shown_share(scenario.baseline, st.session_state.get(K_SHARES, {}).get("status quo"))
    st.text_input(
        f"Total budget per {per} ({cur})",
        key=K_TOTAL,
        on_change=_apply,
        args=(K_TOTAL,),
        help=f"All spend per {per}: acquisition, retention, expansion and win-back (type 250,000 or 250k). "
        f"The split shares out what is left after expansion and win-back ({style.money(fixed, cur)}).",
    )
    st.text_input(
        f"Status quo budget per {per} ({cur})",
        key=K_BASE,
        on_change=_apply,
        args=(K_BASE,),
        help="What is spent today, the plan's yardstick: every figure is compared with it, future by future. "
        f"Its own split is kept ({style.percent(base_share, 0)} to acquisition).",
    )


def split_control(scenario: Scenario) -> None:
    """The decision: the acquisition share of the acquisition + retention budget."""
    cur, per, budget = scenario.currency, scenario.period, scenario.budget
    st.slider(
        SPLIT_LABEL,
        min_value=0.0,
        max_value=100.0,
        step=1.0,
        format="%.0f %%",
        key=K_SPLIT,
        on_change=_apply,
        args=(K_SPLIT,),
        help="Of the acquisition + retention budget, the share spent on winning new customers; "
        "the rest goes to keeping customers who would otherwise leave.",
    )
    st.caption(
        f"Acquisition {style.money(budget.acquisition, cur)} · retention {style.money(budget.retention, cur)} per {per}"
    )


def assumption_controls(scenario: Scenario) -> None:
    """The costs and the customers: the multiplier, churn, revenue per customer and upsell."""
    cur, per = scenario.currency, scenario.period
    mc = multiplier_control(scenario)
    st.slider(
        MULT_LABEL,
        min_value=mc.low,
        max_value=max(mc.high, mc.low + MULT_STEP),
        step=MULT_STEP,
        format="%.1f×",
        key=K_MULT,
        on_change=_apply,
        args=(K_MULT,),
        help="How many times more it costs to win a new customer than to prevent one churn, at low spend. "
        "Research puts it at 5 to 25 times (Bain & Co.). Where the scenario holds a range, the whole range is "
        "moved with it, so its uncertainty is kept; the slider's ends keep the range within 1–100×.",
    )
    st.caption(plan_text.multiplier_caption(scenario, mc))

    scale_note = (
        " Changing it scales every segment (and the ends of every uncertainty range) by the same factor, "
        "so differences between segments and the width of the ranges are kept."
    )
    # no min or max on the boxes: a browser would only turn them red; a value out of range gets a message
    churn_low, churn_high = rate_allowed(scenario, K_CHURN)
    st.number_input(
        f"Churn per {per}, new customers (%)",
        step=0.1,
        format="%.2f",
        key=K_CHURN,
        on_change=_apply,
        args=(K_CHURN,),
        help=f"Average chance that a newly won customer leaves in a {per} without retention spend, weighted by "
        "where new customers land. Customers who have stayed a while churn less (the riskiest leave first)."
        + scale_note
        + f" Allowed here: {churn_low:g} % to {churn_high:g} %.",
    )
    st.text_input(
        f"Revenue per customer per {per} ({cur})",
        key=K_REVENUE,
        on_change=_apply,
        args=(K_REVENUE,),
        help=f"Average revenue of a current customer per {per} before upsell, weighted by customers." + scale_note,
    )
    upsell_low, upsell_high = rate_allowed(scenario, K_UPSELL)
    st.number_input(
        f"Upsell rate per {per} (%)",
        step=0.1,
        format="%.2f",
        key=K_UPSELL,
        on_change=_apply,
        args=(K_UPSELL,),
        help=f"Average chance per {per} that a customer buys more without expansion spend."
        + scale_note
        + f" Allowed here: {upsell_low:g} % to {upsell_high:g} %.",
    )
