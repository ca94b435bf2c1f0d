"""The "All assumptions" editor's tables as pure functions of a scenario (no Streamlit here).

Three tables (budgets, lever assumptions, segments) are built from a scenario, and a new
scenario is read back from them; every problem is collected and raised together, each
naming its field path. Numbers are shown and read in the text forms of
:mod:`simulation.model.param_text`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from simulation import Scenario, ScenarioError, scenario_from_dict
from simulation.model.fields import LEVER_FIELDS, LEVER_MODELS, SEGMENT_FIELDS
from simulation.model.levers import SPLIT_LEVERS
from simulation.model.param_text import PARAM_FORMS, format_param, parse_param
from simulation.model.scenario import (
    SEGMENT_ASSUMPTIONS,
    Segment,
    bounds_of,
)

SEGMENT_PARAMS = SEGMENT_ASSUMPTIONS  # the editor shows them in the schema's order
WEIGHT_LEVERS = SPLIT_LEVERS
LEVER_ROWS = LEVER_FIELDS
SEGMENT_COLUMNS = SEGMENT_FIELDS
BUDGET_LEVERS = {
    "acquisition": "Acquisition",
    "retention": "Retention",
    "expansion": "Expansion",
    "winback": "Win-back",
}
BUDGET_ROWS = ("Plan", "Status quo")


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
