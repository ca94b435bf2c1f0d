"""What an AppTest page hands to Markdown, what a person reads there, and whether user text is live in it.

Streamlit reads as Markdown the bodies of titles, headers, Markdown, captions, alerts and toasts,
every widget's label and help text, metric labels, expander and tab labels, progress texts and
the options of radio buttons, pills and segmented controls. It shows ``st.text``, ``st.code``,
``st.html`` and selectbox options as they are. User text may reach Markdown only inside a code
span, where it is shown literally.
"""

from __future__ import annotations

import html
import re

CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
HEADING = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)

# proto type -> fields shown as Markdown (besides every widget's ``label`` and ``help``)
_BODIES = {"Heading": ("body",), "Markdown": ("body",), "Alert": ("body",), "Toast": ("body",)}
_OTHER = {"Progress": ("text",), "Radio": ("options", "captions")}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)]


def _node_texts(node, out: list[tuple[str, str]]) -> None:
    proto = getattr(node, "proto", None)
    if proto is not None:
        kind = type(proto).__name__
        fields = {"label", "help"} | set(_BODIES.get(kind, ())) | set(_OTHER.get(kind, ()))
        for name in fields:
            if name in proto.DESCRIPTOR.fields_by_name:
                out += [(f"{node.type}.{name}", text) for text in _strings(getattr(proto, name)) if text]
        if kind == "ButtonGroup":  # pills and segmented controls
            out += [(f"{node.type}.option", option.content) for option in proto.options]
    for child in getattr(node, "children", {}).values():
        _node_texts(child, out)


def markdown_texts(at) -> list[tuple[str, str]]:
    """``(where, text)`` for every string the page hands to Markdown, in the main area, sidebar and toasts."""
    out: list[tuple[str, str]] = []
    for root in (at.main, at.sidebar):
        _node_texts(root, out)
    for toast in at.toast:
        _node_texts(toast, out)
    return out


def outside_code(markdown: str) -> str:
    """The Markdown without its code spans, backslash escapes undone: the text Markdown could format."""
    return ESCAPE.sub(r"\1", CODE_SPAN.sub(" ", markdown))


def _span_content(m: re.Match) -> str:
    content = m[2]
    if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
        content = content[1:-1]
    return content


def as_read(markdown: str) -> str:
    """The characters a person reads: code spans' contents, backslash escapes undone (emphasis marks kept)."""
    parts, last = [], 0
    for m in CODE_SPAN.finditer(markdown):
        parts += [ESCAPE.sub(r"\1", markdown[last : m.start()]), _span_content(m)]
        last = m.end()
    parts.append(ESCAPE.sub(r"\1", markdown[last:]))
    return "".join(parts)


def live_user_text(at, needles) -> list[tuple[str, str]]:
    """The Markdown strings of the page in which one of ``needles`` stands outside a code span."""
    return [(where, text) for where, text in markdown_texts(at) if any(n in outside_code(text) for n in needles)]


def page_heading(at) -> str | None:
    """The page's level-1 heading as read: an ``st.title``, else the ``<h1>`` of an ``st.html`` element."""
    if len(at.title):
        return as_read(at.title[0].value)
    for element in at.get("html"):
        m = HEADING.search(element.proto.body)
        if m:
            return html.unescape(m[1])
    return None
