"""A plan against its actuals: percentiles, bands and scores that a right forecast passes and a wrong one fails."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kstest

from simulation import cli, simulate
from simulation.errors import InputError
from simulation.track import percentile_of, read_actuals, track
from tests.helpers import scenario

BACKTESTS = 200


def cohort(churn):
    """A closed cohort (no marketing) whose churn is uncertain: the plan's futures draw it, as the actuals do."""
    return scenario(
        horizon=12, segment={"customers": 500, "churn": churn, "churn_heterogeneity": 0.3}
    ).replace(simulation={"runs": 2000, "seed": 1})


def actuals_of(run, paths, periods=range(1, 13)):
    import pandas as pd

    return pd.DataFrame({"period": list(periods), "active_customers": [paths[run, p] for p in periods]})


@pytest.fixture(scope="module")
def happened():
    """200 futures of the true cohort from the discrete-event engine, on seeds the plan never used."""
    truth = cohort({"low": 0.03, "mode": 0.05, "high": 0.08})
    return simulate(truth, runs=BACKTESTS, seed=99, engine="discrete_event").paths["active_customers"]


def test_a_right_plan_holds_the_actuals_in_its_bands_and_its_percentiles_are_uniform(happened):
    plan = simulate(cohort({"low": 0.03, "mode": 0.05, "high": 0.08}))
    results = [track(plan, actuals_of(run, happened)) for run in range(BACKTESTS)]
    coverage = float(np.mean([r.coverage_90 for r in results]))
    # 200 back-tests x 12 periods (correlated within a back-test): the share inside the 90 % band is 85-95 %
    assert 0.85 <= coverage <= 0.95, f"the 90 % band held {coverage:.1%} of the actuals"
    last = np.array([r.rows["percentile"].iloc[-1] for r in results])
    # one percentile per independent back-test: uniform by a Kolmogorov-Smirnov test at the 1 % level
    assert kstest(last, "uniform").pvalue > 0.01, f"percentiles at period 12 are not uniform: {np.sort(last)[::20]}"


def test_a_plan_whose_churn_is_wrong_by_half_misses_its_bands(happened):
    wrong = simulate(cohort({"low": 0.015, "mode": 0.025, "high": 0.04}))
    coverage = float(np.mean([track(wrong, actuals_of(run, happened)).coverage_90 for run in range(BACKTESTS)]))
    assert coverage < 0.5, f"a plan with half the churn should miss most actuals; its 90 % band held {coverage:.1%}"


def test_the_forecast_beats_the_naive_one_when_it_is_right(happened):
    plan = simulate(cohort({"low": 0.03, "mode": 0.05, "high": 0.08}))
    scores = [track(plan, actuals_of(run, happened)) for run in range(40)]
    ours = np.mean([s.crps["active_customers"] for s in scores])
    naive = np.mean([s.crps_naive["active_customers"] for s in scores])
    assert ours < naive, f"the plan's CRPS {ours:.2f} should beat 'same as last period' ({naive:.2f})"


