"""Scenario numbers as text, in four forms that read back exactly.

``0.012`` (a fixed number), ``0.008 .. 0.016`` (uniform range), ``0.008 / 0.012 / 0.016``
(low / most likely / high, triangular) and ``0.012 ± 0.002`` (normal, mean ± sd).
:func:`format_param` and :func:`parse_param` convert exactly, so an untouched cell reads back
to the same number.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .distributions import Distribution
from .scenario import ScenarioError


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
