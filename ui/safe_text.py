"""User text inside Markdown, shown as the characters typed and never as formatting.

Scenario names and descriptions arrive in share links and files from anyone, and Streamlit
renders most text elements as Markdown: a name like ``[Click](https://x)`` or ``![](https://x)``
would become a live link or make every viewer's browser fetch a remote image. :func:`md`
escapes every ASCII punctuation character with a backslash (CommonMark allows that for any of
them), so the text renders literally, links, images, HTML, LaTeX (``$``), emoji and colour
directives (``:``) included.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """``text`` escaped for a Markdown string: every ASCII punctuation character backslashed.

    Line breaks are kept (a description may have several lines); anything else renders as typed.
    """
    return _PUNCTUATION.sub(r"\\\1", str(text))
