"""The Portfolio page on a transaction log: the purchase model and its holdout check, through AppTest."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from tests.portfolio.cdnow import cdnow_csv

from .conftest import APP, APP_TIMEOUT

PAGE = "pages/portfolio.py"
HOLDOUT_TITLE = "Holdout check: repeat purchases after the as-of date"


def _charts(at) -> list[tuple[dict, list[dict]]]:
    """Each Altair chart's spec and the rows of its data (sent beside the spec, as Arrow)."""
    out = []
    for chart in at.get("vega_lite_chart"):
        rows = [r for d in chart.proto.datasets for r in pa.ipc.open_stream(d.data.data).read_all().to_pylist()]
        out.append((json.loads(chart.proto.spec), rows))
    return out


def _specs(at) -> list[dict]:
    return [spec for spec, _ in _charts(at)]


def _title(spec: dict) -> str:
    title = spec.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else title


def test_a_transaction_log_shows_predicted_against_actual_purchases_after_the_as_of_date(tmp_path):
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT).run()
    at.switch_page(PAGE).run()
    at.session_state["pf_file"] = ("cdnow.csv", cdnow_csv(tmp_path / "cdnow.csv").read_bytes())
    at.run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert HOLDOUT_TITLE not in [_title(s) for s in _specs(at)], "the log's end as the as-of date: nothing to check"

    at.sidebar.date_input(key="pf_as_of").set_value(date(1997, 9, 30)).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert not at.error, f"errors: {[e.value for e in at.error]}"
    holdout = [(s, rows) for s, rows in _charts(at) if _title(s) == HOLDOUT_TITLE]
    assert len(holdout) == 1, f"one holdout chart, got charts {[_title(s) for s in _specs(at)]}"
    spec, rows = holdout[0]
    enc = spec["encoding"]
    assert enc["x"]["title"] == "Months after 1997-09-30", f"x axis says the unit and the date: {enc['x']['title']}"
    assert enc["y"]["title"] == "Repeat purchases per month", f"y axis says what and per what: {enc['y']['title']}"
    assert {r["series"] for r in rows} == {"actual", "predicted"}, "both series are drawn"
    assert len(rows) == 2 * 8, f"8 whole months from October 1997 to June 1998, two series: {len(rows)} rows"
    assert any("BG/NBD" in t.value for t in at.subheader), "the purchase model has its own heading"
