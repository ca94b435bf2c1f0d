"""A picker for an uncertain assumption: a number, a range, low / most likely / high, or mean ± sd.

One Streamlit component: the person chooses the form, types its numbers, sees a small
preview of what the model will draw, and gets back the value in the scenario's format
(a float, ``{low, high}``, ``{low, mode, high}`` or ``{mean, sd}``), checked against the
field's valid range from the schema (:func:`simulation.model.scenario.bounds_of`).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from pydantic import BaseModel, ValidationError

from simulation.model.distributions import Bounds, Distribution
from simulation.model.scenario import bounds_of
from ui.shared import style
from ui.shared.safe_text import code

FORMS = {
    "number": "A number",
    "uniform": "A range (uniform)",
    "triangular": "Low / most likely / high",
    "normal": "Mean ± sd (normal)",
}
PREVIEW_DRAWS = 2000
PREVIEW_BINS = 30


def form_of(value) -> str:
    """The picker's form for a scenario value (a number or a distribution)."""
    if isinstance(value, Distribution):
        return value.kind
    if isinstance(value, dict):
        return Distribution.model_validate(value).kind
    return "number"


def _parts(value) -> dict[str, float]:
    if isinstance(value, Distribution):
        return value.as_dict()
    if isinstance(value, dict):
        return dict(value)
    x = float(value)
    return {"value": x}


def build_value(
    form: str, numbers: dict[str, float], bounds: Bounds, field: str
) -> tuple[float | dict | None, str | None]:
    """The scenario value for ``form`` from the typed numbers, or ``(None, message)`` naming the field.

    The checks are the schema's: a distribution must be well formed (low <= mode <= high,
    sd >= 0) and its ends (its mean, for a normal) inside the field's range.
    """
    allowed = bounds.describe()
    if form == "number":
        x = float(numbers["value"])
        if not np.isfinite(x) or not bounds.contains(x):
            return None, f"{field}: must be {allowed}; got {x:g}"
        return x, None
    keys = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "normal": ("mean", "sd")}[form]
    data = {k: float(numbers[k]) for k in keys}
    try:
        dist = Distribution.model_validate(data)
    except ValidationError as exc:
        reason = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        return None, f"{field}: {reason}"
    ends = [("mean", dist.mean)] if form == "normal" else [("low", dist.low), ("high", dist.high)]
    for name, x in ends:
        if not bounds.contains(x):
            return None, f"{field}: {name} must be {allowed}; got {x:g}"
    return dist.as_dict(), None


def preview_frame(value, bounds: Bounds) -> pd.DataFrame:
    """What the model draws from ``value``: a histogram of evenly spaced quantiles, clipped as in a run."""
    dist = Distribution.model_validate(value)
    lo, hi = bounds.clip_range()
    u = (np.arange(PREVIEW_DRAWS) + 0.5) / PREVIEW_DRAWS
    x = dist.ppf(u, lo, hi)
    if float(np.ptp(x)) == 0.0:
        return pd.DataFrame({"start": [x[0]], "end": [x[0]], "share": [1.0]})
    counts, edges = np.histogram(x, bins=PREVIEW_BINS)
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "share": counts / counts.sum()})


def preview_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_rect(color=style.PLAN, opacity=0.7)
        .encode(
            x=alt.X("start:Q", title=title, scale=alt.Scale(zero=False)),
            x2="end:Q",
            y=alt.Y("share:Q", title=None, axis=alt.Axis(format=".0%", tickCount=3)),
            y2=alt.datum(0),
            tooltip=[
                alt.Tooltip("start:Q", title="From", format=",.4~g"),
                alt.Tooltip("end:Q", title="To", format=",.4~g"),
                alt.Tooltip("share:Q", title="Share of futures", format=".1%"),
            ],
        )
        .properties(height=90)
    )


def distribution_picker(
    label: str,
    value,
    model: type[BaseModel],
    field: str,
    key: str,
    *,
    path: str | None = None,
    help: str | None = None,
) -> float | dict | None:
    """Pick a scenario number or its distribution; returns the value, or None after showing what is wrong.

    Parameters
    ----------
    label : str
        What the assumption is, as the person reads it.
    value : float, dict or Distribution
        The current value (sets the form and numbers on the first render).
    model, field : pydantic model and field name
        Where the field is declared, for its valid range (``bounds_of(model, field)``).
    key : str
        A unique widget key prefix.
    path : str, optional
        The field's path in the scenario for messages (default: ``field``).
    """
    bounds = bounds_of(model, field)
    path = path or field
    parts = _parts(value)
    centre = float(np.mean(list(parts.values()))) if form_of(value) != "normal" else parts["mean"]
    form = st.segmented_control(
        code(label),  # the label may name a user's segment
        list(FORMS),
        default=form_of(value),
        format_func=FORMS.get,
        key=f"{key}_form",
        help=help
        or f"Allowed: {bounds.describe()}. A range is uncertainty: each simulated future draws its own value.",
    )
    form = form or "number"
    names = {
        "number": ("value",),
        "uniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "normal": ("mean", "sd"),
    }[form]
    titles = {"value": "Value", "low": "Low", "mode": "Most likely", "high": "High", "mean": "Mean", "sd": "Sd"}
    numbers = {}
    for col, name in zip(st.columns(len(names)), names, strict=True):
        start = parts.get(name, parts.get("mode", centre) if name != "sd" else abs(centre) * 0.1)
        numbers[name] = col.number_input(
            titles[name], value=float(start), format="%.6g", key=f"{key}_{form}_{name}", step=None
        )
    result, problem = build_value(form, numbers, bounds, path)
    if problem:
        st.error(problem)
        return None
    if isinstance(result, dict):
        st.altair_chart(preview_chart(preview_frame(result, bounds), label), width="stretch")
        st.caption("What the simulation draws: one value per future, clipped to the allowed range.")
    return result
