"""User text is shown as typed: a code span inside our Markdown, an HTML heading, never Markdown text."""

from __future__ import annotations

import types

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from simulation import ScenarioError
from simulation.decide import OBJECTIVES
from tests.helpers import scenario
from tests.pages.markdown_reading import CODE_SPAN, as_read, outside_code, page_heading
from ui.optimise import text as optimise_text
from ui.plan import text as plan_text
from ui.shared.safe_text import code, literal

HOSTILE = [
    "https://evil.example www.x.com a@b.co",
    "[click](https://evil.example) ![](https://t.example/a.png)",
    "`tick` and ``two`` ticks",
    "`starts and ends with a backtick`",
    " padded ",
    "costs $5 and $x$ maths",
    "$",
    "<b>bold</b> *em* :red[colour] :smile: # not a heading",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_code_shows_the_text_as_typed_and_leaves_nothing_to_format(text):
    markdown = code(text)
    assert as_read(markdown) == text, f"read back as typed: {markdown!r}"
    assert not outside_code(markdown).replace("$", "").strip(), f"only a '$' stands outside the spans: {markdown!r}"


def test_code_keeps_its_span_on_one_line():
    # a blank line or a line starting "#" or "-" would end the span and start a block of Markdown
    markdown = code("a\n\nhttps://evil.example\r\n# b\r- c")
    assert "\n" not in markdown and "\r" not in markdown, markdown
    assert as_read(markdown) == "a  https://evil.example # b - c", markdown


def test_a_dollar_stands_escaped_between_the_spans():
    # A maths span opened before the code span ("costs $x for ...") would run on to a "$" inside it
    # and leave the rest of the text as Markdown; an escaped "$" cannot close it.
    markdown = code("a$ https://evil.example $")
    assert markdown == r"` a `\$`  https://evil.example  `\$", markdown
    assert all("$" not in m[2] for m in CODE_SPAN.finditer(markdown)), f"no '$' inside a span: {markdown!r}"


def test_literal_escapes_our_own_markdown_signs():
    assert literal("Revenue ($) *per* month: 5_000") == r"Revenue (\$) \*per\* month\: 5\_000"


def heading_app():
    import streamlit as st

    from ui.shared.safe_text import heading

    heading(st.session_state["name"])


def test_heading_is_an_html_h1_reading_exactly_the_name():
    name = "Plan <img src=x onerror=alert(1)> https://evil.example & a@b.co"
    at = AppTest.from_function(heading_app, default_timeout=30)
    at.session_state["name"] = name
    at.run()
    assert not at.exception, at.exception
    assert not at.title and not at.markdown, "the heading is not a Markdown element"
    body = at.get("html")[0].proto.body
    assert "<img" not in body and "&lt;img" in body, f"the name is HTML-escaped: {body!r}"
    assert page_heading(at) == name, f"the heading reads exactly the name: {page_heading(at)!r}"


def test_a_segment_name_in_a_control_message_is_a_code_span():
    sc = scenario(segment={"name": "www.x.com a@b.co"})
    exc = ScenarioError([("segments[0].churn", "distribution high must be in [0, 1); got 1.2")])
    text = plan_text.control_problem("plan_churn", 120.0, exc, sc)
    assert "churn of segment www.x.com a@b.co" in as_read(text), text
    assert "x.com" not in outside_code(text), f"the segment name is only in a code span: {text}"
    other = plan_text.control_problem("plan_total", "https://evil.example", ValueError("no"), sc)
    assert "evil.example" not in outside_code(other), f"the typed value is only in a code span: {other}"


@pytest.mark.parametrize("regret", [0.0, 1e6], ids=["holds", "depends"])
def test_a_segment_name_in_the_tornado_sentence_is_a_code_span(regret):
    label = "Churn, segment https://evil.example"
    frame = pd.DataFrame(
        {
            "assumption": [label],
            "low": ["1 %"],
            "high": ["2 %"],
            "regret_low": [0.0],
            "regret_high": [regret],
            "best_share_low": [0.5],
            "best_share_high": [0.6],
        }
    )
    tornado = types.SimpleNamespace(frame=frame, base_share=0.5, base_value=1e7)
    text = optimise_text.tornado_text(tornado, OBJECTIVES["npv"], "money", "USD")
    assert label in as_read(text), text
    assert "evil.example" not in outside_code(text), f"the label is only in a code span: {text}"
