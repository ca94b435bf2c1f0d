"""User text on the pages: shown as the characters typed, never as a link, an image or formatting.

Scenario names and descriptions, saved names, segment and workspace names, file names, and the
messages that quote them arrive in share links and files from anyone. Streamlit reads most text
elements as GitHub-flavoured Markdown: titles and headers, captions, alerts and toasts, widget
labels and help texts, expander and tab labels, metric labels, progress texts, and the options of
radio buttons, pills and segmented controls. Escaping cannot make user text safe there: GFM turns a
bare web or e-mail address (``https://…``, ``www.…``, ``a@b.co``) into a live link however its
punctuation is escaped. So user text never reaches Markdown as text:

- standing alone, it goes to an element that does not read Markdown: ``st.text``, or
  :func:`heading` for a page's title;
- inside one of our own sentences, it is a code span, :func:`code`, whose content Markdown shows
  literally: no link, image, emphasis, maths, emoji or colour.

Elements that take user text as it is: ``st.text``, ``st.code``, ``st.html`` with the text
HTML-escaped, dataframes and their column labels, selectbox and multiselect options, text-input
placeholders and Vega-Lite charts.

:func:`literal` is for our own words that hold Markdown signs, such as the ``$`` of an amount or a
currency code. It is never for user text.
"""

from __future__ import annotations

import html
import re

_LINE_BREAK = re.compile(r"\r\n?|\n")
_TICKS = re.compile(r"`+")
_ACTIVE = re.compile(r"([\\`*_{}\[\]<>#+!|~$:@.])")

# st.title's own style (Streamlit 1.67 theme: h1 2.75rem, bold, heading line height, xl / lg padding),
# so the heading looks like the other pages' titles.
_TITLE_STYLE = (
    "font-size: 2.75rem; font-weight: 700; line-height: 1.2; margin: 0; padding: 1.25rem 0 1rem 0; "
    "overflow-wrap: break-word"
)


def code(text: object) -> str:
    """``text`` as Markdown that shows it literally: one code span, or several around each ``$``.

    The fence is one backtick longer than any run of backticks in the text, so the text cannot
    close it, and a space pads each side (CommonMark removes exactly one), so a text that starts
    or ends with a backtick or a space keeps it. Line breaks become spaces: a code span stays on
    one line, where no block (a heading, a list, a blank line) can interrupt it. A ``$`` is left
    outside the spans, escaped, so that it cannot close a maths span opened before this text.
    Streamlit writes ``:material/`` as ``:material_`` before it reads Markdown, in code spans too.
    """
    one_line = _LINE_BREAK.sub(" ", str(text))
    return r"\$".join(_span(part) for part in one_line.split("$"))


def _span(text: str) -> str:
    if not text:
        return ""
    ticks = "`" * (max((len(run) for run in _TICKS.findall(text)), default=0) + 1)
    return f"{ticks} {text} {ticks}"


def heading(text: object) -> None:
    """A page's level-1 heading reading exactly ``text``, styled as ``st.title``, outside Markdown.

    ``st.html`` shows the HTML-escaped text as an ``<h1>`` (Streamlit sanitises it too); a text
    node in HTML is never turned into a link.
    """
    import streamlit as st  # here, so that the modules of sentences can use code() without Streamlit

    st.html(f'<h1 style="{_TITLE_STYLE}">{html.escape(str(text))}</h1>')


def literal(text: object) -> str:
    """Our own ``text`` escaped for Markdown, so that a ``$``, ``*`` or ``:`` in it shows as written.

    Backslash-escaped ASCII punctuation is the character itself in CommonMark. Not for user text:
    escaping does not stop a bare web or e-mail address from becoming a link (use :func:`code`).
    """
    return _ACTIVE.sub(r"\\\1", str(text))
