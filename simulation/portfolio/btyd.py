"""Buy till you die: the BG/NBD model of purchase counts and the Gamma-Gamma model of spend.

For a transaction log, where no customer says when they leave, each customer is summarised by
``x`` repeat purchases (transactions after the first) in the calibration period, the time
``t_x`` of their last purchase and their age ``T`` at the as-of date, both measured from
their first purchase, in periods. While alive a customer buys as a Poisson process with rate
lambda ~ Gamma(r, alpha); after each repeat purchase they drop out for good with probability
p ~ Beta(a, b). A
customer's likelihood (Fader, Hardie and Lee 2005, equation 6) is

    L = B(a, b + x) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + T)^(r + x))
        + [x > 0] B(a + 1, b + x - 1) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + t_x)^(r + x)),

evaluated here as a sum of logarithms (log-Beta, log-Gamma, ``logaddexp``) so that neither
term under- or overflows. The mean spend per repeat purchase ``m`` of a customer with ``x``
repeat purchases follows the Gamma-Gamma model: spend per purchase ~ Gamma(p, nu), nu ~
Gamma(q, gamma), independent of the purchase process, so ``x m ~ Gamma(p x, nu)`` and

    f(m) = G(p x + q) / (G(p x) G(q)) gamma^q m^(p x - 1) x^(p x) / (gamma + m x)^(p x + q).

Both are fitted by maximum likelihood with :func:`scipy.optimize.minimize` on the logarithms
of the parameters, with their analytic gradients; 90 % intervals come from the observed
information (central differences of the gradient in log parameters), exp(log estimate +- 1.645
standard errors).

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way:
    an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284 (the likelihood,
    equations 6, 9 and 10, and the CDNOW estimates r 0.243, alpha 4.414, a 0.793, b 2.426,
    LL -9582.4).
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
    customer base analysis. Journal of Marketing Research 42(4), 415-430 (the Gamma-Gamma
    spend model).
Fader, P. S. and Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value. Note at
    brucehardie.com (the CDNOW estimates p 6.25, q 3.74, gamma 15.44 on 946 repeat buyers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1
from scipy.stats import norm

from .fit import INTERVAL_LEVEL, TooLittleDataError

_Z = float(norm.ppf(0.5 + INTERVAL_LEVEL / 2))
MIN_CUSTOMERS = 10
MIN_REPEAT_BUYERS = 10
_LOG_BOUNDS = (-15.0, 15.0)


def _exp(x: float) -> float:
    """exp(x), infinite beyond the largest float instead of an OverflowError (an interval without an end)."""
    return math.exp(x) if x < 709.0 else math.inf


@dataclass(frozen=True)
class RFM:
    """One row per customer who bought by the as-of date: frequency, recency, age and spend.

    Attributes
    ----------
    customer_id : numpy.ndarray
    x : numpy.ndarray
        Repeat transactions (after the first) up to the as-of date.
    t_x, T : numpy.ndarray
        Time of the last purchase and the as-of date, in periods since the first purchase.
    m : numpy.ndarray
        Mean spend per repeat purchase (NaN for customers with none).
    first : numpy.ndarray
        Date of the first purchase.
    period_days : float
        Days in one period, the unit of ``t_x`` and ``T``.
    as_of : pandas.Timestamp
    """

    customer_id: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray
    first: np.ndarray
    period_days: float
    as_of: pd.Timestamp

    @property
    def customers(self) -> int:
        return int(self.x.size)


def transactions(purchases: pd.DataFrame) -> pd.DataFrame:
    """Purchases by the same customer at the same time (the same day, in a log of dates) as one transaction.

    Returns ``customer_id, date, amount`` sorted by customer and date.
    """
    frame = pd.DataFrame(
        {
            "customer_id": purchases["customer_id"].to_numpy(),
            "date": pd.to_datetime(purchases["date"]).to_numpy(),
            "amount": purchases["amount"].to_numpy(dtype=float),
        }
    )
    return frame.groupby(["customer_id", "date"], sort=True, as_index=False)["amount"].sum()


def rfm(purchases: pd.DataFrame, as_of, period_days: float) -> RFM:
    """Frequency, recency, age and mean repeat spend at ``as_of`` of the customers who bought by then.

    Parameters
    ----------
    purchases : DataFrame
        ``customer_id, date, amount``, one row per purchase (see :func:`transactions`).
    as_of : date
        The end of the calibration period; later purchases are left out.
    period_days : float
        Days in one period (7 for weeks).
    """
    stamp = pd.Timestamp(as_of)
    days = transactions(purchases)
    days = days[days["date"] <= stamp]
    g = days.groupby("customer_id", sort=True)
    first = g["date"].min()
    last = g["date"].max()
    count = g["date"].size()
    total = g["amount"].sum()
    first_amount = g["amount"].first()
    x = (count - 1).to_numpy(dtype=float)
    unit = np.timedelta64(1, "D") * period_days
    t_x = ((last - first).to_numpy() / unit).astype(float)
    T = ((stamp - first).to_numpy() / unit).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(x > 0, (total - first_amount).to_numpy(dtype=float) / x, np.nan)
    return RFM(
        customer_id=first.index.to_numpy().astype(str),
        x=x,
        t_x=t_x,
        T=T,
        m=m,
        first=first.to_numpy(),
        period_days=float(period_days),
        as_of=stamp,
    )


def _bgnbd_terms(r, alpha, a, b, x, t_x, T):
    """Per-customer log-likelihood of the BG/NBD model."""
    common = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    beta_ab = betaln(a, b)
    survive = betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + T)
    # B(a + 1, b + x - 1) = B(a, b + x) a / (b + x - 1): no log-Beta at a tiny second argument
    with np.errstate(divide="ignore", invalid="ignore"):
        died = np.where(
            x > 0,
            math.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + betaln(a, b + x)
            - beta_ab
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return common + np.logaddexp(survive, died)


def bgnbd_log_likelihood(params, x, t_x, T, weights=None) -> float:
    """Total BG/NBD log-likelihood at ``(r, alpha, a, b)`` (Fader, Hardie and Lee 2005, equation 6)."""
    r, alpha, a, b = (float(v) for v in params)
    terms = _bgnbd_terms(r, alpha, a, b, x, t_x, T)
    return float(terms.sum() if weights is None else terms @ weights)


def bgnbd_gradient(params, x, t_x, T, weights=None) -> np.ndarray:
    """The gradient of :func:`bgnbd_log_likelihood` in ``(r, alpha, a, b)``."""
    r, alpha, a, b = (float(v) for v in params)
    beta_ab = betaln(a, b)
    survive = betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        died = np.where(
            x > 0,
            math.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + survive
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
            -np.inf,
        )
    # the shares of the two terms of each customer's likelihood (alive at T; dropped out after t_x)
    total = np.logaddexp(survive, died)
    w_alive, w_died = np.exp(survive - total), np.exp(died - total)
    common_b = digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b)
    grads = np.stack(
        [
            digamma(r + x) - digamma(r) + math.log(alpha) - w_alive * np.log(alpha + T) - w_died * np.log(alpha + t_x),
            r / alpha - (r + x) * (w_alive / (alpha + T) + w_died / (alpha + t_x)),
            digamma(a + b) - digamma(a + b + x) + w_died / a,
            common_b - np.where(x > 0, w_died / np.maximum(b + x - 1, 1e-300), 0.0),
        ]
    )
    return grads.sum(axis=1) if weights is None else grads @ weights


def gamma_gamma_log_likelihood(params, x, m, weights=None) -> float:
    """Total Gamma-Gamma log-likelihood at ``(p, q, gamma)`` of mean spends ``m`` over ``x`` repeat purchases."""
    p, q, g = (float(v) for v in params)
    px = p * x
    terms = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * math.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )
    return float(terms.sum() if weights is None else terms @ weights)


def gamma_gamma_gradient(params, x, m, weights=None) -> np.ndarray:
    """The gradient of :func:`gamma_gamma_log_likelihood` in ``(p, q, gamma)``."""
    p, q, g = (float(v) for v in params)
    px = p * x
    log_rest = np.log(g + m * x)
    grads = np.stack(
        [
            x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - log_rest),
            digamma(px + q) - digamma(q) + math.log(g) - log_rest,
            q / g - (px + q) / (g + m * x),
        ]
    )
    return grads.sum(axis=1) if weights is None else grads @ weights


def _hyp2f1(a, b, c, z) -> np.ndarray:
    """Gauss's hypergeometric function, by its power series where :func:`scipy.special.hyp2f1` gives no number.

    SciPy's routine returns NaN in parts of the domain (a large ``c`` with ``z`` near 1, for
    instance); there the series sum_n (a)_n (b)_n / ((c)_n n!) z^n, which converges for
    |z| < 1, is summed until its terms no longer change the sum.
    """
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    out = np.array(hyp2f1(a, b, c, z), dtype=float, ndmin=1)
    bad = ~np.isfinite(out) & (np.abs(z) < 1)
    if bad.any():
        aa, bb, cc, zz = (np.ravel(v)[np.ravel(bad)] for v in (a, b, c, z))
        term = np.ones_like(zz)
        total = term.copy()
        for n in range(200_000):
            term = term * (aa + n) * (bb + n) / ((cc + n) * (n + 1)) * zz
            total += term
            if np.all(np.abs(term) <= 1e-16 * np.abs(total)):
                break
        flat = out.ravel()
        flat[np.ravel(bad)] = total
        out = flat.reshape(out.shape)
    return out.reshape(np.shape(a)) if np.ndim(a) else out[0]


def _fit(loglik, names: tuple[str, ...], starts, gradient) -> tuple[dict[str, float], float, dict[str, tuple]]:
    """Maximise ``loglik`` over log parameters from several starts; intervals from the observed information.

    ``gradient`` is that of ``loglik`` in the parameters: BFGS follows it, and the observed
    information is its central difference at the maximum.
    """

    def negative_and_gradient(z):
        z = np.clip(z, *_LOG_BOUNDS)
        params = np.exp(z)
        value, grad = loglik(params), -gradient(params) * params
        if not (math.isfinite(value) and np.isfinite(grad).all()):
            return 1e300, np.zeros_like(z)
        return -value, grad

    best = None
    for start in starts:
        z0 = np.log(np.asarray(start, dtype=float))
        res = minimize(negative_and_gradient, z0, jac=True, method="BFGS", options={"gtol": 1e-6})
        if best is None or res.fun < best.fun:
            best = res
    z = np.clip(best.x, *_LOG_BOUNDS)
    step = 1e-5
    info = np.array(
        [
            (negative_and_gradient(z + step * e)[1] - negative_and_gradient(z - step * e)[1]) / (2 * step)
            for e in np.eye(z.size)
        ]
    )
    info = (info + info.T) / 2
    intervals = {}
    try:
        cov = np.linalg.inv(info)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se = np.full(z.size, np.nan)
    for name, centre, s in zip(names, z, se, strict=True):
        intervals[name] = (_exp(centre - _Z * s), _exp(centre + _Z * s)) if math.isfinite(s) else (0.0, math.inf)
    return dict(zip(names, (float(v) for v in np.exp(z)), strict=True)), -float(best.fun), intervals


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD purchase model and, where enough customers bought twice, a Gamma-Gamma spend model.

    Attributes
    ----------
    r, alpha : float
        Purchase rates while alive ~ Gamma(r, alpha) (rate alpha, per period).
    a, b : float
        Probability of dying after a purchase ~ Beta(a, b).
    log_likelihood : float
    p, q, gamma : float or None
        Gamma-Gamma spend parameters (None when too few customers made a repeat purchase).
    spend_log_likelihood : float or None
    customers, repeat_buyers : int
    intervals : dict
        90 % intervals ``(low, high)`` of every parameter, from the observed information.
    """

    name: str
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    repeat_buyers: int
    period: str
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    p: float | None = None
    q: float | None = None
    gamma: float | None = None
    spend_log_likelihood: float | None = None
    spend_message: str = ""

    model = "bg/nbd"

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_odds = (
                math.log(self.a)
                - np.log(np.maximum(self.b + x - 1, 1e-300))
                + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
            )
        return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700))), 1.0)

    def _a_minus_1(self) -> float:
        # the expectations divide by a - 1 and their brackets vanish with it; at a = 1 exactly, step off it
        return self.a - 1 if abs(self.a - 1) > 1e-9 else 1e-9

    def expected_purchases_new(self, t) -> np.ndarray:
        """E[X(t)]: expected purchases of a new customer in ``t`` periods after the first (equation 9).

        (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha + t)) is evaluated as
        2F1(r, a - 1; a + b - 1; -t / alpha) (Pfaff's transformation), which stays finite for any t.
        """
        t = np.asarray(t, dtype=float)
        r, alpha, b = self.r, self.alpha, self.b
        am1 = self._a_minus_1()
        return (am1 + b) / am1 * (1 - _hyp2f1(r, am1, am1 + b, -t / alpha))

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods of a customer seen so far (equation 10).

        ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z), z = t / (alpha + T + t),
        multiplies a vanishing power by an overflowing series for customers with many purchases. Two
        Pfaff transformations make it ((alpha + T) / (alpha + T + t))^(a - 1) 2F1(a + b - 1 - r, a - 1;
        a + b + x - 1; z), whose upper parameters do not grow with x: the series is short and finite.
        """
        t = np.asarray(t, dtype=float)
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        r, alpha, b = self.r, self.alpha, self.b
        am1 = self._a_minus_1()
        c = am1 + b + x
        z = t / (alpha + T + t)
        tail = 1 - np.exp(am1 * (np.log(alpha + T) - np.log(alpha + T + t))) * _hyp2f1(am1 + b - r, am1, c, z)
        return self.p_alive(x, t_x, T) * c / am1 * tail

    def expected_spend(self, x, m) -> np.ndarray:
        """E[spend per purchase | x, m]: the Gamma-Gamma posterior mean, the population mean where x = 0."""
        if self.p is None:
            raise ValueError("no spend model was fitted")
        x = np.asarray(x, dtype=float)
        m = np.nan_to_num(np.asarray(m, dtype=float))
        p, q, g = self.p, self.q, self.gamma
        return (g + m * x) * p / (p * x + q - 1)

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase, p gamma / (q - 1) (infinite when q <= 1)."""
        if self.p is None:
            return math.nan
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else math.inf

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "model": self.model,
            "r": self.r,
            "alpha": self.alpha,
            "a": self.a,
            "b": self.b,
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
            "repeat_buyers": self.repeat_buyers,
            "period": self.period,
            "spend_model": "gamma-gamma" if self.p is not None else None,
            "p": self.p,
            "q": self.q,
            "gamma": self.gamma,
            "spend_log_likelihood": self.spend_log_likelihood,
            "spend_message": self.spend_message or None,
            "intervals": {k: list(v) for k, v in self.intervals.items()},
        }


