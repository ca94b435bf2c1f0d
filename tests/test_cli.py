"""The command line end to end, as a user runs it."""

import contextlib
import io
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.engines.discrete_event import EVENT_COLUMNS, EVENTS
from simulation.io.presets import preset_path

ROOT = Path(__file__).resolve().parents[1]
PRESET = str(preset_path("saas_mid_market"))
REQUIRED_METRICS = {
    "active_customers",
    "new_customers",
    "churned_customers",
    "saved_customers",
    "upsells",
    "winbacks",
    "revenue",
    "gross_profit",
    "spend",
    "contribution",
    "cumulative_contribution",
    "referred_customers",
    "cost_to_serve",
    "operating_costs",
    "operating_profit",
    "run_rate_referred",
}
REQUIRED_KPIS = {
    "revenue_total",
    "npv",
    "customer_equity",
    "clv",
    "cac",
    "ltv_to_cac",
    "cac_payback_periods",
    "grr",
    "nrr",
    "roi",
    "active_customers_final",
    "operating_npv",
    "operating_margin_final_year",
}


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def cli(*args, cwd=ROOT):
    """Run the command line's entry point in this process, as ``python -m simulation ARGS`` from ``cwd``."""
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(before)
    return Done(code, out.getvalue(), err.getvalue())


def test_the_installed_command_runs_as_a_process(tmp_path):
    """One real process: the module entry point, its exit status and its streams."""
    done = subprocess.run(
        [sys.executable, "-m", "simulation", "run", "missing.toml"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2, f"bad input exits 2, got {done.returncode}"
    assert "cannot read" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_run_csv_is_long_format():
    done = cli("run", PRESET, "--runs", "50", "--seed", "3")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(io.StringIO(done.stdout))
    assert list(table.columns) == ["period", "metric", "mean", "p5", "p25", "p50", "p75", "p95"], "CSV columns"
    assert set(table["metric"]) >= REQUIRED_METRICS, "every required metric is there"
    per_metric = table.groupby("metric")["period"].agg(["min", "max", "count"])
    assert (per_metric["min"] == 0).all() and (per_metric["max"] == 60).all(), "one row per period 0..horizon"
    assert (per_metric["count"] == 61).all(), "no period repeated or missing"
    ordered = table[["p5", "p25", "p50", "p75", "p95"]].to_numpy()
    assert (ordered[:, :-1] <= ordered[:, 1:] + 1e-6).all(), "percentiles are ordered"


def test_run_json_has_figures_baseline_and_probability(tmp_path):
    out = tmp_path / "result.json"
    done = cli("run", PRESET, "--runs", "60", "--seed", "9", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "", "--out writes to the file, not standard output"
    doc = json.loads(out.read_text())
    assert doc["scenario"] == "Subscription software, mid-market" and doc["seed"] == 9 and doc["runs"] == 60
    for section in ("kpis", "baseline"):
        assert set(doc[section]) >= REQUIRED_KPIS, f"{section} holds every figure"
        for name, stats in doc[section].items():
            assert set(stats) == {"mean", "p5", "p50", "p95"}, f"{section}.{name} has mean and percentiles"
    assert 0.0 <= doc["p_beats_baseline"] <= 1.0, "a probability"
    assert len(doc["periods"]) == 61 * len({r["metric"] for r in doc["periods"]}), "periods are the CSV rows"
    years = pd.DataFrame(doc["years"])
    assert list(years.columns) == ["year", "metric", "mean", "p5", "p50", "p95"], "years records"
    assert sorted(set(years["year"])) == [1, 2, 3, 4, 5], "five years of months"
    lines = {"revenue", "gross_profit", "cost_to_serve", "spend", "operating_costs", "operating_profit"}
    assert lines <= set(years["metric"]), "the P&L lines"
    pnl = years.set_index(["metric", "year"])["mean"]
    rebuilt = pnl["gross_profit"] - pnl["cost_to_serve"] - pnl["spend"] - pnl["operating_costs"]
    assert ((pnl["operating_profit"] - rebuilt).abs() <= 1e-6 * pnl["revenue"]).all(), "operating profit adds up"
    assert (pnl["operating_costs"] > 0).all(), "the preset has operating costs"
    periods = pd.DataFrame(doc["periods"])
    final = periods[(periods.metric == "operating_profit") & (periods.period > 48)]["mean"].sum()
    revenue = periods[(periods.metric == "revenue") & (periods.period > 48)]["mean"].sum()
    margin = doc["kpis"]["operating_margin_final_year"]
    assert margin["p5"] <= final / revenue <= margin["p95"], "operating margin of the last year is in its band"


def test_same_seed_same_output():
    a = cli("run", PRESET, "--runs", "30", "--seed", "4")
    b = cli("run", PRESET, "--runs", "30", "--seed", "4")
    assert a.returncode == 0 and a.stdout == b.stdout, "the same seed reproduces the output exactly"


def test_validate_good_and_bad(tmp_path):
    good = cli("validate", PRESET)
    assert good.returncode == 0 and "valid" in good.stdout, good.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "Bad"\nhorizon = 0\n[budget]\nretention = -1\n[[segments]]\nname = "A"\n'
        "customers = 10\nrevenue_per_customer = 5\nchurn = { low = 0.3, high = 0.1 }\n"
    )
    done = cli("validate", str(bad))
    assert done.returncode == 2, "invalid scenario exits 2"
    for path in ("horizon", "budget.retention", "segments[0].churn"):
        assert path in done.stderr, f"{path} named on stderr: {done.stderr}"
    assert "Traceback" not in done.stderr, "no traceback for bad input"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "missing.toml"], "cannot read"),
        (["run", PRESET, "--runs", "0"], "--runs"),
        (["run", PRESET, "--seed", "abc"], "--seed"),
        (["run", PRESET, "--format", "xml"], "--format"),
        (["run", PRESET, "--engine", "quantum"], "engine must be one of"),
        (["run", PRESET, "--events", "e.csv"], "--events"),
        (["run", PRESET, "--scale", "2"], "--scale"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, fragment, tmp_path):
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2, f"{args} should exit 2, got {done.returncode}: {done.stderr}"
    assert fragment in done.stderr, f"{fragment!r} not in {done.stderr!r}"
    assert "Traceback" not in done.stderr, "no traceback for bad input"


