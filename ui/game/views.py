"""The Team game page's parts: the trainer's room, a team's desk, results, leaderboard and debrief.

Team names are user text: they appear only in tables (plain text), in ``st.text`` and, inside our
own sentences, as code spans (:mod:`ui.game.text`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from simulation.game.debrief import Debrief, debrief
from simulation.game.economics import economics
from simulation.game.firm import LEVERS
from simulation.game.market import GameSettings, play
from simulation.game.replay import parse_replay, replay_json
from simulation.io.games import Game, GameStore, GameStoreError
from ui.game import charts as game_charts
from ui.game import text
from ui.shared import charts, style, widgets
from ui.shared.safe_text import literal

REFRESH_SECONDS = 5
ECON = economics()
CURRENCY, PERIOD = ECON.currency, ECON.period


def money(x: float) -> str:
    return style.money(x, CURRENCY)


@st.cache_data(max_entries=16, show_spinner="Working out the best split for each team and round…")
def debrief_of(replay: str, rounds: int) -> Debrief:
    """The debrief of a game from its replay file's text (the decisions of its closed rounds)."""
    settings, teams, decisions = parse_replay(replay, "json")
    return debrief(play(settings, teams, decisions, rounds=rounds))


def game_debrief(store: GameStore, code: str) -> Debrief | None:
    settings, teams, decisions, closed = store.replay_inputs(code)
    return debrief_of(replay_json(settings, teams, decisions), closed) if closed else None


def settings_text(settings: GameSettings) -> str:
    return literal(
        f"{settings.rounds} rounds (one {PERIOD} each) · budget {money(settings.budget)} per team per round · "
        f"{style.number(settings.market_size)} prospects · seed {settings.seed}"
    )


def round_status(game: Game) -> str:
    if game.finished:
        return f"The game is over: all {game.settings.rounds} rounds are closed."
    return f"Round {game.current_round} of {game.settings.rounds}: teams are deciding their split."


# Results ------------------------------------------------------------------------------------------
def leaderboard_frame(rows: list[dict]) -> pd.DataFrame:
    """The last closed round's teams, best customer equity first, every number as shown."""
    last = max(r["round"] for r in rows)
    board = sorted((r for r in rows if r["round"] == last), key=lambda r: -r["customer_equity"])
    return pd.DataFrame(
        {
            "Rank": [str(n) for n in range(1, len(board) + 1)],
            "Team": [r["team"] for r in board],
            f"Customer equity ({CURRENCY})": [money(r["customer_equity"]) for r in board],
            "Customers": [style.number(r["customers"]) for r in board],
            f"Contribution this {PERIOD}": [money(r["contribution"]) for r in board],
        }
    )


def team_frame(rows: list[dict], team: str) -> pd.DataFrame:
    """One team's rounds: its split and what happened, every number as shown."""
    own = [r for r in rows if r["team"] == team]
    return pd.DataFrame(
        {
            "Round": [str(r["round"]) for r in own],
            "Split (acq. / ret. / exp. / win-back)": [" / ".join(money(r[k]) for k in LEVERS) for r in own],
            "Decided": ["yes" if r["decided"] else "repeated" for r in own],
            "Won": [style.number(r["won"]) for r in own],
            "Won back": [style.number(r["winbacks"]) for r in own],
            "Lost": [style.number(r["churned"]) for r in own],
            "Saved": [style.number(r["saved"]) for r in own],
            "Customers": [style.number(r["customers"]) for r in own],
            "Revenue": [money(r["revenue"]) for r in own],
            "Contribution": [money(r["contribution"]) for r in own],
            "Customer equity": [money(r["customer_equity"]) for r in own],
        }
    )


def leaderboard(rows: list[dict]) -> None:
    board = sorted(
        (r for r in rows if r["round"] == max(x["round"] for x in rows)), key=lambda r: -r["customer_equity"]
    )
    st.markdown(text.standing_sentence([(r["team"], r["customer_equity"]) for r in board], CURRENCY))
    st.dataframe(leaderboard_frame(rows), hide_index=True)
    spec = charts.vega_spec(game_charts.equity_chart(game_charts.equity_frame(rows), currency=CURRENCY, period=PERIOD))
    widgets.chart(spec, "team-game-equity", "game_equity_chart", height=400)


def team_debrief(report: Debrief, name: str, key: str, own: bool = True) -> None:
    """One team's debrief: each round against the best split, and how the winner differed."""
    team = next(t for t in report.teams if t.name == name)
    st.markdown(text.winner_sentence(report.winner.name, team.name, report.winner.shares, team.shares))
    for advice in team.rounds:
        st.markdown(text.advice_sentence(advice, report.budget, CURRENCY, own=own))
    frame = game_charts.split_frame([(a.round, a.actual.as_dict(), a.best.as_dict()) for a in team.rounds])
    spec = charts.vega_spec(game_charts.split_chart(frame, currency=CURRENCY, period=PERIOD))
    widgets.chart(spec, "team-game-split", key, height=420)


