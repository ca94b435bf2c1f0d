"""User text inside Markdown, shown as the characters typed and never as formatting.

Scenario names and descriptions arrive in share links and files from anyone, and Streamlit
renders most text elements as Markdown: a name like ``[Click](https://x)`` or ``![](https://x)``
would become a live link or make every viewer's browser fetch a remote image. :func:`md`
backslash-escapes the characters that start a link, image, raw HTML, autolink (``<``, ``:``,
``@``, ``www.``), LaTeX (``$``), emphasis, code, heading, table or strike-through, an emoji or a
colour directive (``:``). CommonMark treats any backslash-escaped ASCII punctuation as the
character itself, so the text renders exactly as typed. Parentheses, commas and hyphens are left
alone: without ``[`` or ``<`` they form nothing, and names are easier to read in the page source.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_{}\[\]<>#+!|~$:@.])")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]<>#+!|~$:@.])")


def md(text: object) -> str:
    """``text`` escaped for a Markdown string, so that it renders as typed (line breaks kept)."""
    return _ACTIVE.sub(r"\\\1", str(text))


def shown(markdown: str) -> str:
    """The characters a person reads where :func:`md` escaped them (the inverse of :func:`md`)."""
    return _ESCAPED.sub(r"\1", markdown)
