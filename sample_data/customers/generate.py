"""Generate the example customer data with Retention Lab's own discrete-event engine.

    python sample_data/customers/generate.py [--out FOLDER]

Writes, next to this script:

* ``b2b_accounts.csv``: a B2B customer table (accounts and prospects, some lapsed);
* ``shop_transactions.csv``: a consumer shop's transaction log;
* ``cohorts_fh_format.csv``: a cohort table laid out like Fader and Hardie's (2007) published data.

Every number below is a stated parameter, not data from a real company; the customers' lives
(who joins when, who leaves when, who expands) come from one seeded run of the discrete-event
engine, so the churn a fit should recover is known. Amounts, potentials and margins are drawn
from the distributions stated here with the same seed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from simulation import scenario_from_dict, simulate  # noqa: E402

SEED = 20260101
START = pd.Timestamp("2020-01-01")

# B2B: three segments acquired over six years of months; no retention or win-back spend, so each
# segment's churn is its natural sBG churn (mean churn, heterogeneity phi).
B2B_MONTHS = 72
B2B_SEGMENTS = {
    # name: revenue per month, gross margin, churn per month, phi, share of new accounts, upsell per month
    "Enterprise": dict(revenue=4000.0, margin=0.55, churn=0.012, phi=0.25, share=0.15, upsell=0.010),
    "Mid-market": dict(revenue=900.0, margin=0.62, churn=0.022, phi=0.30, share=0.35, upsell=0.008),
    "Small business": dict(revenue=180.0, margin=0.70, churn=0.040, phi=0.35, share=0.50, upsell=0.005),
}
B2B_NEW_PER_MONTH = 45
B2B_PROSPECTS = 600
# potential = revenue x (1 + LogNormal(log 0.6, 0.7)); a prospect's potential follows its segment's
# revenue the same way; margins vary by +-0.05 around the segment's.
POTENTIAL_MEDIAN_UPLIFT, POTENTIAL_SIGMA, MARGIN_SPREAD = 0.6, 0.7, 0.05

# Consumer shop: two segments over three years of months. Active customers buy Poisson(rate)
# times a month (at least once in their first month: the purchase that made them customers);
# each purchase's amount is LogNormal with the stated median and sigma 0.5.
SHOP_MONTHS = 36
SHOP_SEGMENTS = {
    "Occasional": dict(churn=0.09, phi=0.30, share=0.6, rate=0.5, median_amount=32.0),
    "Regular": dict(churn=0.035, phi=0.25, share=0.4, rate=1.4, median_amount=48.0),
}
SHOP_NEW_PER_MONTH = 110
AMOUNT_SIGMA = 0.5

# Cohorts: 1,000 customers each, yearly renewals for 7 years, with Fader and Hardie's (2007)
# estimates for their "Regular" (a = 0.704, b = 1.182) and "High End" (a = 0.668, b = 3.806) cohorts.
COHORT_YEARS = 7
COHORTS = {"Regular": (0.704, 1.182), "High End": (0.668, 3.806)}
COHORT_SIZE = 1000


def _events(scenario: dict, seed: int) -> pd.DataFrame:
    result = simulate(scenario_from_dict(scenario), runs=1, seed=seed, engine="discrete_event", record_events=True)
    return result.output.extras["events"]


def _lives(events: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One row per customer: segment, period acquired, period churned (0 if still active), last revenue."""
    g = events.sort_values(["customer_id", "period"]).groupby("customer_id")
    acquired = events[events["event"] == "acquired"].set_index("customer_id")
    churned = events[events["event"] == "churned"].groupby("customer_id")["period"].max()
    lives = pd.DataFrame(
        {
            "segment": acquired["segment"].astype(str),
            "acquired": acquired["period"],
            "churned": churned.reindex(acquired.index).fillna(0).astype(int),
            "revenue": g["revenue"].last().reindex(acquired.index),
        }
    )
    return lives.sort_values(["acquired"]).reset_index()