def fit_bgnbd(data: RFM, name: str = "", period: str = "") -> BGNBDFit:
    """Maximum-likelihood BG/NBD and Gamma-Gamma fits of a transaction log's customers.

    Parameters
    ----------
    data : RFM
        Frequency, recency and age per customer (:func:`rfm`).
    name, period : str
        Labels carried into the result.

    Raises
    ------
    TooLittleDataError
        Fewer than 10 customers, or no customer bought twice.

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting your customers" the easy way, equation 6.
    """
    who = f"{name}: " if name else ""
    if data.customers < MIN_CUSTOMERS:
        raise TooLittleDataError(f"{who}only {data.customers} customer(s); at least {MIN_CUSTOMERS} are needed.")
    repeat = data.x > 0
    if not repeat.any():
        raise TooLittleDataError(
            f"{who}no customer bought twice by the as-of date, so purchase rates cannot be estimated."
        )
    # customers with the same (x, t_x, T) contribute the same term: fit on the distinct rows
    rows = pd.DataFrame({"x": data.x, "t_x": data.t_x, "T": data.T})
    grouped = rows.groupby(["x", "t_x", "T"], sort=False).size().reset_index(name="n")
    x, t_x, T, n = (grouped[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "n"))
    scale = float(np.mean(data.T)) or 1.0
    params, ll, intervals = _fit(
        lambda v: bgnbd_log_likelihood(v, x, t_x, T, n),
        ("r", "alpha", "a", "b"),
        [(1.0, scale, 1.0, 1.0), (0.5, scale, 0.5, 2.0)],
        gradient=lambda v: bgnbd_gradient(v, x, t_x, T, n),
    )
    spend, spend_ll, message = {}, None, ""
    # spend is fitted to the repeat buyers who paid something for their repeat purchases
    spenders = repeat & (np.nan_to_num(data.m) > 0)
    m = data.m[spenders]
    if spenders.sum() < MIN_REPEAT_BUYERS:
        message = (
            f"only {int(spenders.sum())} customer(s) paid for a repeat purchase; at least {MIN_REPEAT_BUYERS} are "
            "needed to fit spend."
        )
    else:
        xs = data.x[spenders]
        mean = float(np.mean(m))
        spend, spend_ll, spend_intervals = _fit(
            lambda v: gamma_gamma_log_likelihood(v, xs, m),
            ("p", "q", "gamma"),
            [(1.0, 3.0, 2 * mean), (5.0, 4.0, mean)],
            gradient=lambda v: gamma_gamma_gradient(v, xs, m),
        )
        intervals.update(spend_intervals)
    return BGNBDFit(
        name=name,
        **params,
        log_likelihood=ll,
        customers=data.customers,
        repeat_buyers=int(repeat.sum()),
        period=period,
        intervals=intervals,
        p=spend.get("p"),
        q=spend.get("q"),
        gamma=spend.get("gamma"),
        spend_log_likelihood=spend_ll,
        spend_message=message,
    )


