"""Synthetic purchase logs drawn from the BG/NBD and Gamma-Gamma models, for tests and the benchmark.

Each customer's purchase rate is Gamma(r, alpha), their chance of dropping out after each purchase
Beta(a, b), and their mean spend per purchase Gamma-Gamma(p, q, gamma): the models the fit assumes,
so a log drawn here checks that the fit recovers known parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_purchases(
    customers: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    p: float,
    q: float,
    gamma: float,
    start: str = "1997-01-01",
    joining_days: int = 84,
    days: int = 546,
    period_days: float = 7.0,
    rng=None,
) -> pd.DataFrame:
    """A transaction log drawn from the BG/NBD and Gamma-Gamma models: ``customer_id, date, amount``.

    Customers make their first purchase on a day drawn uniformly from the ``joining_days`` after
    ``start``; while alive they buy as a Poisson process with rate lambda ~ Gamma(r, alpha) per
    period of ``period_days`` days and die after each purchase with probability p ~ Beta(a, b); each
    purchase costs Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer. The log ends ``days``
    after ``start``. Dates carry the time of day to the second (:func:`round_to_days` drops it).
    """
    rng = np.random.default_rng(rng)
    rate_rng, death_rng, time_rng, join_rng, spend_rng = rng.spawn(5)
    lam = rate_rng.gamma(r, 1.0 / alpha, customers) / period_days  # per day
    die = death_rng.beta(a, b, customers)
    nu = spend_rng.gamma(q, 1.0 / gamma, customers)
    now = join_rng.integers(0, joining_days, customers).astype(float)
    ids, times = [np.arange(customers)], [now.copy()]
    alive = np.ones(customers, dtype=bool)
    first = True
    while True:
        if not first:  # death comes only after a repeat purchase
            alive &= time_rng.random(customers) >= die
        first = False
        alive &= lam > 0
        if not alive.any():
            break
        now = now + np.where(alive, time_rng.exponential(1.0, customers) / np.where(lam > 0, lam, 1.0), 0.0)
        alive &= now < days
        if not alive.any():
            break
        idx = np.flatnonzero(alive)
        ids.append(idx)
        times.append(now[idx])
    who = np.concatenate(ids)
    when = np.floor(np.concatenate(times) * 86400).astype("int64")
    amount = spend_rng.gamma(p, 1.0, who.size) / nu[who]
    frame = pd.DataFrame(
        {
            "customer_id": np.char.add("c", who.astype(str)),
            "date": pd.Timestamp(start) + pd.to_timedelta(when, unit="s"),
            "amount": np.round(np.maximum(amount, 0.01), 2),
        }
    )
    return frame.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)


def round_to_days(log: pd.DataFrame) -> pd.DataFrame:
    """A log with its purchase times dropped, as most exports write it (several purchases can share a day)."""
    return log.assign(date=pd.to_datetime(log["date"]).dt.normalize())