def b2b_accounts(rng: np.random.Generator) -> pd.DataFrame:
    segs = list(B2B_SEGMENTS.items())
    scenario = {
        "name": "Example B2B accounts",
        "horizon": B2B_MONTHS,
        "budget": {"acquisition": 5 * B2B_NEW_PER_MONTH * 1000.0},
        "acquisition": {"cost_per_customer": 1000.0, "max_new_per_period": float(B2B_NEW_PER_MONTH)},
        "segments": [
            {
                "name": n,
                "customers": 0,
                "revenue_per_customer": p["revenue"],
                "gross_margin": p["margin"],
                "churn": p["churn"],
                "churn_heterogeneity": p["phi"],
                "upsell_rate": p["upsell"],
                "upsell_uplift": 0.2,
                "new_customer_share": p["share"],
            }
            for n, p in segs
        ],
    }
    lives = _lives(_events(scenario, SEED), B2B_MONTHS)
    n = len(lives)
    day = rng.integers(0, 27, size=n)
    start = [
        START + pd.DateOffset(months=int(a) - 1) + pd.Timedelta(days=int(d))
        for a, d in zip(lives["acquired"], day, strict=True)
    ]
    end = [
        (s + pd.DateOffset(months=int(c - a + 1))) if c else pd.NaT
        for s, a, c in zip(start, lives["acquired"], lives["churned"], strict=True)
    ]
    margin = lives["segment"].map({k: v["margin"] for k, v in segs}).to_numpy()
    margin = np.round(margin + rng.uniform(-MARGIN_SPREAD, MARGIN_SPREAD, n), 2)
    potential = lives["revenue"].to_numpy() * (1 + rng.lognormal(np.log(POTENTIAL_MEDIAN_UPLIFT), POTENTIAL_SIGMA, n))
    accounts = pd.DataFrame(
        {
            "Account ID": [f"ACC-{i + 1:05d}" for i in range(n)],
            "Segment": lives["segment"],
            "Monthly revenue (USD)": np.round(lives["revenue"].to_numpy(), 2),
            "Potential (USD/month)": np.round(potential, -1),
            "Gross margin": margin,
            "Customer since": [s.date().isoformat() for s in start],
            "Churn date": ["" if pd.isna(e) else e.date().isoformat() for e in end],
            "Status": np.where(lives["churned"] > 0, "lapsed", "active"),
        }
    )
    names = [n for n, _ in segs]
    shares = np.array([p["share"] for _, p in segs])
    pseg = rng.choice(len(segs), size=B2B_PROSPECTS, p=shares)
    base = np.array([p["revenue"] for _, p in segs])[pseg]
    prospects = pd.DataFrame(
        {
            "Account ID": [f"PRO-{i + 1:04d}" for i in range(B2B_PROSPECTS)],
            "Segment": np.array(names)[pseg],
            "Monthly revenue (USD)": "",
            "Potential (USD/month)": np.round(
                base * (1 + rng.lognormal(np.log(POTENTIAL_MEDIAN_UPLIFT), POTENTIAL_SIGMA, B2B_PROSPECTS)), -1
            ),
            "Gross margin": "",
            "Customer since": "",
            "Churn date": "",
            "Status": "prospect",
        }
    )
    return pd.concat([accounts, prospects], ignore_index=True)


def shop_transactions(rng: np.random.Generator) -> pd.DataFrame:
    segs = list(SHOP_SEGMENTS.items())
    scenario = {
        "name": "Example shop",
        "horizon": SHOP_MONTHS,
        "budget": {"acquisition": 5 * SHOP_NEW_PER_MONTH * 50.0},
        "acquisition": {"cost_per_customer": 50.0, "max_new_per_period": float(SHOP_NEW_PER_MONTH)},
        "segments": [
            {
                "name": n,
                "customers": 0,
                "revenue_per_customer": p["rate"] * p["median_amount"],
                "churn": p["churn"],
                "churn_heterogeneity": p["phi"],
                "new_customer_share": p["share"],
            }
            for n, p in segs
        ],
    }
    lives = _lives(_events(scenario, SEED + 1), SHOP_MONTHS)
    params = dict(segs)
    rows = []
    for i, life in enumerate(lives.itertuples()):
        p = params[life.segment]
        last = life.churned if life.churned else SHOP_MONTHS
        for period in range(int(life.acquired), int(last) + 1):
            k = rng.poisson(p["rate"])
            if period == life.acquired:
                k = max(k, 1)
            if not k:
                continue
            month = START + pd.DateOffset(months=period - 1)
            days = rng.integers(0, month.days_in_month, size=k)
            amounts = rng.lognormal(np.log(p["median_amount"]), AMOUNT_SIGMA, size=k)
            for d, a in zip(sorted(days), amounts, strict=True):
                rows.append(
                    (f"C{i + 1:06d}", (month + pd.Timedelta(days=int(d))).date().isoformat(), round(float(a), 2))
                )
    log = pd.DataFrame(rows, columns=["Customer", "Order date", "Amount (EUR)"])
    log = log.sort_values(["Order date", "Customer"], kind="stable").reset_index(drop=True)
    log.insert(0, "Order ID", [f"O{i + 1:07d}" for i in range(len(log))])
    return log


def cohorts() -> pd.DataFrame:
    names = list(COHORTS)
    scenario = {
        "name": "Example cohorts",
        "period": "year",
        "horizon": COHORT_YEARS,
        "segments": [
            {
                "name": n,
                "customers": COHORT_SIZE,
                "revenue_per_customer": 100.0,
                "churn": a / (a + b),
                "churn_heterogeneity": 1 / (a + b + 1),
            }
            for n, (a, b) in COHORTS.items()
        ],
    }
    result = simulate(scenario_from_dict(scenario), runs=1, seed=SEED + 2, engine="discrete_event")
    active = result.output.active_by_segment[0]  # periods x segments
    table = pd.DataFrame({"Cohort": names})
    for t in range(COHORT_YEARS + 1):
        table[f"Year {t}"] = active[t].astype(int)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the example customer data (seeded).")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write to (default: next to this script)")
    out = parser.parse_args(argv).out
    b2b_rng, shop_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(2))
    outputs = {
        "b2b_accounts.csv": b2b_accounts(b2b_rng),
        "shop_transactions.csv": shop_transactions(shop_rng),
        "cohorts_fh_format.csv": cohorts(),
    }
    for name, frame in outputs.items():
        path = out / name
        frame.to_csv(path, index=False, lineterminator="\n")
        print(f"{name}: {len(frame):,} rows, {path.stat().st_size / 1024:,.0f} kB")


if __name__ == "__main__":
    main()
