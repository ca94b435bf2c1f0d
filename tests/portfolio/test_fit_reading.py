"""A pooled fit for a cohort triangle, and fits whose a and b are not estimates said in words."""

from __future__ import annotations

import numpy as np

from simulation.portfolio.fit import Lifetimes, fit_sbg
from simulation.portfolio.fit_reading import POOLED, degenerate
from simulation.portfolio.pipeline import analyse_portfolio
from ui.portfolio.tables import fits_table

# Fader and Hardie (2007): customers still active of 1,000 "regular" and 1,000 "high end" subscribers
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def _triangle() -> bytes:
    header = "cohort," + ",".join(f"M{i}" for i in range(8))
    lines = [header]
    for k in range(3):
        for plan, curve in (("regular", REGULAR), ("high end", HIGH_END)):
            lines.append(f"2024-0{k + 1} {plan}," + ",".join(str(c) for c in curve[: 8 - k]) + "," * k)
    return ("\n".join(lines) + "\n").encode()


def test_a_cohort_triangle_gets_one_pooled_fit_beside_the_fit_per_cohort_set():
    result = analyse_portfolio(_triangle(), name="triangle.csv")
    assert result.kind == "cohorts"
    names = list(result.fits)
    assert POOLED in names and len(names) == 7, f"six cohorts and the pooled fit: {names}"
    curves = [c for c in result.data.curves.values()]
    expected = fit_sbg(Lifetimes.from_cohorts(curves), POOLED)
    pooled = result.fits[POOLED]
    assert np.isclose(pooled.alpha, expected.alpha) and np.isclose(pooled.beta, expected.beta)
    assert pooled.customers == 6000
    separate = sum(f.log_likelihood for n, f in result.fits.items() if n != POOLED)
    # the pooled model is the separate ones with all parameters equal: it cannot fit better
    assert pooled.log_likelihood <= separate + 1e-6


def test_one_cohort_set_gets_no_separate_pooled_fit():
    text = "cohort,M0,M1,M2,M3,M4\nA,1000,631,468,382,326\n"
    result = analyse_portfolio(text.encode(), name="one.csv")
    assert POOLED not in result.fits


def _alike(n: int = 20_000, churn: float = 0.03, periods: int = 12, seed: int = 1) -> Lifetimes:
    rng = np.random.default_rng(seed)
    t = rng.geometric(churn, n)
    return Lifetimes.from_tenures(np.minimum(t, periods), t <= periods)


def test_a_fit_of_customers_who_are_alike_is_explained_in_words_not_in_absurd_numbers():
    fit = fit_sbg(_alike(), "alike")
    reading = degenerate(fit)
    assert reading is not None and ("look alike" in reading or "cannot bound" in reading), reading
    row = fits_table({"alike": fit}, "month").iloc[0]
    assert row["alpha"] is None and row["beta"] is None, "a and b are not shown as numbers"
    assert row["reading"] == reading
    assert 0.02 < row["churn"] < 0.04, "churn is still shown: it is estimated"


def test_a_well_determined_fit_is_shown_as_numbers():
    fit = fit_sbg(Lifetimes.from_cohorts([np.array(REGULAR[:8])]), "regular")
    assert degenerate(fit) is None, degenerate(fit)
    row = fits_table({"regular": fit}, "year").iloc[0]
    assert row["alpha"] == fit.alpha and row["reading"] == ""
