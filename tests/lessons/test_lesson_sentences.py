"""The lessons' sentences about numbers are true of the numbers they quote, as shown.

The small sentence functions are tested with Hypothesis at both signs and around their
thresholds; each lesson's explanation is tested over a dense grid of its controls, both ends
included, on few simulated futures (the claims are about the numbers quoted, whatever their
precision; what holds whatever the runs is tested in ``test_lessons.py``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from simulation.decide import NOISE_Z
from simulation.lessons import LESSONS
from ui.lessons import text as lessons_text
from ui.shared import style
from ui.shared.style import money, multiple, number, percent, plain

RUNS, SEED = 20, 7
finite = st.floats(-1e7, 1e7, allow_nan=False)
shares = st.floats(-3.0, 3.0, allow_nan=False)
ses = st.floats(0.0, 0.5, allow_nan=False)


# The small sentence functions ------------------------------------------------------------------
@given(finite, finite)
@example(1.0, 1.0)
@example(1.0004, 1.0)
@example(-5.0, 5.0)
def test_compared_agrees_with_the_numbers_as_shown(a, b):
    word = lessons_text.compared(money(a), money(b), a, b)
    if money(a) == money(b) or a == b:
        assert word == "about the same as", f"{money(a)} and {money(b)} look the same: {word}"
    else:
        assert word == ("more than" if a > b else "less than"), f"{a} against {b}: {word}"


@given(shares, ses)
@example(0.0, 0.0)
@example(0.02, 0.01)  # exactly at NOISE_Z standard errors: within noise
@example(0.0201, 0.01)
@example(-0.0201, 0.01)
@example(0.004, 0.0)  # shows as 0.4 %
@example(0.0004, 0.0)  # shows as 0.0 %
def test_change_words_say_rises_or_falls_only_beyond_noise(change, se):
    text = lessons_text.change_text(change, se)
    signed = lessons_text.signed_share(change, se)
    beyond = abs(change) > NOISE_Z * se and lessons_text.share_text(abs(change)) not in ("0 %", "0.0 %")
    if not beyond:
        assert text == "stays about the same" and signed == "about the same", f"{change} ± {se}: {text}, {signed}"
        return
    shown = lessons_text.share_text(abs(change))
    assert text == f"{'rises' if change > 0 else 'falls'} {shown}", f"{change}: {text}"
    assert signed == f"{'+' if change > 0 else '−'}{shown}", f"{change}: {signed}"
    assert shown != "0 %" and shown != "0.0 %", "a change shown as zero is never a rise or a fall"


@given(shares, ses)
def test_more_or_fewer_follows_the_sign(change, se):
    text = lessons_text.more_text(change, se, "customers")
    if abs(change) <= NOISE_Z * se or lessons_text.share_text(abs(change)) in ("0 %", "0.0 %"):
        assert text == "about as many customers", text
    else:
        assert text.endswith("more customers" if change > 0 else "fewer customers"), f"{change}: {text}"


@given(finite)
@example(0.0)
@example(0.4)
@example(-0.4)
@example(-126_062.0)
def test_a_loss_is_never_called_a_gain(value):
    text = lessons_text.gain_text(value)
    if money(abs(value)) == money(0.0):
        assert text == "adds nothing", text
    elif value > 0:
        assert text == f"adds {money(value)}", text
    else:
        assert text == f"loses {money(-value)}", text
    per = lessons_text.per_dollar_text(value / 1e6)
    assert per.startswith("−") == (value < 0 and f"{abs(value / 1e6):.2f}" != "0.00"), per


@given(st.floats(0, 1e6, allow_nan=False))
@example(1.0)
@example(1.4)
@example(0.6)
@example(1.6)
def test_singular_and_plural_agree_with_the_count_as_shown(n):
    text = lessons_text.count_noun(n, "customer")
    assert text == f"{number(n)} {'customer' if number(n) == '1' else 'customers'}", text


@given(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False))
def test_a_range_of_shares_reads_as_shown(a, b):
    low, high = min(a, b), max(a, b)
    text = lessons_text.share_range(low, high)
    if percent(low, 0) == percent(high, 0):
        assert text == f"only {percent(low, 0)}", text
    else:
        assert text == f"from {percent(low, 0)} to {percent(high, 0)}", text


# The lessons' explanations over their controls -----------------------------------------------------
def grid(lesson, points: int = 6) -> list[dict]:
    """Each control over its range (both ends and ``points`` in all) with the others at their
    defaults, plus every corner of the controls' ends."""
    out = []
    numeric = [c for c in lesson.controls if c.unit != "choice"]
    for c in numeric:
        for value in np.linspace(c.low, c.high, points):
            steps = round((value - c.low) / c.step)
            out.append({c.key: float(min(c.high, c.low + steps * c.step))})
    ends = [(c.key, (c.low, c.high)) for c in numeric]
    if len(ends) == 2:
        (k1, e1), (k2, e2) = ends
        out += [{k1: a, k2: b} for a in e1 for b in e2]
    return out


