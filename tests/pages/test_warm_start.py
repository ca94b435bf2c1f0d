"""A start whose engine results another test computed draws the page a start on empty caches draws."""

from __future__ import annotations

import re

import pytest

from simulation.io.presets import load_preset

from .conftest import clear, kept, plan_key, start_app, start_app_warm

# what differs between any two runs: how long the figures took, and the random ids of download files
VARYING = (
    (re.compile(r"computed on the server in [\d,.]+ (ms|s)"), "computed on the server in …"),
    (re.compile(r'deferred_file_id: "[0-9a-f]+"'), 'deferred_file_id: "…"'),
)


def steady(text: str) -> str:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text


def drawn(at) -> list[str]:
    """Every element and block of the page, main area and sidebar, as its message reads."""
    out = []

    def walk(node, path):
        proto = getattr(node, "proto", None)
        out.append(f"{path}: {steady(str(proto))}")
        for key, child in getattr(node, "children", {}).items():
            walk(child, f"{path}/{key}")

    walk(at._tree.main, "main")
    walk(at._tree.sidebar, "sidebar")
    return out


@pytest.mark.parametrize("which", ["test scenario", "default preset"])
def test_a_warm_start_draws_what_a_cold_start_draws(which, test_scenario):
    scenario = test_scenario if which == "test scenario" else None
    clear()
    cold = start_app(scenario)
    start_app_warm(scenario)  # on empty caches the first time in a session; it keeps what the start computed
    warm = start_app_warm(scenario)
    assert kept(plan_key(scenario)), "the start left something that cannot be copied: every warm start would be cold"
    assert not cold.exception and not warm.exception, f"the page raised: {cold.exception or warm.exception}"
    assert warm.session_state["scenario"] == cold.session_state["scenario"] == (scenario or load_preset())
    first, second = drawn(cold), drawn(warm)
    assert len(first) > 50, f"the page drew too little to compare: {len(first)} elements"
    assert len(first) == len(second), f"the warm start drew {len(second)} elements, the cold one {len(first)}"
    differ = [f"{a}\n!=\n{b}" for a, b in zip(first, second, strict=True) if a != b]
    assert not differ, f"{len(differ)} elements differ; the first:\n{differ[0]}"
