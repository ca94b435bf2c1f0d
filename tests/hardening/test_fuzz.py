"""Property-based tests: whatever arrives, a message naming a field or a sound result, in bounded time.

Scenarios are generated from the schema's own bounds (valid-shaped, with values at and beyond
the edges, wrong types and missing or unknown keys) and as mutations of the presets; share links
as random and damaged tokens; uploads as random bytes and damaged preset files. A hang fails
the test through its timeout (the thread method, since a compiled loop cannot be interrupted).
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
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


# Customer files: CSV and .xlsx uploads of every shape, ordinary to hostile ------------------------
UPLOAD_PEAK_BYTES = 200 * 1024 * 1024
COLUMN_NAMES = [
    "customer_id", "revenue", "start", "end", "status", "tenure", "potential", "segment", "gross_margin",
    "churn_risk", "customer", "date", "amount", "Cohort", "Year 0", "Year 1", "Year 2", "Year 999999999999",
    "cohort", "period", "active", "", "Umsatz (EUR)", "customer_id",
]  # fmt: skip
CELL_WORDS = [
    "", "0", "1", "-1", "12", "100", "1,234.50", "1.234,50", "€ 300", "35 %", "1e308", "1e19", "1e30", "nan", "inf",
    "-0", "2020-01-15", "2021-06-30", "15/01/2020", "9999-01-01", "0001-01-01", "1677-09-21", "2262-04-12",
    "2020-13-45", "active", "lapsed", "prospect", "yes", "C1", "C2", "C3", "A", "B", "#DIV/0!", "Bücher", '"',
    "'", "\x00", "\u202e", "=1+1",
]  # fmt: skip
cell_text = st.one_of(
    st.sampled_from(CELL_WORDS),
    st.integers(-(10**20), 10**20).map(str),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=12),
)
DAY = 86_400


@st.composite
def plausible_table(draw):
    """A customer table, a transaction log or a cohort table that reads, with a few cells made extreme."""
    kind = draw(st.sampled_from(["customers", "customers", "transactions", "cohorts"]))
    n = draw(st.integers(5, 60))
    start = draw(st.lists(st.integers(1_420_070_400, 1_700_000_000), min_size=n, max_size=n))
    day = [str(np.datetime64(t, "s").astype("datetime64[D]")) for t in start]
    if kind == "customers":
        header = ["customer_id", "revenue", "start", "end", "status", "potential", "segment"]
        ended = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        rows = [
            [f"C{i}", str(draw(st.integers(1, 5000))), day[i],
             str(np.datetime64(start[i] + 400 * DAY, "s").astype("datetime64[D]")) if ended[i] else "",
             "lapsed" if ended[i] else "active", str(draw(st.integers(0, 9000))), draw(st.sampled_from(["A", "B", ""]))]
            for i in range(n)
        ]  # fmt: skip
    elif kind == "transactions":
        header = ["customer_id", "date", "amount"]
        rows = [[f"C{draw(st.integers(0, 9))}", day[i], f"{draw(st.integers(1, 99_999)) / 100:.2f}"] for i in range(n)]
    else:
        periods = draw(st.integers(2, 9))
        header = ["Cohort"] + [f"Year {t}" for t in range(periods)]
        rows = []
        for c in range(draw(st.integers(1, 4))):
            counts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=periods, max_size=periods)), reverse=True)
            rows.append([f"K{c}"] + [str(x) for x in counts])
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 4]))):
        r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(header) - 1))
        rows[r][c] = draw(cell_text)
    return header, rows


@st.composite
def random_table(draw):
    width = draw(st.integers(1, 7))
    header = [draw(st.sampled_from(COLUMN_NAMES) | st.text(max_size=8)) for _ in range(width)]
    rows = draw(st.lists(st.lists(cell_text, min_size=0, max_size=width + 1), max_size=25))
    return header, rows


def table():
    """A header and rows of cells: mostly a plausible table with a few extreme cells, sometimes anything."""
    return st.one_of(plausible_table(), plausible_table(), random_table())


@st.composite
def csv_upload(draw):
    """``(name, bytes)`` of a delimited file: any delimiter, encoding and line ending, or a hostile shape."""
    shape = draw(st.sampled_from(["table"] * 12 + ["sniffer", "wide", "quotes", "binary", "mixed"]))
    if shape == "binary":
        return "data.csv", draw(st.binary(max_size=3000))
    if shape == "sniffer":
        return "data.csv", (",'" * draw(st.integers(1, 40_000)) + "\nC1,100\n").encode()
    if shape == "wide":
        n = draw(st.sampled_from([199, 200, 201, 5_000, 300_000]))
        return "wide.csv", ("customer_id," + ",".join(f"c{i}" for i in range(n)) + "\nC1" + ",1" * n + "\n").encode()
    header, rows = draw(table())
    delimiter = draw(st.sampled_from([",", ",", ";", "\t", "|", " ", ":"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    if shape == "quotes":
        lines = [line.replace(draw(st.sampled_from([",", "C", "1", "a"])), '"', 1) for line in lines]
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    if shape == "mixed":
        return "data.csv", b"\n".join(
            line.encode("utf-8" if i % 2 else "cp1252", errors="replace") for i, line in enumerate(text.split("\n"))
        )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return draw(st.sampled_from(["data.csv"] * 8 + ["data.txt", "data.xlsx"])), text.encode(encoding, errors="replace")


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def xlsx_cell(draw, ref: str, value: str, odd: bool):
    """The cell ``ref`` holding ``value`` as Excel would (a number or an inline string), or (``odd``) perhaps not."""
    kind = (
        draw(st.sampled_from(["as is"] * 12 + ["number", "shared", "bool", "error", "date", "odd"])) if odd else "as is"
    )
    if kind == "as is":
        try:
            float(value)
            return f'<c r="{ref}"><v>{_xml_text(value)}</v></c>'
        except ValueError:
            return f'<c r="{ref}" t="inlineStr"><is><t>{_xml_text(value)}</t></is></c>'
    if kind == "number":
        return f'<c r="{ref}"><v>{draw(st.sampled_from(["1", "2.5", "1e400", "#DIV/0!", "-0", "nan"]))}</v></c>'
    if kind == "shared":
        return f'<c r="{ref}" t="s"><v>{draw(st.sampled_from(["0", "1", "5", "-1", "x"]))}</v></c>'
    if kind == "bool":
        return f'<c r="{ref}" t="b"><v>{draw(st.sampled_from(["0", "1", "2"]))}</v></c>'
    if kind == "error":
        return f'<c r="{ref}" t="e"><v>#N/A</v></c>'
    if kind == "date":
        serial = draw(st.sampled_from(["43831", "0", "-5", "2958466", "1e20", "43831.5"]))
        return f'<c r="{ref}" s="1"><v>{serial}</v></c>'
    odd = draw(st.sampled_from(["", ' r=""', ' r="1A"', ' r="AAAA1"', ' t="zz"']))
    return f"<c{odd}><v>1</v></c>"


STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'
)


@st.composite
def xlsx_upload(draw):
    """``(name, bytes)`` of a workbook: a table as inline, shared, typed and date cells, with hostile variants."""
    from tests.portfolio import hostile_files as hf

    header, rows = draw(table())
    # rows one after another, or far apart (the gaps may carry the last past the sheet's 1,048,576 rows)
    gaps = draw(st.lists(st.sampled_from([1, 1, 1, 2, 1000, 60_000]), min_size=len(rows), max_size=len(rows)))
    row_numbers = list(itertools.accumulate(gaps, initial=1))[1:]
    far = draw(st.sampled_from([None] * 8 + ["GR", "GS", "XFD"]))
    odd = draw(st.integers(0, 3)) == 0
    body = hf.header_row([_xml_text(h) for h in header])
    for number, cells in zip(row_numbers, rows, strict=True):
        body += f'<row r="{number}">'
        body += "".join(draw(xlsx_cell(f"{chr(65 + i)}{number}", value, odd)) for i, value in enumerate(cells))
        body += (f'<c r="{far}{number}" t="inlineStr"><is><t>x</t></is></c>' if far else "") + "</row>"
    prolog = draw(st.sampled_from([""] * 10 + ['<!DOCTYPE worksheet [<!ENTITY a "aaaa">]>', "<!DOCTYPE worksheet>"]))
    strings = draw(
        st.sampled_from([None, "", "<sst><si><t>C1</t></si><si><r><t>a</t></r><rPh><t>x</t></rPh></si></sst>"])
    )
    if strings == "":
        strings = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    out = io.BytesIO()
    hf.write_xlsx(
        out, hf.sheet(body, prolog=prolog), strings_xml=strings, styles_xml=STYLES if draw(st.booleans()) else None
    )
    data = bytearray(out.getvalue())
    for _ in range(draw(st.sampled_from([0] * 8 + [1, 3]))):  # damage: a flipped, cut or inserted byte
        i = draw(st.integers(0, len(data) - 1))
        data[i : i + draw(st.integers(0, 3))] = draw(st.binary(max_size=3))
    return draw(st.sampled_from(["data.xlsx"] * 8 + ["data.csv"])), bytes(data)


def check_upload(name: str, data: bytes) -> None:
    """The property: the whole upload path ends in a result or an InputError, within the memory bound."""
    from simulation.portfolio.analysis import analyse, fit_cohorts
    from simulation.portfolio.columns import guess_kind, propose_mapping
    from simulation.portfolio.data import read_cohorts, read_customers
    from simulation.portfolio.reading import read_upload_bounded
    from simulation.portfolio.scenario_build import build_scenario
    from simulation.portfolio.transactions import read_transactions

    def run():
        raw = read_upload_bounded(data, name, seconds=30)
        kind = guess_kind(raw.columns)
        mapping = propose_mapping(raw.columns, kind)
        if kind == "cohorts":
            fit_cohorts(read_cohorts(raw, mapping))
            return "cohorts read"
        reader = read_transactions if kind == "transactions" else read_customers
        build_scenario(analyse(reader(raw, mapping)), runs=10)
        return "scenario built"

    tracemalloc.start()
    try:
        try:
            event(run())
        except InputError as exc:
            assert 0 < len(str(exc)) < MESSAGE_LIMIT, f"message of {len(str(exc)):,} characters"
            event(f"refused: {type(exc).__name__}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < UPLOAD_PEAK_BYTES, f"peak {peak:,} bytes reading {len(data):,} bytes"


# A third of the profile's cases: each reads, classifies and fits (10 in the fast profile, 1,000 in the long one).
UPLOAD_CASES = settings(max_examples=max(10, settings.default.max_examples // 3))


@pytest.mark.timeout(1800, method="thread")
@UPLOAD_CASES
@given(csv_upload())
def test_customer_csv_uploads_give_a_result_or_a_message_in_bounded_memory(file):
    check_upload(*file)


@pytest.mark.timeout(1800, method="thread")
@UPLOAD_CASES
@given(xlsx_upload())
def test_customer_xlsx_uploads_give_a_result_or_a_message_in_bounded_memory(file):
    check_upload(*file)
