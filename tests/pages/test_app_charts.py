"""Chart builders: pure functions of aggregated frames, checked through their Vega-Lite specs."""

from __future__ import annotations

import html
import json
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from hypothesis import example, given
from hypothesis import strategies as st

from ui.shared import charts, style

PERCENTILES = ["p5", "p25", "p50", "p75", "p95"]
COLORS = {"Plan": style.PLAN, "Status quo": style.STATUS_QUO}


def summary(metric: str, level: float, horizon: int = 12) -> pd.DataFrame:
    periods = np.arange(horizon + 1)
    frame = pd.DataFrame({"period": periods, "metric": metric, "mean": level + periods})
    for i, p in enumerate(PERCENTILES):
        frame[p] = level + periods + (i - 2) * 10.0
    return frame


@pytest.fixture
def fan_frame() -> pd.DataFrame:
    return charts.fan_frame({"Plan": summary("revenue", 1000), "Status quo": summary("revenue", 900)}, "revenue")


def fan(frame, **kw):
    params = dict(
        title="Revenue per month",
        y_title="Revenue per month (EUR)",
        kind="money",
        currency="EUR",
        period="month",
        colors=COLORS,
        runs=1000,
    )
    params.update(kw)
    return charts.fan_chart(frame, **params)


def test_fan_frame_keeps_one_metric_per_series_in_order():
    mixed = pd.concat([summary("revenue", 1000), summary("active_customers", 50)])
    frame = charts.fan_frame({"Plan": mixed, "Status quo": summary("revenue", 900)}, "revenue", first_period=1)
    assert list(frame["series"].unique()) == ["Plan", "Status quo"], "series order should follow the mapping"
    assert frame["period"].min() == 1, "flows start at period 1"
    assert len(frame) == 2 * 12, f"expected 12 periods per series, got {len(frame)}"
    assert frame.loc[frame["series"] == "Plan", "p50"].iloc[0] == 1001, "the Plan's own values should be kept"


def test_fan_chart_has_titles_units_bands_and_palette(fan_frame):
    spec = fan(fan_frame).to_dict()
    assert spec["title"]["text"] == "Revenue per month", "title missing"
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "median" in subtitle and "50 %" in subtitle and "90 %" in subtitle, f"bands unexplained: {subtitle}"
    layers = spec["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["area", "area", "line"], "expected 90 %, 50 % bands, line"
    assert layers[0]["encoding"]["y"]["field"] == "p5" and layers[0]["encoding"]["y2"]["field"] == "p95"
    assert layers[1]["encoding"]["y"]["field"] == "p25" and layers[1]["encoding"]["y2"]["field"] == "p75"
    assert layers[0]["mark"]["opacity"] < layers[1]["mark"]["opacity"], "the 90 % band should be the lighter one"
    y = layers[2]["encoding"]["y"]
    assert y["field"] == "p50" and "(EUR)" in y["axis"]["title"], f"median axis without currency: {y}"
    assert "€" in y["axis"]["labelExpr"], "money ticks should carry the currency symbol"
    assert layers[2]["encoding"]["x"]["title"] == "Month", "the x axis should name the period"
    scale = layers[2]["encoding"]["color"]["scale"]
    assert scale == {"domain": ["Plan", "Status quo"], "range": [style.PLAN, style.STATUS_QUO]}, f"palette: {scale}"
    legends = [layer["encoding"]["color"].get("legend") for layer in layers]
    assert all(legend is not None for legend in legends), "a layer without a legend hides the merged legend"


@pytest.mark.parametrize(("bands", "marks"), [((50,), ["area", "line"]), ((90,), ["area", "line"]), ((), ["line"])])
def test_fan_chart_draws_only_the_bands_asked_for(fan_frame, bands, marks):
    spec = fan(fan_frame, bands=bands).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == marks, f"bands {bands}"


def test_count_chart_has_no_currency(fan_frame):
    spec = fan(fan_frame, kind="count", y_title="Customers at the end of each month").to_dict()
    axis = spec["layer"][-1]["encoding"]["y"]["axis"]
    assert "labelExpr" not in axis and axis["title"] == "Customers at the end of each month", f"axis: {axis}"


def test_bridge_frame_floats_each_step_from_the_running_total():
    frame = charts.bridge_frame(
        {"Plan": {"start": 100, "new": 30, "expansion": 5, "winback": 2, "lost": 20, "end": 117}}
    )
    steps = frame.set_index("step")
    expected = [label for key, label in charts.BRIDGE_STEPS if key not in ("referred", "programmes", "price")]
    assert list(frame["step"]) == expected, "steps in order, the steps not given left out"
    assert (steps.loc["+ New customers", "bar_start"], steps.loc["+ New customers", "bar_end"]) == (100, 130)
    assert steps.loc["− Lost to churn", "amount"] == -20, "churn is shown as a loss"
    assert steps.loc["− Lost to churn", "bar_end"] == steps.loc["Run-rate at the end", "amount"], (
        "consistent inputs should land exactly on the end run-rate"
    )


def test_bridge_chart_labels_currency_period_and_series():
    bridges = {s: {"start": 100, "new": 30, "expansion": 5, "winback": 0, "lost": 20, "end": 115} for s in COLORS}
    spec = charts.bridge_chart(
        charts.bridge_frame(bridges), currency="USD", period="quarter", horizon=20, colors=COLORS, runs=500
    ).to_dict()
    assert spec["title"]["text"] == "Where the revenue run-rate comes from over 20 quarters", spec["title"]
    bars = spec["layer"][0]
    assert bars["encoding"]["x"]["axis"]["title"] == "Revenue run-rate (USD per quarter)", bars["encoding"]["x"]
    # steps run down the page, so each label has its own row and labels cannot run into each other on a phone
    assert bars["encoding"]["y"]["field"] == "step", "the steps should run down the chart"
    assert bars["encoding"]["yOffset"]["field"] == "series", "plan and status quo should stand one above the other"
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "text"], spec["layer"]


