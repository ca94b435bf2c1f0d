"""The Plan page answers first: the best split above the figures, a few headline figures, the outcome and the years."""

from __future__ import annotations

import json
import re

import pytest

from simulation import cli
from simulation.engines.paths import PNL_LABELS, pnl_metrics
from simulation.model.figures import FIGURES
from ui.shared import cache, style, widgets

from .conftest import start_app, start_app_warm
from .test_app_plan import assert_clean, current, errors, open_more_figures, widget

SPLIT = "Acquisition share of the budget"
MULTIPLIER = "Acquiring a customer costs N× retaining one"


def answer(at) -> str:
    found = [i.value for i in at.info if "The best split for NPV puts" in i.value]
    assert found, f"no recommendation on the page; info boxes: {[i.value[:80] for i in at.info]}"
    return found[0]


def test_the_recommendation_comes_first_and_matches_the_optimiser(app, test_scenario):
    assert_clean(app)
    text = answer(app)
    best = cache.best_split(test_scenario)
    assert f"puts **{round(best.best_share * 100)} %**" in text, f"the best split should be the optimiser's: {text}"
    # 25x acquisition cost and a 90 % acquisition plan: the gain of moving to retention is far beyond noise
    assert "to retention adds" in text, f"the plan should be told to move budget to retention: {text}"
    assert "Why:" in text, f"the reason is missing: {text}"


def test_moving_the_split_reuses_the_cached_sweep(app, monkeypatch):
    calls = []
    real = cache.optimize_split
    monkeypatch.setattr(cache, "optimize_split", lambda *a, **k: calls.append(a) or real(*a, **k))
    widget(app.slider, SPLIT).set_value(40.0).run()
    assert_clean(app)
    assert not calls, "moving the split should not run the sweep again (it does not depend on the split)"
    assert current(app).budget.acquisition_share == pytest.approx(0.4), "the split did not move"
    answer(app)
    widget(app.slider, MULTIPLIER).set_value(10.0).run()
    assert len(calls) == 1, "a new cost multiple is a new model: the sweep runs once for it"


def test_few_headline_figures_by_default_and_the_rest_one_click_away(app):
    assert not [m for e in app.expander for m in e.metric], "closed, More figures holds no cards"
    open_more_figures(app)
    assert_clean(app)
    in_expander = {m.label for e in app.expander for m in e.metric}
    top = [m.label for m in app.metric if m.label not in in_expander]
    shown = {FIGURES[k].short for k in widgets.available(widgets.PRIMARY_KPIS)}
    assert set(top) == shown | {"Chance the plan beats the status quo"}, f"headline figures: {top}"
    more = {FIGURES[k].short for k in widgets.available(widgets.MORE_KPIS)}
    assert more <= in_expander, f"the other figures should be in the expander: {in_expander}"
    for m in app.metric:
        assert m.help and len(m.help) > 60, f"{m.label}: the help should say what the figure means: {m.help!r}"


def test_outcome_view_and_year_table_are_shown(app, test_scenario):
    widget(app.slider, SPLIT).set_value(40.0).run()
    assert_clean(app)
    assert any(
        "Chance of a loss against the status quo" in m.value or "at least as well" in m.value for m in app.markdown
    )
    table = app.dataframe[0].value
    lines = [PNL_LABELS[m] for m in pnl_metrics(test_scenario)]
    assert table["Line"].tolist() == lines, "a P&L statement, line by line"
    assert list(table.columns) == ["Line", "Year 1", "Year 2", "Year 3"], "a 36-month horizon is three years"


MONEY = re.compile(r"^(-?)[$€£]([\d,.]+)([kMBT]?)$")
SIZES = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def read_money(text: str) -> tuple[float, float]:
    """An amount as the page writes it, and half its last shown digit (how far rounding can move it)."""
    m = MONEY.match(text.strip())
    assert m, f"not an amount as the page writes it: {text!r}"
    digits = m[2].replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    size = SIZES[m[3]]
    sign = -1.0 if m[1] else 1.0
    return sign * float(digits) * size, 0.5 * 10.0**-decimals * size


def read_cell(text: str) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """``$1.23M ($1.10M to $1.40M)`` -> the average, the 5th and the 95th percentile, each with its rounding."""
    m = re.fullmatch(r"(\S+) \((\S+) to (\S+)\)", text)
    assert m, f"a P&L cell is 'average (low to high)': {text!r}"
    return read_money(m[1]), read_money(m[2]), read_money(m[3])


