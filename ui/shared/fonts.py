"""The app's own fonts for the browser: Noto Sans and Noto Sans Thai, from the installed font packages.

`.streamlit/config.toml` names them as the theme's fonts (``[[theme.fontFaces]]``) at
``app/static/...``; Streamlit serves the ``static`` folder beside ``app.py``. The files are
copied there from the ``fontpkg`` packages (the ones the PDF reports use) when the app starts,
so every machine shows the same letters, Thai included, whatever fonts it has.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import shutil
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
# file in static/ -> (package, file in the package's files/ folder); the names are config.toml's
SERVED = {
    "NotoSans.ttf": ("fontpkg_noto_sans", "NotoSans[wdth,wght].ttf"),
    "NotoSans-Italic.ttf": ("fontpkg_noto_sans", "NotoSans-Italic[wdth,wght].ttf"),
    "NotoSansThai.ttf": ("fontpkg_noto_sans_thai", "NotoSansThai[wdth,wght].ttf"),
}


def serve_fonts(static: Path = STATIC) -> list[Path]:
    """Copy the fonts into ``static`` where missing or different; returns the files served."""
    static.mkdir(parents=True, exist_ok=True)
    served = []
    for name, (package, file) in SERVED.items():
        source = importlib.resources.files(package) / "files" / file
        target = static / name
        with importlib.resources.as_file(source) as path:
            if not target.exists() or target.stat().st_size != path.stat().st_size:
                partial = target.with_suffix(".part")
                shutil.copyfile(path, partial)
                partial.replace(target)  # a browser never reads a half-copied file
        served.append(target)
    return served


@cache
def serve_fonts_once() -> None:
    """:func:`serve_fonts` once per server process (a later call costs nothing); a failure leaves the
    browser's own fonts in use."""
    with contextlib.suppress(OSError):
        serve_fonts()


if __name__ == "__main__":
    serve_fonts()
