"""The shifted-beta-geometric (sBG) model fitted by maximum likelihood, with right censoring.

Each customer has a constant churn probability theta per period; theta varies across
customers as Beta(a, b). A customer who left at renewal t (paid t periods) contributes

    P(T = t) = B(a + 1, b + t - 1) / B(a, b),

and one still active after surviving t renewals contributes

    S(t) = B(a, b + t) / B(a, b).

Data are reduced to counts (customers lost at each t, customers still active after each t),
so the likelihood costs as many terms as there are distinct tenures, not customers. The
fit maximises the log-likelihood over (log a, log b) with :func:`scipy.optimize.minimize`
(BFGS, analytic gradient). Intervals are profile-likelihood intervals: the values of a
quantity whose maximised log-likelihood (over the other parameter) is within
chi2(1, 0.90) / 2 = 1.353 of the maximum.

References
----------
Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
    Journal of Interactive Marketing 21(1), 76-90 (equations 1-3 and the appendix's
    likelihood, the "Regular" and "High End" data and estimates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.special import betaln
from scipy.stats import chi2

from ..errors import InputError

INTERVAL_LEVEL = 0.90
_DROP = float(chi2.ppf(INTERVAL_LEVEL, 1) / 2)
MIN_PERIODS = 3
MIN_CUSTOMERS = 10
_LOG_BOUNDS = (-12.0, 18.0)  # on log a and log b: far beyond any churn data can show


class TooLittleDataError(InputError):
    """Data that cannot pin down a churn model; the message says what is missing."""


@dataclass(frozen=True)
class Lifetimes:
    """Customer lifetimes as counts: ``lost[t]`` left at renewal t; ``alive[t]`` still active after t renewals."""

    lost: np.ndarray
    alive: np.ndarray

    @classmethod
    def from_tenures(cls, tenure, churned) -> Lifetimes:
        """From one tenure per customer (periods paid for those who left, periods survived for the others)."""
        tenure = np.asarray(tenure, dtype=np.int64)
        churned = np.asarray(churned, dtype=bool)
        if tenure.size and tenure.min() < 0:
            raise InputError("tenures must be 0 or more")
        size = int(tenure.max()) + 1 if tenure.size else 1
        lost = np.bincount(tenure[churned], minlength=size).astype(float)
        alive = np.bincount(tenure[~churned], minlength=size).astype(float)
        if lost[0] > 0:  # a customer cannot leave before paying once: count them as leaving at the first renewal
            lost[min(1, size - 1) if size > 1 else 0] += lost[0]
            if size == 1:
                lost, alive = np.append(lost, 0.0), np.append(alive, 0.0)
                lost[1], lost[0] = lost[0], 0.0
            else:
                lost[0] = 0.0
        return cls(lost=lost, alive=alive)

    @classmethod
    def from_cohorts(cls, curves) -> Lifetimes:
        """From cohort curves (active customers at periods 0, 1, ...), aggregated."""
        size = max(len(c) for c in curves)
        lost, alive = np.zeros(size), np.zeros(size)
        for curve in curves:
            c = np.asarray(curve, dtype=float)
            lost[1 : len(c)] += c[:-1] - c[1:]
            alive[len(c) - 1] += c[-1]
        return cls(lost=lost, alive=alive)

    @property
    def customers(self) -> int:
        return round(self.lost.sum() + self.alive.sum())

    @property
    def periods(self) -> int:
        """The longest tenure observed."""
        nz = np.flatnonzero((self.lost + self.alive) > 0)
        return int(nz[-1]) if nz.size else 0

    def observed_survival(self) -> np.ndarray:
        """Kaplan-Meier survival S(0..periods): the share still active after each renewal."""
        T = self.periods
        lost, alive = self.lost[: T + 1], self.alive[: T + 1]
        # at risk at renewal t: those who left at t or later, and those seen active for t renewals or more
        at_risk = np.cumsum(lost[::-1])[::-1] + np.cumsum(alive[::-1])[::-1]
        hazard = np.divide(lost, at_risk, out=np.zeros(T + 1), where=at_risk > 0)
        hazard[0] = 0.0
        return np.cumprod(1 - hazard)


def _terms(a: float, b: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``log S(t)`` for t = 0..size-1 and ``log P(T = t)`` for t = 1..size-1, stable at any size of a and b.

    Written as sums of small terms rather than differences of log-Beta functions, which lose all
    precision when a + b is large (customers much alike): S(t) = prod_{j<t} (b + j) / (a + b + j)
    and P(T = t) = S(t - 1) a / (a + b + t - 1).
    """
    j = np.arange(size - 1, dtype=float)
    log_s = np.concatenate(([0.0], np.cumsum(np.log1p(-a / (a + b + j)))))
    log_p = log_s[:-1] + math.log(a) - np.log(a + b + j)
    return log_s, log_p


