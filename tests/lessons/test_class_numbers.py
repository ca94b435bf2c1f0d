"""Each class works on its own numbers: a lesson's starting setting drawn from the class's seed, within
ranges at whose ends the lesson's conclusion still holds, and whose answers are not the solo lesson's."""

from __future__ import annotations

import itertools
import math

import pytest

from simulation.decide import NOISE_Z
from simulation.errors import InputError
from simulation.lessons import LESSONS
from simulation.lessons.leaky_bucket import START_CUSTOMERS, bucket_scenario
from simulation.lessons.profit_leverage import CLAIM
from simulation.lessons.value_risk import PLAYBOOK, SPREAD
from ui.lessons import text as lessons_text

KEYS = sorted(LESSONS, key=lambda k: LESSONS[k].number)
NUMERIC = [k for k in KEYS if not LESSONS[k].prediction_options]
Z = 4.0  # four standard errors: a chance failure about once in 16,000 runs


def corners(lesson) -> list[dict]:
    """Every corner of the lesson's class ranges (both ends of each range)."""
    keys = sorted(lesson.class_ranges)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(lesson.class_ranges[k] for k in keys))]


def cases():
    return [pytest.param(k, c, id=f"{k}-" + "-".join(f"{n}={v:g}" for n, v in c.items()))
            for k in KEYS for c in corners(LESSONS[k])]  # fmt: skip


@pytest.mark.parametrize("key", KEYS)
def test_a_class_start_is_drawn_from_its_seed_on_the_grid_and_never_the_solo_setting(key):
    lesson = LESSONS[key]
    assert lesson.class_ranges, f"{key}: a class varies the lesson"
    starts = [lesson.class_start(seed) for seed in range(40)]
    assert lesson.class_start(3) == starts[3], "the same class, the same numbers"
    assert len({tuple(sorted(s.items())) for s in starts}) > 3, f"{key}: classes differ: {starts[:5]}"
    solo = lesson.defaults()
    for start in starts:
        assert start != solo, f"{key}: a class never starts at the solo setting"
        assert lesson.params(start) == start, "every value is a valid setting of its control"
        for name, (low, high) in lesson.class_ranges.items():
            control = next(c for c in lesson.controls if c.key == name)
            assert low <= start[name] <= high, f"{key}.{name} = {start[name]} outside {low}-{high}"
            steps = (start[name] - control.low) / control.step
            assert math.isclose(steps, round(steps), abs_tol=1e-6), f"{key}.{name} = {start[name]} is off its steps"


@pytest.mark.parametrize("key", NUMERIC)
def test_a_class_answer_is_not_the_solo_answer(key):
    """At every corner of the ranges (the answers move monotonically between them), the class's answer
    is more than a tenth away from the solo lesson's (or, for a share, more than 10 points)."""
    lesson = LESSONS[key]
    solo = lesson.run().answer
    for corner in corners(lesson):
        answer = lesson.run(corner).answer
        shown = lessons_text.answer_text(lesson, answer)
        assert shown != lessons_text.answer_text(lesson, solo), f"{key} at {corner}: {shown} reads as the solo answer"
        gap = abs(answer - solo) if lesson.prediction_unit == "share" else abs(answer / solo - 1)
        assert gap > 0.1, f"{key} at {corner}: {answer:.4g} against the solo {solo:.4g}"


def check_leaky_bucket(o) -> None:
    f = o.figures
    horizon = bucket_scenario(f["new_per_month"], f["churn"]).horizon
    bias = abs(START_CUSTOMERS - f["rule"] * (1 - f["churn"])) * (1 - f["churn"]) ** (horizon - 1)
    assert abs(f["level"] - f["rule"]) <= Z * f["level_se"] + bias, f"levels off at new / churn: {f}"


def check_cost_ratio(o) -> None:
    f = o.figures
    assert f["first_saves"] > f["first_new"], f"the first dollars keep more than they win: {f}"
    assert f["saves"] <= 1.05 * f["keep_ceiling"], f"retention keeps at most its ceiling: {f}"
    assert f["new"] > f["saves"], f"the whole budget wins more than it keeps: {f}"
    assert f["keep_runs_out"] < f["win_runs_out"], f"retention runs out first: {f}"


