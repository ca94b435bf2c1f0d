"""The inputs table of a comparison flags what differs; a comparison that would mislead is refused."""

from __future__ import annotations

import pytest

from tests.helpers import scenario as make_scenario
from ui.compare.inputs import DIFFERS, CompareError, check_comparable, inputs_table


def _pair():
    a = make_scenario(name="Keep", budget={"acquisition": 10000, "retention": 30000})
    b = make_scenario(
        name="Grow",
        budget={"acquisition": 30000, "retention": 10000},
        retention={"cost_per_save": 100, "max_churn_reduction": 0.4},
        segment={"churn": {"low": 0.04, "mode": 0.05, "high": 0.07}},
    )
    return {"Keep": a, "Grow": b}


def test_key_rows_come_first_and_differences_are_flagged():
    table = inputs_table(_pair())
    labels = list(table.index)
    assert labels[:5] == [
        "Budget per period",
        "Acquisition share",
        "Cost multiplier",
        "Churn, new customers",
        "Revenue per customer",
    ], f"key rows first, got {labels[:5]}"
    assert table.loc["Acquisition share", "Keep"] == "25 %", f"got {table.loc['Acquisition share', 'Keep']!r}"
    assert table.loc["Acquisition share", "Grow"] == "75 %", f"got {table.loc['Acquisition share', 'Grow']!r}"
    assert bool(table.loc["Acquisition share", DIFFERS]), "the split differs and must be flagged"
    assert not bool(table.loc["Budget per period", DIFFERS]), "both budgets are $40k: not flagged"
    assert "retention.max_churn_reduction" in labels, f"a differing field must be listed: {labels}"
    assert table.loc["retention.max_churn_reduction", "Grow"] == "0.4", "value written as in the editor"
    assert table.loc["segments[A].churn", "Grow"] == "0.04 / 0.05 / 0.07", "a distribution in the editor's form"
    assert "discount_rate" not in labels, "a field equal in both is not listed beyond the key rows"
    assert "name" not in labels, "the title is the column, not a row"


def test_a_scenario_against_itself_is_refused_even_under_another_name():
    a = _pair()["Keep"]
    with pytest.raises(CompareError, match="same scenario as 'Saved copy'"):
        check_comparable({"Saved copy": a, "Current": a.replace(name="Keep, renamed", description="a copy")})


def test_mixed_currencies_are_refused_naming_each():
    pair = _pair()
    pair["Grow"] = pair["Grow"].replace(currency="EUR")
    with pytest.raises(CompareError, match=r"different currencies \(Keep: USD, Grow: EUR\)"):
        check_comparable(pair)


@pytest.mark.parametrize("count", [1, 6])
def test_two_to_five_scenarios(count):
    base = _pair()["Keep"]
    scenarios = {f"s{i}": base.with_budget(base.budget.with_split(40000, i / 10)) for i in range(count)}
    with pytest.raises(CompareError, match=f"compare 2 to 5 scenarios; {count} were chosen"):
        check_comparable(scenarios)


def test_a_fair_comparison_passes():
    check_comparable(_pair())


def test_the_page_view_shades_only_differing_rows():
    from ui.compare.inputs import highlighted

    table = inputs_table(_pair())
    html = highlighted(table).to_html()
    assert "background-color: #fdf0d5" in html, "differing rows should be shaded"
    styler = highlighted(table)
    styler._compute()
    shaded_rows = {r for (r, _c), props in styler.ctx.items() if props}
    want = {i for i, d in enumerate(table[DIFFERS]) if d}
    assert shaded_rows == want, f"shaded rows {sorted(shaded_rows)} should be the differing ones {sorted(want)}"


def test_the_default_pick_skips_a_copy_of_the_first_and_unreadable_ones():
    from simulation.io.storage import StorageError
    from ui.compare.inputs import default_pick

    pair = _pair()
    library = {
        "Current": pair["Keep"],
        "Copy of current": pair["Keep"].replace(name="Copy"),
        "Broken": None,
        "Grow": pair["Grow"],
        "Later": pair["Grow"].replace(name="Later"),
    }

    def load(name):
        if library[name] is None:
            raise StorageError("damaged")
        return library[name]

    assert default_pick(list(library), load) == ["Current", "Grow"], "a copy and a broken entry are skipped"
    assert default_pick(["Current", "Copy of current"], load) == ["Current"], "no second distinct scenario"


def test_the_default_pick_shares_one_currency():
    from ui.compare.inputs import check_comparable, default_pick

    pair = _pair()
    library = {
        "Current": pair["Keep"],
        "In euros": pair["Grow"].replace(name="In euros", currency="EUR"),
        "Grow": pair["Grow"],
    }
    picked = default_pick(list(library), library.__getitem__)
    assert picked == ["Current", "Grow"], f"the first two in one currency are picked, got {picked}"
    check_comparable({n: library[n] for n in picked})

    alone = {
        "Current": pair["Keep"],
        "Euro A": pair["Keep"].replace(currency="EUR"),
        "Euro B": pair["Grow"].replace(currency="EUR"),
    }
    picked = default_pick(list(alone), alone.__getitem__)
    assert picked == ["Euro A", "Euro B"], (
        f"when the first currency has one scenario, the next pair is picked: {picked}"
    )