@dataclass(frozen=True)
class CustomerValue:
    """What a BG/NBD fit expects of each customer over a planning horizon.

    ``frame`` is indexed by customer id with ``x, t_x, T, p_alive, expected_purchases,
    expected_spend`` (per purchase) and ``expected_revenue`` (over the horizon).
    """

    fit: BGNBDFit
    data: RFM
    frame: pd.DataFrame
    horizon_periods: float
    spend_source: str


def value_customers(fit: BGNBDFit, data: RFM, horizon_periods: float) -> CustomerValue:
    """Expected purchases, spend per purchase and revenue over ``horizon_periods`` of each customer in ``data``.

    Expected spend is the Gamma-Gamma posterior mean where a spend model was fitted (the
    population mean for customers with no repeat purchase); otherwise the mean repeat spend of
    the repeat buyers for everyone.
    """
    purchases = fit.expected_purchases(horizon_periods, data.x, data.t_x, data.T)
    if fit.p is not None and fit.q > 1:
        spend = fit.expected_spend(data.x, data.m)
        source = "the Gamma-Gamma spend model"
    else:
        spend = np.full(data.customers, float(np.nanmean(data.m)))
        source = "the mean spend per repeat purchase (too few repeat buyers for a spend model)"
    frame = pd.DataFrame(
        {
            "x": data.x,
            "t_x": data.t_x,
            "T": data.T,
            "p_alive": fit.p_alive(data.x, data.t_x, data.T),
            "expected_purchases": purchases,
            "expected_spend": spend,
            "expected_revenue": purchases * spend,
        },
        index=pd.Index(data.customer_id, name="customer_id"),
    )
    return CustomerValue(fit=fit, data=data, frame=frame, horizon_periods=float(horizon_periods), spend_source=source)


