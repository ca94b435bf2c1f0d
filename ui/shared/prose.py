"""Long explanations shown on the pages, kept as Markdown files in ``ui/text/``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEXT_DIR = Path(__file__).resolve().parents[1] / "text"


@cache
def _read(name: str) -> str:
    return (TEXT_DIR / f"{name}.md").read_text(encoding="utf-8")


def prose(text_name: str, /, **values) -> str:
    """The text ``ui/text/<name>.md``, with ``{placeholders}`` filled from ``values`` when given."""
    text = _read(text_name)
    return text.format(**values) if values else text