def test_percentiles_take_the_mid_point_of_ties():
    samples = np.array([1, 2, 2, 3], dtype=float)
    assert percentile_of(samples, 2.0) == pytest.approx(0.25 + 0.25), "below 1/4, equal 2/4: mid-point 1/2"
    assert percentile_of(samples, 0.0) == 0.0 and percentile_of(samples, 9.0) == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("period,revenue\n1,100\n13,100\n", "line 3, column 'period': must be a whole period from 1 to 12"),
        ("period,revenu\n1,100\n", "unknown column 'revenu'"),
        ("period,revenue\n1,lots\n", "line 2, column 'revenue': 'lots' is not a number"),
        ("period,revenue\n1,100\n1,200\n", "line 3, column 'period': period 1 repeats"),
        ("revenue\n100\n", "a 'period' column is needed"),
        ("period,revenue\n1,-5\n", "line 2, column 'revenue': must be a number 0 or more"),
    ],
)
def test_bad_actuals_name_the_line_and_column(text, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_actuals(text.encode(), 12)


def test_the_command_line_reports_every_row_and_the_scores(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text(cohort(0.05).replace(simulation={"runs": 200, "seed": 3}).to_toml(), encoding="utf-8")
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("period,active_customers,churned_customers\n1,480,20\n2,461,\n3,440,21\n", encoding="utf-8")
    assert cli.main(["track", str(plan), str(actuals), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"coverage_50", "coverage_90", "crps", "crps_naive", "rows"} <= set(doc), doc.keys()
    assert len(doc["rows"]) == 5, "three active counts and two churn counts (an empty cell is not reported)"
    assert set(doc["rows"][0]) >= {"period", "metric", "actual", "p5", "p50", "p95", "percentile"}
    assert cli.main(["track", str(plan), str(tmp_path / "none.csv")]) == 2
    assert "ACTUALS" in capsys.readouterr().err


def test_a_saved_version_is_numbered_dated_immutable_and_tracked_as_saved(tmp_path, capsys, backend):
    from simulation.io.plan_versions import PlanVersionError, PlanVersions, check_reproduced

    store = PlanVersions(tmp_path)
    plan = cohort(0.05).replace(simulation={"runs": 100, "seed": 3})
    first = store.save("Budget 2027", simulate(plan))
    edited = plan.replace(segments=[{**plan.segments[0].model_dump(exclude_none=True), "customers": 600}])
    second = store.save("Budget 2027", simulate(edited))
    assert (first.version, second.version) == (1, 2), "saving again after an edit adds the next version"
    assert first.label.startswith("Budget 2027, version 1 of 20"), first.label
    again = store.get(first.id)
    assert again.scenario == first.scenario and again.forecast == first.forecast, "a version is kept as saved"
    assert again.scenario.segments[0].customers == 500, "editing the plan did not change the first version"
    check_reproduced(again, simulate(again.scenario, runs=again.runs, seed=again.seed))
    with pytest.raises(PlanVersionError, match="does not reproduce the forecast"):
        check_reproduced(again, simulate(again.scenario, runs=again.runs, seed=again.seed + 1))
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("period,active_customers\n1,480\n2,461\n", encoding="utf-8")
    assert cli.main(["track", f"version:{first.id}", str(actuals), "--data-dir", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == first.label and doc["runs"] == 100 and doc["seed"] == 3, doc
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(plan.to_toml(), encoding="utf-8")
    assert cli.main(["track", str(plan_file), str(actuals)]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == doc["rows"], "the version tracks as its plan file does"
    assert cli.main(["track", "version:x", str(actuals), "--data-dir", str(tmp_path)]) == 2
    assert "version:ID with a whole number ID" in capsys.readouterr().err


def test_the_refit_recovers_a_churn_twice_the_plans_within_its_interval():
    """Twenty cohorts whose churn is twice the plan's: the refit's 90 % interval holds the truth (x2) in most."""
    from simulation.track import refit_churn, reforecast

    def flat(churn):
        return scenario(horizon=12, segment={"customers": 500, "churn": churn, "churn_heterogeneity": 0.0})

    plan = simulate(flat(0.025).replace(simulation={"runs": 1000, "seed": 1}))
    truth = simulate(flat(0.05), runs=20, seed=7, engine="discrete_event").paths
    covered = 0
    for run in range(20):
        import pandas as pd

        actuals = pd.DataFrame(
            {"period": range(1, 7), "active_customers": truth["active_customers"][run, 1:7],
             "churned_customers": truth["churned_customers"][run, 1:7]}
        )  # fmt: skip
        fit = refit_churn(plan, actuals)
        covered += fit.low <= 2.0 <= fit.high
        assert track(plan, actuals).coverage_90 < 0.5, "the plan's own bands miss a churn twice its own"
    # a 90 % interval holds the truth in Binomial(20, 0.9) cases: 14 or more but for a 0.2 % chance
    assert covered >= 14, f"the refit's interval held the true multiplier in {covered} of 20 cohorts"
    rest = reforecast(plan, actuals, fit)
    assert rest["period"].min() == 7 and rest["period"].max() == 12, "the rest of the horizon, numbered as the plan"
    start = rest[(rest["metric"] == "active_customers") & (rest["period"] == 7)]["p50"].item()
    assert start < actuals["active_customers"].iloc[-1], "the re-forecast starts from the last actual and shrinks"


def test_the_quarterly_review_adds_up_the_quarters_and_prints_them():
    import io

    from pypdf import PdfReader

    from simulation.io.presets import load_preset
    from simulation.track import quarter_rows
    from ui.plan.review import review_report

    s = load_preset("saas_mid_market").replace(simulation={"runs": 200, "seed": 5})
    plan = simulate(s)
    example = Path(__file__).parents[1] / "sample_data/actuals/saas_mid_market_actuals.csv"
    actuals = read_actuals(example.read_bytes(), s.horizon)
    quarters = quarter_rows(plan, actuals)
    revenue = quarters[quarters["metric"] == "revenue"]
    assert list(revenue["quarter"]) == [1, 2, 3], "nine months are three quarters"
    assert revenue["actual"].iloc[0] == pytest.approx(actuals["revenue"].iloc[:3].sum()), "a quarter's total"
    q1_total = plan.paths["revenue"][:, 1:4].sum(axis=1)
    assert revenue["p50"].iloc[0] == pytest.approx(np.percentile(q1_total, 50)), "its range is the range of totals"
    active = quarters[quarters["metric"] == "active_customers"]
    assert active["actual"].iloc[-1] == actuals["active_customers"].iloc[8], "customers are counted at a quarter's end"
    pdf = review_report(s, plan, actuals, track(plan, actuals))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Quarterly review" in text and "Q3 (months 7–9)" in text and "Best split now" in text, text[:400]


@pytest.mark.parametrize("engine", ["vectorized", "discrete_event"])
def test_tracking_the_survivors_of_a_published_cohort_matches_their_exact_distribution(engine):
    """Fader and Hardie's (2007) "Regular" cohort, fitted on years 0-7; the plan is its 241 (per 1,000) survivors.

    Each survivor lasts k more years with probability S(7 + k) / S(7) under the fitted sBG, independently, so
    the survivors after k more years are Binomial(241, S(7 + k) / S(7)). Any actual count tracked against the
    plan must get the percentile that distribution gives it (mid-point of ties), to Monte Carlo error: the
    Dvoretzky-Kiefer-Wolfowitz bound for 4,000 futures at the 0.1 % level over five years, 0.034.
    """
    from scipy.stats import binom

    from simulation.model.closed_forms import expected_survival
    from simulation.portfolio.fit import Lifetimes, fit_sbg
    from simulation.track import percentile_of

    fit = fit_sbg(Lifetimes.from_cohorts([[1000, 631, 468, 382, 326, 289, 262, 241]]))
    assert (round(fit.alpha, 3), round(fit.beta, 3)) == (0.704, 1.182), "the published estimates"
    n, c, phi = 241, fit.churn, fit.churn_heterogeneity
    plan = scenario(
        period="year", horizon=5, segment={"customers": n, "churn": c, "churn_heterogeneity": phi, "tenure": 7}
    )
    paths = simulate(plan, runs=4000, seed=3, engine=engine).paths["active_customers"]
    bound = math.sqrt(math.log(2 * 5 / 0.001) / (2 * 4000))
    for k in range(1, 6):
        p = expected_survival(c, phi, 7 + k) / expected_survival(c, phi, 7)
        for actual in range(int(binom.ppf(0.005, n, p)), int(binom.ppf(0.995, n, p)) + 1):
            exact = binom.cdf(actual - 1, n, p) + 0.5 * binom.pmf(actual, n, p)
            got = percentile_of(paths[:, k], actual)
            assert abs(got - exact) < bound, f"year {7 + k}, {actual} survivors: {got:.3f} against exact {exact:.3f}"


def test_actuals_may_come_from_a_workbook(tmp_path, capsys):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (["period", "active_customers"], [1, 480], [2, 461]):
        sheet.append(row)
    path = tmp_path / "actuals.xlsx"
    book.save(path)
    plan = tmp_path / "plan.toml"
    plan.write_text(cohort(0.05).replace(simulation={"runs": 100, "seed": 3}).to_toml(), encoding="utf-8")
    assert cli.main(["track", str(plan), str(path)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["period"], r["actual"]) for r in rows] == [(1, 480.0), (2, 461.0)], rows