def holdout(fit: BGNBDFit, data: RFM, purchases: pd.DataFrame, period: str = "") -> pd.DataFrame:
    """Predicted and actual repeat purchases per period after the as-of date, by the calibration customers.

    Periods are whole periods of ``data.period_days`` days after ``data.as_of``, up to the last
    purchase in the log (a last, incomplete period is left out). The prediction of period k is
    the sum over customers of E[Y(k) | x, t_x, T] - E[Y(k - 1) | x, t_x, T]. Empty when the log
    ends within a period of the as-of date.

    Returns
    -------
    DataFrame
        ``period`` (1, 2, ...), ``start`` (first day), ``actual``, ``predicted`` and their
        cumulative sums ``actual_cumulative``, ``predicted_cumulative``.
    """
    merged = transactions(purchases)
    later = merged[(merged["date"] > data.as_of) & merged["customer_id"].isin(data.customer_id)]
    end = pd.Timestamp(merged["date"].max())
    step = pd.Timedelta(days=data.period_days)
    periods = int((end - data.as_of) / step)
    columns = ["period", "start", "actual", "predicted", "actual_cumulative", "predicted_cumulative"]
    if periods < 1:
        return pd.DataFrame(columns=columns)
    # customers alike in (x, t_x, T) are expected alike: one evaluation per distinct row
    rows = pd.DataFrame({"x": data.x, "t_x": data.t_x, "T": data.T})
    distinct = rows.groupby(["x", "t_x", "T"], sort=False).size().reset_index(name="n")
    k = np.arange(periods + 1, dtype=float)
    cumulative = np.array(
        [float(distinct["n"] @ fit.expected_purchases(t, distinct["x"], distinct["t_x"], distinct["T"])) for t in k]
    )
    which = np.ceil((later["date"] - data.as_of) / step).astype(int)
    actual = np.bincount(which[which <= periods], minlength=periods + 1)[1:]
    predicted = np.diff(cumulative)
    return pd.DataFrame(
        {
            "period": np.arange(1, periods + 1),
            "start": [data.as_of + (i - 1) * step + pd.Timedelta(days=1) for i in range(1, periods + 1)],
            "actual": actual.astype(float),
            "predicted": predicted,
            "actual_cumulative": np.cumsum(actual).astype(float),
            "predicted_cumulative": cumulative[1:],
        }
    )[columns]