def drawn_labels(spec: dict) -> list[str]:
    """The text of every data label Vega draws for ``spec`` (axis labels and titles left out)."""
    svg = vlc.vegalite_to_svg(spec)
    marks = re.findall(r'<g class="mark-text role-mark[^"]*"[^>]*>(.*?)</g>', svg, flags=re.S)
    return [html.unescape(t) for m in marks for t in re.findall(r"<text[^>]*>([^<]*)</text>", m)]


@pytest.mark.parametrize("sign", [1, -1])
def test_every_bridge_step_but_nothing_has_one_label_however_short_its_bar(sign):
    # widest bar end 135: 15 % of it is 20.25, so the +5 and the 20 lost are short bars labelled beside
    # them, the rest inside; win-back is nothing and has no label. With sign -1 expansion is a loss.
    expansion = 5 * sign
    end = 100 + 30 + expansion - 20
    bridges = {
        s: {"start": 100, "new": 30, "expansion": expansion, "winback": 0, "lost": 20, "end": end} for s in COLORS
    }
    spec = charts.bridge_chart(
        charts.bridge_frame(bridges), currency="USD", period="month", horizon=12, colors=COLORS, runs=500
    ).to_dict()
    spec["width"] = 400
    expected = ["$100", "+$30", ("+$5" if sign > 0 else "−$5"), "−$20", f"${end}"]
    assert sorted(drawn_labels(spec)) == sorted(expected * len(COLORS)), drawn_labels(spec)


