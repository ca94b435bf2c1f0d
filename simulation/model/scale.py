"""Scale a scenario down, so that per-customer simulation of a large base stays quick.

Everything that counts customers or money per period is multiplied by the same
factor; everything per unit or per customer is left alone, so per-customer
results (revenue per customer, churn, CLV, shares of the base) are comparable
with the full-size scenario while totals shrink by the factor.
"""

from __future__ import annotations

import math
import re

from ..errors import InputError
from .scenario import MIN_MONEY, Scenario, scenario_from_dict

NAME_MAX, DESCRIPTION_MAX = 120, 4000
_SCALED = re.compile(r" \(scaled to ([0-9.e+-]+) %\)$")


def scale_scenario(scenario: Scenario, factor: float) -> Scenario:
    """A copy of ``scenario`` with its size multiplied by ``factor``.

    Scaled: each segment's ``customers`` (rounded to the nearest whole number, and
    at least 1 where the original had any), the plan and baseline budgets of every
    lever, ``operating_costs``, each programme's ``fixed_cost``, ``acquisition.max_new_per_period`` and
    ``acquisition.market_size`` (every parameter of a distribution). Unchanged: costs
    per unit (CAC, cost per save, upsell and win-back, cost to serve), rates (referral
    rates too), shares, weights, revenue per customer, the
    horizon, and the retention, expansion and win-back ceilings, which are already
    shares of the customers they act on. The name and description say that the
    scenario was scaled and by how much.

    Parameters
    ----------
    scenario : Scenario
        The scenario to scale.
    factor : float
        In (0, 1]; 1 returns ``scenario`` itself.

    Returns
    -------
    Scenario
        A new validated scenario.

    Raises
    ------
    InputError
        When ``factor`` is not a number in (0, 1].
    """
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 < factor <= 1:
        raise InputError(f"scale must be a number in (0, 1], the share of the scenario's size to keep; got {factor!r}")
    factor = float(factor)
    if factor == 1:
        return scenario
    data = scenario.to_dict()
    for segment in data["segments"]:
        segment["customers"] = _scale_count(segment["customers"], factor)
    for key in ("budget", "baseline_budget"):
        if key in data:
            data[key] = {lever: spend * factor for lever, spend in data[key].items()}
    acquisition = data["acquisition"]
    for key in ("max_new_per_period", "market_size"):
        if key in acquisition:
            acquisition[key] = _scale_value(acquisition[key], factor)
    if "operating_costs" in data:  # a business's fixed costs shrink with it, so margins stay comparable
        data["operating_costs"] = _scale_value(data["operating_costs"], factor)
    for programme in data.get("programmes", []):  # a programme's fixed cost is a budget of its own
        fixed = programme["fixed_cost"] * factor
        programme["fixed_cost"] = fixed if fixed >= MIN_MONEY else 0.0

    name, total = scenario.name, factor
    earlier = _SCALED.search(name)
    if earlier:  # scaling a scaled scenario: say the overall factor once
        name, total = name[: earlier.start()], factor * float(earlier.group(1)) / 100
    suffix = f" (scaled to {_percent(total)} %)"
    data["name"] = name[: NAME_MAX - len(suffix)] + suffix
    note = (
        f"Scaled to {_percent(factor)} % of {scenario.name!r}: customers, budgets, operating costs, the "
        f"acquisition ceiling and the market size multiplied by {factor:g}; costs per unit, revenue per "
        "customer, rates and shares unchanged."
    )
    data["description"] = (note + (" " + scenario.description if scenario.description else ""))[:DESCRIPTION_MAX]
    return scenario_from_dict(data)


def _scale_count(customers: int, factor: float) -> int:
    if customers == 0:
        return 0
    return max(1, math.floor(customers * factor + 0.5))


def _scale_value(value, factor: float):
    """A number, or every parameter of a distribution, times ``factor``."""
    if isinstance(value, dict):
        return {key: x * factor for key, x in value.items()}
    return value * factor


def _percent(factor: float) -> str:
    return f"{factor * 100:.3g}"
