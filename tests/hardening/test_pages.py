"""Hostile links and files on the pages: shown as typed, refused with a message, never a traceback."""

from __future__ import annotations

import json
import re

import pytest

from simulation import scenario_from_dict
from tests.helpers import make
from tests.pages.conftest import empty_caches, start_app  # noqa: F401 - the fixture clears Streamlit's caches
from ui.safe_text import shown

HOSTILE_NAME = "Plan [click](https://evil.example) ![](https://t.example/p.png) <b>x</b> www.evil.example"
# Markdown that would be live: a link or image "](", raw HTML "<", an autolink "www." / "://"
_LIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)<|www\.(?!\\)|(?<!\\):/")


def errors(at) -> str:
    return "\n".join(e.value for e in at.error)


def test_a_shared_name_and_description_render_as_typed():
    scenario = scenario_from_dict(make(name=HOSTILE_NAME, description="![](https://t.example/d.png) *loud*"))
    at = start_app(scenario)
    assert not at.exception, f"the page raised: {at.exception}"
    title = at.title[0].value
    assert shown(title) == HOSTILE_NAME, f"the heading reads as typed: {title!r}"
    assert not _LIVE.search(title), f"the heading holds live Markdown: {title!r}"
    # the description is shown with st.text, which never reads Markdown: exactly as typed
    texts = [t.value for t in at.text if "t.example" in t.value]
    assert texts == ["![](https://t.example/d.png) *loud*"], f"the description is plain text: {texts}"


def test_a_deeply_nested_upload_is_a_message():
    at = start_app(scenario_from_dict(make()))
    deep = ("[" * 50_000 + "]" * 50_000).encode()
    at.file_uploader[0].set_value(("deep.json", deep, "application/json")).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert "deep.json could not be opened" in shown(errors(at)), errors(at)


def test_an_upload_with_a_markdown_file_name_is_escaped():
    at = start_app(scenario_from_dict(make()))
    at.file_uploader[0].set_value(("[x](https://evil.example).toml", b"= broken", "application/toml")).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert not _LIVE.search(errors(at)), f"file name escaped: {errors(at)!r}"


def test_an_oversized_scenario_names_the_runs_on_the_page():
    data = make(horizon=600, simulation={"runs": 2000, "seed": 1})
    data["segments"] = [dict(data["segments"][0], name=f"S{i}") for i in range(50)]
    at = start_app(scenario_from_dict(data))
    assert not at.exception, f"the page raised: {at.exception}"
    assert "simulation.runs" in shown(errors(at)) and "runs or fewer" in errors(at), errors(at)
    assert "failed unexpectedly" not in errors(at), errors(at)


@pytest.mark.parametrize(("churn", "phi"), [(1e-17, 0.2), (0.9999999999999999, 0.72)])
def test_extreme_churn_gives_figures_not_a_failure(churn, phi):
    at = start_app(scenario_from_dict(make(segment={"churn": churn, "churn_heterogeneity": phi})))
    assert not at.exception, f"the page raised: {at.exception}"
    assert not at.error, f"the page shows errors: {errors(at)}"
    assert len(at.metric) >= 10, "the headline figures are shown"


def test_an_upload_over_the_size_limit_is_a_message():
    at = start_app(scenario_from_dict(make()))
    big = json.dumps({**make(), "description": "x" * 1_100_000}).encode()
    at.file_uploader[0].set_value(("big.json", big, "application/json")).run()
    assert not at.exception, f"the page raised: {at.exception}"
    assert "1,000,000 bytes" in errors(at) and len(errors(at)) < 500, errors(at)[:300]


def test_an_oversized_scenario_names_the_runs_on_the_optimise_page():
    data = make(horizon=600, simulation={"runs": 2000, "seed": 1}, budget={"acquisition": 5000, "retention": 5000})
    data["segments"] = [dict(data["segments"][0], name=f"S{i}") for i in range(50)]
    at = start_app(scenario_from_dict(data))
    at.switch_page("pages/optimise.py").run()
    assert not at.exception, f"the Optimise page raised: {at.exception}"
    assert "simulation.runs" in shown(errors(at)), f"names the runs: {errors(at)[:300]}"
    assert "failed unexpectedly" not in errors(at), errors(at)