def test_gain_histogram_marks_losses_and_zero():
    from ui.plan.text import gain_bins

    rows = gain_bins(np.random.default_rng(0).normal(1e5, 2e5, 1000))
    spec = charts.gain_histogram(charts.gain_frame(rows), currency="USD", runs=1000, p_loss=0.31).to_dict()
    bars, zero = spec["layer"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["Gain", "Loss"], "gains and losses in their own colours"
    assert zero["mark"]["type"] == "rule" and zero["encoding"]["x"]["datum"] == 0, "zero should be marked"
    assert "31 %" in " ".join(spec["title"]["subtitle"]), "the chance of a loss should be in the subtitle"


def test_survival_chart_legends_agree_so_vega_does_not_warn():
    frame = pd.DataFrame({"period": [0, 1, 0, 1], "curve": ["a", "a", "b", "b"], "share": [1, 0.9, 1, 0.8]})
    enc = charts.survival_chart(frame, period="month", title="t", subtitle="s").to_dict()["encoding"]
    assert enc["strokeDash"]["legend"] == enc["color"]["legend"], "differing legends make Vega warn of a conflict"


def test_with_data_reuses_a_template_exactly(fan_frame):
    template = fan(fan_frame.iloc[0:0]).to_dict()
    fast = charts.with_data(template, fan_frame)
    full = fan(fan_frame).to_dict()
    (fast_name,), (full_name,) = fast["datasets"], full["datasets"]
    assert fast["datasets"][fast_name] == full["datasets"][full_name], "the rows should be the chart's own"
    fast_text = json.dumps(fast, sort_keys=True).replace(fast_name, "DATA")
    full_text = json.dumps(full, sort_keys=True).replace(full_name, "DATA")
    assert fast_text == full_text, "the template with new rows should equal the chart built from them"


def test_records_turn_missing_values_into_null():
    rows = charts.records(pd.DataFrame({"a": [1.0, np.nan]}))
    assert rows == [{"a": 1.0}, {"a": None}], f"NaN must become null for JSON: {rows}"


def test_exports_are_real_png_and_svg(fan_frame):
    spec = fan(fan_frame).to_dict()
    text = charts.export_json(spec)
    assert json.loads(text)["width"] == charts.EXPORT_WIDTH, "an exported chart needs a fixed width"
    png = charts.to_png(text)
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    svg = charts.to_svg(text)
    assert svg.lstrip().startswith("<svg") and "Revenue per month" in svg, "the SVG should carry the title"
    assert "€1k" in svg, "money ticks should render with the currency symbol"


def test_methodology_charts_build(fan_frame):
    survival = pd.DataFrame({"period": [0, 1, 0, 1], "curve": ["a", "a", "b", "b"], "share": [1, 0.9, 1, 0.8]})
    spec = charts.survival_chart(survival, period="month", title="T", subtitle="S").to_dict()
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%", "survival is a share"
    response = pd.DataFrame({"spend": [0, 1000], "lever": ["Acquisition", "Acquisition"], "units": [0, 1]})
    spec = charts.response_chart(response, currency="GBP", period="month", title="T", subtitle="S").to_dict()
    assert spec["encoding"]["x"]["axis"]["title"] == "Spend per month (GBP)", spec["encoding"]["x"]


def test_cached_chart_specs_survive_other_sessions_drawing_altair_charts():
    """Sessions build chart specs in threads of one process while others draw with ``st.altair_chart``,
    which switches Altair's data transformer and theme for every thread during its conversion. A spec
    built at that moment lost its rows, and the template was cached so: "with_data needs a spec with
    exactly one dataset" on the Plan page under load."""
    import threading

    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    from ui.shared import cache

    other = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_line().encode(x="x")
    rows = charts.gain_frame([{"start": 0.0, "end": 1.0, "share": 0.5, "side": "Gain"}])
    drawing = threading.Event()
    errors: list[str] = []
    specs: list[dict] = []

    def streamlit_session() -> None:
        while not drawing.is_set():
            _convert_altair_to_vega_lite_spec(other)

    def plan_session(i: int) -> None:
        for k in range(25):
            try:
                specs.append(cache.chart_spec("gain", rows, currency="USD", runs=100 + k + 100 * i, p_loss=0.1))
            except ValueError as exc:
                errors.append(str(exc))

    painter = threading.Thread(target=streamlit_session)
    painter.start()
    sessions = [threading.Thread(target=plan_session, args=(i,)) for i in range(4)]
    for t in sessions:
        t.start()
    for t in sessions:
        t.join()
    drawing.set()
    painter.join()
    assert not errors, f"{len(errors)} of 100 specs failed while another session drew: {errors[:2]}"
    rows_seen = {len(next(iter(s["datasets"].values()))) for s in specs}
    assert rows_seen == {1}, f"every spec must carry the frame's one row; row counts seen: {rows_seen}"
    themes = {json.dumps(s.get("config"), sort_keys=True) for s in specs}
    assert len(themes) == 1, f"every spec must have the same theme, whichever session drew at the time: {themes}"


def test_a_spec_from_the_cache_can_be_changed_without_changing_the_next(fan_frame):
    from ui.shared import cache

    params = dict(
        title="t", y_title="y", kind="money", currency="USD", period="month", colors={"Plan": "#000"}, runs=10
    )
    first = cache.chart_spec("fan", fan_frame, **params)
    expected = json.dumps(first, sort_keys=True)
    for value in first.values():
        if isinstance(value, dict):
            value.clear()
    first.clear()
    again = cache.chart_spec("fan", fan_frame, **params)
    assert json.dumps(again, sort_keys=True) == expected, "a caller's change reached the cached template"


def test_bridge_steps_for_programmes_and_price_float_and_keep_their_sign():
    bridge = {
        "start": 100,
        "new": 30,
        "expansion": 5,
        "winback": 2,
        "lost": 20,
        "programmes": -4,
        "price": 6,
        "end": 119,
    }
    frame = charts.bridge_frame({"Plan": bridge})
    steps = frame.set_index("step")
    assert list(frame["step"])[-3:] == ["± Programmes", "± Price change", "Run-rate at the end"], list(frame["step"])
    assert (steps.loc["± Programmes", "bar_start"], steps.loc["± Programmes", "bar_end"]) == (117, 113), (
        "a programme that lowers what customers pay steps down from the running total"
    )
    assert steps.loc["± Price change", "bar_end"] == steps.loc["Run-rate at the end", "amount"], "lands on the end"
    assert list(frame["total"]) == [True, False, False, False, False, False, False, True], "only the ends are totals"


def test_bridge_labels_sign_every_step_and_no_total():
    bridges = {"Plan": {"start": 100, "new": 30, "expansion": 5, "winback": 2, "lost": 20, "programmes": 4, "end": 121}}
    spec = charts.bridge_chart(
        charts.bridge_frame(bridges), currency="EUR", period="month", horizon=60, colors={"Plan": style.PLAN}, runs=9,
        **charts.bridge_options(bridges),
    ).to_dict()  # fmt: skip
    label = next(t["calculate"] for t in spec["layer"][1]["transform"] if t.get("as") == "label")
    assert "datum.total" in label and "datum.order" not in label, f"signs from the step's kind, not its place: {label}"
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "programmes and prices" in subtitle, f"the subtitle explains the programme step: {subtitle}"
    plain = {"Plan": {k: v for k, v in bridges["Plan"].items() if k != "programmes"}}
    spec = charts.bridge_chart(
        charts.bridge_frame(plain), currency="EUR", period="month", horizon=60, colors={"Plan": style.PLAN}, runs=9,
        **charts.bridge_options(plain),
    ).to_dict()  # fmt: skip
    assert "programmes" not in " ".join(spec["title"]["subtitle"]), "no word of programmes in a bridge without them"


def test_the_bridge_grows_with_its_steps_so_bars_keep_room_for_labels():
    six = {"Plan": dict.fromkeys(("start", "new", "expansion", "winback", "lost", "end"), 1.0)}
    nine = {
        "Plan": dict.fromkeys(
            ("start", "new", "referred", "expansion", "winback", "lost", "programmes", "price", "end"), 1.0
        )
    }
    assert charts.bridge_height(six, 340) == 340, "the default height holds up to seven steps"
    assert charts.bridge_height(nine, 340) == round(340 * 9 / 7), "each step beyond seven adds a seventh"
    assert charts.bridge_options(nine, 185) == {"height": round(185 * 9 / 7), "effects": True}


_amounts = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False)


