"""A team game in three browsers: the trainer's view counts the teams' decisions by itself, a round closes,
the teams see the next round, and after the last round everyone sees the leaderboard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .streamlit_page import wait_for_rerun

HOSTILE = "**Bold** [x](http://e.vil)"


def no_exception(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def decide(page, acquisition: str, retention: str) -> None:
    page.get_by_role("spinbutton", name="Acquisition (USD)").fill(acquisition)
    page.get_by_role("spinbutton", name="Retention (USD)").fill(retention)
    page.get_by_role("button", name="Submit the split").click()
    wait_for_rerun(page)
    expect(page.get_by_text(re.compile("Split stored for round"))).to_be_visible()


def test_a_trainer_and_two_teams_in_their_own_browsers(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    try:
        trainer, north, other = (c.new_page() for c in contexts)
        for page in (trainer, north, other):
            page.set_default_timeout(60_000)
        trainer.goto(f"{app_url}/team_game")
        wait_for_rerun(trainer)
        trainer.get_by_role("spinbutton", name="Rounds (one quarter each)").fill("2")
        trainer.get_by_role("button", name="Create the game").click()
        wait_for_rerun(trainer)
        blocks = trainer.get_by_test_id("stCode")
        expect(blocks).to_have_count(4)
        code, link = blocks.nth(2).inner_text().strip(), blocks.nth(3).inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{6}", code) and link == f"{app_url}/team_game?game={code}", (code, link)

        for page, name in ((north, "North"), (other, HOSTILE)):
            page.goto(link)
            wait_for_rerun(page)
            expect(page.get_by_role("textbox", name="Game code")).to_have_value(code)
            page.get_by_role("textbox", name="Team name").fill(name)
            page.get_by_role("button", name="Join the game").click()
            wait_for_rerun(page)
            expect(page.get_by_text(f"Team: {name}", exact=True)).to_be_visible()
            no_exception(page)
        expect(other.locator("a[href='http://e.vil']")).to_have_count(0)

        decide(north, "30000", "20000")
        decide(other, "0", "40000")
        # no click on the trainer's side: the roster refreshes by itself
        expect(trainer.get_by_text("2 of 2 teams have decided", exact=False)).to_be_visible(timeout=30_000)
        trainer.get_by_role("button", name="Close round 1").click()
        wait_for_rerun(trainer)
        expect(trainer.get_by_text("Round 2 of 2", exact=False).first).to_be_visible()
        expect(north.get_by_text("Round 2 of 2", exact=False).first).to_be_visible(timeout=30_000)
        decide(north, "45000", "0")
        expect(trainer.get_by_text("1 of 2 teams have decided", exact=False)).to_be_visible(timeout=30_000)
        trainer.get_by_role("button", name="Close round 2").click()
        wait_for_rerun(trainer)
        expect(trainer.get_by_text("The game is over", exact=False).first).to_be_visible()
        expect(trainer.get_by_role("heading", name="Debrief")).to_be_visible()
        expect(other.get_by_role("heading", name="Debrief")).to_be_visible(timeout=30_000)
        expect(other.locator("a[href='http://e.vil']")).to_have_count(0)
        for page in (trainer, north, other):
            no_exception(page)
    finally:
        for c in contexts:
            c.close()
