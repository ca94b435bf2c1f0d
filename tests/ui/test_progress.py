"""The progress bar of long runs: the time left, and few enough redraws to leave the cores to the engine."""

from __future__ import annotations

import pytest

from ui.shared import widgets


class _Bar:
    def __init__(self, value, text):
        self.shown = [(value, text)]

    def progress(self, value, text):
        self.shown.append((value, text))


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def bars(monkeypatch):
    made = []

    def progress(value, text):
        made.append(_Bar(value, text))
        return made[-1]

    monkeypatch.setattr(widgets.st, "progress", progress)
    return made


def test_progress_text_gives_the_time_left_only_while_units_remain():
    assert widgets.progress_text("Mapping budget sizes", 0, 231, 0.0) == "Mapping budget sizes: 0 of 231", (
        "no time left can be said before a unit has finished"
    )
    assert widgets.progress_text("Mapping budget sizes", 21, 231, 2.0) == (
        "Mapping budget sizes: 21 of 231, about 20 s left"
    ), "21 units in 2 s leave 210 units, about 20 s"
    assert widgets.progress_text("Moving assumptions", 25, 25, 9.0) == "Moving assumptions: 25 of 25", (
        "a finished run has no time left"
    )


def test_bar_is_redrawn_at_most_once_a_second_and_at_the_end(bars):
    clock = _Clock()
    _, moved = widgets.progress_bar("Mapping budget sizes", 231, clock=clock)
    for done in range(1, 232):
        clock.now += 0.125  # 231 units, one every 1/8 s: 28.9 s in all
        moved(done, 231)
    shown = bars[0].shown
    assert shown[0] == (0.0, "Mapping budget sizes: 0 of 231"), f"the bar starts at {shown[0]}"
    assert shown[-1] == (1.0, "Mapping budget sizes: 231 of 231"), f"the bar ends at {shown[-1]}"
    # one redraw per second of the 28.9 s (every 8th unit), plus the last unit's
    assert len(shown) - 1 == 231 // 8 + 1, f"{len(shown) - 1} redraws for 231 units over 28.9 s"
    fractions = [value for value, _ in shown]
    assert fractions == sorted(fractions), f"the bar went backwards: {fractions}"


def test_slow_units_are_each_shown(bars):
    clock = _Clock()
    _, moved = widgets.progress_bar("Moving assumptions", 5, clock=clock)
    for done in range(1, 6):
        clock.now += 2.0
        moved(done, 5)
    texts = [text for _, text in bars[0].shown]
    assert texts[1:] == [
        "Moving assumptions: 1 of 5, about 8 s left",
        "Moving assumptions: 2 of 5, about 6 s left",
        "Moving assumptions: 3 of 5, about 4 s left",
        "Moving assumptions: 4 of 5, about 2 s left",
        "Moving assumptions: 5 of 5",
    ], f"units 2 s apart should each move the bar: {texts}"


def test_the_record_of_finished_sweeps_stays_as_small_as_the_cache():
    from ui.shared.cache import SWEEP_ENTRIES, RecentKeys

    done = RecentKeys(SWEEP_ENTRIES)
    for i in range(10 * SWEEP_ENTRIES):
        done.add(("model", i))
    assert len(done) == SWEEP_ENTRIES, f"a long-running server keeps only the last {SWEEP_ENTRIES}: {len(done)}"
    assert ("model", 10 * SWEEP_ENTRIES - 1) in done and ("model", 0) not in done, "the oldest are forgotten first"
    done.add(("model", 10 * SWEEP_ENTRIES - SWEEP_ENTRIES))  # used again: it becomes the newest
    done.add(("model", -1))
    assert ("model", 10 * SWEEP_ENTRIES - SWEEP_ENTRIES) in done, "a key used again is kept"
