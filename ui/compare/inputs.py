"""What differs between the scenarios compared: the inputs table, and the checks before comparing.

Pure functions (no Streamlit): the Compare page shows the table and highlights the rows
flagged as differing; the report and the workbook print the same table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from simulation import Scenario
from simulation.errors import InputError
from simulation.model.distributions import Distribution
from simulation.model.edits import segment_average
from simulation.model.param_text import format_param
from ui.shared import style
from ui.shared.assumption_text import multiplier_text

MIN_COMPARED, MAX_COMPARED = 2, 5
SHOWN_IN_KEY_ROWS = {"horizon", "period"}  # the key row "Horizon" says both
DIFFERS = "differs"


class CompareError(InputError):
    """Scenarios that cannot be set side by side; the message says why and what to do."""


def check_comparable(scenarios: Mapping[str, Scenario]) -> None:
    """Refuse a comparison that would mislead: too few or many, a scenario twice, or mixed currencies.

    Raises
    ------
    CompareError
        Fewer than 2 or more than 5 scenarios; two entries that are the same scenario
        (every field but the title and description equal); or money in different currencies,
        which one axis cannot show.
    """
    if not MIN_COMPARED <= len(scenarios) <= MAX_COMPARED:
        raise CompareError(f"compare {MIN_COMPARED} to {MAX_COMPARED} scenarios; {len(scenarios)} were chosen")
    seen: dict[str, str] = {}
    for name, scenario in scenarios.items():
        text = _key(scenario)
        if text in seen:
            raise CompareError(
                f"{name!r} is the same scenario as {seen[text]!r} "
                "(every assumption, budget, runs and seed equal; only the title may differ); "
                "a scenario compared with itself shows no difference. Choose another one"
            )
        seen[text] = name
    currencies = {s.currency for s in scenarios.values()}
    if len(currencies) > 1:
        by = ", ".join(f"{name}: {s.currency}" for name, s in scenarios.items())
        raise CompareError(
            f"these scenarios are in different currencies ({by}), so their money cannot share one axis or table. "
            "Compare scenarios in one currency (change 'currency' in All assumptions after converting the amounts)"
        )


def futures_note(scenarios: Mapping[str, Scenario]) -> str:
    """Which simulated futures the curves and headline figures are on: each scenario's own runs and seed."""
    own = {(s.simulation.runs, s.simulation.seed) for s in scenarios.values()}
    if len(own) == 1:
        runs, seed = own.pop()
        return (
            f"Each scenario on its own runs and seed, as on its Plan page: here {runs:,} futures with seed {seed} "
            "for all."
        )
    return (
        "Each scenario on its own runs and seed, as on its Plan page ("
        + ", ".join(f"{name}: {s.simulation.runs:,} futures, seed {s.simulation.seed}" for name, s in scenarios.items())
        + "). Who comes out ahead, below, is counted on common futures."
    )


