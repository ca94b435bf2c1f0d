"""The Plan page as a person uses it: open it (the whole page, as the browser asks for it) and move the split.

These are the only functions that know the Plan page's widgets: when the page changes, this
module follows it.
"""

from __future__ import annotations

from loadtest.streamlit_client import Run, Session

SPLIT = "plan_split"  # the acquisition-share slider
FIRST_PAINT = "first_paint_signal"  # ui/plan/first_paint.py: the browser asks for the rest of the page
WHOLE_PAGE = "How the model works"  # the page's last element
FIGURES = "Figures computed on the server in"


class PlanError(AssertionError):
    """The page did not show what the step expected."""


def _check(session: Session, what: str) -> None:
    if session.exceptions:
        raise PlanError(f"{what}: the page shows an error: {session.exceptions[-1]}")
    if not any(t.startswith(FIGURES) for t in session.texts()):
        raise PlanError(f"{what}: the page shows no figures")


async def open_plan(session: Session, query: str = "") -> list[Run]:
    """Open the Plan page (a share link's query string if given) and, as the browser does once it
    has drawn the first figures, ask for the rest of the page."""
    runs = [await session.open("", query)]
    if any(e.WhichOneof("type") == "bidi_component" for _, e in session.elements()):
        runs.append(await session.trigger(session.component(FIRST_PAINT), "drawn", True))
    _check(session, "opening the Plan page")
    if not any(e.page_link.label == WHOLE_PAGE for _, e in session.elements("page_link")):
        raise PlanError("opening the Plan page: the rest of the page did not come")
    return runs


async def move_split(session: Session, percent: float) -> Run:
    """Move the acquisition-share slider to ``percent`` and wait for the page's figures."""
    run = await session.set({session.widget(SPLIT): float(percent)})
    _check(session, f"moving the split to {percent:g} %")
    return run