def log_likelihood(a: float, b: float, data: Lifetimes) -> float:
    """sBG log-likelihood of the counts at Beta(a, b) (Fader and Hardie 2007)."""
    log_s, log_p = _terms(a, b, data.lost.size)
    return float(data.lost[1:] @ log_p + data.alive @ log_s)


def _negative_and_gradient(x, data: Lifetimes):
    x = np.clip(x, *_LOG_BOUNDS)
    a, b = math.exp(x[0]), math.exp(x[1])
    size = data.lost.size
    j = np.arange(size - 1, dtype=float)
    # d/da and d/db of log S(t): sums over j < t of -1/(a+b+j) and a/((b+j)(a+b+j))
    da_s = np.concatenate(([0.0], np.cumsum(-1.0 / (a + b + j))))
    db_s = np.concatenate(([0.0], np.cumsum(a / ((b + j) * (a + b + j)))))
    da_p = da_s[:-1] + 1.0 / a - 1.0 / (a + b + j)
    db_p = db_s[:-1] - 1.0 / (a + b + j)
    value = log_likelihood(a, b, data)
    lost = data.lost[1:]
    ga = lost @ da_p + data.alive @ da_s
    gb = lost @ db_p + data.alive @ db_s
    return -value, -np.array([ga * a, gb * b])


@dataclass(frozen=True)
class SBGFit:
    """A fitted sBG model.

    Attributes
    ----------
    alpha, beta : float
        The Beta(a, b) parameters of churn probabilities per period.
    churn : float
        Mean churn of a new customer per period, a / (a + b).
    churn_heterogeneity : float
        Polarisation phi = 1 / (a + b + 1).
    log_likelihood : float
    customers, periods : int
        Customers in the data and the longest tenure observed (periods).
    intervals : dict
        Profile-likelihood 90 % intervals ``(low, high)`` of alpha, beta, churn and
        churn_heterogeneity.
    observed : numpy.ndarray
        Observed (Kaplan-Meier) survival at periods 0..periods.
    """

    name: str
    alpha: float
    beta: float
    log_likelihood: float
    customers: int
    periods: int
    intervals: dict[str, tuple[float, float]]
    observed: np.ndarray = field(repr=False)
    lost: int = 0

    @property
    def churn(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def churn_heterogeneity(self) -> float:
        return 1.0 / (self.alpha + self.beta + 1.0)

    def survival(self, t) -> np.ndarray:
        """Fitted share of a new cohort still active after t periods: B(a, b + t) / B(a, b)."""
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(self.alpha, self.beta + t) - betaln(self.alpha, self.beta))

    def risk(self, tenure) -> np.ndarray:
        """Churn probability next period of a customer who has survived ``tenure`` periods: a / (a + b + tenure)."""
        return self.alpha / (self.alpha + self.beta + np.asarray(tenure, dtype=float))

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "alpha": self.alpha,
            "beta": self.beta,
            "churn": self.churn,
            "churn_heterogeneity": self.churn_heterogeneity,
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
            "periods": self.periods,
            "intervals": {k: list(v) for k, v in self.intervals.items()},
        }


def check_data(data: Lifetimes, name: str = "") -> None:
    """Refuse data that cannot pin down the model, saying why."""
    who = f"{name}: " if name else ""
    if data.customers < MIN_CUSTOMERS:
        raise TooLittleDataError(
            f"{who}only {data.customers} customer(s); at least {MIN_CUSTOMERS} are needed to fit churn."
        )
    if data.lost.sum() <= 0:
        raise TooLittleDataError(
            f"{who}no customer has left yet ({data.customers:,} still active), so churn cannot be estimated: "
            "the data fit any churn rate low enough. Add customers who left, or set churn by hand."
        )
    if data.periods < MIN_PERIODS:
        raise TooLittleDataError(
            f"{who}the longest tenure is {data.periods} period(s); at least {MIN_PERIODS} are needed to tell "
            "churn from how it varies between customers."
        )