def cases(key: str, points: int = 6):
    lesson = LESSONS[key]
    return [
        pytest.param(key, p, id=f"{key}-" + "-".join(f"{k}={v:g}" for k, v in p.items())) for p in grid(lesson, points)
    ]


def singular_plural_ok(text: str) -> None:
    for noun in ("customer", "month", "prospect"):
        assert not re.search(rf"(?<![\d.,])1 {noun}s\b", text), f"'1 {noun}s' in:\n{text}"
        wrong = re.search(rf"(?<![\d.,])(\d[\d,.]*k?) {noun}\b(?!s)", text)
        assert not wrong or wrong.group(1) == "1", f"'{wrong.group(0)}' is not singular:\n{text}"


@pytest.mark.parametrize(("key", "params"), cases("leaky_bucket"))
def test_leaky_bucket_explanation_is_true_of_its_numbers(key, params):
    lesson = LESSONS[key]
    o = lesson.run(params, runs=RUNS, seed=SEED)
    f, text = o.figures, lessons_text.explanation(lesson, o)
    singular_plural_ok(text)
    assert ("base grows" in text) == (f["level"] > f["start"]), f"grows or shrinks towards the level:\n{text}"
    if f["months_to_90"] is not None:
        path = o.frames["paths"].query("series == 'Your setting'")["customers"].to_numpy()
        gap = abs(path[f["months_to_90"] - 1] - f["start"])
        assert gap >= 0.9 * abs(f["level"] - f["start"]), f"90 % of the way at month {f['months_to_90']}"


@pytest.mark.parametrize(("key", "params"), cases("cost_ratio", 8))
def test_cost_ratio_explanation_is_true_of_its_numbers(key, params):
    lesson = LESSONS[key]
    o = lesson.run(params, runs=RUNS, seed=SEED)
    f, text = o.figures, lessons_text.explanation(lesson, o)
    saves, new = f["first_saves"], f["first_new"]
    if "keeps about as many customers as it wins" in text:
        assert plain(saves) == plain(new), text
    elif saves > new:
        ratio = multiple(saves / new)
        assert f"a dollar keeps {ratio} as many customers as it wins" in text, f"{saves} against {new}:\n{text}"
        assert ("as the rule's cost ratio says" in text) == (ratio == multiple(f["multiplier"])), text
    else:
        assert "a dollar wins" in text and "as it keeps" in text, f"{saves} against {new}:\n{text}"
        assert "cheaper" not in text, text
    if "although each one costs more" in text:
        assert f["multiplier"] > 1, f"at {f['multiplier']}× acquisition costs no more than a save:\n{text}"
    curves = o.frames["curves"].pivot(index="spend", columns="side", values="units").iloc[1:]
    kept, won = curves["Retention: customers kept"], curves["Acquisition: customers won"]
    if "At every spend shown, retention keeps more" in text:
        assert (kept >= won).all(), f"acquisition wins more somewhere:\n{text}"
    if "At every spend shown, acquisition wins more" in text:
        assert (won > kept).all(), f"retention keeps more somewhere:\n{text}"
    if "Above about" in text:
        assert (kept[kept.index < f["crossing"]] >= won[won.index < f["crossing"]]).all(), text
        assert (won[won.index >= f["crossing"]] > kept[kept.index >= f["crossing"]]).all(), text
    if f", not the {plain(f['naive_saves'])}" in text:
        assert plain(f["naive_saves"]) != plain(f["saves"]), text


@pytest.mark.parametrize(("key", "params"), cases("profit_leverage", 8))
def test_profit_leverage_explanation_is_true_of_its_numbers(key, params):
    lesson = LESSONS[key]
    o = lesson.run(params, runs=RUNS, seed=SEED)
    f, text = o.figures, lessons_text.explanation(lesson, o)
    profit, se = f["profit_points"], f["profit_points_se"]
    said = lessons_text.change_text(profit, se)
    assert f"Profit over the ten years **{said}**" in text, text
    if said.startswith(("rises", "falls")):
        assert (profit > 0) == said.startswith("rises") and abs(profit) > NOISE_Z * se, f"{profit} ± {se}: {said}"
    revenue = f["revenue_points"]
    if "more than revenue" in text:
        assert profit > revenue and lessons_text.share_text(profit) != lessons_text.share_text(revenue), text
    if "less than revenue" in text:
        assert profit < revenue and lessons_text.share_text(profit) != lessons_text.share_text(revenue), text
    no_costs = f["operating_share"] == 0
    assert ("There are no fixed operating costs" in text) == no_costs, text
    assert ("do not grow with the customers" in text) == (not no_costs), text
    if not no_costs:
        stated = percent(f["fixed_costs"] / f["revenue_year"], 0)
        assert f"{stated} of the {money(f['revenue_year'])} a year the business bills" in text, text
        assert stated == percent(f["operating_share"], 0), f"the control's share is the share of revenue: {text}"
    if "the gain builds up" in text:
        assert f["year2_points"] < f["profit_points"], text


