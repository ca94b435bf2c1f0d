"""The Team game's charts: pure functions of small frames, titled, with units and currency on the axes."""

from __future__ import annotations

import altair as alt
import pandas as pd

from simulation.game.firm import LEVERS
from ui.game.text import LEVER_WORDS
from ui.shared import style
from ui.shared.charts import money_label_expr, title_params

LEVER_COLORS = dict(zip(LEVERS, (style.PLAN, style.ACCENT, style.POSITIVE, style.SERIES[3]), strict=True))


def equity_frame(rows: list[dict]) -> pd.DataFrame:
    """``round, team, customer_equity`` from the store's result rows."""
    frame = pd.DataFrame(rows, columns=["round", "team", "customer_equity"])
    return frame.astype({"round": int, "customer_equity": float})


def equity_chart(frame: pd.DataFrame, *, currency: str, period: str) -> alt.Chart:
    """Each team's customer equity after each round, one line per team."""
    teams = list(dict.fromkeys(frame["team"]))
    return (
        alt.Chart(frame)
        .mark_line(point=True, strokeWidth=2.2)
        .encode(
            x=alt.X("round:O", title=f"Round (one {period} each)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "customer_equity:Q",
                axis=alt.Axis(title=f"Customer equity ({currency})", labelExpr=money_label_expr(currency)),
                scale=alt.Scale(zero=False),
            ),
            color=alt.Color("team:N", sort=teams, legend=alt.Legend(title=None, orient="top", labelLimit=240)),
            tooltip=[
                alt.Tooltip("team:N", title="Team"),
                alt.Tooltip("round:O", title="Round"),
                alt.Tooltip("customer_equity:Q", title=f"Customer equity ({currency})", format=",.0f"),
            ],
        )
        .properties(
            title=title_params(
                "Customer equity by round",
                "Money made so far and the value of the customers left, discounted to the start of the game.",
            ),
            height=320,
        )
    )


FLOWS = (("won", "Won"), ("winbacks", "Won back"), ("churned", "Lost"))
FLOW_COLORS = {"Won": style.PLAN, "Won back": style.POSITIVE, "Lost": style.NEGATIVE}


def flows_frame(rows: list[dict], team: str) -> pd.DataFrame:
    """``round, flow, customers`` of one team: customers won and won back (positive) and lost (negative)."""
    out = [
        {"round": r["round"], "flow": label, "customers": -r[key] if key == "churned" else r[key]}
        for r in rows
        if r["team"] == team
        for key, label in FLOWS
    ]
    return pd.DataFrame(out, columns=["round", "flow", "customers"])


def flows_chart(frame: pd.DataFrame, *, period: str) -> alt.Chart:
    """A team's customers won, won back and lost in each round, side by side."""
    labels = [label for _, label in FLOWS]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("round:O", title=f"Round (one {period} each)", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("flow:N", sort=labels),
            y=alt.Y("customers:Q", title=f"Customers per {period} (lost below zero)"),
            color=alt.Color(
                "flow:N",
                sort=labels,
                scale=alt.Scale(domain=labels, range=[FLOW_COLORS[x] for x in labels]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("round:O", title="Round"),
                alt.Tooltip("flow:N", title="Customers"),
                alt.Tooltip("customers:Q", title="Count", format=",d"),
            ],
        )
        .properties(
            title=title_params("Your customers by round", "Won by acquisition, won back, and lost to churn."),
            height=300,
        )
    )


def split_frame(pairs: list[tuple[int, dict, dict]]) -> pd.DataFrame:
    """``bar, lever, amount`` for each round's own split and the best split: ``(round, own, best)`` triples."""
    rows = []
    for round_, own, best in pairs:
        for label, split in ((f"Round {round_}: yours", own), (f"Round {round_}: best", best)):
            rows += [{"bar": label, "lever": LEVER_WORDS[k], "amount": float(split[k])} for k in LEVERS]
    return pd.DataFrame(rows, columns=["bar", "lever", "amount"])


def split_chart(frame: pd.DataFrame, *, currency: str, period: str) -> alt.Chart:
    """Each round's split beside the best split for the team's situation, stacked by lever."""
    words = [LEVER_WORDS[k] for k in LEVERS]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "bar:N", title="Round and split", sort=list(dict.fromkeys(frame["bar"])), axis=alt.Axis(labelAngle=0)
            ),
            y=alt.Y(
                "amount:Q",
                stack="zero",
                axis=alt.Axis(title=f"Spend per {period} ({currency})", labelExpr=money_label_expr(currency)),
            ),
            color=alt.Color(
                "lever:N",
                scale=alt.Scale(domain=words, range=[LEVER_COLORS[k] for k in LEVERS]),
                legend=alt.Legend(title=None, orient="top"),
                sort=words,
            ),
            order=alt.Order("lever_order:Q"),
            tooltip=[
                alt.Tooltip("bar:N", title="Split"),
                alt.Tooltip("lever:N", title="Lever"),
                alt.Tooltip("amount:Q", title=f"Spend ({currency})", format=",.0f"),
            ],
        )
        .transform_calculate(lever_order=f"indexof({words!r}, datum.lever)")
        .properties(
            title=title_params(
                "Your split and the best split for your situation",
                "Best: the highest expected customer equity at the end of the round, other teams' spend as it was.",
            ),
            height=320,
        )
    )