def same_scenario(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios are the same but for their title and description."""
    return _key(a) == _key(b)


def _key(scenario: Scenario) -> str:
    data = scenario.to_dict()
    data.pop("name", None)
    data.pop("description", None)
    return json.dumps(data, sort_keys=True)


def default_pick(names: Sequence[str], load: Callable[[str], Scenario], count: int = MIN_COMPARED) -> list[str]:
    """The first ``count`` names, in order, whose scenarios differ from each other and share a currency
    (unreadable ones skipped).

    The Compare page starts from these, so it never opens on a scenario set against itself nor on
    scenarios whose money cannot share an axis. The currency is the first one that ``count``
    different scenarios share; when none does, the first differing scenarios are picked.
    """
    readable: list[tuple[str, Scenario]] = []
    for name in names:
        try:
            readable.append((name, load(name)))
        except InputError:
            continue

    def first_different(candidates: list[tuple[str, Scenario]]) -> list[tuple[str, Scenario]]:
        picked: list[tuple[str, Scenario]] = []
        for name, scenario in candidates:
            if all(not same_scenario(scenario, other) for _, other in picked):
                picked.append((name, scenario))
            if len(picked) == count:
                break
        return picked

    for currency in dict.fromkeys(s.currency for _, s in readable):
        picked = first_different([(n, s) for n, s in readable if s.currency == currency])
        if len(picked) == count:
            return [name for name, _ in picked]
    return [name for name, _ in first_different(readable)]


def _flatten(value, prefix: str, out: dict[str, object]) -> None:
    if isinstance(value, dict) and not _is_distribution(value):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        for item in value:
            name = item.get("name", "?") if isinstance(item, dict) else "?"
            _flatten(item, f"{prefix}[{name}]", out)
    else:
        out[prefix] = value


def _is_distribution(value: dict) -> bool:
    return set(value) in ({"low", "high"}, {"low", "mode", "high"}, {"mean", "sd"})


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return format_param(_as_param(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        # 12 significant digits: a split computed in floating point reads 10000, not 10000.00000000001
        return format_param(float(f"{float(value):.12g}"))
    return str(value)


def _as_param(value: dict) -> Distribution:
    return Distribution.model_validate(value)


def _key_rows(s: Scenario) -> dict[str, str]:
    cur, per = s.currency, s.period
    return {
        "Budget per period": f"{style.money(s.budget.total, cur)} per {per}",
        "Acquisition share": style.percent(s.budget.acquisition_share, 0),
        "Cost multiplier": multiplier_text(s),
        "Churn, new customers": f"{style.percent(segment_average(s, 'churn', 'new'), 2)} per {per}",
        "Revenue per customer": f"{style.money(segment_average(s, 'revenue_per_customer'), cur)} per {per}",
        "Status-quo budget": f"{style.money(s.baseline.total, cur)} per {per}",
        "Horizon": f"{s.horizon} {per}s",
        "Segments": ", ".join(seg.name for seg in s.segments),
        "Customers at the start": f"{sum(seg.customers for seg in s.segments):,}",
    }


def inputs_table(scenarios: Mapping[str, Scenario]) -> pd.DataFrame:
    """The inputs of 2-5 scenarios side by side, the rows that differ flagged.

    The key rows come first (budget, split, cost multiplier, churn, revenue, status-quo
    budget, horizon, segments, customers), then every other scenario field that is not
    the same in all of them, by its path in the scenario file
    (``segments[A].churn``, ``retention.max_churn_reduction``). The scenario's title and
    description are left out: they are the columns' names.

    Returns
    -------
    DataFrame
        Index: the row labels; one text column per scenario (in the given order), and a
        boolean column :data:`DIFFERS`, true where the scenarios do not all agree.
    """
    names = list(scenarios)
    key = {name: _key_rows(s) for name, s in scenarios.items()}
    labels = list(next(iter(key.values())))
    rows = {label: [key[n][label] for n in names] for label in labels}
    flat: dict[str, dict[str, object]] = {}
    for name, s in scenarios.items():
        data = s.to_dict()
        data.pop("name", None)
        data.pop("description", None)
        out: dict[str, object] = {}
        _flatten(data, "", out)
        flat[name] = out
    paths = [p for p in dict.fromkeys(p for n in names for p in flat[n]) if p not in SHOWN_IN_KEY_ROWS]
    for path in paths:
        values = [flat[n].get(path) for n in names]
        if len({json.dumps(v, sort_keys=True) for v in values}) > 1:
            rows[path] = [_text(v) for v in values]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=names)
    table[DIFFERS] = [len(set(row)) > 1 for row in table[names].itertuples(index=False)]
    return table


def _key_numbers(s: Scenario) -> dict[str, tuple[object, str]]:
    """The key rows as numbers for a workbook, each with its kind (``money``, ``percent``, ``count``, ``text``)."""
    share = s.budget.acquisition_share
    return {
        "Budget per period": (s.budget.total, "money"),
        "Acquisition share": (share if share is not None else "—", "percent"),
        "Cost multiplier": (multiplier_text(s), "text"),
        "Churn, new customers": (segment_average(s, "churn", "new"), "percent"),
        "Revenue per customer": (segment_average(s, "revenue_per_customer"), "money"),
        "Status-quo budget": (s.baseline.total, "money"),
        "Horizon": (s.horizon, "count"),
        "Segments": (", ".join(seg.name for seg in s.segments), "text"),
        "Customers at the start": (sum(seg.customers for seg in s.segments), "count"),
    }


def inputs_cells(scenarios: Mapping[str, Scenario]) -> tuple[pd.DataFrame, dict[str, str]]:
    """:func:`inputs_table` with numbers kept as numbers, for a workbook, and each row's kind.

    Returns the table (same rows and columns, :data:`DIFFERS` included) and a mapping from row
    label to ``money``, ``percent``, ``count``, ``number`` or ``text``: a number is written as a
    number with the kind's format, everything else (a range, a name, yes/no) as text.
    """
    table = inputs_table(scenarios)
    names = list(scenarios)
    keys = {name: _key_numbers(s) for name, s in scenarios.items()}
    flat: dict[str, dict[str, object]] = {}
    for name, s in scenarios.items():
        flat[name] = {}
        _flatten(s.to_dict(), "", flat[name])
    cells = table.copy().astype(object)
    kinds: dict[str, str] = {}
    for label in table.index:
        if label in keys[names[0]]:
            kinds[label] = keys[names[0]][label][1]
            cells.loc[label, names] = [keys[n][label][0] for n in names]
            continue
        values = [flat[n].get(label) for n in names]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            kinds[label] = "number"
            cells.loc[label, names] = [float(f"{float(v):.12g}") for v in values]
        else:
            kinds[label] = "text"
    return cells, kinds


def highlighted(table: pd.DataFrame, color: str = "#fdf0d5"):
    """The inputs table for display: the scenario columns only, rows that differ shaded."""
    shown = table.drop(columns=[DIFFERS])
    shade = table[DIFFERS]
    return shown.style.apply(
        lambda row: [f"background-color: {color}" if bool(shade.loc[row.name]) else "" for _ in row], axis=1
    )
