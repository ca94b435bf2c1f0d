"""The Plan page's advice is true of the numbers it quotes, at both signs and at every threshold.

Property tests: for any returns on the two levers and any run-by-run gain of a smaller budget,
the side a sentence says is better is better as shown (to the cent), "pays for itself" is said
only of a return of at least 1, "spend less" only when both returns are below 1, and a gain is
stated only when it is beyond noise (two standard errors) and material (1 % of NPV).
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from simulation.decide import NOISE_Z, BudgetSize
from tests.helpers import scenario
from ui.plan import text as plan_text
from ui.shared import style

# Returns from nothing back to three times the cost, with the values at and around one cent of 1 drawn often.
returns = st.one_of(
    st.floats(min_value=0, max_value=3, allow_nan=False),
    st.sampled_from([1.0, 0.995, 0.99499999, 1.005, 0.9949, 1.0049, 0.0, 0.004, 0.005]),
)
CLAUSE = re.compile(
    r"the next \$1 returns \$(?P<a>[\d,]+\.\d\d) in acquisition and \$(?P<r>[\d,]+\.\d\d) in retention"
    r"(?P<rest>.*)"
)


def read_clause(text: str) -> tuple[float, float, str]:
    m = CLAUSE.search(text)
    assert m, f"the returns are not quoted as the next $1 on each side: {text!r}"
    return float(m["a"].replace(",", "")), float(m["r"].replace(",", "")), m["rest"]


@given(returns, returns)
@example(1.07, 1.11)  # the default preset at 300k: the old sentence said acquisition pays more
@example(0.74, 0.64)  # the subscription box: both lose, the old sentence said "pays more"
@example(1.004, 0.996)  # shown as 1.00 and 1.00: the same, though the floats differ
def test_the_side_called_better_is_better_as_shown(acquisition, retention):
    a, r, rest = read_clause(plan_text.returns_clause(acquisition, retention, "USD"))
    assert (a, r) == (round(acquisition, 2), round(retention, 2)), "the returns are shown to the cent"
    forms = {
        ", the same on either side": a == r,
        ", so acquisition pays more": a > r and min(a, r) >= 1,
        ", so retention pays more": r > a and min(a, r) >= 1,
        ": neither pays for itself, acquisition loses less": a > r and max(a, r) < 1,
        ": neither pays for itself, retention loses less": r > a and max(a, r) < 1,
        ": only acquisition pays for itself": a >= 1 > r,
        ": only retention pays for itself": r >= 1 > a,
    }
    assert rest in forms, f"an unknown conclusion {rest!r} for {a} and {r}"
    assert forms[rest], f"{rest!r} is not true of acquisition {a:.2f} and retention {r:.2f}"


def advice(acquisition: float, retention: float):
    return SimpleNamespace(marginal=SimpleNamespace(acquisition_return=acquisition, retention_return=retention))


@given(returns, returns)
@example(0.995, 0.5)  # shown as 1.00: pays for itself, so not "spend less"
@example(0.99499, 0.99499)  # shown as 0.99 on both sides: spend less
def test_spend_less_exactly_when_both_sides_return_less_than_they_cost(acquisition, retention):
    s = scenario()
    text = plan_text.budget_text(advice(acquisition, retention), None, s)
    a, r = round(acquisition, 2), round(retention, 2)
    if max(a, r) < 1:
        assert text is not None and text.startswith("**Spend less**"), f"{a}, {r}: {text}"
        assert plan_text.spend_less(advice(acquisition, retention))
    elif min(a, r) >= 1:
        assert text is not None and text.startswith("**More budget would pay**"), f"{a}, {r}: {text}"
    else:
        assert text is None, f"one side pays and one not: the split is the question, not the size; got {text}"
    if text is not None:
        assert (a, r) == read_clause(text)[:2], "the sentence quotes the returns it reasons from"


def size_of(gain: np.ndarray, best_value: float, cut: float) -> BudgetSize:
    total = 100_000.0
    best = total * (1 - cut)
    totals = tuple(sorted({best, total}))
    means = tuple(best_value if t == best else best_value - float(gain.mean()) for t in totals)
    return BudgetSize(share=0.4, total=total, best_total=best, gain=gain, totals=totals, means=means)


@given(
    mean=st.floats(min_value=-2e6, max_value=2e6, allow_nan=False),
    sd=st.floats(min_value=0, max_value=5e6, allow_nan=False),
    best_value=st.floats(min_value=-5e7, max_value=5e7, allow_nan=False),
    cut=st.sampled_from([0.0, 0.1, 0.5, 0.78, 1.0]),
)
@example(mean=2e5, sd=3.1e6, best_value=1e7, cut=0.5)  # 2 SE of 1,000 runs is 196k: within noise
@example(mean=2e5, sd=1e5, best_value=3e7, cut=0.5)  # beyond noise, under 1 % of 30M: immaterial
@example(mean=-5e5, sd=1e5, best_value=1e7, cut=0.5)  # a loss is never called a gain
def test_a_smaller_budget_is_called_better_only_when_it_is(mean, sd, best_value, cut):
    gain = mean + sd * np.linspace(-1.7, 1.7, 1000)
    size = size_of(gain, best_value, cut)
    text = plan_text.budget_text(advice(0.8, 0.7), size, scenario())
    mean_gain, se = float(gain.mean()), float(gain.std(ddof=1) / math.sqrt(gain.size))
    claims_gain = "NPV is higher by" in text
    real = cut > 0 and mean_gain > NOISE_Z * se and mean_gain >= 0.01 * abs(size.best_value)
    assert claims_gain == real, f"gain {mean_gain:,.0f} ± {NOISE_Z * se:,.0f} of {size.best_value:,.0f}: {text}"
    if claims_gain:
        assert "-" not in text.split("higher by")[1].split("on average")[0], "a gain is stated as positive"
        assert f"{round(cut * 100)} % less" in text, "the cut is stated"
    if cut == 0:
        assert "no smaller budget did better" in text, text


PAYS_MORE = r"(acquisition|retention) pays more|pays more in (acquisition|retention|keeping customers)"


@pytest.mark.parametrize("per_1000", [0.0, 1.0, 4.0])
def test_why_never_contradicts_its_returns(per_1000):
    s = scenario()
    for a, r in [(1.07, 1.11), (0.74, 0.64), (1.5, 0.5), (0.3, 2.0)]:
        best = SimpleNamespace(
            marginal=SimpleNamespace(
                acquisition_return=a, retention_return=r, corner=None,
                retention_units_per_1000=per_1000, acquisition_units_per_1000=per_1000,
            )
        )  # fmt: skip
        text = plan_text.why_text(best, s)
        shown_a, shown_r, _ = read_clause(text)
        better = {"acquisition": shown_a > shown_r, "retention": shown_r > shown_a}
        better["keeping customers"] = better["retention"]
        claims = re.findall(PAYS_MORE, text)
        for side in (a or b for a, b in claims):
            assert better[side], f"says {side} pays more: {text}"
            assert min(shown_a, shown_r) >= 1, f"'pays more' when a side loses money: {text}"


def seek_result(**changes):
    from simulation.decide.seek import SeekResult

    base = dict(
        target="revenue_final", level=3e6, confidence=0.8, solve="total_budget", value=334_000.0, low=326_000.0,
        high=339_000.0, reachable=True, best_level=3.0001e6, current=200_000.0, runs=1000, seed=1,
    )  # fmt: skip
    return SeekResult(**{**base, **changes})


@given(
    value=st.floats(min_value=0, max_value=5e6, allow_nan=False),
    current=st.floats(min_value=0, max_value=5e6, allow_nan=False),
    reachable=st.booleans(),
)
@example(value=200_000.0, current=200_000.0, reachable=True)  # today's budget is exactly enough
def test_the_goal_seek_answer_is_true_of_its_result(value, current, reachable):
    s = scenario()
    text = plan_text.seek_text(seek_result(value=value, current=current, reachable=reachable), s)
    if not reachable:
        assert text.startswith("**Out of reach**") and "It takes" not in text, text
        return
    assert text.startswith(f"**It takes an acquisition + retention budget of {style.money(value, 'USD')} per month**")
    assert ("is enough" in text) == (value <= current) and ("is not enough" in text) == (value > current), text


@pytest.mark.parametrize(
    ("solve", "value", "words"),
    [
        ("churn_change", -0.2, "churn lower by 20.0 %"),
        ("churn_change", 0.0004, "Nothing to change"),
        ("price_change", 0.05, "prices higher by 5.0 %"),
        ("price_change", -0.031, "prices lower by 3.1 %"),
    ],
)
def test_the_goal_seek_names_the_change_and_its_direction(solve, value, words):
    text = plan_text.seek_text(seek_result(solve=solve, value=value, current=0.0, low=None, high=None), scenario())
    assert words in text, text


@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 10)), min_size=1, max_size=12))
@example([(5.0, 5.0), (5.0, 5.0)])  # a fixed budget: every actual at the median
@example([(5.0, 5.0), (4.0, 5.0), (6.0, 5.0)])
def test_where_actuals_landed_is_counted_as_shown(pairs):
    import pandas as pd

    rows = pd.DataFrame(
        [{"actual": a, "p5": 3.0, "p25": 4.0, "p50": m, "p75": 6.0, "p95": 7.0} for a, m in pairs]
    )
    text = plan_text.landed_text("Revenue", rows, "month")
    inside = int(((rows["actual"] >= 3) & (rows["actual"] <= 7)).sum())
    n = len(rows)
    assert text.startswith(f"**Revenue**: {inside} of {n} month{'' if n == 1 else 's'} inside the 90 % band"), text
    if "below the median every month" in text:
        assert (rows["actual"] < rows["p50"]).all(), text
    if "above the median every month" in text:
        assert (rows["actual"] > rows["p50"]).all(), text
    if "at the median every month" in text:
        assert (rows["actual"] == rows["p50"]).all(), text
    if "below the median in" in text:
        below, above = (rows["actual"] < rows["p50"]).sum(), (rows["actual"] > rows["p50"]).sum()
        at = n - below - above
        assert f"below the median in {below} and above it in {above}" in text, text
        assert (f", at it in {at}" in text) == (at > 0), text


@given(st.floats(0.2, 3), st.floats(0.0, 0.5), st.floats(0.0, 0.5), st.integers(1, 24))
@example(1.0, 0.0, 0.0, 1)
def test_the_refit_says_higher_or_lower_only_when_its_interval_says_so(mode, below, above, periods):
    from simulation.track import Refit

    fit = Refit(multiplier=mode, low=mode * (1 - below), high=mode * (1 + above), prior_sd=0.25, periods=periods)
    text = plan_text.refit_text(fit, "month")
    if "higher than planned" in text:
        assert fit.low > 1, text
    elif "lower than planned" in text:
        assert fit.high < 1, text
    else:
        assert fit.low <= 1 <= fit.high and "within it" in text, text
    assert f"{periods} month{'' if periods == 1 else 's'} of actuals" in text


@given(st.floats(0, 1e7), st.floats(0, 1e7))
@example(1004.0, 1001.0)  # both shown as $1.00k: "as good as"
def test_the_forecast_is_called_better_than_naive_only_when_its_score_is(ours, naive):
    from types import SimpleNamespace

    tracking = SimpleNamespace(crps={"revenue": ours}, crps_naive={"revenue": naive})
    text = plan_text.score_text(tracking, {"revenue": ("Revenue", "money")}, "USD")
    a, b = style.money(ours, "USD"), style.money(naive, "USD")
    assert f"revenue {a} against {b}" in text, text
    if "better than" in text:
        assert ours < naive and a != b, text
    elif "worse than" in text:
        assert ours > naive and a != b, text
    else:
        assert a == b and "as good as" in text, text


def test_the_goal_seek_names_its_target_as_written_in_a_sentence():
    npv = plan_text.seek_text(seek_result(target="npv"), scenario())
    assert "reach NPV of contribution of at least" in npv, npv
    revenue = plan_text.seek_text(seek_result(), scenario())
    assert "reach revenue in month 24" in revenue, revenue
