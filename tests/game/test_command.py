"""``python -m simulation game``: a replay file in, the game's results out."""

from __future__ import annotations

import csv
import io
import json

from simulation.cli import main
from simulation.game.market import GameSettings, Split, play
from simulation.game.replay import replay_json, result_rows

CFG = GameSettings(rounds=3, budget=50_000, market_size=2000, seed=21)
DECISIONS = {(0, 1): Split(30_000, 10_000), (1, 1): Split(0, 40_000, 5_000, 5_000), (0, 3): Split(50_000)}


def test_json_replay_prints_the_games_results(tmp_path, capsys):
    path = tmp_path / "game.json"
    path.write_text(replay_json(CFG, ["North", "South"], DECISIONS))
    assert main(["game", str(path), "--debrief"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = result_rows(play(CFG, ["North", "South"], DECISIONS))
    assert out["results"] == json.loads(json.dumps(expected)), "the command prints the game's own rows"
    assert [r["team"] for r in out["leaderboard"]] == [
        r["team"] for r in sorted(expected[-2:], key=lambda r: -r["customer_equity"])
    ]
    assert len(out["debrief"]) == 2 and all(len(t["rounds"]) == 3 for t in out["debrief"])
    assert all(r["gap"] >= 0 for t in out["debrief"] for r in t["rounds"])


def test_csv_replay_with_settings_as_options(tmp_path, capsys):
    path = tmp_path / "decisions.csv"
    path.write_text(
        "team,round,acquisition,retention,expansion,winback\nNorth,1,30000,10000,0,0\nSouth,1,0,40000,5000,5000\n"
        "North,3,50000,0,0,0\n"
    )
    args = ["game", str(path), "--rounds", "3", "--budget", "50000", "--market-size", "2000", "--seed", "21"]
    assert main([*args, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    expected = result_rows(play(CFG, ["North", "South"], DECISIONS))
    assert [float(r["customer_equity"]) for r in rows] == [r["customer_equity"] for r in expected]


def test_bad_files_give_a_message_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"settings": {"rounds": 2}, "teams": ["A"], "decisions": [
        {"team": "A", "round": 1, "acquisition": 1e9}]}))  # fmt: skip
    assert main(["game", str(bad)]) == 2
    assert "decision 1: split: spends" in capsys.readouterr().err
    unknown = tmp_path / "u.json"
    unknown.write_text(json.dumps({"teams": ["A"], "decisions": [{"team": "B", "round": 1}]}))
    assert main(["game", str(unknown)]) == 2
    assert "team 'B' is not one of the teams" in capsys.readouterr().err
    endless = tmp_path / "inf.json"
    endless.write_text('{"teams": ["A"], "decisions": [{"team": "A", "round": Infinity}]}')
    assert main(["game", str(endless)]) == 2
    assert "round: must be a finite number" in capsys.readouterr().err
    assert main(["game", str(tmp_path / "x.txt")]) == 2
    assert "must end in .json or .csv" in capsys.readouterr().err


def test_no_csv_of_the_game_holds_a_live_formula(tmp_path, capsys):
    from simulation.io.games import GameStore
    from tests.hardening.test_export_injection import csv_texts, live_csv_cells

    names = ("=1+1", "@SUM(A1:A2)", "-2+3", "+1", "\uff1dcmd")
    store = GameStore(tmp_path)
    new = store.create(CFG)
    for name in names:
        store.decide(new.code, store.join(new.code, name), {"acquisition": 1_000})
    store.close_round(new.code, new.secret)
    exported = store.export_csv(new.code, new.secret)
    path = tmp_path / "export.csv"
    path.write_text(exported)
    args = ["game", str(path), "--rounds", "3", "--budget", "50000", "--market-size", "2000", "--seed", "21"]
    assert main([*args, "--format", "csv", "--played"]) == 0
    printed = capsys.readouterr().out
    for text in (exported, printed):
        assert not live_csv_cells(text), f"live fields: {live_csv_cells(text)[:5]}"
        assert {"'" + n for n in names} <= csv_texts(text), "every team's name is kept, as text"
    assert printed == exported, "the export replays to itself, draw for draw"