def test_bench_reports_speed():
    done = cli("bench", "--runs", "20", "--repeat", "1", "--skip-des", "--skip-optimizer", "--skip-seek")
    assert done.returncode == 0, done.stderr
    assert "ms/run" in done.stdout and "draws/s" in done.stdout, done.stdout
    assert "draws alone" in done.stdout, "the bench compares the engine with the draws it needs"


def test_compile_prepares_the_engine():
    done = cli("compile")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Engine ready ("), done.stdout


def test_cli_writes_the_event_log(tmp_path):
    events, out = tmp_path / "events.csv", tmp_path / "paths.csv"
    preset = str(preset_path("saas_mid_market"))
    done = cli(
        "run", preset, "--engine", "discrete-event", "--scale", "0.1", "--runs", "10", "--seed", "2",
        "--events", str(events), "--out", str(out), cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    log = pd.read_csv(events)
    assert list(log.columns) == list(EVENT_COLUMNS), "event log header"
    assert set(log["run"]) <= set(range(10)) and len(log) > 0, "events of the 10 runs"
    assert set(log["event"]) <= set(EVENTS) and {"churned", "acquired"} <= set(log["event"]), "event names"
    table = pd.read_csv(out)
    active = table[(table["metric"] == "active_customers") & (table["period"] == 0)]["mean"].iloc[0]
    assert active == 200, f"scaled to 10 %: 2,000 customers become 200, got {active}"
    churned = table[table["metric"] == "churned_customers"]["mean"].sum() * 10
    assert math.isclose(churned, (log["event"] == "churned").sum()), "log and table count the same churners"


def test_cli_too_large_says_what_to_do(tmp_path):
    done = cli("run", str(preset_path("telecom_base")), "--engine", "discrete-event", "--runs", "50", cwd=tmp_path)
    assert done.returncode == 2, f"exit status {done.returncode}"
    assert "--scale" in done.stderr and "Traceback" not in done.stderr, done.stderr