def check_profit_leverage(o) -> None:
    f = o.figures
    assert f["profit_points"] - f["revenue_points"] > NOISE_Z * (f["profit_points_se"] + f["revenue_points_se"]), (
        f"profit grows more than revenue: {f}"
    )
    assert CLAIM[0] <= f["profit_points"] <= CLAIM[1], f"the claim's +25 to +95 % holds here: {f}"
    assert f["profit_points"] > f["profit_relative"] > f["profit_churn"] > 0, f"what +5 % means matters: {f}"
    assert f["year2_points"] < f["profit_points"], f"the gain builds up: {f}"


def check_loyalty(o) -> None:
    f = o.figures
    text = lessons_text.explanation(LESSONS["loyalty"], o)
    assert "monthly retention rises" in text, f"the cohort's retention rises:\n{text}"
    assert "too few" in text, f"the first year's average churn projects too few survivors:\n{text}"
    assert f["retention_year_2"] - f["retention_first"] > Z * f["retention_year_2_se"], f"{f}"


def check_stage(o) -> None:
    f = o.figures
    assert f["early_low"] > f["late_high"], f"the best split moves to retention as the market fills: {f}"
    assert "runs out quickly" in lessons_text.explanation(LESSONS["stage"], o), "the explanation says why"


def check_value_risk(o) -> None:
    f = o.figures
    se = f["gap_se"][PLAYBOOK]
    assert f["best"] == SPREAD, f"spreading by revenue at risk adds the most: {f['added']}"
    assert -f["gap"][PLAYBOOK] > NOISE_Z * se, f"the playbook loses to it beyond noise: {f['gap']}"
    assert f["added"][PLAYBOOK] < f["added"][SPREAD], f"{f['added']}"


CHECKS = {
    "leaky_bucket": check_leaky_bucket,
    "cost_ratio": check_cost_ratio,
    "profit_leverage": check_profit_leverage,
    "loyalty": check_loyalty,
    "stage": check_stage,
    "value_risk": check_value_risk,
}


@pytest.mark.parametrize(("key", "corner"), cases())
def test_the_lessons_conclusion_holds_at_the_ends_of_the_class_ranges(key, corner):
    lesson = LESSONS[key]
    CHECKS[key](lesson.run(corner))


def exercise_corners(lesson) -> list[dict]:
    keys = sorted(lesson.exercise_ranges)
    ends = [lesson.exercise_ranges[k][:2] for k in keys]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*ends)]


@pytest.mark.parametrize("key", KEYS)
def test_a_classs_exercise_is_its_own_and_neither_answer_counts_for_the_other(key):
    """At the corners of the exercise ranges (the answers move monotonically between them): the class's
    exercise accepts its own answer, and neither the solo exercise's answer nor the class's is accepted
    by the other; the exercise's inputs, as its question states them, are the class's."""
    lesson = LESSONS[key]
    solo = lesson.exercise()
    draws = [lesson.class_exercise_inputs(seed) for seed in range(20)]
    assert lesson.class_exercise_inputs(5) == draws[5], "the same class, the same exercise"
    for name, (low, high, _) in lesson.exercise_ranges.items():
        assert all(low <= d[name] <= high for d in draws), f"{key}.{name} inside its range: {draws}"
    for corner in exercise_corners(lesson):
        own = lesson.exercise(inputs=corner)
        assert own.check(own.answer), f"{key} at {corner}: its own answer is accepted"
        assert not own.check(solo.answer), f"{key} at {corner}: the solo answer {solo.answer:.4g} counts: {own}"
        assert not solo.check(own.answer), f"{key} at {corner}: the class's answer counts solo: {solo}"
        question = lessons_text.exercise_question(lesson, own)
        assert question != lessons_text.exercise_question(lesson, solo), f"{key}: the question states the inputs"
    with pytest.raises(InputError, match="colour"):
        lesson.exercise(inputs={"colour": 1})