def fit_sbg(data: Lifetimes, name: str = "", *, intervals: bool = True) -> SBGFit:
    """Maximum-likelihood sBG fit of lifetime counts, right-censored for active customers.

    Parameters
    ----------
    data : Lifetimes
        Counts lost at each renewal and still active after each number of renewals.
    name : str
        Label carried into the result and messages.
    intervals : bool
        Compute profile-likelihood 90 % intervals (a few milliseconds).

    Raises
    ------
    TooLittleDataError
        Fewer than 10 customers, nobody lost, or fewer than 3 periods observed.

    References
    ----------
    Fader and Hardie (2007), "How to project customer retention", the sBG likelihood.
    """
    check_data(data, name)
    best = None
    for start in ((0.0, 0.0), (-1.0, 2.0)):
        res = minimize(
            _negative_and_gradient,
            np.array(start),
            args=(data,),
            jac=True,
            method="BFGS",
            options={"gtol": 1e-8, "maxiter": 500},
        )
        if best is None or (np.isfinite(res.fun) and res.fun < best.fun):
            best = res
    a, b = math.exp(best.x[0]), math.exp(best.x[1])
    ll = -float(best.fun)
    found = {}
    if intervals:
        found = profile_intervals(a, b, ll, data)
    return SBGFit(
        name=name,
        alpha=a,
        beta=b,
        log_likelihood=ll,
        customers=data.customers,
        periods=data.periods,
        intervals=found,
        observed=data.observed_survival(),
        lost=round(data.lost.sum()),
    )


def _expit(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _from_mean(churn: float, phi: float) -> tuple[float, float]:
    scale = 1.0 / phi - 1.0
    return churn * scale, (1.0 - churn) * scale


# Each interval is found on a scale where the profile is smooth and unbounded: (profiled value,
# other parameter) -> (a, b), both on log or logit scales, and back to the reported value.
_PROFILES = {
    "alpha": (lambda x, y: (math.exp(x), math.exp(y)), math.exp),
    "beta": (lambda x, y: (math.exp(y), math.exp(x)), math.exp),
    "churn": (lambda x, y: _from_mean(_expit(x), _expit(y)), _expit),
    "churn_heterogeneity": (lambda x, y: _from_mean(_expit(y), _expit(x)), _expit),
}
_LIMIT = 30.0  # on the working scale: exp(30) or expit(30) is beyond any estimate worth reporting


def profile_intervals(a: float, b: float, ll: float, data: Lifetimes) -> dict[str, tuple[float, float]]:
    """Profile-likelihood 90 % intervals of alpha, beta, churn and churn_heterogeneity.

    For each quantity the other parameter is maximised out at every trial value; an end of the
    interval is where that profile log-likelihood falls :data:`_DROP` below the maximum,
    found by stepping out from the estimate and then by :func:`scipy.optimize.brentq`. An end
    that is never reached is reported as the scale's limit (0 or 1 for shares).
    """
    target = ll - _DROP
    churn, phi = a / (a + b), 1.0 / (a + b + 1.0)
    centres = {
        "alpha": (math.log(a), math.log(b)),
        "beta": (math.log(b), math.log(a)),
        "churn": (_logit(churn), _logit(phi)),
        "churn_heterogeneity": (_logit(phi), _logit(churn)),
    }
    out = {}
    for key, (to_ab, back) in _PROFILES.items():
        x0, y0 = centres[key]
        warm = {"y": y0}

        def profile(x, to_ab=to_ab, warm=warm):
            def neg(y):
                if not abs(y) <= _LIMIT:
                    return 1e300
                aa, bb = to_ab(x, y)
                value = -log_likelihood(aa, bb, data) if (0 < aa < math.inf and 0 < bb < math.inf) else math.nan
                return value if math.isfinite(value) else 1e300

            try:
                r = minimize_scalar(neg, bracket=(warm["y"], warm["y"] + 0.05), method="brent", options={"xtol": 1e-6})
            except (ValueError, RuntimeError):  # a flat profile: search the whole working scale instead
                r = minimize_scalar(neg, bounds=(-_LIMIT, _LIMIT), method="bounded", options={"xatol": 1e-6})
            warm["y"] = float(r.x)
            return -float(r.fun) - target

        ends = []
        for direction in (-1.0, 1.0):
            warm["y"] = y0
            inside, step, outside = x0, 0.05, None
            while abs(inside + direction * step - x0) < _LIMIT:
                trial = inside + direction * step
                if profile(trial) < 0:
                    outside = trial
                    break
                inside, step = trial, step * 2
            if outside is None:
                ends.append(
                    0.0
                    if back is _expit and direction < 0
                    else (1.0 if back is _expit else back(x0 + direction * _LIMIT))
                )
                continue
            try:
                ends.append(back(brentq(profile, min(inside, outside), max(inside, outside), xtol=1e-8)))
            except ValueError:  # a profile too flat to bracket its crossing: the first point known to be outside
                ends.append(back(outside))
        out[key] = (min(ends), max(ends))
    return out
