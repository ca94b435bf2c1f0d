"""One call from a customer file to its analysis: read, classify, fit and cost the contact plans.

:func:`analyse_portfolio` is what the Portfolio page (through its cache) and the ``fit`` and
``portfolio`` commands run; everything they choose is in one
:class:`~simulation.portfolio.settings.PortfolioSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import Scenario
from ..errors import InputError
from .analysis import ALL, Analysis, analyse, fit_cohorts, fit_groups, prepare
from .btyd import BGNBDFit
from .classify import Thresholds, default_thresholds
from .columns import guess_kind, propose_mapping, roles_of, unused_sentence
from .data import CohortData, CustomerData, read_cohorts, read_customers
from .fit import SBGFit
from .fit_reading import pooled_fit
from .reading import RawTable, read_path, read_upload_bounded
from .scenario_build import build_scenario
from .settings import PortfolioSettings
from .transactions import read_transactions

SCENARIO_PERIODS = ("month", "quarter", "year")
COHORTS_NOT_CLASSIFIED = (
    "a cohort table gives retention curves only, not customers to classify: use `fit` on it, "
    "or give a customer table or a transaction log."
)


@dataclass(frozen=True)
class PortfolioAnalysis:
    """A customer file analysed as its settings say.

    Attributes
    ----------
    name : str
        The file's name.
    settings : PortfolioSettings
        The settings it was analysed with.
    kind : str
        ``customers``, ``transactions`` or ``cohorts`` (the settings' or the one recognised).
    source : str
        How the file was read, in words.
    reading_notes : tuple of str
        What the reader decided that a person should know (which sheet was read).
    data : CustomerData or CohortData
        The rows read, with those that could not be used counted and explained.
    analysis : Analysis or None
        Classes, fits, risk and contact plans (None for a cohort table).
    fits, fit_messages : dict
        The churn fits shown (per class and for all customers; per cohort set of a cohort
        table), and why a group could not be fitted.
    """

    name: str
    settings: PortfolioSettings
    kind: str
    source: str
    reading_notes: tuple[str, ...]
    data: CustomerData | CohortData
    analysis: Analysis | None
    fits: dict[str, SBGFit]
    fit_messages: dict[str, str]

    @property
    def period(self) -> str:
        return self.data.period

    def group_fits(self) -> tuple[str, dict[str, SBGFit | BGNBDFit], dict[str, str]]:
        """``(fitted by, fits, messages)``: per cohort set; the purchase model of a transaction log; else per
        segment if the file has any, else per class."""
        if self.analysis is None:
            return "cohort set", self.fits, self.fit_messages
        if self.analysis.purchase_model is not None:
            return "all customers", {ALL: self.analysis.purchase_model.fit}, {}
        customers = self.data.customers
        if (customers["segment"] != "").any():
            return "segment", *fit_groups(customers, "segment")
        fits = {k: v for k, v in self.fits.items() if k != ALL}
        messages = {k: v for k, v in self.fit_messages.items() if k != ALL}
        return "class", fits, messages

    def scenario(self, *, currency: str = "USD", runs: int = 1000, seed: int = 42) -> Scenario:
        """The portfolio as a scenario, each class in tenure bands (see :func:`~.scenario_build.build_scenario`).

        Raises
        ------
        InputError
            For a cohort table, or when no class can be simulated.
        """
        if self.analysis is None:
            raise InputError(COHORTS_NOT_CLASSIFIED)
        if self.period not in SCENARIO_PERIODS:
            raise InputError(
                f"a scenario's period is a month, quarter or year, not a {self.period}: analyse the file by month "
                "(or quarter or year) to simulate it."
            )
        return build_scenario(self.analysis, source_name=Path(self.name).stem, currency=currency, runs=runs, seed=seed)


def _mapping(raw: RawTable, kind: str, columns: dict[str, str | None]) -> dict[str, str | None]:
    keys = [r.key for r in roles_of(kind)]
    for role in columns:
        if role not in keys:
            raise InputError(f"unknown role {role!r} in the column choices; a {kind} file has {', '.join(keys)}")
    return {**propose_mapping(raw.columns, kind), **columns}


def _thresholds(data: CustomerData, settings: PortfolioSettings) -> Thresholds | None:
    """The settings' nine-box and win-back thresholds, the data's defaults for any not set (None: all defaults)."""
    s = settings
    if s.contribution_cuts is None and s.potential_cuts is None and s.winback_min is None:
        return None
    base = default_thresholds(prepare(data, s.gross_margin)[0])
    return Thresholds(
        contribution=s.contribution_cuts or base.contribution,
        potential=s.potential_cuts or base.potential,
        winback_min_value=base.winback_min_value if s.winback_min is None else s.winback_min,
    )


def analyse_portfolio(
    data: bytes | str | Path, settings: PortfolioSettings | None = None, *, name: str | None = None
) -> PortfolioAnalysis:
    """Read a customer table, transaction log or cohort table and analyse it as ``settings`` say.

    Parameters
    ----------
    data : bytes, str or Path
        The file's contents (an upload) or its path.
    settings : PortfolioSettings, optional
        Every choice made about the file; by default the data's own defaults throughout.
    name : str, optional
        The file's name, used in messages, to recognise .xlsx and to name the scenario;
        needed with bytes, the path's name by default.

    Returns
    -------
    PortfolioAnalysis
        For a customer table or a transaction log: the customers classified, churn fitted
        per class and for all customers, risk scored and the contact plans costed; for a
        cohort table: a churn fit per cohort set.

    Raises
    ------
    InputError
        A file that cannot be read, a column choice that does not fit it, or no usable row;
        the message says which.
    """
    settings = settings if settings is not None else PortfolioSettings()
    if isinstance(data, bytes | bytearray | memoryview):
        if name is None:
            raise TypeError("analyse_portfolio: name the file whose bytes are given")
        raw = read_upload_bounded(bytes(data), name, sheet=settings.sheet, encoding=settings.encoding)
    else:
        name = name or Path(data).name
        raw = read_path(data, sheet=settings.sheet, encoding=settings.encoding)
    kind = settings.kind or guess_kind(raw.columns)
    mapping = _mapping(raw, kind, settings.columns)
    period = settings.period or ("year" if kind == "cohorts" else "month")
    as_of = pd.Timestamp(settings.as_of) if settings.as_of is not None else None
    unused = unused_sentence(raw.columns, mapping, wide_cohorts=kind == "cohorts" and mapping.get("period") is None)
    notes = (*raw.notes, *([unused] if unused else []))
    read = {"name": name, "settings": settings, "kind": kind, "source": raw.source, "reading_notes": notes}
    if kind == "cohorts":
        cohorts = read_cohorts(raw, mapping, period=period)
        fits, messages = fit_cohorts(cohorts)
        pooled, pooled_message = pooled_fit(cohorts)
        fits, messages = {**fits, **pooled}, {**messages, **pooled_message}
        return PortfolioAnalysis(**read, data=cohorts, analysis=None, fits=fits, fit_messages=messages)
    if kind == "transactions":
        customers = read_transactions(
            raw, mapping, period=period, as_of=as_of, inactivity_days=settings.inactivity_days
        )
    else:
        customers = read_customers(raw, mapping, period=period, as_of=as_of)
    analysis = analyse(
        customers,
        thresholds=_thresholds(customers, settings),
        cell_class=settings.cell_class() or None,
        plans=dict(settings.plans) or None,
        risk_cuts=settings.risk_cuts,
        default_margin=settings.gross_margin,
    )
    return PortfolioAnalysis(
        **read, data=customers, analysis=analysis, fits=analysis.fits, fit_messages=analysis.fit_messages
    )