@given(
    start=st.floats(min_value=0, max_value=1e8, allow_nan=False),
    new=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    lost=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    programmes=_amounts,
    price=_amounts,
)
@example(start=100.0, new=0.0, lost=0.0, programmes=-5.0, price=5.0)  # effects that cancel
@example(start=100.0, new=0.0, lost=0.0, programmes=0.0, price=0.0)  # effects at zero
def test_the_bridge_lands_on_its_end_whatever_the_signs_of_programmes_and_price(start, new, lost, programmes, price):
    end = start + new - lost + programmes + price
    bridge = {"start": start, "new": new, "expansion": 0.0, "winback": 0.0, "lost": lost}
    bridge |= {"programmes": programmes, "price": price, "end": end}
    frame = charts.bridge_frame({"Plan": bridge}).set_index("step")
    scale = max(abs(start), abs(new), abs(lost), abs(programmes), abs(price), 1.0)
    assert frame.loc["± Price change", "bar_end"] == pytest.approx(end, abs=1e-9 * scale), "lands on the end"
    for label, amount in (("± Programmes", programmes), ("± Price change", price)):
        row = frame.loc[label]
        assert row["amount"] == amount and row["bar_end"] - row["bar_start"] == pytest.approx(amount, abs=1e-9 * scale)
        assert not row["total"], f"{label} is a step, drawn with its sign"


def test_a_short_bar_at_the_axis_has_its_label_on_its_right():
    # a business that starts small: its start (3 of a widest 108) is labelled beside its bar, on the right
    bridges = {"Plan": {"start": 3, "new": 100, "expansion": 5, "winback": 0, "lost": 20, "end": 88}}
    spec = charts.bridge_chart(
        charts.bridge_frame(bridges), currency="USD", period="month", horizon=12, colors={"Plan": style.PLAN}, runs=500
    ).to_dict()
    spec["width"] = 400
    assert sorted(drawn_labels(spec)) == sorted(["$3", "+$100", "+$5", "−$20", "$88"]), drawn_labels(spec)
    svg = vlc.vegalite_to_svg(spec)
    start = re.search(r'<text aria-label="[^"]*label: \$3"[^>]*>', svg).group(0)
    assert 'text-anchor="start"' in start, start
