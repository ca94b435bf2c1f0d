"""Reading an sBG fit: a pooled fit over a cohort triangle, and fits whose a and b say nothing, in words.

When customers are alike (heterogeneity near 0) the likelihood pins down churn a / (a + b) but
not a and b themselves: they grow together without limit (a = 69,665 and b in the millions),
and their intervals run to 1e14 or beyond. Those numbers are not estimates; :func:`degenerate`
says in words what the data do show, and the page shows that instead of them.
"""

from __future__ import annotations

import math

from .data import CohortData
from .fit import Lifetimes, SBGFit, TooLittleDataError, fit_sbg

POOLED = "All cohorts (pooled)"
ALIKE_PHI = 1e-4  # heterogeneity below this: a + b above 9,999, customers indistinguishable in their churn
MEANINGFUL = 1e6  # a or b (or an end of their intervals) beyond this is not an estimate
AT_BOUND_LOG = (-11.5, 17.5)  # log a or log b this close to the search's bounds (-12, 18)


def pooled_fit(data: CohortData) -> tuple[dict[str, SBGFit], dict[str, str]]:
    """One sBG over every cohort of a table with two or more cohort sets (nothing for one set: its fit is it).

    The cohorts' lifetimes are added up into one likelihood, so the pooled fit is the model for
    a new cohort when the sets are taken to be alike; beside the per-set fits it shows how far
    each set is from the rest.
    """
    if len(data.sets) < 2:
        return {}, {}
    try:
        return {POOLED: fit_sbg(Lifetimes.from_cohorts(list(data.curves.values())), POOLED)}, {}
    except TooLittleDataError as exc:
        return {}, {POOLED: str(exc)}


def degenerate(fit: SBGFit) -> str | None:
    """Why a fit's a and b (and their intervals) are not to be read as numbers, in words; None when they are."""
    a, b = fit.alpha, fit.beta
    ends = [x for key in ("alpha", "beta") for x in fit.intervals.get(key, ())]
    if fit.churn_heterogeneity < ALIKE_PHI or a > MEANINGFUL or b > MEANINGFUL:
        return (
            "The customers look alike: the data show no measurable difference in churn between them "
            "(heterogeneity about 0), so only churn per period is estimated; a and b grow together without "
            "limit and are not shown."
        )
    logs = [math.log(x) for x in (a, b) if x > 0]
    if any(x <= AT_BOUND_LOG[0] or x >= AT_BOUND_LOG[1] for x in logs):
        return (
            "a or b reached the edge of the values searched: the data hold too little to pin the model down, "
            "so read churn per period and its interval, not a and b."
        )
    if any(not math.isfinite(x) or x > MEANINGFUL for x in ends):
        return (
            "The data cannot bound a and b from above (their 90 % intervals have no upper end worth stating): "
            "churn per period and its interval are what the data show."
        )
    return None
