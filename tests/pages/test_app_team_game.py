"""The Team game page: a trainer and two teams through two rounds to the leaderboard and debrief (AppTest)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from simulation.io.games import GameStore

from .conftest import APP, APP_TIMEOUT
from .markdown_reading import as_read, live_user_text

HOSTILE = "=1+1 [x](http://e.vil) <b>_*"  # 28 characters: a formula, a link, HTML, emphasis


def open_game(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/team_game.py").run()
    assert not at.exception, f"the Team game page raised: {at.exception}"
    return at


def submit(at: AppTest, form: str, label: str) -> AppTest:
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not at.exception, f"submitting {form} raised: {at.exception}"
    return at


def texts(at: AppTest) -> str:
    """What a person reads on the page (Markdown as read, plain text as it is)."""
    parts = [m.value for m in at.markdown] + [s.value for s in at.success] + [e.value for e in at.error]
    parts += [c.value for c in at.caption]
    return "\n".join([as_read(p) for p in parts] + [t.value for t in at.text])


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def start_game() -> tuple[AppTest, str, str]:
    trainer = open_game()
    trainer.text_input(key="game_title").input("Quarterly *cup*")
    trainer.number_input(key="game_rounds").set_value(2)
    trainer.number_input(key="game_budget").set_value(50_000.0)
    trainer.number_input(key="game_market").set_value(3000)
    trainer.number_input(key="game_seed").set_value(7)
    submit(trainer, "game_create", "Create the game")
    codes = [c.value for c in trainer.code]
    assert len(codes) == 4, f"secret, trainer link, code and team link are shown: {codes}"
    secret, trainer_link, code, team_link = codes
    assert trainer_link.endswith(f"team_game?game={code}&trainer={secret}"), trainer_link
    assert team_link.endswith(f"team_game?game={code}"), team_link
    assert "Quarterly *cup*" in [t.value for t in trainer.text], "the title is plain text"
    return trainer, code, secret


def join(code: str, name: str) -> AppTest:
    at = open_game()
    at.text_input(key="game_join_code").input(code.lower())
    at.text_input(key="game_join_name").input(name)
    submit(at, "game_join", "Join the game")
    assert f"Team: {name}" in [t.value for t in at.text], "the team sees its name as plain text"
    return at


def decide(at: AppTest, **amounts: float) -> AppTest:
    for lever, value in amounts.items():
        at.number_input(key=f"game_split_{lever}").set_value(value)
    return submit(at, "game_split", "Submit the split")


def test_a_trainer_and_two_teams_play_two_rounds_to_the_debrief():
    trainer, code, secret = start_game()
    north, hostile = join(code, "North"), join(code, HOSTILE)
    trainer.run()
    roster = frames(trainer)[0]
    assert list(roster["Team"]) == ["North", HOSTILE], "the trainer sees both teams, names as typed"
    assert list(roster["This round"]) == ["not yet", "not yet"]

    decide(north, acquisition=40_000.0, retention=20_000.0)
    assert any("more than the budget" in e.value and "50,000.00" in e.value for e in north.error), (
        "a split over the budget is refused, with the budget named"
    )
    decide(north, acquisition=30_000.0, retention=15_000.0)
    assert any("Split stored for round 1" in s.value for s in north.success)
    decide(hostile, retention=30_000.0, winback=10_000.0)
    trainer.run()
    assert list(frames(trainer)[0]["This round"]) == ["decided", "decided"], "the trainer sees who has decided"

    trainer.button(key="game_close_round").click().run()
    assert not trainer.exception, f"closing round 1 raised: {trainer.exception}"
    assert "Round 2 of 2" in texts(trainer)
    north.run()
    assert "Round 2 of 2" in texts(north), "the team sees the next round"
    own = frames(north)[0]
    assert list(own["Round"]) == ["1"] and list(own["Decided"]) == ["yes"], "the team sees its round-1 results"
    decide(north, acquisition=45_000.0)
    trainer.run()
    trainer.button(key="game_close_round").click().run()  # the hostile team repeats its split
    assert "The game is over" in texts(trainer)

    rows = GameStore().results(code)
    board = frames(trainer)[1]
    last = sorted((r for r in rows if r["round"] == 2), key=lambda r: -r["customer_equity"])
    assert list(board["Team"]) == [r["team"] for r in last], "the leaderboard ranks by customer equity"
    assert [r["decided"] for r in rows if r["team"] == HOSTILE] == [True, False], "an undecided team repeats"
    debrief = texts(trainer)
    assert "Round 1:" in debrief and "Round 2:" in debrief, "the debrief covers each round"
    assert ("won: the highest customer equity" in debrief) and ("The winner, " in debrief), "winner and differences"
    for text in (m.value for m in trainer.markdown):
        if HOSTILE in text:
            assert f"`` {HOSTILE} ``" in text or f"` {HOSTILE} `" in text, (
                f"a name in a sentence is a code span: {text}"
            )
    csv_text = GameStore().export_csv(code, secret)
    assert "'=1+1" in csv_text and "\n=1+1" not in csv_text, "the export escapes a formula-like name"

    hostile.run()
    assert "Debrief" in [h.value for h in hostile.subheader], "teams see their debrief after the last round"
    assert not hostile.exception and not live_user_text(hostile, [HOSTILE, "http://e.vil"])


def test_a_team_link_and_a_trainer_link_survive_a_reload():
    _, code, secret = start_game()
    north = join(code, "North")
    team_id = north.session_state["game_team_id"]
    again = open_game({"game": code, "team": team_id})
    assert "Team: North" in [t.value for t in again.text], "the team's own link rejoins it"
    back = open_game({"game": code, "trainer": secret})
    assert [c.value for c in back.code][1] == code, "the trainer link reopens the trainer's view"
    wrong = open_game({"game": code, "trainer": "x" * 16})
    assert not wrong.code, "a wrong secret in a link opens nothing"


def test_bad_codes_and_names_say_what_is_allowed():
    at = open_game({"game": "<script>"})
    assert any("game code: must be" in e.value for e in at.error), "a hostile link is refused in words"
    at.text_input(key="game_join_code").input("ABCDEF")
    at.text_input(key="game_join_name").input("x")
    submit(at, "game_join", "Join the game")
    assert any("no game has the code ABCDEF" in e.value for e in at.error)
    _, code, _ = start_game()
    at.text_input(key="game_join_code").input(code)
    at.text_input(key="game_join_name").input("")
    submit(at, "game_join", "Join the game")
    assert any("team name: give your team a name" in e.value for e in at.error)
