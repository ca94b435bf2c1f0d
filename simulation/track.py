"""A plan against its actuals: where each period's actual landed in the forecast, and how good the forecast was.

For each period and metric the forecast is the plan's simulated futures; the actual's percentile
in them is the probability integral transform, taken at the mid-point of any tie (counts tie
with simulated values): ``share below + half the share equal``. A forecast whose futures are
right puts actuals uniformly between 0 and 1, inside its 50 % band half the time and inside its
90 % band nine times in ten.

The forecast's quality is its continuous ranked probability score (CRPS) per metric, the mean
over periods of ``E|X - y| - E|X - X'| / 2`` over the simulated futures X (lower is better, in
the metric's unit), computed with ``scoringrules``. The yardstick is the naive forecast "the
same as last period" (the previous actual, or the plan's start for a stock in period 1), whose
CRPS is its absolute error; both are averaged over the same periods.

References
----------
Gneiting, T. and Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
    estimation. Journal of the American Statistical Association 102(477), 359-378.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engines.results import SimulationResult
from .errors import InputError

# What actuals may hold, named as in `run --format json`'s paths; stocks are read at the period's end.
METRICS = ("active_customers", "new_customers", "churned_customers", "revenue", "spend")
STOCKS = ("active_customers",)
MAX_BYTES = 1_000_000
MAX_ROWS = 10_000
PERCENTILE_METHOD = "mid-point"


@dataclass(frozen=True)
class Tracking:
    """Every actual against its forecast (``rows``), and the forecast's summary scores.

    ``rows``: ``period, metric, actual, p5, p25, p50, p75, p95, percentile``. ``coverage_50`` and
    ``coverage_90``: the share of actuals inside the 50 % and 90 % bands. ``crps`` and
    ``crps_naive``: per metric, the forecast's and the naive forecast's mean CRPS over the
    periods both cover.
    """

    rows: pd.DataFrame
    coverage_50: float
    coverage_90: float
    crps: dict[str, float]
    crps_naive: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "percentile_method": PERCENTILE_METHOD,
            "coverage_50": self.coverage_50,
            "coverage_90": self.coverage_90,
            "crps": self.crps,
            "crps_naive": self.crps_naive,
            "rows": self.rows.to_dict(orient="records"),
        }


def read_actuals(data: bytes, horizon: int) -> pd.DataFrame:
    """Actuals from CSV bytes: a ``period`` column (1 = the plan's first period) and one column per metric.

    Empty cells are periods not reported. Raises :class:`InputError` naming the row and column of
    anything that cannot be used: an unknown column, a period outside 1..horizon or repeated, a
    value that is not a number or is negative.
    """
    if len(data) > MAX_BYTES:
        raise InputError(f"actuals: the file is {len(data):,} bytes; at most {MAX_BYTES:,} are read")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("actuals: the file is not UTF-8 text") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, nrows=MAX_ROWS + 1)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"actuals: not a CSV table ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) > MAX_ROWS:
        raise InputError(f"actuals: at most {MAX_ROWS:,} rows")
    if "period" not in frame.columns:
        raise InputError("actuals: a 'period' column is needed (1 = the plan's first period)")
    unknown = [c for c in frame.columns if c != "period" and c not in METRICS]
    if unknown:
        raise InputError(f"actuals: unknown column {unknown[0]!r}; allowed: period, {', '.join(METRICS)}")
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = []
        for i, cell in enumerate(frame[column], start=2):  # line 1 is the header
            cell = cell.strip().replace(",", "")
            if cell == "":
                values.append(math.nan)
                continue
            try:
                x = float(cell)
            except ValueError:
                raise InputError(f"actuals, line {i}, column {column!r}: {cell!r} is not a number") from None
            if not math.isfinite(x) or x < 0:
                raise InputError(f"actuals, line {i}, column {column!r}: must be a number 0 or more; got {cell!r}")
            if column == "period" and (x != int(x) or not 1 <= x <= horizon):
                raise InputError(f"actuals, line {i}, column 'period': must be a whole period from 1 to {horizon}")
            values.append(x)
        out[column] = values
    if out["period"].isna().any():
        line = int(np.flatnonzero(out["period"].isna().to_numpy())[0]) + 2
        raise InputError(f"actuals, line {line}, column 'period': is empty")
    repeated = out["period"].duplicated()
    if repeated.any():
        line = int(np.flatnonzero(repeated.to_numpy())[0]) + 2
        raise InputError(f"actuals, line {line}, column 'period': period {int(out['period'][line - 2])} repeats")
    out["period"] = out["period"].astype(int)
    return out.sort_values("period").reset_index(drop=True)


def read_actuals_file(data: bytes, name: str, horizon: int) -> pd.DataFrame:
    """Actuals from a CSV or an Excel workbook (``.xlsx``, its first sheet with data), as :func:`read_actuals`.

    A workbook is read by the same bounded reader as every upload (sizes, cells and time checked
    before any cell is parsed); its cells then go through :func:`read_actuals` like a CSV's.
    """
    if not name.lower().endswith(".xlsx"):
        return read_actuals(data, horizon)
    from .io.cells import to_csv
    from .portfolio.reading import read_upload_bounded

    raw = read_upload_bounded(data, name)
    return read_actuals(to_csv(raw.frame, None).encode("utf-8"), horizon)


def percentile_of(samples: np.ndarray, actual: float) -> float:
    """The actual's percentile among the simulated values, at the mid-point of ties (0 to 1)."""
    below = float(np.mean(samples < actual))
    equal = float(np.mean(samples == actual))
    return below + equal / 2


def track(plan: SimulationResult, actuals: pd.DataFrame) -> Tracking:
    """Every actual in ``actuals`` (see :func:`read_actuals`) against the plan's simulated futures."""
    # imported here: scoringrules compiles its functions on import, about 3 s that no other command needs
    from scoringrules import crps_ensemble

    rows = []
    crps, naive = {}, {}
    for metric in [m for m in METRICS if m in actuals.columns]:
        reported = actuals[["period", metric]].dropna()
        if reported.empty:
            continue
        paths = np.asarray(plan.paths[metric], dtype=float)
        scores, naive_scores = [], []
        previous = {int(p): float(v) for p, v in zip(reported["period"], reported[metric], strict=True)}
        if metric in STOCKS:
            previous[0] = float(np.median(paths[:, 0]))  # the start is known: every future begins there
        for period, actual in zip(reported["period"], reported[metric], strict=True):
            samples = paths[:, int(period)]
            q = np.percentile(samples, (5, 25, 50, 75, 95))
            rows.append(
                {"period": int(period), "metric": metric, "actual": float(actual),
                 "p5": q[0], "p25": q[1], "p50": q[2], "p75": q[3], "p95": q[4],
                 "percentile": percentile_of(samples, float(actual))}
            )  # fmt: skip
            if int(period) - 1 in previous:
                scores.append(float(crps_ensemble(float(actual), samples)))
                naive_scores.append(abs(float(actual) - previous[int(period) - 1]))
        if scores:
            crps[metric], naive[metric] = float(np.mean(scores)), float(np.mean(naive_scores))
    if not rows:
        raise InputError("actuals: no period reports any metric")
    frame = pd.DataFrame(rows)
    inside_50 = (frame["actual"] >= frame["p25"]) & (frame["actual"] <= frame["p75"])
    inside_90 = (frame["actual"] >= frame["p5"]) & (frame["actual"] <= frame["p95"])
    return Tracking(frame, float(inside_50.mean()), float(inside_90.mean()), crps, naive)


# Refitting churn and forecasting the rest -------------------------------------------------------------
REFIT_GRID = np.linspace(-3.0, 3.0, 1201)  # log of the churn multiplier
MIN_PRIOR_SD = 0.25  # a plan stated without a range of churn still does not know it to better than about a quarter


@dataclass(frozen=True)
class Refit:
    """Churn refitted from the actuals: a multiplier on the plan's churn, its 90 % interval, and what it rests on.

    The likelihood treats each period's churned customers as Binomial(customers at the start of
    the period, the plan's hazard that period times the multiplier); the prior is the plan's own
    range of churn, as a normal on the multiplier's log with the spread of the plan's draws.
    ``periods`` is how many periods of actuals it used.
    """

    multiplier: float
    low: float
    high: float
    prior_sd: float
    periods: int

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def refit_churn(plan: SimulationResult, actuals: pd.DataFrame) -> Refit:
    """The churn multiplier the actuals support, combined with the plan's prior range (see :class:`Refit`)."""
    needed = {"active_customers", "churned_customers"}
    if not needed <= set(actuals.columns):
        raise InputError("actuals: refitting churn needs the columns active_customers and churned_customers")
    paths = plan.paths
    hazard = paths["churned_customers"].mean(0)[1:] / np.maximum(paths["active_customers"].mean(0)[:-1], 1e-12)
    active = {0: float(np.median(paths["active_customers"][:, 0]))}
    active |= {int(p): float(v) for p, v in zip(actuals["period"], actuals["active_customers"], strict=True)}
    log_like = np.zeros_like(REFIT_GRID)
    used = 0
    for period, churned in zip(actuals["period"], actuals["churned_customers"], strict=True):
        start = active.get(int(period) - 1)
        if start is None or not np.isfinite(churned) or not np.isfinite(start) or start <= 0:
            continue
        p = np.clip(np.exp(REFIT_GRID) * hazard[int(period) - 1], 1e-12, 1 - 1e-12)
        log_like += churned * np.log(p) + (start - churned) * np.log1p(-p)
        used += 1
    if not used:
        raise InputError("actuals: no period has both the customers at its start and the customers who left")
    drawn = np.asarray(plan.assumptions.churn, dtype=float) @ np.asarray(plan.assumptions.share, dtype=float)
    spread = float(np.std(np.log(drawn[drawn > 0] / np.median(drawn[drawn > 0])))) if np.any(drawn > 0) else 0.0
    prior_sd = max(spread, MIN_PRIOR_SD)
    log_post = log_like - 0.5 * (REFIT_GRID / prior_sd) ** 2
    weights = np.exp(log_post - log_post.max())
    cdf = np.cumsum(weights) / weights.sum()
    low, high = (float(np.exp(np.interp(q, cdf, REFIT_GRID))) for q in (0.05, 0.95))
    return Refit(float(np.exp(REFIT_GRID[np.argmax(log_post)])), low, high, prior_sd, used)


def reforecast_scenario(plan: SimulationResult, actuals: pd.DataFrame, refit: Refit):
    """The plan from where it stands: the rest of the horizon, from the last reported customers, with refitted churn.

    Every segment's churn becomes a triangular range over the refit's interval around the refit's
    multiplier (times the segment's central churn); its customers are the last reported count, shared
    out as the plan expected them to be; they have stayed the periods since the start longer.
    """
    from .model.distributions import central
    from .model.scenario import Segment, bounds_of

    s = plan.scenario
    last = int(actuals.dropna(subset=["active_customers"])["period"].max())
    if last >= s.horizon:
        raise InputError("actuals: they reach the end of the plan's horizon; nothing is left to forecast")
    reported = float(actuals.set_index("period").loc[last, "active_customers"])
    expected = np.median(plan.active_by_segment[:, last, :], axis=0)
    shares = expected / expected.sum() if expected.sum() > 0 else np.full(len(s.segments), 1 / len(s.segments))
    top = bounds_of(Segment, "churn").hi * 0.999
    segments = []
    for seg, share in zip(s.segments, shares, strict=True):
        c = central(seg.churn)
        low, mode, high = (min(c * m, top) for m in (refit.low, refit.multiplier, refit.high))
        data = seg.model_dump(exclude_none=True)
        data |= {"customers": round(reported * share), "tenure": seg.tenure + last}
        data["churn"] = {"low": low, "mode": mode, "high": max(high, mode)} if high > low else mode
        segments.append(data)
    return s.replace(horizon=s.horizon - last, segments=segments), last


def reforecast(plan: SimulationResult, actuals: pd.DataFrame, refit: Refit) -> pd.DataFrame:
    """The rest of the horizon re-run from where the plan stands (see :func:`reforecast_scenario`), on its seed.

    Long table ``period, metric, p5, p50, p95`` for active customers and revenue, periods numbered as in
    the plan (the first re-forecast period follows the last actual).
    """
    from .engines.runner import simulate

    moved, last = reforecast_scenario(plan, actuals, refit)
    result = simulate(moved, runs=plan.runs, seed=plan.seed)
    rows = []
    for metric in ("active_customers", "revenue"):
        q = np.percentile(np.asarray(result.paths[metric], dtype=float), (5, 50, 95), axis=0)
        for t in range(1, moved.horizon + 1):
            rows.append({"period": last + t, "metric": metric, "p5": q[0, t], "p50": q[1, t], "p95": q[2, t]})
    return pd.DataFrame(rows)


def quarter_rows(plan: SimulationResult, actuals: pd.DataFrame) -> pd.DataFrame:
    """Each fully reported quarter against the forecast: flows summed over its periods, stocks at its end.

    Long table ``quarter, first, last, metric, actual, p5, p50, p95, percentile``; a quarter's forecast is
    the quarter's total (or end value) in each simulated future, so its range is the range of totals.
    A plan in years reviews each year as its own quarter.
    """
    step = max(plan.scenario.periods_per_year // 4, 1)
    reported = actuals.set_index("period")
    rows = []
    for quarter, first in enumerate(range(1, plan.scenario.horizon + 1, step), start=1):
        last = first + step - 1
        periods = list(range(first, last + 1))
        for metric in [m for m in METRICS if m in reported.columns]:
            values = reported[metric].reindex(periods)
            if values.isna().any():
                continue
            paths = np.asarray(plan.paths[metric], dtype=float)
            if metric in STOCKS:
                samples, actual = paths[:, last], float(values.iloc[-1])
            else:
                samples, actual = paths[:, first : last + 1].sum(axis=1), float(values.sum())
            q = np.percentile(samples, (5, 50, 95))
            rows.append(
                {"quarter": quarter, "first": first, "last": last, "metric": metric, "actual": actual,
                 "p5": q[0], "p50": q[1], "p95": q[2], "percentile": percentile_of(samples, actual)}
            )  # fmt: skip
    columns = ["quarter", "first", "last", "metric", "actual", "p5", "p50", "p95", "percentile"]
    return pd.DataFrame(rows, columns=columns)
