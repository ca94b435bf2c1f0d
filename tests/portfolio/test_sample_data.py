"""The shipped example data: regenerated exactly by its script, and the fit recovers the stated parameters."""

from __future__ import annotations

import importlib.util

import pytest
from scipy.stats import chi2

from simulation.portfolio.analysis import fit_cohorts, fit_groups
from simulation.portfolio.columns import guess_kind, propose_mapping
from simulation.portfolio.data import read_cohorts, read_customers
from simulation.portfolio.fit import Lifetimes, log_likelihood
from simulation.portfolio.reading import read_path
from simulation.portfolio.transactions import read_transactions

from .helpers import SAMPLES

FILES = ("b2b_accounts.csv", "shop_transactions.csv", "cohorts_fh_format.csv")


def _generator():
    spec = importlib.util.spec_from_file_location("generate_customers", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ab(churn, phi):
    scale = 1 / phi - 1
    return churn * scale, (1 - churn) * scale


def test_script_regenerates_the_shipped_files(tmp_path):
    _generator().main(["--out", str(tmp_path)])
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), (
            f"{name} differs from its script's output"
        )
        assert (SAMPLES / name).stat().st_size < 2 * 1024 * 1024, f"{name} should stay under 2 MB"


def test_segment_fits_recover_the_generators_churn():
    # Each segment's customers are an sBG sample (no retention spend) with censoring at the data's date, so
    # 2 (max log-likelihood - log-likelihood at the stated parameters) is approximately chi-square with two
    # degrees of freedom: the stated parameters must lie inside the 99.9 % likelihood region (2 dLL < 13.8).
    gen = _generator()
    raw = read_path(SAMPLES / "b2b_accounts.csv")
    data = read_customers(raw, propose_mapping(raw.columns, guess_kind(raw.columns)))
    fits, messages = fit_groups(data.customers, "segment")
    assert not messages, f"every segment can be fitted: {messages}"
    rows = data.customers[data.customers["status"] != "prospect"]
    for name, params in gen.B2B_SEGMENTS.items():
        part = rows[rows["segment"] == name]
        lifetimes = Lifetimes.from_tenures(part["tenure"].to_numpy(), part["status"].to_numpy() == "lapsed")
        a, b = _ab(params["churn"], params["phi"])
        drop = 2 * (fits[name].log_likelihood - log_likelihood(a, b, lifetimes))
        assert 0 <= drop < chi2.ppf(0.999, 2), f"{name}: fitted churn {fits[name].churn:.4f}, stated {params['churn']}"


def test_cohort_fits_recover_fader_hardie_parameters():
    gen = _generator()
    raw = read_path(SAMPLES / "cohorts_fh_format.csv")
    data = read_cohorts(raw, propose_mapping(raw.columns, "cohorts"))
    fits, _ = fit_cohorts(data)
    for name, (a, b) in gen.COHORTS.items():
        lifetimes = Lifetimes.from_cohorts([data.curves[name]])
        drop = 2 * (fits[name].log_likelihood - log_likelihood(a, b, lifetimes))
        assert 0 <= drop < chi2.ppf(0.999, 2), f"{name}: fitted {fits[name].alpha:.3f}, {fits[name].beta:.3f}"
        assert fits[name].customers == gen.COHORT_SIZE, f"{name}: cohort size"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("b2b_accounts.csv", "customers"),
        ("shop_transactions.csv", "transactions"),
        ("cohorts_fh_format.csv", "cohorts"),
    ],
)
def test_examples_are_recognised_and_read_without_problems(name, kind):
    raw = read_path(SAMPLES / name)
    assert guess_kind(raw.columns) == kind, f"{name} should be recognised as {kind}"
    mapping = propose_mapping(raw.columns, kind)
    reader = {"customers": read_customers, "transactions": read_transactions, "cohorts": read_cohorts}[kind]
    data = reader(raw, mapping)
    assert data.problems.count == 0, f"{name}: {data.problems.lines_text()}"
