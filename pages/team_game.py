"""Team game: teams run competing firms in one market over rounds; the trainer closes each round."""

from __future__ import annotations

import re

import streamlit as st

from simulation.game.market import MAX_MARKET, MAX_ROUNDS, MIN_MARKET, GameError, GameSettings
from simulation.io.games import GameStore, GameStoreError, clean_code
from ui.game import views
from ui.shared import routing, state

routing.ensure_routed("pages/team_game.py")

K_CODE, K_SECRET, K_TEAM, K_NEW_SECRET = "game_code", "game_secret", "game_team_id", "game_new_secret"
K_LINK_READ = "game_link_read"
GAME_PARAM, TEAM_PARAM, TRAINER_PARAM = "game", "team", "trainer"
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
PAGE_PATH = "team_game"


def page_link(**params: str) -> str:
    """This page's address with ``params`` (the link teams open, or the trainer's own link back)."""
    base = (st.context.url or "").split("?")[0].rstrip("/")
    base = base.removesuffix(f"/{PAGE_PATH}")
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}/{PAGE_PATH}?{query}"


def read_link(store: GameStore) -> None:
    """Once per session: a link with the game's code and a team id or the trainer secret signs in."""
    if st.session_state.get(K_LINK_READ):
        return
    st.session_state[K_LINK_READ] = True
    raw = st.query_params.get(GAME_PARAM)
    if not raw:
        return
    try:
        code = clean_code(raw)
    except GameStoreError as exc:
        st.error(f"This link's {exc}")
        return
    st.session_state["game_join_code"] = code
    secret, team_id = st.query_params.get(TRAINER_PARAM), st.query_params.get(TEAM_PARAM)
    if isinstance(secret, str) and TOKEN.fullmatch(secret) and store.verify(code, secret):
        st.session_state[K_CODE], st.session_state[K_SECRET] = code, secret
    elif isinstance(team_id, str) and TOKEN.fullmatch(team_id):
        try:
            known = store.team(code, team_id) is not None
        except GameStoreError:
            known = False
        if known:
            st.session_state[K_CODE], st.session_state[K_TEAM] = code, team_id


def sign_out() -> None:
    for k in (K_CODE, K_SECRET, K_TEAM):
        st.session_state.pop(k, None)
    for k in (GAME_PARAM, TEAM_PARAM, TRAINER_PARAM):
        st.query_params.pop(k, None)


def create_form(store: GameStore) -> None:
    defaults = GameSettings()
    with st.form("game_create"):
        st.subheader("Run a game (trainer)")
        st.text_input("Title", key="game_title", max_chars=80, placeholder="Retention economics, week 3")
        st.number_input("Rounds (one quarter each)", 1, MAX_ROUNDS, defaults.rounds, key="game_rounds")
        st.number_input(
            "Budget per team per round (USD)",
            min_value=1000.0,
            max_value=1e9,
            value=defaults.budget,
            step=5000.0,
            key="game_budget",
        )
        st.number_input(
            "Market size (prospects)", MIN_MARKET, MAX_MARKET, defaults.market_size, step=500, key="game_market"
        )
        st.number_input(
            "Seed (the same seed and decisions replay the same game)", 0, 2**31 - 1, defaults.seed, key="game_seed"
        )
        created = st.form_submit_button("Create the game", type="primary")
    if not created:
        return
    ss = st.session_state
    try:
        settings = GameSettings(
            rounds=ss.game_rounds, budget=ss.game_budget, market_size=ss.game_market, seed=ss.game_seed
        )
        new = store.create(settings, ss.get("game_title") or "Team game")
    except (GameError, GameStoreError) as exc:
        st.error(str(exc))
        return
    ss[K_CODE], ss[K_SECRET], ss[K_NEW_SECRET] = new.code, new.secret, new.secret
    st.query_params[GAME_PARAM], st.query_params[TRAINER_PARAM] = new.code, new.secret
    st.rerun()


def open_form(store: GameStore) -> None:
    with st.form("game_open"):
        st.subheader("Open a game you started")
        st.text_input("Code of your game", key="game_open_code", max_chars=12)
        st.text_input("Trainer secret", key="game_open_secret", type="password", max_chars=64)
        opened = st.form_submit_button("Open")
    if not opened:
        return
    try:
        code = clean_code(st.session_state.get("game_open_code", ""))
    except GameStoreError as exc:
        st.error(str(exc))
        return
    secret = st.session_state.get("game_open_secret", "")
    if not store.verify(code, secret):
        st.error("That code and secret do not match a game. Check both (the secret is case-sensitive).")
        return
    st.session_state[K_CODE], st.session_state[K_SECRET] = code, secret
    st.query_params[GAME_PARAM], st.query_params[TRAINER_PARAM] = code, secret
    st.rerun()


def join_form(store: GameStore) -> None:
    with st.form("game_join"):
        st.subheader("Join a game (team)")
        st.text_input("Game code", key="game_join_code", max_chars=12)
        st.text_input("Team name", key="game_join_name", max_chars=30, placeholder="The Retainers")
        joined = st.form_submit_button("Join the game", type="primary")
    if not joined:
        return
    try:
        code = clean_code(st.session_state.get("game_join_code", ""))
        team_id = store.join(code, st.session_state.get("game_join_name", ""), client=state.client_id())
    except GameStoreError as exc:
        st.error(str(exc))
        return
    st.session_state[K_CODE], st.session_state[K_TEAM] = code, team_id
    st.query_params[GAME_PARAM], st.query_params[TEAM_PARAM] = code, team_id
    st.rerun()


def trainer(store: GameStore, code: str, secret: str) -> None:
    new_secret = st.session_state.pop(K_NEW_SECRET, None)
    if new_secret:
        st.success("Game created. Keep the trainer link or the secret: either opens this view again.")
        st.markdown("**Trainer secret**")
        st.code(new_secret, language=None)
    st.markdown("**Your trainer link** (keep it to yourself: it opens this view)")
    st.code(page_link(**{GAME_PARAM: code, TRAINER_PARAM: secret}), language=None)
    views.trainer_room(store, code, secret, page_link(**{GAME_PARAM: code}))


st.title("Team game")
store = GameStore()
read_link(store)
ss = st.session_state
code = ss.get(K_CODE)
if code and ss.get(K_SECRET) and store.verify(code, ss[K_SECRET]):
    trainer(store, code, ss[K_SECRET])
    st.button("Sign out of this game", key="game_sign_out", on_click=sign_out)
elif code and ss.get(K_TEAM):
    views.team_desk(store, code, ss[K_TEAM])
    st.button("Leave the game on this browser", key="game_leave", on_click=sign_out)
else:
    st.markdown(
        "Teams run competing firms in one market, a quarter per round. Each round every team splits its "
        "budget between acquisition, retention, expansion and win-back; the trainer closes the round and "
        "the market moves on: teams compete for the same prospects, and each customer costs more as the "
        "market fills. After the last round: a leaderboard by customer equity and a debrief."
    )
    left, right = st.columns(2)
    with left:
        join_form(store)
    with right:
        create_form(store)
        open_form(store)
