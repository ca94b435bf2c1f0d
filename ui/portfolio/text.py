"""Sentences the Portfolio page shows, as pure functions (tested as a person reads them).

Money and shares are written by the app's one formatter (:mod:`ui.shared.style`), as on every page.
"""

from __future__ import annotations

import math

from ui.shared.style import money, percent

STRATEGY_TEXT = {
    "acquire": "turn high-potential prospects into customers (acquisition budget)",
    "develop": "grow what they buy: upsell and account development (expansion budget)",
    "retain": "keep them: contact plan, service, loyalty (run as a programme over the class)",
    "win back": "recover lapsed customers of high past value (win-back budget)",
    "hold": "minimal contact at low cost, no expansion (a small programme over the class)",
}


def churn_percent(share: float) -> str:
    """A churn probability with enough digits to read small values: ``1.39 %``, ``37.0 %``."""
    if share is None or not math.isfinite(share):
        return "—"
    return f"{share * 100:.3g} %" if share * 100 < 10 else f"{share * 100:.1f} %"


def still_here_sentence(survivors: int, years: int) -> str:
    """The plain-words reading of a fitted retention curve."""
    year_word = "year" if years == 1 else "years"
    return f"Of 100 new customers like these, about {survivors} are still here after {years} {year_word}."


def fit_sentence(name: str, churn: float, interval: tuple[float, float], period: str) -> str:
    return (
        f"{name}: a new customer leaves in a given {period} with probability {churn_percent(churn)} on average "
        f"(90 % interval {churn_percent(interval[0])} to {churn_percent(interval[1])})."
    )


def heterogeneity_sentence(phi: float, interval: tuple[float, float]) -> str:
    if phi < 0.05:
        spread = "customers are much alike"
    elif phi < 0.25:
        spread = "customers differ moderately: the riskier ones leave first"
    else:
        spread = "customers differ a lot: many leave early, the rest stay long"
    return f"Heterogeneity {phi:.2f} (90 % interval {interval[0]:.2f} to {interval[1]:.2f}): {spread}."


def concentration_sentence(top_10: float, top_20: float, customers: int) -> str:
    return (
        f"The top 10 % of customers bring {percent(top_10)} of revenue; the top 20 % bring {percent(top_20)} "
        f"({customers:,} active customers)."
    )


def lapsed_sentence(count: int, value: float, currency: str, period: str, threshold: float) -> str:
    if count == 0:
        return f"No lapsed customer contributed {money(threshold, currency)} per {period} or more before leaving."
    who = "customer" if count == 1 else "customers"
    return (
        f"{count:,} lapsed {who} worth winning back: they contributed {money(value, currency)} per {period} "
        f"together before leaving (each at least {money(threshold, currency)})."
    )


def cell_label(cls: str, customers: int, prospects: int, revenue: float, currency: str) -> str:
    """One nine-box cell as text: ``A · 182 customers · $176k`` (plus prospects when there are any)."""
    who = "customer" if customers == 1 else "customers"
    text = f"{cls} · {customers:,} {who} · {money(revenue, currency)}"
    if prospects:
        text += f" · {prospects:,} prospect{'s' if prospects != 1 else ''}"
    return text


def budget_sentence(levers: dict[str, float], currency: str, period: str) -> str:
    total = sum(levers.values())
    parts = [
        f"{name} {money(levers[key], currency)}"
        for key, name in (
            ("acquisition", "acquisition"),
            ("retention", "retention (as programmes)"),
            ("expansion", "expansion"),
            ("winback", "win-back"),
        )
    ]
    return f"The contact plans cost {money(total, currency)} per {period}: {', '.join(parts)}."


def rows_sentence(count: int, rows: int) -> str:
    if count == 0:
        return f"All {rows:,} rows were read."
    return f"{count:,} of {rows:,} rows could not be used and were left out; the first ones are listed below."


def customers_sentence(counts: dict[str, int], revenue: float, currency: str, period: str) -> str:
    """``**2,679 active customers**, 537 lapsed, 600 prospects; revenue per month $3.08M.``"""
    return (
        f"**{counts['active']:,} active customers**, {counts['lapsed']:,} lapsed, {counts['prospect']:,} prospects; "
        f"revenue per {period} {money(revenue, currency)}."
    )


def risk_sentence(cuts: tuple[float, float], bands: dict[str, int], period: str) -> str:
    """The churn-risk bands' bounds and how many active customers each holds."""
    lo, hi = cuts
    return (
        f"Churn risk next {period}: **low** below {churn_percent(lo)} ({bands['low']:,} customers), "
        f"**medium** ({bands['medium']:,}), **high** from {churn_percent(hi)} ({bands['high']:,})."
    )