def test_year_table_adds_up_and_is_the_command_lines(app, test_scenario, tmp_path, capsys):
    """Each year adds up as a reader checks it, and every cell is the text of `run --format json`'s years."""
    table = app.dataframe[0].value.set_index("Line")
    for year in table.columns:
        column = table[year]
        averages = {m: read_cell(column[PNL_LABELS[m]])[0] for m in pnl_metrics(test_scenario)}
        got = {m: value for m, (value, _) in averages.items()}
        slack = {m: rounding for m, (_, rounding) in averages.items()}
        contribution = got["gross_profit"] - got["cost_to_serve"] - got["spend"]
        tolerance = slack["gross_profit"] + slack["cost_to_serve"] + slack["spend"] + slack["contribution"]
        assert abs(contribution - got["contribution"]) <= tolerance, f"{year}: contribution: {column.to_dict()}"
        operating = got["contribution"] - got["operating_costs"]
        tolerance = slack["contribution"] + slack["operating_costs"] + slack["operating_profit"]
        assert abs(operating - got["operating_profit"]) <= tolerance, f"{year}: {column.to_dict()}"
    path = tmp_path / "plan.toml"
    path.write_text(current(app).to_toml(), encoding="utf-8")
    assert cli.main(["run", str(path), "--format", "json"]) == 0
    years = json.loads(capsys.readouterr().out)["years"]
    cur = current(app).currency
    for record in years:
        cell = table.loc[PNL_LABELS[record["metric"]], f"Year {record['year']}"]
        money = [style.money(record[key], cur) for key in ("mean", "p5", "p95")]
        want = f"{money[0]} ({money[1]} to {money[2]})"
        assert cell == want, f"year {record['year']} {record['metric']}: page {cell!r}, command line {want!r}"


def test_multiplier_slider_shows_the_mode_and_starts_where_the_range_is_valid(test_scenario):
    sc = test_scenario.replace(
        acquisition={"cost_multiplier": {"low": 4, "mode": 6, "high": 14}, "max_new_per_period": 80}
    )
    at = start_app(sc)
    slider = widget(at.slider, MULTIPLIER)
    assert slider.value == pytest.approx(6.0), "the slider should show the file's mode, not its mean (8)"
    assert slider.min == pytest.approx(1.5), "the low end keeps the range's low (4 x 1.5/6 = 1) at the bound"
    assert any("most likely 6×, range 4–14×" in c.value for c in at.caption), (
        "the caption should say which value is shown"
    )
    slider.set_value(slider.min).run()
    assert_clean(at)
    assert current(at).acquisition.cost_multiplier.low == pytest.approx(1.0), "the low end was applied"
    assert widget(at.slider, MULTIPLIER).value == pytest.approx(1.5), "and the slider stays there"


def test_a_rejected_file_is_not_left_listed(app, test_scenario):
    bad = test_scenario.to_toml().replace("gross_margin = 0.8", "gross_margin = 1.8").encode()
    key = app.file_uploader[0].key
    app.file_uploader[0].set_value(("broken.toml", bad, "application/toml")).run()
    assert not app.exception, "a bad file must not raise"
    assert "could not be opened" in errors(app), "the problems should be listed"
    assert app.file_uploader[0].key != key, "the uploader should be emptied after reading a file"
    assert app.file_uploader[0].value is None, "the rejected file should not stay listed"


def test_counts_read_as_whole_numbers(app):
    customers = widget(app.metric, "Final customers")
    assert re.fullmatch(r"[\d,]+|[\d.]+k", customers.value), f"a count should be whole: {customers.value!r}"
    mixed = re.compile(r"(?<![\d.])\d+\.\d+ % – \d+ %|(?<![\d.])\d+ % – \d+\.\d+ %")
    for caption in app.caption:
        assert not mixed.search(caption.value), f"a range with mixed decimals: {caption.value}"


def test_a_session_on_the_same_model_under_another_name_computes_nothing(app, test_scenario, monkeypatch):
    # a class or a demo opens one example in many sessions; names and descriptions are not part of the model
    runs, sweeps = [], []
    real_run, real_sweep = cache.simulate, cache.optimize_split
    monkeypatch.setattr(cache, "simulate", lambda *a, **k: runs.append(a) or real_run(*a, **k))
    monkeypatch.setattr(cache, "optimize_split", lambda *a, **k: sweeps.append(a) or real_sweep(*a, **k))
    other = start_app(test_scenario.replace(name="Client B", description="Their own words"))
    assert_clean(other)
    assert current(other).name == "Client B", "the page shows the session's own name"
    answer(other)
    assert not runs and not sweeps, f"the second session recomputed {len(runs)} runs and {len(sweeps)} sweeps"
    other = start_app(test_scenario.replace(discount_rate=test_scenario.discount_rate + 0.01))
    assert_clean(other)
    assert runs and sweeps, "a changed assumption is a new model: it must be simulated"


