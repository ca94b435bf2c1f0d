"""``python -m simulation fit`` and ``portfolio``: the JSON shapes of PORTFOLIO.md, and bad input."""

from __future__ import annotations

import json

import pytest

from simulation import load_scenario
from simulation.cli import main
from simulation.portfolio.scenario_build import segment_class

from .helpers import SAMPLES

FIT_KEYS = {
    "name",
    "alpha",
    "beta",
    "churn",
    "churn_heterogeneity",
    "log_likelihood",
    "customers",
    "periods",
    "intervals",
}


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_fit_json_per_segment_of_a_customer_table(capsys):
    code, out, err = _run(capsys, "fit", SAMPLES / "b2b_accounts.csv", "--format", "json")
    assert code == 0, f"fit failed: {err}"
    doc = json.loads(out)
    assert doc["fitted_by"] == "segment", "a customer table with a segment column is fitted per segment"
    names = [f["name"] for f in doc["fits"]]
    assert names == ["Enterprise", "Mid-market", "Small business"], names
    for fit in doc["fits"]:
        assert set(fit) == FIT_KEYS, f"fit keys: {sorted(fit)}"
        assert set(fit["intervals"]) == {"alpha", "beta", "churn", "churn_heterogeneity"}, fit["intervals"]
        lo, hi = fit["intervals"]["churn"]
        assert lo < fit["churn"] < hi, f"{fit['name']}: the interval holds the estimate"
        assert fit["churn"] == pytest.approx(fit["alpha"] / (fit["alpha"] + fit["beta"])), "churn = a / (a + b)"


def test_fit_cohort_table_per_cohort_set_as_csv(capsys, tmp_path):
    out_file = tmp_path / "fits.csv"
    code, _out, err = _run(capsys, "fit", SAMPLES / "cohorts_fh_format.csv", "--format", "csv", "--out", out_file)
    assert code == 0, f"fit failed: {err}"
    lines = out_file.read_text().splitlines()
    assert lines[0].startswith("name,alpha,beta,churn,churn_heterogeneity,log_likelihood,customers,periods,"), lines[0]
    # one fit per cohort set, and one pooled over both
    assert [row.split(",")[0] for row in lines[1:]] == ["Regular", "High End", "All cohorts (pooled)"], lines


def test_fit_transaction_log_gets_the_purchase_model(capsys):
    code, out, err = _run(capsys, "fit", SAMPLES / "shop_transactions.csv")
    assert code == 0, f"fit failed: {err}"
    doc = json.loads(out)
    assert doc["fitted_by"] == "all customers", "a log's purchase model is fitted to all its customers"
    assert [f["model"] for f in doc["fits"]] == ["bg/nbd"], doc["fits"]
    assert set(doc["fits"][0]["intervals"]) == {"r", "alpha", "a", "b", "p", "q", "gamma"}, doc["fits"][0]


def test_fit_csv_of_a_transaction_log_has_one_row_with_the_intervals(capsys, tmp_path):
    out_file = tmp_path / "fit.csv"
    code, _, err = _run(capsys, "fit", SAMPLES / "shop_transactions.csv", "--format", "csv", "--out", out_file)
    assert code == 0, f"fit failed: {err}"
    lines = out_file.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("name,model,r,alpha,a,b,log_likelihood,"), lines[0]
    assert "r_low" in lines[0] and "gamma_high" in lines[0], lines[0]


def test_portfolio_writes_a_scenario_and_json(capsys, tmp_path):
    toml = tmp_path / "scenario.toml"
    code, out, err = _run(
        capsys, "portfolio", SAMPLES / "b2b_accounts.csv", "--out", toml, "--format", "json", "--currency", "EUR"
    )
    assert code == 0, f"portfolio failed: {err}"
    doc = json.loads(out)
    scenario = load_scenario(toml)
    classes = list(dict.fromkeys(segment_class(s.name) for s in scenario.segments))
    assert classes == [c["name"] for c in doc["classes"] if c["customers"]], "segments per class"
    assert doc["scenario"]["name"] == scenario.name, "the JSON carries the scenario written to --out"
    for cls in doc["classes"]:
        for key in (
            "name",
            "customers",
            "revenue",
            "contribution",
            "potential",
            "risk_mix",
            "strategy",
            "budget_shares",
        ):
            assert key in cls, f"class field {key} missing: {sorted(cls)}"
        assert set(cls["risk_mix"]) == {"low", "medium", "high"}, cls["risk_mix"]
        assert set(cls["budget_shares"]) == {"acquisition", "retention", "expansion", "winback"}, cls["budget_shares"]
    assert doc["customers"]["prospect"] == 600, "the example has 600 prospects"
    assert scenario.currency == "EUR", "currency option carried"


def test_portfolio_thresholds_from_the_command_line(capsys, tmp_path):
    code, out, err = _run(
        capsys,
        "portfolio",
        SAMPLES / "b2b_accounts.csv",
        "--format",
        "json",
        "--contribution-cuts",
        "100,1000",
        "--potential-cuts",
        "200,2000",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["thresholds"]["contribution"] == [100, 1000], doc["thresholds"]
    assert doc["thresholds"]["potential"] == [200, 2000], doc["thresholds"]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"name,city\nAcme,Paris\n", [], "no column for customer_id"),
        (b"customer_id,revenue,tenure\nA,x,1\n", [], "line 2, column revenue: 'x' is not a number"),
        (b"", [], "is empty"),
        (b"\x00\x01\x02binary\x00", [], "not a text table"),
        (b"customer_id,revenue,tenure\nA,1,2\n", ["--column", "revenue=MRR"], "no column 'MRR'"),
        (b"customer_id,revenue,tenure\nA,1,2\n", ["--column", "colour=x"], "unknown role 'colour'"),
    ],
)
def test_bad_input_exits_2_with_a_message(capsys, tmp_path, content, args, message):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    for command in ("fit", "portfolio"):
        code, _out, err = _run(capsys, command, path, *args)
        assert code == 2, f"{command}: bad input must exit 2; got {code}"
        assert message in err, f"{command}: expected {message!r} in {err!r}"
        assert "Traceback" not in err, f"{command}: no traceback: {err}"


def test_fit_with_nobody_lost_says_why(capsys, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("customer_id,revenue,tenure\n" + "".join(f"C{i},10,{i % 9}\n" for i in range(50)))
    code, _out, err = _run(capsys, "fit", path)
    assert code == 2, "no fit possible: exit 2"
    assert "no customer has left yet" in err, err


def test_portfolio_refuses_a_cohort_table(capsys):
    code, _out, err = _run(capsys, "portfolio", SAMPLES / "cohorts_fh_format.csv")
    assert code == 2 and "use `fit` on it" in err, err


def test_rows_not_read_are_reported_on_stderr(capsys, tmp_path):
    path = tmp_path / "some_bad.csv"
    text = (
        (SAMPLES / "b2b_accounts.csv").read_text().replace("ACC-00002,Enterprise,4800.0", "ACC-00002,Enterprise,lots")
    )
    path.write_text(text)
    code, _out, err = _run(capsys, "fit", path)
    assert code == 0, err
    assert "1 of 3,816 rows could not be used" in err and "line 3, column Monthly revenue (USD): 'lots'" in err, err
