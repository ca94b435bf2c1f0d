"""Time the Portfolio pipeline on synthetic data: ``python -m simulation.portfolio.bench``.

A table of N customers (ids, segment, revenue, potential, margin, start and end dates, status) is
written as CSV in memory from stated sBG parameters, then read, classified, fitted per class (with
profile-likelihood intervals) and turned into a scenario. A transaction log of N customers is
drawn from the BG/NBD and Gamma-Gamma models at Fader, Hardie and Lee's CDNOW estimates (first
purchases over 12 weeks, 78 weeks in all), written as CSV with dates, then read, fitted to the
first 39 weeks, valued, classified and checked against the last 39 (``--log-customers``, default
23,570: ten times the CDNOW sample). Each step is timed; the median of ``--repeat`` repetitions
is printed. Timing is kept out of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from .analysis import PLANNING_YEARS, analyse, build_scenario
from .btyd import fit_bgnbd, holdout, rfm, value_customers
from .btyd_sample import round_to_days, simulate_purchases
from .columns import propose_mapping
from .data import read_customers
from .fit import Lifetimes, fit_sbg
from .pipeline import analyse_portfolio
from .reading import read_upload_bounded
from .settings import PortfolioSettings

CDNOW_ESTIMATES = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 15.44}
LOG_AS_OF = "1997-09-30"


def synthetic_table(n: int, seed: int = 1, months: int = 60) -> bytes:
    """CSV bytes of ``n`` customers with churn from Beta(0.8, 20) per month, joined over ``months`` months."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(0.8, 20.0, n)
    life = np.minimum(rng.geometric(theta), months + 1)
    joined = rng.integers(0, months, n)
    observed = months - joined
    left = life <= observed
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(joined * 30, unit="D")
    end = start + pd.to_timedelta(life * 30, unit="D")
    revenue = np.round(rng.lognormal(6, 1, n), 2)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(n)],
            "segment": rng.choice(["North", "South", "East", "West"], n),
            "revenue": revenue,
            "potential": np.round(revenue * (1 + rng.lognormal(-0.5, 0.7, n)), 2),
            "gross_margin": np.round(rng.uniform(0.4, 0.8, n), 2),
            "start": start.strftime("%Y-%m-%d"),
            "end": np.where(left, end.strftime("%Y-%m-%d"), ""),
            "status": np.where(left, "lapsed", "active"),
        }
    )
    return frame.to_csv(index=False).encode()


def time_once(data: bytes) -> dict[str, float]:
    times = {}
    t0 = time.perf_counter()
    raw = read_upload_bounded(data, "bench.csv")
    customers = read_customers(raw, propose_mapping(raw.columns, "customers"))
    t1 = time.perf_counter()
    analysis = analyse(customers)
    t2 = time.perf_counter()
    build_scenario(analysis)
    t3 = time.perf_counter()
    rows = customers.customers
    lifetimes = Lifetimes.from_tenures(rows["tenure"].to_numpy(), rows["status"].to_numpy() == "lapsed")
    t4 = time.perf_counter()
    fit_sbg(lifetimes)
    t5 = time.perf_counter()
    times["read and parse"] = t1 - t0
    times["classify, fit 5 models with intervals, risk, plans"] = t2 - t1
    times["build the scenario"] = t3 - t2
    times["one fit with intervals (all customers)"] = t5 - t4
    times["total: file to scenario"] = t3 - t0
    return times


def synthetic_log(n: int, seed: int = 1) -> bytes:
    """CSV bytes (``customer_id, date, amount``) of ``n`` customers' purchases over 78 weeks from 1997-01-01."""
    log = round_to_days(simulate_purchases(n, **CDNOW_ESTIMATES, rng=seed))
    return log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(index=False).encode()


def time_log_once(data: bytes) -> dict[str, float]:
    times = {}
    settings = PortfolioSettings(period="week", as_of=LOG_AS_OF)
    t0 = time.perf_counter()
    result = analyse_portfolio(data, settings, name="bench.csv")
    t1 = time.perf_counter()
    purchases = result.data.purchases
    t2 = time.perf_counter()
    summary = rfm(purchases, LOG_AS_OF, 7.0)
    fit = fit_bgnbd(summary)
    t3 = time.perf_counter()
    value_customers(fit, summary, PLANNING_YEARS * 52)
    t4 = time.perf_counter()
    check = holdout(fit, summary, purchases)
    t5 = time.perf_counter()
    assert result.analysis.holdout is not None and len(check) == 39, "the log runs 39 weeks past the as-of date"
    times["total: file to classes and holdout"] = t1 - t0
    times["of which: BG/NBD and Gamma-Gamma fits with intervals"] = t3 - t2
    times["of which: expected value of every customer"] = t4 - t3
    times["of which: holdout, 39 weeks"] = t5 - t4
    return times


def _report(runs: list[dict[str, float]], repeat: int) -> None:
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"  {key:<55} {statistics.median(values):7.3f} s  (min {min(values):.3f}, max {max(values):.3f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.portfolio.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, action="append", help="table sizes (default 10,000 and 100,000)")
    parser.add_argument("--log-customers", type=int, action="append", help="transaction log sizes (default 23,570)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("table", "log"), help="time only the customer table or the log")
    args = parser.parse_args(argv)
    if args.only != "log":
        time_once(synthetic_table(2000))  # first calls import and warm up SciPy and pandas
        for n in args.customers or [10_000, 100_000]:
            data = synthetic_table(n)
            runs = [time_once(data) for _ in range(args.repeat)]
            print(f"{n:,} customers ({len(data) / 1e6:.1f} MB CSV), median of {args.repeat}:")
            _report(runs, args.repeat)
    if args.only != "table":
        time_log_once(synthetic_log(2000))
        for n in args.log_customers or [23_570]:
            data = synthetic_log(n)
            runs = [time_log_once(data) for _ in range(args.repeat)]
            print(f"transaction log of {n:,} customers ({len(data) / 1e6:.1f} MB CSV), median of {args.repeat}:")
            _report(runs, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
