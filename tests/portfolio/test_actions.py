"""Acting on a portfolio: the action list, the contact calendar, the win-back list, their files and command."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.portfolio.actions import (
    ACTION_COLUMNS,
    NO_CONTACT,
    YEAR_DAYS,
    action_list,
    calendar_table,
    contact_calendar,
    plan_start,
    priority,
    to_xlsx,
    why_sentences,
    winback_list,
)
from simulation.portfolio.pipeline import analyse_portfolio
from simulation.portfolio.plans import plan_targets

from .helpers import SAMPLES


@cache
def _b2b():
    return analyse_portfolio(SAMPLES / "b2b_accounts.csv").analysis


def _named_file() -> bytes:
    """A customer table with name and owner columns, one name written to start a spreadsheet formula."""
    lines = ["Kundennummer,Firma,Betreuer,Umsatz,Kunde seit,Kündigungsdatum,Potenzial"]
    for i in range(60):
        name = '=HYPERLINK("http://x")' if i == 0 else f"Firma {i}"
        end = f"2024-0{i % 9 + 1}-15" if i % 5 == 0 else ""
        lines.append(
            f"K{i:03d},{name.replace(',', ' ')},Anna {i % 3},{100 + 17 * i},2021-0{i % 9 + 1}-01,{end},{300 + 9 * i}"
        )
    return ("\n".join(lines) + "\n").encode()


def test_the_action_list_has_one_row_per_customer_with_name_owner_class_strategy_why_and_next_contact():
    analysis = _b2b()
    actions = action_list(analysis)
    assert list(actions.columns) == list(ACTION_COLUMNS)
    assert len(actions) == len(analysis.customers) and actions["customer_id"].is_unique
    merged = actions.merge(analysis.customers[["customer_id", "class", "strategy"]], on="customer_id")
    assert (merged["class_x"] == merged["class_y"]).all() and (merged["strategy_x"] == merged["strategy_y"]).all()
    planned = actions["next_action"] != NO_CONTACT
    groups = plan_targets(analysis.customers)
    contacts = groups.map(lambda g: analysis.plans[g].contacts_per_year if g else 0.0)
    assert planned.sum() == (contacts > 0).sum() > 0, "everyone under a plan with contacts has a next contact"
    start = plan_start(analysis.data.as_of)
    dates = pd.to_datetime(actions.loc[planned, "next_date"])
    step = pd.to_timedelta(YEAR_DAYS / actions.loc[planned, "contacts_per_year"], unit="D")
    assert ((dates >= start) & (dates < start + step)).all(), "the first contact falls in the plan's first interval"
    assert (actions.loc[~planned, "next_date"] == "").all()


def test_within_a_plan_the_first_contacts_go_to_who_matters_most_and_are_spread_evenly():
    analysis = _b2b()
    actions = action_list(analysis).merge(analysis.customers[["customer_id"]].assign(p=priority(analysis.customers)))
    actions = actions[(actions["status"] == "active") & (actions["next_action"] != NO_CONTACT)]
    cls = actions["class"].value_counts().index[0]  # the class with the most customers contacted
    group = actions[actions["class"] == cls]
    group = group.assign(d=pd.to_datetime(group["next_date"]))
    # the order by date is the order by priority (for retain and hold: contribution x risk), highest first
    assert group.sort_values(["d", "p"], ascending=[True, False])["p"].is_monotonic_decreasing
    n, step = len(group), YEAR_DAYS / group["contacts_per_year"].iloc[0]
    per_day = group.groupby("d").size()
    # n customers over the step days between contacts: n / step on each whole day (rounded down or up),
    # and the share of the last, partial day
    assert len(per_day) == int(np.floor(step)) + 1, (len(per_day), step)
    assert set(per_day.iloc[:-1]) <= {int(np.floor(n / step)), int(np.ceil(n / step))}, per_day.describe()
    assert per_day.iloc[-1] <= np.ceil(n / step) and per_day.sum() == n


def test_name_and_owner_come_from_the_file_and_reach_csv_and_xlsx_escaped():
    analysis = analyse_portfolio(_named_file(), name="kunden.csv").analysis
    actions = action_list(analysis)
    row = actions.set_index("customer_id").loc["K001"]
    assert row["name"] == "Firma 1" and row["owner"] == "Anna 1"
    from simulation.io.cells import to_csv

    text = to_csv(actions)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text, "a formula in a name must not run in a spreadsheet"
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx({"actions": actions})))
    values = [c.value for row in book["actions"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in values and not any(str(v).startswith("=") for v in values if v)


def test_the_why_of_an_active_customer_is_made_of_their_own_figures():
    analysis = _b2b()
    actions = action_list(analysis).set_index("customer_id")
    c = analysis.customers.set_index("customer_id")
    for cid in c[c["status"] == "active"].index[:50]:
        why, row = actions.loc[cid, "why"], c.loc[cid]
        assert f"{row['contribution']:,.0f} a month ({row['contribution_level']})" in why, why
        assert f"{100 * row['risk']:.1f} %" in why and f"({row['risk_band']} risk)" in why, why


@settings(deadline=None, max_examples=200)
@given(
    contribution=st.floats(0, 1e6, allow_nan=False),
    threshold=st.floats(0, 1e6, allow_nan=False),
    tenure=st.integers(1, 600),
)
def test_the_why_of_a_lapsed_customer_says_truly_where_they_stand_against_the_win_back_threshold(
    contribution, threshold, tenure
):
    row = pd.DataFrame(
        {
            "status": ["lapsed"],
            "contribution": [contribution],
            "potential": [np.nan],
            "tenure": [tenure],
            "contribution_level": ["low"],
            "potential_level": ["low"],
        }
    )
    text = why_sentences(row, "month", lambda v: f"{v:.6g}", lambda v: f"{v:.1%}", threshold)[0]
    assert ("at or above" in text) == (contribution >= threshold), text
    assert f"{tenure:,} month(s)" in text
    # at the threshold: worth winning back
    assert "at or above" in why_sentences(row.assign(contribution=threshold), "month", str, str, threshold)[0]


def test_the_calendar_holds_every_planned_contact_of_the_year_and_its_cost():
    analysis = _b2b()
    calendar = contact_calendar(analysis)
    assert calendar["month"].nunique() == 12
    for plan in analysis.budgets.itertuples():
        if plan.customers == 0:
            continue
        rows = calendar[calendar["plan"] == plan.plan]
        # whole contacts a year: each customer gets exactly that many within the 12 months
        assert rows["contacts"].sum() == plan.customers * plan.contacts_per_year, plan.plan
        assert np.isclose(rows["cost"].sum(), plan.budget_per_year), plan.plan
    table = calendar_table(calendar)
    assert list(table.columns)[1:13] == sorted(calendar["month"].unique()) and "total" in table


def test_the_win_back_list_keeps_those_who_left_within_the_months_chosen():
    analysis = _b2b()
    everyone = len(analysis.lapsed_worth_winning_back())
    sizes = [len(winback_list(analysis, m)) for m in (0, 3, 6, 12, 24, 1200)]
    assert sizes == sorted(sizes) and sizes[-1] == everyone, sizes
    six = winback_list(analysis, 6)
    as_of = pd.Timestamp(analysis.data.as_of)
    assert (pd.to_datetime(six["left_on"]) >= as_of - pd.DateOffset(months=6)).all()
    assert (six["months_since"] <= 6).all() and six["contribution"].is_monotonic_decreasing
    assert (six["contribution"] >= analysis.thresholds.winback_min_value).all()
    with pytest.raises(ValueError, match="0 or more"):
        winback_list(analysis, -1)


def test_the_command_line_writes_the_action_list_calendar_and_win_back_list(tmp_path, capsys):
    actions, calendar, winback = tmp_path / "actions.xlsx", tmp_path / "calendar.csv", tmp_path / "winback.csv"
    code = main(
        [
            "portfolio",
            str(SAMPLES / "b2b_accounts.csv"),
            "--actions",
            str(actions),
            "--calendar",
            str(calendar),
            "--winback",
            str(winback),
            "--lapsed-within",
            "6",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == "", "with action files asked for, the scenario is not printed"
    book = openpyxl.load_workbook(actions, read_only=True)
    assert [c.value for c in next(book["actions"].iter_rows())] == list(ACTION_COLUMNS)
    cal = pd.read_csv(calendar)
    assert next(iter(cal.columns)) == "plan" and cal["total"].sum() > 0
    assert len(pd.read_csv(winback)) == len(winback_list(_b2b(), 6))


@pytest.mark.parametrize("value", ["-1", "x", "5000"])
def test_a_bad_lapsed_within_is_refused_with_its_name(value, capsys):
    with pytest.raises(SystemExit) as info:
        main(["portfolio", str(SAMPLES / "b2b_accounts.csv"), "--winback", "w.csv", "--lapsed-within", value])
    assert info.value.code == 2 and "--lapsed-within" in capsys.readouterr().err


def test_the_command_line_takes_an_encoding(tmp_path, capsys):
    path = tmp_path / "kunden.csv"
    path.write_bytes(_named_file().decode().encode("cp1252"))
    code = main(["portfolio", str(path), "--encoding", "cp1252", "--format", "json"])
    _out, err = capsys.readouterr()
    assert code == 0, err
    with pytest.raises(SystemExit):
        main(["portfolio", str(path), "--encoding", "klingon"])


def test_a_transaction_logs_name_and_owner_columns_reach_the_action_list():
    rows = ["customer_id,customer_name,account manager,date,amount"]
    for i in range(400):
        c = i % 40
        name = "" if (i < 40 and c == 3) else f"Shop {c}"  # C3's first purchase names no one
        rows.append(f"C{c},{name},Rep {c % 4},2023-{(i // 40) % 12 + 1:02d}-{c % 28 + 1:02d},{10 + c}")
    result = analyse_portfolio(("\n".join(rows) + "\n").encode(), name="log.csv")
    assert result.kind == "transactions" and not result.reading_notes, result.reading_notes
    actions = action_list(result.analysis).set_index("customer_id")
    assert actions.loc["C3", "name"] == "Shop 3", "the first name given among the customer's purchases"
    assert actions.loc["C6", "owner"] == "Rep 2"
