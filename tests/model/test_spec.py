"""The model's specification, docs/MODEL.md, defines every figure and every recorded path.

A figure added to the registry (simulation/model/figures.py) or a path added to the engines'
list (simulation/engines/paths.py) without a definition in the specification fails here, and so
does a definition left behind for one that no longer exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation.engines.paths import DERIVED, PATH_METRICS
from simulation.model.figures import FIGURES

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs/MODEL.md"


def _table(header: str) -> dict[str, str]:
    """The rows of the specification's table whose first column is headed ``header``: ``{key: definition}``."""
    lines = SPEC.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"| {header} | definition |")
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        match = re.match(r"\|\s*`([a-z0-9_]+)`\s*\|\s*(.+?)\s*\|$", line)
        assert match, f"docs/MODEL.md: a row of the {header} table does not start with a `key`: {line!r}"
        rows[match.group(1)] = match.group(2)
    return rows


@pytest.mark.parametrize("key", list(FIGURES))
def test_every_figure_is_defined_in_the_spec(key):
    rows = _table("figure")
    assert key in rows, f"figure {key!r} of the registry has no row in the figures table of docs/MODEL.md"
    assert len(rows[key]) > 10, f"docs/MODEL.md defines {key!r} in too few words: {rows[key]!r}"


@pytest.mark.parametrize("key", list(PATH_METRICS))
def test_every_recorded_path_is_defined_in_the_spec(key):
    rows = _table("path")
    assert key in rows, f"path {key!r} of simulation/engines/paths.py has no row in the paths table of docs/MODEL.md"
    derived = rows[key].startswith("*derived*")
    assert derived == (key in DERIVED), f"docs/MODEL.md says {key!r} is {'' if derived else 'not '}derived"


def test_the_spec_defines_nothing_that_no_longer_exists():
    stale = (set(_table("figure")) - set(FIGURES)) | (set(_table("path")) - set(PATH_METRICS))
    assert not stale, f"docs/MODEL.md defines figures or paths the code no longer has: {sorted(stale)}"


def test_the_repository_cites_the_spec_inside_it():
    """Every mention of the specification names docs/MODEL.md, never a copy outside the repository."""
    outside = []
    for path in ROOT.rglob("*"):
        if path.suffix not in {".py", ".md", ".toml", ".sh"} or any(p in path.parts for p in (".venv", ".git")):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for match in re.finditer(r"[\w./-]*MODEL\.md", line):
                if match.group(0) != "docs/MODEL.md":
                    outside.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not outside, "references to a specification outside the repository:\n" + "\n".join(outside)
