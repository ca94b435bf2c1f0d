"""The Plan page's controls as pure functions of a scenario (no Streamlit here).

Each main control reads a business figure from the scenario (the budget split,
the average churn, ...) and writes a new validated scenario back. A control
that stands for many numbers scales them together: moving the average churn
from 1.2 % to 1.5 % multiplies every segment's churn, and every end of its
uncertainty range, by 1.25, so the differences between segments and the width
of the ranges are kept. Every change goes through the schema, so a value the
model cannot take raises :class:`~simulation.ScenarioError` naming the field.

The "All assumptions" editor writes any scenario number as text in one of
four forms: ``0.012`` (a fixed number), ``0.008 .. 0.016`` (uniform range),
``0.008 / 0.012 / 0.016`` (low / most likely / high, triangular) and
``0.012 ± 0.002`` (normal, mean ± sd). :func:`format_param` and
:func:`parse_param` convert exactly, so an untouched cell reads back to the
same number.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from simulation import Budget, Scenario, ScenarioError, scenario_from_dict
from simulation.model.assumptions import DEFAULT_COST_MULTIPLIER
from simulation.model.distributions import Distribution, central
from simulation.model.scenario import (
    SEGMENT_ASSUMPTIONS,
    Acquisition,
    Expansion,
    Retention,
    Segment,
    Winback,
    bounds_of,
)

# The researched range of "acquiring a customer costs N x keeping one" (Bain & Co.; MODEL.md).
RESEARCH_MULTIPLIER = (5.0, 25.0)
# The cost-multiplier control allows 1-50, the range people discuss; files may go up to the schema's 100.
MULTIPLIER_CONTROL_MAX = 50.0
SIGNIFICANT_DIGITS = 12

SEGMENT_PARAMS = SEGMENT_ASSUMPTIONS  # the editor shows them in the schema's order
WEIGHT_LEVERS = ("retention", "expansion", "winback")
LEVER_MODELS = {"acquisition": Acquisition, "retention": Retention, "expansion": Expansion, "winback": Winback}
# (path, label); "{period}" is the scenario's period word.
LEVER_ROWS = (
    ("discount_rate", "Discount rate per year"),
    ("acquisition.cost_multiplier", "Acquisition cost as a multiple of the cost of a save"),
    ("acquisition.cost_per_customer", "Acquisition cost per customer (CAC), instead of the multiple"),
    ("acquisition.max_new_per_period", "Most new customers per {period} at unlimited spend"),
    ("acquisition.market_size", "Prospects in the market (empty: unlimited)"),
    ("retention.cost_per_save", "Cost of preventing the first churn"),
    ("retention.max_churn_reduction", "Largest share of would-be churners the programme can keep"),
    ("expansion.cost_per_upsell", "Cost of the first extra upsell"),
    ("expansion.max_extra_upsell_rate", "Most extra upsells per customer per {period}"),
    ("winback.cost_per_winback", "Cost of winning back the first customer"),
    ("winback.max_winback_rate", "Largest share of lapsed customers won back per {period}"),
)
SEGMENT_COLUMNS = {
    "name": "Segment",
    "customers": "Customers now",
    "revenue_per_customer": "Revenue per customer",
    "gross_margin": "Gross margin",
    "churn": "Churn",
    "churn_heterogeneity": "Churn spread (φ)",
    "tenure": "Tenure",
    "upsell_rate": "Upsell rate",
    "upsell_uplift": "Upsell uplift",
    "new_customer_share": "Share of new customers",
    "retention": "Retention weight",
    "expansion": "Expansion weight",
    "winback": "Win-back weight",
}
BUDGET_LEVERS = {
    "acquisition": "Acquisition",
    "retention": "Retention",
    "expansion": "Expansion",
    "winback": "Win-back",
}
BUDGET_ROWS = ("Plan", "Status quo")


# Schema -----------------------------------------------------------------------------------
# Numbers ----------------------------------------------------------------------------------
def tidy(x: float) -> float:
    """``x`` rounded to 12 significant digits, so scaled values read cleanly (0.0055, not 0.0055000000000000005)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


def scale_param(value: float | Distribution, factor: float) -> float | dict:
    """A scenario number multiplied by ``factor``; a distribution keeps its form, every parameter scaled."""
    if isinstance(value, Distribution):
        return {k: tidy(v * factor) for k, v in value.as_dict().items()}
    return tidy(float(value) * factor)


# Budget -----------------------------------------------------------------------------------
def acquisition_share(budget: Budget) -> float:
    """Acquisition's share of the acquisition + retention budget (one half when both are zero)."""
    core = budget.acquisition + budget.retention
    return budget.acquisition / core if core > 0 else 0.5