def test_a_budget_too_large_is_told_to_spend_less_and_by_how_much(test_scenario):
    """Far past what either lever can use, the next $1 returns less than $1 on both sides: the page says spend less."""
    from simulation.model import edits as scenario_edits
    from ui.plan import text as plan_text

    big = scenario_edits.with_total(test_scenario, 2_000_000)
    at = start_app(big)
    assert_clean(at)
    best = cache.best_split(big)
    assert plan_text.spend_less(best), "at 2M a period both returns are below one"
    size = cache.budget_size(big, best)
    said = [i.value for i in at.info if i.value.startswith("**Spend less**")]
    assert said == [plan_text.budget_text(best, size, big)], f"the page's budget answer: {said}"
    assert "NPV is higher by" in said[0] and size.best_total < size.total and size.mean_gain > 0, said[0]
    assert f"**{style.money(size.mean_gain, big.currency)}**" in said[0], "what spending less is worth"


def test_what_does_it_take_answers_from_the_plans_futures(test_scenario):
    from ui.plan import seek as seek_box
    from ui.plan import text as plan_text

    at = start_app(test_scenario)
    next(e for e in at.expander if e.label == seek_box.LABEL)
    at.session_state[seek_box.K_OPEN] = True
    at.run()
    widget(at.text_input, "At least").set_value("2M")
    widget(at.selectbox, "Target").set_value("revenue_final")
    at.button(key="FormSubmitter:plan_seek-Work it out").click().run()
    assert_clean(at)
    result = cache.goal_seek(current(at), "revenue_final", 2e6, 0.8, "total_budget")
    said = [i.value for i in at.info if i.value.startswith(("**It takes", "**Out of reach"))]
    assert said == [plan_text.seek_text(result, current(at))], f"the box's answer: {said}"
    widget(at.text_input, "At least").set_value("lots")
    at.button(key="FormSubmitter:plan_seek-Work it out").click().run()
    assert any("At least: type a number" in e.value for e in at.error), "a level that is not a number is named"


def test_actuals_uploaded_on_the_plan_page_land_on_its_forecast(test_scenario):
    from ui.plan import text as plan_text
    from ui.plan import tracking

    at = start_app_warm(test_scenario)
    at.session_state[tracking.K_OPEN] = True
    at.run()
    data = b"period,active_customers,revenue\n1,1990,\n2,1985,190000\n3,1970,185000\n"
    uploader = next(u for u in at.file_uploader if u.key == "plan_track_upload")
    uploader.set_value(("actuals.csv", data, "text/csv")).run()
    assert_clean(at)
    tracked = cache.track_actuals(current(at), data)
    texts = [m.value for m in at.markdown]
    assert plan_text.coverage_text(tracked, "month") in texts, "the coverage sentence of the tracked actuals"
    rows = tracked.rows[tracked.rows["metric"] == "revenue"]
    assert plan_text.landed_text("Revenue", rows, "month") in texts, "each metric's sentence"
    assert len(at.get("vega_lite_chart")) >= 2 + 4, "a chart per tracked metric, beside the page's own"
    refit_data = b"period,active_customers,churned_customers\n1,1990,30\n2,1975,32\n3,1960,31\n"
    uploader = next(u for u in at.file_uploader if u.key == "plan_track_upload")
    uploader.set_value(("churn.csv", refit_data, "text/csv")).run()
    assert_clean(at)
    fit, _, _ = cache.refit_and_reforecast(current(at), refit_data)
    assert plan_text.refit_text(fit, "month") in [m.value for m in at.markdown], "the refit is stated"
    uploader = next(u for u in at.file_uploader if u.key == "plan_track_upload")
    uploader.set_value(("bad.csv", b"period,revenue\n99,1\n", "text/csv")).run()
    assert any("must be a whole period from 1 to" in e.value for e in at.error), [e.value for e in at.error]


def test_a_plan_saved_as_a_version_is_tracked_as_saved(test_scenario):
    from ui.plan import tracking

    at = start_app_warm(test_scenario)
    at.session_state[tracking.K_OPEN] = True
    at.run()
    at.button(key="plan_track_save").click().run()
    assert_clean(at)
    assert any("version 1 of" in s.value for s in at.success), [s.value for s in at.success]
    picker = widget(at.selectbox, "Track against")
    label = next(o for o in picker.options if o != tracking.CURRENT)
    picker.set_value(label).run()
    data = b"period,active_customers\n1,1990\n2,1985\n"
    next(u for u in at.file_uploader if u.key == "plan_track_upload").set_value(("a.csv", data, "text/csv")).run()
    assert_clean(at)
    assert any(c.value.startswith("Against") and label in c.value for c in at.caption), "names the version it used"
