"""Your own customers: read, classify, calibrate and plan (no Streamlit here).

Typical use::

    result = analyse_portfolio("customers.csv", PortfolioSettings(gross_margin=0.6))
    result.analysis.classes  # classes, strategies, budget shares
    scenario = result.scenario(currency="EUR")

or step by step: ``read_path`` (``read_upload_bounded`` for an upload's bytes), ``read_customers``
with ``propose_mapping``, ``analyse``, ``build_scenario``.
"""

from .analysis import Analysis, analyse, fit_cohorts, fit_groups
from .classify import CLASSES, Thresholds
from .columns import KINDS, guess_kind, propose_mapping
from .data import CohortData, CustomerData, read_cohorts, read_customers
from .fit import Lifetimes, SBGFit, TooLittleDataError, fit_sbg
from .limits import ReadLimitError
from .pipeline import PortfolioAnalysis, analyse_portfolio
from .plans import STRATEGIES, ContactPlan
from .reading import MAX_FILE_BYTES, FileProblemError, read_path, read_upload_bounded
from .scenario_build import build_scenario
from .settings import PortfolioSettings, SettingsError
from .transactions import read_transactions

__all__ = [
    "CLASSES",
    "KINDS",
    "MAX_FILE_BYTES",
    "STRATEGIES",
    "Analysis",
    "CohortData",
    "ContactPlan",
    "CustomerData",
    "FileProblemError",
    "Lifetimes",
    "PortfolioAnalysis",
    "PortfolioSettings",
    "ReadLimitError",
    "SBGFit",
    "SettingsError",
    "Thresholds",
    "TooLittleDataError",
    "analyse",
    "analyse_portfolio",
    "build_scenario",
    "fit_cohorts",
    "fit_groups",
    "fit_sbg",
    "guess_kind",
    "propose_mapping",
    "read_cohorts",
    "read_customers",
    "read_path",
    "read_transactions",
    "read_upload_bounded",
]