def fixed_spend(budget: Budget) -> float:
    """Spend per period on expansion and win-back: the part of the total the split does not move."""
    return budget.expansion + budget.winback


def with_split(scenario: Scenario, share: float) -> Scenario:
    """The plan's acquisition share of (acquisition + retention) set to ``share``; the total is kept."""
    if not 0.0 <= share <= 1.0 or not math.isfinite(share):
        raise ScenarioError([("budget", f"the acquisition share must be in [0, 1]; got {share:g}")])
    budget = scenario.budget
    return scenario.with_budget(budget.with_split(budget.total, share))


def with_total(scenario: Scenario, total: float) -> Scenario:
    """The plan's total budget per period set to ``total``; the acquisition share is kept."""
    budget = scenario.budget
    if not math.isfinite(total) or total < fixed_spend(budget):
        raise ScenarioError(
            [
                (
                    "budget",
                    f"the total budget must be at least the expansion and win-back budgets "
                    f"({fixed_spend(budget):,.0f} per {scenario.period}); got {total:,.0f}",
                )
            ]
        )
    return scenario.with_budget(budget.with_split(total, acquisition_share(budget)))


# Acquisition cost -------------------------------------------------------------------------
def cost_multiplier(scenario: Scenario) -> float:
    """Central cost of acquiring a customer as a multiple of the central cost of a save."""
    return scenario.cac_central / central(scenario.retention.cost_per_save)


def with_cost_multiplier(scenario: Scenario, multiplier: float) -> Scenario:
    """Acquiring a customer made ``multiplier`` times as costly as a save (centrally).

    A ``cost_multiplier`` range is scaled (its uncertainty kept); a scenario that gives
    ``cost_per_customer`` instead has that scaled; a scenario with neither gets the number.
    """
    acq = scenario.acquisition.model_dump(exclude_none=True)
    current = cost_multiplier(scenario)
    if scenario.acquisition.cost_per_customer is not None:
        acq["cost_per_customer"] = scale_param(scenario.acquisition.cost_per_customer, multiplier / current)
    elif scenario.acquisition.cost_multiplier is not None:
        acq["cost_multiplier"] = scale_param(scenario.acquisition.cost_multiplier, multiplier / current)
    else:
        acq["cost_multiplier"] = tidy(float(multiplier))
    return scenario.replace(acquisition=acq)


def multiplier_default() -> float:
    """The multiple the engine assumes when a scenario gives neither a multiple nor a CAC."""
    return DEFAULT_COST_MULTIPLIER


# Segment averages -------------------------------------------------------------------------
def segment_weights(scenario: Scenario, basis: str) -> np.ndarray:
    """Weights over segments: ``"customers"`` (held now) or ``"new"`` (share of new customers)."""
    if basis == "new":
        w = np.asarray(scenario.shares, dtype=float)
    else:
        w = np.array([s.customers for s in scenario.segments], dtype=float)
    return w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))


def segment_average(scenario: Scenario, field: str, basis: str = "customers") -> float:
    """Weighted mean over segments of the central value of a segment field."""
    values = np.array([central(getattr(s, field)) for s in scenario.segments])
    return float(values @ segment_weights(scenario, basis))


def with_segment_average(scenario: Scenario, field: str, target: float, basis: str = "customers") -> Scenario:
    """Every segment's ``field`` scaled by one factor so that its weighted average becomes ``target``.

    Where the average is zero (no upsell, say) scaling cannot reach a target, so every
    segment gets ``target`` itself.
    """
    if not math.isfinite(target):
        raise ScenarioError([(f"segments.{field}", "must be a finite number")])
    current = segment_average(scenario, field, basis)
    segments = []
    for s in scenario.segments:
        data = s.model_dump(exclude_none=True)
        if current > 0:
            data[field] = scale_param(getattr(s, field), target / current)
        else:
            data[field] = tidy(float(target))
        segments.append(data)
    return scenario.replace(segments=segments)


