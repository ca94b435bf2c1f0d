"""From customer data to a classified portfolio, fitted churn, contact plans and a scenario."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import Scenario, scenario_from_dict
from ..errors import InputError
from .btyd import CustomerValue, fit_bgnbd, holdout, rfm, value_customers
from .classify import (
    CLASSES,
    RISK_BANDS,
    Thresholds,
    classify,
    concentration,
    default_risk_cuts,
    default_thresholds,
    estimate_potential,
    nine_box,
    risk_bands,
    summarise_classes,
)
from .data import PERIOD_DAYS, PERIODS_PER_YEAR, CohortData, CustomerData, started_in_last_year
from .fit import INTERVAL_LEVEL, Lifetimes, SBGFit, TooLittleDataError, fit_sbg
from .plans import (
    DEFAULT_PLANS,
    ContactPlan,
    budget_by_strategy,
    budget_table,
    class_budget_shares,
    key_account_plans,
    lever_budgets,
)

ALL = "All customers"
HORIZON_YEARS = 5
PLANNING_YEARS = 1  # a transaction log's customers are valued by what they are expected to bring in a year
RISK_SOURCE_BGNBD = "BG/NBD: chance already lapsed, 1 - P(alive)"
MAX_PHI = 0.95


@dataclass
class Analysis:
    """Everything the Portfolio page and the ``portfolio`` command show about one data set."""

    data: CustomerData
    thresholds: Thresholds
    cell_class: dict
    plans: dict[str, ContactPlan]
    risk_cuts: tuple[float, float]
    default_margin: float
    customers: pd.DataFrame
    fits: dict[str, SBGFit]
    fit_messages: dict[str, str]
    nine_box: pd.DataFrame
    classes: pd.DataFrame
    budgets: pd.DataFrame
    strategies: pd.DataFrame
    levers: dict[str, float]
    budget_shares: pd.DataFrame
    concentration: dict[str, float]
    key_accounts: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    purchase_model: CustomerValue | None = None
    holdout: pd.DataFrame | None = None
    purchase_message: str = ""

    @property
    def period(self) -> str:
        return self.data.period

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.data.period]

    def lapsed_worth_winning_back(self) -> pd.DataFrame:
        """Lapsed customers whose past contribution reaches the win-back threshold, most valuable first."""
        lapsed = self.customers[(self.customers["status"] == "lapsed") & (self.customers["strategy"] == "win back")]
        cols = ["customer_id", "class", "revenue", "contribution", "tenure", "end"]
        return lapsed.sort_values("contribution", ascending=False)[cols].reset_index(drop=True)

    def status_counts(self) -> dict[str, int]:
        """How many rows are active customers, lapsed customers and prospects."""
        status = self.customers["status"]
        return {s: int((status == s).sum()) for s in ("active", "lapsed", "prospect")}

    def active_revenue(self) -> float:
        """Revenue per period of the active customers."""
        c = self.customers
        return float(c.loc[c["status"] == "active", "revenue"].sum())

    def risk_band_counts(self) -> dict[str, int]:
        """Active customers per churn-risk band (low, medium, high)."""
        c = self.customers
        bands = c.loc[c["status"] == "active", "risk_band"].value_counts()
        return {band: int(bands.get(band, 0)) for band in RISK_BANDS}

    def fit_for(self, cls: str) -> SBGFit | None:
        return self.fits.get(cls) or self.fits.get(ALL)

    def export_frame(self) -> pd.DataFrame:
        """The classified customer list for download: one row per customer or prospect."""
        cols = [
            "customer_id",
            "status",
            "segment",
            "revenue",
            "contribution",
            "potential",
            "potential_estimated",
            "cell",
            "class",
            "strategy",
            "risk",
            "risk_band",
            "risk_source",
            "tenure",
        ]
        if self.purchase_model is not None:
            cols += ["p_alive", "expected_purchases", "expected_spend", "expected_value"]
        return self.customers[cols].rename(columns={"cell": "nine_box_cell"})


def fit_groups(frame: pd.DataFrame, column: str, names=None) -> tuple[dict[str, SBGFit], dict[str, str]]:
    """One sBG fit per value of ``column`` among customers who are or were customers (not prospects)."""
    rows = frame[frame["status"] != "prospect"]
    fits, messages = {}, {}
    for name in names if names is not None else sorted(rows[column].unique()):
        part = rows[rows[column] == name]
        try:
            data = Lifetimes.from_tenures(part["tenure"].to_numpy(), part["status"].to_numpy() == "lapsed")
            fits[str(name)] = fit_sbg(data, str(name))
        except TooLittleDataError as exc:
            messages[str(name)] = str(exc)
    return fits, messages


def fit_all(frame: pd.DataFrame) -> tuple[dict[str, SBGFit], dict[str, str]]:
    rows = frame[frame["status"] != "prospect"]
    try:
        data = Lifetimes.from_tenures(rows["tenure"].to_numpy(), rows["status"].to_numpy() == "lapsed")
        return {ALL: fit_sbg(data, ALL)}, {}
    except TooLittleDataError as exc:
        return {}, {ALL: str(exc)}


def purchase_model(data: CustomerData) -> tuple[CustomerValue | None, pd.DataFrame | None, str]:
    """A transaction log's BG/NBD and Gamma-Gamma fits, each customer's expected value and the holdout check.

    Fitted on the purchases up to the as-of date, with time in the log's periods. Returns the
    customers' value over :data:`PLANNING_YEARS`, predicted against actual repeat purchases per
    period after the as-of date (None when the log has none), and why there is no fit, if not.
    """
    if data.purchases is None or data.as_of is None:
        return None, None, "no purchases to fit a purchase model to"
    summary = rfm(data.purchases, data.as_of, PERIOD_DAYS[data.period])
    try:
        fit = fit_bgnbd(summary, ALL, data.period)
    except TooLittleDataError as exc:
        return None, None, str(exc)
    value = value_customers(fit, summary, PLANNING_YEARS * PERIODS_PER_YEAR[data.period])
    check = holdout(fit, summary, data.purchases, data.period)
    return value, (check if len(check) else None), ""


def _valued(data: CustomerData, value: CustomerValue) -> CustomerData:
    """Active customers' revenue, purchases and spend per period as the purchase model expects them.

    Revenue per period is the expected revenue over the planning horizon divided by its periods,
    so nine-box thresholds stay in money per period. Lapsed customers keep what they paid before
    they left, the value a win-back is judged by.
    """
    frame = data.customers.copy()
    v = value.frame.reindex(frame["customer_id"].astype(str))
    active = (frame["status"] == "active").to_numpy()
    horizon = value.horizon_periods
    for column, values in (
        ("revenue", v["expected_revenue"].to_numpy() / horizon),
        ("purchases_per_period", v["expected_purchases"].to_numpy() / horizon),
        ("spend_per_purchase", v["expected_spend"].to_numpy()),
    ):
        frame[column] = np.where(active, values, frame[column].to_numpy(dtype=float))
    frame["p_alive"] = v["p_alive"].to_numpy()
    frame["expected_purchases"] = v["expected_purchases"].to_numpy()
    frame["expected_spend"] = v["expected_spend"].to_numpy()
    return dataclasses.replace(data, customers=frame)


def prepare(data: CustomerData, default_margin: float = 1.0) -> tuple[pd.DataFrame, list[str]]:
    """Contribution and potential for every row: revenue x margin (the file's, else ``default_margin``)."""
    if not 0 < default_margin <= 1:
        raise InputError(f"gross margin must be above 0 and at most 1; got {default_margin:g}")
    frame = data.customers.copy()
    notes = []
    margin = frame["gross_margin"].to_numpy(dtype=float)
    missing = ~np.isfinite(margin)
    customers_missing = missing & (frame["status"] != "prospect").to_numpy()
    if customers_missing.sum() == (frame["status"] != "prospect").sum():
        notes.append(
            "Contribution is revenue alone: the file has no gross margin."
            if default_margin == 1
            else f"Contribution is revenue x {default_margin:.0%} (the gross margin you set; the file has none)."
        )
    elif customers_missing.any():
        notes.append(
            f"{int(customers_missing.sum()):,} customers have no gross margin; {default_margin:.0%} is used for them."
        )
    frame["margin_used"] = np.where(missing, default_margin, margin)
    frame["contribution"] = frame["revenue"] * frame["margin_used"]
    potential, estimated, text = estimate_potential(frame)
    frame["potential"] = potential
    frame["potential_estimated"] = estimated
    if estimated.any():
        notes.append(text)
    if "expected_purchases" in frame:
        frame["expected_value"] = frame["expected_purchases"] * frame["expected_spend"] * frame["margin_used"]
    return frame, notes


def analyse(
    data: CustomerData,
    *,
    thresholds: Thresholds | None = None,
    cell_class: dict | None = None,
    plans: dict[str, ContactPlan] | None = None,
    risk_cuts: tuple[float, float] | None = None,
    default_margin: float = 1.0,
) -> Analysis:
    """Classify, fit churn per class, score risk and cost the contact plans of one data set.

    Parameters
    ----------
    data : CustomerData
        From :func:`~simulation.portfolio.data.read_customers` or ``read_transactions``.
    thresholds : Thresholds, optional
        Nine-box cuts and the win-back threshold; default :func:`default_thresholds`.
    cell_class : dict, optional
        ``{(contribution level, potential level): class}`` overriding the default mapping.
    plans : dict, optional
        Contact plans by class / ``win back`` / ``acquire`` overriding the defaults.
    risk_cuts : (float, float), optional
        Churn probabilities between the low / medium / high risk bands.
    default_margin : float
        Gross margin for rows without one (1 = contribution is revenue).
    """
    value, check, purchase_message = None, None, ""
    if data.kind == "transactions":
        value, check, purchase_message = purchase_model(data)
    frame, notes = prepare(_valued(data, value) if value is not None else data, default_margin)
    if value is not None:
        notes.append(
            f"Value is what the purchase model (BG/NBD, spend from {value.spend_source}) expects each active "
            f"customer to bring over the next {PLANNING_YEARS} year ({value.horizon_periods:g} {data.period}s), "
            f"per {data.period}: expected purchases x expected spend per purchase x margin. Lapsed customers keep "
            "what they paid before they left."
        )
    elif data.kind == "transactions":
        notes.append(f"No purchase model could be fitted ({purchase_message}): value is revenue per {data.period}.")
    thresholds = thresholds or default_thresholds(frame)
    classified = classify(frame, thresholds, cell_class)
    fits, messages = fit_all(classified)
    class_fits, class_messages = fit_groups(classified, "class", CLASSES)
    fits.update(class_fits)
    messages.update(class_messages)

    risk = np.full(len(classified), np.nan)
    source = np.full(len(classified), "", dtype=object)
    active = (classified["status"] == "active").to_numpy()
    for cls in CLASSES:
        fit = class_fits.get(cls) or fits.get(ALL)
        mask = active & (classified["class"] == cls).to_numpy()
        if fit is not None and mask.any():
            risk[mask] = fit.risk(classified.loc[mask, "tenure"].to_numpy())
            source[mask] = "fitted sBG, class " + cls if cls in class_fits else "fitted sBG, all customers"
    if value is not None:
        risk[active] = 1.0 - classified.loc[active, "p_alive"].to_numpy(dtype=float)
        source[active] = RISK_SOURCE_BGNBD
    given = active & np.isfinite(classified["churn_risk"].to_numpy(dtype=float))
    risk[given] = classified.loc[given, "churn_risk"].to_numpy(dtype=float)
    source[given] = "churn_risk column"
    classified["risk"] = risk
    classified["risk_source"] = source
    risk_cuts = tuple(risk_cuts) if risk_cuts is not None else default_risk_cuts(risk[active])
    classified["risk_band"] = risk_bands(risk, risk_cuts)
    if given.any():
        notes.append(
            f"Risk is the file's churn_risk for {int(given.sum()):,} customers; the fitted churn model for the rest."
        )
    elif value is not None:
        notes.append(
            "Risk is the chance that a customer has already lapsed, 1 - P(alive), from the purchase model and "
            "their purchases so far (how many, the last one and how long ago they started)."
        )
    elif np.isfinite(risk).any():
        notes.append(
            "Risk is each customer's churn probability next period from the fitted churn model and their "
            "tenure: a / (a + b + tenure)."
        )
    else:
        notes.append("Risk is unknown: no churn model could be fitted and the file has no churn_risk column.")

    plans = {**DEFAULT_PLANS, **(plans or {})}
    ppy = PERIODS_PER_YEAR[data.period]
    budgets = budget_table(classified, plans, ppy)
    shares = class_budget_shares(classified, budgets)
    classes = summarise_classes(classified)
    for lever in shares.columns:
        classes[f"share_{lever}"] = shares[lever].reindex(classes["class"]).to_numpy()
    active_rows = classified[classified["status"] == "active"]
    return Analysis(
        data=data,
        thresholds=thresholds,
        cell_class=dict(cell_class or {}),
        plans=plans,
        risk_cuts=risk_cuts,
        default_margin=default_margin,
        customers=classified,
        fits=fits,
        fit_messages=messages,
        nine_box=nine_box(classified, cell_class),
        classes=classes,
        budgets=budgets,
        strategies=budget_by_strategy(budgets),
        levers=lever_budgets(budgets),
        budget_shares=shares,
        concentration=concentration(active_rows["revenue"].to_numpy()),
        key_accounts=key_account_plans(classified, plans, thresholds.contribution[1], data.as_of),
        notes=notes,
        purchase_model=value,
        holdout=check,
        purchase_message=purchase_message,
    )


def fit_cohorts(data: CohortData) -> tuple[dict[str, SBGFit], dict[str, str]]:
    """One sBG fit per cohort set of a cohort table (the set's cohorts aggregated)."""
    fits, messages = {}, {}
    for name, members in data.sets.items():
        try:
            fits[name] = fit_sbg(Lifetimes.from_cohorts([data.curves[m] for m in members]), name)
        except TooLittleDataError as exc:
            messages[name] = str(exc)
    return fits, messages


def calibration_frame(fit: SBGFit, periods_ahead: int) -> pd.DataFrame:
    """Long frame ``period, share, series`` of observed survival and the fitted curve with its projection."""
    observed = pd.DataFrame({"period": np.arange(fit.observed.size), "share": fit.observed, "series": "observed"})
    t = np.arange(max(periods_ahead, fit.periods) + 1)
    fitted = pd.DataFrame(
        {"period": t, "share": fit.survival(t), "series": np.where(t <= fit.periods, "fitted", "projected")}
    )
    # the projection starts where the fit ends, so the two lines join
    joint = fitted[fitted["period"] == fit.periods].assign(series="projected")
    return pd.concat([observed, fitted, joint], ignore_index=True)


def still_here(fit: SBGFit, years: float, periods_per_year: int) -> int:
    """Of 100 new customers like these, how many the fit expects still to be customers after ``years``."""
    return round(100 * float(fit.survival(years * periods_per_year)))


# The scenario ------------------------------------------------------------------------------
def _safe_name(text: str) -> str:
    """Letters, digits, spaces and ``._-`` only: a name shown as a page title stays plain text."""
    clean = re.sub(r"[^A-Za-z0-9 ._-]+", " ", text).strip()
    return re.sub(r"\s+", " ", clean)[:80] or "customers"


def _distribution(value: float, interval: tuple[float, float], hi_limit: float) -> float | dict:
    lo, hi = interval
    lo, hi = max(0.0, min(lo, value)), min(hi_limit, max(hi, value))
    if hi - lo <= 1e-12:
        return float(value)
    return {"low": float(lo), "mode": float(min(max(value, lo), hi)), "high": float(hi)}


def _shares(weights: np.ndarray) -> list[float]:
    w = np.asarray(weights, dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(w.size, 1 / w.size)
    r = np.round(w, 6)
    r[int(np.argmax(r))] += round(1.0 - r.sum(), 6)
    return [float(x) for x in r]


def build_scenario(
    analysis: Analysis,
    *,
    source_name: str = "your customers",
    currency: str = "USD",
    horizon_years: int = HORIZON_YEARS,
    runs: int = 1000,
    seed: int = 42,
) -> Scenario:
    """A scenario with one segment per class, churn fitted from the data, and the contact plans' budget.

    Each class with active customers becomes a segment: its customers, mean revenue per period,
    revenue-weighted gross margin, median tenure, and the class's fitted churn and heterogeneity
    (the fit of all customers where the class alone has too little data), each carried as a
    triangular distribution over its profile-likelihood 90 % interval with the estimate as the
    mode. New customers are shared between segments as the customers who joined in the last
    year were; the budget per lever is what the contact plans cost per period, and the expansion
    and win-back budgets go to the classes their plans target (retention is split by value at
    risk, as the model does by default). Acquisition, save,
    upsell and win-back costs are the model's defaults, stated in the description.

    Raises
    ------
    InputError
        When no class has active customers, or churn could not be fitted for any of them.
    """
    c = analysis.customers
    ppy = analysis.periods_per_year
    active = c[c["status"] == "active"]
    segments, weights, used = [], [], []
    for cls in CLASSES:
        rows = active[active["class"] == cls]
        if rows.empty:
            continue
        fit = analysis.fit_for(cls)
        if fit is None:
            reason = analysis.fit_messages.get(cls) or analysis.fit_messages.get(ALL, "")
            raise InputError(f"class {cls}: churn could not be fitted, so the portfolio cannot be simulated. {reason}")
        revenue = rows["revenue"].to_numpy(dtype=float)
        margin = rows["margin_used"].to_numpy(dtype=float)
        gm = float((revenue * margin).sum() / revenue.sum()) if revenue.sum() > 0 else float(margin.mean())
        ci = fit.intervals or {"churn": (fit.churn, fit.churn), "churn_heterogeneity": (fit.churn_heterogeneity,) * 2}
        segments.append(
            {
                "name": cls,
                "customers": len(rows),
                "revenue_per_customer": float(revenue.mean()),
                "gross_margin": float(min(max(gm, 0.0), 1.0)),
                "churn": _distribution(fit.churn, ci["churn"], 0.999),
                "churn_heterogeneity": _distribution(
                    min(fit.churn_heterogeneity, MAX_PHI), ci["churn_heterogeneity"], MAX_PHI
                ),
                "tenure": int(min(max(float(rows["tenure"].median()), 0), 1200)),
                "upsell_rate": 0.0,
            }
        )
        members = c[(c["class"] == cls) & (c["status"] != "prospect")]
        recent = 0
        if analysis.data.as_of is not None:
            recent = started_in_last_year(members["start"], analysis.data.as_of)
        weights.append(recent)
        used.append((cls, fit.name))
    if not segments:
        raise InputError("no active customers in any class: there is nothing to simulate.")
    weights = np.array(weights, dtype=float)
    if weights.sum() <= 0:
        weights = np.array([s["customers"] for s in segments], dtype=float)
    for seg, share in zip(segments, _shares(weights), strict=True):
        seg["new_customer_share"] = share
    levers = analysis.levers
    new_rate = analysis.data.new_per_period or 0.0
    fits_text = "; ".join(f"{cls}: {'own fit' if name == cls else 'fit of all customers'}" for cls, name in used)
    description = (
        f"Built from {len(active):,} active customers of {_safe_name(source_name)} in classes "
        f"{', '.join(s['name'] for s in segments)}. Churn and its heterogeneity are fitted to the data (sBG, maximum "
        f"likelihood; {fits_text}) and carried as ranges over their {INTERVAL_LEVEL:.0%} intervals. The budget is "
        "what the contact plans cost per period. Acquisition, save, upsell and win-back costs are the model's "
        "defaults: review them under All assumptions."
    )
    data = {
        "name": f"Portfolio: {_safe_name(source_name)}",
        "description": description[:4000],
        "period": analysis.period,
        "horizon": int(horizon_years * ppy),
        "currency": currency,
        "budget": {k: round(v, 2) for k, v in levers.items()},
        "acquisition": {"max_new_per_period": float(max(math.ceil(new_rate), 1))},
        "segments": segments,
        "simulation": {"runs": int(runs), "seed": int(seed)},
    }
    # Develop and win back are aimed at particular classes (C's; lapsed customers of high past value),
    # so their budgets follow the contact plans; retention keeps the model's split by value at risk.
    names = [seg["name"] for seg in segments]
    for lever in ("expansion", "winback"):
        weights = {n: round(float(analysis.budget_shares.loc[n, lever]), 6) for n in names}
        if levers[lever] > 0 and sum(weights.values()) > 0:
            data[lever] = {"weights": weights}
    return scenario_from_dict(data)
