"""Property-based tests: whatever arrives, a message naming a field or a sound result, in bounded time.

Scenarios are generated from the schema's own bounds (valid-shaped, with values at and beyond
the edges, wrong types and missing or unknown keys) and as mutations of the presets; share links
as random and damaged tokens; uploads as random bytes and damaged preset files. A hang fails
the test through its timeout (the thread method, since a compiled loop cannot be interrupted).
"""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from simulation import Scenario, ScenarioError, compare, scenario_from_dict
from simulation.errors import InputError
from simulation.io.presets import list_presets, load_preset
from simulation.io.sharing import decode_scenario, encode_scenario
from simulation.model.distributions import Distribution
from simulation.model.scenario import (
    Acquisition,
    Budget,
    Expansion,
    Retention,
    Segment,
    Winback,
    bounds_of,
)
from tests.hardening.invariants import assert_sound
from tests.pages.markdown_reading import outside_code
from ui.plan.upload import read_upload

MESSAGE_LIMIT = 20_000  # characters of one whole message, however bad the input

EXTREMES = [
    0, -0.0, -1, 1, 5e-324, 1e-300, 1e-17, 0.9999999999999999, 1.0000000000000002, 1e9, 1e9 + 1, 1e12, 5e17,
    1e18, 1.8e308, math.inf, -math.inf, math.nan, 2**63, 2**64, 10**400, None, True, "1", [], {}, [1, 2],
    {"low": None, "high": 0.1}, {"mean": 1, "sd": math.nan}, {"low": 2, "high": 1}, {"low": 0, "mode": 5, "high": 1},
]  # fmt: skip
extreme = st.sampled_from(EXTREMES).map(copy.deepcopy)  # a fresh copy: mutations must not share lists


def number_in(bounds, integer: bool = False):
    lo = bounds.lo if math.isfinite(bounds.lo) else -1e12
    hi = bounds.hi if math.isfinite(bounds.hi) else 1e12
    if integer:
        return st.integers(int(lo), int(hi))
    edges = [x for x in (lo, hi, lo + 1e-12, hi - 1e-12) if bounds.contains(x)]
    inside = st.floats(lo, hi, exclude_min=bounds.lo_open, exclude_max=bounds.hi_open, allow_nan=False)
    return st.one_of(inside, st.sampled_from(edges)) if edges else inside


@st.composite
def param(draw, bounds):
    """A field's value: mostly valid (a number or a distribution inside the bounds), sometimes extreme."""
    kind = draw(st.sampled_from(["number"] * 8 + ["uniform", "triangular", "normal", "extreme"]))
    if kind == "extreme":
        return draw(extreme)
    x = draw(number_in(bounds))
    if kind == "number":
        return x
    y = draw(number_in(bounds))
    lo, hi = min(x, y), max(x, y)
    if kind == "uniform":
        return {"low": lo, "high": hi}
    if kind == "triangular":
        return {"low": lo, "mode": draw(st.floats(lo, hi)) if lo < hi else lo, "high": hi}
    width = bounds.hi - bounds.lo if math.isfinite(bounds.hi - bounds.lo) else 1e6
    return {"mean": x, "sd": draw(st.floats(0, width))}


def section(model, fields):
    return st.fixed_dictionaries({}, optional={f: param(bounds_of(model, f)) for f in fields})


LEVERS = ("acquisition", "retention", "expansion", "winback")
EDGE_COUNTS = [0, 1, 10**9, -1, 10**400]


@st.composite
def scenario_doc(draw):
    """A scenario document of the right shape with values anywhere from ordinary to absurd."""
    n = draw(st.sampled_from([1, 1, 2, 3, 50]))
    names = [f"S{i}" for i in range(n)]
    segments = []
    for name in names:
        seg = {
            "name": draw(st.sampled_from([name] * 12 + ["", "x" * 61, "A\u202eB", ["a"], 1])) if n == 1 else name,
            "customers": draw(st.integers(0, 100_000_000) if draw(st.integers(0, 9)) else st.sampled_from(EDGE_COUNTS)),
            "revenue_per_customer": draw(param(bounds_of(Segment, "revenue_per_customer"))),
            "churn": draw(param(bounds_of(Segment, "churn"))),
        }
        for f in ("gross_margin", "churn_heterogeneity", "upsell_rate", "upsell_uplift"):
            if draw(st.booleans()):
                seg[f] = draw(param(bounds_of(Segment, f)))
        if draw(st.booleans()):
            seg["tenure"] = draw(st.integers(0, 1200))
        segments.append(seg)
    if draw(st.integers(0, 4)) == 0:
        for seg in segments:
            seg["new_customer_share"] = draw(st.floats(0, 1))
    money = number_in(bounds_of(Budget, "acquisition"))
    doc = {
        "name": draw(st.sampled_from(["Fuzz"] * 6 + ["[x](https://e.example)", "x" * 121, "A\u200bB"])),
        "horizon": draw(st.sampled_from([1, 2, 12, 60, 600] * 4 + [0, 601])),
        "budget": draw(st.fixed_dictionaries({}, optional={k: money for k in LEVERS})),
        "acquisition": draw(section(Acquisition, ["cost_multiplier", "max_new_per_period", "market_size"])),
        "retention": draw(section(Retention, ["cost_per_save", "max_churn_reduction"])),
        "expansion": draw(section(Expansion, ["cost_per_upsell", "max_extra_upsell_rate"])),
        "winback": draw(section(Winback, ["cost_per_winback", "max_winback_rate"])),
        "segments": segments,
        "simulation": {"runs": 10, "seed": draw(st.integers(0, 2**63 - 1))},
    }  # fmt: skip
    if draw(st.booleans()):
        doc["discount_rate"] = draw(param(bounds_of(Scenario, "discount_rate")))
    if draw(st.integers(0, 5)) == 0:
        doc["retention"]["weights"] = {name: draw(st.floats(0, 1e12)) for name in names}
    return doc