# Trainer ------------------------------------------------------------------------------------------
@st.fragment(run_every=REFRESH_SECONDS)
def roster(store: GameStore, code: str, secret: str) -> None:
    """Who has joined and who has decided this round, and the button that closes it; refreshes by itself."""
    try:
        game, names, decided = store.game(code), store.team_names(code), store.decided(code)
    except GameStoreError as exc:
        st.error(str(exc))
        return
    st.markdown(f"**{round_status(game)}**")
    if not names:
        st.caption(f"No team has joined yet. Refreshes every {REFRESH_SECONDS} s.")
        return
    if game.finished:
        st.dataframe(pd.DataFrame({"Team": names}), hide_index=True)
        return
    st.dataframe(
        pd.DataFrame({"Team": names, "This round": ["decided" if d else "not yet" for d in decided]}),
        hide_index=True,
    )
    waiting = decided.count(False)
    st.caption(
        f"{len(names) - waiting} of {len(names)} teams have decided (refreshes every {REFRESH_SECONDS} s)."
        + (
            " A team without a split for this round repeats its last one (in round 1: spends nothing)."
            if waiting
            else ""
        )
    )
    if st.button(f"Close round {game.current_round}", key="game_close_round", type="primary"):
        try:
            store.close_round(code, secret, game.current_round)
        except GameStoreError as exc:
            st.error(str(exc))
        else:
            st.rerun(scope="app")


def trainer_room(store: GameStore, code: str, secret: str, team_link: str) -> None:
    try:
        game = store.game(code)
        rows = store.results(code)
    except GameStoreError as exc:
        st.error(str(exc))
        return
    st.text(game.title)
    st.markdown(settings_text(game.settings))
    st.markdown("**Game code** (teams type it on this page)")
    st.code(code, language=None)
    st.markdown("**Link for teams**")
    st.code(team_link, language=None)
    roster(store, code, secret)
    if rows:
        st.subheader("Leaderboard")
        leaderboard(rows)
        downloads = st.columns(2)
        downloads[0].download_button(
            "Export results (CSV)",
            store.export_csv(code, secret),
            file_name=f"team-game-{code}.csv",
            mime="text/csv",
            key="game_export_csv",
        )
        downloads[1].download_button(
            "Replay file (JSON)",
            store.export_replay(code, secret),
            file_name=f"team-game-{code}.json",
            mime="application/json",
            key="game_export_json",
        )
    if game.finished and rows:
        st.subheader("Debrief")
        report = game_debrief(store, code)
        for n, team in enumerate(report.teams):
            st.divider()
            st.text(f"{team.rank}. {team.name}")
            team_debrief(report, team.name, key=f"game_debrief_{n}", own=False)


# Team -----------------------------------------------------------------------------------------------
def split_form(store: GameStore, code: str, team_id: str, game: Game) -> None:
    budget = game.settings.budget
    current = store.decision(code, team_id, game.current_round)
    if current is not None:
        st.markdown(
            literal(f"Your split for round {game.current_round}: {text.split_text(current, budget, CURRENCY)}.")
        )
    with st.form("game_split"):
        st.markdown(literal(f"Split up to {money(budget)} for round {game.current_round} (what you leave is kept)."))
        cols = st.columns(len(LEVERS))
        for col, lever in zip(cols, LEVERS, strict=True):
            col.number_input(
                f"{text.LEVER_WORDS[lever].capitalize()} ({CURRENCY})",
                min_value=0.0,
                max_value=float(budget),
                step=1000.0,
                key=f"game_split_{lever}",
                value=float(getattr(current, lever)) if current else 0.0,
            )
        submitted = st.form_submit_button("Submit the split", type="primary")
    if submitted:
        values = {k: st.session_state.get(f"game_split_{k}") or 0.0 for k in LEVERS}
        try:
            split = store.decide(code, team_id, values, game.current_round)
        except GameStoreError as exc:
            st.error(str(exc))
        else:
            st.success(
                literal(f"Split stored for round {game.current_round}: {text.split_text(split, budget, CURRENCY)}.")
            )


@st.fragment(run_every=REFRESH_SECONDS)
def round_watch(store: GameStore, code: str, seen: int) -> None:
    """Reruns the page when the trainer closes a round (checked every few seconds)."""
    try:
        closed = store.game(code).closed_rounds
    except GameStoreError:
        return
    if closed != seen:
        st.rerun(scope="app")


def team_desk(store: GameStore, code: str, team_id: str) -> None:
    try:
        game = store.game(code)
        me = store.team(code, team_id)
        rows = store.results(code)
    except GameStoreError as exc:
        st.error(str(exc))
        return
    if me is None:
        st.error("This team is not part of the game; join it again with the code.")
        return
    st.text(f"Team: {me[1]}")
    st.markdown(settings_text(game.settings))
    st.markdown(f"**{round_status(game)}**")
    round_watch(store, code, game.closed_rounds)
    if not game.finished:
        split_form(store, code, team_id, game)
    if rows:
        st.subheader("Your results")
        st.dataframe(team_frame(rows, me[1]), hide_index=True)
        flows = game_charts.flows_chart(game_charts.flows_frame(rows, me[1]), period=PERIOD)
        widgets.chart(charts.vega_spec(flows), "team-game-customers", "game_flows_chart", height=380)
        st.subheader("Leaderboard")
        leaderboard(rows)
    if game.finished and rows:
        st.subheader("Debrief")
        team_debrief(game_debrief(store, code), me[1], key="game_team_debrief")
