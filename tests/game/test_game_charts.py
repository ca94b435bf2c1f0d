"""The Team game's charts: titled, axes labelled with their units and currency, names kept as data."""

from __future__ import annotations

from ui.game import charts as game_charts
from ui.shared.charts import vega_spec

ROWS = [
    {"round": r, "team": t, "customer_equity": 1e6 * r + i} for r in (1, 2) for i, t in enumerate(["N", "<b>S</b>"])
]


def test_the_equity_chart_has_its_title_units_and_every_team():
    spec = vega_spec(game_charts.equity_chart(game_charts.equity_frame(ROWS), currency="EUR", period="quarter"))
    assert spec["title"]["text"] == "Customer equity by round" and spec["title"]["subtitle"]
    assert spec["encoding"]["y"]["axis"]["title"] == "Customer equity (EUR)"
    assert "€" in spec["encoding"]["y"]["axis"]["labelExpr"], "money on the axis in the game's currency"
    assert spec["encoding"]["x"]["title"] == "Round (one quarter each)"
    (data,) = spec["datasets"].values()
    assert {d["team"] for d in data} == {"N", "<b>S</b>"} and len(data) == 4


def test_the_split_chart_puts_each_round_beside_its_best_split():
    own = {"acquisition": 10.0, "retention": 20.0, "expansion": 0.0, "winback": 5.0}
    best = {"acquisition": 15.0, "retention": 15.0, "expansion": 5.0, "winback": 0.0}
    frame = game_charts.split_frame([(1, own, best), (2, best, own)])
    assert list(dict.fromkeys(frame["bar"])) == ["Round 1: yours", "Round 1: best", "Round 2: yours", "Round 2: best"]
    assert frame.groupby("bar", sort=False)["amount"].sum().tolist() == [35.0, 35.0, 35.0, 35.0]
    spec = vega_spec(game_charts.split_chart(frame, currency="USD", period="quarter"))
    assert spec["title"]["text"] == "Your split and the best split for your situation"
    assert spec["encoding"]["y"]["axis"]["title"] == "Spend per quarter (USD)"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["acquisition", "retention", "expansion", "win-back"]


def test_the_customers_chart_shows_losses_below_zero():
    rows = [{"round": 1, "team": "N", "won": 20, "winbacks": 5, "churned": 30}, {"round": 1, "team": "S", "won": 1,
             "winbacks": 0, "churned": 2}]  # fmt: skip
    frame = game_charts.flows_frame(rows, "N")
    assert dict(zip(frame["flow"], frame["customers"], strict=True)) == {"Won": 20, "Won back": 5, "Lost": -30}
    spec = vega_spec(game_charts.flows_chart(frame, period="quarter"))
    assert spec["title"]["text"] == "Your customers by round"
    assert spec["encoding"]["y"]["title"] == "Customers per quarter (lost below zero)"
    assert spec["encoding"]["x"]["title"] == "Round (one quarter each)"