def check_outcome(doc) -> None:
    """The property: a message naming each problem's field, or a run whose results are sound."""
    try:
        scenario = scenario_from_dict(doc)
    except ScenarioError as exc:
        text = exc.describe()
        assert exc.problems, "a refusal lists its problems"
        assert len(text) < MESSAGE_LIMIT, f"message of {len(text):,} characters"
        for path, message in exc.problems:
            assert message, f"problem at {path!r} has a message"
            assert path or "scenario" in message or "table" in message, f"problem without a field: {message}"
        event("refused with a message")
        return
    assume(scenario.horizon * len(scenario.segments) <= 3_000)  # 10 runs: at most 30,000 steps
    comparison = compare(scenario, runs=10)
    assert_sound(comparison.plan)
    assert_sound(comparison.baseline)
    event("valid, simulated and sound")


@pytest.mark.timeout(1800, method="thread")
@given(scenario_doc())
def test_generated_scenarios_are_refused_by_field_or_run_soundly(doc):
    check_outcome(doc)


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


PRESETS = {key: load_preset(key).to_dict() for key in list_presets()}


@st.composite
def mutated_preset(draw):
    doc = copy.deepcopy(PRESETS[draw(st.sampled_from(sorted(PRESETS)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["set", "set", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["colour", "low", "mean", "weights", ""]))] = draw(extreme)
        else:
            parent[path[-1]] = draw(extreme)
    doc["simulation"] = {"runs": 10, "seed": 1}
    return doc


@pytest.mark.timeout(1800, method="thread")
@given(mutated_preset())
def test_mutated_presets_are_refused_by_field_or_run_soundly(doc):
    check_outcome(doc)


TOKEN = encode_scenario(load_preset(list_presets()[0]))
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@st.composite
def share_token(draw):
    kind = draw(st.sampled_from(["random", "damaged", "damaged", "text"]))
    if kind == "random":
        return "v1." + draw(st.text(alphabet=B64, max_size=400))
    if kind == "text":
        return draw(st.text(max_size=200))
    token = list(TOKEN)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(token) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert", "append"]))
        if op == "flip":
            token[i] = draw(st.sampled_from(B64 + "=.%+ "))
        elif op == "cut":
            token = token[:i] or ["v"]
        elif op == "insert":
            token.insert(i, draw(st.sampled_from(B64)))
        else:
            token += list(draw(st.text(alphabet=B64, min_size=1, max_size=8)))
    return "".join(token)


@pytest.mark.timeout(1800, method="thread")
@given(share_token())
def test_share_tokens_decode_to_a_scenario_or_a_message(token):
    try:
        scenario = decode_scenario(token)
    except InputError as exc:
        assert 0 < len(str(exc)) < MESSAGE_LIMIT, f"message of {len(str(exc)):,} characters"
        return
    assert isinstance(scenario, Scenario), "a token decodes to a validated scenario"
    assert encode_scenario(scenario) == token.strip(), "only the exact encoding of a scenario is accepted"


JSON_VALUES = st.recursive(
    st.none() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30,
)
PRESET_TOML = load_preset(list_presets()[0]).to_toml().encode()


@st.composite
def upload(draw):
    kind = draw(st.sampled_from(["bytes", "damaged", "damaged", "json"]))
    if kind == "bytes":
        return draw(st.sampled_from(["a.toml", "a.json"])), draw(st.binary(max_size=2000))
    if kind == "json":
        return "a.json", json.dumps(draw(JSON_VALUES)).encode()
    data = bytearray(PRESET_TOML)
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(data) - 1))
        data[i : i + draw(st.integers(0, 5))] = draw(st.binary(min_size=0, max_size=6))
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"[" * 2000]))
    return draw(st.sampled_from(["a.toml", "[x](https://e.example).toml"])), prefix + bytes(data)


@pytest.mark.timeout(1800, method="thread")
@given(upload())
def test_uploads_open_or_give_a_message(file):
    name, data = file
    scenario, message = read_upload(name, data)
    assert isinstance(message, str) and 0 < len(message) < MESSAGE_LIMIT, f"message of {len(message):,} characters"
    assert scenario is None or isinstance(scenario, Scenario), "a scenario or nothing"
    outside = outside_code(message)
    assert "](" not in outside and "e.example" not in outside, f"file name only in code spans: {message[:200]!r}"


def test_distribution_refuses_every_non_finite_value():
    for key in ("low", "high"):
        for bad in (math.nan, math.inf, -math.inf, None, True, "0.1"):
            data = {"low": 0.0, "high": 0.1, key: bad}
            with pytest.raises(ValueError):
                Distribution.model_validate(data)