@pytest.mark.parametrize(("key", "params"), cases("loyalty", 8))
def test_loyalty_explanation_is_true_of_its_numbers(key, params):
    lesson = LESSONS[key]
    o = lesson.run(params, runs=RUNS, seed=SEED)
    f, text = o.figures, lessons_text.explanation(lesson, o)
    singular_plural_ok(text)
    assert ("flighty ones leave first" in text) == (f["heterogeneity"] > 0), f"no mix, no flighty ones:\n{text}"
    changes = [
        (f["retention_year_2"] - f["retention_first"], f["retention_year_2_se"]),
        (f["retention_final"] - f["retention_first"], f["retention_final_se"]),
    ]
    beyond = [d for d, se in changes if abs(d) > NOISE_Z * se]
    if "retention rises" in text:
        assert beyond and all(d > 0 for d in beyond), f"a rise beyond noise: {changes}\n{text}"
    if "retention falls" in text:
        assert beyond and all(d < 0 for d in beyond), f"a fall beyond noise: {changes}\n{text}"
    if f["heterogeneity"] == 0:
        assert "rises" not in text.split("\n\n")[0], f"with everyone alike, retention does not rise:\n{text}"
    if "only " in text and "would be" in text:
        assert f["survivors"] > f["alike_survivors"], text
    if "too few" in text:
        assert f["projected_survivors"] < f["survivors"], text
    if "too many" in text:
        assert f["projected_survivors"] > f["survivors"], text


def test_loyalty_with_everyone_alike_says_retention_stays_the_same():
    lesson = LESSONS["loyalty"]
    for churn in (0.02, 0.08, 0.15):
        o = lesson.run({"heterogeneity": 0.0, "churn": churn})
        text = lessons_text.explanation(lesson, o)
        assert "retention stays about the same" in text, f"at churn {churn} with no mix:\n{text}"
        assert "flighty ones leave first" not in text, text


@pytest.mark.parametrize(("key", "params"), cases("stage", 5))
def test_stage_explanation_is_true_of_its_numbers(key, params):
    from simulation.lessons.stage import accepted_range

    lesson = LESSONS[key]
    o = lesson.run(params, runs=RUNS, seed=SEED)
    f, text = o.figures, lessons_text.explanation(lesson, o)
    singular_plural_ok(text)
    low, high = accepted_range(f)
    assert low <= f["best"] <= high, f"the best is in its own band: {f}"
    start, end = f["customers_start"], f["customers_end"]
    if "the base grows" in text:
        assert end > start, text
    if "the base shrinks" in text:
        assert end < start, text
    if "the base stays about the same" in text:
        assert abs(end - start) <= NOISE_Z * f["customers_end_se"] or number(end) == number(start), text
    if "a large base gives retention a lot to work on" in text:
        assert f["early_low"] > f["late_high"], f"the split moves to retention beyond noise: {f}"


@pytest.mark.parametrize(("key", "params"), cases("value_risk", 6))
def test_value_risk_explanation_is_true_of_its_numbers(key, params):
    lesson = LESSONS[key]
    o = lesson.run(params, runs=RUNS, seed=SEED)
    f, text = o.figures, lessons_text.explanation(lesson, o)
    singular_plural_ok(text)
    names = lesson.prediction_options
    for i, name in enumerate(names):
        line = next(x for x in text.splitlines() if x.startswith(f"- **{name}**"))
        assert f": {lessons_text.gain_text(f['added'][i])} (" in line, f"{name}: {f['added'][i]:.0f}\n{line}"
    best = f["best"]
    assert f"**{names[best]}** adds the most" in text and f["added"][best] == max(f["added"]), text
    if "less than the best" in text:
        assert abs(f["gap"][f["playbook"]]) > NOISE_Z * f["gap_se"][f["playbook"]], text


@given(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False))
@example(0.4, 0.28125)
@example(0.281, 0.28125)
def test_the_prediction_is_above_or_below_the_answer_as_shown(predicted, answer):
    line = lessons_text.result_line(LESSONS["stage"], predicted, answer)
    if "right on it" in line:
        assert style.points(predicted - answer) == style.points(0.0) or percent(predicted, 0) == percent(
            answer, 0
        ), line
    else:
        assert ("above it" in line) == (predicted > answer) and ("below it" in line) == (predicted < answer), line
        assert style.points(predicted - answer) in line, line


def test_the_half_point_is_where_the_best_share_stays_below_half():
    import pandas as pd

    from simulation.lessons.stage import _crossing

    curve = pd.DataFrame({"won": [0.05, 0.2, 0.35, 0.5], "best": [0.9, 0.4, 0.55, 0.3]})
    assert _crossing(curve) == 0.5, "a stage back above half moves the point to the next stage"
    assert _crossing(curve.assign(best=[0.9, 0.8, 0.7, 0.6])) is None, "never below half"
    assert _crossing(curve.assign(best=[0.4, 0.3, 0.2, 0.1])) == 0.05, "below half from the first stage"
