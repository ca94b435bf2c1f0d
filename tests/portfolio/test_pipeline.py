"""One call from a file to its analysis (``analyse_portfolio``) and the settings it takes."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.portfolio import pipeline
from simulation.portfolio.analysis import analyse
from simulation.portfolio.classify import CLASSES, LEVELS, Thresholds
from simulation.portfolio.columns import KINDS, propose_mapping
from simulation.portfolio.data import read_customers
from simulation.portfolio.plans import PLAN_GROUPS, ContactPlan
from simulation.portfolio.reading import read_path
from simulation.portfolio.settings import PortfolioSettings, SettingsError

from .helpers import SAMPLES

B2B = SAMPLES / "b2b_accounts.csv"

amounts = st.floats(min_value=0, max_value=1e9, allow_nan=False)
cuts = st.tuples(amounts, amounts).map(sorted).map(tuple)
probabilities = st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted).map(tuple)
plans = st.builds(
    ContactPlan,
    contacts_per_year=st.floats(0, 365, allow_nan=False),
    channel=st.text(max_size=20),
    cost_per_contact=amounts,
)
all_settings = st.builds(
    PortfolioSettings,
    kind=st.none() | st.sampled_from(KINDS),
    columns=st.dictionaries(st.text(max_size=12), st.none() | st.text(max_size=20), max_size=4),
    sheet=st.none() | st.text(max_size=20),
    period=st.none() | st.sampled_from(("month", "quarter", "year")),
    as_of=st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    inactivity_days=st.none() | st.integers(1, 10_000),
    gross_margin=st.floats(min_value=1e-6, max_value=1, allow_nan=False),
    contribution_cuts=st.none() | cuts,
    potential_cuts=st.none() | cuts,
    winback_min=st.none() | amounts,
    risk_cuts=st.none() | probabilities,
    cell_classes=st.dictionaries(
        st.sampled_from(LEVELS), st.dictionaries(st.sampled_from(LEVELS), st.sampled_from(CLASSES)), max_size=3
    ),
    plans=st.dictionaries(st.sampled_from(PLAN_GROUPS), plans, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(all_settings)
def test_settings_round_trip_exactly_through_their_canonical_json(original):
    text = original.to_json()
    back = PortfolioSettings.from_json(text)
    assert back == original, f"{original!r} came back as {back!r}"
    assert back.to_json() == text, "the canonical text is the same after a round trip"
    assert json.loads(text) == original.model_dump(mode="json"), "the text is the settings' fields as JSON"
    assert hash(back) == hash(original), "equal settings hash alike"


def test_canonical_json_does_not_depend_on_the_order_fields_were_given_in():
    one = PortfolioSettings(columns={"revenue": "MRR", "segment": None}, cell_classes={"high": {"low": "A"}})
    two = PortfolioSettings(cell_classes={"high": {"low": "A"}}, columns={"segment": None, "revenue": "MRR"})
    assert one.to_json() == two.to_json(), "a cache keyed by the text finds the same entry"


def test_settings_are_frozen():
    s = PortfolioSettings()
    with pytest.raises(ValueError, match="frozen"):
        s.gross_margin = 0.5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "orders"}, "kind: Input should be 'customers', 'transactions' or 'cohorts'"),
        ({"inactivity_days": 0}, "inactivity_days: must be 1 or more; got 0"),
        ({"as_of": "30/06/2025"}, "as_of: not a date (YYYY-MM-DD): '30/06/2025'"),
        ({"as_of": "9999-12-31"}, "as_of: 9999-12-31 is outside the dates this reads, 1900-01-01 to 2200-12-31"),
        ({"gross_margin": 0}, "gross_margin: must be above 0 and at most 1; got 0"),
        ({"contribution_cuts": (5000, 100)}, "contribution_cuts: must be two numbers, 0 or more, the first not above"),
        ({"potential_cuts": (float("nan"), 1)}, "potential_cuts: must be two numbers"),
        ({"risk_cuts": (0.1, 2)}, "risk_cuts: must be probabilities, at most 1; got 2"),
        ({"winback_min": -1}, "winback_min: must be a number, 0 or more; got -1"),
        ({"cell_classes": {"high": {"low": "E"}}}, "cell_classes.high.low: Input should be 'A', 'B', 'C' or 'D'"),
        ({"plans": {"A": {"contacts_per_year": -1, "channel": "call", "cost_per_contact": 1}}}, "plans.A: contacts"),
        ({"colour": "blue"}, "colour: not a setting; the settings are kind, columns"),
    ],
)
def test_bad_settings_name_the_field(fields, message):
    with pytest.raises(SettingsError) as caught:
        PortfolioSettings(**fields)
    assert message in str(caught.value), f"{fields}: {caught.value}"


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", '{"gross_margin": 2}'])
def test_settings_from_bad_json_say_why(text):
    with pytest.raises(SettingsError):
        PortfolioSettings.from_json(text)


def _model(**kw):
    raw = read_path(B2B)
    return analyse(read_customers(raw, propose_mapping(raw.columns, "customers")), **kw)


def test_bytes_and_path_give_the_analysis_of_the_steps_it_stands_for():
    by_path = pipeline.analyse_portfolio(B2B)
    by_bytes = pipeline.analyse_portfolio(B2B.read_bytes(), name=B2B.name)
    expected = _model()
    for result in (by_path, by_bytes):
        assert result.kind == "customers" and result.name == "b2b_accounts.csv", (result.kind, result.name)
        assert result.analysis.classes.equals(expected.classes), "the same classes as read_customers + analyse"
        assert result.analysis.thresholds == expected.thresholds, "the data's default thresholds"
        assert set(result.fits) == set(expected.fits), "fits per class and for all customers"
    assert by_path.scenario().to_toml() == by_bytes.scenario().to_toml(), "one scenario from bytes or the path"


def test_thresholds_not_set_are_the_datas_defaults():
    base = _model().thresholds
    result = pipeline.analyse_portfolio(B2B, PortfolioSettings(contribution_cuts=(100, 1000)))
    assert result.analysis.thresholds == Thresholds(
        contribution=(100.0, 1000.0), potential=base.potential, winback_min_value=base.winback_min_value
    ), result.analysis.thresholds


def test_cell_classes_and_plans_reach_the_analysis():
    settings_ = PortfolioSettings(
        cell_classes={"low": {"low": "C"}}, plans={"A": ContactPlan(4, "quarterly review", 600.0)}
    )
    result = pipeline.analyse_portfolio(B2B, settings_)
    expected = _model(cell_class={("low", "low"): "C"}, plans={"A": ContactPlan(4, "quarterly review", 600.0)})
    assert result.analysis.classes.equals(expected.classes), "the low/low cell is class C"
    assert result.analysis.levers == expected.levers, "the A plan costs 4 x 600 a year per customer"


def test_a_cohort_table_is_fitted_per_cohort_set_and_not_simulated():
    result = pipeline.analyse_portfolio(SAMPLES / "cohorts_fh_format.csv")
    assert result.kind == "cohorts" and result.analysis is None, result.kind
    assert list(result.fits) == ["Regular", "High End", "All cohorts (pooled)"], list(result.fits)
    assert result.group_fits()[0] == "cohort set", "the fit command reports per cohort set"
    with pytest.raises(ValueError, match="use `fit` on it"):
        result.scenario()


def test_a_column_choice_for_a_role_the_kind_has_not_is_refused():
    with pytest.raises(ValueError, match="unknown role 'colour'"):
        pipeline.analyse_portfolio(B2B, PortfolioSettings(columns={"colour": "x"}))


def test_bytes_need_the_files_name():
    with pytest.raises(TypeError, match="name the file"):
        pipeline.analyse_portfolio(B2B.read_bytes())


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["fit", str(B2B), "--gross-margin", "0.6", "--period", "quarter"], {"gross_margin": 0.6, "period": "quarter"}),
        (
            ["portfolio", str(B2B), "--contribution-cuts", "100,1000", "--winback-min", "50", "--as-of", "2025-06-30"],
            {"contribution_cuts": (100.0, 1000.0), "winback_min": 50.0, "as_of": date(2025, 6, 30)},
        ),
        (["fit", str(B2B), "--column", "segment="], {"columns": {"segment": None}}),
    ],
)
def test_the_commands_analyse_through_analyse_portfolio(monkeypatch, capsys, argv, expected):
    calls = []
    real = pipeline.analyse_portfolio

    def spy(data, settings=None, **kw):
        calls.append((data, settings))
        return real(data, settings, **kw)

    monkeypatch.setattr(pipeline, "analyse_portfolio", spy)
    assert main(argv) == 0, capsys.readouterr().err
    assert len(calls) == 1, f"{argv[0]} analyses the file once, through analyse_portfolio: {calls}"
    data, given_settings = calls[0]
    assert str(data) == str(B2B), data
    assert given_settings == PortfolioSettings(**expected), f"{argv[0]} passes its options as settings"


def test_bad_options_are_named_as_the_command_line_writes_them(capsys, tmp_path):
    assert main(["fit", str(B2B), "--inactivity-days", "0"]) == 2, "bad option: exit 2"
    assert "--inactivity-days: must be 1 or more; got 0" in capsys.readouterr().err
    assert main(["portfolio", str(B2B), "--as-of", "soon"]) == 2, "bad date: exit 2"
    assert "--as-of: not a date (YYYY-MM-DD): 'soon'" in capsys.readouterr().err
