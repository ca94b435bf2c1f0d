"""Your own customers: read, classify, calibrate and plan (no Streamlit here).

Typical use::

    raw = read_path("customers.csv")
    data = read_customers(raw, propose_mapping(raw.columns, "customers"))
    analysis = analyse(data)
    scenario = build_scenario(analysis, source_name="customers")
"""

from .analysis import Analysis, analyse, build_scenario, fit_cohorts, fit_groups
from .classify import CLASSES, Thresholds
from .columns import KINDS, guess_kind, propose_mapping
from .data import CohortData, CustomerData, read_cohorts, read_customers, read_transactions
from .fit import Lifetimes, SBGFit, TooLittleDataError, fit_sbg
from .plans import STRATEGIES, ContactPlan
from .reading import MAX_FILE_BYTES, FileProblemError, read_bytes, read_path

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
    "SBGFit",
    "Thresholds",
    "TooLittleDataError",
    "analyse",
    "build_scenario",
    "fit_cohorts",
    "fit_groups",
    "fit_sbg",
    "guess_kind",
    "propose_mapping",
    "read_bytes",
    "read_cohorts",
    "read_customers",
    "read_path",
    "read_transactions",
]