# Text form of a scenario number -----------------------------------------------------------
def _num(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def format_param(value: float | Distribution | None) -> str:
    """A scenario number as editor text (see the module docstring); empty for "not given"."""
    if value is None:
        return ""
    if isinstance(value, Distribution):
        if value.kind == "normal":
            return f"{_num(value.mean)} ± {_num(value.sd)}"
        if value.kind == "triangular":
            return f"{_num(value.low)} / {_num(value.mode)} / {_num(value.high)}"
        return f"{_num(value.low)} .. {_num(value.high)}"
    return _num(value)


_NUMBER = r"[-+]?(?:\d[\d_,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
PARAM_FORMS = "a number (0.012), a range low .. high, low / most likely / high, or mean ± sd"


def _to_float(text: str) -> float:
    return float(text.replace(",", "").replace("_", ""))


def parse_param(text: Any, path: str) -> float | dict | None:
    """Editor text to a scenario value (number or distribution mapping); None for an empty cell.

    Raises
    ------
    ScenarioError
        The text is none of the four forms; the problem names ``path``.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    s = str(text).strip().replace("−", "-").replace("–", "..").replace("+/-", "±").replace("+-", "±")
    if not s:
        return None
    n = _NUMBER
    try:
        if re.fullmatch(n, s):
            return _to_float(s)
        m = re.fullmatch(rf"({n})\s*(?:\.\.|to)\s*({n})", s)
        if m:
            return {"low": _to_float(m[1]), "high": _to_float(m[2])}
        m = re.fullmatch(rf"({n})\s*/\s*({n})\s*/\s*({n})", s)
        if m:
            return {"low": _to_float(m[1]), "mode": _to_float(m[2]), "high": _to_float(m[3])}
        m = re.fullmatch(rf"({n})\s*±\s*({n})", s)
        if m:
            return {"mean": _to_float(m[1]), "sd": _to_float(m[2])}
    except ValueError:
        pass
    raise ScenarioError([(path, f"write {PARAM_FORMS}; got {str(text)!r}")])


# Editor tables ----------------------------------------------------------------------------
def budgets_frame(scenario: Scenario) -> pd.DataFrame:
    """Plan and status-quo spend per period on each lever (rows Plan, Status quo)."""
    rows = [scenario.budget, scenario.baseline]
    return pd.DataFrame(
        [[getattr(b, lever) for lever in BUDGET_LEVERS] for b in rows],
        index=list(BUDGET_ROWS),
        columns=list(BUDGET_LEVERS.values()),
    )


def levers_frame(scenario: Scenario) -> pd.DataFrame:
    """One row per lever assumption: label, value as text, what is allowed; indexed by field path."""
    rows = []
    for path, label in LEVER_ROWS:
        if "." in path:
            section, field = path.split(".")
            value = getattr(getattr(scenario, section), field)
            bounds = bounds_of(LEVER_MODELS[section], field)
        else:
            value = getattr(scenario, path)
            bounds = bounds_of(Scenario, path)
        rows.append(
            {
                "path": path,
                "Assumption": label.format(period=scenario.period),
                "Value": format_param(value),
                "Allowed": bounds.describe(),
            }
        )
    return pd.DataFrame(rows).set_index("path")


def segments_frame(scenario: Scenario) -> pd.DataFrame:
    """One row per segment; uncertain numbers as text, budget weights as numbers (empty: by value)."""
    rows = []
    for s in scenario.segments:
        row: dict[str, Any] = {"name": s.name, "customers": s.customers}
        for field in SEGMENT_PARAMS:
            row[field] = format_param(getattr(s, field))
        row["tenure"] = s.tenure
        row["new_customer_share"] = s.new_customer_share
        for lever in WEIGHT_LEVERS:
            weights = getattr(scenario, lever).weights
            row[lever] = None if weights is None else weights.get(s.name, 0.0)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
    for col in ("new_customer_share", *WEIGHT_LEVERS):
        frame[col] = frame[col].astype(float)
    return frame


def _is_blank(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip())


def _whole(x: Any, path: str, problems: list) -> Any:
    if _is_blank(x):
        problems.append((path, "required: a whole number"))
        return None
    if isinstance(x, str):
        text = x.strip().replace(",", "").replace("_", "")
        if re.fullmatch(r"[-+]?\d+", text):
            return int(text)
    try:
        f = float(x)
    except (TypeError, ValueError):
        problems.append((path, f"must be a whole number; got {x!r}"))
        return None
    if not math.isfinite(f) or not f.is_integer():
        problems.append((path, f"must be a whole number; got {x!r}"))
        return None
    return int(f)


def scenario_from_editor(
    scenario: Scenario,
    general: dict[str, Any],
    budgets: pd.DataFrame,
    levers: pd.DataFrame,
    segments: pd.DataFrame,
) -> Scenario:
    """A new scenario from the "All assumptions" editor: its general fields and three tables.

    ``general`` holds ``name, description, period, horizon, currency, runs, seed``. Every
    problem (unreadable text, or anything the schema rejects) is collected and raised
    together as one :class:`ScenarioError`, each naming its field path.
    """
    problems: list[tuple[str, str]] = []
    data = scenario.to_dict()
    for key in ("name", "description", "period", "currency"):
        data[key] = general[key]
    data["horizon"] = _whole(general["horizon"], "horizon", problems)
    data["simulation"] = {
        "runs": _whole(general["runs"], "simulation.runs", problems),
        "seed": _whole(general["seed"], "simulation.seed", problems),
    }

    cols = list(BUDGET_LEVERS)
    plan_row = [budgets.loc["Plan", BUDGET_LEVERS[c]] for c in cols]
    base_row = [budgets.loc["Status quo", BUDGET_LEVERS[c]] for c in cols]
    for key, row in (("budget", plan_row), ("baseline_budget", base_row)):
        data[key] = {c: (0.0 if _is_blank(v) else float(v)) for c, v in zip(cols, row, strict=True)}
    # The status quo stays "same as the plan" (no baseline_budget) unless it was changed.
    original_base = budgets_frame(scenario).loc["Status quo"].tolist()
    if scenario.baseline_budget is None and data["baseline_budget"] == dict(zip(cols, original_base, strict=True)):
        data.pop("baseline_budget")

    sections: dict[str, dict] = {section: dict(data.get(section, {})) for section in LEVER_MODELS}
    for path, _label in LEVER_ROWS:
        try:
            value = parse_param(levers.loc[path, "Value"], path)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        if "." in path:
            section, field = path.split(".")
            if value is None:
                sections[section].pop(field, None)
            else:
                sections[section][field] = value
        elif value is None:
            problems.append((path, "required: " + PARAM_FORMS))
        else:
            data[path] = value

    names = []
    seg_list = []
    weights: dict[str, dict[str, float]] = {lever: {} for lever in WEIGHT_LEVERS}
    any_weight = dict.fromkeys(WEIGHT_LEVERS, False)
    for i, row in enumerate(segments.to_dict("records")):
        where = f"segments[{i}]"
        name = "" if _is_blank(row.get("name")) else str(row["name"]).strip()
        seg: dict[str, Any] = {"name": name}
        seg["customers"] = _whole(row.get("customers"), f"{where}.customers", problems)
        seg["tenure"] = 0 if _is_blank(row.get("tenure")) else _whole(row.get("tenure"), f"{where}.tenure", problems)
        for field in SEGMENT_PARAMS:
            try:
                value = parse_param(row.get(field), f"{where}.{field}")
            except ScenarioError as exc:
                problems += exc.problems
                continue
            if value is None:
                if Segment.model_fields[field].is_required():
                    problems.append((f"{where}.{field}", "required: " + PARAM_FORMS))
            else:
                seg[field] = value
        share = row.get("new_customer_share")
        if not _is_blank(share):
            seg["new_customer_share"] = float(share)
        for lever in WEIGHT_LEVERS:
            w = row.get(lever)
            if not _is_blank(w):
                any_weight[lever] = True
                weights[lever][name] = float(w)
        names.append(name)
        seg_list.append(seg)
    if not seg_list:
        problems.append(("segments", "at least one segment is needed"))
    data["segments"] = seg_list
    for lever in WEIGHT_LEVERS:
        if any_weight[lever]:
            sections[lever]["weights"] = weights[lever]
        else:
            sections[lever].pop("weights", None)
    data.update(sections)

    if problems:
        # Report reading problems together with whatever the schema finds in the rest.
        named = {path for path, _ in problems}
        try:
            scenario_from_dict(_drop_unreadable(data))
        except ScenarioError as exc:
            problems += [p for p in exc.problems if p[0] not in named]
        raise ScenarioError(_unique(problems))
    return scenario_from_dict(data)


def _drop_unreadable(data: dict) -> dict:
    """The editor's data with unreadable entries (None) removed, for a second opinion from the schema."""
    out = {k: v for k, v in data.items() if v is not None}
    out["simulation"] = {k: v for k, v in data.get("simulation", {}).items() if v is not None}
    out["segments"] = [{k: v for k, v in s.items() if v is not None} for s in data.get("segments", [])]
    return out


def _unique(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def describe_problems(problems: list[tuple[str, str]], scenario_data: dict | None = None) -> list[str]:
    """Problems as lines for a person: ``segments[2].churn`` becomes ``segment 3 (C) · churn``."""
    segments = (scenario_data or {}).get("segments", [])
    segments = segments if isinstance(segments, list) else []
    names = [str(s.get("name", "")) if isinstance(s, dict) else "" for s in segments]
    lines = []
    for path, message in problems:
        m = re.match(r"segments\[(\d+)\](?:\.(.*))?$", path or "")
        if m:
            i = int(m[1])
            label = f"segment {i + 1}" + (f" ({names[i]})" if i < len(names) and names[i] else "")
            path = label + (f" · {m[2]}" if m[2] else "")
        lines.append(f"{path}: {message}" if path else message)
    return lines
