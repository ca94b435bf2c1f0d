"""The import graph keeps the project's shape.

- ``simulation`` (the model) imports neither ``ui`` nor Streamlit: it runs from a notebook or the CLI.
- ``ui/shared`` (formatting, charts, cache, state, widgets, exports) imports no page's folder.
- A page's folder (``ui/plan``, ``ui/optimise``, ...) imports no other page's folder.
- A page (``pages/*.py``) imports its own folder and the shared part, never another page's folder.

Every import counts, including those inside functions. The checker is tested on a small tree
that breaks each rule, so a contract that could not fail would show.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE_FOLDERS = ("plan", "optimise", "compare", "portfolio", "lessons", "game")
# pages/<file>.py -> the ui folder it may import besides ui.shared
PAGE_OWNS = {
    "plan": "plan",
    "optimise": "optimise",
    "compare": "compare",
    "portfolio": "portfolio",
    "lessons": "lessons",
    "class_trainer": "lessons",
    "team_game": "game",
    "methodology": None,
}


def _folder(module: str) -> str | None:
    """``ui.plan.text`` -> ``plan``; ``ui.shared...`` -> ``shared``; anything else -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "ui" else None


def violations(root: Path) -> list[str]:
    """Every import that breaks one of the rules above, as ``file: module (rule)``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] not in {"simulation", "ui", "pages"}:
            continue
        modules = _imports_of(path, rel)
        for module in sorted(modules):
            top = module.split(".")[0]
            folder = _folder(module)
            if rel.parts[0] == "simulation" and top in {"ui", "streamlit", "pages"}:
                found.append(f"{rel}: {module} (the model imports no UI)")
            elif rel.parts[0] == "ui" and len(rel.parts) > 2:
                own = rel.parts[1]
                if own == "shared" and folder in PAGE_FOLDERS:
                    found.append(f"{rel}: {module} (the shared part imports no page's folder)")
                elif own in PAGE_FOLDERS and folder in PAGE_FOLDERS and folder != own:
                    found.append(f"{rel}: {module} (a page's folder imports no other page's folder)")
            elif rel.parts[0] == "pages" and folder in PAGE_FOLDERS and folder != PAGE_OWNS.get(path.stem, path.stem):
                found.append(f"{rel}: {module} (a page imports only its own folder and the shared part)")
    return found


def _imports_of(path: Path, rel: Path) -> set[str]:
    """Every module a file imports, absolute, including imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = list(rel.with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            if module.count(".") == 0:  # `from ui import plan` names the folder in the alias
                found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_the_project_keeps_its_layers():
    assert violations(ROOT) == [], "imports that break the layering:\n" + "\n".join(violations(ROOT))


@pytest.mark.parametrize(
    ("file", "source", "rule"),
    [
        ("ui/plan/text.py", "from ui.optimise import charts\n", "no other page's folder"),
        ("ui/plan/text.py", "def f():\n    from ui.compare.inputs import DIFFERS\n", "no other page's folder"),
        ("ui/shared/cache.py", "from ui.plan import text\n", "no page's folder"),
        ("ui/shared/cache.py", "from ui import lessons\n", "no page's folder"),
        ("simulation/model/x.py", "import streamlit as st\n", "imports no UI"),
        ("simulation/model/x.py", "from ui.shared import style\n", "imports no UI"),
        ("pages/plan.py", "from ui.optimise import text\n", "only its own folder"),
    ],
)
def test_the_checker_catches_each_broken_rule(tmp_path, file, source, rule):
    target = tmp_path / file
    target.parent.mkdir(parents=True)
    target.write_text(source)
    found = violations(tmp_path)
    assert len(found) == 1 and rule in found[0], f"{file} importing {source!r} should break '{rule}': {found}"


def test_the_checker_allows_own_folder_and_shared(tmp_path):
    for file, source in {
        "ui/plan/text.py": "from ui.plan import controls\nfrom ui.shared import style\nfrom . import controls\n",
        "pages/class_trainer.py": "from ui.lessons import text\nfrom ui.shared import cache\n",
        "simulation/model/x.py": "import numpy\nfrom simulation.engines import runner\n",
    }.items():
        target = tmp_path / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
    assert violations(tmp_path) == [], "own folder, the shared part and the model are allowed"


PAGE_LINES, MODULE_LINES = 300, 600


def test_pages_stay_thin_and_modules_stay_readable():
    """A page is wiring (at most 300 lines); no module of the app or the model passes 600 lines."""
    long = []
    for path in sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("simulation/**/*.py")]):
        limit = PAGE_LINES if path.parent.name == "pages" else MODULE_LINES
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines (at most {limit})")
    assert not long, "split these:\n" + "\n".join(long)
