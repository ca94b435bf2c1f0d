"""The Optimise page in AppTest, started from the app's entry point as a user reaches it."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from simulation.io.presets import load_preset

from .conftest import APP, start_warm

PAGE = "pages/optimise.py"
ANSWER = re.compile(r"^Put (\d+) % of the budget into acquisition \(")


def _open(scenario=None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    if scenario is not None:
        at.session_state["scenario"] = scenario
    at.run()
    assert not at.exception, f"the Plan page failed: {at.exception}"
    at.switch_page(PAGE).run()
    assert not at.exception, f"the Optimise page failed: {at.exception}"
    return at


def _open_warm() -> AppTest:
    """:func:`_open` on the default preset, its engine results computed once per session (tests/pages/conftest.py)."""
    return start_warm("optimise", _open)


def _answer(at: AppTest) -> str | None:
    return next((m.value for m in at.markdown if ANSWER.match(m.value)), None)


def _set(at: AppTest, key: str, value) -> None:
    widget = next(w for w in at.main if getattr(w, "key", None) == key)
    widget.set_value(value)


def _submit(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Find the best split").click()


def test_page_renders_the_answer():
    at = _open_warm()
    text = _answer(at)
    assert text is not None, f"no answer on the page; markdown: {[m.value[:80] for m in at.markdown]}"
    assert "is within noise" in text, f"the answer gives no range: {text}"
    headings = [h.value for h in at.subheader]
    assert any(h.startswith("Best split: ") for h in headings), f"no answer heading among {headings}"
    assert any("How sure" in h for h in headings), f"no 'how sure' section among {headings}"
    assert not at.error, f"errors on the page: {[e.value for e in at.error]}"


def test_use_this_split_sends_the_best_share_to_the_plan():
    at = _open_warm()
    best = int(ANSWER.match(_answer(at)).group(1)) / 100
    at.button(key="opt_use").click().run()
    assert not at.exception, f"switching to the Plan page failed: {at.exception}"
    # The Plan page applies the pending split at the top of its run and deletes the key.
    assert "pending_split" not in at.session_state, "the Plan page did not consume the pending split"
    scenario = at.session_state["scenario"]
    budget = scenario.budget
    share = budget.acquisition / (budget.acquisition + budget.retention)
    assert abs(share - best) <= 0.005, f"the plan's split is {share:.4f}; the page recommended {best:.2f}"
    assert at.slider(key="plan_split").value == round(best * 100), "the Plan page's split control was not moved"


def test_other_objectives_render_without_error():
    at = _open_warm()
    _set(at, "opt_runs", 200)
    _set(at, "opt_objective", "target")
    _submit(at)
    at.run()
    assert not at.exception, f"target objective failed: {at.exception}"
    assert _answer(at) is not None, "no answer for the target objective"
    _set(at, "opt_objective", "p10_npv")
    _submit(at)
    at.run()
    assert not at.exception, f"p10_npv objective failed: {at.exception}"
    assert any("not defined for a percentile" in c.value for c in at.caption), "no note on the per-run best split"


def test_budget_map_and_sensitivity_run_with_progress():
    at = _open()
    _set(at, "opt_runs", 200)
    _submit(at)
    at.run()
    at.button(key="opt_map_button").click().run()
    assert not at.exception, f"budget map failed: {at.exception}"
    words = " ".join(m.value for m in at.markdown)
    assert "budget" in words and ("stops paying" in words or "still rises" in words or "could be smaller" in words), (
        "no conclusion about the budget size"
    )
    at.button(key="opt_tornado_button").click().run()
    assert not at.exception, f"sensitivity failed: {at.exception}"
    assert at.dataframe, "no sensitivity table"
    table = at.dataframe[0].value
    assert "Assumption" in table.columns and len(table) > 3, f"unexpected sensitivity table: {list(table.columns)}"
    assert not at.error, f"errors on the page: {[e.value for e in at.error]}"
    # a new budget range leaves the map out of date and the tornado as it was
    high = at.number_input(key="opt_map_high")
    high.set_value(high.value * 1.5).run()
    assert not at.exception, f"changing the budget range failed: {at.exception}"
    captions = [c.value for c in at.caption]
    assert any("settings changed since the map was drawn" in c for c in captions), f"no note on the map: {captions}"
    assert at.dataframe, "the sensitivity table went away when the budget range changed"


def test_progress_bars_jump_instead_of_gliding():
    """A gliding bar keeps the browser redrawing the page while the engine needs the cores."""
    from ui.shared.widgets import STEADY_PROGRESS_STYLE

    at = _open_warm()
    bodies = [h.proto.body for h in at.get("html")]
    assert STEADY_PROGRESS_STYLE in bodies, f"the page does not stop its progress bars gliding: {bodies}"


def test_a_plan_with_nothing_to_split_gets_a_message():
    sc = load_preset()
    sc = sc.with_budget(sc.budget.model_copy(update={"acquisition": 0.0, "retention": 0.0}))
    at = _open(sc)
    assert any("no acquisition or retention budget" in i.value for i in at.info), "no message for a zero budget"


def test_chart_builders_give_valid_specs_in_the_house_palette():
    """The page's charts are pure functions of aggregated frames; ``to_dict`` validates each against Vega-Lite."""
    import json

    from simulation.decide import budget_map, optimize_split, sensitivity
    from ui.optimise import charts as oc
    from ui.shared import style

    sc = load_preset()
    r = optimize_split(sc, runs=30, seed=1, grid=6)
    common = {"objective_label": "NPV of contribution", "kind": "money", "currency": "USD"}
    sweep = oc.sweep_chart(
        r.points,
        best_share=r.best_share,
        best_value=r.best_value,
        noise_range=r.best_share_range,
        plan_share=r.plan_share,
        runs=r.runs,
        **common,
    ).to_dict()
    text = json.dumps(sweep)
    assert style.ACCENT in text and style.PLAN in text, "the sweep chart does not use the house palette"
    assert f"Best: {r.best_share:.0%}" in text, "the best split is not labelled on the sweep chart"
    oc.per_run_best_chart(r.per_run_best_frame(), best_share=r.best_share, runs=r.runs).to_dict()
    bmap = budget_map(sc, [100_000, 200_000], runs=20, seed=1, grid=6)
    oc.budget_map_chart(
        bmap.frame(), bmap.best_frame(), plan_total=200_000, plan_share=r.plan_share, period="month", runs=20, **common
    ).to_dict()
    oc.best_by_budget_chart(bmap.best_frame(), plan_total=200_000, period="month", **common).to_dict()
    t = sensitivity(sc, runs=20, seed=1, base=r)
    long = oc.tornado_frame(t.frame)
    assert list(dict.fromkeys(long["assumption"])) == list(t.frame["assumption"]), "tornado order lost"
    spec = oc.tornado_chart(long, base_share=t.base_share, runs=20, **common).to_dict()
    sort = spec["hconcat"][0]["encoding"]["y"]["sort"]
    assert sort == list(t.frame["assumption"]), "tornado bars are not sorted by impact"


def test_the_budget_map_and_the_tornado_answer_a_second_session_with_the_same_settings():
    """The second request for the same map or tornado, from any session, is served from what the first
    computed; it used to fail ("could not finish"), replaying the first session's progress bar."""
    words = {}
    for session in ("first", "second"):
        at = _open()
        _set(at, "opt_runs", 200)
        _submit(at)
        at.run()
        at.button(key="opt_map_button").click().run()
        at.button(key="opt_tornado_button").click().run()
        assert not at.exception, f"the {session} session raised: {at.exception}"
        errors = [e.value for e in at.error]
        assert not errors, f"the {session} session's map or tornado failed: {errors}"
        assert at.session_state["_opt_map"] is not None, f"no budget map in the {session} session"
        assert at.dataframe, f"no sensitivity table in the {session} session"
        words[session] = (
            [m.value for m in at.markdown if "budget" in m.value],
            at.dataframe[0].value.to_dict("records"),
        )
    assert words["first"] == words["second"], "both sessions must see the same map and tornado"
