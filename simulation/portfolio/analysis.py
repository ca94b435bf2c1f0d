"""From customer data to a classified portfolio, fitted churn, contact plans and a scenario."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import Scenario
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
from .data import PERIOD_DAYS, PERIODS_PER_YEAR, CohortData, CustomerData
from .fit import Lifetimes, SBGFit, TooLittleDataError, fit_sbg
from .plans import (
    DEFAULT_PLANS,
    ContactPlan,
    budget_by_strategy,
    budget_table,
    class_budget_shares,
    key_account_plans,
    lever_budgets,
)
from .value import class_value, discount_factors, priced_defaults, pricing_table

ALL = "All customers"
HORIZON_YEARS = 5
PLANNING_YEARS = 1  # a transaction log's customers are valued by what they are expected to bring in a year
DISCOUNT_RATE = float(Scenario.model_fields["discount_rate"].default)  # a built scenario's, per year
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
    pricing: pd.DataFrame | None = None  # each class's plan against the value it protects (simulation.portfolio.value)
    given_plans: tuple[str, ...] = ()  # the plans set by the user; the others are the priced defaults

    @property
    def horizon_periods(self) -> int:
        """The planning horizon: the built scenario's, :data:`HORIZON_YEARS`."""
        return HORIZON_YEARS * self.periods_per_year

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

    given = dict(plans or {})
    ppy = PERIODS_PER_YEAR[data.period]
    levers = dict(zip(*budget_table(classified, DEFAULT_PLANS, ppy)[["plan", "lever"]].to_numpy().T, strict=True))
    discount = discount_factors(HORIZON_YEARS * ppy, DISCOUNT_RATE, ppy)
    value_table = class_value(classified, lambda cls: class_fits.get(cls) or fits.get(ALL), discount, ppy)
    plans = priced_defaults(DEFAULT_PLANS, given, value_table, levers, discount, ppy)
    pricing = pricing_table(value_table, plans, levers, discount, ppy)
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
        pricing=pricing,
        given_plans=tuple(given),
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
